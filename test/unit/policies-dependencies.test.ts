import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allPolicies } from "../../policies/all";
import { resetMirroredConfig } from "../../policies/config";
import { parsePromotionsOutput, T } from "../../policies/contracts";
import { parseDuration } from "../../policies/lib/durations";
import { normalizeHost } from "../../policies/lib/k8s";
import { cliReader, findProjectDir, resetUpstreamCache } from "../../policies/lib/upstream";
import {
    fakeUpstreams,
    type ResourceSpec,
    release,
    resourceArgs,
    restoreUpstreamReader,
    runBothResource,
    runResource,
    runStack,
    urnOf,
} from "../support/policy-harness";

const VS = "kubernetes:networking.istio.io/v1beta1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1beta1:DestinationRule";
const PA = "kubernetes:security.istio.io/v1beta1:PeerAuthentication";

function routing(stack = "prod", subsets = ["stable", "canary"], vsSubsets = ["stable", "canary"], ns = "shop-gray"): ResourceSpec[] {
    const parent = urnOf(T.canaryRouting, "checkout", stack);
    return [
        { type: T.canaryRouting, name: "checkout", stack, props: { host: "checkout", canaryWeight: 5 }, urn: parent },
        {
            type: DR,
            name: "checkout-dr",
            stack,
            parent,
            urn: urnOf(DR, "checkout-dr", stack, [T.canaryRouting]),
            props: {
                apiVersion: "networking.istio.io/v1beta1",
                kind: "DestinationRule",
                metadata: { name: "checkout", namespace: ns },
                spec: { host: "checkout", subsets: subsets.map((n) => ({ name: n, labels: { version: n } })) },
            },
        },
        {
            type: VS,
            name: "checkout-vs",
            stack,
            parent,
            urn: urnOf(VS, "checkout-vs", stack, [T.canaryRouting]),
            props: {
                apiVersion: "networking.istio.io/v1beta1",
                kind: "VirtualService",
                metadata: { name: "checkout", namespace: ns },
                spec: {
                    hosts: ["checkout"],
                    http: [
                        {
                            match: [{ headers: { "x-canary": { exact: "true" } } }],
                            route: [{ destination: { host: "checkout", subset: vsSubsets[1] } }],
                        },
                        {
                            route: [
                                { destination: { host: `checkout.${ns}.svc.cluster.local`, subset: vsSubsets[0] }, weight: 95 },
                                { destination: { host: "checkout", subset: vsSubsets[1] }, weight: 5 },
                            ],
                        },
                    ],
                },
            },
        },
    ];
}

