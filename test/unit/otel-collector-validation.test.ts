/** Invalid OtelCollector inputs are refused with an error naming the key and value, before anything exists. */
import { strict as assert } from "node:assert";
import { z } from "zod";
import { InvalidArgsError } from "../../components/common";
import { OtelCollector, type OtelCollectorArgs, otelCollectorArgsSchema } from "../../components/otel-collector";
import { installMocks, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const valid: OtelCollectorArgs = {
    namespace: "observability",
    traces: { endpoint: "tempo-distributor.tracing:4317" },
    metrics: { remoteWriteUrl: "http://prometheus.monitoring:9090/api/v1/write" },
};

/** Builds with `input`, expecting a rejection matching every pattern, and checks nothing was registered. */
async function rejects(input: unknown, ...patterns: RegExp[]): Promise<void> {
    resetRecorded();
    assert.throws(
        () => new OtelCollector("otel", input as OtelCollectorArgs),
        (err: unknown) => {
            assert.ok(err instanceof InvalidArgsError, String(err));
            assert.match(err.message, /OtelCollector "otel": invalid input/);
            for (const p of patterns) assert.match(err.message, p);
            return true;
        },
    );
    await settle();
    assert.deepEqual(recorded(), [], "nothing registered, not even the component");
}

describe("OtelCollector input validation", () => {
    it("accepts the minimal valid input", async () => {
        resetRecorded();
        new OtelCollector("otel", valid);
        await settle();
        assert.ok(recorded().length > 0);
    });

    it("rejects an unpinned image", async () => {
        await rejects(
            { ...valid, image: "otel/opentelemetry-collector-contrib:latest" },
            /image = "otel\/opentelemetry-collector-contrib:latest"/,
            /pinned/,
        );
        await rejects({ ...valid, image: "registry:5000/otelcol" }, /image = "registry:5000\/otelcol"/);
    });

    it("rejects an out-of-range sampling share and a non-positive latency threshold", async () => {
        await rejects(
            { ...valid, sampling: { probabilisticPercent: 150, latencyThresholdMs: 0 } },
            /sampling\.probabilisticPercent = 150/,
            /sampling\.latencyThresholdMs = 0/,
        );
    });

    it("rejects a canary policy that can match nothing", async () => {
        await rejects({ ...valid, sampling: { canaryVersions: [], canaryAttributes: [] } }, /sampling\.canaryAttributes = \[\]/);
        await rejects(
            { ...valid, sampling: { canaryAttributes: [{ key: "deployment.track", values: [] }] } },
            /sampling\.canaryAttributes\[0\]\.values = \[\]/,
        );
    });

    it("rejects a bad memory limit and a request above the limit", async () => {
        await rejects(
            { ...valid, gateway: { resources: { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "lots" } } },
            /gateway\.resources\.memoryLimit = "lots"/,
        );
        await rejects(
            { ...valid, agent: { resources: { cpuRequest: "100m", memoryRequest: "1Gi", cpuLimit: "1", memoryLimit: "512Mi" } } },
            /agent\.resources\.memoryRequest = "1Gi"/,
        );
        await rejects(
            { ...valid, agent: { resources: { cpuRequest: "100m", memoryRequest: "16Mi", cpuLimit: "1", memoryLimit: "32Mi" } } },
            /agent\.resources\.memoryLimit = "32Mi": must be at least 64Mi/,
        );
    });

    it("rejects bad endpoints, namespace, mode and replicas", async () => {
        await rejects(
            {
                ...valid,
                namespace: "Observability",
                mode: "helm",
                traces: { endpoint: "tempo" },
                metrics: { remoteWriteUrl: "prometheus:9090" },
                gateway: { replicas: 0 },
            },
            /namespace = "Observability"/,
            /mode = "helm"/,
            /traces\.endpoint = "tempo"/,
            /metrics\.remoteWriteUrl = "prometheus:9090"/,
            /gateway\.replicas = 0/,
        );
    });

    it("rejects missing required keys and unknown keys", async () => {
        await rejects({ namespace: "observability" }, /traces = undefined/, /metrics = undefined/);
        await rejects({ ...valid, sampling: { latencyTresholdMs: 300 } }, /latencyTresholdMs/);
    });

    it("rejects unsorted histogram buckets and a too-long name", async () => {
        await rejects({ ...valid, spanMetrics: { histogramBucketsMs: [100, 50] } }, /spanMetrics\.histogramBucketsMs = \[100,50\]/);
        await rejects({ ...valid, namespace: "n".repeat(40), baseName: "b".repeat(30) }, /baseName = "b{30}"/, /exceeds 63/);
    });

    it("accepts watchedNamespaces of namespace names or '*', and rejects an empty list or a bad name", async () => {
        resetRecorded();
        new OtelCollector("otel", { ...valid, watchedNamespaces: ["shop-gray", "*"] });
        await settle();
        assert.ok(recorded().length > 0);
        await rejects({ ...valid, watchedNamespaces: [] }, /watchedNamespaces/, /at least one namespace/);
        await rejects({ ...valid, watchedNamespaces: ["Shop_Gray"] }, /watchedNamespaces/);
    });

    it("rejects a baseName starting with a digit (Service names) and bad label keys and values, with the shared messages", async () => {
        await rejects(
            { ...valid, baseName: "1otel", labels: { "Bad Key": "x", team: "-shop" } },
            /baseName = "1otel": must start with a letter/,
            /labels\["Bad Key"\] = "x": key "Bad Key" must be a label key/,
            /labels\.team = "-shop": must be a label value/,
        );
    });

    it("carries descriptions and defaults on the schema", () => {
        const json = z.toJSONSchema(otelCollectorArgsSchema, { io: "input" }) as {
            properties: Record<
                string,
                { description?: string; default?: unknown; properties?: Record<string, { description?: string; default?: unknown }> }
            >;
        };
        assert.match(json.properties["namespace"]!.description ?? "", /namespace the collectors run in/);
        assert.equal(json.properties["baseName"]!.default, "otel");
        assert.equal(json.properties["sampling"]!.properties!["probabilisticPercent"]!.default, 10);
        assert.match(json.properties["sampling"]!.properties!["probabilisticPercent"]!.description ?? "", /percent/);
    });
});
