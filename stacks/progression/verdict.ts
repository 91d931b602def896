/**
 * The outcome of one analysis. It is plain JSON (no NaN, no undefined values) because it is stored in the
 * rollout history, which lives in a Pulumi stack output.
 */
import type { Thresholds } from "./config";

/**
 * `pass`: healthy, may advance. `fail`: evidence the canary is worse. `inconclusive`: not enough data to
 * judge (low traffic, no series). `error`: the analysis itself could not be done (unreachable, timeout,
 * 5xx, malformed or unexpected response).
 */
export type VerdictKind = "pass" | "fail" | "inconclusive" | "error";

/** Outcome of one individual check inside an analysis. */
export interface CheckResult {
    /** Check name, e.g. `errorRate`, `p95`, `comparison`. */
    readonly name: string;
    /** `skipped` when the check could not apply (e.g. the stable version has no traffic to compare against). */
    readonly outcome: "pass" | "fail" | "inconclusive" | "skipped";
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
    /** One-sided p-value of the canary-worse-than-stable comparison, when it ran. */
    readonly comparisonPValue: number | null;
}

/** The verdict of one analysis with everything needed to explain it later. */
export interface AnalysisVerdict {
    /** The overall verdict. */
    readonly verdict: VerdictKind;
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
});

/** Builds an `error` verdict; every failure of the analysis machinery goes through here instead of throwing. */
export function errorVerdict(reason: string, thresholds: Thresholds, at: Date): AnalysisVerdict {
    return { verdict: "error", reason, measured: NOTHING_MEASURED, thresholds, checks: [], evaluatedAt: at.toISOString() };
}
