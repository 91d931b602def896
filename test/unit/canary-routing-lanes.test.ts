/**
 * Lanes across a chain of services (front → cart → pricing): for every lane and every hop, the route a request meets
 * resolves to the subset the config says (the canary when it serves the lane and has pods, stable otherwise), and
 * that subset has pods; traffic outside every lane is split exactly as without lanes. The routes are read with
 * Istio's semantics (first match wins; matches are OR, headers in a match AND; RE2 full-string regexes; `gateways`
 * scopes a match: test/support/istio-routes.ts, shared with the cluster test), and the lane marker is carried hop to
 * hop as an application that forwards it would.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    buildVirtualServiceSpec,
    type CanaryRoutingArgs,
    type HttpRoute,
    laneMatchHeaders,
    resolveCanaryRoutingArgs,
} from "../../components/canary-routing";
import { InvalidArgsError } from "../../components/common";
import { followChain, forwarded, type MeshRequest, routeFor } from "../support/istio-routes";

interface ServiceState {
    name: string;
    canaryWeight: number;
    canaryAvailable: boolean;
    canaryIn: string[];
    enter?: string;
}

const LANES = [{ name: "gray" }, { name: "blue", header: "x-team-lane", baggageKey: null }];

function spec(
    s: ServiceState,
    lanes: CanaryRoutingArgs["lanes"] | undefined = { definitions: LANES, canaryIn: s.canaryIn, ...(s.enter ? { enter: s.enter } : {}) },
) {
    return buildVirtualServiceSpec(
        resolveCanaryRoutingArgs({
            service: s.name,
            namespace: "prod",
            canaryWeight: s.canaryAvailable ? s.canaryWeight : 0,
            canaryAvailable: s.canaryAvailable,
            ...(lanes ? { lanes } : {}),
        }),
    );
}

/** Follows one request through the chain; returns the subset chosen at each hop. */
function walk(chain: ServiceState[], first: MeshRequest): string[] {
    return followChain(
        chain.map((s) => ({ name: s.name, spec: spec(s) })),
        first,
    ).map((hop) => hop.subset);
}

const front = (p: Partial<ServiceState> = {}): ServiceState => ({ name: "front", canaryWeight: 0, canaryAvailable: false, canaryIn: [], ...p });
const cart = (p: Partial<ServiceState> = {}): ServiceState => ({ name: "cart", canaryWeight: 10, canaryAvailable: true, canaryIn: ["gray"], ...p });
const pricing = (p: Partial<ServiceState> = {}): ServiceState => ({ name: "pricing", canaryWeight: 0, canaryAvailable: false, canaryIn: [], ...p });

