import { strict as assert } from "node:assert";
import { type Measurements, batchedQuery, evaluateMeasurements, measurementQueries, parseProgressionConfig } from "../../stacks/progression";

const config = parseProgressionConfig({
    service: "checkout",
    environment: "prod",
    stableVersion: "app:1.0.0",
    canaryVersion: "app:1.1.0",
    analysis: { prometheusUrl: "http://prom:9090", thresholds: { maxBurnRate: 20 } },
});
const at = new Date(Date.UTC(2025, 0, 1));
const healthy: Measurements = { canaryRequests: 1000, canaryErrors: 2, stableRequests: 20000, stableErrors: 40, canaryP95Ms: 90, canaryP99Ms: 180, canaryRestarts: 0 };
const judge = (m: Partial<Measurements>) => evaluateMeasurements({ ...healthy, ...m }, config.analysis, at);

describe("evaluateMeasurements", () => {
    it("passes a healthy canary and reports every measured value", () => {
        const v = judge({});
        assert.equal(v.verdict, "pass", v.reason);
        assert.equal(v.measured.canaryErrorRate, 0.002);
        assert.equal(v.measured.stableErrorRate, 0.002);
        assert.ok(Math.abs((v.measured.burnRate ?? 0) - 4) < 1e-9);
        assert.deepEqual(v.checks.map((c) => c.name), ["errorRate", "burnRate", "errorRateDelta", "comparison", "p95", "p99", "restarts"]);
        assert.doesNotThrow(() => JSON.parse(JSON.stringify(v)));
    });

    it("fails the 12.7 % incident on error rate, delta, comparison and burn rate at once", () => {
        const v = judge({ canaryErrors: 127 });
        assert.equal(v.verdict, "fail");
        for (const name of ["errorRate", "errorRateDelta", "comparison", "burnRate"]) assert.equal(v.checks.find((c) => c.name === name)?.outcome, "fail", name);
    });

    it("is inconclusive when a rate is above its limit but not significantly (few requests)", () => {
        const v = judge({ canaryRequests: 150, canaryErrors: 2 }); // 1.3 % on 150 requests: p ≈ 0.2
        assert.equal(v.verdict, "inconclusive", v.reason);
        assert.match(v.reason, /not yet significant/);
    });

    it("is inconclusive below the minimum request count, even with errors", () => {
        assert.equal(judge({ canaryRequests: 99, canaryErrors: 50 }).verdict, "inconclusive");
    });

    it("fails on latency and restarts without statistics", () => {
        assert.equal(judge({ canaryP95Ms: 201 }).verdict, "fail");
        assert.equal(judge({ canaryP99Ms: 301 }).verdict, "fail");
        assert.equal(judge({ canaryRestarts: 1 }).verdict, "fail");
    });

    it("skips the comparison when stable has no traffic, judging absolute gates only", () => {
        const v = judge({ stableRequests: 0, stableErrors: 0 });
        assert.equal(v.verdict, "pass");
        assert.equal(v.checks.find((c) => c.name === "comparison")?.outcome, "skipped");
    });

    it("turns missing, NaN, infinite or negative counts into error, never pass", () => {
        for (const bad of [undefined, NaN, Infinity, -1]) {
            assert.equal(judge({ canaryErrors: bad }).verdict, "error", String(bad));
            assert.equal(judge({ stableRequests: bad }).verdict, "error", String(bad));
        }
        assert.equal(judge({ canaryP99Ms: NaN }).verdict, "error");
    });

    it("builds selectors from the service and version labels, and tags batched series", () => {
        const q = measurementQueries(config);
        assert.match(q.canaryErrors, /istio_requests_total\{reporter="destination", destination_service_name="checkout", destination_version="1\.1\.0", response_code=~"5\.\."\}\[300s\]/);
        assert.match(q.canaryP95Ms, /histogram_quantile\(0\.95, sum by \(le\)/);
        const batch = batchedQuery([config, { ...config, service: "cart" }]);
        assert.equal(batch.split("\nor\n").length, 14);
        assert.match(batch, /"measure", "canaryRestarts"/);
        assert.match(batch, /"service", "cart"/);
    });
});
