/**
 * Flag rollouts through the pack: a flag rollout's CanaryRelease record (written by `canaryReleaseArgs` from the
 * engine's decisions, as the stack program registers it under `<service>/flag/<key>`) is gated like an image canary
 * (a rise needs a pass, one step at a time, release windows, owner and risk assessment, cadence under its own key),
 * with messages that name the flag rollout; prod only after staging promoted the same flag variant and revision; and
 * the rules about images are neither satisfied nor confused by it.
 */
import { strict as assert } from "node:assert";
import { T } from "../../policies/contracts";
import { decide, type ProgressionState } from "../../progression";
import { type CanaryReleaseArgs, canaryReleaseArgs } from "../../stacks/canary-release";
import { flagRolloutConfig, verdictOf } from "../support/decisions";
import {
    fakeUpstreams,
    type ResourceSpec,
    release,
    restoreUpstreamReader,
    runBothResource,
    runBothStack,
    runResource,
    runStack,
} from "../support/policy-harness";

const INSIDE = "2026-11-25T10:00:00Z"; // a Wednesday, 10:00 UTC: inside the default window
const OUTSIDE = "2026-11-28T10:00:00Z"; // a Saturday
const NAME = "checkout/flag/new-pricing";
const IDENTITY = "flag:new-pricing=on@1";

/**
 * The records of a healthy flag rollout walked by the engine, one per update an hour apart from `start`: start 1%,
 * 5, 25, 50, promoted (100 % of users), then an update after the promotion. As the program writes them.
 */
function walk(environment = "prod", start = INSIDE, updates = 6): CanaryReleaseArgs[] {
    const config = flagRolloutConfig({ environment, namespace: "shop-gray" });
    const out: CanaryReleaseArgs[] = [];
    let previous: ProgressionState | undefined;
    for (let i = 0; i < updates; i++) {
        const now = new Date(Date.parse(start) + i * 3_600_000);
        const verdict = previous === undefined ? undefined : verdictOf("pass", config, now);
        const decision = decide(previous, config, verdict, now);
        out.push(
            canaryReleaseArgs({
                config,
                namespace: "shop-gray",
                release: { owner: "team-checkout", riskAssessment: "https://wiki.example.com/risk" },
                previousState: previous,
                decision,
                verdict,
                recentStarts: [],
                now,
            }),
        );
        previous = decision.state;
    }
    return out;
}

const spec = (props: Record<string, unknown>, stack = "prod"): ResourceSpec => ({ type: T.canaryRelease, name: NAME, stack, props });

/** The walk's record at `index` with fields replaced. */
const flagRecord = (index: number, over: Record<string, unknown> = {}, stack = "prod") => spec({ ...walk(stack)[index]!, ...over }, stack);

const RECORD_RULES = [
    "canary-release-record-valid",
    "canary-weight-rise-requires-pass",
    "canary-weight-step-limit",
    "canary-failed-verdict-rollback",
    "canary-skip-analysis-dev-only",
    "release-window",
    "release-owner-and-risk-assessment",
    "release-cadence",
    "stable-downgrade",
    "promotion-order",
];

const stagingPromoted = (...images: string[]) => ({
    staging: { "checkout/flag/new-pricing": images.map((image) => ({ image, at: "2026-11-20T10:00:00Z" })) },
});

