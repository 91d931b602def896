/**
 * Latency against stable and gates per step, against a real Prometheus fed with Istio-shaped series: the
 * comparison reads both versions' histogram buckets from the one batched answer, and the L3 gate's subquery covers
 * exactly the last five minutes. promtool parses every new expression.
 */
import { strict as assert } from "node:assert";
import {
    analyzeServices,
    batchedQuery,
    decide,
    type ProgressionConfig,
    PrometheusProvider,
    parseProgressionConfig,
    runProgression,
    stepGateExpressions,
} from "../../progression/internal";
import { DURATION_BUCKETS, FAST_LATENCY as FAST, istioSeries } from "../support/istio-traffic";
import { backfilledHour, type RunningPrometheus, type SyntheticSeries, startBackfilledPrometheus } from "../support/prometheus";
import { checkPromql } from "../support/validators";

const { STEP_S, END_S, START_S, AT } = backfilledHour();

/**
 * The cumulative shares of a version `factor` times slower than `latency` at the same bounds: its CDF at x is
 * the original's at x / factor, interpolated linearly inside the original's buckets as histogram_quantile does.
 */
function slower(latency: ReadonlyArray<number>, factor: number): number[] {
    const bounds = DURATION_BUCKETS.slice(0, -1).map(Number);
    const cdf = (x: number): number => {
        for (let i = 0; i < bounds.length; i++) {
            const upper = bounds[i]!;
            if (x <= upper) {
                const lower = i === 0 ? 0 : bounds[i - 1]!;
                const below = i === 0 ? 0 : latency[i - 1]!;
                return below + ((latency[i]! - below) * (x - lower)) / (upper - lower);
            }
        }
        return 1;
    };
    return [...bounds.map((b) => cdf(b / factor)), 1];
}

const series = (service: string, version: string, rps: number, errorRatio: (t: number) => number, latency: ReadonlyArray<number> = FAST) =>
    istioSeries({ service, version, rps, errorRatio, latency }, START_S, END_S, STEP_S);
const stable = (service: string): SyntheticSeries[] => series(service, "1.0.0", 40, () => 0.002);

// The minute 150 s to 90 s before the evaluation: inside the last five whole minutes whatever their alignment.
const oneBadMinute = (t: number) => (t > END_S - 150 && t <= END_S - 90 ? 0.005 : 0.0005);

function scenario(): SyntheticSeries[] {
    return [
        ...stable("samespeed"),
        ...series("samespeed", "1.1.0", 20, () => 0.002),
        ...stable("slower"),
        ...series("slower", "1.1.0", 20, () => 0.002, slower(FAST, 1.4)),
        ...stable("gatemet"),
        ...series("gatemet", "1.1.0", 2, () => 0.0005),
        ...stable("gatemissed"),
        ...series("gatemissed", "1.1.0", 2, oneBadMinute),
    ];
}

function configFor(service: string, url: string, extra: Record<string, unknown> = {}): ProgressionConfig {
    return parseProgressionConfig({
        service,
        environment: "prod",
        stableImage: `registry.local/${service}:1.0.0`,
        canaryImage: `registry.local/${service}:1.1.0`,
        steps: [1, 5, 25, 50, 100],
        // The absolute p95 limit of 250 ms sits above the slower canary's interpolated p95 (≈ 225 ms).
        analysis: { prometheusUrl: url, window: "5m", minRequestCount: 100, thresholds: { maxP95RatioVsStable: 1.2, maxP95Ms: 250, maxP99Ms: 1000 } },
        gates: [{ atStep: 0, sloAttainment: { objective: 99.9, windows: 5, windowLength: "1m" } }],
        releaseWindow: { enforce: false },
        ...extra,
    });
}

