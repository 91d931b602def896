/**
 * Every Istio object the builders generate, checked by Istio itself: istioctl's `validate` command (Istio's
 * validation code, the checks istiod's webhook runs) and its offline `analyze` (the cross-object analyzers; with
 * `analyze-with-kube` also over the Services, Namespaces and Pods a cluster would hold, which the offline command
 * skips), built from the istio.io/istio module by toolchain/validators/build.sh (test/support/validators.ts).
 *
 * A JSON schema accepts much Istio refuses (an empty host, a negative weight, a broken regex, duplicate subsets):
 * the negative controls below prove the validator refuses them with Istio's own messages, so a validator that
 * accepted everything could not pass. The objects of the sample stacks are checked in validators-stacks.test.ts.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
    buildDestinationRule,
    buildVirtualService,
    type CanaryRoutingArgs,
    resolveCanaryRoutingArgs,
    type StickySessionArgs,
} from "../../components/canary-routing";
import { deploymentSpec, resolveCanaryWorkloadArgs, serviceSpec } from "../../components/canary-workload";
import { buildPeerAuthentication } from "../../components/gray-namespace";
import {
    documents,
    istioAnalyze,
    istioAnalyzeWithKube,
    istioctlValidate,
    istioProblems,
    istioValidateObjects,
    type KubeObject,
    plain,
    podsOf,
    requireValidatorsDir,
} from "../support/validators";

const base: CanaryRoutingArgs = { service: "checkout", namespace: "dev-gray", canaryWeight: 5 };

function routingObjects(args: CanaryRoutingArgs): KubeObject[] {
    const a = resolveCanaryRoutingArgs(args);
    return [plain(buildVirtualService(a)), plain(buildDestinationRule(a))];
}

/** The Service and Deployments CanaryWorkload renders for a routed service, so the analyzers see a real host. */
function workloadObjects(service: string, namespace: string, servicePort?: number): KubeObject[] {
    const w = resolveCanaryWorkloadArgs(
        {
            service,
            namespace,
            ...(servicePort !== undefined ? { servicePort } : {}),
            stableImage: `registry.example.com/shop/${service}:1.4.0`,
            canaryImage: `registry.example.com/shop/${service}:1.5.0`,
            stableVersionLabel: "1.4.0",
            canaryVersionLabel: "1.5.0",
        },
        "test",
    );
    const deployments = (["stable", "canary"] as const).map((track) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `${service}-${track}`, namespace },
        spec: plain(deploymentSpec(w, track)),
    }));
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { "istio-injection": "enabled" } } },
        { apiVersion: "v1", kind: "Service", metadata: { name: service, namespace }, spec: plain(serviceSpec(w)) },
        ...deployments,
        ...podsOf(deployments),
    ];
}

