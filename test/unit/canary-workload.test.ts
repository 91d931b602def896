import { strict as assert } from "node:assert";
import { installMocks, ofType, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

import {
    CanaryWorkload,
    type CanaryWorkloadArgs,
    deploymentSpec,
    podLabels,
    resolveCanaryWorkloadArgs,
    WAIT_FOR_ANNOTATION,
} from "../../components/canary-workload";
import { STATS_HISTOGRAM_BUCKETS_ANNOTATION } from "../../components/common";

const base: CanaryWorkloadArgs = {
    service: "checkout",
    namespace: "dev-gray",
    stableImage: "registry.example.com/checkout:1.4.0",
    canaryImage: "registry.example.com/checkout:1.5.0",
    stableVersionLabel: "1.4.0",
    canaryVersionLabel: "1.5.0",
};

interface Container {
    image: string;
    securityContext: Record<string, unknown>;
    resources: { limits: Record<string, string> };
}
interface DeploymentInputs {
    metadata: { name: string };
    spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } };
}

describe("CanaryWorkload", () => {
    beforeEach(resetRecorded);

    it("runs stable and canary Deployments behind one Service", async () => {
        new CanaryWorkload("checkout", { ...base, canaryReplicas: 0 });
        await settle();
        const deployments = ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs as unknown as DeploymentInputs);
        assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ["checkout-canary", "checkout-stable"]);
        const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
        const stable = byName.get("checkout-stable")!;
        const canary = byName.get("checkout-canary")!;
        assert.equal(stable.spec.template.metadata.labels["version"], "1.4.0");
        assert.equal(canary.spec.template.metadata.labels["version"], "1.5.0");
        assert.equal(canary.spec.replicas, 0);
        const env = (d: DeploymentInputs) => (d.spec.template.spec.containers[0] as unknown as { env: Array<{ name: string; value: string }> }).env;
        assert.ok(env(canary).some((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES" && e.value === "service.version=1.5.0,deployment.track=canary"));
        assert.ok(env(stable).some((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES" && e.value === "service.version=1.4.0,deployment.track=stable"));
        assert.equal(stable.spec.template.spec.containers[0]!.image, base.stableImage);
        for (const d of deployments) {
            const c = d.spec.template.spec.containers[0]!;
            assert.equal(c.securityContext["readOnlyRootFilesystem"], true);
            assert.equal(c.securityContext["allowPrivilegeEscalation"], false);
            assert.ok(c.resources.limits["memory"] && c.resources.limits["cpu"]);
        }
        const services = ofType("kubernetes:core/v1:Service");
        assert.equal(services.length, 1);
        assert.deepEqual((services[0]!.inputs["spec"] as { selector: unknown }).selector, { app: "checkout" });
    });

    it("refuses an unpinned image, naming the key and value, and creates nothing", () => {
        assert.throws(
            () => new CanaryWorkload("bad", { ...base, canaryImage: "registry.example.com/checkout:latest" }),
            /canaryImage = "registry.example.com\/checkout:latest": image must be pinned/,
        );
        assert.equal(recorded().length, 0);
    });
});

describe("CanaryWorkload version labels and latency buckets", () => {
    const { stableVersionLabel: _s, canaryVersionLabel: _c, ...images } = base;

    it("labels pods with the version derived from each image by default: the tag, or a digest's first 12 hex digits", () => {
        const digest = `registry.example.com/checkout@sha256:${"0f".repeat(32)}`;
        const a = resolveCanaryWorkloadArgs({ ...images, canaryImage: digest });
        assert.deepEqual([podLabels(a, "stable")["version"], podLabels(a, "canary")["version"]], ["1.4.0", "0f0f0f0f0f0f"]);
        assert.equal(podLabels(resolveCanaryWorkloadArgs({ ...images, canaryVersionLabel: "v2" }), "canary")["version"], "v2", "a given label wins");
        assert.throws(
            () => resolveCanaryWorkloadArgs({ ...images, canaryImage: "registry.example.com/checkout:1.5.0-" }),
            /canaryImage = "registry.example.com\/checkout:1.5.0-": its version "1.5.0-" is not a label value .*give canaryVersionLabel/,
        );
    });

    it("keeps Istio's buckets by default (no annotation) and sets the sidecars' buckets when given others", () => {
        const annotations = (a: ReturnType<typeof resolveCanaryWorkloadArgs>, track: "stable" | "canary") =>
            (deploymentSpec(a, track).template as { metadata: { annotations: Record<string, string> } }).metadata;
        for (const track of ["stable", "canary"] as const) {
            assert.equal(annotations(resolveCanaryWorkloadArgs(images), track).annotations[STATS_HISTOGRAM_BUCKETS_ANNOTATION], undefined);
            const custom = resolveCanaryWorkloadArgs({ ...images, latencyBuckets: [1000, 300, 50] });
            assert.equal(annotations(custom, track).annotations[STATS_HISTOGRAM_BUCKETS_ANNOTATION], '{"istiocustom":[50,300,1000]}');
        }
        assert.throws(() => resolveCanaryWorkloadArgs({ ...images, latencyBuckets: [0, 300] }), /latencyBuckets\[0\] = 0/);
    });
});

describe("CanaryWorkload replicas and selectors", () => {
    beforeEach(resetRecorded);
    const deployment = (name: string) =>
        ofType("kubernetes:apps/v1:Deployment")
            .map((d) => d.inputs as unknown as DeploymentInputs & { spec: { selector: { matchLabels: Record<string, string> } } })
            .find((d) => d.metadata.name === name)!;

    it("selects on service and track only, so a new version is a rolling update, never a replacement", async () => {
        new CanaryWorkload("checkout", base);
        await settle();
        for (const track of ["stable", "canary"]) {
            const d = deployment(`checkout-${track}`);
            assert.deepEqual(d.spec.selector.matchLabels, { app: "checkout", "gray-release.io/track": track });
            assert.equal(d.spec.template.metadata.labels["gray-release.io/track"], track);
        }
    });

    it("sizes the canary for its traffic share, so a canary pod carries what a stable pod does", async () => {
        const cases: Array<[Partial<CanaryWorkloadArgs>, number]> = [
            [{ stableReplicas: 4, canaryWeight: 5 }, 1],
            [{ stableReplicas: 4, canaryWeight: 25 }, 2],
            [{ stableReplicas: 4, canaryWeight: 50 }, 4],
            [{ stableReplicas: 4, canaryWeight: 75 }, 12],
            [{ stableReplicas: 4, canaryWeight: 100 }, 4],
            [{ stableReplicas: 4, canaryWeight: 0 }, 1],
            [{ stableReplicas: 4, canaryWeight: 0, minCanaryReplicas: 2 }, 2],
            [{ stableReplicas: 4, canaryWeight: 75, maxCanaryReplicas: 6 }, 6],
            [{ stableReplicas: 4, canaryWeight: 50, canaryReplicas: 0 }, 0],
            [{}, 1],
        ];
        for (const [patch, expected] of cases) {
            resetRecorded();
            new CanaryWorkload("checkout", { ...base, ...patch });
            await settle();
            assert.equal(deployment("checkout-canary").spec.replicas, expected, JSON.stringify(patch));
        }
    });

    it("makes the provider wait for each Deployment's whole rollout on this generation, except at 0 replicas", async () => {
        new CanaryWorkload("checkout", { ...base, stableReplicas: 3, canaryWeight: 50 });
        await settle();
        const annotations = (name: string) =>
            (deployment(name) as unknown as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {};
        const waitFor = (n: number) => [
            `jsonpath={.status.updatedReplicas}=${n}`,
            `jsonpath={.status.availableReplicas}=${n}`,
            `jsonpath={.status.replicas}=${n}`,
        ];
        assert.deepEqual(JSON.parse(annotations("checkout-stable")[WAIT_FOR_ANNOTATION] ?? "null"), waitFor(3));
        assert.deepEqual(JSON.parse(annotations("checkout-canary")[WAIT_FOR_ANNOTATION] ?? "null"), waitFor(3));
        resetRecorded();
        // Scaled to 0 the status has no counts to match: the provider's own await (nothing routes there).
        new CanaryWorkload("checkout", { ...base, canaryReplicas: 0 });
        await settle();
        assert.equal(annotations("checkout-canary")[WAIT_FOR_ANNOTATION], undefined);
        assert.deepEqual(JSON.parse(annotations("checkout-stable")[WAIT_FOR_ANNOTATION] ?? "null"), waitFor(2));
    });

    it("refuses a maximum below the minimum", () => {
        assert.throws(
            () => new CanaryWorkload("bad", { ...base, minCanaryReplicas: 3, maxCanaryReplicas: 2 }),
            /maxCanaryReplicas = 2: must be at least minCanaryReplicas \(3\)/,
        );
    });
});
