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
    canaryRoutingInputFields,
    laneDefinitionSchema,
    laneMatchHeaders,
    resolveCanaryRoutingArgs,
    STABLE_SUBSET,
    serviceLanesSchema,
    splitWeights,
} from "./canary-routing";
export type * from "./canary-workload";
export {
    CanaryWorkload,
    canaryReplicasFor,
    canaryWorkloadArgsSchema,
    canaryWorkloadDefaults,
    canaryWorkloadInputFields,
    resolveCanaryWorkloadArgs,
} from "./canary-workload";
export type * from "./common";
export {
    defaultVersionLabel,
    dnsLabel,
    dnsSubdomain,
    durationString,
    formatPath,
    hostName,
    InvalidArgsError,
    ISTIO_DEFAULT_LATENCY_BUCKETS_MS,
    isDuration,
    isPinnedImage,
    labelKey,
    labelMap,
    labelValue,
    nonEmptyLabelValue,
    parseArgs,
    parseDuration,
    parseInputArgs,
    portNumber,
    quantity,
    TRACK_LABEL,
} from "./common";
export type * from "./common/schema-types";
export type * from "./feature-flags";
export {
    FeatureFlags,
    FlagdConfigurationError,
    featureFlagsArgsSchema,
    flagdConfiguration,
    loadIntoFlagd,
    resolveFeatureFlagsArgs,
} from "./feature-flags";
export type * from "./gray-namespace";
export {
    GrayNamespace,
    grayNamespaceArgsSchema,
    grayNamespaceDefaults,
    grayNamespaceInputFields,
    parseGrayNamespaceArgs,
    resolveGrayNamespaceArgs,
} from "./gray-namespace";
export type * from "./otel-collector";
export {
    agentPodSelector,
    OtelCollector,
    otelCollectorArgsSchema,
    otelCollectorDefaults,
    otelCollectorInputFields,
    planCollectors,
} from "./otel-collector";
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
    sloRulesInputFields,
    sloRulesSpecSchema,
    toPrometheusRule,
} from "./slo-rules";
export type * from "./thanos";
export { buildThanosObjects, parseThanosArgs, THANOS_DEFAULTS, Thanos, thanosArgsSchema, thanosInputFields, validateThanosArgs } from "./thanos";
