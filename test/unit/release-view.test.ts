/** What the release driver prints: the live view and the CI lines, as pure functions. */
import { strict as assert } from "node:assert";
import type { ServiceEvent } from "../../release/events";
import { describeCheck, eventLine, formatDuration, renderView, weightBar, worstCheck } from "../../release/view";

const NOW = Date.UTC(2026, 11, 1, 12, 0);

describe("release driver: view", () => {
    it("formats durations, weight bars and the worst check", () => {
        assert.equal(formatDuration(12_400), "12s");
        assert.equal(formatDuration(245_000), "4m05s");
        assert.equal(formatDuration(3_720_000), "1h02m");
        assert.equal(formatDuration(-5), "0s");
        assert.equal(weightBar(25, 8), "[##......]");
        assert.equal(weightBar(100, 4), "[####]");
        assert.equal(weightBar(0, 4), "[....]");
        const checks = [
            { name: "p99", outcome: "pass" as const, measured: 120, threshold: 500 },
            { name: "errorRate", outcome: "fail" as const, measured: 0.127, threshold: 0.008 },
        ];
        assert.equal(worstCheck(checks)?.name, "errorRate");
        assert.equal(describeCheck(checks[1]!), "errorRate 0.127 > 0.00800 (fail)");
        assert.equal(describeCheck({ name: "restarts", outcome: "inconclusive", measured: null }), "restarts n/a (inconclusive)");
    });

    it("renders one line per service: step, weight bar, verdict with its worst check, time to the next step; then the next check", () => {
        const lines = renderView({
            stack: "prod",
            now: NOW,
            nextCheckAt: NOW + 9_000,
            recent: ["12:00 checkout START 0% → 5%"],
            rows: [
                {
                    service: "checkout",
                    step: 2,
                    steps: 5,
                    weight: 10,
                    status: "progressing",
                    verdict: "pass",
                    checks: [{ name: "errorRate", outcome: "pass", measured: 0.002, threshold: 0.008 }],
                    reason: "healthy",
                    nextStepAt: NOW + 125_000,
                },
                { service: "cart", step: undefined, steps: 3, weight: 0, status: "rolledBack", verdict: undefined, checks: [], reason: "done" },
            ],
        });
        assert.deepEqual(lines, [
            "gray-release release prod",
            "  checkout  step 2/5   [##..................]  10%  progressing pass: errorRate 0.00200 ≤ 0.00800 (pass) · next step in 2m05s",
            "  cart      step -     [....................]   0%  rolledBack  no verdict yet",
            "  next check in 9s",
            "  recent:",
            "    12:00 checkout START 0% → 5%",
        ]);
        const updating = renderView({
            stack: "prod",
            now: NOW,
            rows: [],
            recent: [],
            updating: "rollback: checkout",
            notice: "Ctrl-C again cancels",
        });
        assert.deepEqual(updating.slice(1), ["  pulumi up running: rollback: checkout", "  Ctrl-C again cancels"]);
    });

    it("one plain line per event for CI logs", () => {
        const e: ServiceEvent = {
            kind: "rollback",
            stack: "prod",
            service: "checkout",
            canaryImage: "shop/checkout:1.6.0",
            fromWeight: 25,
            toWeight: 0,
            verdict: "fail",
            reason: "canary unhealthy: error rate 12.7 %",
            checks: [{ name: "errorRate", outcome: "fail", measured: 0.127, threshold: 0.008 }],
            at: "2026-12-01T12:00:00.000Z",
        };
        assert.equal(
            eventLine(e),
            "2026-12-01T12:00:00.000Z prod checkout ROLLBACK 25% → 0%: canary unhealthy: error rate 12.7 % [errorRate 0.127 > 0.00800 (fail)]",
        );
        assert.match(eventLine({ ...e, kind: "hold", holdStreak: 3, checks: [] }), /HOLD 25% → 0% \(hold 3 in a row\): canary/);
        assert.equal(eventLine({ kind: "refused", stack: "prod", message: "release-window", at: "T" }), "T prod REFUSED: release-window");
    });
});
