/** Configuration pieces both tiers share. */
import { HEALTH_CHECK_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "./defaults";
import type { BatchProcessorConfig, HealthCheckExtensionConfig, MemoryLimiterProcessorConfig, OtlpReceiverConfig, RetryConfig } from "./model";

/**
 * Environment variable holding the pod IP. Recent collectors bind to localhost by default, which kubelet probes
 * and peers cannot reach; the pod IP (rather than 0.0.0.0) exposes the ports on the pod network only.
 */
export const POD_IP_ENV = "POD_IP";

const onPodIp = (port: number) => `\${env:${POD_IP_ENV}}:${port}`;

export function otlpReceiver(): OtlpReceiverConfig {
    return {
        protocols: {
            grpc: { endpoint: onPodIp(OTLP_GRPC_PORT) },
            http: { endpoint: onPodIp(OTLP_HTTP_PORT) },
        },
    };
}

/**
 * Percentages of the container limit the collector reads from its cgroup. Data is refused above 55 % (limit
 * minus spike) so the heap stays below GOMEMLIMIT (80 %), where the Go runtime starts collecting hard.
 */
export function memoryLimiter(): MemoryLimiterProcessorConfig {
    return { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 };
}

export function batch(): BatchProcessorConfig {
    return { send_batch_size: 8192, send_batch_max_size: 10000, timeout: "200ms" };
}

export function healthCheck(): HealthCheckExtensionConfig {
    return { endpoint: onPodIp(HEALTH_CHECK_PORT) };
}

/** Bounded, so a backend outage sheds data after a minute instead of filling memory until the limiter refuses. */
export function retry(): RetryConfig {
    return { enabled: true, initial_interval: "1s", max_interval: "10s", max_elapsed_time: "60s" };
}
