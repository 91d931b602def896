import { strict as assert } from "node:assert";
import { parseCanaryRelease } from "../../policies/contracts";
import { recordStart } from "../../stacks/program";
import { release, runBothResource, runResource } from "../support/policy-harness";

const NOW = "2025-03-04T10:00:00Z";
const start = (over: Record<string, unknown> = {}, stack = "prod") =>
    release(
        {
            previousWeight: 0,
            weight: 1,
            stepIndex: 0,
            action: "start",
            verdict: "none",
            evaluatedAt: NOW,
            owner: "team-checkout",
            riskAssessment: "https://wiki.example.com/risk",
            ...over,
        },
        stack,
    );
const daysBefore = (d: number) => new Date(Date.parse(NOW) - d * 24 * 3600 * 1000).toISOString();

describe("policies: release discipline", () => {
    describe("release-owner-and-risk-assessment", () => {
        it("passes a new canary with an SLO owner and a risk assessment, and steps of a running one without them", async () => {
            assert.deepEqual((await runResource("release-owner-and-risk-assessment", start())).violations, []);
            assert.deepEqual(
                (await runResource("release-owner-and-risk-assessment", release())).violations,
                [],
                "a 1% → 5% step is not a new release",
            );
        });
        it("denies a new canary without them in prod, naming what is missing and where to set it", async () => {
            const { violations } = await runResource("release-owner-and-risk-assessment", start({ owner: undefined, riskAssessment: undefined }));
            assert.equal(violations.length, 1);
            const m = violations[0]!.message;
            assert.match(m, /^\[prod\] new canary v2\.4\.0 of 'checkout' starts without a release SLO owner and a release risk assessment/);
            assert.match(m, /field owner, riskAssessment/);
            assert.match(m, /set release\.owner and release\.riskAssessment of service 'checkout'/);
            const onlyRisk = await runResource("release-owner-and-risk-assessment", start({ riskAssessment: undefined }));
            assert.match(onlyRisk.violations[0]!.message, /without a release risk assessment/);
        });
        it("is advisory in dev", async () => {
            const { mandatory, advisory } = await runBothResource("release-owner-and-risk-assessment", start({ owner: undefined }, "dev"));
            assert.equal(mandatory.violations.length, 0);
            assert.equal(advisory.violations.length, 1);
        });
    });

    describe("release-cadence", () => {
        it("allows a third start in 7 days and denies a fourth, saying when the next one is allowed", async () => {
            const two = [daysBefore(6), daysBefore(2)];
            assert.deepEqual(
                (await runResource("release-cadence", start({ recentStarts: [daysBefore(9), ...two] }))).violations,
                [],
                "9 days ago is outside the week",
            );
            const { violations } = await runResource("release-cadence", start({ recentStarts: [daysBefore(6.5), ...two] }));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /would be its start number 4 in 7 days \(limit 3;/);
            assert.match(violations[0]!.message, /next start is allowed from 2025-03-04T22:00:00\.000Z/);
            assert.match(violations[0]!.message, /field recentStarts/);
        });
        it("honours maxStartsPerWeek and counts only starts (not steps, holds or rollbacks)", async () => {
            const cfg = { config: { maxStartsPerWeek: 1 } };
            assert.equal((await runResource("release-cadence", start({ recentStarts: [daysBefore(3)] }), cfg)).violations.length, 1);
            assert.deepEqual(
                (await runResource("release-cadence", release({ recentStarts: [daysBefore(1), daysBefore(2), daysBefore(3)] }))).violations,
                [],
            );
            assert.deepEqual(
                (
                    await runResource(
                        "release-cadence",
                        release({
                            previousWeight: 25,
                            weight: 0,
                            action: "rollback",
                            verdict: "fail",
                            recentStarts: [daysBefore(1), daysBefore(2), daysBefore(3)],
                        }),
                    )
                ).violations,
                [],
            );
        });
        it("allows a core service one start per 14 days", async () => {
            assert.deepEqual((await runResource("release-cadence", start({ core: true, recentStarts: [daysBefore(15)] }))).violations, []);
            const { violations } = await runResource("release-cadence", start({ core: true, recentStarts: [daysBefore(10)] }));
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /core service 'checkout' starts canary v2\.4\.0 10\.0 days after its previous start .*at most every 14 days/,
            );
            assert.deepEqual(
                (await runResource("release-cadence", start({ core: false, recentStarts: [daysBefore(10)] }))).violations,
                [],
                "not core",
            );
        });
        it("is advisory in staging, where releases are rehearsed", async () => {
            const many = { recentStarts: [daysBefore(1), daysBefore(2), daysBefore(3)] };
            const { mandatory, advisory } = await runBothResource("release-cadence", start(many, "staging"));
            assert.equal(mandatory.violations.length, 0);
            assert.equal(advisory.violations.length, 1);
        });
    });

    describe("the record and the program's memory of starts", () => {
        it("parses the optional release fields strictly", () => {
            const base = (start().props ?? {}) as Record<string, unknown>;
            const ok = parseCanaryRelease({ ...base, core: true, recentStarts: [daysBefore(1)] });
            assert.ok(ok.ok && ok.value.owner === "team-checkout" && ok.value.core === true && ok.value.recentStarts?.length === 1);
            const bad = parseCanaryRelease({ ...base, owner: "", core: "yes", recentStarts: ["last tuesday"] });
            assert.equal(bad.ok, false);
            assert.equal(bad.ok ? 0 : bad.problems.length, 3);
        });
        it("remembers a start for 28 days and only when the action is start", () => {
            const now = new Date(NOW);
            assert.deepEqual(recordStart([daysBefore(30), daysBefore(3)], "start", now), [daysBefore(3), NOW.replace("Z", ".000Z")]);
            assert.deepEqual(recordStart([daysBefore(3)], "advance", now), [daysBefore(3)]);
            assert.deepEqual(recordStart([], "hold", now), []);
        });
    });

    describe("stable-downgrade", () => {
        const OLD = "registry.example.com/shop/checkout:1.4.0";
        const RUNS = "registry.example.com/shop/checkout:1.5.0";
        const downgrade = (over: Record<string, unknown> = {}, stack = "prod") =>
            release({ stableImage: OLD, previousStableImage: RUNS, formerStableImages: [OLD], ...over }, stack);
        it("denies stable going back to an image it ran before, in staging and prod, naming what runs", async () => {
            for (const stack of ["prod", "staging"]) {
                const { violations } = await runResource("stable-downgrade", downgrade({}, stack));
                assert.equal(violations.length, 1, stack);
                assert.match(violations[0]!.message, /stable of 'checkout' would go back from .*:1\.5\.0 to .*:1\.4\.0, an image it ran before/);
                assert.match(violations[0]!.message, /set stableImage of service 'checkout' to ".*:1\.5\.0"/);
            }
        });
        it("passes an unchanged stable, a new stable image, and a promotion", async () => {
            assert.deepEqual((await runResource("stable-downgrade", downgrade({ stableImage: RUNS }))).violations, []);
            assert.deepEqual(
                (await runResource("stable-downgrade", downgrade({ stableImage: "registry.example.com/shop/checkout:1.5.1" }))).violations,
                [],
            );
            assert.deepEqual((await runResource("stable-downgrade", downgrade({ action: "promote" }))).violations, []);
            assert.deepEqual((await runResource("stable-downgrade", release())).violations, [], "records without the stable history pass");
        });
        it("is advisory in dev", async () => {
            const { mandatory, advisory } = await runBothResource("stable-downgrade", downgrade({}, "dev"));
            assert.equal(mandatory.violations.length, 0);
            assert.equal(advisory.violations.length, 1);
        });
        it("refuses a malformed stable history in the record", () => {
            const parsed = parseCanaryRelease({
                service: "s",
                environment: "prod",
                canaryImage: "a:1",
                previousWeight: 0,
                weight: 0,
                steps: [100],
                formerStableImages: "a:0",
            });
            assert.equal(parsed.ok, false);
        });
    });
});
