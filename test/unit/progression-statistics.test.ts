import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    differenceBounds,
    mannWhitneyU,
    normalCdf,
    normalQuantile,
    normalUpperTail,
    oneProportionZTest,
    twoProportionMarginTest,
    twoProportionZTest,
    wilsonBounds,
} from "../../progression/internal";

const close = (actual: number, expected: number, tol: number, what = "") =>
    assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} ≉ ${expected}`);

describe("progression statistics", () => {
    it("normal CDF matches tabulated values", () => {
        close(normalCdf(0), 0.5, 1e-7);
        close(normalCdf(1.959964), 0.975, 1e-6);
        close(normalCdf(-1), 0.1586553, 1e-6);
        close(normalCdf(-3), 0.0013499, 1e-6);
        close(normalUpperTail(2.326348), 0.01, 1e-6);
        close(normalUpperTail(5), 2.8665e-7, 1e-9);
    });

    it("is monotone and symmetric", () => {
        fc.assert(
            fc.property(fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), (z, d) => {
                // The approximation's relative error (1.2e-7) allows tiny non-monotone wiggles, e.g. across z = 0.
                assert.ok(normalCdf(z + d) >= normalCdf(z) - 2e-7);
                close(normalCdf(z) + normalCdf(-z), 1, 1e-7);
            }),
        );
    });

    it("one-proportion z-test: 12 events in 100 against p0 = 5 %", () => {
        const t = oneProportionZTest(12, 100, 0.05);
        close(t.statistic, 3.2118, 1e-3);
        close(t.pValue, 0.00066, 2e-5);
    });

    it("pooled two-proportion z-test: 50/100 vs 40/100", () => {
        const t = twoProportionZTest(50, 100, 40, 100);
        close(t.statistic, 1.4213, 1e-3);
        close(t.pValue, 0.0776, 5e-4);
    });

    it("two-proportion test is one-sided: a better canary is never significant", () => {
        assert.ok(twoProportionZTest(1, 1000, 20, 1000).pValue > 0.99);
        assert.ok(twoProportionMarginTest(1, 1000, 20, 1000, 0).pValue > 0.99);
    });

    it("margin test: the 0.2 % → 12.7 % incident is overwhelming even on 300 requests; equal rates are not", () => {
        assert.ok(twoProportionMarginTest(38, 300, 12, 6000, 0.001).pValue < 1e-10);
        assert.ok(twoProportionMarginTest(12, 6000, 12, 6000, 0.001).pValue > 0.5);
    });

    it("margin test approaches the unpooled Wald z on large samples", () => {
        const [xA, nA, xB, nB] = [600, 100_000, 400, 100_000];
        const pA = xA / nA;
        const pB = xB / nB;
        const wald = (pA - pB - 0.001) / Math.sqrt((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
        close(twoProportionMarginTest(xA, nA, xB, nB, 0.001).statistic, wald, 0.01);
    });

    it("Mann–Whitney U: fully separated samples (scipy asymptotic, continuity-corrected: p = 0.00609)", () => {
        const t = mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);
        assert.equal(t.u, 25);
        close(t.pValue, 0.00609, 5e-5);
        assert.equal(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).u, 0);
    });

    it("Mann–Whitney U with ties: average ranks and tie-corrected variance", () => {
        // Pooled sorted: 1b 2a 2b 2b 3a 3a 3b 4a → ranks 1, 3,3,3, 6,6,6, 8; rank sum of a = 3+6+6+8 = 23,
        // U = 23 − 4·5/2 = 13. Var = (16/12)·(9 − (24+24)/56) = 10.857, z = (13 − 8 − 0.5)/3.295 = 1.3657,
        // one-sided p = 0.0860 (the same as scipy.stats.mannwhitneyu(..., alternative="greater", method="asymptotic")).
        const t = mannWhitneyU([2, 3, 3, 4], [1, 2, 2, 3]);
        assert.equal(t.u, 13);
        close(t.statistic, 1.3657, 1e-3);
        close(t.pValue, 0.086, 1e-3);
        close(t.u + mannWhitneyU([1, 2, 2, 3], [2, 3, 3, 4]).u, 16, 1e-9);
    });

    it("Mann–Whitney U: identical samples are not significant; U + U' = n1·n2", () => {
        fc.assert(
            fc.property(
                fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 }),
                fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 }),
                (a, b) => {
                    close(mannWhitneyU(a, b).u + mannWhitneyU(b, a).u, a.length * b.length, 1e-9);
                    assert.ok(mannWhitneyU(a, a).pValue >= 0.5 - 1e-9 || a.length === 1);
                },
            ),
        );
    });

    it("normal quantile inverts the CDF (tabulated values and a round trip)", () => {
        close(normalQuantile(0.5), 0, 1e-9);
        close(normalQuantile(0.975), 1.959964, 1e-6);
        close(normalQuantile(0.99), 2.326348, 1e-6);
        close(normalQuantile(0.01), -2.326348, 1e-6);
        close(normalQuantile(1e-6), -4.753424, 1e-5);
        assert.equal(normalQuantile(0), -Infinity);
        assert.equal(normalQuantile(1), Infinity);
        assert.ok(Number.isNaN(normalQuantile(1.5)));
        fc.assert(fc.property(fc.double({ min: 1e-9, max: 1 - 1e-9, noNaN: true }), (p) => close(normalCdf(normalQuantile(p)), p, 2e-7)));
    });

    it("Wilson bounds: textbook values, zero events, no trials", () => {
        // 0 of 300 at one-sided 99 %: upper = z²/(n + z²) = 5.4119/305.41 = 1.772 %.
        const none = wilsonBounds(0, 300, 0.99);
        close(none.upper, 0.01772, 1e-5);
        assert.equal(none.lower, 0);
        // 2 of 1000 at 95 % one-sided (z = 1.645): the p0 where the score statistic is ∓z, found by bisection
        // (Python's statistics.NormalDist): 0.00066207 and 0.00602538.
        const two = wilsonBounds(2, 1000, 0.95);
        close(two.lower, 0.00066207, 1e-7);
        close(two.upper, 0.00602538, 1e-7);
        assert.deepEqual(wilsonBounds(0, 0, 0.99), { lower: 0, upper: 1 });
    });

    it("Wilson bounds invert the one-proportion score test both ways", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 20000 }),
                fc.double({ min: 0, max: 1, noNaN: true }),
                fc.double({ min: 0.001, max: 0.2, noNaN: true }),
                fc.constantFrom(0.9, 0.95, 0.99),
                (n, share, p0, confidence) => {
                    const x = Math.round(share * n);
                    const b = wilsonBounds(x, n, confidence);
                    const t = oneProportionZTest(x, n, p0);
                    // Away from the boundary (where rounding decides), "significantly above p0" ⇔ lower bound above p0.
                    if (Math.abs(b.lower - p0) > 1e-9) assert.equal(b.lower > p0, t.pValue < 1 - confidence, `x=${x} n=${n} p0=${p0}`);
                    assert.ok(b.lower <= x / n + 1e-12 && x / n <= b.upper + 1e-12);
                },
            ),
        );
    });

    it("difference bounds invert the margin test both ways", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 5000 }),
                fc.integer({ min: 1, max: 50000 }),
                fc.double({ min: 0, max: 0.2, noNaN: true }),
                fc.double({ min: 0, max: 0.2, noNaN: true }),
                fc.double({ min: 0, max: 0.01, noNaN: true }),
                (nA, nB, rA, rB, margin) => {
                    const xA = Math.round(rA * nA);
                    const xB = Math.round(rB * nB);
                    const b = differenceBounds(xA, nA, xB, nB, 0.99);
                    const t = twoProportionMarginTest(xA, nA, xB, nB, margin);
                    if (Math.abs(b.lower - margin) > 1e-9) assert.equal(b.lower > margin, t.pValue < 0.01);
                    assert.ok(b.lower < b.upper);
                },
            ),
        );
    });

    it("difference bounds: equal healthy rates are shown within 0.3 % on 6000 canary requests, not on 300", () => {
        assert.ok(differenceBounds(12, 6000, 240, 120000, 0.99).upper < 0.003);
        assert.ok(differenceBounds(1, 300, 240, 120000, 0.99).upper > 0.003);
    });
});
