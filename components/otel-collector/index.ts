// Public API of the OtelCollector component.

export { buildAgentConfig, k8sAttributes } from "./agent-config";
export * as otelCollectorDefaults from "./defaults";
export { buildGatewayConfig, REQUIRED_DIMENSIONS, spanMetrics } from "./gateway-config";
export { lintCollectorConfig } from "./lint";
export { goMemLimit, parseMemoryQuantity } from "./memory";
export * from "./model";
export { agentPodSelector, type Tier, type TierNames, tierNames } from "./names";
export { buildCollectorNetworkPolicies, type CollectorNetworkPolicy } from "./network";
export {
    collectorSpec,
    OPERATOR_API_VERSION,
    OPERATOR_KIND,
    type OpenTelemetryCollectorSpec,
} from "./operator";
export { OTEL_COLLECTOR_TYPE, OtelCollector } from "./otel-collector";
export { type CollectorEnvVar, type CollectorPlan, planCollectors, type TierPlan } from "./plan";
export { k8sAttributesRules } from "./rbac";
export {
    type AgentArgs,
    type CanaryAttributeMatch,
    type CollectorMode,
    type GatewayArgs,
    type MetricsBackendArgs,
    type OtelCollectorArgs,
    otelCollectorArgsSchema,
    otelCollectorInputFields,
    type ParsedOtelCollectorArgs,
    type PlainOtelCollectorArgs,
    type SamplingArgs,
    type SpanMetricsArgs,
    type TracesBackendArgs,
} from "./schema";
export { collectorConfigYaml } from "./serialize";
export { canaryPolicies, tailSampling } from "./tail-sampling";
export { type WorkloadEnvVar, workloadEnv } from "./workload-env";