describe("policies: flag rollout records", () => {
    afterEach(() => restoreUpstreamReader());

    it("the engine's records of a healthy walk in prod pass every record rule, the update after the promotion included", async () => {
        fakeUpstreams(stagingPromoted(IDENTITY));
        const records = walk();
        assert.deepEqual(
            records.map((r) => `${r.action} ${r.previousWeight}→${r.weight} ${r.status}`),
            [
                "start 0→1 progressing",
                "advance 1→5 progressing",
                "advance 5→25 progressing",
                "advance 25→50 progressing",
                "promote 50→0 promoted",
                "none 100→0 promoted",
            ],
        );
        for (const [i, props] of records.entries()) {
            for (const rule of RECORD_RULES) {
                const { mandatory, advisory } = await runBothResource(rule, spec(props), { config: { now: props.evaluatedAt } });
                assert.deepEqual([...mandatory.violations, ...advisory.violations], [], `${rule} on update ${i} (${props.action})`);
            }
        }
    });

    describe("stable-downgrade judges images only", () => {
        it("passes the update after a flag promotion, whose record shows stable back at the default's identity", async () => {
            const after = walk()[5]!;
            // The shape that reads as a downgrade for an image: stable goes back to an identity it had before.
            assert.equal(after.previousStableImage, IDENTITY);
            assert.equal(after.stableImage, "flag:new-pricing=off");
            assert.ok(after.formerStableImages?.includes("flag:new-pricing=off"));
            assert.deepEqual((await runResource("stable-downgrade", spec(after))).violations, []);
        });
        it("negative control: the same shape without `flag` (an image canary) is refused", async () => {
            const { flag: _flag, ...image } = walk()[5]!;
            const { violations } = await runResource("stable-downgrade", spec(image));
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /stable of 'checkout' would go back from flag:new-pricing=on@1 to flag:new-pricing=off/);
        });
    });

    describe("SLO gates, in the flag rollout's words", () => {
        it("canary-weight-rise-requires-pass: a rise of the share without a pass is refused; the entry start is not", async () => {
            assert.deepEqual((await runResource("canary-weight-rise-requires-pass", flagRecord(0))).violations, [], "start 0% → 1%: the entry");
            const { violations } = await runResource("canary-weight-rise-requires-pass", flagRecord(1, { verdict: "fail" }));
            assert.equal(violations.length, 1);
            const m = violations[0]!.message;
            assert.match(
                m,
                /^\[prod\] share of users of flag rollout new-pricing=on of 'checkout' rises 1% → 5% but the recorded analysis verdict is 'fail'/,
            );
            assert.match(
                m,
                /Fix: hold the share at 1% until the SLO analysis of flag:new-pricing=on@1 \(requests served variant 'on' against 'off'\) passes/,
            );
            assert.doesNotMatch(m, /canary weight|version flag:/);
            const entry = await runResource("canary-weight-rise-requires-pass", flagRecord(0, { weight: 10, steps: [10, 50, 100] }));
            assert.match(
                entry.violations[0]!.message,
                /flag rollout new-pricing=on of 'checkout' starts at 10% of users \(0% → first step 10%\).*at most 5% of users/,
            );
        });
        it("canary-weight-step-limit: one step of the rollout's ladder per update", async () => {
            const { violations } = await runResource("canary-weight-step-limit", flagRecord(1, { weight: 25 }));
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /share of users of flag rollout new-pricing=on of 'checkout' jumps 1% → 25%, more than one step of the ladder \[1, 5, 25, 50, 100\]/,
            );
            assert.match(violations[0]!.message, /Fix: raise the share to at most 5%/);
        });
        it("canary-failed-verdict-rollback: a failed flag rollout must give the variant to nobody", async () => {
            const { violations } = await runResource("canary-failed-verdict-rollback", flagRecord(3, { verdict: "fail" }));
            assert.match(
                violations[0]!.message,
                /flag rollout new-pricing=on of 'checkout' \(flag:new-pricing=on@1\) failed but 50% of users still get variant 'on'/,
            );
            assert.match(violations[0]!.message, /every user gets the default variant 'off' again/);
        });
        it("canary-skip-analysis-dev-only names the rollout's control", async () => {
            const { violations } = await runResource("canary-skip-analysis-dev-only", flagRecord(1, { skipAnalysis: true }, "staging"));
            assert.match(
                violations[0]!.message,
                /CanaryRelease of flag rollout new-pricing=on of 'checkout' skips the SLO analysis in environment 'staging'/,
            );
            assert.match(violations[0]!.message, /controls\.skipAnalysis of the rollout of flag new-pricing/);
        });
        it("canary-requires-slo-rules: a live flag rollout needs the service's SLO rules", async () => {
            const { violations } = await runStack("canary-requires-slo-rules", [flagRecord(2)]);
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /flag rollout new-pricing=on of 'checkout' gives 25% of users variant 'on' without SLO recording rules/,
            );
            assert.match(violations[0]!.message, /or roll the flag back/);
        });
    });

    describe("release-window: starts, rises and promotions in prod", () => {
        const cfg = { config: { now: OUTSIDE } };
        it("refuses a new flag rollout, a rise of its share and its promotion outside the window, naming the flag", async () => {
            const [start, advance, , , promote] = walk();
            const expected = [
                [start!, /new flag rollout new-pricing=on of 'checkout' \(0% → 1% of users\) outside the release window/],
                [advance!, /share increase of flag rollout new-pricing=on of 'checkout' \(1% → 5% of users\) outside the release window/],
                [promote!, /promotion of flag rollout new-pricing=on of 'checkout' \(50% → 100% of users\) outside the release window/],
            ] as const;
            for (const [props, pattern] of expected) {
                const { violations } = await runResource("release-window", spec(props), cfg);
                assert.equal(violations.length, 1, props.action);
                assert.match(violations[0]!.message, pattern);
                assert.match(violations[0]!.message, /Sat 2026-11-28 is not a release day/);
            }
        });
        it("allows a rollback, a hold and the update after a promotion; advisory in dev and staging", async () => {
            const rollback = flagRecord(3, { previousWeight: 25, weight: 0, action: "rollback", status: "rolledBack", verdict: "fail" });
            const hold = flagRecord(3, { previousWeight: 25, weight: 25, action: "hold" });
            for (const s of [rollback, hold, spec(walk()[5]!)]) assert.deepEqual((await runResource("release-window", s, cfg)).violations, []);
            for (const env of ["dev", "staging"]) {
                const r = await runBothResource("release-window", spec(walk(env)[1]!, env), cfg);
                assert.deepEqual([r.mandatory.violations.length, r.advisory.violations.length], [0, 1], env);
            }
        });
        it("gates an image canary's promotion too (it moves all traffic to the canary), which it used to let through as a decrease", async () => {
            const promote = release({ previousWeight: 50, weight: 0, action: "promote", status: "promoted" });
            const { violations } = await runResource("release-window", promote, cfg);
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /promotion of canary v2\.4\.0 of 'checkout' \(50% → all traffic\) outside the release window/);
            assert.match(violations[0]!.message, /field action/);
            assert.deepEqual((await runResource("release-window", promote, { config: { now: INSIDE } })).violations, []);
        });
    });

    describe("release discipline", () => {
        it("release-owner-and-risk-assessment: a new flag rollout names its owner and risk assessment", async () => {
            const { violations } = await runResource("release-owner-and-risk-assessment", flagRecord(0, { owner: undefined }));
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /new flag rollout new-pricing=on of 'checkout' \(flag:new-pricing=on@1\) starts without a release SLO owner/,
            );
            assert.deepEqual((await runResource("release-owner-and-risk-assessment", flagRecord(1, { owner: undefined }))).violations, [], "a step");
        });
        it("release-cadence counts a flag rollout's starts under its own key, apart from the service's image canaries", async () => {
            const days = (d: number) => new Date(Date.parse(INSIDE) - d * 86_400_000).toISOString();
            const three = [days(5), days(3), days(1)];
            const { violations } = await runResource("release-cadence", flagRecord(0, { recentStarts: three }));
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /new flag rollout new-pricing=on of 'checkout' \(flag:new-pricing=on@1\) would be its start number 4 in 7 days/,
            );
            assert.match(violations[0]!.message, /flag rollouts count under their own key 'checkout\/flag\/new-pricing'/);
            assert.deepEqual((await runResource("release-cadence", flagRecord(0, { recentStarts: [days(1)] }))).violations, []);
            const core = await runResource("release-cadence", flagRecord(0, { recentStarts: [days(3)], core: true }));
            assert.match(
                core.violations[0]!.message,
                /core service 'checkout' starts flag rollout new-pricing=on \(flag:new-pricing=on@1\) 3\.0 days after its previous start/,
            );
        });
    });

    describe("promotion-order: a flag in prod only after staging ran it", () => {
        it("allows a prod start of the flag variant and revision staging promoted (under <service>/flag/<key>)", async () => {
            const reads = fakeUpstreams(stagingPromoted("flag:new-pricing=on@0", IDENTITY));
            assert.deepEqual((await runResource("promotion-order", flagRecord(0))).violations, []);
            assert.deepEqual(reads, ["staging"]);
        });
        it("refuses it when staging has not promoted it, naming the flag and the environment to run it in first", async () => {
            fakeUpstreams(stagingPromoted("flag:new-pricing=on@0"));
            const { violations } = await runResource("promotion-order", flagRecord(0));
            assert.equal(violations.length, 1);
            const m = violations[0]!.message;
            assert.match(
                m,
                /^\[prod\] flag rollout new-pricing=on of 'checkout' \(flag:new-pricing=on@1\) starts \(0% → 1% of users\) in prod but upstream stack 'staging' \(staging\) has not promoted it \(its promotions of 'checkout\/flag\/new-pricing': flag:new-pricing=on@0\)/,
            );
            assert.match(m, /field flag/);
            assert.match(
                m,
                /Fix: run it in staging first: roll out flag new-pricing variant 'on' with revision 1 \(featureFlags\.rollouts of service 'checkout'\) on stack 'staging'/,
            );
        });
        it("does not take the service's image promotions for the flag's, nor the flag's for the image's", async () => {
            fakeUpstreams({ staging: { checkout: [{ image: IDENTITY, at: "2026-11-20T10:00:00Z" }] } });
            assert.match(
                (await runResource("promotion-order", flagRecord(0))).violations[0]?.message ?? "",
                /promotions of 'checkout\/flag\/new-pricing': none/,
            );
            fakeUpstreams({ staging: { "checkout/flag/new-pricing": [{ image: "v2.4.0", at: "2026-11-20T10:00:00Z" }] } });
            const image = release({ previousWeight: 0, weight: 1, stepIndex: 0, action: "start", verdict: "none" });
            assert.match((await runResource("promotion-order", image)).violations[0]?.message ?? "", /promotions of 'checkout': none/);
        });
        it("gates every rise of the share and a promotion, not holds or rollbacks; staging has no upstream by default", async () => {
            fakeUpstreams(stagingPromoted());
            const [, advance, , , promote] = walk();
            assert.match((await runResource("promotion-order", spec(advance!))).violations[0]?.message ?? "", /rises 1% → 5% of users in prod/);
            assert.match(
                (await runResource("promotion-order", spec(promote!))).violations[0]?.message ?? "",
                /is promoted \(50% → 100% of users\) in prod/,
            );
            const rollback = flagRecord(3, { previousWeight: 25, weight: 0, action: "rollback", status: "rolledBack", verdict: "fail" });
            const hold = flagRecord(3, { previousWeight: 25, weight: 25, action: "hold" });
            for (const s of [rollback, hold, spec(walk()[5]!)]) assert.deepEqual((await runResource("promotion-order", s)).violations, []);
            assert.deepEqual((await runResource("promotion-order", spec(walk("staging")[0]!, "staging"))).violations, []);
        });
        it("refuses when the upstream cannot be read, and names the environment of a renamed upstream stack", async () => {
            fakeUpstreams({});
            const unread = await runResource("promotion-order", flagRecord(0));
            assert.match(unread.violations[0]!.message, /cannot be read to verify it ran in staging first: error: no stack named 'staging' found/);
            fakeUpstreams({ "acme/shop/stg-eu": {} });
            const renamed = await runResource("promotion-order", flagRecord(0), { config: { upstreamStacks: { prod: "acme/shop/stg-eu" } } });
            assert.match(renamed.violations[0]!.message, /upstream stack 'acme\/shop\/stg-eu' \(staging\) has not promoted it/);
            assert.match(renamed.violations[0]!.message, /run it in staging first/);
        });
    });

    describe("canary-routing-has-release-record: a flag rollout's record is not the image canary's", () => {
        const routing: ResourceSpec = {
            type: T.canaryRouting,
            name: "checkout",
            stack: "prod",
            props: { virtualServiceName: "checkout", host: "checkout.shop-gray.svc.cluster.local", canaryWeight: 5, stableWeight: 95 },
        };
        it("refuses canary traffic of checkout covered only by checkout's flag rollout record, saying why it does not count", async () => {
            const { mandatory } = await runBothStack("canary-routing-has-release-record", [flagRecord(2), routing]);
            assert.equal(mandatory.violations.length, 1);
            assert.match(
                mandatory.violations[0]!.message,
                /no CanaryRelease record for 'checkout' \(its flag rollout record checkout\/flag\/new-pricing does not count/,
            );
        });
        it("passes with the image canary's record beside it", async () => {
            const image = { ...release({ namespace: "shop-gray" }), name: "checkout" };
            assert.deepEqual((await runStack("canary-routing-has-release-record", [flagRecord(2), image, routing])).violations, []);
        });
    });
});
