/**
 * Environment the instrumented workloads need to take part in tracing across versions.
 *
 * The collector does not propagate context; the services' SDKs do. Setting `OTEL_PROPAGATORS` to
 * `tracecontext,baggage,b3multi` makes an SDK accept an incoming W3C `traceparent` or B3 `x-b3-*` headers
 * (what Envoy/Istio sends) and emit both on outgoing calls, so a trace survives a hop from a stable to a canary
 * version whichever side is instrumented how.
 */
import { OTLP_GRPC_PORT, WORKLOAD_PROPAGATORS } from "./defaults";

/** A container environment variable, in the Kubernetes `EnvVar` shape. */
export interface WorkloadEnvVar {
    name: string;
    value: string;
}

export function workloadEnv(agentServiceDns: string): WorkloadEnvVar[] {
    return [
        { name: "OTEL_PROPAGATORS", value: WORKLOAD_PROPAGATORS.join(",") },
        // The node-local agent Service: spans are enriched by the agent of the pod's own node.
        { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: `http://${agentServiceDns}:${OTLP_GRPC_PORT}` },
        { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
    ];
}
