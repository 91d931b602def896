/**
 * Canary traffic needs its CanaryRelease record. The SLO gates, release windows and release discipline read only
 * the record; a program that composes CanaryRouting (or writes an Istio VirtualService) by hand and routes canary
 * traffic without one would pass every one of them unseen. This stack rule finds the routing and says so.
 */
import type { PolicyResource } from "@pulumi/policy";
import { CANARY_SUBSET } from "../components/canary-routing/defaults";
import { type Rule, violation } from "./config";
import { isVirtualService, T } from "./contracts";

/** One place of a stack that sends requests to a canary. */
export interface CanaryRoute {
    /** Service the traffic is for: the destination host's short name, or the CanaryRouting's VirtualService name. */
    service: string;
    /** Namespace of that service, when the host or the resource says. */
    namespace: string | undefined;
    /** Other names the service goes by here (the VirtualService's own name). */
    aliases: string[];
    /** The canary's share of the route, in percent. */
    weight: number;
    /** What routes it, for the message: "VirtualService checkout route 'weighted'" or "CanaryRouting checkout". */
    via: string;
    resource: PolicyResource;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * Service and namespace of a destination host: `checkout`, `checkout.shop` and `checkout.shop.svc[.cluster.local]`
 * name a Service of the mesh; another FQDN names only its first label, without a namespace.
 */
export function serviceOfHost(host: string, namespace: string | undefined): { service: string; namespace: string | undefined } | undefined {
    if (host === "" || host.startsWith("*")) return undefined;
    const labels = host.split(".");
    const inMesh = labels.length === 2 || labels[2] === "svc";
    return { service: labels[0]!, namespace: labels.length === 1 ? namespace : inMesh ? labels[1] : undefined };
}

/**
 * The canary share of one destination: its weight. A lone destination without one takes its route's whole share,
 * counted only on a route without `match`: requests a route selects (opt-in headers, allowlisted users, paths)
 * reach the canary on purpose, as CanaryRouting's opt-in routes do at weight 0, not as a share of the traffic.
 */
function shareOf(route: Record<string, unknown>, destination: Record<string, unknown>, destinations: number): number {
    const weight = destination["weight"];
    if (typeof weight === "number") return weight;
    const selective = Array.isArray(route["match"]) && route["match"].length > 0;
    return destinations === 1 && !selective ? 100 : 0;
}

/** Routes of a VirtualService (HTTP, TCP and TLS) that send a share of all traffic above 0 to subset `canary`. */
export function canaryRoutesOfVirtualService(res: PolicyResource): CanaryRoute[] {
    const props = res.props ?? {};
    const metadata = isObject(props["metadata"]) ? props["metadata"] : {};
    const spec = isObject(props["spec"]) ? props["spec"] : {};
    const vsName = text(metadata["name"]) ?? res.name;
    const vsNamespace = text(metadata["namespace"]);
    const out: CanaryRoute[] = [];
    for (const kind of ["http", "tcp", "tls"]) {
        const routes = spec[kind];
        if (!Array.isArray(routes)) continue;
        for (const route of routes) {
            const destinations = isObject(route) && Array.isArray(route["route"]) ? route["route"].filter(isObject) : [];
            for (const d of destinations) {
                const dest = isObject(d["destination"]) ? d["destination"] : {};
                const weight = shareOf(route, d, destinations.length);
                if (dest["subset"] !== CANARY_SUBSET || !(weight > 0)) continue;
                const host = serviceOfHost(text(dest["host"]) ?? vsName, vsNamespace);
                out.push({
                    service: host?.service ?? vsName,
                    namespace: host?.namespace ?? vsNamespace,
                    aliases: [vsName],
                    weight,
                    via: `VirtualService ${vsName}${text(route["name"]) === undefined ? "" : ` route '${route["name"]}'`}`,
                    resource: res,
                });
            }
        }
    }
    return out;
}

/** A CanaryRouting component whose outputs split a share above 0 to the canary. */
export function canaryRouteOfComponent(res: PolicyResource): CanaryRoute | undefined {
    const props = res.props ?? {};
    const weight = props["canaryWeight"];
    if (typeof weight !== "number" || !(weight > 0)) return undefined;
    const vsName = text(props["virtualServiceName"]);
    const host = text(props["host"]) === undefined ? undefined : serviceOfHost(text(props["host"])!, undefined);
    const service = vsName ?? host?.service ?? res.name;
    return {
        service,
        namespace: host?.namespace,
        aliases: [vsName, host?.service].filter((n): n is string => n !== undefined),
        weight,
        via: `CanaryRouting ${res.name}`,
        resource: res,
    };
}

/** Every place of the stack that routes canary traffic. */
export function canaryRoutesOf(resources: readonly PolicyResource[]): CanaryRoute[] {
    return resources.flatMap((res) => {
        if (res.type === T.canaryRouting) return canaryRouteOfComponent(res) ?? [];
        return isVirtualService(res.type) ? canaryRoutesOfVirtualService(res) : [];
    });
}

/** Service and namespace of each CanaryRelease record of the stack, valid or not (the validity rule reports the rest). */
function recordsOf(resources: readonly PolicyResource[]): Array<{ service: string; namespace: string | undefined }> {
    return resources
        .filter((res) => res.type === T.canaryRelease)
        .flatMap((res) => {
            const service = text(res.props?.["service"]);
            return service === undefined ? [] : [{ service, namespace: text(res.props?.["namespace"]) }];
        });
}

/** Whether a record is about the service a route sends canary traffic to. */
function covers(record: { service: string; namespace: string | undefined }, route: CanaryRoute): boolean {
    if (record.service !== route.service && !route.aliases.includes(record.service)) return false;
    return record.namespace === undefined || route.namespace === undefined || record.namespace === route.namespace;
}

export const canaryRoutingHasReleaseRecord: Rule<{}> = {
    kind: "stack",
    name: "canary-routing-has-release-record",
    description:
        "A stack that routes canary traffic (a CanaryRouting with canaryWeight > 0, or a VirtualService route to subset 'canary' with weight > 0) has a CanaryRelease record for that service, the record the SLO gates, release windows and release discipline check. Mandatory in prod, advisory elsewhere by default.",
    severity: "high",
    defaults: {},
    // The gates it restores are production's; elsewhere a hand-made canary is worth a warning, not a refusal.
    environmentDefaults: { staging: "advisory", "*": "advisory" },
    validate(args, _ctx, report) {
        const records = recordsOf(args.resources);
        const uncovered = new Map<string, CanaryRoute[]>();
        for (const route of canaryRoutesOf(args.resources)) {
            if (records.some((rec) => covers(rec, route))) continue;
            const key = `${route.namespace ?? ""}/${route.service}`;
            uncovered.set(key, [...(uncovered.get(key) ?? []), route]);
        }
        for (const routes of uncovered.values()) {
            // The component the user wrote first, then the objects it rendered; one message per service.
            const sorted = [...routes].sort((a, b) => Number(b.resource.type === T.canaryRouting) - Number(a.resource.type === T.canaryRouting));
            const first = sorted[0]!;
            const ns = first.namespace === undefined ? "" : ` (namespace ${first.namespace})`;
            const how = [...new Set(sorted.map((r) => `${r.via} sends ${r.weight}% to subset '${CANARY_SUBSET}'`))].join("; ");
            report(
                violation({
                    problem: `canary traffic of service '${first.service}'${ns} is routed (${how}) but the stack has no CanaryRelease record for '${first.service}', so no SLO gate, release window or release-discipline rule checks this step`,
                    resource: { name: first.resource.name, urn: first.resource.urn },
                    field: first.resource.type === T.canaryRouting ? "canaryWeight" : "spec",
                    fix: `decide the step with decideCanaryStep("${first.service}", { namespace, progression, release }) from "gray-release/canary-step" and pass its routing (step.routing) to the routing, so the decision is recorded before the traffic moves (runStack records every service itself); or set the canary weight to 0`,
                }),
                { urn: first.resource.urn },
            );
        }
    },
};

export const releaseRecordCoverageRules: Rule[] = [canaryRoutingHasReleaseRecord];
