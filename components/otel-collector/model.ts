/**
 * Typed model of exactly the OpenTelemetry Collector configuration this package emits (collector-contrib
 * 0.114). It is deliberately narrow: a field appears here only when some builder sets it, so the type checker
 * catches a misspelt key before the collector would reject it at start-up.
 */

/** `<type>` or `<type>/<name>`, the collector's component id syntax. */
type Id<T extends string> = T | `${T}/${string}`;

export type ReceiverId = Id<"otlp">;
export type ProcessorId = Id<"memory_limiter" | "k8sattributes" | "batch" | "tail_sampling" | "resource">;
export type ExporterId = Id<"otlp" | "loadbalancing" | "prometheusremotewrite">;
export type ConnectorId = Id<"spanmetrics">;
export type ExtensionId = Id<"health_check">;
export type PipelineId = Id<"traces" | "metrics" | "logs">;

export interface OtlpReceiverConfig {
    protocols: {
        grpc?: { endpoint: string };
        http?: { endpoint: string };
    };
}

export interface MemoryLimiterProcessorConfig {
    check_interval: string;
    limit_percentage: number;
    spike_limit_percentage: number;
}

export interface K8sAttributesProcessorConfig {
    auth_type: "serviceAccount";
    passthrough: boolean;
    filter?: { node_from_env_var: string };
    extract: {
        metadata: string[];
        labels?: Array<{ tag_name: string; key: string; from: "pod" | "namespace" }>;
    };
    pod_association: Array<{
        sources: Array<{ from: "resource_attribute"; name: string } | { from: "connection" }>;
    }>;
}

export interface BatchProcessorConfig {
    send_batch_size: number;
    send_batch_max_size: number;
    timeout: string;
}

export type TailSamplingPolicy =
    | { name: string; type: "string_attribute"; string_attribute: { key: string; values: string[] } }
    | { name: string; type: "status_code"; status_code: { status_codes: Array<"ERROR" | "OK" | "UNSET"> } }
    | { name: string; type: "latency"; latency: { threshold_ms: number } }
    | { name: string; type: "probabilistic"; probabilistic: { sampling_percentage: number } };

export interface TailSamplingProcessorConfig {
    decision_wait: string;
    num_traces: number;
    expected_new_traces_per_sec: number;
    policies: TailSamplingPolicy[];
}

export interface ResourceProcessorConfig {
    attributes: Array<{ key: string; value: string; action: "upsert" | "insert" }>;
}

export interface TlsClientConfig {
    insecure: boolean;
}

export interface SendingQueueConfig {
    enabled: boolean;
    num_consumers: number;
    queue_size: number;
}

export interface RetryConfig {
    enabled: boolean;
    initial_interval: string;
    max_interval: string;
    max_elapsed_time: string;
}

export interface OtlpExporterConfig {
    endpoint: string;
    tls: TlsClientConfig;
    /** gRPC client-side balancing across the A records of a headless service. */
    balancer_name?: "round_robin" | "pick_first";
    sending_queue?: SendingQueueConfig;
    retry_on_failure?: RetryConfig;
}

export interface LoadBalancingExporterConfig {
    routing_key: "traceID" | "service" | "resource" | "metric" | "streamID";
    protocol: { otlp: { tls: TlsClientConfig; timeout: string } };
    resolver: { dns: { hostname: string; port: string } };
}

export interface PrometheusRemoteWriteExporterConfig {
    endpoint: string;
    external_labels?: Record<string, string>;
    resource_to_telemetry_conversion: { enabled: boolean };
    target_info: { enabled: boolean };
    retry_on_failure?: RetryConfig;
}

export interface SpanMetricsConnectorConfig {
    histogram: { unit: "ms" | "s"; explicit: { buckets: string[] } };
    dimensions: Array<{ name: string; default?: string }>;
    exemplars: { enabled: boolean };
    aggregation_temporality: "AGGREGATION_TEMPORALITY_CUMULATIVE" | "AGGREGATION_TEMPORALITY_DELTA";
    metrics_flush_interval: string;
    metrics_expiration: string;
}

export interface HealthCheckExtensionConfig {
    endpoint: string;
}

export interface ReceiversConfig {
    otlp?: OtlpReceiverConfig;
    [id: `otlp/${string}`]: OtlpReceiverConfig;
}

export interface ProcessorsConfig {
    memory_limiter?: MemoryLimiterProcessorConfig;
    k8sattributes?: K8sAttributesProcessorConfig;
    batch?: BatchProcessorConfig;
    tail_sampling?: TailSamplingProcessorConfig;
    resource?: ResourceProcessorConfig;
}

export interface ExportersConfig {
    otlp?: OtlpExporterConfig;
    [id: `otlp/${string}`]: OtlpExporterConfig;
    loadbalancing?: LoadBalancingExporterConfig;
    prometheusremotewrite?: PrometheusRemoteWriteExporterConfig;
    [id: `prometheusremotewrite/${string}`]: PrometheusRemoteWriteExporterConfig;
}

export interface ConnectorsConfig {
    spanmetrics?: SpanMetricsConnectorConfig;
}

export interface ExtensionsConfig {
    health_check?: HealthCheckExtensionConfig;
}

export interface PipelineConfig {
    receivers: Array<ReceiverId | ConnectorId>;
    processors: ProcessorId[];
    exporters: Array<ExporterId | ConnectorId>;
}

export interface ServiceConfig {
    extensions: ExtensionId[];
    pipelines: Partial<Record<PipelineId, PipelineConfig>>;
    telemetry: {
        logs: { level: "debug" | "info" | "warn" | "error" };
    };
}

/** A whole collector configuration file. */
export interface CollectorConfig {
    extensions: ExtensionsConfig;
    receivers: ReceiversConfig;
    processors: ProcessorsConfig;
    connectors: ConnectorsConfig;
    exporters: ExportersConfig;
    service: ServiceConfig;
}
