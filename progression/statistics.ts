/**
 * Pure statistical tests used to judge a canary against fixed thresholds and against the stable version.
 * The normal CDF is implemented here because simple-statistics ships only a 2-decimal lookup table (its
 * tail saturates at 0.9999) and is an ES module that this CommonJS package cannot import with types.
 */

/** Result of a one-sided hypothesis test. */
export interface TestResult {
    /** The test statistic (z, or the normal approximation of U). */
    readonly statistic: number;
    /** One-sided p-value: the probability of a result at least this extreme under the null hypothesis. */
    readonly pValue: number;
}

/**
 * Complementary error function, W. J. Cody's rational Chebyshev approximation as given in Numerical Recipes
 * (`erfcc`), fractional error below 1.2e-7 everywhere — ample for p-values compared with α ≥ 1e-4.
 */
export function erfc(x: number): number {
    const z = Math.abs(x);
    const t = 1 / (1 + 0.5 * z);
    const r =
        t *
        Math.exp(
            -z * z -
                1.26551223 +
                t *
                    (1.00002368 +
                        t *
                            (0.37409196 +
                                t *
                                    (0.09678418 +
                                        t *
                                            (-0.18628806 +
                                                t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
        );
    return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution function Φ(z). */
export function normalCdf(z: number): number {
    return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper-tail probability 1 − Φ(z), computed without cancellation for large z. */
export function normalUpperTail(z: number): number {
    return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * One-sample score test of H0: p ≤ p0 against H1: p > p0, for `successes` events out of `trials`
 * (here: errors out of requests). Uses the null-hypothesis standard error √(p0(1−p0)/n), which behaves
 * well even when no event was observed.
 */
export function oneProportionZTest(events: number, trials: number, p0: number): TestResult {
    if (trials <= 0) return { statistic: 0, pValue: 1 };
    const p = events / trials;
    const se = Math.sqrt((p0 * (1 - p0)) / trials);
    if (se === 0) return { statistic: p > p0 ? Infinity : 0, pValue: p > p0 ? 0 : 1 };
    const z = (p - p0) / se;
    return { statistic: z, pValue: normalUpperTail(z) };
}

/**
 * Classic pooled two-proportion z-test of H0: pA ≤ pB against H1: pA > pB (one-sided), for xA events in nA
 * trials versus xB in nB.
 */
export function twoProportionZTest(xA: number, nA: number, xB: number, nB: number): TestResult {
    if (nA <= 0 || nB <= 0) return { statistic: 0, pValue: 1 };
    const pooled = (xA + xB) / (nA + nB);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
    const diff = xA / nA - xB / nB;
    if (se === 0) return { statistic: 0, pValue: 1 };
    const z = diff / se;
    return { statistic: z, pValue: normalUpperTail(z) };
}

/**
 * Non-inferiority test of H0: pA − pB ≤ margin against H1: pA − pB > margin, using the Agresti–Caffo
 * adjustment (one pseudo-event and one pseudo-non-event added to each group) so the standard error stays
 * sensible when either group saw zero or very few errors. With margin 0 it is a superiority test.
 */
export function twoProportionMarginTest(xA: number, nA: number, xB: number, nB: number, margin: number): TestResult {
    if (nA <= 0 || nB <= 0) return { statistic: 0, pValue: 1 };
    const pA = (xA + 1) / (nA + 2);
    const pB = (xB + 1) / (nB + 2);
    const se = Math.sqrt((pA * (1 - pA)) / (nA + 2) + (pB * (1 - pB)) / (nB + 2));
    const z = (pA - pB - margin) / se;
    return { statistic: z, pValue: normalUpperTail(z) };
}

/**
 * Mann–Whitney U test of H1: values in `a` tend to be larger than values in `b` (one-sided), with average
 * ranks for ties, the tie-corrected variance and a continuity correction. Suited to per-interval samples such
 * as per-minute error ratios, where the distribution is unknown and skewed. Returns U for sample `a`.
 */
export function mannWhitneyU(a: ReadonlyArray<number>, b: ReadonlyArray<number>): TestResult & { readonly u: number } {
    const n1 = a.length;
    const n2 = b.length;
    if (n1 === 0 || n2 === 0) return { u: 0, statistic: 0, pValue: 1 };
    const all = [...a.map((v) => ({ v, fromA: true })), ...b.map((v) => ({ v, fromA: false }))].sort((x, y) => x.v - y.v);
    const n = all.length;
    let rankSumA = 0;
    let tieTerm = 0;
    for (let i = 0; i < n; ) {
        let j = i;
        while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
        const avgRank = (i + j + 2) / 2; // ranks are 1-based
        const t = j - i + 1;
        tieTerm += t * t * t - t;
        for (let k = i; k <= j; k++) if (all[k]?.fromA) rankSumA += avgRank;
        i = j + 1;
    }
    const u = rankSumA - (n1 * (n1 + 1)) / 2;
    const meanU = (n1 * n2) / 2;
    const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
    if (variance <= 0) return { u, statistic: 0, pValue: 1 };
    const z = (u - meanU - 0.5) / Math.sqrt(variance);
    return { u, statistic: z, pValue: normalUpperTail(z) };
}

/**
 * Inverse of the standard normal CDF, Φ⁻¹(p), by P. J. Acklam's rational approximation (relative error below
 * 1.2e-9 over (0, 1)). Returns ±Infinity at 0 and 1 and NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
    if (!(p >= 0 && p <= 1)) return NaN;
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
    const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
    const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    const low = 0.02425;
    const tail = (q: number) =>
        (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
    if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
    const q = p - 0.5;
    const r = q * q;
    return (
        ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
        (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
    );
}

/** A two-sided interval made of two one-sided bounds, each holding with the requested confidence. */
export interface ConfidenceBounds {
    /** Lower bound: the true value is at least this with the requested confidence. */
    readonly lower: number;
    /** Upper bound: the true value is at most this with the requested confidence. */
    readonly upper: number;
}

/**
 * One-sided Wilson score bounds of a proportion (`events` out of `trials`) at `confidence` each: the set of
 * p0 that {@link oneProportionZTest} would not reject, so "lower > limit" is exactly "significantly above the
 * limit" and "upper < limit" is "significantly under it". Unlike the Wald interval it stays inside [0, 1] and
 * is not degenerate at zero events (0 errors in n requests has upper bound z²/(n + z²)). With no trials the
 * bounds are [0, 1]: nothing is known.
 */
export function wilsonBounds(events: number, trials: number, confidence: number): ConfidenceBounds {
    if (!(trials > 0)) return { lower: 0, upper: 1 };
    const z = normalQuantile(confidence);
    const p = Math.min(1, Math.max(0, events / trials));
    const z2n = (z * z) / trials;
    const centre = (p + z2n / 2) / (1 + z2n);
    const half = (z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))) / (1 + z2n);
    return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * One-sided bounds of the difference pA − pB at `confidence` each, with the Agresti–Caffo adjustment (one
 * pseudo-event and one pseudo-non-event per group), the interval {@link twoProportionMarginTest} inverts:
 * "lower > margin" is exactly that test's rejection at α = 1 − confidence.
 */
export function differenceBounds(xA: number, nA: number, xB: number, nB: number, confidence: number): ConfidenceBounds {
    if (!(nA > 0) || !(nB > 0)) return { lower: -1, upper: 1 };
    const z = normalQuantile(confidence);
    const pA = (xA + 1) / (nA + 2);
    const pB = (xB + 1) / (nB + 2);
    const se = Math.sqrt((pA * (1 - pA)) / (nA + 2) + (pB * (1 - pB)) / (nB + 2));
    const diff = pA - pB;
    return { lower: Math.max(-1, diff - z * se), upper: Math.min(1, diff + z * se) };
}
