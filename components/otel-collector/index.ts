// Public API of the OtelCollector component.
export { OtelCollector, OTEL_COLLECTOR_TYPE } from "./otel-collector";
export {
    otelCollectorArgsSchema,
    type OtelCollectorArgs,
    type ParsedOtelCollectorArgs,
    type CollectorMode,
    type CanaryAttributeMatch,
    type SamplingArgs,
    type SpanMetricsArgs,
    type TracesBackendArgs,
    type MetricsBackendArgs,
    type AgentArgs,
    type GatewayArgs,
} from "./schema";
export * from "./model";
export { buildAgentConfig, k8sAttributes } from "./agent-config";
export { buildGatewayConfig, spanMetrics, REQUIRED_DIMENSIONS } from "./gateway-config";
export { tailSampling, canaryPolicies } from "./tail-sampling";
export { lintCollectorConfig } from "./lint";
export { collectorConfigYaml } from "./serialize";
export { planCollectors, type CollectorPlan, type TierPlan, type CollectorEnvVar } from "./plan";
export { goMemLimit, parseMemoryQuantity } from "./memory";
export { workloadEnv, type WorkloadEnvVar } from "./workload-env";
export { k8sAttributesRules } from "./rbac";
export {
    collectorSpec,
    OPERATOR_API_VERSION,
    OPERATOR_KIND,
    type OpenTelemetryCollectorSpec,
} from "./operator";
export { agentPodSelector, tierNames, type TierNames, type Tier } from "./names";
export { buildCollectorNetworkPolicies, type CollectorNetworkPolicy } from "./network";
export * as otelCollectorDefaults from "./defaults";
