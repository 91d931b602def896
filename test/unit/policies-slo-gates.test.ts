import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { T } from "../../policies/contracts";
import { nextAllowedWeight } from "../../policies/lib/gates";
import { type ResourceSpec, release, runBothResource, runResource, runStack, urnOf } from "../support/policy-harness";

describe("policies: SLO gates", () => {
    describe("canary-release-record-valid", () => {
        it("passes a complete record", async () => {
            assert.deepEqual((await runResource("canary-release-record-valid", release())).violations, []);
        });
        it("flags a record with missing fields, naming them", async () => {
            const spec = release({ weight: "5", steps: undefined, verdict: "maybe" });
            const { violations } = await runResource("canary-release-record-valid", spec);
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /'weight' must be a number/);
            assert.match(violations[0]!.message, /'steps'/);
            assert.match(violations[0]!.message, /'verdict'/);
            assert.match(violations[0]!.message, /Fix:/);
        });
    });

    describe("canary-weight-rise-requires-pass", () => {
        it("allows a rise with a passing verdict", async () => {
            assert.deepEqual((await runResource("canary-weight-rise-requires-pass", release())).violations, []);
        });
        for (const verdict of ["fail", "inconclusive", "error", "none"]) {
            it(`denies a rise with verdict '${verdict}'`, async () => {
                const { violations } = await runResource("canary-weight-rise-requires-pass", release({ verdict }));
                assert.equal(violations.length, 1);
                const m = violations[0]!.message;
                assert.match(m, /^\[prod\] /);
                assert.match(m, /1% → 5%/);
                assert.match(m, new RegExp(`verdict is '${verdict}'`));
                assert.match(m, /field verdict/);
                assert.match(m, /urn:pulumi:prod::gray-release::gray-release:index:CanaryRelease::checkout-release/);
                assert.match(m, /Fix: hold the weight at 1%/);
            });
        }
        it("ignores a hold or a rollback without a pass", async () => {
            assert.deepEqual((await runResource("canary-weight-rise-requires-pass", release({ weight: 1, verdict: "none" }))).violations, []);
            assert.deepEqual(
                (
                    await runResource(
                        "canary-weight-rise-requires-pass",
                        release({ previousWeight: 25, weight: 0, verdict: "fail", action: "rollback" }),
                    )
                ).violations,
                [],
            );
        });
        it("lets dev skip the analysis but not prod", async () => {
            const dev = await runBothResource("canary-weight-rise-requires-pass", release({ verdict: "none", skipAnalysis: true }, "dev"));
            assert.deepEqual([...dev.mandatory.violations, ...dev.advisory.violations], []);
            const prod = await runResource("canary-weight-rise-requires-pass", release({ verdict: "none", skipAnalysis: true }));
            assert.equal(prod.violations.length, 1);
            assert.match(prod.violations[0]!.message, /skipAnalysis is not allowed in prod/);
        });
        it("rejects a stale pass when maxVerdictAgeMinutes is set", async () => {
            const config = { maxVerdictAgeMinutes: 30, now: "2025-03-04T12:00:00Z" };
            const stale = await runResource("canary-weight-rise-requires-pass", release(), { config });
            assert.equal(stale.violations.length, 1);
            assert.match(stale.violations[0]!.message, /120 min old/);
            const fresh = await runResource("canary-weight-rise-requires-pass", release({ evaluatedAt: "2025-03-04T11:45:00Z" }), { config });
            assert.deepEqual(fresh.violations, []);
        });
        describe("the entry step (first configured step, action 'start')", () => {
            const start = (over: Record<string, unknown> = {}, stack = "prod") =>
                release({ previousWeight: 0, weight: 1, stepIndex: 0, action: "start", verdict: "none", ...over }, stack);
            it("allows 0% → steps[0] without a pass when steps[0] ≤ maxFirstStep (default 5)", async () => {
                assert.deepEqual((await runResource("canary-weight-rise-requires-pass", start())).violations, []);
                const five = start({ weight: 5, steps: [5, 10, 25, 50, 100] }, "staging");
                assert.deepEqual((await runResource("canary-weight-rise-requires-pass", five)).violations, []);
                assert.deepEqual(
                    (await runResource("canary-weight-rise-requires-pass", start({ verdict: "error" }))).violations,
                    [],
                    "no traffic to analyse yet",
                );
            });
            it("denies an entry whose first step exceeds maxFirstStep, unless configured", async () => {
                const big = start({ weight: 10, steps: [10, 25, 50, 100] });
                const { violations } = await runResource("canary-weight-rise-requires-pass", big);
                assert.equal(violations.length, 1);
                const m = violations[0]!.message;
                assert.match(
                    m,
                    /^\[prod\] canary 'checkout' starts at 10% \(0% → first step 10%\) without a passing analysis, and the first step 10% exceeds maxFirstStep 5%/,
                );
                assert.match(m, /field steps/);
                assert.match(m, /Fix: make the first step of the weight ladder at most 5%/);
                assert.deepEqual((await runResource("canary-weight-rise-requires-pass", big, { config: { maxFirstStep: 10 } })).violations, []);
                assert.equal(
                    (await runResource("canary-weight-rise-requires-pass", start(), { config: { maxFirstStep: 0 } })).violations.length,
                    1,
                    "0 disables the exception",
                );
            });
            it("still requires a pass for every other rise from 0", async () => {
                const beyond = await runResource("canary-weight-rise-requires-pass", start({ weight: 5 }));
                assert.match(beyond.violations[0]!.message, /rises 0% → 5% but the recorded analysis verdict is 'none'/, "above steps[0]");
                const advance = await runResource("canary-weight-rise-requires-pass", start({ action: "advance" }));
                assert.match(advance.violations[0]!.message, /rises 0% → 1%/, "not a start");
                const resumed = await runResource("canary-weight-rise-requires-pass", start({ previousWeight: 1, weight: 5, stepIndex: 1 }));
                assert.match(resumed.violations[0]!.message, /rises 1% → 5%/, "a start that is not from 0");
                const noLadder = await runResource("canary-weight-rise-requires-pass", start({ steps: [] }));
                assert.equal(noLadder.violations.length, 1, "no configured first step");
            });
            it("does not apply the staleness check to the entry", async () => {
                const config = { maxVerdictAgeMinutes: 30, now: "2025-03-04T12:00:00Z" };
                assert.deepEqual((await runResource("canary-weight-rise-requires-pass", start({ verdict: "pass" }), { config })).violations, []);
            });
        });
        it("reports in dev through the advisory twin only", async () => {
            const r = await runBothResource("canary-weight-rise-requires-pass", release({ verdict: "fail" }, "dev"));
            assert.equal(r.mandatory.violations.length, 0);
            assert.equal(r.advisory.violations.length, 1);
            assert.match(r.advisory.violations[0]!.message, /^\[dev\]/);
        });
    });

    describe("canary-weight-step-limit", () => {
        it("allows one step of the ladder", async () => {
            assert.deepEqual((await runResource("canary-weight-step-limit", release({ previousWeight: 5, weight: 25 }))).violations, []);
        });
        it("denies skipping a step", async () => {
            const { violations } = await runResource("canary-weight-step-limit", release({ previousWeight: 5, weight: 50 }));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /jumps 5% → 50%/);
            assert.match(violations[0]!.message, /field weight/);
            assert.match(violations[0]!.message, /at most 25%/);
        });
        it("lets a canary enter only at the first configured step (the analysis entry point)", async () => {
            const start = (over: Record<string, unknown>) => release({ previousWeight: 0, stepIndex: 0, action: "start", verdict: "none", ...over });
            assert.deepEqual((await runResource("canary-weight-step-limit", start({ weight: 1 }))).violations, []);
            assert.deepEqual((await runResource("canary-weight-step-limit", start({ weight: 5, steps: [5, 10, 25, 50, 100] }))).violations, []);
            const { violations } = await runResource("canary-weight-step-limit", start({ weight: 5, steps: [1, 5, 25, 50, 100] }));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /canary of 'checkout' enters at 5%, above the first step 1% of the ladder \[1, 5, 25, 50, 100\]/);
            assert.match(violations[0]!.message, /at most 1%/);
            const capped = await runResource("canary-weight-step-limit", start({ weight: 5, steps: [5, 10, 100] }), { config: { maxIncrease: 2 } });
            assert.match(capped.violations[0]!.message, /enters at 5%.*max \+2 points.*at most 2%/);
        });
        it("uses the configured ladder when the record has none, and maxIncrease", async () => {
            const r1 = await runResource("canary-weight-step-limit", release({ steps: [], previousWeight: 5, weight: 10 }), {
                config: { steps: [5, 10, 15, 20] },
            });
            assert.deepEqual(r1.violations, []);
            const r2 = await runResource("canary-weight-step-limit", release({ previousWeight: 5, weight: 25 }), { config: { maxIncrease: 5 } });
            assert.equal(r2.violations.length, 1);
            assert.match(r2.violations[0]!.message, /max \+5 points/);
        });
        it("nextAllowedWeight never exceeds the next step and is above previous when a step remains", () => {
            fc.assert(
                fc.property(
                    fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }),
                    fc.integer({ min: 0, max: 100 }),
                    (steps, prev) => {
                        const next = nextAllowedWeight(prev, steps);
                        const above = steps.filter((s) => s > prev);
                        if (above.length === 0) return next === prev;
                        return next === Math.min(...above) && next > prev;
                    },
                ),
            );
        });
    });

    describe("canary-failed-verdict-rollback", () => {
        it("passes a rolled-back canary and a passing one", async () => {
            assert.deepEqual(
                (await runResource("canary-failed-verdict-rollback", release({ verdict: "fail", weight: 0, previousWeight: 5, action: "rollback" })))
                    .violations,
                [],
            );
            assert.deepEqual((await runResource("canary-failed-verdict-rollback", release())).violations, []);
        });
        it("denies a failed canary that keeps traffic", async () => {
            const { violations } = await runResource(
                "canary-failed-verdict-rollback",
                release({ verdict: "fail", weight: 5, previousWeight: 5, action: "hold" }),
            );
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /failed but the canary still receives 5%/);
            assert.match(violations[0]!.message, /set the canary weight to 0/);
        });
    });

    describe("canary-skip-analysis-dev-only", () => {
        it("allows skipAnalysis in dev", async () => {
            const r = await runBothResource("canary-skip-analysis-dev-only", release({ skipAnalysis: true }, "dev"));
            assert.deepEqual([...r.mandatory.violations, ...r.advisory.violations], []);
        });
        it("denies skipAnalysis in staging", async () => {
            const { violations } = await runResource("canary-skip-analysis-dev-only", release({ skipAnalysis: true }, "staging"));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /skips the SLO analysis in environment 'staging'/);
            assert.match(violations[0]!.message, /field skipAnalysis/);
        });
    });

    describe("canary-requires-slo-rules (stack)", () => {
        const rule = (rules: unknown[]): ResourceSpec => ({
            type: T.prometheusRule,
            name: "checkout-slo",
            stack: "prod",
            props: {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "checkout-slo" },
                spec: { groups: [{ name: "slo", rules }] },
            },
        });
        const recording = {
            record: "slo:request_success:ratio_rate5m",
            expr: 'sum(rate(istio_requests_total{destination_service_name="checkout",response_code!~"5.."}[5m]))',
            labels: { service: "checkout" },
        };
        const alert = {
            alert: "CanaryErrorRateDeltaHigh",
            expr: "canary_error_rate_delta > 0.003 and canary_traffic_ratio > 0.1",
            labels: { severity: "page" },
        };
        it("passes with recording rules and the canary alert", async () => {
            assert.deepEqual((await runStack("canary-requires-slo-rules", [release(), rule([recording, alert])])).violations, []);
        });
        it("accepts any alert whose expr references canary_error_rate_delta", async () => {
            const other = { alert: "CheckoutCanaryBad", expr: 'max(canary_error_rate_delta{service="checkout"}) > 0.003' };
            assert.deepEqual((await runStack("canary-requires-slo-rules", [release(), rule([recording, other])])).violations, []);
        });
        it("ignores services without canary traffic", async () => {
            assert.deepEqual((await runStack("canary-requires-slo-rules", [release({ weight: 0, previousWeight: 0 })])).violations, []);
        });
        it("flags a live canary without rules, on the CanaryRelease URN", async () => {
            const { violations } = await runStack("canary-requires-slo-rules", [
                release(),
                rule([{ ...recording, labels: {}, expr: "sum(rate(x[5m]))" }]),
            ]);
            assert.equal(violations.length, 1);
            assert.equal(violations[0]!.urn, urnOf(T.canaryRelease, "checkout-release", "prod"));
            assert.match(violations[0]!.message, /recording rules mentioning service 'checkout'/);
            assert.match(violations[0]!.message, /canary alert/);
        });
    });
});
