/**
 * The OtelCollector input shape, as zod schemas: the single source of its types ({@link OtelCollectorArgs} is the
 * schema's input, {@link ParsedOtelCollectorArgs} its output), descriptions and defaults. Defaults are taken from
 * defaults.ts; `prefault` (rather than `default`) is used for objects so their nested defaults are applied too.
 * The backends' endpoints also take a Pulumi Input (see {@link otelCollectorInputFields}); every other value is plain:
 * the collector configuration is rendered and linted while the program runs, before any resource exists, and again
 * with the endpoints once they resolve.
 */
import { z } from "zod";
import type { InputFields, InputPaths, WithInputs } from "../common/inputs";
import { dnsLabel, labelKey, labelMap } from "../common/k8s-names";
import * as d from "./defaults";
import { isCpuQuantity, parseMemoryQuantity } from "./memory";

const describe = (description: string) => ({ description });

/**
 * The prefix of Service names, which are DNS-1035 labels: unlike the common DNS-1123 `dnsLabel` it must start with
 * a letter. At most 35 characters, leaving room for the "-gateway-collector-headless" suffix within 63.
 */
const baseName = dnsLabel.max(35, "must be at most 35 characters").regex(/^[a-z]/, "must start with a letter (it begins Service names)");

const attributeKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.\-/]*$/, "must be an attribute key such as service.version");

/** Pinned means a digest, or a tag other than `latest`; a registry port (`host:5000/img`) is not a tag. */
const pinnedImage = z
    .string()
    .min(1)
    .refine((image) => {
        if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
        const lastSegment = image.slice(image.lastIndexOf("/") + 1);
        const colon = lastSegment.lastIndexOf(":");
        if (colon < 0) return false;
        const tag = lastSegment.slice(colon + 1);
        return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) && tag !== "latest";
    }, "must be pinned by a tag other than 'latest' or by an @sha256 digest");

const cpu = z.string().refine(isCpuQuantity, "must be a positive CPU quantity such as 250m or 1");
const memory = z.string().refine((q) => (parseMemoryQuantity(q) ?? 0) > 0, "must be a positive memory quantity such as 512Mi");

const resourceSpec = z
    .strictObject({
        cpuRequest: cpu.meta(describe("CPU request, e.g. `100m`.")),
        memoryRequest: memory.meta(describe("Memory request, e.g. `128Mi`.")),
        cpuLimit: cpu.meta(describe("CPU limit, e.g. `500m`.")),
        memoryLimit: memory.meta(describe("Memory limit, e.g. `256Mi`; at least 64Mi.")),
    })
    .superRefine((r, ctx) => {
        const limit = parseMemoryQuantity(r.memoryLimit);
        const request = parseMemoryQuantity(r.memoryRequest);
        if (limit !== undefined && limit < d.MIN_MEMORY_LIMIT_BYTES) {
            ctx.addIssue({ code: "custom", path: ["memoryLimit"], message: "must be at least 64Mi" });
        }
        if (limit !== undefined && request !== undefined && request > limit) {
            ctx.addIssue({ code: "custom", path: ["memoryRequest"], message: "must not exceed memoryLimit" });
        }
    });

/** gRPC exporters take `host:port`, optionally behind http(s)://; a path would be silently ignored. */
const grpcEndpoint = z.string().regex(/^(https?:\/\/)?[A-Za-z0-9.-]+:[0-9]{1,5}$/, "must be host:port or http(s)://host:port");

const remoteWriteUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL such as http://prometheus:9090/api/v1/write");

const canaryAttribute = z
    .strictObject({
        key: attributeKey.meta(describe("Attribute key, e.g. `deployment.track`; matched on resource attributes first, then span attributes.")),
        values: z.array(z.string().min(1)).min(1).meta(describe('Exact values that mark the canary, e.g. `["canary"]`. At least one.')),
    })
    .meta(describe("A resource or span attribute and the values that mark a trace as canary."));

const increasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] ?? -Infinity));

const modeSchema = z
    .enum(["plain", "operator"])
    .meta(describe("`plain` (default): Kubernetes objects, no operator needed. `operator`: OpenTelemetryCollector resources."));

const tracesSchema = z
    .strictObject({
        endpoint: grpcEndpoint.meta(
            describe("OTLP/gRPC endpoint of the trace backend, `host:port` or `https://host:port`, e.g. `tempo.tracing:4317`."),
        ),
        insecure: z
            .boolean()
            .default(d.DEFAULT_TRACES_INSECURE)
            .meta(describe("Send in plaintext instead of TLS; only for a backend inside the cluster.")),
    })
    .meta(describe("Trace backend receiving the sampled traces."));

const metricsSchema = z
    .strictObject({
        remoteWriteUrl: remoteWriteUrl.meta(describe("Prometheus remote-write URL, e.g. `http://prometheus.monitoring:9090/api/v1/write`.")),
    })
    .meta(describe("Prometheus receiving the span metrics and the workloads' OTLP metrics."));