function grayNamespace(
    over: { labels?: Record<string, string>; mtls?: string; np?: Record<string, unknown>; quota?: Record<string, unknown> | null } = {},
): ResourceSpec[] {
    const stack = "staging";
    const parent = urnOf(T.grayNamespace, "shop-gray", stack);
    const kid = (type: string, name: string, props: Record<string, unknown>): ResourceSpec => ({
        type,
        name,
        stack,
        parent,
        urn: urnOf(type, name, stack, [T.grayNamespace]),
        props,
    });
    const out: ResourceSpec[] = [
        { type: T.grayNamespace, name: "shop-gray", stack, urn: parent, props: { namespaceName: "shop-gray" } },
        kid(T.namespace, "shop-gray", { metadata: { name: "shop-gray", labels: over.labels ?? { "istio-injection": "enabled" } } }),
        kid(PA, "shop-gray-mtls", {
            apiVersion: "security.istio.io/v1beta1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "shop-gray" },
            spec: { mtls: { mode: over.mtls ?? "STRICT" } },
        }),
        kid(T.networkPolicy, "shop-gray-deny", {
            metadata: { name: "default-deny-all", namespace: "shop-gray" },
            spec: over.np ?? { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }),
    ];
    if (over.quota !== null)
        out.push(
            kid(T.resourceQuota, "shop-gray-quota", {
                metadata: { name: "gray-quota" },
                spec: { hard: over.quota ?? { "limits.cpu": "8", "limits.memory": "16Gi", pods: "50" } },
            }),
        );
    return out;
}

describe("policies: dependency rules", () => {
    describe("virtualservice-subsets-defined (stack)", () => {
        it("passes when every routed subset is defined (short and FQDN hosts)", async () => {
            assert.deepEqual((await runStack("virtualservice-subsets-defined", routing())).violations, []);
        });
        it("flags a route to an undefined subset, with field path", async () => {
            const { violations } = await runStack("virtualservice-subsets-defined", routing("prod", ["stable", "canary"], ["stable", "v2"]));
            assert.equal(violations.length, 2);
            assert.match(violations[0]!.message, /subset 'v2', which DestinationRule checkout does not define \(defined: stable, canary\)/);
            assert.match(violations[0]!.message, /field spec\.http\[0\]\.route\[0\]\.destination\.subset/);
            assert.equal(violations[0]!.urn, urnOf(VS, "checkout-vs", "prod", [T.canaryRouting]));
        });
        it("flags a route whose host has no DestinationRule", async () => {
            const specs = routing().filter((s) => s.type !== DR);
            const { violations } = await runStack("virtualservice-subsets-defined", specs);
            assert.ok(violations.length >= 1);
            assert.match(violations[0]!.message, /no DestinationRule in this stack defines host 'checkout\.shop-gray\.svc\.cluster\.local'/);
        });
        it("normalizes hosts", () => {
            assert.equal(normalizeHost("checkout", "shop"), "checkout.shop.svc.cluster.local");
            assert.equal(normalizeHost("checkout.shop", "x"), "checkout.shop.svc.cluster.local");
            assert.equal(normalizeHost("checkout.shop.svc.cluster.local", "x"), "checkout.shop.svc.cluster.local");
        });
    });

    describe("gray-namespace-baseline (stack)", () => {
        it("passes a complete gray namespace", async () => {
            assert.deepEqual((await runStack("gray-namespace-baseline", grayNamespace())).violations, []);
        });
        it("accepts istio.io/rev instead of istio-injection", async () => {
            assert.deepEqual((await runStack("gray-namespace-baseline", grayNamespace({ labels: { "istio.io/rev": "1-22" } }))).violations, []);
        });
        it("flags each missing piece with where and how", async () => {
            const { violations } = await runStack(
                "gray-namespace-baseline",
                grayNamespace({
                    labels: {},
                    mtls: "PERMISSIVE",
                    np: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
                    quota: null,
                }),
            );
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 4, text);
            assert.match(text, /sidecar injection is not enabled.*metadata\.labels\['istio-injection'\]/);
            assert.match(text, /no namespace-wide STRICT mTLS/);
            assert.match(text, /no default-deny ingress NetworkPolicy/);
            assert.match(text, /no ResourceQuota/);
        });
        it("checks egress deny and quota keys when configured", async () => {
            const { violations } = await runStack(
                "gray-namespace-baseline",
                grayNamespace({ np: { podSelector: {}, policyTypes: ["Ingress"] }, quota: { pods: "10" } }),
                { config: { requireEgressDeny: true, requiredQuotaKeys: ["limits.memory"] } },
            );
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 2, text);
            assert.match(text, /default-deny egress/);
            assert.match(text, /does not set limits\.memory/);
        });
    });

    describe("canary-namespace-otel-coverage (stack)", () => {
        const collector = (props: Record<string, unknown>, stack = "prod"): ResourceSpec => ({ type: T.otelCollector, name: "otel", stack, props });
        it("passes when a collector watches the canary namespace", async () => {
            assert.deepEqual(
                (
                    await runStack("canary-namespace-otel-coverage", [
                        ...routing(),
                        collector({ namespace: "observability", watchedNamespaces: ["shop", "shop-gray"] }),
                    ])
                ).violations,
                [],
            );
            assert.deepEqual(
                (await runStack("canary-namespace-otel-coverage", [...routing(), collector({ namespace: "shop-gray" })])).violations,
                [],
            );
        });
        it("treats a collector without watchedNamespaces as covering every namespace (DaemonSet agent)", async () => {
            assert.deepEqual(
                (await runStack("canary-namespace-otel-coverage", [...routing(), collector({ namespace: "observability" })])).violations,
                [],
            );
            assert.deepEqual(
                (
                    await runStack("canary-namespace-otel-coverage", [
                        ...routing(),
                        collector({ namespace: "observability", watchedNamespaces: ["*"] }),
                    ])
                ).violations,
                [],
            );
        });
        it("counts the collectors a services stack's PlatformReference records", async () => {
            const platformRef = (collectors: unknown[]): ResourceSpec => ({
                type: T.platformReference,
                name: "platform",
                stack: "prod",
                props: { environment: "prod", namespaces: ["shop-gray"], collectors },
            });
            assert.deepEqual(
                (
                    await runStack("canary-namespace-otel-coverage", [
                        ...routing(),
                        platformRef([{ namespace: "observability", watchedNamespaces: ["*"] }]),
                    ])
                ).violations,
                [],
            );
            const { violations } = await runStack("canary-namespace-otel-coverage", [
                ...routing(),
                platformRef([{ namespace: "observability", watchedNamespaces: ["other"] }]),
            ]);
            assert.equal(violations.length, 1);
        });
        it("flags canaries when there is no collector at all", async () => {
            const { violations } = await runStack("canary-namespace-otel-coverage", [
                ...routing(),
                { ...release({ namespace: "shop-gray" }), name: "checkout-release" },
            ]);
            assert.equal(violations.length, 2);
            assert.match(violations[0]!.message, /collectors: none/);
            assert.match(violations[0]!.message, /deploy an OtelCollector/);
        });
        it("flags a canary namespace no collector reaches", async () => {
            const { violations } = await runStack("canary-namespace-otel-coverage", [
                ...routing(),
                collector({ namespace: "observability", watchedNamespaces: ["shop"] }),
            ]);
            assert.equal(violations.length, 1);
            assert.equal(violations[0]!.urn, urnOf(T.canaryRouting, "checkout", "prod"));
            assert.match(violations[0]!.message, /namespace 'shop-gray', which no OpenTelemetry collector reaches/);
            assert.match(violations[0]!.message, /add 'shop-gray' to an OtelCollector's watchedNamespaces/);
            assert.match(violations[0]!.message, /collectors: observability\[shop\]/);
        });
    });

    describe("thanos-retention-covers-slo-window (stack)", () => {
        const thanos = (props: Record<string, unknown>): ResourceSpec => ({ type: T.thanos, name: "thanos", stack: "prod", props });
        it("passes when raw retention covers window and delays", async () => {
            const props = {
                storageType: "aws",
                rawRetention: "30d",
                downsampleDelays: { "5m": "40h", "1h": "10d" },
                longestSloWindow: "28d",
                bucket: "metrics",
            };
            assert.deepEqual((await runStack("thanos-retention-covers-slo-window", [thanos(props)])).violations, []);
        });
        it("accepts 0d (forever) and the component's output names", async () => {
            assert.deepEqual(
                (await runStack("thanos-retention-covers-slo-window", [thanos({ rawRetention: "0d", longestSloWindow: "400d" })])).violations,
                [],
            );
            assert.deepEqual(
                (await runStack("thanos-retention-covers-slo-window", [thanos({ retention: { raw: "45d" }, bucketName: "m" })])).violations,
                [],
            );
        });
        it("flags raw retention shorter than the SLO window or a delay", async () => {
            const props = { rawRetention: "7d", downsampleDelays: ["40h", "10d"], longestSloWindow: "28d" };
            const { violations } = await runStack("thanos-retention-covers-slo-window", [thanos(props)]);
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 2, text);
            assert.match(text, /raw retention 7d is shorter than longestSloWindow 28d/);
            assert.match(text, /shorter than downsampleDelays\[1\] 10d/);
            assert.match(text, /field rawRetention/);
        });
        it("parses durations", () => {
            assert.equal(parseDuration("1h30m"), 90 * 60_000);
            assert.equal(parseDuration("2w"), 14 * 86_400_000);
            assert.throws(() => parseDuration("7 days"));
        });
    });

    describe("thanos-single-compactor-per-bucket (stack)", () => {
        const SS = T.statefulSet;
        const thanosWithCompactor = (name: string, bucket: string, replicas = 1): ResourceSpec[] => {
            const parent = urnOf(T.thanos, name, "prod");
            return [
                { type: T.thanos, name, stack: "prod", urn: parent, props: { bucket } },
                {
                    type: SS,
                    name: `${name}-compactor`,
                    stack: "prod",
                    parent,
                    urn: urnOf(SS, `${name}-compactor`, "prod", [T.thanos]),
                    props: { metadata: { name: `${name}-compactor` }, spec: { replicas } },
                },
            ];
        };
        it("passes one compactor per bucket", async () => {
            assert.deepEqual(
                (await runStack("thanos-single-compactor-per-bucket", [...thanosWithCompactor("a", "m1"), ...thanosWithCompactor("b", "m2")]))
                    .violations,
                [],
            );
        });
        it("flags two compactors on one bucket and replicas > 1", async () => {
            const { violations } = await runStack("thanos-single-compactor-per-bucket", [
                ...thanosWithCompactor("a", "m1"),
                ...thanosWithCompactor("b", "m1", 2),
            ]);
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 2, text);
            assert.match(text, /runs 2 replicas on bucket 'm1'.*field spec\.replicas/);
            assert.match(text, /bucket 'm1' has 2 Thanos compactors \(a-compactor, b-compactor\)/);
        });
    });

    describe("promotion-order", () => {
        const promoted = (...versions: string[]) => ({
            checkout: versions.map((version, i) => ({ image: version, at: `2025-03-0${i + 1}T10:00:00Z` })),
        });
        afterEach(() => restoreUpstreamReader());
        const start = (version: string, stack = "prod") =>
            release({ canaryImage: version, previousWeight: 0, weight: 1, stepIndex: 0, action: "start" }, stack);

        it("allows a prod start of a version the staging stack promoted", async () => {
            const reads = fakeUpstreams({ staging: promoted("v2.3.0", "v2.4.0") });
            assert.deepEqual((await runResource("promotion-order", start("v2.4.0"))).violations, []);
            assert.deepEqual(reads, ["staging"]);
        });
        it("denies a prod start of a version staging did not promote, listing what it promoted", async () => {
            fakeUpstreams({ staging: promoted("v2.3.0", "v2.4.0") });
            const { violations } = await runResource("promotion-order", start("v2.5.0"));
            assert.equal(violations.length, 1);
            const m = violations[0]!.message;
            assert.match(
                m,
                /^\[prod\] canary 'checkout' version v2\.5\.0 starts in prod but upstream stack 'staging' has not promoted it \(its promotions of 'checkout': v2\.3\.0, v2\.4\.0\)/,
            );
            assert.match(m, /field canaryImage/);
            fakeUpstreams({ staging: { payments: [{ image: "v2.5.0", at: "2025-03-01T10:00:00Z" }] } });
            assert.match((await runResource("promotion-order", start("v2.5.0"))).violations[0]!.message, /promotions of 'checkout': none/);
        });
        it("denies when the upstream stack cannot be read, naming the stack and the error", async () => {
            fakeUpstreams({ staging: new Error("error: current stack does not have output property 'promotions'") });
            const { violations } = await runResource("promotion-order", start("v2.4.0"));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /promotions of upstream stack 'staging' cannot be read.*does not have output property 'promotions'/);
            fakeUpstreams({});
            assert.match(
                (await runResource("promotion-order", start("v2.4.0"))).violations[0]!.message,
                /upstream stack 'staging'.*no stack named 'staging' found/,
            );
        });
        it("gates staging on dev only when configured in upstreamStacks", async () => {
            const reads = fakeUpstreams({ dev: promoted("v2.4.0"), staging: promoted() });
            assert.deepEqual((await runResource("promotion-order", start("v9.9.9", "staging"))).violations, []);
            assert.deepEqual(reads, [], "staging has no upstream by default: nothing is read");
            const cfg = { config: { upstreamStacks: { staging: "dev", prod: "staging" } } };
            assert.equal((await runResource("promotion-order", start("v9.9.9", "staging"), cfg)).violations.length, 1);
            assert.deepEqual((await runResource("promotion-order", start("v2.4.0", "staging"), cfg)).violations, []);
            assert.deepEqual((await runResource("promotion-order", start("v2.4.0", "dev"), cfg)).violations, [], "dev has no upstream");
            const renamed = { config: { upstreamStacks: { prod: "acme/gray-release/stg-eu" } } };
            fakeUpstreams({ "acme/gray-release/stg-eu": promoted("v2.4.0") });
            assert.deepEqual((await runResource("promotion-order", start("v2.4.0"), renamed)).violations, []);
        });
        it("gates a 0% → >0% rise and a manual promote of a version that never ran here, not steps, holds or rollbacks", async () => {
            const reads = fakeUpstreams({ staging: promoted("v2.4.0") });
            assert.deepEqual((await runResource("promotion-order", release({ canaryImage: "v2.5.0" }))).violations, [], "1% → 5% advance");
            assert.deepEqual(
                (await runResource("promotion-order", release({ canaryImage: "v2.5.0", previousWeight: 5, weight: 5, action: "hold" }))).violations,
                [],
            );
            assert.deepEqual(
                (
                    await runResource(
                        "promotion-order",
                        release({ canaryImage: "v2.5.0", previousWeight: 25, weight: 0, action: "rollback", verdict: "fail" }),
                    )
                ).violations,
                [],
            );
            assert.deepEqual(
                (await runResource("promotion-order", release({ canaryImage: "v2.5.0", previousWeight: 50, weight: 0, action: "promote" })))
                    .violations,
                [],
                "promotion after progressing here",
            );
            assert.deepEqual(reads, []);
            const rise = await runResource("promotion-order", release({ canaryImage: "v2.5.0", previousWeight: 0, weight: 5, action: "advance" }));
            assert.match(rise.violations[0]!.message, /v2\.5\.0 starts in prod/);
            const promote = await runResource(
                "promotion-order",
                release({ canaryImage: "v2.5.0", previousWeight: 0, weight: 0, action: "promote", verdict: "none" }),
            );
            assert.match(promote.violations[0]!.message, /v2\.5\.0 is promoted in prod but upstream stack 'staging' has not promoted it/);
        });
        it("reads each upstream stack once per pack run (the advisory twin and later resources reuse it)", async () => {
            const reads = fakeUpstreams({ staging: promoted("v2.4.0") });
            resetMirroredConfig();
            resetUpstreamCache();
            const seen: string[] = [];
            for (const spec of [start("v2.4.0"), start("v2.5.0"), { ...start("v2.4.0"), name: "payments-release" }]) {
                for (const p of allPolicies.filter((x) => x.name.startsWith("promotion-order"))) {
                    await (p as any).validateResource(resourceArgs(spec), (m: string) => seen.push(m));
                }
            }
            assert.deepEqual(reads, ["staging"]);
            assert.equal(seen.length, 1, seen.join("\n"));
        });
        it("starts reading the upstream at the root Stack resource, and the CanaryRelease reuses that read", async () => {
            const reads = fakeUpstreams({ staging: promoted("v2.4.0") });
            resetMirroredConfig();
            resetUpstreamCache();
            const seen: string[] = [];
            const root = (stack: string): ResourceSpec => ({ type: "pulumi:pulumi:Stack", name: `gray-release-${stack}`, stack, props: {} });
            const twins = allPolicies.filter((x) => x.name.startsWith("promotion-order"));
            const validate = async (spec: ResourceSpec) => {
                for (const p of twins) await (p as any).validateResource(resourceArgs(spec), (m: string) => seen.push(m));
            };
            await validate(root("dev"));
            assert.deepEqual(reads, [], "dev has no upstream: nothing is read");
            await validate(root("prod"));
            assert.deepEqual(reads, ["staging"], "prod's upstream is read when the root Stack is analysed");
            await validate(start("v2.4.0"));
            await validate(start("v2.5.0"));
            assert.deepEqual(reads, ["staging"]);
            assert.equal(seen.length, 1, seen.join("\n"));
            assert.match(seen[0]!, /v2\.5\.0 starts in prod but upstream stack 'staging' has not promoted it/);
        });
        it("parses the promotions output strictly", () => {
            assert.deepEqual(parsePromotionsOutput({ a: [{ image: "1", at: "t" }], b: [] }), {
                ok: true,
                value: { a: [{ image: "1", at: "t" }], b: [] },
            });
            // Outputs written before `version` was renamed `image` still read.
            assert.deepEqual(parsePromotionsOutput({ a: [{ version: "1", at: "t" }] }), { ok: true, value: { a: [{ image: "1", at: "t" }] } });
            const bad = parsePromotionsOutput({ a: [{ version: 1 }], b: "x" });
            assert.equal(bad.ok, false);
            assert.deepEqual(bad.ok ? [] : bad.problems.map((p) => p.split(" ")[0]), ["'a[0].image'", "'a[0].at'", "'b'"]);
            assert.equal(parsePromotionsOutput([]).ok, false);
        });
        it("finds the project directory above the pack (the engine starts the pack in policies/)", () => {
            assert.equal(findProjectDir(path.join(__dirname, "..", "..", "policies", "lib")), path.resolve(__dirname, "..", ".."));
            assert.equal(findProjectDir(os.tmpdir()), undefined);
        });
        describe("the CLI reader", () => {
            let dir: string;
            let savedPath: string | undefined;
            before(() => {
                dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
                savedPath = process.env["PATH"];
            });
            after(() => {
                process.env["PATH"] = savedPath;
                fs.rmSync(dir, { recursive: true, force: true });
            });
            const fakeCli = (script: string) => {
                const bin = path.join(dir, "pulumi");
                fs.writeFileSync(bin, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
                process.env["PATH"] = `${dir}${path.delimiter}${savedPath ?? ""}`;
            };
            it("runs 'pulumi stack output promotions --json --stack <name>' in the project directory", async () => {
                fakeCli(
                    `[ "$*" = "stack output promotions --json --stack staging" ] || { echo "bad args: $*" >&2; exit 2; }\n[ -f Pulumi.yaml ] || { echo "not in project dir" >&2; exit 3; }\necho '{"checkout":[{"image":"v1","at":"t"}]}'`,
                );
                fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: x\n");
                assert.deepEqual(await cliReader("staging", { cwd: dir, timeoutMs: 10_000 }), {
                    ok: true,
                    promotions: { checkout: [{ image: "v1", at: "t" }] },
                });
            });
            it("returns the CLI's error, a malformed output, or a timeout as an error", async () => {
                fakeCli(`echo "error: no stack named 'staging' found" >&2; exit 255`);
                assert.deepEqual(await cliReader("staging", { cwd: dir, timeoutMs: 10_000 }), {
                    ok: false,
                    error: "error: no stack named 'staging' found",
                });
                fakeCli(`echo '["v1"]'`);
                const bad = await cliReader("staging", { cwd: dir, timeoutMs: 10_000 });
                assert.ok(!bad.ok && /does not follow the contract/.test(bad.error), JSON.stringify(bad));
                fakeCli("sleep 5");
                const slow = await cliReader("staging", { cwd: dir, timeoutMs: 300 });
                assert.ok(!slow.ok && /timed out after 300 ms/.test(slow.error), JSON.stringify(slow));
            });
        });
    });

    describe("images-pinned", () => {
        const deploy = (image: string, stack = "prod"): ResourceSpec => ({
            type: T.deployment,
            name: "checkout",
            stack,
            props: { metadata: { name: "checkout" }, spec: { template: { spec: { containers: [{ name: "app", image }] } } } },
        });
        const digest = `sha256:${"a".repeat(64)}`;
        it("passes a digest in prod and a version tag in staging", async () => {
            assert.deepEqual((await runResource("images-pinned", deploy(`registry.example.com/shop/checkout:2.4.0@${digest}`))).violations, []);
            assert.deepEqual((await runResource("images-pinned", deploy("registry.example.com:5000/shop/checkout:2.4.0", "staging"))).violations, []);
        });
        it("flags latest and untagged images everywhere, tags without digest in prod", async () => {
            const latest = await runResource("images-pinned", deploy("checkout:latest", "staging"));
            assert.match(latest.violations[0]!.message, /mutable tag 'latest'.*field spec\.template\.spec\.containers\[0\]\.image/);
            const untagged = await runResource("images-pinned", deploy("registry.example.com:5000/shop/checkout", "staging"));
            assert.match(untagged.violations[0]!.message, /has no tag/);
            const tagOnly = await runResource("images-pinned", deploy("checkout:2.4.0"));
            assert.match(tagOnly.violations[0]!.message, /a digest is required here/);
        });
        it("reports dev findings as advisory only", async () => {
            const r = await runBothResource("images-pinned", deploy("checkout:latest", "dev"));
            assert.equal(r.mandatory.violations.length, 0);
            assert.equal(r.advisory.violations.length, 1);
        });
    });
});
