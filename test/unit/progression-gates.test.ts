import { strict as assert } from "node:assert";
import fc from "fast-check";
import { decide, type ProgressionState } from "../../progression/internal";
import { makeConfig, verdictOf } from "../support/decisions";

// Monday 2 March 2026, 10:00 UTC: inside the default window (weekdays 09:00–17:00 UTC).
const MONDAY_10 = Date.UTC(2026, 2, 2, 10, 0);
const at = (minutes: number) => new Date(MONDAY_10 + minutes * 60_000);
const HOUR = 60;

const prod = (overrides: Record<string, unknown> = {}) =>
    makeConfig({ releaseWindow: {}, cadence: {}, minIntervalBetweenSteps: "30m", steps: [5, 25, 100], ...overrides });

function startedAt(minutes: number, cfg = prod()): ProgressionState {
    const d = decide(undefined, cfg, undefined, at(minutes));
    assert.equal(d.action, "start", d.reason);
    return d.state;
}

describe("decision gates: release window, cadence, time at a step", () => {
    it("in prod, holds a healthy canary outside the window and steps once it opens; a rollback goes at any hour", () => {
        const cfg = prod();
        const s = startedAt(0, cfg);
        const evening = decide(s, cfg, verdictOf("pass", cfg), at(8 * HOUR)); // 18:00
        assert.equal(evening.action, "hold");
        assert.equal(evening.routing.canaryWeight, 5);
        assert.match(evening.reason, /held by the release window: 18:00 UTC is outside the release window 09:00-17:00/);
        const night = decide(evening.state, cfg, verdictOf("fail", cfg), at(12 * HOUR));
        assert.equal(night.action, "rollback");
        assert.equal(night.routing.canaryWeight, 0);
        const tuesday = decide(evening.state, cfg, verdictOf("pass", cfg), at(24 * HOUR));
        assert.equal(tuesday.action, "advance");
        assert.equal(tuesday.routing.canaryWeight, 25);
    });

    it("holds a manual promotion outside the window (the pack's release-window refuses it in prod), and promotes inside", () => {
        const promote = prod({ controls: { promote: true } });
        const s = startedAt(0);
        const evening = decide(s, promote, undefined, at(8 * HOUR));
        assert.equal(evening.action, "hold");
        assert.equal(evening.routing.canaryWeight, 5);
        assert.match(evening.reason, /manual promotion at 5% waits: held by the release window: 18:00 UTC is outside/);
        const fresh = decide(undefined, promote, undefined, at(8 * HOUR));
        assert.deepEqual([fresh.action, fresh.state.status, fresh.routing.canaryWeight], ["hold", "paused", 0]);
        const tuesday = decide(evening.state, promote, undefined, at(24 * HOUR));
        assert.deepEqual([tuesday.action, tuesday.state.status], ["promote", "promoted"]);
        // Outside prod the window is not enforced by default: the promotion goes at once.
        assert.equal(
            decide(s, makeConfig({ environment: "staging", releaseWindow: {}, controls: { promote: true } }), undefined, at(8 * HOUR)).action,
            "promote",
        );
    });

    it("holds a new canary before its first step outside the window (paused at 0), and starts it inside", () => {
        const cfg = prod();
        const saturday = decide(undefined, cfg, undefined, at(5 * 24 * HOUR));
        assert.equal(saturday.action, "hold");
        assert.equal(saturday.state.status, "paused");
        assert.equal(saturday.routing.canaryWeight, 0);
        assert.match(saturday.reason, /not a release day/);
        const monday = decide(saturday.state, cfg, undefined, at(7 * 24 * HOUR));
        assert.equal(monday.action, "start");
        assert.equal(monday.routing.canaryWeight, 5);
    });

    it("honours freeze dates and time zones, and is off outside prod unless enforced", () => {
        const frozen = prod({ releaseWindow: { freezeDates: ["2026-03-02"] } });
        assert.match(decide(undefined, frozen, undefined, at(0)).reason, /2026-03-02 is a freeze date/);
        const shanghai = prod({ releaseWindow: { timeZone: "Asia/Shanghai" } }); // 10:00 UTC is 18:00 in Shanghai
        assert.equal(decide(undefined, shanghai, undefined, at(0)).action, "hold");
        const staging = makeConfig({ environment: "staging", releaseWindow: {}, cadence: {} });
        assert.equal(decide(undefined, staging, undefined, at(8 * HOUR)).action, "start");
        const enforcedInStaging = makeConfig({ environment: "staging", releaseWindow: { enforce: true } });
        assert.equal(decide(undefined, enforcedInStaging, undefined, at(8 * HOUR)).action, "hold");
    });

    it("holds a start that would exceed the cadence, and names when the next one is allowed", () => {
        const cfg = prod();
        const week = ["2026-02-27T10:00:00Z", "2026-02-28T10:00:00Z", "2026-03-01T10:00:00Z"];
        const held = decide(undefined, cfg, undefined, at(0), { recentStarts: week });
        assert.equal(held.action, "hold");
        assert.match(
            held.reason,
            /held by the release cadence: 3 starts in the last 7 days \(limit 3\); next start allowed from 2026-03-06T10:00:00.000Z/,
        );
        assert.equal(decide(undefined, cfg, undefined, at(0), { recentStarts: week.slice(1) }).action, "start");
        const core = decide(undefined, cfg, undefined, at(0), { recentStarts: ["2026-02-23T10:00:00Z"], core: true });
        assert.match(core.reason, /a core service starts at most every 14 days/);
    });

    it("rolls back (failed) a canary stuck at one step longer than maxTimeAtStep, not counting window holds", () => {
        const cfg = prod({
            semantics: { maxTimeAtStep: "2h" },
            releaseWindow: { windows: [{ days: [1, 2, 3, 4, 5, 6, 7], start: "00:00", end: "24:00" }] },
        });
        let s = startedAt(0, cfg);
        s = decide(s, cfg, verdictOf("inconclusive", cfg), at(HOUR)).state;
        const stuck = decide(s, cfg, verdictOf("error", cfg), at(2 * HOUR));
        assert.equal(stuck.action, "rollback");
        assert.equal(stuck.state.status, "failed");
        assert.match(stuck.reason, /stuck at 5% for 2h of open release window \(semantics\.maxTimeAtStep 2h\)/);

        // With the default window, an evening and a night of holds do not count against the canary.
        const windowed = prod({ semantics: { maxTimeAtStep: "2h" } });
        let w = startedAt(6 * HOUR, windowed); // 16:00
        w = decide(w, windowed, verdictOf("pass", windowed), at(8 * HOUR)).state; // 18:00: held by the window
        // Tuesday 09:30: 1h on Monday and 30m on Tuesday of open window, under 2h.
        const morning = decide(w, windowed, verdictOf("inconclusive", windowed), at(24 * HOUR - 30));
        assert.equal(morning.action, "hold", morning.reason);
        const later = decide(morning.state, windowed, verdictOf("inconclusive", windowed), at(24 * HOUR)); // 10:00: 2h open
        assert.equal(later.action, "rollback", later.reason);
        assert.match(later.reason, /stuck at 5% for 2h of open release window/);
    });

    it("reads instants and dates that Pulumi's Go YAML turned into Go timestamps as the ISO text written", () => {
        const cfg = prod({ releaseWindow: { now: "2026-11-28 10:00:00 +0000 UTC", freezeDates: ["2026-10-01 00:00:00 +0000 UTC"] } });
        assert.equal(cfg.releaseWindow.now, "2026-11-28T10:00:00+00:00");
        assert.deepEqual(cfg.releaseWindow.freezeDates, ["2026-10-01"]);
        assert.match(decide(undefined, cfg, undefined, at(0)).reason, /Sat 2026-11-28 is not a release day/);
    });

    it("refuses a maxTimeAtStep not longer than the interval between steps", () => {
        assert.throws(
            () => prod({ semantics: { maxTimeAtStep: "30m" } }),
            /semantics\.maxTimeAtStep = "30m": maxTimeAtStep \(1800s\) must be longer than minIntervalBetweenSteps/,
        );
    });

    it("property: outside the window no weight ever rises, and a failing canary is still rolled back", () => {
        const cfg = prod();
        fc.assert(
            fc.property(
                fc.array(fc.constantFrom("pass", "fail", "inconclusive", "error") as fc.Arbitrary<"pass" | "fail" | "inconclusive" | "error">, {
                    maxLength: 12,
                }),
                fc.integer({ min: 17 * 60, max: 24 * 60 + 9 * 60 - 1 }), // 17:00 Monday .. 08:59 Tuesday, in minutes from Monday 00:00
                (verdicts, minuteOfNight) => {
                    let s = startedAt(0, cfg);
                    const night = (i: number) => new Date(Date.UTC(2026, 2, 2) + (minuteOfNight + i) * 60_000);
                    for (const [i, v] of verdicts.entries()) {
                        if (night(i).getUTCHours() >= 9 && night(i).getUTCHours() < 17) break;
                        const d = decide(s, cfg, verdictOf(v, cfg), night(i));
                        assert.ok(d.routing.canaryWeight <= s.weight, `${v} at ${night(i).toISOString()}: ${d.reason}`);
                        if (v === "fail" && s.status === "progressing") assert.equal(d.action, "rollback");
                        s = d.state;
                    }
                },
            ),
        );
    });
});
