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
