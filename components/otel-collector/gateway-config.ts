/**
 * Configuration of the gateway (Deployment): receives whole traces from the agents (routed by trace id),
 * derives RED metrics from every span, then tail-samples before exporting traces.
 *
 * Span metrics are computed in their own pipeline, fed by the receiver before sampling: computed after it they
 * would count only the kept traces and overstate the error rate and latency of the stable version.
 */
import { batch, healthCheck, memoryLimiter, otlpReceiver, retry } from "./config-common";
import type { CollectorConfig, SpanMetricsConnectorConfig } from "./model";
import type { ParsedOtelCollectorArgs } from "./schema";
import { tailSampling } from "./tail-sampling";

/** Environment variable holding the pod name, used to tell the replicas' span-metric series apart. */
export const POD_NAME_ENV = "POD_NAME";

/** Always a dimension: it is what separates canary from stable in every RED metric. */
export const REQUIRED_DIMENSIONS: readonly string[] = ["service.version"];

export function spanMetrics(spanMetricsArgs: ParsedOtelCollectorArgs["spanMetrics"]): SpanMetricsConnectorConfig {
    const names = [...new Set([...REQUIRED_DIMENSIONS, ...spanMetricsArgs.extraDimensions])];
    return {
        histogram: { unit: "ms", explicit: { buckets: spanMetricsArgs.histogramBucketsMs.map((ms) => `${ms}ms`) } },
        dimensions: names.map((name) => ({ name })),
        exemplars: { enabled: false },
        // Prometheus remote write accepts cumulative series only.
        aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
        metrics_flush_interval: `${spanMetricsArgs.flushIntervalSeconds}s`,
        metrics_expiration: "5m",
    };
}

export function buildGatewayConfig(args: ParsedOtelCollectorArgs): CollectorConfig {
    return {
        extensions: { health_check: healthCheck() },
        receivers: { otlp: otlpReceiver() },
        processors: {
            memory_limiter: memoryLimiter(),
            tail_sampling: tailSampling(args.sampling),
            batch: batch(),
        },
        connectors: { spanmetrics: spanMetrics(args.spanMetrics) },
        exporters: {
            otlp: {
                endpoint: args.traces.endpoint,
                tls: { insecure: args.traces.insecure },
                sending_queue: { enabled: true, num_consumers: 10, queue_size: 5000 },
                retry_on_failure: retry(),
            },
            // Workload metrics keep their Kubernetes metadata in target_info instead of on every series.
            prometheusremotewrite: {
                endpoint: args.metrics.remoteWriteUrl,
                resource_to_telemetry_conversion: { enabled: false },
                target_info: { enabled: true },
                retry_on_failure: retry(),
            },
            // Each replica counts a different share of the traces; without a per-replica label their series
            // would collide in Prometheus. Queries sum over `otel_gateway_pod`.
            "prometheusremotewrite/spanmetrics": {
                endpoint: args.metrics.remoteWriteUrl,
                external_labels: { otel_gateway_pod: `\${env:${POD_NAME_ENV}}` },
                resource_to_telemetry_conversion: { enabled: false },
                target_info: { enabled: false },
                retry_on_failure: retry(),
            },
        },
        service: {
            extensions: ["health_check"],
            pipelines: {
                "traces/spanmetrics": {
                    receivers: ["otlp"],
                    processors: ["memory_limiter"],
                    exporters: ["spanmetrics"],
                },
                traces: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", "tail_sampling", "batch"],
                    exporters: ["otlp"],
                },
                "metrics/spanmetrics": {
                    receivers: ["spanmetrics"],
                    processors: ["memory_limiter", "batch"],
                    exporters: ["prometheusremotewrite/spanmetrics"],
                },
                metrics: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", "batch"],
                    exporters: ["prometheusremotewrite"],
                },
            },
            telemetry: { logs: { level: "info" } },
        },
    };
}
