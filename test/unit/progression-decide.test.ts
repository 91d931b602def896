import { strict as assert } from "node:assert";
import { decide, evaluateMeasurements, type ProgressionState, parseState } from "../../progression/internal";
import { makeConfig, verdictOf } from "../support/decisions";

const T0 = Date.UTC(2025, 2, 3, 9, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe("decide", () => {
    const config = makeConfig();

    it("starts a new rollout at the first step without analysis", () => {
        const d = decide(undefined, config, undefined, at(0));
        assert.equal(d.action, "start");
        assert.equal(d.state.weight, 5);
        assert.equal(d.state.stepIndex, 0);
        assert.equal(d.state.status, "progressing");
        assert.equal(d.state.schemaVersion, 1);
        assert.deepEqual(d.routing, { stableImage: "app:1.0.0", canaryImage: "app:1.1.0", canaryWeight: 5 });
        assert.match(d.nextAction, /pass → advance to 10% \(not before 2025-03-03T09:30:00.000Z\)/);
    });

    it("walks 5 → 10 → 25 → 50 → promoted on passes, one step per interval", () => {
        let state = decide(undefined, config, undefined, at(0)).state;
        const trail: string[] = [];
        for (let minute = 10; minute <= 200; minute += 10) {
            const d = decide(state, config, verdictOf("pass"), at(minute));
            if (d.action !== "hold" && d.action !== "none") trail.push(`${minute}:${d.action}:${d.state.weight}`);
            state = d.state;
        }
        assert.deepEqual(trail, ["30:advance:10", "60:advance:25", "90:advance:50", "120:promote:100"]);
        assert.equal(state.status, "promoted");
        const after = decide(state, config, verdictOf("pass"), at(300));
        assert.deepEqual(after.routing, { stableImage: "app:1.1.0", canaryImage: "app:1.1.0", canaryWeight: 0 });
        assert.equal(after.action, "none");
        assert.deepEqual(after.state, state);
    });

    it("rolls back to 0 on the first fail by default, then stays put until the version changes", () => {
        const started = decide(undefined, config, undefined, at(0)).state;
        const d = decide(started, config, verdictOf("fail"), at(5));
        assert.equal(d.action, "rollback");
        assert.equal(d.state.status, "rolledBack");
        assert.equal(d.state.weight, 0);
        assert.equal(d.routing.canaryWeight, 0);
        assert.equal(decide(d.state, config, verdictOf("pass"), at(500)).action, "none");
        const next = decide(d.state, makeConfig({ canaryImage: "app:1.1.1" }), undefined, at(501));
        assert.equal(next.action, "start");
        assert.equal(next.state.weight, 5);
        assert.equal(next.state.history.length, 1);
    });

    it("needs failuresBeforeRollback consecutive fails; pass resets the count, inconclusive and error do not", () => {
        const cfg = makeConfig({ semantics: { failuresBeforeRollback: 2 } });
        let s = decide(undefined, cfg, undefined, at(0)).state;
        s = decide(s, cfg, verdictOf("fail"), at(1)).state;
        assert.equal(s.weight, 5);
        s = decide(s, cfg, verdictOf("pass"), at(2)).state;
        s = decide(s, cfg, verdictOf("fail"), at(3)).state;
        s = decide(s, cfg, verdictOf("inconclusive"), at(4)).state;
        s = decide(s, cfg, verdictOf("error"), at(5)).state;
        const d = decide(s, cfg, verdictOf("fail"), at(6));
        assert.equal(d.action, "rollback");
        assert.equal(d.state.status, "rolledBack");
    });

    it("holds on errors and fails the rollout after errorsBeforeFail in a row", () => {
        let s = decide(undefined, config, undefined, at(0)).state;
        const actions: string[] = [];
        for (let i = 1; i <= 3; i++) {
            const d = decide(s, config, verdictOf("error"), at(40 * i));
            actions.push(d.action);
            s = d.state;
        }
        assert.deepEqual(actions, ["hold", "hold", "rollback"]);
        assert.equal(s.status, "failed");
        assert.equal(s.weight, 0);
    });

    it("holds on inconclusive and on a missing verdict", () => {
        const s = decide(undefined, config, undefined, at(0)).state;
        const d = decide(s, config, verdictOf("inconclusive"), at(60));
        assert.equal(d.action, "hold");
        assert.equal(d.state.weight, 5);
        assert.equal(d.state.consecutiveInconclusive, 1);
        assert.equal(decide(s, config, undefined, at(60)).action, "hold");
    });

    it("rolls back (failed) a canary that never earns a pass, after inconclusiveBeforeFail verdicts in a row", () => {
        const cfg = makeConfig({ semantics: { inconclusiveBeforeFail: 3 } });
        let s = decide(undefined, cfg, undefined, at(0)).state;
        for (let i = 1; i <= 2; i++) {
            const d = decide(s, cfg, verdictOf("inconclusive", cfg), at(i));
            assert.equal(d.action, "hold");
            assert.match(d.reason, new RegExp(`inconclusive \\(${i}/3 in a row\\)`));
            s = d.state;
        }
        const d = decide(s, cfg, verdictOf("inconclusive", cfg), at(3));
        assert.equal(d.action, "rollback");
        assert.equal(d.state.status, "failed");
        assert.equal(d.routing.canaryWeight, 0);
        assert.match(d.reason, /no pass earned in 3 analyses in a row/);
        assert.equal(makeConfig().semantics.inconclusiveBeforeFail, 12);
    });

    it("does not step before the minimum interval even on pass", () => {
        const s = decide(undefined, config, undefined, at(0)).state;
        const d = decide(s, config, verdictOf("pass"), at(29));
        assert.equal(d.action, "hold");
        assert.match(d.reason, /next step allowed from 2025-03-03T09:30:00.000Z/);
    });

    it("pause holds, resume restarts the interval, abort rolls back, promote promotes", () => {
        const s = decide(undefined, config, undefined, at(0)).state;
        const paused = decide(s, makeConfig({ controls: { pause: true } }), verdictOf("pass"), at(60));
        assert.equal(paused.action, "pause");
        assert.equal(paused.state.status, "paused");
        assert.equal(paused.state.weight, 5);
        const resumed = decide(paused.state, config, verdictOf("pass"), at(61));
        assert.equal(resumed.action, "hold");
        assert.equal(resumed.state.status, "progressing");
        assert.equal(decide(resumed.state, config, verdictOf("pass"), at(91)).action, "advance");
        const aborted = decide(s, makeConfig({ controls: { abort: true } }), verdictOf("pass"), at(1));
        assert.equal(aborted.action, "rollback");
        assert.equal(aborted.state.weight, 0);
        const promoted = decide(s, makeConfig({ controls: { promote: true } }), undefined, at(1));
        assert.equal(promoted.action, "promote");
        assert.equal(promoted.routing.stableImage, "app:1.1.0");
        assert.equal(promoted.routing.canaryWeight, 0);
    });

    it("skipAnalysis (dev) advances without a verdict, still one step per interval", () => {
        const cfg = makeConfig({ environment: "dev", controls: { skipAnalysis: true }, minIntervalBetweenSteps: "0s" });
        let s = decide(undefined, cfg, undefined, at(0)).state;
        const weights = [];
        for (let i = 1; i <= 4; i++) {
            s = decide(s, cfg, undefined, at(i)).state;
            weights.push(s.weight);
        }
        assert.deepEqual(weights, [10, 25, 50, 100]);
        assert.equal(s.status, "promoted");
    });

    it("a canary equal to stable needs no rollout", () => {
        const d = decide(undefined, makeConfig({ canaryImage: "app:1.0.0" }), undefined, at(0));
        assert.equal(d.action, "none");
        assert.equal(d.routing.canaryWeight, 0);
    });

    it("re-anchors on reconfigured steps without raising exposure", () => {
        let s = decide(undefined, config, undefined, at(0)).state;
        s = decide(s, config, verdictOf("pass"), at(30)).state;
        s = decide(s, config, verdictOf("pass"), at(60)).state;
        assert.equal(s.weight, 25);
        const d = decide(s, makeConfig({ steps: [10, 20, 40, 100] }), verdictOf("inconclusive"), at(61));
        assert.equal(d.state.weight, 20);
        assert.equal(d.state.stepIndex, 1);
    });

    it("keeps at most 20 history records and stays serialisable", () => {
        const patient = makeConfig({ semantics: { inconclusiveBeforeFail: 100 } });
        let s: ProgressionState = decide(undefined, patient, undefined, at(0)).state;
        for (let i = 1; i <= 30; i++) s = decide(s, patient, verdictOf("inconclusive"), at(i)).state;
        assert.equal(s.history.length, 20);
        const back = parseState(JSON.stringify(s));
        assert.equal(back.warning, undefined);
        assert.deepEqual(back.state, s);
    });

    it("records measured values and thresholds of a real evaluation in history", () => {
        const s = decide(undefined, config, undefined, at(0)).state;
        const v = evaluateMeasurements(
            {
                canaryRequests: 1000,
                canaryErrors: 127,
                stableRequests: 10000,
                stableErrors: 20,
                canaryP95Ms: 90,
                canaryP99Ms: 150,
                canaryRestarts: 0,
            },
            config.analysis,
            at(5),
        );
        const d = decide(s, config, v, at(5));
        const rec = d.state.history[d.state.history.length - 1];
        assert.equal(rec?.verdict, "fail");
        assert.equal(rec?.measured?.["canaryErrorRate"], 0.127);
        assert.equal(rec?.thresholds?.["maxErrorRate"], 0.008);
        assert.ok(parseState(d.state).state);
    });
});

describe("parseState", () => {
    it("treats absence as a fresh rollout without warning", () => {
        assert.deepEqual(parseState(undefined), { state: undefined, warning: undefined });
    });
    it("never throws on garbage, and says why it discarded it", () => {
        const good = decide(undefined, makeConfig(), undefined, at(0)).state;
        const garbage: unknown[] = [
            "{not json",
            42,
            [],
            { schemaVersion: 2 },
            { ...good, weight: 150 },
            { ...good, status: "rolledBack" },
            { ...good, lastTransitionAt: "yesterday" },
            "null",
            true,
        ];
        for (const g of garbage) {
            const r = parseState(g);
            assert.equal(r.state, undefined, JSON.stringify(g));
            assert.match(r.warning ?? "", /starting a fresh rollout/);
        }
        // A discarded state restarts at the smallest step: the safe direction.
        assert.equal(decide(parseState("garbage").state, makeConfig(), undefined, at(0)).state.weight, 5);
    });
});
