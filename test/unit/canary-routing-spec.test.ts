import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    alternationRegex,
    buildDestinationRule,
    buildDestinationRuleSpec,
    buildVirtualService,
    buildVirtualServiceSpec,
    type CanaryRoutingArgs,
    escapeRe2,
    type HttpRoute,
    resolveCanaryRoutingArgs,
    splitWeights,
} from "../../components/canary-routing";

const base: CanaryRoutingArgs = {
    service: "checkout",
    namespace: "staging-gray",
    canaryWeight: 5,
};

function http(patch: Partial<CanaryRoutingArgs> = {}): HttpRoute[] {
    return buildVirtualServiceSpec(resolveCanaryRoutingArgs({ ...base, ...patch })).http ?? [];
}

function byName(routes: HttpRoute[], name: string): HttpRoute {
    const r = routes.find((x) => x.name === name);
    assert.ok(r, `route ${name} exists`);
    return r;
}

function subsets(route: HttpRoute): Array<[string | undefined, number | undefined]> {
    return (route.route ?? []).map((d) => [d.destination?.subset, d.weight]);
}

describe("buildVirtualServiceSpec", () => {
    it("routes the default opt-in headers to the canary, scoped to the mesh", () => {
        const optIn = byName(http(), "canary-opt-in");
        assert.deepEqual(optIn.match, [
            { headers: { "x-canary": { exact: "true" } }, gateways: ["mesh"] },
            { headers: { "x-env": { exact: "canary" } }, gateways: ["mesh"] },
        ]);
        assert.deepEqual(subsets(optIn), [["canary", undefined]]);
    });

    it("orders opt-in, allowlist, path prefix, then the weighted split", () => {
        const routes = http({ allowlist: { ids: ["alice"] }, pathPrefixes: ["/api/v2/"] });
        assert.deepEqual(
            routes.map((r) => r.name),
            ["canary-opt-in", "canary-allowlist", "canary-path-prefix", "weighted"],
        );
        assert.deepEqual(byName(routes, "canary-path-prefix").match, [{ uri: { prefix: "/api/v2/" } }]);
    });

    it("matches the allowlist with an escaped alternation, split into chunks", () => {
        const routes = http({ allowlist: { ids: ["+8613800000000", "a.b", "carol", "a.b"], idsPerMatch: 2 } });
        assert.deepEqual(byName(routes, "canary-allowlist").match, [
            { headers: { "x-user-id": { regex: "^(\\+8613800000000|a\\.b)$" } }, gateways: ["mesh"] },
            { headers: { "x-user-id": { regex: "^(carol)$" } }, gateways: ["mesh"] },
        ]);
    });

    it("supports regex opt-in headers and a custom allowlist header", () => {
        const routes = http({ optInHeaders: [{ name: "x-canary", regex: "v2|true" }], allowlist: { header: "x-phone", ids: ["138"] } });
        assert.deepEqual(byName(routes, "canary-opt-in").match?.[0]?.headers, { "x-canary": { regex: "v2|true" } });
        assert.deepEqual(Object.keys(byName(routes, "canary-allowlist").match?.[0]?.headers ?? {}), ["x-phone"]);
    });

    it("drops header opt-in when the list is empty", () => {
        assert.deepEqual(
            http({ optInHeaders: [] }).map((r) => r.name),
            ["weighted"],
        );
    });

    it("splits by weight, stable getting the rest", () => {
        assert.deepEqual(subsets(byName(http({ canaryWeight: 25 }), "weighted")), [
            ["stable", 75],
            ["canary", 25],
        ]);
        assert.deepEqual(subsets(byName(http({ canaryWeight: 100 }), "weighted")), [
            ["stable", 0],
            ["canary", 100],
        ]);
    });

    it("at weight 0 leaves the canary out of the split but keeps opt-in routes by default", () => {
        const routes = http({ canaryWeight: 0, allowlist: { ids: ["alice"] }, pathPrefixes: ["/api/v2/"] });
        assert.deepEqual(subsets(byName(routes, "weighted")), [["stable", 100]]);
        assert.equal(routes.length, 4);
    });

    it("at weight 0 with keepOptInAtZero false cuts the canary off completely", () => {
        const routes = http({ canaryWeight: 0, keepOptInAtZero: false, allowlist: { ids: ["a"] }, pathPrefixes: ["/v2/"], mirrorPercent: 10 });
        assert.equal(routes.length, 1);
        assert.deepEqual(subsets(routes[0] as HttpRoute), [["stable", 100]]);
        assert.equal(routes[0]?.mirror, undefined);
        // keepOptInAtZero only matters at weight 0.
        assert.equal(http({ canaryWeight: 1, keepOptInAtZero: false }).length, 2);
    });

    it("mirrors a percentage of the weighted route to the canary", () => {
        const weighted = byName(http({ canaryWeight: 0, mirrorPercent: 12.5 }), "weighted");
        assert.deepEqual(weighted.mirror, { host: "checkout.staging-gray.svc.cluster.local", subset: "canary" });
        assert.deepEqual(weighted.mirrorPercentage, { value: 12.5 });
    });

    it("puts retries and timeout on every route and the port on every destination", () => {
        const routes = http({ retries: { attempts: 2, perTryTimeout: "1s" }, timeout: "5s", port: 8080, mirrorPercent: 5 });
        for (const r of routes) {
            assert.deepEqual(r.retries, { attempts: 2, perTryTimeout: "1s" });
            assert.equal(r.timeout, "5s");
            for (const d of r.route ?? []) assert.deepEqual(d.destination?.port, { number: 8080 });
        }
        assert.deepEqual(byName(routes, "weighted").mirror?.port, { number: 8080 });
    });

    it("renders hosts, gateways and exportTo", () => {
        const spec = buildVirtualServiceSpec(
            resolveCanaryRoutingArgs({ ...base, hosts: ["checkout.example.com"], gateways: ["istio-system/public", "mesh"], exportTo: ["."] }),
        );
        assert.deepEqual(spec.hosts, ["checkout.example.com"]);
        assert.deepEqual(spec.gateways, ["istio-system/public", "mesh"]);
        assert.deepEqual(spec.exportTo, ["."]);
    });

    describe("gateway safety", () => {
        const gateways = ["mesh", "istio-system/public"];

        it("by default keeps opt-in and allowlist matches to sidecar traffic; paths apply everywhere", () => {
            const routes = http({ gateways, allowlist: { ids: ["a"] }, pathPrefixes: ["/api/v2/"] });
            for (const name of ["canary-opt-in", "canary-allowlist"]) {
                for (const m of byName(routes, name).match ?? []) assert.deepEqual(m.gateways, ["mesh"]);
            }
            assert.equal(byName(routes, "canary-path-prefix").match?.[0]?.gateways, undefined);
        });

        it("drops opt-in and allowlist routes when only ingress gateways are bound", () => {
            const routes = http({ gateways: ["istio-system/public"], allowlist: { ids: ["a"] } });
            assert.deepEqual(
                routes.map((r) => r.name),
                ["weighted"],
            );
        });

        it("when allowed through gateways with a trusted header, requires it on gateway traffic only", () => {
            const routes = http({
                gateways,
                optInThroughGateways: true,
                trustedGatewayHeader: { name: "x-jwt-staff", exact: "true" },
                optInHeaders: [{ name: "x-canary", exact: "true" }],
            });
            assert.deepEqual(byName(routes, "canary-opt-in").match, [
                { headers: { "x-canary": { exact: "true" } }, gateways: ["mesh"] },
                { headers: { "x-canary": { exact: "true" }, "x-jwt-staff": { exact: "true" } }, gateways: ["istio-system/public"] },
            ]);
        });

        it("when allowed through gateways without a trusted header, leaves matches unscoped", () => {
            const routes = http({ gateways, optInThroughGateways: true, optInHeaders: [{ name: "x-canary", exact: "true" }] });
            assert.deepEqual(byName(routes, "canary-opt-in").match, [{ headers: { "x-canary": { exact: "true" } } }]);
        });
    });
});

