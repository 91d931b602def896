/**
 * Inputs of the OtelCollector component. Every value is plain (not a Pulumi Input) on purpose: the collector
 * configuration is rendered and validated while the program runs, before any resource exists.
 */
import type { ResourceSpec } from "../common";

/** How the collectors are deployed. */
export type CollectorMode = "plain" | "operator";

/** A resource or span attribute and the values that mark a trace as canary. */
export interface CanaryAttributeMatch {
    /** Attribute key, e.g. `deployment.track`; matched on resource attributes first, then span attributes. */
    key: string;
    /** Exact values that mark the canary, e.g. `["canary"]`. At least one. */
    values: string[];
}

/** Tail-sampling policy of the gateway. A trace is kept when any policy keeps it. */
export interface SamplingArgs {
    /** `service.version` values of the canary release; every trace carrying one is kept. Default: none. */
    canaryVersions?: string[];
    /** Other attributes marking canary traces. Default: `deployment.track = canary`. */
    canaryAttributes?: CanaryAttributeMatch[];
    /** Traces at least this long (ms, root span to last span) are kept. Default: 1200 (p95 callback SLO). */
    latencyThresholdMs?: number;
    /** Share (percent, 0–100) of the remaining traces kept at random. Default: 10. */
    probabilisticPercent?: number;
    /** Seconds the gateway waits after a trace's first span before deciding. Default: 10. */
    decisionWaitSeconds?: number;
    /** Traces held in memory while waiting for a decision, per gateway replica. Default: 50000. */
    numTraces?: number;
    /** Expected new traces per second per replica; sizes internal buffers. Default: 1000. */
    expectedNewTracesPerSec?: number;
}

/** RED metrics derived from spans by the spanmetrics connector. */
export interface SpanMetricsArgs {
    /**
     * Dimensions in addition to `service.version`, which is always present.
     * Default: `deployment.track`, `k8s.namespace.name`.
     */
    extraDimensions?: string[];
    /** Upper bounds (ms, strictly increasing) of the latency histogram buckets. Default: includes 200, 300 and 1200. */
    histogramBucketsMs?: number[];
    /** Seconds between two flushes of the computed metrics. Default: 15 (the scrape interval of the SLO windows). */
    flushIntervalSeconds?: number;
}

/** Where sampled traces go. */
export interface TracesBackendArgs {
    /** OTLP/gRPC endpoint of the trace backend, `host:port` or `https://host:port`, e.g. `tempo.tracing:4317`. */
    endpoint: string;
    /** Send in plaintext instead of TLS; only for a backend inside the cluster. Default: false. */
    insecure?: boolean;
}

/** Where metrics go. */
export interface MetricsBackendArgs {
    /** Prometheus remote-write URL, e.g. `http://prometheus.monitoring:9090/api/v1/write`. */
    remoteWriteUrl: string;
}

/** The agent DaemonSet (one collector per node). */
export interface AgentArgs {
    /** Requests and limits of the agent container. Default: 100m/128Mi requested, 500m/512Mi limit. */
    resources?: ResourceSpec;
    /** Resource attributes copied from pod labels by k8sattributes: attribute name -> pod label key. Default: none. */
    podLabelAttributes?: Record<string, string>;
}

/** The gateway Deployment (tail sampling, span metrics, export). */
export interface GatewayArgs {
    /** Number of gateway replicas; traces are spread over them by trace id. Default: 2. */
    replicas?: number;
    /** Requests and limits of the gateway container. Default: 200m/512Mi requested, 1/1Gi limit. */
    resources?: ResourceSpec;
}

export interface OtelCollectorArgs {
    /** Existing namespace the collectors run in, e.g. `observability`. */
    namespace: string;
    /** `plain` (default): Kubernetes objects, no operator needed. `operator`: OpenTelemetryCollector resources. */
    mode?: CollectorMode;
    /** Prefix of every Kubernetes object name (a DNS label, at most 40 characters). Default: `otel`. */
    baseName?: string;
    /**
     * Collector-contrib image, pinned by tag or digest (`latest` is refused).
     * Default: `otel/opentelemetry-collector-contrib:0.114.0`.
     */
    image?: string;
    /** Trace backend receiving the sampled traces. */
    traces: TracesBackendArgs;
    /** Prometheus receiving the span metrics and the workloads' OTLP metrics. */
    metrics: MetricsBackendArgs;
    /** Tail-sampling policy of the gateway. */
    sampling?: SamplingArgs;
    /** Span-derived RED metrics. */
    spanMetrics?: SpanMetricsArgs;
    /** Resource attributes the agent upserts on all telemetry, e.g. `{ "k8s.cluster.name": "prod" }`. Default: none. */
    resourceAttributes?: Record<string, string>;
    /** Agent DaemonSet settings. */
    agent?: AgentArgs;
    /** Gateway Deployment settings. */
    gateway?: GatewayArgs;
    /** Labels added to every Kubernetes object created. Default: none. */
    labels?: Record<string, string>;
    /**
     * NetworkPolicies: the agents accept OTLP only from the {@link watchedNamespaces} (every namespace when unset),
     * the gateway only from the agents; the health port stays open for kubelet probes. Default: true.
     */
    networkPolicies?: boolean;
    /**
     * Namespaces whose workloads this collector serves, declared for the policy pack (`canary-namespace-otel-coverage`).
     * Entries are namespace names or `"*"` (all). Default: unset, which means every namespace: the agent is a
     * DaemonSet on every node and accepts OTLP from any pod, and its `k8sattributes` processor watches pods in all
     * namespaces.
     *
     * The list is registered as the component's input and output so that policies can check which canary
     * namespaces have telemetry, and it is who the agents' NetworkPolicy admits (see {@link networkPolicies}). It
     * does not change the collectors' configuration: the `k8sattributes` processor can filter on a single
     * namespace only (`filter.namespace`), and filtering it would not stop collection anyway (only metadata
     * enrichment).
     */
    watchedNamespaces?: string[];
}
