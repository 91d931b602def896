/**
 * The outcome of one analysis. It is plain JSON (no NaN, no undefined values) because it is stored in the
 * rollout history, which lives in a Pulumi stack output.
 */
import type { Thresholds } from "./config";

/**
 * `pass`: shown healthy with the configured confidence, may advance. `fail`: evidence the canary is worse.
 * `inconclusive`: not enough evidence either way (low traffic, no stable baseline, a rate between its confidence
 * bounds). `error`: the analysis itself could not be done or its data cannot be trusted (unreachable, timeout, 5xx,
 * malformed, partial or stale answer, impossible values).
 */
export type VerdictKind = "pass" | "fail" | "inconclusive" | "error";

/** Outcome of one individual check inside an analysis. */
export interface CheckResult {
    /** Check name, e.g. `errorRate`, `p95`, `comparison`. */
    readonly name: string;
    /**
     * `skipped` when the check could not apply (e.g. no stable traffic to compare against and `baseline: optional`);
     * `error` when what it needs is missing although it should be there (e.g. stable has replicas but no series).
     * Custom checks (`analysis.checks`, custom-checks.ts) add `hold` (a breached `pause` check) and `warn` (a breached,
     * or unknown, `warn` check: recorded only).
     */
    readonly outcome: "pass" | "fail" | "inconclusive" | "skipped" | "error" | "hold" | "warn";
    /** The measured value the check judged, or null when there was none. */
    readonly measured: number | null;
    /** The limit it was judged against, or null when the check has none. */
    readonly threshold: number | null;
    /** One-line human explanation, including p-values for statistical checks. */
    readonly detail: string;
}

/** Measured (and derived) values of one analysis; null when not available. */
export interface MeasuredValues {
    /** Canary requests in the window. */
    readonly canaryRequests: number | null;
    /** Canary error responses in the window. */
    readonly canaryErrors: number | null;
    /** Stable requests in the window. */
    readonly stableRequests: number | null;
    /** Stable error responses in the window. */
    readonly stableErrors: number | null;
    /** Canary errors / canary requests. */
    readonly canaryErrorRate: number | null;
    /** Stable errors / stable requests. */
    readonly stableErrorRate: number | null;
    /** Canary error rate minus stable error rate. */
    readonly errorRateDelta: number | null;
    /** Canary error rate divided by the error budget (1 − SLO objective). */
    readonly burnRate: number | null;
    /** Canary p95 latency in ms. */
    readonly canaryP95Ms: number | null;
    /** Canary p99 latency in ms. */
    readonly canaryP99Ms: number | null;
    /** Canary container restarts in the window. */
    readonly canaryRestarts: number | null;
    /** One-sided p-value of the canary-worse-than-stable comparison (over the pass window), when it ran. */
    readonly comparisonPValue: number | null;
    /** Canary requests over the pass window (`analysis.passWindow`). */
    readonly passCanaryRequests: number | null;
    /** Canary error responses over the pass window. */
    readonly passCanaryErrors: number | null;
    /** Stable requests over the pass window. */
    readonly passStableRequests: number | null;
    /** Stable error responses over the pass window. */
    readonly passStableErrors: number | null;
    /** Upper confidence bound of the canary error rate over the pass window. */
    readonly canaryErrorRateUpper: number | null;
    /** Upper confidence bound of the canary-minus-stable error rate over the pass window, when stable had traffic. */
    readonly errorRateDeltaUpper: number | null;
    /** Age in seconds of the newest raw sample of the canary's request counter, at the evaluation time. */
    readonly canaryDataAgeSeconds: number | null;
    /** Age in seconds of the newest raw sample of the stable's request counter. */
    readonly stableDataAgeSeconds: number | null;
    /** Available replicas of the stable Deployment, when the replicas metric answered. */
    readonly stableReplicas: number | null;
}

/** The verdict of one analysis with everything needed to explain it later. */
export interface AnalysisVerdict {
    /** The overall verdict: `pass`, `fail`, `inconclusive` or `error` (read as `result.verdict.kind`). */
    readonly kind: VerdictKind;
    /** Why, in one line (the failing checks, or the error). */
    readonly reason: string;
    /** Measured and derived values. */
    readonly measured: MeasuredValues;
    /** Thresholds in force. */
    readonly thresholds: Thresholds;
    /** Every individual check. */
    readonly checks: ReadonlyArray<CheckResult>;
    /** Evaluation time (ISO 8601). */
    readonly evaluatedAt: string;
    /**
     * Set (to true) on an `inconclusive` verdict whose only reason not to pass is a breached custom check with action
     * `pause`: `decide` holds without counting it toward `inconclusiveBeforeFail`. Absent otherwise. A reader that
     * does not know it still holds, as on any inconclusive verdict.
     */
    readonly held?: true;
}

/** A {@link MeasuredValues} with every value null, for verdicts reached before anything was measured. */
export const NOTHING_MEASURED: MeasuredValues = Object.freeze({
    canaryRequests: null,
    canaryErrors: null,
    stableRequests: null,
    stableErrors: null,
    canaryErrorRate: null,
    stableErrorRate: null,
    errorRateDelta: null,
    burnRate: null,
    canaryP95Ms: null,
    canaryP99Ms: null,
    canaryRestarts: null,
    comparisonPValue: null,
    passCanaryRequests: null,
    passCanaryErrors: null,
    passStableRequests: null,
    passStableErrors: null,
    canaryErrorRateUpper: null,
    errorRateDeltaUpper: null,
    canaryDataAgeSeconds: null,
    stableDataAgeSeconds: null,
    stableReplicas: null,
});

/**
 * Builds an `error` verdict; every failure of the analysis machinery goes through here instead of throwing. The
 * values measured so far, if any, are kept for the record.
 */
export function errorVerdict(reason: string, thresholds: Thresholds, at: Date, measured: MeasuredValues = NOTHING_MEASURED): AnalysisVerdict {
    return { kind: "error", reason, measured, thresholds, checks: [], evaluatedAt: at.toISOString() };
}
