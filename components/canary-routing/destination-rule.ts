/** The DestinationRule of a canary service: a stable and a canary subset, shared traffic policy. */
import { DestinationRule, type IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import type { ResolvedCanaryRoutingArgs } from "./args";
import { CANARY_SUBSET, STABLE_SUBSET } from "./defaults";

/** Spec of a `networking.istio.io/v1beta1` DestinationRule. */
export type DestinationRuleSpec = NonNullable<IDestinationRule["spec"]>;
type TrafficPolicy = NonNullable<DestinationRuleSpec["trafficPolicy"]>;

function trafficPolicy(a: ResolvedCanaryRoutingArgs): TrafficPolicy {
    const cp = a.connectionPool;
    const policy: TrafficPolicy = {
        connectionPool: {
            tcp: { maxConnections: cp.maxConnections, connectTimeout: cp.connectTimeout },
            http: {
                http1MaxPendingRequests: cp.http1MaxPendingRequests,
                http2MaxRequests: cp.http2MaxRequests,
                maxRequestsPerConnection: cp.maxRequestsPerConnection,
                idleTimeout: cp.idleTimeout,
            },
        },
    };
    const od = a.outlierDetection;
    if (od.enabled) {
        policy.outlierDetection = {
            consecutive5xxErrors: od.consecutive5xxErrors,
            interval: od.interval,
            baseEjectionTime: od.baseEjectionTime,
            maxEjectionPercent: od.maxEjectionPercent,
        };
    }
    const sticky = a.stickySession;
    if (sticky?.header !== undefined) {
        policy.loadBalancer = { consistentHash: { httpHeaderName: sticky.header } };
    } else if (sticky?.cookie !== undefined) {
        policy.loadBalancer = { consistentHash: { httpCookie: { ...sticky.cookie } } };
    }
    return dropUndefined(policy);
}

/** Builds the DestinationRule spec. Subsets select tracks, not versions, so a promotion leaves them as they are. */
export function buildDestinationRuleSpec(a: ResolvedCanaryRoutingArgs): DestinationRuleSpec {
    const spec: DestinationRuleSpec = {
        host: a.host,
        trafficPolicy: trafficPolicy(a),
        subsets: [
            { name: STABLE_SUBSET, labels: { ...a.subsetLabels.stable } },
            { name: CANARY_SUBSET, labels: { ...a.subsetLabels.canary } },
        ],
    };
    if (a.exportTo !== undefined) spec.exportTo = [...a.exportTo];
    return spec;
}

/** The whole DestinationRule as a typed model (call `.validate()` on it to check it against the CRD schema). */
export function buildDestinationRule(a: ResolvedCanaryRoutingArgs): DestinationRule {
    return new DestinationRule({
        metadata: { name: a.service, namespace: a.namespace },
        spec: buildDestinationRuleSpec(a),
    });
}

/** Removes undefined fields recursively, so rendered YAML carries only what was set. */
export function dropUndefined<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v) => dropUndefined(v)) as T;
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, dropUndefined(v)]),
        ) as T;
    }
    return value;
}
