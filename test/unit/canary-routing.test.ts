import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import {
    buildDestinationRule,
    buildVirtualService,
    CanaryRouting,
    type CanaryRoutingArgs,
    resolveCanaryRoutingArgs,
} from "../../components/canary-routing";
import { InvalidArgsError } from "../../components/common";
import { installMocks, ofType, outputValue, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const VS = "kubernetes:networking.istio.io/v1beta1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1beta1:DestinationRule";

const base: CanaryRoutingArgs = {
    service: "checkout",
    namespace: "staging-gray",
    canaryWeight: 5,
};

interface RecordedHttp {
    name?: string;
    match?: Array<{ headers?: Record<string, { exact?: string; regex?: string }>; gateways?: string[]; uri?: { prefix?: string } }>;
    route: Array<{ destination: { host: string; subset: string }; weight?: number }>;
    mirror?: { subset: string };
    mirrorPercentage?: { value: number };
}

describe("CanaryRouting component", () => {
    beforeEach(resetRecorded);

    it("creates a DestinationRule and a VirtualService with the rendered specs", async () => {
        const c = new CanaryRouting("checkout", base);
        await settle();
        const [dr] = ofType(DR);
        const [vs] = ofType(VS);
        assert.ok(dr && vs, "both custom resources are created");
        assert.equal(recorded().filter((r) => r.type.startsWith("kubernetes:")).length, 2);
        assert.equal(dr.inputs["apiVersion"], "networking.istio.io/v1beta1");
        assert.equal(dr.inputs["kind"], "DestinationRule");
        assert.deepEqual((dr.inputs["metadata"] as { name: string }).name, "checkout");
        assert.deepEqual((dr.inputs["metadata"] as { namespace: string }).namespace, "staging-gray");
        const drSpec = dr.inputs["spec"] as { host: string; subsets: Array<{ name: string; labels: Record<string, string> }> };
        assert.equal(drSpec.host, "checkout.staging-gray.svc.cluster.local");
        assert.deepEqual(drSpec.subsets, [
            { name: "stable", labels: { "gray-release.io/track": "stable" } },
            { name: "canary", labels: { "gray-release.io/track": "canary" } },
        ]);
        const http = (vs.inputs["spec"] as { http: RecordedHttp[] }).http;
        assert.deepEqual(
            http.map((r) => r.name),
            ["canary-opt-in", "weighted"],
        );
        assert.deepEqual(
            http[1]?.route.map((r) => [r.destination.subset, r.weight]),
            [
                ["stable", 95],
                ["canary", 5],
            ],
        );
        assert.equal(await outputValue(c.canaryWeight), 5);
        assert.equal(await outputValue(c.stableWeight), 95);
        assert.equal(await outputValue(c.virtualServiceName), "checkout");
        assert.equal(await outputValue(c.destinationRuleName), "checkout");
    });

    it("registers under its type token and parents its children", async () => {
        new CanaryRouting("checkout", base);
        await settle();
        assert.ok(recorded().some((r) => r.type === "gray-release:index:CanaryRouting"));
    });

    it("passes a provider down to its children", async () => {
        const seen: Array<{ type: string; provider: string | undefined }> = [];
        pulumi.runtime.setMocks(
            {
                newResource(a) {
                    seen.push({ type: a.type, provider: a.provider });
                    return { id: `${a.name}-id`, state: a.inputs };
                },
                call: (a) => a.inputs,
            },
            "gray-release",
            "test",
            false,
        );
        try {
            const k8s = await import("@pulumi/kubernetes");
            const provider = new k8s.Provider("cluster", {});
            new CanaryRouting("checkout", base, { provider });
            await settle();
            const children = seen.filter((r) => r.type.startsWith("kubernetes:networking.istio.io"));
            assert.equal(children.length, 2);
            assert.ok(
                children.every((r) => r.provider?.includes("::cluster::")),
                "both custom resources carry the provider",
            );
        } finally {
            installMocks();
        }
    });

    it("renders a canary without pods (promoted or rolled back): no route names the canary subset", async () => {
        new CanaryRouting("checkout", {
            ...base,
            canaryWeight: 0,
            canaryAvailable: false,
            allowlist: { ids: ["staff-001"] },
            pathPrefixes: ["/api/v2/"],
            mirrorPercent: 10,
        });
        await settle();
        const drSpec = ofType(DR)[0]?.inputs["spec"] as { subsets: Array<{ labels: Record<string, string> }> };
        assert.deepEqual(drSpec.subsets[0]?.labels, { "gray-release.io/track": "stable" });
        const http = (ofType(VS)[0]!.inputs["spec"] as { http: Array<RecordedHttp & { mirror?: unknown }> }).http;
        assert.deepEqual(
            http.map((r) => r.name),
            ["weighted"],
        );
        assert.deepEqual(
            http[0]?.route.map((r) => [r.destination.subset, r.weight]),
            [["stable", 100]],
        );
        assert.equal(http[0]?.mirror, undefined);
    });

    const rejected: Array<[string, Record<string, unknown>, RegExp]> = [
        ["weight above 100", { canaryWeight: 140 }, /canaryWeight = 140: must be 0\.\.100/],
        ["negative weight", { canaryWeight: -1 }, /canaryWeight = -1: must be 0\.\.100/],
        ["fractional weight", { canaryWeight: 2.5 }, /canaryWeight = 2\.5: must be an integer percentage/],
        ["uppercase service", { service: "Checkout" }, /service = "Checkout": must be a DNS-1123 label/],
        [
            "empty subset label value",
            { subsetLabels: { stable: { version: "" }, canary: { version: "v2" } } },
            /subsetLabels\.stable\.version = "": must not be empty/,
        ],
        [
            "weight on a canary without pods",
            { canaryWeight: 5, canaryAvailable: false },
            /canaryWeight = 5: must be 0 when `canaryAvailable` is false/,
        ],
        [
            "uppercase header",
            { optInHeaders: [{ name: "X-Canary", exact: "true" }] },
            /optInHeaders\[0\]\.name = "X-Canary": must be a lowercase header name/,
        ],
        [
            "header with both exact and regex",
            { optInHeaders: [{ name: "x-canary", exact: "true", regex: "t.*" }] },
            /optInHeaders\[0\] = .*exactly one of `exact` or `regex`/,
        ],
        [
            "lookahead regex",
            { optInHeaders: [{ name: "x-env", regex: "(?=canary)" }] },
            /optInHeaders\[0\]\.regex = "\(\?=canary\)": lookaround is not supported by RE2/,
        ],
        ["broken regex", { optInHeaders: [{ name: "x-env", regex: "(canary" }] }, /optInHeaders\[0\]\.regex = "\(canary": invalid regex/],
        ["empty allowlist", { allowlist: { ids: [] } }, /allowlist\.ids = \[\]: list at least one id/],
        ["allowlist id with a space", { allowlist: { ids: ["a b"] } }, /allowlist\.ids\[0\] = "a b": must not contain whitespace/],
        ["mirror of 0", { mirrorPercent: 0 }, /mirrorPercent = 0: must be above 0/],
        ["mirror above 100", { mirrorPercent: 101 }, /mirrorPercent = 101: must be at most 100/],
        ["bad timeout", { timeout: "10 seconds" }, /timeout = "10 seconds": must be a duration/],
        [
            "sticky with both",
            { stickySession: { header: "x-user-id", cookie: { name: "s" } } },
            /stickySession = .*exactly one of `header` or `cookie`/,
        ],
        ["path without slash", { pathPrefixes: ["api/v2"] }, /pathPrefixes\[0\] = "api\/v2": must start with '\/'/],
        [
            "trusted header without gateways opt-in",
            { trustedGatewayHeader: { name: "x-jwt-staff", exact: "true" } },
            /trustedGatewayHeader = .*only applies with `optInThroughGateways: true`/,
        ],
        ["bad gateway", { gateways: ["istio-system/Public"] }, /gateways\[0\] = "istio-system\/Public": must be `mesh`/],
        ["unknown key", { canaryWieght: 5 }, /canaryWieght/],
        ["missing weight", { canaryWeight: undefined }, /canaryWeight = undefined/],
    ];
    for (const [what, patch, message] of rejected) {
        it(`rejects ${what} naming key and value, creating nothing`, async () => {
            assert.throws(
                () => new CanaryRouting("checkout", { ...base, ...patch } as CanaryRoutingArgs),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidArgsError, `expected InvalidArgsError, got ${String(err)}`);
                    assert.match(err.message, /CanaryRouting "checkout": invalid input/);
                    assert.match(err.message, message);
                    return true;
                },
            );
            await settle();
            assert.deepEqual(recorded(), []);
        });
    }
});

