/**
 * `gray-release/progression`: the pure engine of SLO-gated canary progression (no Pulumi imports, so it runs in
 * tests, tools and other programs). What a user composes: the config schema, the decision of one step, the
 * metrics seam and the record the policy pack reads. Statistics, PromQL building and sample parsing are internal.
 */

export { analyzeServices } from "./analysis";
export {
    type AnalysisSettings,
    type ProgressionConfig,
    type ProgressionConfigInput,
    parseProgressionConfig,
    pinnedImageSchema,
    progressionConfigSchema,
    type Thresholds,
    versionLabels,
} from "./config";
export { type Decision, type DecisionContext, decide, type Routing } from "./decide";
export { evaluateMeasurements, type Measurements } from "./evaluate";
export type { InstantSample, MetricsProvider, QueryOutcome } from "./metrics-provider";
export { PrometheusProvider, type PrometheusProviderOptions } from "./prometheus-provider";
export {
    CANARY_RELEASE_TYPE,
    type CanaryReleaseRecord,
    type CanaryReleaseRecordInput,
    canaryReleaseRecordSchema,
    PROMOTIONS_OUTPUT,
    type PromotionRecord,
    parseCanaryRelease,
    parsePromotionsOutput,
} from "./record";
export { describeRelease, describeState, type ReleaseState, type ReleaseSummary, summaryLine } from "./release-summary";
export { runProgression, type ServiceProgressionInput, type ServiceProgressionResult } from "./run";
export { type ConfiguredImages, resolveStableImage, type StableResolution, stableInForce } from "./stable";
export { type DecisionAction, type DecisionRecord, type ProgressionState, parseState, type RolloutStatus, type StateReadResult } from "./state";
export { type LinearSteps, resolveSteps, type StepsSpec } from "./steps";
export type { AnalysisVerdict, CheckResult, MeasuredValues, VerdictKind } from "./verdict";
