/**
 * The VirtualService of a canary service. Route order is the contract: one route per lane (to the canary when it
 * serves the lane, else stable: see ./lanes.ts), then opt-in headers, the allowlist, path prefixes (all to the
 * canary), then the weighted split. Istio takes the first route that matches.
 */
import { type IVirtualService, VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import type { HeaderMatch, ResolvedCanaryRoutingArgs } from "./args";
import { CANARY_SUBSET, MESH_GATEWAY, STABLE_SUBSET } from "./defaults";
import { dropUndefined } from "./destination-rule";
import { canaryServesLane, laneHeaders, laneMatchHeaders, laneRouteName } from "./lanes";
import { alternationRegex } from "./re2";
import { splitWeights } from "./weights";

/** Spec of a `networking.istio.io/v1beta1` VirtualService. */
export type VirtualServiceSpec = NonNullable<IVirtualService["spec"]>;
/** One HTTP route of a VirtualService. */
export type HttpRoute = NonNullable<VirtualServiceSpec["http"]>[number];
/** One match condition of an HTTP route. */
export type HttpMatch = NonNullable<HttpRoute["match"]>[number];
type StringMatch = NonNullable<HttpMatch["headers"]>[string];
type RouteDestination = NonNullable<HttpRoute["route"]>[number];

/** Names of the routes, in the order they appear. */
export const ROUTE_NAMES = {
    optIn: "canary-opt-in",
    allowlist: "canary-allowlist",
    pathPrefix: "canary-path-prefix",
    weighted: "weighted",
} as const;

function stringMatch(m: HeaderMatch): StringMatch {
    return m.exact !== undefined ? { exact: m.exact } : { regex: m.regex ?? "" };
}

function destination(a: ResolvedCanaryRoutingArgs, subset: string): RouteDestination["destination"] {
    return a.port === undefined ? { host: a.host, subset } : { host: a.host, subset, port: { number: a.port } };
}

function chunk<T>(items: ReadonlyArray<T>, size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}

/**
 * Applies the gateway-safety rule to opt-in and allowlist matches (see `optInThroughGateways`). Unless
 * allowed, every match is scoped to `gateways: ["mesh"]`, even when no ingress gateway is bound today, so
 * binding one later cannot silently open the canary to the internet. Returns no matches when none may
 * apply, e.g. a VirtualService bound only to ingress gateways with the default.
 */
export function scopeOptInMatches(a: ResolvedCanaryRoutingArgs, matches: HttpMatch[]): HttpMatch[] {
    const meshBound = a.gateways.includes(MESH_GATEWAY);
    const meshOnly = meshBound ? matches.map((m) => ({ ...m, gateways: [MESH_GATEWAY] })) : [];
    if (!a.optInThroughGateways) return meshOnly;
    const ingress = a.gateways.filter((g) => g !== MESH_GATEWAY);
    const trusted = a.trustedGatewayHeader;
    if (trusted === undefined || ingress.length === 0) return matches;
    const viaIngress = matches.map((m) => ({
        ...m,
        headers: { ...(m.headers ?? {}), [trusted.name]: stringMatch(trusted) },
        gateways: [...ingress],
    }));
    return [...meshOnly, ...viaIngress];
}

/**
 * Whether any route may name the canary: never when it has no pods to serve (`canaryAvailable: false`), and not at
 * weight 0 when that is meant as a full cut-off.
 */
function canaryReachable(a: ResolvedCanaryRoutingArgs): boolean {
    return a.canaryAvailable && (a.canaryWeight > 0 || a.keepOptInAtZero);
}

/**
 * One route per lane of the stack: a request in the lane goes to the canary when the canary serves that lane and may
 * be reached (it has pods; at weight 0 only with `keepOptInAtZero`), to stable otherwise, whatever the weight. Lane
 * matches follow the opt-in gateway rule: a client outside the mesh does not enter a lane by sending its marker.
 */
export function buildLaneRoutes(a: ResolvedCanaryRoutingArgs): HttpRoute[] {
    const routes: HttpRoute[] = [];
    for (const lane of a.lanes.definitions) {
        const match = scopeOptInMatches(
            a,
            laneMatchHeaders(lane).map((headers) => ({ headers })),
        );
        if (match.length === 0) continue;
        const subset = canaryServesLane(a.lanes, lane.name) && canaryReachable(a) ? CANARY_SUBSET : STABLE_SUBSET;
        routes.push({ name: laneRouteName(lane.name), match, route: [{ destination: destination(a, subset) }], ...routeCommon(a) });
    }
    return routes;
}

/** Headers of the routes that put a request in the service's `enter` lane (the front service's opt-in). */
function enterLane(a: ResolvedCanaryRoutingArgs): Pick<HttpRoute, "headers"> {
    const lane = a.lanes.definitions.find((l) => l.name === a.lanes.enter);
    return lane ? { headers: { request: { set: { [lane.header]: lane.name } } } } : {};
}

/** Headers of the routes outside every lane: the lane headers are removed, so a request cannot smuggle itself in. */
function outsideLanes(a: ResolvedCanaryRoutingArgs): Pick<HttpRoute, "headers"> {
    const headers = laneHeaders(a.lanes);
    return headers.length > 0 ? { headers: { request: { remove: headers } } } : {};
}

/**
 * The routes that send selected requests to the canary whatever the weight, in order. A service that enters a lane
 * (`lanes.enter`) keeps its opt-in and allowlist routes while its canary cannot be reached: they lead to stable then,
 * and still put the request in the lane, so a tester entering at a front without a canary meets the lane's canaries
 * further down the chain.
 */
export function buildCanaryRoutes(a: ResolvedCanaryRoutingArgs): HttpRoute[] {
    const reachable = canaryReachable(a);
    if (!reachable && a.lanes.enter === undefined) return [];
    const common = { ...routeCommon(a), ...enterLane(a) };
    const selected = (): RouteDestination[] => [{ destination: destination(a, reachable ? CANARY_SUBSET : STABLE_SUBSET) }];
    const routes: HttpRoute[] = [];

    const optIn = scopeOptInMatches(
        a,
        a.optInHeaders.map((h) => ({ headers: { [h.name]: stringMatch(h) } })),
    );
    if (optIn.length > 0) routes.push({ name: ROUTE_NAMES.optIn, match: optIn, route: selected(), ...common });

    if (a.allowlist !== undefined) {
        const { header, ids, idsPerMatch } = a.allowlist;
        const allow = scopeOptInMatches(
            a,
            chunk(ids, idsPerMatch).map((group) => ({ headers: { [header]: { regex: alternationRegex(group) } } })),
        );
        if (allow.length > 0) routes.push({ name: ROUTE_NAMES.allowlist, match: allow, route: selected(), ...common });
    }

    if (reachable && a.pathPrefixes.length > 0) {
        routes.push({
            name: ROUTE_NAMES.pathPrefix,
            match: a.pathPrefixes.map((prefix) => ({ uri: { prefix } })),
            route: selected(),
            ...routeCommon(a),
            ...outsideLanes(a),
        });
    }
    return routes;
}

/** The catch-all weighted route. At weight 0 the canary destination is left out entirely. */
export function buildWeightedRoute(a: ResolvedCanaryRoutingArgs): HttpRoute {
    const w = splitWeights(a.canaryWeight);
    const route: RouteDestination[] = [{ destination: destination(a, STABLE_SUBSET), weight: w.stable }];
    if (w.canary > 0) route.push({ destination: destination(a, CANARY_SUBSET), weight: w.canary });
    const weighted: HttpRoute = { name: ROUTE_NAMES.weighted, route, ...routeCommon(a), ...outsideLanes(a) };
    if (a.mirrorPercent !== undefined && canaryReachable(a)) {
        weighted.mirror = destination(a, CANARY_SUBSET);
        weighted.mirrorPercentage = { value: a.mirrorPercent };
    }
    return weighted;
}

function routeCommon(a: ResolvedCanaryRoutingArgs): Pick<HttpRoute, "retries" | "timeout"> {
    const common: Pick<HttpRoute, "retries" | "timeout"> = {};
    if (a.retries !== undefined) common.retries = dropUndefined({ ...a.retries });
    if (a.timeout !== undefined) common.timeout = a.timeout;
    return common;
}

/** Builds the VirtualService spec. */
export function buildVirtualServiceSpec(a: ResolvedCanaryRoutingArgs): VirtualServiceSpec {
    const spec: VirtualServiceSpec = {
        hosts: [...a.hosts],
        gateways: [...a.gateways],
        http: [...buildLaneRoutes(a), ...buildCanaryRoutes(a), buildWeightedRoute(a)],
    };
    if (a.exportTo !== undefined) spec.exportTo = [...a.exportTo];
    return spec;
}

/** The whole VirtualService as a typed model (call `.validate()` on it to check it against the CRD schema). */
export function buildVirtualService(a: ResolvedCanaryRoutingArgs): VirtualService {
    return new VirtualService({
        metadata: { name: a.service, namespace: a.namespace },
        spec: buildVirtualServiceSpec(a),
    });
}
