/**
 * Turns raw measurements into a verdict. Pure, so the benchmark's simulated rollouts and the real Prometheus
 * path judge canaries with exactly the same rules.
 *
 * Rate thresholds are judged statistically rather than by point estimate: a canary whose observed error
 * rate is above the limit fails only when that is significant at the configured confidence; otherwise the
 * verdict is `inconclusive` (hold, look again). At 5 % weight a healthy 0.2 % canary shows ≥ 3 errors in
 * 300 requests (1 %) about 2 % of the time, which a point-estimate gate would roll back; a 12.7 % canary is
 * significant at any traffic above the minimum request count.
 */
import type { AnalysisSettings } from "./config";
import { oneProportionZTest, twoProportionMarginTest } from "./statistics";
import { type AnalysisVerdict, type CheckResult, type MeasuredValues, type VerdictKind, errorVerdict } from "./verdict";

/** Raw measurements of one service over one window, as read from Prometheus (undefined = series absent). */
export interface Measurements {
    /** Canary requests in the window. */
    readonly canaryRequests: number | undefined;
    /** Canary error responses in the window. */
    readonly canaryErrors: number | undefined;
    /** Stable requests in the window. */
    readonly stableRequests: number | undefined;
    /** Stable error responses in the window. */
    readonly stableErrors: number | undefined;
    /** Canary p95 latency in ms (NaN when the histogram had no observations). */
    readonly canaryP95Ms: number | undefined;
    /** Canary p99 latency in ms. */
    readonly canaryP99Ms: number | undefined;
    /** Canary container restarts in the window. */
    readonly canaryRestarts: number | undefined;
}

const COUNT_KEYS = ["canaryRequests", "canaryErrors", "stableRequests", "stableErrors", "canaryRestarts"] as const;