/** The ingress gateway the gateway-bound variants name (`istio-system/public`), as the platform would define it. */
const PUBLIC_GATEWAY: KubeObject = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "public", namespace: "istio-system" },
    spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*/*"] }],
    },
};

/** The routing variants the component documents: every option at least once. */
const VARIANTS: ReadonlyArray<[string, CanaryRoutingArgs]> = [
    ["defaults at 5 %", base],
    ["weight 0, opt-in kept", { ...base, canaryWeight: 0 }],
    ["weight 0, cut off", { ...base, canaryWeight: 0, keepOptInAtZero: false }],
    ["canary unavailable (rolled back / promoted)", { ...base, canaryWeight: 0, canaryAvailable: false }],
    ["weight 100", { ...base, canaryWeight: 100 }],
    [
        "allowlist, paths, regex opt-in",
        {
            ...base,
            canaryWeight: 25,
            optInHeaders: [
                { name: "x-canary", exact: "true" },
                { name: "x-build", regex: "^v2\\..*$" },
            ],
            allowlist: { header: "x-user-id", ids: ["staff-001", "+8613800000000", "a.b@example.com"], idsPerMatch: 2 },
            pathPrefixes: ["/api/v2/", "/beta"],
        },
    ],
    [
        "through an ingress gateway with a trusted header",
        {
            ...base,
            hosts: ["checkout.dev-gray.svc.cluster.local", "shop.example.com"],
            gateways: ["mesh", "istio-system/public"],
            optInThroughGateways: true,
            trustedGatewayHeader: { name: "x-jwt-staff", exact: "true" },
        },
    ],
    ["gateway only", { ...base, gateways: ["istio-system/public"], hosts: ["shop.example.com"] }],
    ["mirror at weight 0", { ...base, canaryWeight: 0, mirrorPercent: 12.5 }],
    [
        "retries, timeout, port, exportTo",
        { ...base, retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,reset,connect-failure" }, timeout: "10s", port: 8080, exportTo: ["."] },
    ],
    ["sticky header", { ...base, stickySession: { header: "x-user-id" } }],
    ["sticky cookie", { ...base, stickySession: { cookie: { name: "canary", ttl: "3600s", path: "/" } } }],
    [
        "connection pool and outlier detection overrides",
        {
            ...base,
            connectionPool: {
                maxConnections: 50,
                connectTimeout: "1s",
                http1MaxPendingRequests: 10,
                http2MaxRequests: 100,
                maxRequestsPerConnection: 5,
                idleTimeout: "30s",
            },
            outlierDetection: { consecutive5xxErrors: 3, interval: "5s", baseEjectionTime: "1m", maxEjectionPercent: 50 },
        },
    ],
    ["outlier detection off", { ...base, outlierDetection: { enabled: false } }],
    // The version labels CanaryWorkload puts on the pods of workloadObjects (stableVersionLabel / canaryVersionLabel).
    ["own subset labels", { ...base, subsetLabels: { stable: { version: "1.4.0" }, canary: { version: "1.5.0" } } }],
];

describe("Istio's own validation (istioctl validate / analyze) of the Istio objects we generate", function () {
    this.timeout(10 * 60 * 1000);
    before(async () => {
        await requireValidatorsDir();
    });

    describe("negative controls: Istio refuses what a JSON schema accepts", () => {
        const broken: KubeObject[] = [
            {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: "broken", namespace: "dev-gray" },
                spec: {
                    hosts: [""],
                    http: [
                        {
                            match: [{ headers: { "x-user-id": { regex: "^(staff-001" } } }],
                            route: [
                                { destination: { host: "checkout", subset: "stable" }, weight: -5 },
                                { destination: { host: "checkout", subset: "canary" }, weight: 105 },
                            ],
                        },
                    ],
                },
            },
            {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: "broken", namespace: "dev-gray" },
                spec: {
                    host: "checkout",
                    subsets: [
                        { name: "stable", labels: { "gray-release.io/track": "stable" } },
                        { name: "stable", labels: { "gray-release.io/track": "canary" } },
                    ],
                },
            },
            {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: { name: "default", namespace: "dev-gray" },
                spec: { mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "DISABLE" } } },
            },
        ];

        it("refuses an empty host, a negative weight, a broken regex, duplicate subsets and a selector-less port-level mTLS", async () => {
            const [vs, dr, pa] = await istioValidateObjects(broken);
            assert.ok(vs && dr && pa, "three verdicts");
            assert.equal(vs.valid, false, "the broken VirtualService is refused");
            assert.match(vs.error ?? "", /VirtualService\/dev-gray\/broken:/);
            assert.match(vs.error ?? "", /weight -5 < 0/);
            assert.match(
                vs.error ?? "",
                /"headers": error parsing regexp: missing closing \): `\^\(staff-001`; Istio uses RE2 style regex-based match/,
            );
            assert.match(vs.error ?? "", /empty domain name not allowed/);
            assert.equal(dr.valid, false, "the DestinationRule with duplicate subsets is refused");
            assert.match(dr.error ?? "", /duplicate subset names: stable/);
            assert.equal(pa.valid, false, "port-level mTLS without a selector is refused");
            assert.match(pa.error ?? "", /mesh\/namespace peer authentication cannot have port level mTLS/);
        });

        it("plain `istioctl validate -f` refuses the same file with the same messages", async () => {
            const dir = mkdtempSync(join(tmpdir(), "istio-negative-"));
            try {
                const file = join(dir, "broken.yaml");
                writeFileSync(file, documents(broken));
                const r = await istioctlValidate(file);
                assert.notEqual(r.code, 0, "istioctl validate exits non-zero");
                const out = `${r.stdout}\n${r.stderr}`;
                assert.match(out, /weight -5 < 0/);
                assert.match(out, /duplicate subset names: stable/);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        it("analyze: a route to an undefined subset and a host without a Service are reported (IST0101)", async () => {
            const [vs, dr] = routingObjects(base) as [KubeObject, KubeObject];
            const svc = workloadObjects("checkout", "dev-gray");
            const vsSpec = (vs as { spec: { http: Array<{ route: Array<{ destination: { subset?: string; host: string } }> }> } }).spec;
            const badSubset = structuredClone(vs);
            (badSubset.spec as typeof vsSpec).http.at(-1)!.route[0]!.destination.subset = "canary-v2";
            const badHost = structuredClone(vs);
            badHost.metadata = { name: "orphan", namespace: "dev-gray" };
            (badHost.spec as typeof vsSpec & { hosts: string[] }).hosts = ["orphan.dev-gray.svc.cluster.local"];
            for (const r of (badHost.spec as typeof vsSpec).http) for (const d of r.route) d.destination.host = "orphan.dev-gray.svc.cluster.local";

            const subsetMessages = await istioAnalyze([badSubset, dr!, ...svc]);
            assert.ok(
                subsetMessages.some(
                    (m) =>
                        m.code === "IST0101" &&
                        m.level === "Error" &&
                        /subset in destinationrule not found/.test(m.message) &&
                        /canary-v2/.test(m.message),
                ),
                `undefined subset reported: ${JSON.stringify(subsetMessages)}`,
            );
            // Offline, istioctl analyze leaves Services out (it skips the host analyzer); read as a cluster would
            // hold them, the same analyzers see the missing Service.
            const hostMessages = await istioAnalyzeWithKube([badHost, dr!, ...svc]);
            assert.ok(
                hostMessages.some(
                    (m) =>
                        m.code === "IST0101" &&
                        m.level === "Error" &&
                        /Referenced host not found: "orphan\.dev-gray\.svc\.cluster\.local"/.test(m.message),
                ),
                `host without a Service reported: ${JSON.stringify(hostMessages)}`,
            );
        });

        it("analyze: a subset whose labels select none of the workload's pods is reported (IST0173)", async () => {
            const objects = [
                ...routingObjects({ ...base, subsetLabels: { stable: { version: "1.4.0" }, canary: { version: "v1.5.0" } } }),
                ...workloadObjects("checkout", "dev-gray"),
            ];
            const messages = await istioAnalyzeWithKube(objects);
            assert.deepEqual(
                messages.filter((m) => m.level !== "Info").map((m) => `${m.code} ${m.message}`),
                ["IST0173 The Subset canary defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream)."],
            );
        });
    });

    describe("our builders", () => {
        it("every documented CanaryRouting variant validates, without warnings", async () => {
            const objects = VARIANTS.flatMap(([, args]) => routingObjects(args));
            const verdicts = await istioValidateObjects(objects);
            assert.ok(
                verdicts.every((v) => v.istio),
                "all are Istio kinds, checked by Istio's validation",
            );
            assert.deepEqual(istioProblems(verdicts), []);
        });

        it("the gray namespaces' PeerAuthentication (STRICT and PERMISSIVE) validates", async () => {
            const objects = (["STRICT", "PERMISSIVE"] as const).map((mode) => plain<KubeObject>(buildPeerAuthentication("dev-gray", mode)));
            const verdicts = await istioValidateObjects(objects);
            assert.ok(verdicts.every((v) => v.istio));
            assert.deepEqual(istioProblems(verdicts), []);
        });

        it("analyze: every variant with its Service and Deployments has no error or warning", async () => {
            // Each variant in a namespace of its own, so two VirtualServices never share a host.
            const objects = VARIANTS.flatMap(([, args], i) => {
                const namespace = `gray-${i}`;
                const hosts = args.hosts?.map((h) => h.replace("dev-gray", namespace));
                return [...routingObjects({ ...args, namespace, ...(hosts ? { hosts } : {}) }), ...workloadObjects("checkout", namespace, args.port)];
            });
            for (const messages of [await istioAnalyze([PUBLIC_GATEWAY, ...objects]), await istioAnalyzeWithKube([PUBLIC_GATEWAY, ...objects])]) {
                assert.deepEqual(
                    messages.filter((m) => m.level !== "Info"),
                    [],
                );
            }
        });
    });

    describe("property: random routing arguments", () => {
        const overlapping = (ps: readonly string[]): boolean => ps.some((p, i) => ps.some((q, j) => i !== j && q.startsWith(p)));
        const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
        const headerMatch = fc.oneof(
            fc.record({ name: headerName, exact: fc.stringMatching(/^[a-z0-9]{1,8}$/) }),
            fc.record({ name: headerName, regex: fc.constantFrom("v2|true", "canary.*", "^[0-9]+$", "^(a|b)\\.c$") }),
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
            // No prefix is a string prefix of another (see the skipped case below for the others).
            pathPrefixes: fc.uniqueArray(fc.stringMatching(/^\/[a-z0-9/]{0,10}$/), { maxLength: 3 }).filter((ps) => !overlapping(ps)),
            gateways: fc.constantFrom(["mesh"], ["mesh", "istio-system/public"], ["istio-system/public"]).map((g) => [...g]),
            optInThroughGateways: fc.boolean(),
            mirrorPercent: fc.option(fc.double({ min: 0.1, max: 100, noNaN: true }), { nil: undefined }),
            stickySession: fc.option(fc.constantFrom<StickySessionArgs>({ header: "x-user-id" }, { cookie: { name: "canary", ttl: "60s" } }), {
                nil: undefined,
            }),
            timeout: fc.option(fc.constantFrom("1s", "10s", "500ms"), { nil: undefined }),
        });

        it("400 generated VirtualService + DestinationRule pairs all pass istioctl validate (one process)", async () => {
            const samples = fc.sample(argsArb, { numRuns: 400, seed: 20261125 });
            const objects = samples.flatMap((patch) => routingObjects({ ...base, ...patch }));
            const started = Date.now();
            const verdicts = await istioValidateObjects(objects);
            const problems = istioProblems(verdicts).map((p) => {
                const i = Math.floor(verdicts.findIndex((v) => `${v.kind}/${v.namespace}/${v.name}: ${v.error ?? v.output}` === p) / 2);
                return `${p}\n  args: ${JSON.stringify(samples[i])}`;
            });
            assert.deepEqual(problems, [], `${problems.length} generated objects refused`);
            assert.equal(verdicts.length, 800);
            console.log(`      (istioctl validate: ${verdicts.length} objects in ${Date.now() - started} ms)`);
        });

        it("the routing schema refuses a path prefix covered by another (Istio warns that it is never used)", () => {
            assert.throws(
                () => routingObjects({ ...base, pathPrefixes: ["/apply", "/", "/ndnameca"] }),
                /pathPrefixes\[0\] = "\/apply": is covered by pathPrefixes\[1\] "\/"/,
            );
            assert.throws(
                () => routingObjects({ ...base, pathPrefixes: ["/api", "/api"] }),
                /pathPrefixes\[1\] = "\/api": is covered by pathPrefixes\[0\]/,
            );
        });

        it("on unconstrained path prefixes, the schema refuses exactly what Istio warns about, and Istio accepts the rest cleanly", async () => {
            const unconstrained = argsArb.chain((a) =>
                fc.array(fc.stringMatching(/^\/[a-z0-9/]{0,10}$/), { maxLength: 3 }).map((pathPrefixes) => ({ ...a, pathPrefixes })),
            );
            const samples = fc.sample(unconstrained, { numRuns: 200, seed: 42 });
            const accepted = samples.filter((patch) => {
                try {
                    routingObjects({ ...base, ...patch });
                    return true;
                } catch {
                    assert.ok(overlapping(patch.pathPrefixes), `refused without overlap: ${JSON.stringify(patch.pathPrefixes)}`);
                    return false;
                }
            });
            assert.ok(accepted.length < samples.length, "the generator does produce overlapping prefixes");
            const verdicts = await istioValidateObjects(accepted.flatMap((patch) => routingObjects({ ...base, ...patch })));
            assert.ok(
                verdicts.every((v) => v.valid),
                "nothing is refused outright",
            );
            assert.deepEqual(istioProblems(verdicts.filter((v) => v.output || v.warnings)), [], "no warning either");
        });

        it("and pass istioctl analyze with their Service (each pair in its own namespace)", async () => {
            const samples = fc.sample(argsArb, { numRuns: 60, seed: 7 });
            const objects = samples.flatMap((patch, i) => [
                ...routingObjects({ ...base, ...patch, namespace: `prop-${i}` }),
                ...workloadObjects("checkout", `prop-${i}`),
            ]);
            for (const messages of [await istioAnalyze([PUBLIC_GATEWAY, ...objects]), await istioAnalyzeWithKube([PUBLIC_GATEWAY, ...objects])]) {
                assert.deepEqual(
                    messages.filter((m) => m.level !== "Info"),
                    [],
                );
            }
        });
    });
});
