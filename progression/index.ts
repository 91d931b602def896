/**
 * `gray-release/progression`: the pure engine of SLO-gated canary progression (no Pulumi imports, so it runs in
 * tests, tools and other programs). What a user composes: the config schema, the decision of one step, the
 * metrics seam and the record the policy pack reads. Statistics, PromQL building and sample parsing are internal.
 */
export { type LinearSteps, type StepsSpec, resolveSteps } from "./steps";
export {
    pinnedImageSchema,
    progressionConfigSchema,
    parseProgressionConfig,
    versionLabels,
    type ProgressionConfig,
    type ProgressionConfigInput,
    type Thresholds,
    type AnalysisSettings,
} from "./config";
export { parseState, type ProgressionState, type RolloutStatus, type DecisionAction, type DecisionRecord, type StateReadResult } from "./state";
export { decide, type Decision, type Routing } from "./decide";
export { resolveStableImage, stableInForce, type ConfiguredImages, type StableResolution } from "./stable";
export { type AnalysisVerdict, type VerdictKind, type CheckResult, type MeasuredValues } from "./verdict";
export { evaluateMeasurements, type Measurements } from "./evaluate";
export { type MetricsProvider, type InstantSample, type QueryOutcome } from "./metrics-provider";
export { PrometheusProvider, type PrometheusProviderOptions } from "./prometheus-provider";
export { analyzeServices } from "./analysis";
export { runProgression, type ServiceProgressionInput, type ServiceProgressionResult } from "./run";
