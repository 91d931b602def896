/**
 * Latency against stable: is the canary's p95 (or p99) more than `maxRatio` × stable's, judged from the two
 * versions' latency histograms over the analysis window?
 *
 * The test, and why this one. Let q be the quantile (0.95), s_q stable's q-quantile and L = maxRatio × s_q the
 * tolerated canary latency. "Canary's q-quantile > L" is the same statement as "the share of canary requests above L
 * exceeds 1 − q", and stable's share above s_q is 1 − q by definition. So a one-sided two-proportion test of the
 * canary's share above L against stable's share above s_q tests exactly the tolerance the user wrote, with both
 * samples' uncertainty (stable's quantile is an estimate too). It fails when the canary's share is significantly
 * larger, passes only when the upper confidence bound of the difference is at or under 0 (shown within
 * tolerance), and is inconclusive in between: the two-way confidence of the error-rate checks.
 *
 * Mann–Whitney (statistics.ts) was the other candidate and does not fit: it tests whether one whole distribution
 * tends to be larger, with no tolerance (at a few thousand requests a harmless 2 % shift of the median is
 * "significant") and says nothing about the tail the SLO is written on; on binned data nearly every observation is
 * a tie, and expanding extrapolated, non-integer bucket counts into observations is neither exact nor cheap. A
 * chi-square test over all buckets has the same two faults (no tolerance, not about the tail).
 *
 * Counts within a bucket are interpolated linearly, the assumption `histogram_quantile` (and so the absolute
 * p95/p99 limits) already makes. Beyond the highest finite bound nothing is known: there the canary's share above
 * L counts as 0 for failing and as everything above that bound for passing.
 */
import type { AnalysisSettings } from "./config";
import type { HistogramBucket, Measurements } from "./evaluate";
import { differenceBounds, twoProportionMarginTest } from "./statistics";
import type { CheckResult } from "./verdict";

/** The comparisons configured, as (check name, quantile, tolerated ratio). */
function comparisons(settings: AnalysisSettings): Array<{ name: string; q: number; maxRatio: number }> {
    const t = settings.thresholds;
    const out: Array<{ name: string; q: number; maxRatio: number }> = [];
    if (t.maxP95RatioVsStable !== undefined) out.push({ name: "p95VsStable", q: 0.95, maxRatio: t.maxP95RatioVsStable });
    if (t.maxP99RatioVsStable !== undefined) out.push({ name: "p99VsStable", q: 0.99, maxRatio: t.maxP99RatioVsStable });
    return out;
}

/** A histogram as counts: sorted finite bounds, cumulative counts at them, and the total (the +Inf bucket). */
interface Counts {
    readonly bounds: number[];
    readonly cumulative: number[];
    readonly total: number;
}

/**
 * Cumulative counts from bucket rates over `windowSeconds` (increase = rate × range, as Prometheus computes it).
 * Cumulative values are made monotonic as `histogram_quantile` does (series extrapolated separately can dip by
 * rounding). Returns a string for data that cannot be a histogram.
 */
export function bucketCounts(buckets: ReadonlyArray<HistogramBucket>, windowSeconds: number): Counts | string {
    const sorted = [...buckets].sort((a, b) => a.le - b.le);
    const bounds: number[] = [];
    const cumulative: number[] = [];
    let running = 0;
    let total: number | undefined;
    for (const b of sorted) {
        if (!Number.isFinite(b.value) || b.value < 0) return `bucket le=${b.le} is ${b.value}, not a non-negative rate`;
        running = Math.max(running, b.value * windowSeconds);
        if (b.le === Infinity) total = running;
        else {
            bounds.push(b.le);
            cumulative.push(running);
        }
    }
    if (sorted.length === 0) return { bounds, cumulative, total: 0 };
    if (total === undefined) return "no +Inf bucket";
    return { bounds, cumulative, total };
}

/**
 * The q-quantile by linear interpolation inside its bucket, as `histogram_quantile` computes it (lowest bucket from
 * 0); `beyond` when it lies in the +Inf bucket (then the value is the highest finite bound).
 */
export function histogramQuantile(q: number, c: Counts): { value: number; beyond: boolean } {
    const rank = q * c.total;
    for (let i = 0; i < c.bounds.length; i++) {
        const upper = c.bounds[i]!;
        const cum = c.cumulative[i]!;
        if (cum >= rank) {
            const lower = i === 0 ? Math.min(0, upper) : c.bounds[i - 1]!;
            const below = i === 0 ? 0 : c.cumulative[i - 1]!;
            const inBucket = cum - below;
            return { value: inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper, beyond: false };
        }
    }
    return { value: c.bounds[c.bounds.length - 1] ?? NaN, beyond: true };
}

/**
 * Requests above latency `x`: interpolated inside a finite bucket; above the highest finite bound only a range
 * is known, `[0, total − cumulative at that bound]`.
 */
