/**
 * Every default of the OtelCollector component, in one place. The numbers come from the domain brief
 * (/work/shared/brief.md): 1200 ms is the p95 objective of the asynchronous callback, so a trace slower than
 * that is worth keeping; 15 s matches the Prometheus scrape interval the SLO windows are computed from.
 */
import type { ResourceSpec } from "../common";

/** Pinned rather than `latest` so a collector upgrade is a reviewed change, never a side effect of a restart. */
export const DEFAULT_IMAGE = "otel/opentelemetry-collector-contrib:0.114.0";

export const DEFAULT_BASE_NAME = "otel";

export const DEFAULT_MODE = "plain" as const;

export const DEFAULT_CANARY_VERSIONS: readonly string[] = [];

/** Matches workloads labelled the way the gray-release rollout labels its canary pods. */
export const DEFAULT_CANARY_ATTRIBUTES: ReadonlyArray<{ key: string; values: readonly string[] }> = [{ key: "deployment.track", values: ["canary"] }];

export const DEFAULT_LATENCY_THRESHOLD_MS = 1200;

export const DEFAULT_PROBABILISTIC_PERCENT = 10;

/** Long enough for the slow (> 1.2 s) traces the latency policy exists for to finish before the decision. */
export const DEFAULT_DECISION_WAIT_SECONDS = 10;

export const DEFAULT_NUM_TRACES = 50_000;

export const DEFAULT_EXPECTED_NEW_TRACES_PER_SEC = 1_000;

/**
 * Added to `service.version` (always present): the track and the namespace tell canary from stable and the
 * gray namespace from the stable one; `gray-lane` (the lanes' default baggage key, copied onto spans by the SDK's
 * baggage span processor) splits calls by lane, so a hop where a lane is lost shows (docs/lanes.md). A span
 * without the attribute has no such label: no cost where lanes are not used.
 */
export const DEFAULT_EXTRA_DIMENSIONS: readonly string[] = ["deployment.track", "k8s.namespace.name", "gray-lane"];

/** Bucket bounds sit on the SLO thresholds (200, 300, 1200 ms) so ratios against them are exact, not interpolated. */
export const DEFAULT_HISTOGRAM_BUCKETS_MS: readonly number[] = [2, 5, 10, 25, 50, 100, 200, 300, 500, 800, 1200, 2500, 5000, 10000];

export const DEFAULT_METRICS_FLUSH_INTERVAL_SECONDS = 15;

export const DEFAULT_TRACES_INSECURE = false;

export const DEFAULT_GATEWAY_REPLICAS = 2;
/** Collectors admit OTLP only from the watched namespaces (agents) and from the agents (gateway). */
export const DEFAULT_NETWORK_POLICIES = true;

export const DEFAULT_AGENT_RESOURCES: ResourceSpec = {
    cpuRequest: "100m",
    memoryRequest: "128Mi",
    cpuLimit: "500m",
    memoryLimit: "512Mi",
};

/** Tail sampling holds whole traces in memory for the decision wait, hence more memory than the agent. */
export const DEFAULT_GATEWAY_RESOURCES: ResourceSpec = {
    cpuRequest: "200m",
    memoryRequest: "512Mi",
    cpuLimit: "1",
    memoryLimit: "1Gi",
};

export const DEFAULT_RESOURCE_ATTRIBUTES: Readonly<Record<string, string>> = {};

export const DEFAULT_POD_LABEL_ATTRIBUTES: Readonly<Record<string, string>> = {};

/** Share of the memory limit given to the Go runtime as a soft limit, leaving headroom for non-heap memory. */
export const GOMEMLIMIT_RATIO = 0.8;

/** Smallest memory limit the collector runs reliably with; below it the memory_limiter refuses everything. */
export const MIN_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Propagators the workloads must use: W3C tracecontext (+ baggage) for OpenTelemetry SDKs, b3multi for Envoy /
 * Istio, which speaks `x-b3-*` headers. Listing several makes the SDK extract whichever arrives and inject all.
 */
export const WORKLOAD_PROPAGATORS: readonly string[] = ["tracecontext", "baggage", "b3multi"];

export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
export const HEALTH_CHECK_PORT = 13133;
