import { strict as assert } from "node:assert";
import { InvalidArgsError } from "../../components/common/validation";
import {
    analyzeService,
    batchedQuery,
    GATE_LABEL,
    gatesAt,
    type InstantSample,
    MEASURE_LABEL,
    MEASURE_NAMES,
    type MetricsProvider,
    SERVICE_LABEL,
    STEP_GATE_MEASURES,
    stepGateCheck,
    stepGateExpressions,
    withStepGates,
} from "../../progression/internal";
import { makeConfig, verdictOf } from "../support/decisions";

const L3 = { atStep: 0, sloAttainment: { objective: 99.9, windows: 5, windowLength: "1m" } };

describe("gates per step (SLO attainment in each of the last N windows)", () => {
    it("parses the brief's L3 gate with defaults and a default name", () => {
        const cfg = makeConfig({ gates: [L3, { atWeight: 25, sloAttainment: { objective: 99.5 } }] });
        assert.deepEqual(
            cfg.gates.map((g) => [g.name, g.sloAttainment.windows, g.sloAttainment.windowLength, g.sloAttainment.minRequestsPerWindow]),
            [
                ["step-0", 5, 60_000, 1],
                ["weight-25", 5, 60_000, 1],
            ],
        );
        assert.deepEqual(makeConfig().gates, []);
    });

    it("refuses gates that name no step it advances from, both or neither position, duplicates and fractions", () => {
        const refused = (gates: unknown[], pattern: RegExp) => {
            assert.throws(
                () => makeConfig({ steps: [1, 5, 100], gates }),
                (e: unknown) => e instanceof InvalidArgsError && pattern.test(e.message),
            );
        };
        refused([{ atStep: 2, sloAttainment: { objective: 99.9 } }], /gates\[0\]\.atStep = 2.*atStep 2 is not a step the canary advances from/s);
        refused([{ atWeight: 10, sloAttainment: { objective: 99.9 } }], /gates\[0\]\.atWeight = 10.*not one of the steps \[1,5\]/s);
        refused([{ atStep: 0, atWeight: 1, sloAttainment: { objective: 99.9 } }], /exactly one of atStep and atWeight/);
        refused([{ sloAttainment: { objective: 99.9 } }], /exactly one of atStep and atWeight/);
        refused([L3, L3], /gate name "step-0" is used twice/);
        refused([{ atStep: 0, sloAttainment: { objective: 0.999 } }], /a percentage is expected/);
        refused([{ atStep: 0, sloAttainment: { objective: 99.9, windowLength: "1500ms" } }], /whole seconds/);
    });

    it("applies a gate only at its step; without a position every gate applies", () => {
        const cfg = makeConfig({ steps: [1, 5, 100], gates: [L3, { atWeight: 5, sloAttainment: { objective: 99 } }] });
        assert.deepEqual(
            gatesAt(cfg.gates, { stepIndex: 0, weight: 1 }).map((g) => g.name),
            ["step-0"],
        );
        assert.deepEqual(
            gatesAt(cfg.gates, { stepIndex: 1, weight: 5 }).map((g) => g.name),
            ["weight-5"],
        );
        assert.deepEqual(
            gatesAt(cfg.gates, undefined).map((g) => g.name),
            ["step-0", "weight-5"],
        );
        assert.equal(stepGateExpressions(cfg, { stepIndex: 1, weight: 5 }).length, 2);
        assert.equal(stepGateExpressions(cfg, { stepIndex: 2, weight: 100 }).length, 0);
    });

    it("measures N windows with one subquery: range N·W − 1 ms, step W", () => {
        const cfg = makeConfig({ gates: [L3] });
        const [attainment, windows] = stepGateExpressions(cfg, { stepIndex: 0, weight: 5 });
        assert.match(
            attainment!.expr,
            /^min_over_time\(\(1 - \(sum\(rate\(istio_requests_total\{.*response_code=~"5\.\."\}\[60s\]\)\) or vector\(0\)\) \/ sum\(rate\(istio_requests_total\{[^}]*\}\[60s\]\)\)\)\[299999ms:60s\]\) or vector\(NaN\)$/,
        );
        assert.match(
            windows!.expr,
            /^count_over_time\(\(sum\(increase\(istio_requests_total\{[^}]*\}\[60s\]\)\) >= 1\)\[299999ms:60s\]\) or vector\(0\)$/,
        );
        assert.match(batchedQuery([cfg], new Map([["checkout", { stepIndex: 0, weight: 5 }]])), new RegExp(`"${GATE_LABEL}", "step-0"`));
    });

    it("judges: met in all windows passes; one window under, or one without traffic, holds; missing data holds", () => {
        const [gate] = makeConfig({ gates: [L3] }).gates;
        assert.equal(stepGateCheck(gate!, { attainment: 0.999, windows: 5 }).outcome, "pass");
        const missed = stepGateCheck(gate!, { attainment: 0.9985, windows: 5 });
        assert.equal(missed.outcome, "inconclusive");
        assert.equal(missed.name, "gate:step-0");
        assert.ok(Math.abs(missed.measured! - 99.85) < 1e-9);
        assert.match(missed.detail, /not met: the lowest of the last 5 windows of 60s is 99\.85% < 99\.9%/);
        const silent = stepGateCheck(gate!, { attainment: 1, windows: 4 });
        assert.equal(silent.outcome, "inconclusive");
        assert.match(silent.detail, /only 4 of the last 5 windows/);
        assert.equal(stepGateCheck(gate!, { attainment: Number.NaN, windows: 0 }).outcome, "inconclusive");
        assert.equal(stepGateCheck(gate!, undefined).outcome, "error");
        assert.equal(stepGateCheck(gate!, { attainment: 1.5, windows: 5 }).outcome, "error");
        assert.equal(stepGateCheck(gate!, { attainment: 1, windows: 6 }).outcome, "error");
    });

    it("a gate not met turns a pass into a hold, never a failure; other verdicts keep their kind", () => {
        const cfg = makeConfig({ gates: [L3] });
        const notMet = stepGateCheck(cfg.gates[0]!, { attainment: 0.99, windows: 5 });
        const met = stepGateCheck(cfg.gates[0]!, { attainment: 1, windows: 5 });
        const held = withStepGates(verdictOf("pass", cfg), [notMet]);
        assert.equal(held.kind, "inconclusive");
        assert.match(held.reason, /^inconclusive: gate:step-0: not met/);
        assert.equal(withStepGates(verdictOf("pass", cfg), [met]).kind, "pass");
        assert.equal(withStepGates(verdictOf("fail", cfg), [notMet]).kind, "fail");
        assert.equal(withStepGates(verdictOf("error", cfg), [notMet]).kind, "error");
        assert.equal(withStepGates(verdictOf("fail", cfg), [notMet]).checks.length, 1);
    });

    it("through analyzeService: the gate's samples come back in the one batched answer and hold the canary", async () => {
        const cfg = makeConfig({
            gates: [L3],
            analysis: { prometheusUrl: "http://prom:9090", baseline: "optional", statisticalTest: { enabled: false } },
        });
        const at = new Date(Date.UTC(2025, 0, 1));
        const values: Record<string, number> = {
            canaryRequests: 100000,
            canaryErrors: 0,
            stableRequests: 0,
            stableErrors: 0,
            canaryP95Ms: 50,
            canaryP99Ms: 90,
            canaryRestarts: 0,
            canaryDataAgeSeconds: 1,
            stableDataAgeSeconds: Number.NaN,
            stableReplicas: 0,
        };
        const answer = (attainment: number): MetricsProvider => ({
            query: async (q: string) => {
                assert.equal((q.match(/min_over_time/g) ?? []).length, 1);
                const samples: InstantSample[] = MEASURE_NAMES.map((name) => ({
                    labels: { [MEASURE_LABEL]: name, [SERVICE_LABEL]: "checkout" },
                    value: values[name] ?? values[name.replace(/^pass(\w)/, (_, c: string) => c.toLowerCase())] ?? 0,
                }));
                samples.push({ labels: { [MEASURE_LABEL]: "canaryLatencyBuckets", [SERVICE_LABEL]: "checkout", le: "100" }, value: 10 });
                samples.push({ labels: { [MEASURE_LABEL]: "canaryLatencyBuckets", [SERVICE_LABEL]: "checkout", le: "+Inf" }, value: 10 });
                samples.push({
                    labels: { [MEASURE_LABEL]: STEP_GATE_MEASURES.attainment, [SERVICE_LABEL]: "checkout", [GATE_LABEL]: "step-0" },
                    value: attainment,
                });
                samples.push({
                    labels: { [MEASURE_LABEL]: STEP_GATE_MEASURES.windows, [SERVICE_LABEL]: "checkout", [GATE_LABEL]: "step-0" },
                    value: 5,
                });
                return { ok: true, samples };
            },
        });
        const pass = await analyzeService(cfg, answer(0.9995), at);
        assert.equal(pass.kind, "pass", pass.reason);
        assert.equal(pass.checks.find((c) => c.name === "gate:step-0")?.outcome, "pass");
        const hold = await analyzeService(cfg, answer(0.998), at);
        assert.equal(hold.kind, "inconclusive", hold.reason);
        assert.match(hold.reason, /gate:step-0: not met/);
    });
});
