// Public API of the FeatureFlags component.

export { FEATURE_FLAGS_TYPE, type FeatureFlagResourceSpec, FeatureFlags, resolveFeatureFlagsArgs } from "./feature-flags";
export {
    FLAGD_SCHEMA_URL,
    type FlagdConfiguration,
    FlagdConfigurationError,
    type FlagdFlag,
    flagdConfiguration,
    flagdTargeting,
    type JsonLogic,
    loadIntoFlagd,
} from "./flagd";
export {
    DEFAULT_VARIANT_HEADER_PREFIX,
    type FeatureFlag,
    type FeatureFlagInput,
    type FeatureFlagsArgs,
    type FlagApproval,
    featureFlagSchema,
    featureFlagsArgsSchema,
    flagApprovalSchema,
    type ResolvedFeatureFlagsArgs,
} from "./schema";
export { type TelemetrySpec, variantHeader, variantTelemetrySpec } from "./variant-metrics";