describe("CanaryRouting rendered objects pass the Istio schema", () => {
    const variants: Array<[string, Partial<CanaryRoutingArgs>]> = [
        ["defaults", {}],
        ["weight 0", { canaryWeight: 0 }],
        ["weight 100", { canaryWeight: 100 }],
        [
            "everything",
            {
                canaryWeight: 25,
                port: 8080,
                gateways: ["mesh", "istio-system/public"],
                hosts: ["checkout.staging-gray.svc.cluster.local", "checkout.example.com"],
                optInHeaders: [{ name: "x-canary", regex: "v2|true" }],
                allowlist: { ids: ["alice", "+8613800000000"], idsPerMatch: 1 },
                pathPrefixes: ["/api/v2/"],
                optInThroughGateways: true,
                trustedGatewayHeader: { name: "x-jwt-staff", exact: "true" },
                mirrorPercent: 12.5,
                stickySession: { cookie: { name: "canary-session", ttl: "3600s", path: "/" } },
                retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure" },
                timeout: "10s",
                connectionPool: { maxConnections: 10, maxRequestsPerConnection: 1, idleTimeout: "60s" },
                outlierDetection: { consecutive5xxErrors: 3, maxEjectionPercent: 30 },
                exportTo: ["."],
            },
        ],
        ["sticky header, no outlier detection", { stickySession: { header: "x-user-id" }, outlierDetection: { enabled: false } }],
    ];
    for (const [what, patch] of variants) {
        it(`validates: ${what}`, () => {
            const a = resolveCanaryRoutingArgs({ ...base, ...patch });
            const vs = buildVirtualService(a);
            const dr = buildDestinationRule(a);
            vs.validate();
            dr.validate();
            assert.equal(vs.kind, "VirtualService");
            assert.equal(dr.kind, "DestinationRule");
        });
    }
});