export function countAbove(x: number, c: Counts): { low: number; high: number } {
    for (let i = 0; i < c.bounds.length; i++) {
        const upper = c.bounds[i]!;
        if (x <= upper) {
            const lower = i === 0 ? Math.min(0, upper) : c.bounds[i - 1]!;
            const below = i === 0 ? 0 : c.cumulative[i - 1]!;
            const at = upper > lower ? below + ((c.cumulative[i]! - below) * (Math.max(x, lower) - lower)) / (upper - lower) : c.cumulative[i]!;
            const above = Math.max(0, c.total - at);
            return { low: above, high: above };
        }
    }
    const last = c.cumulative[c.cumulative.length - 1] ?? 0;
    return { low: 0, high: Math.max(0, c.total - last) };
}

/**
 * The canary-versus-stable latency checks configured in `settings.thresholds` (`maxP95RatioVsStable`,
 * `maxP99RatioVsStable`); none when neither is set. Pure; never throws.
 */
export function latencyVsStableChecks(m: Measurements, settings: AnalysisSettings): CheckResult[] {
    const wanted = comparisons(settings);
    if (wanted.length === 0) return [];
    const windowSeconds = settings.window / 1000;
    const result = (
        name: string,
        outcome: CheckResult["outcome"],
        maxRatio: number,
        detail: string,
        measured: number | null = null,
    ): CheckResult => ({
        name,
        outcome,
        measured,
        threshold: maxRatio,
        detail,
    });
    if (m.canaryLatencyBuckets === undefined || m.stableLatencyBuckets === undefined) {
        return wanted.map((w) => result(w.name, "error", w.maxRatio, "latency histogram buckets of canary or stable missing from the measurements"));
    }
    const canary = bucketCounts(m.canaryLatencyBuckets, windowSeconds);
    const stable = bucketCounts(m.stableLatencyBuckets, windowSeconds);
    if (typeof canary === "string" || typeof stable === "string") {
        const problem = typeof canary === "string" ? `canary histogram: ${canary}` : `stable histogram: ${stable as string}`;
        return wanted.map((w) => result(w.name, "error", w.maxRatio, `implausible measurement: ${problem}`));
    }
    const min = settings.minRequestCount;
    const confidence = settings.statisticalTest.confidence;
    return wanted.map(({ name, q, maxRatio }) => {
        if (stable.total < min) {
            // Stable's request counter may have traffic while its histogram is empty: a broken selector or metric.
            const stableRequests = m.stableRequests ?? 0;
            if (stable.total === 0 && stableRequests >= min) {
                return result(name, "error", maxRatio, `stable has ${round(stableRequests)} requests but no latency histogram observations`);
            }
            return result(name, "skipped", maxRatio, `stable histogram has ${round(stable.total)} observations (< ${min}); no comparison possible`);
        }
        if (canary.total < min) {
            return result(name, "inconclusive", maxRatio, `canary histogram has ${round(canary.total)} observations (< ${min}); not yet comparable`);
        }
        const s = histogramQuantile(q, stable);
        const c = histogramQuantile(q, canary);
        const label = `p${Math.round(q * 100)}`;
        if (s.beyond || !(s.value > 0)) {
            return result(
                name,
                "inconclusive",
                maxRatio,
                `stable ${label} lies ${s.beyond ? "beyond the histogram's highest finite bound" : "at 0 ms"}: no tolerance can be derived from it`,
            );
        }
        const ratio = c.value / s.value;
        const limitMs = maxRatio * s.value;
        const above = countAbove(limitMs, canary);
        const stableAbove = (1 - q) * stable.total;
        const values =
            `canary ${label} ${round(c.value)} ms vs stable ${round(s.value)} ms (ratio ${round(ratio)}, tolerated ${maxRatio}); ` +
            `canary share above ${round(limitMs)} ms ${pct(above.low / canary.total)}${above.high > above.low ? `–${pct(above.high / canary.total)}` : ""} vs ${pct(1 - q)} ` +
            `over ${round(canary.total)} canary / ${round(stable.total)} stable requests`;
        const alpha = 1 - confidence;
        const t = twoProportionMarginTest(above.low, canary.total, stableAbove, stable.total, 0);
        if (t.pValue < alpha && above.low / canary.total > 1 - q) {
            return result(name, "fail", maxRatio, `canary slower than tolerated: ${values} (one-sided p=${fmtP(t.pValue)})`, ratio);
        }
        const bounds = differenceBounds(above.high, canary.total, stableAbove, stable.total, confidence);
        if (bounds.upper <= 0) {
            return result(name, "pass", maxRatio, `${values}; upper ${pct(confidence)} bound of the difference ${pct(bounds.upper)} ≤ 0`, ratio);
        }
        return result(
            name,
            "inconclusive",
            maxRatio,
            `${values}; neither significantly slower (p=${fmtP(t.pValue)}) nor shown within tolerance (upper bound of the difference ${pct(bounds.upper)} > 0)`,
            ratio,
        );
    });
}

function round(x: number): number {
    return Math.round(x * 1000) / 1000;
}

function pct(x: number): string {
    return `${round(x * 100)}%`;
}

function fmtP(p: number): string {
    return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
