/**
 * Configuration of the agent (DaemonSet): receives OTLP from the workloads of its node, enriches it with
 * Kubernetes metadata and forwards it to the gateway. Traces are routed by trace id, so every span of a trace
 * reaches the same gateway replica, which is what makes tail sampling on the gateway correct.
 */
import { batch, healthCheck, memoryLimiter, otlpReceiver, retry } from "./config-common";
import { OTLP_GRPC_PORT } from "./defaults";
import type { CollectorConfig, K8sAttributesProcessorConfig, ProcessorId, ResourceProcessorConfig } from "./model";
import { serviceDns, tierNames } from "./names";
import type { ParsedOtelCollectorArgs } from "./schema";

/** Environment variable holding the node name, so the agent watches only the pods of its own node. */
export const NODE_NAME_ENV = "K8S_NODE_NAME";

export function k8sAttributes(podLabelAttributes: Readonly<Record<string, string>>): K8sAttributesProcessorConfig {
    const labels = Object.entries(podLabelAttributes).map(([tag_name, key]) => ({
        tag_name,
        key,
        from: "pod" as const,
    }));
    return {
        auth_type: "serviceAccount",
        passthrough: false,
        filter: { node_from_env_var: NODE_NAME_ENV },
        extract: {
            metadata: ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time", "k8s.deployment.name", "k8s.node.name"],
            ...(labels.length > 0 ? { labels } : {}),
        },
        // SDKs that set k8s.pod.ip / k8s.pod.uid are matched on them; the rest by the connection's source IP.
        pod_association: [
            { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
            { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
            { sources: [{ from: "connection" }] },
        ],
    };
}

export function resourceProcessor(attributes: Readonly<Record<string, string>>): ResourceProcessorConfig | undefined {
    const entries = Object.entries(attributes);
    // The collector rejects a resource processor without actions, so none is emitted rather than an empty one.
    if (entries.length === 0) return undefined;
    return { attributes: entries.map(([key, value]) => ({ key, value, action: "upsert" })) };
}

export function buildAgentConfig(args: ParsedOtelCollectorArgs): CollectorConfig {
    const gateway = tierNames(args.baseName, "gateway");
    const resource = resourceProcessor(args.resourceAttributes);
    const processors: ProcessorId[] = ["memory_limiter", "k8sattributes", ...(resource ? (["resource"] as const) : []), "batch"];
    return {
        extensions: { health_check: healthCheck() },
        receivers: { otlp: otlpReceiver() },
        processors: {
            memory_limiter: memoryLimiter(),
            k8sattributes: k8sAttributes(args.agent.podLabelAttributes),
            ...(resource ? { resource } : {}),
            batch: batch(),
        },
        connectors: {},
        exporters: {
            // Agent -> gateway stays inside the namespace's pod network, where no certificates are provisioned.
            loadbalancing: {
                routing_key: "traceID",
                protocol: { otlp: { tls: { insecure: true }, timeout: "5s" } },
                resolver: {
                    dns: {
                        hostname: serviceDns(gateway.headlessService, args.namespace),
                        port: String(OTLP_GRPC_PORT),
                    },
                },
            },
            // Metrics need no affinity; round-robin over the headless Service's pod IPs spreads the long-lived
            // gRPC connections that a ClusterIP would pin to one replica.
            "otlp/gateway": {
                endpoint: `dns:///${serviceDns(gateway.headlessService, args.namespace)}:${OTLP_GRPC_PORT}`,
                balancer_name: "round_robin",
                tls: { insecure: true },
                sending_queue: { enabled: true, num_consumers: 4, queue_size: 1000 },
                retry_on_failure: retry(),
            },
        },
        service: {
            extensions: ["health_check"],
            pipelines: {
                traces: { receivers: ["otlp"], processors: [...processors], exporters: ["loadbalancing"] },
                metrics: { receivers: ["otlp"], processors: [...processors], exporters: ["otlp/gateway"] },
            },
            telemetry: { logs: { level: "info" } },
        },
    };
}
