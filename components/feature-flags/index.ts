// Public API of the FeatureFlags component.

export { type FeatureFlagResourceSpec, FeatureFlags, resolveFeatureFlagsArgs } from "./feature-flags";
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
    type FeatureFlag,
    type FeatureFlagInput,
    type FeatureFlagsArgs,
    featureFlagSchema,
    featureFlagsArgsSchema,
    type ResolvedFeatureFlagsArgs,
} from "./schema";
