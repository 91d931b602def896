// Every name of the engine, internals included, for the package's own tests, benchmarks and tools. Not an entry point
// of the package (package.json exports only ./index as `gray-release/progression`).

export { analyzeService, analyzeServices, isQueryAnnotation, staleSample } from "./analysis";
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
export { parseDuration, toPromQLRange } from "./duration";
export { evaluateMeasurements, type HistogramBucket, type Measurements, plausibilityProblem } from "./evaluate";
export { defaultVersionLabel, type ImageReference, isPinnedImage, parseImageReference } from "./image";
export { bucketCounts, countAbove, histogramQuantile, latencyVsStableChecks } from "./latency-comparison";
export type { InstantSample, MetricsProvider, QueryOutcome } from "./metrics-provider";
export { PrometheusProvider, type PrometheusProviderOptions, parseSampleValue } from "./prometheus-provider";
export {
    batchedQuery,
    GATE_LABEL,
    LATENCY_BUCKETS_MEASURE,
    latencyBucketsQuery,
    MEASURE_LABEL,
    MEASURE_NAMES,
    type MeasureName,
    measurementQueries,
    measurementsByService,
    missingMeasurements,
    promqlString,
    SERVICE_LABEL,
    STABLE_LATENCY_BUCKETS_MEASURE,
    stepGateExpressions,
} from "./queries";
export { needsAnalysis, runProgression, type ServiceProgressionInput, type ServiceProgressionResult } from "./run";
export { type ConfiguredImages, resolveStableImage, type StableResolution, stableInForce } from "./stable";
export {
    type DecisionAction,
    type DecisionRecord,
    HISTORY_LIMIT,
    type ProgressionState,
    parseState,
    type RolloutStatus,
    STABLE_HISTORY_LIMIT,
    STATE_SCHEMA_VERSION,
    type StateReadResult,
} from "./state";
export {
    type ConfidenceBounds,
    differenceBounds,
    erfc,
    mannWhitneyU,
    normalCdf,
    normalQuantile,
    normalUpperTail,
    oneProportionZTest,
    type TestResult,
    twoProportionMarginTest,
    twoProportionZTest,
    wilsonBounds,
} from "./statistics";
export {
    gatesAt,
    STEP_GATE_MEASURES,
    type StepGate,
    type StepGateMeasurement,
    type StepPosition,
    stepGateCheck,
    stepGateProblems,
    stepGateQueries,
    stepGatesSchema,
    withStepGates,
} from "./step-gates";
export { type LinearSteps, resolveSteps, type StepsSpec, weightListProblems } from "./steps";
export { type AnalysisVerdict, type CheckResult, errorVerdict, type MeasuredValues, NOTHING_MEASURED, type VerdictKind } from "./verdict";
