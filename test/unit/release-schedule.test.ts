/** When the release driver runs `pulumi up`: from the program's decisions (computed without an update) to a move. */
import { strict as assert } from "node:assert";
import { decide, type ProgressionState } from "../../progression/internal";
import { EXIT, exitStatusOf, nextMove, type ServiceCheck, statusOf, urgencyOf } from "../../release/schedule";
import { makeConfig, verdictOf } from "../support/decisions";

const T0 = Date.UTC(2025, 2, 3, 9, 0);
const MIN = 60_000;
const config = makeConfig({ steps: [5, 25, 100], minIntervalBetweenSteps: "30m", semantics: { failuresBeforeRollback: 2 } });

/** A rollout started at T0 (5 %), as the last update left it. */
const started = (): ProgressionState => decide(undefined, config, undefined, new Date(T0)).state;

/** What the driver sees at `at` with `verdict`: the state and the decision the program would take. */
function check(
    previous: ProgressionState | undefined,
    kind: "pass" | "fail" | "inconclusive" | "error" | undefined,
    at: number,
    service = "checkout",
): ServiceCheck {
    const verdict = kind === undefined ? undefined : verdictOf(kind, config);
    const decision = decide(previous, config, verdict, new Date(at));
    return { service, previous, decision, verdict: kind, minIntervalMs: 30 * MIN };
}

describe("release driver: when to run pulumi up", () => {
    it("a new rollout (no state) is started at once", () => {
        const move = nextMove([check(undefined, undefined, T0)], T0);
        assert.equal(move.kind, "run");
        assert.equal(move.kind === "run" && move.urgency, "step");
    });

    it("a fail verdict that rolls back runs the update at once, before the step interval", () => {
        const failing = decide(started(), config, verdictOf("fail", config), new Date(T0 + MIN)).state; // 1/2 fails
        const c = check(failing, "fail", T0 + 2 * MIN);
        assert.equal(c.decision.action, "rollback");
        assert.equal(urgencyOf(c, T0 + 2 * MIN), "rollback");
        const move = nextMove([c], T0 + 2 * MIN);
        assert.deepEqual(move.kind === "run" && [move.urgency, move.services], ["rollback", ["checkout"]]);
    });

    it("a first fail (failuresBeforeRollback 2) is recorded at once: only an update counts it", () => {
        const c = check(started(), "fail", T0 + MIN);
        assert.equal(c.decision.action, "hold");
        assert.equal(urgencyOf(c, T0 + MIN), "failing");
    });

    it("a healthy canary waits for minIntervalBetweenSteps, then the step runs at once", () => {
        const early = nextMove([check(started(), "pass", T0 + 10 * MIN)], T0 + 10 * MIN);
        assert.equal(early.kind, "wait");
        assert.equal(early.kind === "wait" && early.nextStepAt, T0 + 30 * MIN, "the view shows when the step is due");
        const due = nextMove([check(started(), "pass", T0 + 30 * MIN)], T0 + 30 * MIN);
        assert.deepEqual(due.kind === "run" && due.urgency, "step");
    });

    it("inconclusive and error holds wait; they are recorded once per minIntervalBetweenSteps, as a scheduled update would", () => {
        for (const kind of ["inconclusive", "error"] as const) {
            assert.equal(nextMove([check(started(), kind, T0 + 5 * MIN)], T0 + 5 * MIN).kind, "wait", kind);
            const late = nextMove([check(started(), kind, T0 + 31 * MIN)], T0 + 31 * MIN);
            assert.deepEqual(late.kind === "run" && late.urgency, "record", kind);
        }
    });

    it("a rollback outranks another service's due step; both are in one update anyway", () => {
        const failing = decide(started(), config, verdictOf("fail", config), new Date(T0 + MIN)).state;
        const move = nextMove([check(started(), "pass", T0 + 31 * MIN, "cart"), check(failing, "fail", T0 + 31 * MIN, "checkout")], T0 + 31 * MIN);
        assert.deepEqual(move.kind === "run" && [move.urgency, move.services], ["rollback", ["checkout"]]);
    });

    it("done when every rollout is over for its canary, with the exit status of the worst", () => {
        const promoted = decide(started(), { ...config, controls: { ...config.controls, promote: true } }, undefined, new Date(T0)).state;
        const rolledBack = decide(started(), { ...config, controls: { ...config.controls, abort: true } }, undefined, new Date(T0)).state;
        assert.equal(promoted.status, "promoted");
        assert.equal(rolledBack.status, "rolledBack");
        const all = nextMove([check(promoted, undefined, T0, "a")], T0);
        assert.deepEqual(all.kind === "done" && all.status, EXIT.ok);
        const mixed = nextMove([check(promoted, undefined, T0, "a"), check(rolledBack, undefined, T0, "b")], T0);
        assert.deepEqual(mixed.kind === "done" && mixed.status, EXIT.rolledBack);
        // A new canary image on a finished rollout starts again: not done.
        const restarted = check(promoted, undefined, T0);
        const newCanary = { ...restarted, decision: decide(promoted, { ...config, canaryImage: "app:1.2.0" }, undefined, new Date(T0)) };
        assert.equal(nextMove([newCanary], T0).kind, "run");
    });

    it("a paused rollout waits (nothing to apply), a refused config runs the update so the program says why", () => {
        const paused = decide(started(), { ...config, controls: { ...config.controls, pause: true } }, undefined, new Date(T0)).state;
        const stillPaused = {
            ...check(paused, undefined, T0 + 60 * MIN),
            decision: decide(paused, { ...config, controls: { ...config.controls, pause: true } }, undefined, new Date(T0 + 60 * MIN)),
        };
        assert.equal(nextMove([stillPaused], T0 + 60 * MIN).kind, "wait");
        const refused = { ...check(started(), "pass", T0), decision: { ...check(started(), "pass", T0).decision, refusal: "downgrade" } };
        assert.deepEqual(urgencyOf(refused, T0), "refused");
    });

    it("exit statuses: failed over rolled back over max duration; --once reports what it changed", () => {
        assert.equal(statusOf(["promoted", "rolledBack", "failed"]), EXIT.failed);
        assert.equal(statusOf(["promoted", "rolledBack"]), EXIT.rolledBack);
        assert.equal(statusOf(["promoted"]), EXIT.ok);
        assert.equal(exitStatusOf("maxDuration", ["promoted", "progressing"], []), EXIT.maxDuration);
        assert.equal(exitStatusOf("maxDuration", ["rolledBack", "progressing"], []), EXIT.rolledBack);
        assert.equal(exitStatusOf("maxDuration", ["promoted"], []), EXIT.ok);
        assert.equal(exitStatusOf("once", ["progressing"], []), EXIT.ok, "still progressing after --once is fine");
        assert.equal(exitStatusOf("once", ["rolledBack"], ["rolledBack"]), EXIT.rolledBack);
        assert.deepEqual(
            Object.values(EXIT).sort((a, b) => a - b),
            [0, 1, 3, 4, 5, 6],
            "distinct statuses",
        );
    });
});