const samplingSchema = z
    .strictObject({
        canaryVersions: z
            .array(z.string().min(1))
            .default([...d.DEFAULT_CANARY_VERSIONS])
            .meta(describe("`service.version` values of the canary release; every trace carrying one is kept. Default: none.")),
        canaryAttributes: z
            .array(canaryAttribute)
            .default(d.DEFAULT_CANARY_ATTRIBUTES.map((a) => ({ key: a.key, values: [...a.values] })))
            .meta(describe("Other attributes marking canary traces. Default: `deployment.track = canary`.")),
        latencyThresholdMs: z
            .number()
            .int()
            .positive()
            .default(d.DEFAULT_LATENCY_THRESHOLD_MS)
            .meta(describe("Traces at least this long (ms, root span to last span) are kept. Default: 1200 (p95 callback SLO).")),
        probabilisticPercent: z
            .number()
            .min(0)
            .max(100)
            .default(d.DEFAULT_PROBABILISTIC_PERCENT)
            .meta(describe("Share (percent, 0–100) of the remaining traces kept at random.")),
        decisionWaitSeconds: z
            .number()
            .int()
            .min(1)
            .max(300)
            .default(d.DEFAULT_DECISION_WAIT_SECONDS)
            .meta(describe("Seconds the gateway waits after a trace's first span before deciding.")),
        numTraces: z
            .number()
            .int()
            .positive()
            .default(d.DEFAULT_NUM_TRACES)
            .meta(describe("Traces held in memory while waiting for a decision, per gateway replica.")),
        expectedNewTracesPerSec: z
            .number()
            .int()
            .positive()
            .default(d.DEFAULT_EXPECTED_NEW_TRACES_PER_SEC)
            .meta(describe("Expected new traces per second per replica; sizes internal buffers.")),
    })
    .refine((s) => s.canaryVersions.length + s.canaryAttributes.length > 0, {
        message: "needs at least one canaryVersions entry or canaryAttributes match, or canary traces are not kept",
        path: ["canaryAttributes"],
    })
    .meta(describe("Tail-sampling policy of the gateway. A trace is kept when any policy keeps it."));

const spanMetricsSchema = z
    .strictObject({
        extraDimensions: z
            .array(attributeKey)
            .default([...d.DEFAULT_EXTRA_DIMENSIONS])
            .meta(
                describe(
                    "Dimensions in addition to `service.version`, which is always present. Default: `deployment.track`, `k8s.namespace.name`, `gray-lane` (the lane, see docs/lanes.md).",
                ),
            ),
        histogramBucketsMs: z
            .array(z.number().positive())
            .min(1)
            .refine(increasing, "must be strictly increasing")
            .default([...d.DEFAULT_HISTOGRAM_BUCKETS_MS])
            .meta(describe("Upper bounds (ms, strictly increasing) of the latency histogram buckets. Default: includes 200, 300 and 1200.")),
        flushIntervalSeconds: z
            .number()
            .int()
            .min(1)
            .max(300)
            .default(d.DEFAULT_METRICS_FLUSH_INTERVAL_SECONDS)
            .meta(describe("Seconds between two flushes of the computed metrics. Default: 15 (the scrape interval of the SLO windows).")),
    })
    .meta(describe("RED metrics derived from spans by the spanmetrics connector."));

const agentSchema = z
    .strictObject({
        resources: resourceSpec
            .default({ ...d.DEFAULT_AGENT_RESOURCES })
            .meta(describe("Requests and limits of the agent container. Default: 100m/128Mi requested, 500m/512Mi limit.")),
        podLabelAttributes: z
            .record(attributeKey, labelKey)
            .default({ ...d.DEFAULT_POD_LABEL_ATTRIBUTES })
            .meta(describe("Resource attributes copied from pod labels by k8sattributes: attribute name -> pod label key. Default: none.")),
    })
    .meta(describe("The agent DaemonSet (one collector per node)."));

const gatewaySchema = z
    .strictObject({
        replicas: z
            .number()
            .int()
            .min(1)
            .max(50)
            .default(d.DEFAULT_GATEWAY_REPLICAS)
            .meta(describe("Number of gateway replicas; traces are spread over them by trace id.")),
        resources: resourceSpec
            .default({ ...d.DEFAULT_GATEWAY_RESOURCES })
            .meta(describe("Requests and limits of the gateway container. Default: 200m/512Mi requested, 1/1Gi limit.")),
    })
    .meta(describe("The gateway Deployment (tail sampling, span metrics, export)."));