describe("buildDestinationRuleSpec", () => {
    const dr = (patch: Partial<CanaryRoutingArgs> = {}) => buildDestinationRuleSpec(resolveCanaryRoutingArgs({ ...base, ...patch }));

    it("selects the tracks by default, so a promotion (stable rolling to a new version) changes no subset", () => {
        assert.deepEqual(dr().subsets, [
            { name: "stable", labels: { "gray-release.io/track": "stable" } },
            { name: "canary", labels: { "gray-release.io/track": "canary" } },
        ]);
    });

    it("takes subset labels of the caller's own, and refuses two that select the same pods", () => {
        const subsetLabels = { stable: { version: "v1" }, canary: { version: "v2" } };
        assert.deepEqual(dr({ subsetLabels }).subsets, [
            { name: "stable", labels: { version: "v1" } },
            { name: "canary", labels: { version: "v2" } },
        ]);
        assert.throws(
            () => dr({ subsetLabels: { stable: { version: "v2" }, canary: { version: "v2" } } }),
            /subsetLabels = .*stable and canary select the same pods/,
        );
    });

    it("refuses subsets that can select the same pods: the same version with another label, or one selector inside the other", () => {
        const overlapping: Array<{ stable: Record<string, string>; canary: Record<string, string> }> = [
            { stable: { version: "1.4.0" }, canary: { version: "1.4.0", team: "shop" } },
            { stable: { app: "checkout" }, canary: { app: "checkout", version: "1.5.0" } },
            { stable: { version: "1.4.0" }, canary: { track: "canary" } },
        ];
        for (const subsetLabels of overlapping) {
            assert.throws(
                () => dr({ subsetLabels }),
                (err: unknown) => {
                    assert.match(
                        String(err),
                        /subsetLabels = \{"stable":.*: stable and canary can select the same pods \(one labelled \{.*\} is in both\): give them a label both name with different values/,
                    );
                    return true;
                },
                JSON.stringify(subsetLabels),
            );
        }
        const disjoint = { stable: { app: "checkout", version: "1.4.0" }, canary: { app: "checkout", version: "1.5.0" } };
        assert.deepEqual(
            dr({ subsetLabels: disjoint }).subsets?.map((x) => x.labels),
            [disjoint.stable, disjoint.canary],
        );
    });

    it("sets connection pool and outlier detection defaults, overridable field by field", () => {
        const tp = dr({ connectionPool: { maxConnections: 10 }, outlierDetection: { consecutive5xxErrors: 3 } }).trafficPolicy;
        assert.deepEqual(tp?.connectionPool, {
            tcp: { maxConnections: 10, connectTimeout: "3s" },
            http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024 },
        });
        assert.deepEqual(tp?.outlierDetection, { consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 50 });
        assert.equal(dr({ outlierDetection: { enabled: false } }).trafficPolicy?.outlierDetection, undefined);
    });

    it("renders sticky sessions as a consistent hash on a header or a cookie", () => {
        assert.deepEqual(dr({ stickySession: { header: "x-user-id" } }).trafficPolicy?.loadBalancer, {
            consistentHash: { httpHeaderName: "x-user-id" },
        });
        assert.deepEqual(dr({ stickySession: { cookie: { name: "s", ttl: "60s" } } }).trafficPolicy?.loadBalancer, {
            consistentHash: { httpCookie: { name: "s", ttl: "60s" } },
        });
        assert.equal(dr().trafficPolicy?.loadBalancer, undefined);
    });
});

