import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    bucketCounts,
    countAbove,
    evaluateMeasurements,
    type HistogramBucket,
    histogramQuantile,
    latencyVsStableChecks,
    type Measurements,
    parseProgressionConfig,
} from "../../progression/internal";

const BOUNDS = [5, 10, 25, 50, 75, 100, 125, 150, 200, 250, 500, 1000];
const WINDOW_S = 300;

/** Bucket rates for `total` requests over the 5-minute window whose latency CDF is `cdf` (ms → share). */
function buckets(total: number, cdf: (ms: number) => number): HistogramBucket[] {
    return [...BOUNDS.map((le) => ({ le, value: (total * cdf(le)) / WINDOW_S })), { le: Infinity, value: total / WINDOW_S }];
}

/** Exponential latencies with mean `mean` ms, scaled by `factor` (a canary `factor` times slower). */
const exponential =
    (mean: number, factor = 1) =>
    (ms: number) =>
        1 - Math.exp(-ms / (mean * factor));

function settings(thresholds: Record<string, unknown> = { maxP95RatioVsStable: 1.2 }, extra: Record<string, unknown> = {}) {
    return parseProgressionConfig({
        service: "checkout",
        environment: "prod",
        stableImage: "app:1.0.0",
        canaryImage: "app:1.1.0",
        analysis: { prometheusUrl: "http://prom:9090", thresholds, ...extra },
    }).analysis;
}

function measurements(canary: HistogramBucket[], stable: HistogramBucket[], stableRequests = 20000): Measurements {
    return {
        canaryRequests: 3000,
        canaryErrors: 0,
        stableRequests,
        stableErrors: 0,
        canaryP95Ms: 90,
        canaryP99Ms: 180,
        canaryRestarts: 0,
        canaryLatencyBuckets: canary,
        stableLatencyBuckets: stable,
    };
}

describe("latency against stable (bucket-wise tail-share test)", () => {
    it("interpolates quantiles as histogram_quantile does", () => {
        const c = bucketCounts(
            [
                { le: 10, value: 1 },
                { le: 20, value: 3 },
                { le: Infinity, value: 4 },
            ],
            1,
        );
        assert.ok(typeof c !== "string");
        assert.deepEqual(histogramQuantile(0.5, c), { value: 15, beyond: false });
        assert.deepEqual(histogramQuantile(0.25, c), { value: 10, beyond: false });
        assert.deepEqual(histogramQuantile(0.9, c), { value: 20, beyond: true });
        assert.deepEqual(countAbove(15, c), { low: 2, high: 2 });
        assert.deepEqual(countAbove(30, c), { low: 0, high: 1 });
    });

    it("fails a canary 40 % slower, with both p95s and the ratio in the check", () => {
        const s = settings();
        const [check] = latencyVsStableChecks(measurements(buckets(3000, exponential(40, 1.4)), buckets(20000, exponential(40))), s);
        assert.equal(check?.name, "p95VsStable");
        assert.equal(check?.outcome, "fail", check?.detail);
        assert.ok(check!.measured! > 1.3 && check!.measured! < 1.5, String(check?.measured));
        assert.equal(check?.threshold, 1.2);
        assert.match(check!.detail, /canary p95 \d+(\.\d+)? ms vs stable \d+(\.\d+)? ms \(ratio 1\.\d+, tolerated 1\.2\)/);
    });

    it("passes an equally fast canary, and is inconclusive for one at the tolerance or with little traffic", () => {
        const s = settings();
        const stable = buckets(20000, exponential(40));
        assert.equal(latencyVsStableChecks(measurements(buckets(3000, exponential(40)), stable), s)[0]?.outcome, "pass");
        assert.equal(latencyVsStableChecks(measurements(buckets(3000, exponential(40, 1.2)), stable), s)[0]?.outcome, "inconclusive");
        const few = latencyVsStableChecks(measurements(buckets(60, exponential(40)), stable), s)[0];
        assert.equal(few?.outcome, "inconclusive", few?.detail);
        // Slightly below minRequestCount (100): never a pass.
        assert.equal(latencyVsStableChecks(measurements(buckets(99, exponential(40)), stable), s)[0]?.outcome, "inconclusive");
    });

    it("skips without a stable baseline, and errs when stable has requests but no histogram", () => {
        const s = settings();
        const canary = buckets(3000, exponential(40));
        assert.equal(latencyVsStableChecks(measurements(canary, [], 0), s)[0]?.outcome, "skipped");
        const broken = latencyVsStableChecks(measurements(canary, [], 20000), s)[0];
        assert.equal(broken?.outcome, "error");
        assert.match(broken!.detail, /20000 requests but no latency histogram/);
        const negative = latencyVsStableChecks(measurements(canary, [{ le: Infinity, value: -1 }]), s)[0];
        assert.equal(negative?.outcome, "error");
    });

    it("is off unless configured, and checks p99 when asked", () => {
        assert.deepEqual(latencyVsStableChecks(measurements([], []), settings({})), []);
        const both = latencyVsStableChecks(
            measurements(buckets(20000, exponential(40, 1.5)), buckets(20000, exponential(40))),
            settings({ maxP95RatioVsStable: 1.2, maxP99RatioVsStable: 1.3 }),
        );
        assert.deepEqual(
            both.map((c) => [c.name, c.outcome]),
            [
                ["p95VsStable", "fail"],
                ["p99VsStable", "fail"],
            ],
        );
    });

    it("decides the verdict through evaluateMeasurements: slower fails although p95 is under its absolute limit", () => {
        const s = settings();
        const m = measurements(buckets(3000, exponential(40, 1.4)), buckets(20000, exponential(40)));
        const v = evaluateMeasurements({ ...m, canaryLatencyBuckets: m.canaryLatencyBuckets }, s, new Date(0));
        assert.equal(v.kind, "fail", v.reason);
        assert.equal(v.checks.find((c) => c.name === "p95")?.outcome, "pass");
        assert.match(v.reason, /p95VsStable: canary slower than tolerated/);
    });

    it("property: a canary no slower than stable never fails; one twice as slow with enough traffic never passes", () => {
        const s = settings();
        fc.assert(
            fc.property(
                fc.double({ min: 5, max: 120, noNaN: true }),
                fc.integer({ min: 100, max: 50000 }),
                fc.double({ min: 0.5, max: 1, noNaN: true }),
                (mean, n, factor) => {
                    const checks = latencyVsStableChecks(measurements(buckets(n, exponential(mean, factor)), buckets(20000, exponential(mean))), s);
                    return checks[0]?.outcome !== "fail";
                },
            ),
        );
        fc.assert(
            fc.property(fc.double({ min: 5, max: 120, noNaN: true }), fc.integer({ min: 2000, max: 50000 }), (mean, n) => {
                const checks = latencyVsStableChecks(measurements(buckets(n, exponential(mean, 2)), buckets(20000, exponential(mean))), s);
                return checks[0]?.outcome !== "pass";
            }),
        );
    });
});
