// Every name of the engine, internals included, for the package's own tests, benchmarks and tools. Not an entry point
// of the package (package.json exports only ./index as `gray-release/progression`).
export { parseDuration, toPromQLRange } from "./duration";
export { type ImageReference, parseImageReference, isPinnedImage, defaultVersionLabel } from "./image";
export { type LinearSteps, type StepsSpec, resolveSteps, weightListProblems } from "./steps";
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
export {
    STATE_SCHEMA_VERSION,
    HISTORY_LIMIT,
    STABLE_HISTORY_LIMIT,
    parseState,
    type ProgressionState,
    type RolloutStatus,
    type DecisionAction,
    type DecisionRecord,
    type StateReadResult,
} from "./state";
export { decide, type Decision, type Routing } from "./decide";
export { resolveStableImage, stableInForce, type ConfiguredImages, type StableResolution } from "./stable";
export { type AnalysisVerdict, type VerdictKind, type CheckResult, type MeasuredValues, NOTHING_MEASURED, errorVerdict } from "./verdict";
export { evaluateMeasurements, type Measurements } from "./evaluate";
export { erfc, normalCdf, normalUpperTail, oneProportionZTest, twoProportionZTest, twoProportionMarginTest, mannWhitneyU, type TestResult } from "./statistics";
export { type MetricsProvider, type InstantSample, type QueryOutcome } from "./metrics-provider";
export { PrometheusProvider, type PrometheusProviderOptions, parseSampleValue } from "./prometheus-provider";
export { MEASURE_NAMES, type MeasureName, MEASURE_LABEL, SERVICE_LABEL, measurementQueries, batchedQuery, measurementsByService, promqlString } from "./queries";
export { analyzeServices, analyzeService } from "./analysis";
export { runProgression, needsAnalysis, type ServiceProgressionInput, type ServiceProgressionResult } from "./run";
export { normalQuantile, wilsonBounds, differenceBounds, type ConfidenceBounds } from "./statistics";
export { plausibilityProblem, type HistogramBucket } from "./evaluate";
export { LATENCY_BUCKETS_MEASURE, latencyBucketsQuery, missingMeasurements } from "./queries";
export { isQueryAnnotation, staleSample } from "./analysis";
