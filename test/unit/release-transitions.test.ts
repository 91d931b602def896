/** The events of one update: states before and after compared, the `releases` output read for why and the checks. */
import { strict as assert } from "node:assert";
import { decide } from "../../progression/internal";
import type { ReleaseOutput } from "../../release/transitions";
import { checksOf, transitionEvents } from "../../release/transitions";
import { makeConfig, verdictOf } from "../support/decisions";

const T0 = Date.UTC(2025, 2, 3, 9, 0);
const MIN = 60_000;
const config = makeConfig({ steps: [5, 25, 100], minIntervalBetweenSteps: "0s", semantics: { failuresBeforeRollback: 1 } });
const release = (over: Partial<ReleaseOutput>): ReleaseOutput => ({
    weight: 0,
    previousWeight: 0,
    status: "progressing",
    action: "none",
    reason: "r",
    canaryImage: config.canaryImage,
    ...over,
});

describe("release driver: transitions of an update", () => {
    it("start, advance, rollback, fail, promote and held verdicts; nothing for an unchanged terminal rollout", () => {
        const at = new Date(T0 + 10 * MIN);
        const s0 = decide(undefined, config, undefined, new Date(T0));
        let events = transitionEvents(
            "prod",
            {},
            { checkout: s0.state },
            { checkout: release({ action: "start", weight: 5, reason: s0.reason }) },
            at,
        );
        assert.deepEqual(
            events.map((e) => [e.kind, e.fromWeight, e.toWeight]),
            [["start", 0, 5]],
        );

        const s1 = decide(s0.state, config, verdictOf("pass", config), new Date(T0 + MIN));
        events = transitionEvents("prod", { checkout: s0.state }, { checkout: s1.state }, { checkout: release({ action: s1.action }) }, at);
        assert.deepEqual(
            events.map((e) => [e.kind, e.fromWeight, e.toWeight, e.verdict]),
            [["advance", 5, 25, "pass"]],
        );

        const bad = {
            ...release({ action: "rollback", status: "rolledBack" }),
            lastVerdict: { verdict: "fail", reason: "x", checks: [{ name: "errorRate", outcome: "fail", measured: 0.127, threshold: 0.008 }] },
        };
        const s2 = decide(s1.state, config, verdictOf("fail", config), new Date(T0 + 2 * MIN));
        events = transitionEvents("prod", { checkout: s1.state }, { checkout: s2.state }, { checkout: bad }, at);
        assert.equal(events[0]?.kind, "rollback");
        assert.deepEqual(events[0]?.checks, [{ name: "errorRate", outcome: "fail", measured: 0.127, threshold: 0.008 }]);
        assert.equal(events[0]?.toWeight, 0);

        // The next update of a rolled back rollout records nothing: no event.
        const s3 = decide(s2.state, config, undefined, new Date(T0 + 3 * MIN));
        assert.deepEqual(transitionEvents("prod", { checkout: s2.state }, { checkout: s3.state }, { checkout: release({ action: "none" }) }, at), []);

        const errors = makeConfig({ steps: [5, 25, 100], semantics: { errorsBeforeFail: 1 } });
        const f = decide(s0.state, errors, verdictOf("error", errors), new Date(T0 + MIN));
        assert.equal(
            transitionEvents("prod", { checkout: s0.state }, { checkout: f.state }, { checkout: release({ action: f.action }) }, at)[0]?.kind,
            "fail",
        );

        const p = decide(s1.state, config, verdictOf("pass", config), new Date(T0 + 2 * MIN));
        assert.equal(
            transitionEvents("prod", { checkout: s1.state }, { checkout: p.state }, { checkout: release({ action: p.action }) }, at)[0]?.kind,
            "promote",
        );
    });

    it("a held verdict is an event with its streak; a healthy wait is not", () => {
        const slow = makeConfig({ steps: [5, 25, 100], minIntervalBetweenSteps: "30m", semantics: { inconclusiveBeforeFail: 5 } });
        const s0 = decide(undefined, slow, undefined, new Date(T0));
        const h1 = decide(s0.state, slow, verdictOf("inconclusive", slow), new Date(T0 + MIN));
        const h2 = decide(h1.state, slow, verdictOf("inconclusive", slow), new Date(T0 + 2 * MIN));
        const events = transitionEvents(
            "prod",
            { checkout: h1.state },
            { checkout: h2.state },
            { checkout: release({ action: "hold" }) },
            new Date(),
        );
        assert.deepEqual(
            events.map((e) => [e.kind, e.holdStreak, e.verdict]),
            [["hold", 2, "inconclusive"]],
        );
        const healthy = decide(s0.state, slow, verdictOf("pass", slow), new Date(T0 + MIN));
        assert.deepEqual(
            transitionEvents("prod", { checkout: s0.state }, { checkout: healthy.state }, { checkout: release({ action: "hold" }) }, new Date()),
            [],
        );
    });

    it("without the update's check list, the checks come from the last history record: measured against thresholds", () => {
        const s0 = decide(undefined, config, undefined, new Date(T0));
        const v = { ...verdictOf("fail", config), measured: { ...verdictOf("fail", config).measured, burnRate: 12 } };
        const s1 = decide(s0.state, config, v, new Date(T0 + MIN));
        const checks = checksOf(undefined, s1.state);
        assert.ok(checks.length > 0);
        assert.ok(checks.every((c) => c.outcome === "fail" && typeof c.threshold === "number"));
    });
});
