import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { DateTime } from "luxon";
import { DEFAULT_WINDOW, isFrozen, isWithinReleaseWindow } from "../../progression/release-window";
import { release, runBothResource, runResource } from "../support/policy-harness";

const TZ = "Asia/Shanghai";

describe("policies: release windows", () => {
    describe("isWithinReleaseWindow (pure)", () => {
        it("allows a weekday 10:00 local and denies 08:59, 17:00 and weekends", () => {
            // 2025-03-04 is a Tuesday.
            assert.equal(isWithinReleaseWindow("2025-03-04T02:00:00Z", DEFAULT_WINDOW, TZ).allowed, true); // 10:00 CST
            assert.equal(isWithinReleaseWindow("2025-03-04T00:59:00Z", DEFAULT_WINDOW, TZ).allowed, false); // 08:59
            assert.equal(isWithinReleaseWindow("2025-03-04T09:00:00Z", DEFAULT_WINDOW, TZ).allowed, false); // 17:00
            const sat = isWithinReleaseWindow("2025-03-08T03:00:00Z", DEFAULT_WINDOW, TZ);
            assert.equal(sat.allowed, false);
            assert.match(sat.reason, /Sat 2025-03-08 is not a release day/);
        });
        it("evaluates in the configured zone, not UTC (date line)", () => {
            // Monday 23:30 UTC is Tuesday 07:30 in Shanghai (too early) but Monday 18:30 in New York (too late)
            // and Tuesday 12:30 in Auckland (allowed).
            const t = "2025-03-03T23:30:00Z";
            assert.equal(isWithinReleaseWindow(t, DEFAULT_WINDOW, "Asia/Shanghai").allowed, false);
            assert.equal(isWithinReleaseWindow(t, DEFAULT_WINDOW, "America/New_York").allowed, false);
            assert.equal(isWithinReleaseWindow(t, DEFAULT_WINDOW, "Pacific/Auckland").allowed, true);
        });
        it("handles DST transitions by local wall time", () => {
            // Europe/Berlin switches to CEST on 2025-03-30 (Sunday); Monday 31st 09:00 local = 07:00Z.
            assert.equal(isWithinReleaseWindow("2025-03-31T07:00:00Z", DEFAULT_WINDOW, "Europe/Berlin").allowed, true);
            assert.equal(isWithinReleaseWindow("2025-03-31T06:59:00Z", DEFAULT_WINDOW, "Europe/Berlin").allowed, false);
        });
        it("denies freeze dates and ranges in local time", () => {
            const d = isWithinReleaseWindow("2025-10-01T02:00:00Z", DEFAULT_WINDOW, TZ, ["2025-10-01/2025-10-07"]);
            assert.equal(d.allowed, false);
            assert.match(d.reason, /freeze date/);
            assert.equal(isFrozen("2025-10-08", ["2025-10-01/2025-10-07"]), undefined);
            assert.throws(() => isFrozen("2025-10-08", ["Oct 1"]), /invalid freeze date/);
        });
        it("rejects unknown zones and inverted windows", () => {
            assert.throws(() => isWithinReleaseWindow("2025-03-04T02:00:00Z", DEFAULT_WINDOW, "Mars/Olympus"), /unknown IANA time zone/);
            assert.throws(
                () => isWithinReleaseWindow("2025-03-04T02:00:00Z", { days: [1], start: "17:00", end: "09:00" }, TZ),
                /must be after start/,
            );
        });
        it("property: allowed ⇔ local weekday in days, start ≤ local time < end, date not frozen", () => {
            const zones = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"];
            fc.assert(
                fc.property(
                    fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }),
                    fc.constantFrom(...zones),
                    fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
                    fc.integer({ min: 0, max: 23 * 60 }),
                    fc.integer({ min: 1, max: 12 * 60 }),
                    fc.array(fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }), {
                        maxLength: 3,
                    }),
                    (now, tz, days, startMin, len, freezes) => {
                        const endMin = Math.min(startMin + len, 24 * 60);
                        fc.pre(endMin > startMin);
                        const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
                        const window = { days, start: hhmm(startMin), end: hhmm(endMin) };
                        const freezeDates = freezes.map((f) => DateTime.fromJSDate(f).setZone(tz).toISODate()!);
                        const local = DateTime.fromJSDate(now).setZone(tz);
                        const minutes = local.hour * 60 + local.minute;
                        const expected =
                            days.includes(local.weekday) && minutes >= startMin && minutes < endMin && !freezeDates.includes(local.toISODate()!);
                        return isWithinReleaseWindow(now, window, tz, freezeDates).allowed === expected;
                    },
                ),
                { numRuns: 500 },
            );
        });
        it("property: a freeze date always denies, whatever the window", () => {
            fc.assert(
                fc.property(fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }), (now) => {
                    const date = DateTime.fromJSDate(now).setZone(TZ).toISODate()!;
                    return !isWithinReleaseWindow(now, { days: [1, 2, 3, 4, 5, 6, 7], start: "00:00", end: "24:00" }, TZ, [date]).allowed;
                }),
            );
        });
    });

    describe("release-window policy", () => {
        const cfg = (now: string, extra: Record<string, unknown> = {}) => ({ config: { timeZone: TZ, now, ...extra } });
        const inside = "2025-03-04T02:00:00Z"; // Tue 10:00 CST
        const outside = "2025-03-08T02:00:00Z"; // Sat 10:00 CST

        it("allows a weight increase inside the window", async () => {
            assert.deepEqual((await runResource("release-window", release(), cfg(inside))).violations, []);
        });
        it("denies a weight increase on a weekend, saying when windows are", async () => {
            const { violations } = await runResource("release-window", release(), cfg(outside));
            assert.equal(violations.length, 1);
            const m = violations[0]!.message;
            assert.match(m, /canary weight increase of 'checkout' \(1% → 5%\) outside the release window/);
            assert.match(m, /Sat 2025-03-08 is not a release day in Asia\/Shanghai/);
            assert.match(m, /field weight/);
            assert.match(m, /Fix: keep the weight at 1%.*days 1,2,3,4,5 09:00-17:00, Asia\/Shanghai/);
        });
        it("denies a new canary outside the window and on a freeze date", async () => {
            const start = release({ previousWeight: 0, weight: 1, action: "start" });
            const late = await runResource("release-window", start, cfg("2025-03-04T10:00:00Z")); // 18:00 CST
            assert.match(late.violations[0]!.message, /new canary v2\.4\.0/);
            const frozen = await runResource("release-window", start, cfg(inside, { freezeDates: ["2025-03-04"] }));
            assert.match(frozen.violations[0]!.message, /freeze date/);
        });
        it("always allows rollbacks, aborts and holds", async () => {
            for (const over of [
                { previousWeight: 25, weight: 0, action: "rollback", verdict: "fail" },
                { previousWeight: 25, weight: 0, action: "rollback" },
                { previousWeight: 25, weight: 5, action: "advance" },
                { previousWeight: 25, weight: 25, action: "hold" },
            ]) {
                assert.deepEqual((await runResource("release-window", release(over), cfg(outside))).violations, [], JSON.stringify(over));
            }
        });
        it("supports custom windows", async () => {
            const windows = [{ days: [6], start: "08:00", end: "12:00" }];
            assert.deepEqual((await runResource("release-window", release(), cfg(outside, { windows }))).violations, []);
            assert.equal((await runResource("release-window", release(), cfg(inside, { windows }))).violations.length, 1);
        });
        it("is advisory in dev and staging, mandatory in prod, by default", async () => {
            for (const env of ["dev", "staging"]) {
                const r = await runBothResource("release-window", release({}, env), cfg(outside));
                assert.equal(r.mandatory.violations.length, 0, env);
                assert.equal(r.advisory.violations.length, 1, env);
                assert.match(r.advisory.violations[0]!.message, new RegExp(`^\\[${env}\\]`));
            }
            const prod = await runBothResource("release-window", release(), cfg(outside));
            assert.equal(prod.mandatory.violations.length, 1);
            assert.equal(prod.advisory.violations.length, 0);
        });
        it("can be made mandatory in staging", async () => {
            const r = await runBothResource("release-window", release({}, "staging"), cfg(outside, { environments: { staging: "mandatory" } }));
            assert.equal(r.mandatory.violations.length, 1);
            assert.equal(r.advisory.violations.length, 0);
        });
    });
});