describe("lanes through front → cart → pricing", () => {
    it("only cart has a canary: a request in the gray lane meets cart's canary and stable elsewhere", () => {
        const chain = [front(), cart(), pricing()];
        assert.deepEqual(walk(chain, { headers: { "x-gray-lane": "gray" }, via: "mesh" }), ["stable", "canary", "stable"]);
        assert.deepEqual(walk(chain, { headers: { baggage: "user=42,gray-lane=gray;ttl=60, other=x" }, via: "mesh" }), [
            "stable",
            "canary",
            "stable",
        ]);
        assert.deepEqual(
            walk(chain, { headers: { "x-team-lane": "blue" }, via: "mesh" }),
            ["stable", "stable", "stable"],
            "cart's canary is not in blue",
        );
        // Outside every lane: the weighted split.
        assert.deepEqual(walk(chain, { headers: {}, via: "mesh" }), ["stable", "split", "stable"]);
        assert.deepEqual(walk(chain, { headers: { baggage: "gray-lane=grayish" }, via: "mesh" }), ["stable", "split", "stable"]);
    });

    it("a front without a canary that enters the lane: its opt-in users are served by stable there and enter the lane", () => {
        const chain = [front({ enter: "gray" }), cart(), pricing()];
        assert.deepEqual(walk(chain, { headers: { "x-canary": "true" }, via: "mesh" }), ["stable", "canary", "stable"]);
        const vs = spec(chain[0]!);
        for (const r of vs.http ?? [])
            for (const d of r.route ?? []) assert.notEqual(d.destination?.subset, "canary", "no route names front's canary");
        // Without `enter`, a front without a canary keeps no opt-in route at all.
        assert.ok(!(spec(front()).http ?? []).some((r) => r.name === "canary-opt-in"));
    });

    it("then front and pricing start canaries too: the lane meets all three; front's opt-in enters the lane", () => {
        const chain = [
            front({ canaryWeight: 5, canaryAvailable: true, canaryIn: ["gray"], enter: "gray" }),
            cart(),
            pricing({ canaryWeight: 5, canaryAvailable: true, canaryIn: ["gray", "blue"] }),
        ];
        assert.deepEqual(walk(chain, { headers: { "x-gray-lane": "gray" }, via: "mesh" }), ["canary", "canary", "canary"]);
        // A tester opting in at the front (x-canary: true) is put in the gray lane for the hops after it.
        assert.deepEqual(walk(chain, { headers: { "x-canary": "true" }, via: "mesh" }), ["canary", "canary", "canary"]);
        assert.deepEqual(walk(chain, { headers: { "x-team-lane": "blue" }, via: "mesh" }), ["stable", "stable", "canary"]);
    });

    it("a client outside the mesh cannot enter a lane by sending the marker: it is not matched at the edge and is removed", () => {
        const vs = buildVirtualServiceSpec(
            resolveCanaryRoutingArgs({
                service: "front",
                namespace: "prod",
                canaryWeight: 5,
                gateways: ["mesh", "istio-system/public"],
                lanes: { definitions: LANES, canaryIn: ["gray"] },
            }),
        );
        const route = routeFor(vs.http ?? [], vs.gateways ?? [], { headers: { "x-gray-lane": "gray" }, via: "istio-system/public" });
        assert.ok(route);
        assert.equal(route.name, "weighted");
        assert.deepEqual(forwarded(route, { headers: { "x-gray-lane": "gray", "x-team-lane": "blue" }, via: "istio-system/public" }), {});
    });

    it("a rolled-back canary (no pods) leaves its lane route on stable: no request to a subset without pods", () => {
        const http = spec(cart({ canaryAvailable: false })).http ?? [];
        for (const r of http) for (const d of r.route ?? []) assert.notEqual(d.destination?.subset, "canary", JSON.stringify(r));
        assert.deepEqual(walk([front(), cart({ canaryAvailable: false }), pricing()], { headers: { "x-gray-lane": "gray" }, via: "mesh" }), [
            "stable",
            "stable",
            "stable",
        ]);
    });

    it("the baggage match is RE2-safe and exact about the member", () => {
        const [, baggage] = laneMatchHeaders({ name: "gray", header: "x-gray-lane", baggageKey: "gray-lane" });
        const match = baggage?.["baggage"] as { regex: string } | undefined;
        assert.ok(match);
        const re = new RegExp(`^(?:${match.regex})$`);
        for (const yes of ["gray-lane=gray", "a=1,gray-lane=gray", "gray-lane = gray ;p=1,b=2", "a=1, gray-lane=gray"]) assert.ok(re.test(yes), yes);
        for (const no of ["gray-lane=grayer", "xgray-lane=gray", "gray-lane=gr", "a=gray-lane=gray", "b=1;gray-lane=gray"])
            assert.ok(!re.test(no), no);
    });

    it("refuses lanes the stack does not define, with the key path", () => {
        assert.throws(
            () =>
                resolveCanaryRoutingArgs({ service: "cart", namespace: "prod", canaryWeight: 5, lanes: { definitions: LANES, canaryIn: ["grey"] } }),
            (e: unknown) =>
                e instanceof InvalidArgsError && /lanes\.canaryIn\[0\].*"grey".*names no lane of the stack \(gray, blue\)/.test(e.message),
        );
        assert.throws(
            () =>
                resolveCanaryRoutingArgs({
                    service: "cart",
                    namespace: "prod",
                    canaryWeight: 5,
                    lanes: { definitions: [{ name: "gray" }, { name: "gray" }] },
                }),
            /lanes\.definitions\[1\]\.name.*duplicates lane "gray"/,
        );
    });

    it("property: every hop of every lane resolves to an existing subset, and traffic outside lanes is split as without lanes", () => {
        const service = (name: string) =>
            fc.record({
                name: fc.constant(name),
                canaryWeight: fc.integer({ min: 0, max: 100 }),
                canaryAvailable: fc.boolean(),
                canaryIn: fc.subarray(["gray", "blue"]),
                enter: fc.option(fc.constantFrom("gray", "blue"), { nil: undefined }),
            });
        fc.assert(
            fc.property(fc.tuple(service("front"), service("cart"), service("pricing")), (chain) => {
                for (const lane of LANES) {
                    const header = lane.header ?? "x-gray-lane";
                    const subsets = walk(chain, { headers: { [header]: lane.name }, via: "mesh" });
                    chain.forEach((s, i) => {
                        // At weight 0 a canary with pods still serves opt-in, allowlist and lane requests (keepOptInAtZero).
                        const expected = s.canaryIn.includes(lane.name) && s.canaryAvailable ? "canary" : "stable";
                        assert.equal(subsets[i], expected, `${lane.name} at ${s.name}: ${JSON.stringify(s)}`);
                        if (subsets[i] === "canary") assert.ok(s.canaryAvailable, "canary subset has pods");
                    });
                }
                for (const s of chain) {
                    // Lane routes, and the entry routes a front without a reachable canary keeps (to stable), are lane traffic.
                    const entersToStable = (r: HttpRoute) => r.headers?.request?.set !== undefined && r.route?.[0]?.destination?.subset === "stable";
                    const strip = (routes: HttpRoute[]) =>
                        routes
                            .filter((r) => !r.name?.startsWith("lane-") && !entersToStable(r))
                            .map((r) => ({ name: r.name, match: r.match, route: r.route, mirror: r.mirror }));
                    assert.deepEqual(strip(spec(s).http ?? []), strip(spec(s, undefined).http ?? []), `${s.name}: outside lanes`);
                }
            }),
            { numRuns: 300 },
        );
    });
});