/** Input of the OtelCollector component: an agent DaemonSet and a tail-sampling gateway. */
export const otelCollectorArgsSchema = z
    .strictObject({
        namespace: dnsLabel.meta(describe("Existing namespace the collectors run in, e.g. `observability`.")),
        mode: modeSchema.default(d.DEFAULT_MODE),
        baseName: baseName
            .default(d.DEFAULT_BASE_NAME)
            .meta(describe("Prefix of every Kubernetes object name (a DNS label starting with a letter, at most 35 characters).")),
        image: pinnedImage
            .default(d.DEFAULT_IMAGE)
            .meta(
                describe(
                    "Collector-contrib image, pinned by tag or digest (`latest` is refused). Default: `otel/opentelemetry-collector-contrib:0.114.0`.",
                ),
            ),
        traces: tracesSchema,
        metrics: metricsSchema,
        sampling: samplingSchema.prefault({}),
        spanMetrics: spanMetricsSchema.prefault({}).meta(describe("Span-derived RED metrics.")),
        resourceAttributes: z
            .record(attributeKey, z.string())
            .default({ ...d.DEFAULT_RESOURCE_ATTRIBUTES })
            .meta(describe('Resource attributes the agent upserts on all telemetry, e.g. `{ "k8s.cluster.name": "prod" }`. Default: none.')),
        agent: agentSchema.prefault({}).meta(describe("Agent DaemonSet settings.")),
        gateway: gatewaySchema.prefault({}).meta(describe("Gateway Deployment settings.")),
        labels: labelMap.default({}).meta(describe("Labels added to every Kubernetes object created. Default: none.")),
        networkPolicies: z
            .boolean()
            .default(d.DEFAULT_NETWORK_POLICIES)
            .meta(
                describe(
                    "NetworkPolicies: the agents accept OTLP only from the `watchedNamespaces` (every namespace when unset), " +
                        "the gateway only from the agents; the health port stays open for kubelet probes.",
                ),
            ),
        watchedNamespaces: z
            .array(z.union([z.literal("*"), dnsLabel]))
            .min(1, "must list at least one namespace (leave it unset to cover every namespace)")
            .optional()
            .meta(
                describe(
                    "Namespaces whose workloads this collector serves, declared for the policy pack (`canary-namespace-otel-coverage`). " +
                        'Entries are namespace names or `"*"` (all). Default: unset, which means every namespace: the agent is a ' +
                        "DaemonSet on every node and accepts OTLP from any pod, and its `k8sattributes` processor watches pods in all " +
                        "namespaces. The list is registered as the component's input and output so that policies can check which canary " +
                        "namespaces have telemetry, and it is who the agents' NetworkPolicy admits (see `networkPolicies`). It does not " +
                        "change the collectors' configuration: the `k8sattributes` processor can filter on a single namespace only " +
                        "(`filter.namespace`), and filtering it would not stop collection anyway (only metadata enrichment).",
                ),
            ),
    })
    .superRefine((a, ctx) => {
        // The pods' `app.kubernetes.io/instance` label is `<namespace>.<baseName>-gateway`, limited to 63 characters.
        const instance = `${a.namespace}.${a.baseName}-gateway`;
        if (instance.length > 63) {
            ctx.addIssue({
                code: "custom",
                path: ["baseName"],
                message: `namespace and baseName together are too long: "${instance}" exceeds 63 characters`,
            });
        }
    })
    .meta(describe("Inputs of the OtelCollector component."));

/**
 * The args that take a `pulumi.Input`, with the stand-in each gets while pending (see `InputFields`): the trace
 * backend's endpoint and the Prometheus remote-write URL (e.g. of a Tempo or Prometheus deployed by the same
 * program); they go only into the gateway's configuration. The rest stays plain: `namespace` and `baseName` name
 * every object, `mode`, `networkPolicies` and the replicas decide which objects exist, and the sampling and
 * span-metrics settings are this component's own.
 */
export const otelCollectorInputFields = {
    "traces.endpoint": "x:1",
    "metrics.remoteWriteUrl": "http://x",
} as const satisfies InputFields;

/** {@link otelCollectorArgsSchema}'s input as plain values: what a stack config holds. */
export type PlainOtelCollectorArgs = z.input<typeof otelCollectorArgsSchema>;
/** Inputs of the OtelCollector component: {@link PlainOtelCollectorArgs} with the {@link otelCollectorInputFields} also taking an Input. */
export type OtelCollectorArgs = WithInputs<PlainOtelCollectorArgs, InputPaths<typeof otelCollectorInputFields>>;
/** Arguments after validation, with every default filled in. */
export type ParsedOtelCollectorArgs = z.output<typeof otelCollectorArgsSchema>;
/** How the collectors are deployed. */
export type CollectorMode = z.output<typeof modeSchema>;
/** A resource or span attribute and the values that mark a trace as canary. */
export type CanaryAttributeMatch = z.input<typeof canaryAttribute>;
/** Tail-sampling policy of the gateway. A trace is kept when any policy keeps it. */
export type SamplingArgs = z.input<typeof samplingSchema>;
/** RED metrics derived from spans by the spanmetrics connector. */
export type SpanMetricsArgs = z.input<typeof spanMetricsSchema>;
/** Where sampled traces go. */
export type TracesBackendArgs = NonNullable<OtelCollectorArgs["traces"]>;
/** Where metrics go. */
export type MetricsBackendArgs = NonNullable<OtelCollectorArgs["metrics"]>;
/** The agent DaemonSet (one collector per node). */
export type AgentArgs = z.input<typeof agentSchema>;
/** The gateway Deployment (tail sampling, span metrics, export). */
export type GatewayArgs = z.input<typeof gatewaySchema>;
