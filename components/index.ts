/**
 * `gray-release`: the components, with what a user composes them from: each component, its args schema (the only
 * source of its `Args`/`Resolved…Args` types), its resolve function and defaults, its pure builders, and the shared
 * validators to build schemas of one's own. Every type of each folder is exported; helpers used only inside a
 * component are not.
 */

export type * from "./canary-routing";
export {
    buildDestinationRule,
    buildVirtualService,
    CANARY_SUBSET,
    CanaryRouting,
    canaryRoutingArgsSchema,
    canaryRoutingDefaults,
    resolveCanaryRoutingArgs,
    STABLE_SUBSET,
    splitWeights,
} from "./canary-routing";
export type * from "./canary-workload";
export { CanaryWorkload, canaryReplicasFor, canaryWorkloadArgsSchema, canaryWorkloadDefaults, resolveCanaryWorkloadArgs } from "./canary-workload";
export type * from "./common";
export {
    dnsLabel,
    dnsSubdomain,
    durationString,
    formatPath,
    hostName,
    InvalidArgsError,
    isDuration,
    isPinnedImage,
    labelKey,
    labelMap,
    labelValue,
    nonEmptyLabelValue,
    parseArgs,
    parseDuration,
    portNumber,
    quantity,
    TRACK_LABEL,
} from "./common";
export type * from "./common/schema-types";
export type * from "./gray-namespace";
export { GrayNamespace, grayNamespaceArgsSchema, grayNamespaceDefaults, resolveGrayNamespaceArgs } from "./gray-namespace";
export type * from "./otel-collector";
export { agentPodSelector, OtelCollector, otelCollectorArgsSchema, otelCollectorDefaults, planCollectors } from "./otel-collector";
export type * from "./slo-rules";
export {
    ALERT_NAMES,
    buildDashboard,
    generateRuleGroups,
    parseSloRulesArgs,
    renderRuleFile,
    SLO_RULES_DEFAULTS,
    SloRules,
    sloRulesArgsSchema,
    sloRulesSpecSchema,
    toPrometheusRule,
} from "./slo-rules";
export type * from "./thanos";
export { buildThanosObjects, THANOS_DEFAULTS, Thanos, thanosArgsSchema, validateThanosArgs } from "./thanos";
