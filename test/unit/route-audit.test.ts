import { strict as assert } from "node:assert";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { buildDestinationRuleSpec, buildVirtualServiceSpec, resolveCanaryRoutingArgs } from "../../components/canary-routing";
import {
    auditSnapshot,
    type ClusterSnapshot,
    compareDeployments,
    type DeploymentShape,
    type DestinationRuleShape,
    type HttpRouteShape,
    type PodShape,
    RouteAuditor,
    type RouteFinding,
    resolveHost,
    type ServiceShape,
    type VirtualServiceShape,
} from "../support/route-audit";
import { KubeHttpError, type KubeReader, kubeReaderFromKubeconfig, startRouteWatcher } from "../support/route-watcher";

const NS = "staging-gray";
const FQDN = `checkout.${NS}.svc.cluster.local`;

function pod(name: string, labels: Record<string, string>, opts: { ready?: boolean; terminating?: boolean; namespace?: string } = {}): PodShape {
    const p: PodShape = {
        metadata: { name, namespace: opts.namespace ?? NS, labels },
        status: { conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
    };
    if (opts.terminating) p.metadata.deletionTimestamp = "2025-01-01T00:00:00Z";
    return p;
}

function svc(name: string, selector: Record<string, string> | undefined, namespace = NS): ServiceShape {
    return { metadata: { name, namespace }, spec: selector === undefined ? {} : { selector } };
}

function dr(host: string, subsets: Record<string, Record<string, string>>, namespace = NS, name = "checkout"): DestinationRuleShape {
    return {
        metadata: { name, namespace },
        spec: { host, subsets: Object.entries(subsets).map(([n, labels]) => ({ name: n, labels })) },
    };
}

function vs(http: HttpRouteShape[], namespace = NS, name = "checkout"): VirtualServiceShape {
    return { metadata: { name, namespace }, spec: { http } };
}

const SUBSETS = { stable: { version: "v1" }, canary: { version: "v2" } };
const SELECTOR = { app: "checkout" };

function weighted(stable: number, canary: number, host = FQDN): HttpRouteShape {
    return {
        name: "weighted",
        route: [
            { destination: { host, subset: "stable" }, weight: stable },
            { destination: { host, subset: "canary" }, weight: canary },
        ],
    };
}

function snapshot(patch: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
    return {
        virtualServices: [vs([weighted(90, 10)])],
        destinationRules: [dr(FQDN, SUBSETS)],
        services: [svc("checkout", SELECTOR)],
        pods: [pod("stable-1", { app: "checkout", version: "v1" }), pod("stable-2", { app: "checkout", version: "v1" })],
        deployments: [],
        ...patch,
    };
}

function summary(findings: RouteFinding[]): Array<[string, string, string | undefined, number, string | undefined]> {
    return findings.map((f) => [f.route, f.kind, f.subset, f.readyPods, f.reason]);
}

describe("auditSnapshot", () => {
    it("flags a weighted subset with no ready pods and passes the one with ready pods", () => {
        const findings = auditSnapshot(snapshot());
        assert.deepEqual(summary(findings), [
            ["weighted", "route", "stable", 2, undefined],
            ["weighted", "route", "canary", 0, "no-ready-pods"],
        ]);
        assert.deepEqual(
            findings.map((f) => [f.ok, f.weight, f.service]),
            [
                [true, 90, `${NS}/checkout`],
                [false, 10, `${NS}/checkout`],
            ],
        );
    });

    it("ignores weight-0 and weightless destinations of a multi-destination route", () => {
        const noWeight: HttpRouteShape = {
            name: "w",
            route: [{ destination: { host: FQDN, subset: "stable" }, weight: 100 }, { destination: { host: FQDN, subset: "canary" } }],
        };
        assert.deepEqual(summary(auditSnapshot(snapshot({ virtualServices: [vs([weighted(100, 0)])] }))), [
            ["weighted", "route", "stable", 2, undefined],
        ]);
        assert.deepEqual(summary(auditSnapshot(snapshot({ virtualServices: [vs([noWeight])] }))), [["w", "route", "stable", 2, undefined]]);
    });

    it("counts a lone destination without weight as carrying all traffic", () => {
        const route: HttpRouteShape = { route: [{ destination: { host: FQDN, subset: "canary" } }] };
        const [f, ...rest] = auditSnapshot(snapshot({ virtualServices: [vs([route])] }));
        assert.equal(rest.length, 0);
        assert.deepEqual([f?.route, f?.weight, f?.ok, f?.reason], ["http[0]", 100, false, "no-ready-pods"]);
    });

    it("flags a multi-destination route whose weights are all 0", () => {
        const findings = auditSnapshot(snapshot({ virtualServices: [vs([weighted(0, 0)])] }));
        assert.deepEqual(summary(findings), [["weighted", "route", undefined, 0, "no-weighted-destination"]]);
    });

    it("counts mirror destinations unless their percentage is 0", () => {
        const mirrored = (pct: number | undefined): HttpRouteShape => {
            const r: HttpRouteShape = { ...weighted(100, 0), mirror: { host: FQDN, subset: "canary" } };
            if (pct !== undefined) r.mirrorPercentage = { value: pct };
            return r;
        };
        assert.deepEqual(summary(auditSnapshot(snapshot({ virtualServices: [vs([mirrored(5)])] }))), [
            ["weighted", "route", "stable", 2, undefined],
            ["weighted", "mirror", "canary", 0, "no-ready-pods"],
        ]);
        assert.equal(auditSnapshot(snapshot({ virtualServices: [vs([mirrored(undefined)])] }))[1]?.weight, 100);
        assert.equal(auditSnapshot(snapshot({ virtualServices: [vs([mirrored(0)])] })).length, 1);
        const mirrors: HttpRouteShape = {
            ...weighted(100, 0),
            mirrors: [{ destination: { host: FQDN, subset: "canary" }, percentage: { value: 1 } }],
        };
        assert.deepEqual(summary(auditSnapshot(snapshot({ virtualServices: [vs([mirrors])] })))[1], [
            "weighted",
            "mirror",
            "canary",
            0,
            "no-ready-pods",
        ]);
    });

    it("counts opt-in (match) routes ahead of the weighted split", () => {
        const optIn = {
            name: "canary-opt-in",
            match: [{ headers: { "x-canary": { exact: "true" } }, gateways: ["mesh"] }],
            route: [{ destination: { host: FQDN, subset: "canary" } }],
        };
        const s = snapshot({ virtualServices: [vs([optIn, weighted(100, 0)])] });
        const findings = auditSnapshot(s);
        assert.deepEqual(summary(findings), [
            ["canary-opt-in", "route", "canary", 0, "no-ready-pods"],
            ["weighted", "route", "stable", 2, undefined],
        ]);
        const withCanary = auditSnapshot({ ...s, pods: [...s.pods, pod("canary-1", { app: "checkout", version: "v2" })] });
        assert.deepEqual(
            withCanary.map((f) => f.readyPods),
            [1, 2],
        );
    });

    it("audits the VirtualService and DestinationRule the component builds: every canary route, mirror included", () => {
        const args = resolveCanaryRoutingArgs({
            service: "checkout",
            namespace: NS,
            canaryWeight: 20,
            allowlist: { ids: ["alice"] },
            pathPrefixes: ["/api/v2/"],
            mirrorPercent: 5,
        });
        const drSpec = buildDestinationRuleSpec(args);
        const stableLabels = drSpec.subsets?.find((x) => x.name === "stable")?.labels ?? {};
        const s: ClusterSnapshot = {
            virtualServices: [{ metadata: { name: "checkout", namespace: NS }, spec: buildVirtualServiceSpec(args) }],
            destinationRules: [{ metadata: { name: "checkout", namespace: NS }, spec: drSpec }],
            services: [svc("checkout", SELECTOR)],
            pods: [pod("s1", { ...SELECTOR, ...stableLabels })],
            deployments: [],
        };
        const findings = auditSnapshot(s);
        const canary = findings.filter((f) => f.subset === "canary");
        // opt-in, allowlist, path prefix, the 20 % destination and the 5 % mirror: all without a pod.
        assert.equal(canary.length, 5);
        assert.equal(canary.filter((f) => f.kind === "mirror").length, 1);
        assert.ok(canary.every((f) => !f.ok && f.reason === "no-ready-pods"));
        assert.deepEqual(
            findings.filter((f) => f.subset === "stable").map((f) => [f.weight, f.readyPods, f.ok]),
            [[80, 1, true]],
        );
    });

    it("resolves short, namespaced and fully qualified host names", () => {
        assert.deepEqual(resolveHost("checkout", NS), { name: "checkout", namespace: NS });
        assert.deepEqual(resolveHost("checkout.other", NS), { name: "checkout", namespace: "other" });
        assert.deepEqual(resolveHost("checkout.other.svc.cluster.local", NS), { name: "checkout", namespace: "other" });
        assert.equal(resolveHost("api.example.com", NS), undefined);
        assert.equal(resolveHost("*.other.svc.cluster.local", NS), undefined);
        for (const host of ["checkout", `checkout.${NS}`, FQDN]) {
            const s = snapshot({
                virtualServices: [vs([weighted(100, 0, host)])],
                destinationRules: [dr("checkout", SUBSETS)],
            });
            assert.deepEqual(summary(auditSnapshot(s)), [["weighted", "route", "stable", 2, undefined]], host);
        }
    });

    it("resolves a host in another namespace, with its DestinationRule there", () => {
        const s = snapshot({
            virtualServices: [vs([weighted(100, 0, "checkout.shop")], "edge", "front")],
            destinationRules: [dr("checkout", SUBSETS, "shop")],
            services: [svc("checkout", SELECTOR, "shop")],
            pods: [pod("a", { app: "checkout", version: "v1" }, { namespace: "shop" }), pod("b", { app: "checkout", version: "v1" })],
        });
        const [f] = auditSnapshot(s);
        assert.deepEqual([f?.virtualService, f?.service, f?.readyPods, f?.ok], ["edge/front", "shop/checkout", 1, true]);
    });

    it("flags a missing subset, a missing Service, a missing DestinationRule and an external host", () => {
        const noSubset = snapshot({ destinationRules: [dr(FQDN, { stable: { version: "v1" } })] });
        assert.deepEqual(summary(auditSnapshot(noSubset))[1], ["weighted", "route", "canary", 0, "subset-not-found"]);
        const noService = snapshot({ services: [svc("payments", SELECTOR)] });
        assert.deepEqual(
            auditSnapshot(noService).map((f) => f.reason),
            ["service-not-found", "service-not-found"],
        );
        const noDr = snapshot({ destinationRules: [dr("payments", SUBSETS)] });
        assert.deepEqual(
            auditSnapshot(noDr).map((f) => f.reason),
            ["destination-rule-not-found", "destination-rule-not-found"],
        );
        const external = snapshot({ virtualServices: [vs([{ route: [{ destination: { host: "api.example.com" } }] }])] });
        assert.deepEqual(
            auditSnapshot(external).map((f) => [f.ok, f.reason]),
            [[false, "unresolvable-host"]],
        );
    });

    it("needs no DestinationRule for a destination without subset", () => {
        const s = snapshot({ virtualServices: [vs([{ route: [{ destination: { host: "checkout" } }] }])], destinationRules: [] });
        assert.deepEqual(
            auditSnapshot(s).map((f) => [f.readyPods, f.ok]),
            [[2, true]],
        );
        assert.deepEqual(
            auditSnapshot({ ...s, pods: [] }).map((f) => [f.readyPods, f.reason]),
            [[0, "no-ready-pods"]],
        );
    });

    it("does not count pods that are not Ready or are terminating", () => {
        const pods = [
            pod("s1", { app: "checkout", version: "v1" }, { ready: false }),
            pod("s2", { app: "checkout", version: "v1" }, { terminating: true }),
            { metadata: { name: "s3", namespace: NS, labels: { app: "checkout", version: "v1" } }, status: {} },
            pod("c1", { app: "checkout", version: "v2" }),
        ];
        assert.deepEqual(summary(auditSnapshot(snapshot({ pods }))), [
            ["weighted", "route", "stable", 0, "no-ready-pods"],
            ["weighted", "route", "canary", 1, undefined],
        ]);
    });

    it("does not count pods of another Service carrying the subset labels", () => {
        const pods = [
            pod("other", { app: "payments", version: "v2" }),
            pod("s1", { app: "checkout", version: "v1" }),
            pod("elsewhere", { app: "checkout", version: "v2" }, { namespace: "other" }),
        ];
        assert.deepEqual(
            auditSnapshot(snapshot({ pods })).map((f) => f.readyPods),
            [1, 0],
        );
    });

    it("flags a Service without selector", () => {
        assert.deepEqual(
            auditSnapshot(snapshot({ services: [svc("checkout", undefined)] })).map((f) => f.reason),
            ["service-without-selector", "service-without-selector"],
        );
    });

    it("prefers the DestinationRule in the VirtualService's namespace, then the Service's", () => {
        const s = snapshot({
            virtualServices: [vs([weighted(50, 50, "checkout.shop")], "edge")],
            destinationRules: [dr("checkout.shop.svc.cluster.local", { stable: { version: "v9" } }, "edge"), dr("checkout", SUBSETS, "shop")],
            services: [svc("checkout", SELECTOR, "shop")],
            pods: [
                pod("s", { app: "checkout", version: "v1" }, { namespace: "shop" }),
                pod("c", { app: "checkout", version: "v2" }, { namespace: "shop" }),
            ],
        });
        // stable comes from the edge rule (v9: no pod), canary only exists in the shop rule (v2: one pod).
        assert.deepEqual(summary(auditSnapshot(s)), [
            ["weighted", "route", "stable", 0, "no-ready-pods"],
            ["weighted", "route", "canary", 1, undefined],
        ]);
    });
});

function deployment(name: string, uid: string, namespace = NS): DeploymentShape {
    return { metadata: { name, namespace, uid } };
}

describe("compareDeployments", () => {
    it("reports a changed UID as replaced and a disappearance as deleted, creations as nothing", () => {
        const prev = [deployment("checkout-v1", "u1"), deployment("checkout-v2", "u2"), deployment("checkout-v1", "u3", "other")];
        const next = [deployment("checkout-v1", "u1b"), deployment("checkout-v1", "u3", "other"), deployment("checkout-v3", "u4")];
        assert.deepEqual(compareDeployments(prev, next), [
            { change: "replaced", namespace: NS, name: "checkout-v1", previousUid: "u1", uid: "u1b" },
            { change: "deleted", namespace: NS, name: "checkout-v2", previousUid: "u2" },
        ]);
        assert.deepEqual(compareDeployments(next, next), []);
        assert.deepEqual(compareDeployments([], next), []);
    });
});

describe("RouteAuditor", () => {
    const healthy = snapshot({ virtualServices: [vs([weighted(100, 0)])] });
    const broken = snapshot(); // the 10 % canary destination has no pod
    const twoBroken = snapshot({ pods: [] }); // both destinations broken

    it("charges each broken destination the time since the previous sample (nominal for the first)", () => {
        const a = new RouteAuditor({ nominalIntervalMs: 250 });
        a.observe(broken, 1_000); // first sample: 250 ms
        a.observe(healthy, 1_200); // nothing
        a.observe(broken, 1_300); // 100 ms
        a.observe(twoBroken, 1_700); // 2 × 400 ms
        const r = a.report();
        assert.equal(r.routeSecondsWithoutReadyEndpoint, 1.15);
        assert.equal(r.samples, 4);
        assert.equal(r.maxGapMs, 400);
        assert.equal(r.violations.length, 4);
        assert.deepEqual(
            r.violations.map((v) => [v.at, v.intervalMs, v.subset, v.reason]),
            [
                [1_000, 250, "canary", "no-ready-pods"],
                [1_300, 100, "canary", "no-ready-pods"],
                [1_700, 400, "stable", "no-ready-pods"],
                [1_700, 400, "canary", "no-ready-pods"],
            ],
        );
        assert.deepEqual(r.routeSecondsByDestination, {
            [`${NS}/checkout#weighted:route:${FQDN}/canary`]: 0.75,
            [`${NS}/checkout#weighted:route:${FQDN}/stable`]: 0.4,
        });
        assert.equal(r.firstSampleAt, 1_000);
        assert.equal(r.lastSampleAt, 1_700);
    });

    it("counts failed samples as errors and measures gaps across them", () => {
        const a = new RouteAuditor();
        a.observe(healthy, 0);
        a.recordError(200, new Error("connect ECONNREFUSED"));
        a.observe(broken, 400);
        const r = a.report();
        assert.deepEqual([r.samples, r.errors, r.maxGapMs, r.routeSecondsWithoutReadyEndpoint], [2, 1, 400, 0.4]);
        assert.match(r.errorMessages[0] ?? "", /ECONNREFUSED/);
    });

    it("records Deployments replaced and deleted with the sample time", () => {
        const a = new RouteAuditor();
        const at = (deployments: DeploymentShape[], t: number): void => void a.observe({ ...healthy, deployments }, t);
        at([deployment("checkout-v1", "u1")], 0);
        at([deployment("checkout-v1", "u1"), deployment("checkout-v2", "u2")], 200);
        at([deployment("checkout-v1", "u1x"), deployment("checkout-v2", "u2")], 400);
        at([deployment("checkout-v1", "u1x")], 600);
        at([deployment("checkout-v1", "u1x"), deployment("checkout-v2", "u5")], 800);
        const r = a.report();
        assert.deepEqual(r.deploymentsReplaced, [{ at: 400, namespace: NS, name: "checkout-v1", previousUid: "u1", uid: "u1x" }]);
        assert.deepEqual(r.deploymentsDeleted, [{ at: 600, namespace: NS, name: "checkout-v2", previousUid: "u2" }]);
    });
});

describe("startRouteWatcher (fake API server)", () => {
    const lists: Record<string, { items: unknown[] }> = {
        "/api/v1/pods": { items: [pod("s1", { app: "checkout", version: "v1" })] },
        "/api/v1/services": { items: [svc("checkout", SELECTOR)] },
        "/apis/apps/v1/deployments": { items: [deployment("checkout-v1", "u1")] },
        // Only v1beta1 is served: the v1 lists answer 404.
        "/apis/networking.istio.io/v1beta1/virtualservices": { items: [vs([weighted(90, 10)])] },
        "/apis/networking.istio.io/v1beta1/destinationrules": { items: [dr(FQDN, SUBSETS)] },
    };

    it("samples without overlap, falls back to v1beta1 and counts failed samples as errors", async () => {
        let active = 0;
        let maxActive = 0;
        let calls = 0;
        const paths = new Set<string>();
        const client: KubeReader = {
            async get<T>(path: string): Promise<T> {
                calls++;
                paths.add(path);
                active++;
                maxActive = Math.max(maxActive, active);
                await new Promise((r) => setTimeout(r, 5));
                active--;
                if (path === "/api/v1/pods" && calls > 6 && calls <= 12) throw new Error("connect ECONNREFUSED");
                const body = lists[path];
                if (body === undefined) throw new KubeHttpError(404, path, "");
                return body as T;
            },
        };
        const w = startRouteWatcher(client, { intervalMs: 20 });
        await new Promise((r) => setTimeout(r, 300));
        const r = await w.stop();
        const after = calls;
        await new Promise((r) => setTimeout(r, 60));
        assert.equal(calls, after, "no sample after stop()");
        assert.ok(r.samples >= 5, `samples ${r.samples}`);
        assert.ok(r.errors >= 1, `errors ${r.errors}`);
        assert.ok(maxActive <= 7, `at most one sample's requests at once (${maxActive})`); // 5 lists + 2 v1 probes
        assert.equal(r.destinationsInLastSample, 2);
        assert.equal(r.violations.length, r.samples); // the canary subset has no pod in every sample
        assert.ok(r.violations.every((v) => v.subset === "canary" && v.reason === "no-ready-pods"));
        assert.deepEqual(r.deploymentsReplaced, []);
        assert.ok(paths.has("/apis/networking.istio.io/v1/virtualservices"));
    });

    it("reads through kubeReaderFromKubeconfig with a bearer token, 404 as KubeHttpError", async () => {
        const seen: Array<string | undefined> = [];
        const server = createServer((req, res) => {
            seen.push(req.headers.authorization);
            const body = lists[req.url ?? ""];
            res.writeHead(body ? 200 : 404, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body ?? { kind: "Status", code: 404 }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const { port } = server.address() as AddressInfo;
        const kubeconfig = [
            "apiVersion: v1",
            "kind: Config",
            "current-context: kwok",
            `clusters: [{ name: kwok, cluster: { server: 'http://127.0.0.1:${port}' } }]`,
            "users: [{ name: admin, user: { token: s3cret } }]",
            "contexts: [{ name: kwok, context: { cluster: kwok, user: admin } }]",
        ].join("\n");
        const reader = kubeReaderFromKubeconfig(kubeconfig);
        try {
            const pods = await reader.get<{ items: PodShape[] }>("/api/v1/pods");
            assert.equal(pods.items.length, 1);
            await assert.rejects(
                reader.get("/apis/networking.istio.io/v1/virtualservices"),
                (e: unknown) => e instanceof KubeHttpError && e.status === 404,
            );
            const r = await startRouteWatcher(reader, { intervalMs: 50 }).stop();
            assert.deepEqual([r.samples, r.errors, r.routeSecondsWithoutReadyEndpoint], [1, 0, 0.05]);
            assert.ok(seen.every((a) => a === "Bearer s3cret"));
        } finally {
            reader.close();
            await new Promise((r) => server.close(r));
        }
    });
});
