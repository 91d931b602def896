/**
 * Which route of a VirtualService a request meets, read with Istio's semantics, and what headers the application
 * behind it receives and forwards: the resolver the lane tests share (the unit tests on built specs, the cluster
 * tests on VirtualServices read back from the API server).
 *
 * Semantics: the first route that matches wins; the matches of a route are OR, the headers within a match AND;
 * regexes are RE2 full-string (JavaScript's engine agrees on the subset the package emits); a match's `gateways`
 * (else the VirtualService's, default `mesh`) scope it to where the request comes from. A route's
 * `headers.request` edits (remove, then set) are what the application receives; forwarding them to the next hop is
 * the application's part, assumed done here (OpenTelemetry baggage propagation or copying the lane header).
 */
import type { HttpRoute, VirtualServiceSpec } from "../../components/canary-routing";

/** A request arriving at a service. */
export interface MeshRequest {
    headers: Record<string, string>;
    /** `mesh` for a sidecar caller, else the ingress gateway it came through (`istio-system/public`). */
    via: string;
    path?: string;
}

type StringMatch = { exact?: string; regex?: string; prefix?: string };

/** Whether `value` passes an Istio StringMatch (`exact`, `prefix` or full-string `regex`); absent never matches. */
export function stringMatches(m: StringMatch, value: string | undefined): boolean {
    if (value === undefined) return false;
    if (m.exact !== undefined) return value === m.exact;
    if (m.prefix !== undefined) return value.startsWith(m.prefix);
    if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
    return false;
}

/** The first route of `http` that `req` matches (Istio: first match wins), or undefined. */
export function routeFor(http: ReadonlyArray<HttpRoute>, gateways: ReadonlyArray<string>, req: MeshRequest): HttpRoute | undefined {
    return http.find((route) => {
        if (!route.match || route.match.length === 0) return gateways.includes(req.via);
        return route.match.some((m) => {
            if (!(m.gateways ?? gateways).includes(req.via)) return false;
            const headersOk = Object.entries(m.headers ?? {}).every(([h, sm]) => stringMatches(sm as StringMatch, req.headers[h]));
            const uriOk = m.uri === undefined || stringMatches(m.uri as StringMatch, req.path ?? "/");
            return headersOk && uriOk;
        });
    });
}

/** Headers the application receives (after the route's `headers.request` edits), which it forwards downstream. */
export function forwarded(route: HttpRoute, req: MeshRequest): Record<string, string> {
    const out = { ...req.headers };
    const edit = route.headers?.request;
    for (const h of edit?.remove ?? []) delete out[h];
    Object.assign(out, edit?.set ?? {});
    return out;
}

/** One hop of a request through a chain: the route it met and the subset it reached. */
export interface Hop {
    route: HttpRoute;
    /** The subset of a single-destination route; `split` for a weighted split of several destinations. */
    subset: string;
    /** The request as it arrived at this hop. */
    request: MeshRequest;
}

/**
 * Follows one request through a chain of services (each VirtualService in call order): at each hop the route it
 * meets, then the next hop receives what the application forwards, from inside the mesh. Throws when a hop has no
 * route for the request (Istio would answer 404).
 */
export function followChain(chain: ReadonlyArray<{ name: string; spec: VirtualServiceSpec }>, first: MeshRequest): Hop[] {
    let req = first;
    const hops: Hop[] = [];
    for (const { name, spec } of chain) {
        const route = routeFor(spec.http ?? [], spec.gateways ?? ["mesh"], req);
        if (route === undefined) throw new Error(`${name}: no route for ${JSON.stringify(req)}`);
        const dests = route.route ?? [];
        // A lane or opt-in route has one destination; the weighted one is a split.
        const subset = dests.length === 1 ? (dests[0]?.destination?.subset ?? "?") : "split";
        hops.push({ route, subset, request: req });
        req = { headers: forwarded(route, req), via: "mesh" };
    }
    return hops;
}