/** Judges `m` against the thresholds and statistical settings in `settings`. Never throws. */
export function evaluateMeasurements(m: Measurements, settings: AnalysisSettings, at: Date): AnalysisVerdict {
    const { thresholds } = settings;
    for (const key of COUNT_KEYS) {
        const v = m[key];
        if (v === undefined) return errorVerdict(`measurement ${key} missing from the response`, thresholds, at);
        if (!Number.isFinite(v) || v < 0) return errorVerdict(`measurement ${key} is ${v}, not a non-negative number`, thresholds, at);
    }
    const cReq = m.canaryRequests ?? 0;
    const cErr = Math.min(m.canaryErrors ?? 0, cReq);
    const sReq = m.stableRequests ?? 0;
    const sErr = Math.min(m.stableErrors ?? 0, sReq);
    const budget = 1 - settings.sloObjective;
    const cRate = cReq > 0 ? cErr / cReq : null;
    const sRate = sReq > 0 ? sErr / sReq : null;
    const base = {
        canaryRequests: cReq,
        canaryErrors: cErr,
        stableRequests: sReq,
        stableErrors: sErr,
        canaryErrorRate: cRate,
        stableErrorRate: sRate,
        errorRateDelta: cRate !== null && sRate !== null ? cRate - sRate : null,
        burnRate: cRate !== null ? cRate / budget : null,
        canaryP95Ms: finiteOrNull(m.canaryP95Ms),
        canaryP99Ms: finiteOrNull(m.canaryP99Ms),
        canaryRestarts: m.canaryRestarts ?? 0,
        comparisonPValue: null,
    } satisfies MeasuredValues;

    if (cReq < settings.minRequestCount) {
        return {
            verdict: "inconclusive",
            reason: `too little canary traffic: ${cReq} requests in the window, need ${settings.minRequestCount}`,
            measured: base,
            thresholds,
            checks: [],
            evaluatedAt: at.toISOString(),
        };
    }
    // With traffic present the latency histogram must answer; NaN here means the query or the metric is broken.
    if (base.canaryP95Ms === null || base.canaryP99Ms === null) {
        return errorVerdict(`canary latency quantiles are ${m.canaryP95Ms}/${m.canaryP99Ms} despite ${cReq} requests`, thresholds, at);
    }

    const alpha = 1 - settings.statisticalTest.confidence;
    const checks: CheckResult[] = [];
    const rate = cErr / cReq;
    checks.push(rateAboveLimit("errorRate", cErr, cReq, thresholds.maxErrorRate, alpha));
    if (thresholds.maxBurnRate !== undefined) {
        const limitRate = Math.min(1, thresholds.maxBurnRate * budget);
        const c = rateAboveLimit("burnRate", cErr, cReq, limitRate, alpha);
        checks.push({ ...c, measured: rate / budget, threshold: thresholds.maxBurnRate });
    }
    let comparisonPValue: number | null = null;
    if (sReq >= settings.minRequestCount && sRate !== null) {
        const delta = rate - sRate;
        if (delta <= thresholds.maxErrorRateDelta) {
            checks.push({ name: "errorRateDelta", outcome: "pass", measured: delta, threshold: thresholds.maxErrorRateDelta, detail: `delta ${pct(delta)} ≤ ${pct(thresholds.maxErrorRateDelta)}` });
        } else {
            const t = twoProportionMarginTest(cErr, cReq, sErr, sReq, thresholds.maxErrorRateDelta);
            const significant = t.pValue < alpha;
            checks.push({
                name: "errorRateDelta",
                outcome: significant ? "fail" : "inconclusive",
                measured: delta,
                threshold: thresholds.maxErrorRateDelta,
                detail: `delta ${pct(delta)} > ${pct(thresholds.maxErrorRateDelta)} (p=${fmtP(t.pValue)}${significant ? "" : ", not yet significant"})`,
            });
        }
        if (settings.statisticalTest.enabled) {
            const margin = settings.statisticalTest.toleratedDelta;
            const t = twoProportionMarginTest(cErr, cReq, sErr, sReq, margin);
            comparisonPValue = t.pValue;
            const worse = t.pValue < alpha;
            checks.push({
                name: "comparison",
                outcome: worse ? "fail" : "pass",
                measured: t.pValue,
                threshold: alpha,
                detail: `canary ${pct(rate)} vs stable ${pct(sRate)}: one-sided p=${fmtP(t.pValue)} that canary is worse by more than ${pct(margin)}`,
            });
        }
    } else {
        const detail = `stable has ${sReq} requests (< ${settings.minRequestCount}); no comparison possible`;
        checks.push({ name: "errorRateDelta", outcome: "skipped", measured: null, threshold: thresholds.maxErrorRateDelta, detail });
        if (settings.statisticalTest.enabled) checks.push({ name: "comparison", outcome: "skipped", measured: null, threshold: alpha, detail });
    }
    checks.push(atMost("p95", base.canaryP95Ms, thresholds.maxP95Ms, "ms"));
    checks.push(atMost("p99", base.canaryP99Ms, thresholds.maxP99Ms, "ms"));
    checks.push(atMost("restarts", base.canaryRestarts, thresholds.maxRestarts, ""));

    const verdict: VerdictKind = checks.some((c) => c.outcome === "fail")
        ? "fail"
        : checks.some((c) => c.outcome === "inconclusive")
          ? "inconclusive"
          : "pass";
    const notable = checks.filter((c) => c.outcome === (verdict === "pass" ? "pass" : verdict));
    const reason =
        verdict === "pass"
            ? `all ${checks.filter((c) => c.outcome === "pass").length} checks passed (canary error rate ${pct(rate)}, p95 ${base.canaryP95Ms} ms, ${cReq} requests)`
            : `${verdict}: ${notable.map((c) => `${c.name}: ${c.detail}`).join("; ")}`;
    return { verdict, reason, measured: { ...base, comparisonPValue }, thresholds, checks, evaluatedAt: at.toISOString() };
}

function rateAboveLimit(name: string, errors: number, requests: number, limit: number, alpha: number): CheckResult {
    const rate = errors / requests;
    if (rate <= limit) return { name, outcome: "pass", measured: rate, threshold: limit, detail: `${pct(rate)} ≤ ${pct(limit)}` };
    const t = oneProportionZTest(errors, requests, limit);
    const significant = t.pValue < alpha;
    return {
        name,
        outcome: significant ? "fail" : "inconclusive",
        measured: rate,
        threshold: limit,
        detail: `${pct(rate)} > ${pct(limit)} over ${requests} requests (p=${fmtP(t.pValue)}${significant ? "" : ", not yet significant"})`,
    };
}

function atMost(name: string, measured: number, limit: number, unit: string): CheckResult {
    const ok = measured <= limit;
    return { name, outcome: ok ? "pass" : "fail", measured, threshold: limit, detail: `${round(measured)}${unit} ${ok ? "≤" : ">"} ${limit}${unit}` };
}

function finiteOrNull(v: number | undefined): number | null {
    return v !== undefined && Number.isFinite(v) ? v : null;
}

function pct(x: number): string {
    return `${round(x * 100)}%`;
}

function round(x: number): number {
    return Math.round(x * 1000) / 1000;
}

function fmtP(p: number): string {
    return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