describe("splitWeights and RE2 helpers", () => {
    it("refuses weights outside integer 0..100", () => {
        for (const w of [-1, 101, 0.5, Number.NaN]) assert.throws(() => splitWeights(w), RangeError);
    });

    it("escaped alternations match exactly the listed ids", () => {
        fc.assert(
            fc.property(
                fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
                fc.string({ maxLength: 12 }),
                (ids, other) => {
                    const re = new RegExp(alternationRegex(ids));
                    for (const id of ids) assert.ok(re.test(id), `matches ${JSON.stringify(id)}`);
                    assert.equal(re.test(other), ids.includes(other));
                },
            ),
        );
        assert.equal(escapeRe2("a.b+c"), "a\\.b\\+c");
    });
});

describe("routing properties", () => {
    const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    const headerMatch = fc.oneof(
        fc.record({ name: headerName, exact: fc.stringMatching(/^[a-z0-9]{1,8}$/) }),
        fc.record({ name: headerName, regex: fc.constantFrom("v2|true", "canary.*", "^[0-9]+$") }),
    );
    const argsArb = fc.record({
        canaryWeight: fc.integer({ min: 0, max: 100 }),
        keepOptInAtZero: fc.boolean(),
        optInHeaders: fc.array(headerMatch, { maxLength: 4 }),
        allowlist: fc.option(
            fc.record({
                ids: fc.array(fc.stringMatching(/^[+a-zA-Z0-9.@_-]{1,16}$/), { minLength: 1, maxLength: 30 }),
                idsPerMatch: fc.integer({ min: 1, max: 10 }),
            }),
            { nil: undefined },
        ),
        // No prefix covered by another: the schema refuses those (a match Envoy would never use).
        pathPrefixes: fc
            .array(fc.stringMatching(/^\/[a-z0-9/]{0,10}$/), { maxLength: 3 })
            .filter((ps) => ps.every((p, i) => ps.every((q, j) => i === j || !p.startsWith(q)))),
        gateways: fc.constantFrom(["mesh"], ["mesh", "istio-system/public"], ["istio-system/public"]),
        optInThroughGateways: fc.boolean(),
        mirrorPercent: fc.option(fc.double({ min: 0.1, max: 100, noNaN: true }), { nil: undefined }),
    });

    it("weights sum to 100, canary routes precede the split, weight 0 has no canary in the split, and the VirtualService validates", () => {
        fc.assert(
            fc.property(argsArb, (patch) => {
                const a = resolveCanaryRoutingArgs({ ...base, ...patch });
                const vs = buildVirtualService(a);
                vs.validate();
                const routes = vs.spec?.http ?? [];
                const last = routes[routes.length - 1];
                assert.ok(last);
                assert.equal(last.name, "weighted");
                assert.equal(last.match, undefined, "the split is the catch-all");
                assert.equal(
                    (last.route ?? []).reduce((s, d) => s + (d.weight ?? 0), 0),
                    100,
                );
                const canaryInSplit = (last.route ?? []).some((d) => d.destination?.subset === "canary");
                assert.equal(canaryInSplit, patch.canaryWeight > 0);
                for (const r of routes.slice(0, -1)) {
                    assert.ok((r.match ?? []).length > 0, "every route before the split has a match");
                    assert.deepEqual(
                        (r.route ?? []).map((d) => d.destination?.subset),
                        ["canary"],
                    );
                }
                if (patch.canaryWeight === 0 && !patch.keepOptInAtZero) assert.equal(routes.length, 1);
                if (!patch.optInThroughGateways) {
                    for (const r of routes.filter((x) => x.name === "canary-opt-in" || x.name === "canary-allowlist")) {
                        for (const m of r.match ?? []) assert.deepEqual(m.gateways, ["mesh"]);
                    }
                }
            }),
            { numRuns: 300 },
        );
    });

    it("the DestinationRule validates for any weight and subset labels", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 100 }), fc.stringMatching(/^v[0-9]{1,3}(\.[0-9]{1,3}){0,2}$/), (w, v) => {
                const a = resolveCanaryRoutingArgs({
                    ...base,
                    canaryWeight: w,
                    subsetLabels: { stable: { version: "stable" }, canary: { version: v } },
                });
                buildDestinationRule(a).validate();
                assert.equal(buildDestinationRuleSpec(a).subsets?.[1]?.labels?.["version"], v);
            }),
            { numRuns: 50 },
        );
    });
});