describe("latency against stable and gates per step, against a real Prometheus", function () {
    this.timeout(5 * 60 * 1000);
    let prom: RunningPrometheus | undefined;

    before(async () => {
        prom = await startBackfilledPrometheus(scenario());
    });
    after(async () => {
        await prom?.stop();
    });

    const url = () => prom?.url ?? "";
    const provider = () => new PrometheusProvider({ baseUrl: url(), timeoutMs: 10_000 });
    const atStep = (stepIndex: number) => ({ stepIndex, weight: [1, 5, 25, 50, 100][stepIndex]! });
    const analyse = async (service: string, stepIndex = 1) =>
        (await analyzeServices([configFor(service, url(), gateOnly(service))], provider(), AT, new Map([[service, atStep(stepIndex)]]))).get(
            service,
        )!;
    // At 2 rps (600 requests in the window) the latency comparison cannot show a canary within 1.2 × stable (it is
    // inconclusive, as it should be), so the gate scenarios judge without it.
    const gateOnly = (service: string) =>
        service.startsWith("gate") ? { analysis: { prometheusUrl: url(), window: "5m", minRequestCount: 100 } } : {};

    it("fails a canary 40 % slower than stable although its p95 is under the absolute limit", async () => {
        const v = await analyse("slower");
        const check = v.checks.find((c) => c.name === "p95VsStable");
        assert.equal(check?.outcome, "fail", JSON.stringify(v.checks, null, 1));
        assert.ok(check!.measured! > 1.3, `ratio ${check?.measured}`);
        assert.equal(v.checks.find((c) => c.name === "p95")?.outcome, "pass");
        assert.ok((v.measured.canaryP95Ms ?? 0) < 250, `p95 ${v.measured.canaryP95Ms}`);
        assert.equal(v.kind, "fail", v.reason);
        assert.match(v.reason, /p95VsStable: canary slower than tolerated: canary p95 \d+(\.\d+)? ms vs stable \d+(\.\d+)? ms/);
    });

    it("passes an equally fast canary", async () => {
        const v = await analyse("samespeed");
        const check = v.checks.find((c) => c.name === "p95VsStable");
        assert.equal(check?.outcome, "pass", check?.detail);
        assert.ok(Math.abs(check!.measured! - 1) < 0.02, `ratio ${check?.measured}`);
        assert.equal(v.kind, "pass", v.reason);
    });

    it("the L3 gate holds a canary that missed 99.9 % in one of the last 5 minutes, and only at its step", async () => {
        const v = await analyse("gatemissed", 0);
        const gate = v.checks.find((c) => c.name === "gate:step-0");
        assert.equal(gate?.outcome, "inconclusive", JSON.stringify(v.checks, null, 1));
        assert.ok(gate!.measured! < 99.9, `attainment ${gate?.measured}`);
        assert.equal(v.kind, "inconclusive", v.reason);
        assert.equal(
            v.checks.filter((c) => !c.name.startsWith("gate:")).every((c) => c.outcome === "pass" || c.outcome === "skipped"),
            true,
            v.reason,
        );
        const later = await analyse("gatemissed", 1);
        assert.equal(later.kind, "pass", later.reason);
        assert.equal(
            later.checks.some((c) => c.name.startsWith("gate:")),
            false,
        );
    });

    it("the L3 gate passes a canary that met it in all 5 minutes; the update advances it, and holds the other", async () => {
        const v = await analyse("gatemet", 0);
        assert.equal(v.checks.find((c) => c.name === "gate:step-0")?.outcome, "pass", v.reason);
        assert.equal(v.kind, "pass", v.reason);
        const inputs = ["gatemet", "gatemissed"].map((service) => {
            const config = configFor(service, url(), gateOnly(service));
            return { config, previousState: decide(undefined, config, undefined, new Date(AT.getTime() - 3_600_000)).state };
        });
        const results = await runProgression(inputs, provider(), AT);
        assert.equal(results.get("gatemet")?.decision.action, "advance", results.get("gatemet")?.decision.reason);
        assert.equal(results.get("gatemet")?.decision.state.weight, 5);
        assert.equal(results.get("gatemissed")?.decision.action, "hold", results.get("gatemissed")?.decision.reason);
        assert.equal(results.get("gatemissed")?.decision.state.weight, 1);
    });

    it("the gate's subquery covers exactly 5 windows whatever the alignment of the evaluation time", async () => {
        const [, windows] = stepGateExpressions(configFor("gatemet", url()), atStep(0));
        for (const offset of [0, 15, 30, 45, 59, 60]) {
            const time = END_S - offset;
            const res = await fetch(`${url()}/api/v1/query?query=${encodeURIComponent(windows!.expr)}&time=${time}`);
            const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
            assert.equal(body.data.result[0]?.value[1], "5", `at END_S − ${offset}s`);
        }
    });

    it("promtool parses the batched query with stable buckets and gate subqueries", async () => {
        const config = configFor("checkout", "http://prom:9090", {
            analysis: { prometheusUrl: "http://prom:9090", thresholds: { maxP95RatioVsStable: 1.2, maxP99RatioVsStable: 1.5 } },
        });
        const exprs = [batchedQuery([config]), ...stepGateExpressions(config).map((g) => g.expr)];
        assert.deepEqual(await checkPromql(exprs), []);
        // Negative control: the same checker refuses a broken subquery.
        const broken = await checkPromql([stepGateExpressions(config)[0]!.expr.replace(":60s]", ":]x")]);
        assert.equal(broken.length, 1);
    });
});
