/**
 * feature-flag-share-has-release-record: a flag's fractional share of users must come from the flag rollout recorded
 * in the stack. The FeatureFlags resources are what the component really registers on Pulumi's mock runtime (stack
 * policies see its outputs: the flag file as `configuration`, and its ConfigMap child in the namespace), with the
 * flags shaped by the program's own `flagsAfterDecisions` from the engine's decisions; the records are the
 * program's `canaryReleaseArgs`. The flagd JsonLogic reader is tested on its own, against flagd's engine.
 */
import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { FEATURE_FLAGS_TYPE, type FeatureFlag, FeatureFlags, loadIntoFlagd, resolveFeatureFlagsArgs } from "../../components/feature-flags";
import type { FlagdConfiguration } from "../../components/feature-flags/flagd";
import { T } from "../../policies/contracts";
import { fractionalsOf, nonDefaultShares } from "../../policies/lib/flagd";
import { type Decision, decide, type ProgressionConfig, type ProgressionState } from "../../progression";
import type { AnalysisVerdict } from "../../progression/verdict";
import { canaryReleaseArgs } from "../../stacks/canary-release";
import { flagsAfterDecisions } from "../../stacks/flag-rollouts";
import { flagRolloutConfig, verdictOf } from "../support/decisions";
import { type ResourceSpec, release, runBothStack, runStack, urnOf } from "../support/policy-harness";
import { installMocks, ofType, outputValue, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const RULE = "feature-flag-share-has-release-record";
const NAMESPACE = "shop-gray";
const T0 = Date.parse("2026-11-25T10:00:00Z");

const NEW_PRICING = {
    key: "new-pricing",
    variants: { on: true, off: false },
    defaultVariant: "off",
    targeting: { allowlist: { values: ["staff-001"], variant: "on" } },
};

/** A FeatureFlags as the engine shows it to stack policies: its outputs, and its ConfigMap child (the namespace). */
async function featureFlags(flags: ReadonlyArray<Record<string, unknown>>, stack = "prod", namespace = NAMESPACE): Promise<ResourceSpec[]> {
    resetRecorded();
    const component = new FeatureFlags("checkout", { namespace, flags: flags as never });
    const configuration = await outputValue(component.configuration);
    const configMapName = await outputValue(component.configMapName);
    await settle();
    const [configMap] = ofType("kubernetes:core/v1:ConfigMap");
    assert.ok(configMap, "the component created its ConfigMap");
    const urn = urnOf(FEATURE_FLAGS_TYPE, "checkout", stack);
    return [
        { type: FEATURE_FLAGS_TYPE, name: "checkout", stack, urn, props: { configuration, configMapName } },
        { type: "kubernetes:core/v1:ConfigMap", name: "checkout-flags", stack, parent: urn, props: configMap.inputs },
    ];
}

const rolloutConfig = (environment: string): ProgressionConfig => flagRolloutConfig({ environment, namespace: NAMESPACE });

/** One update of the program: the flag rollout's record and the flags its decision shapes. */
interface Update {
    decision: Decision;
    record: ResourceSpec;
    flags: FeatureFlag[];
}

/** The updates of a flag rollout walked by the engine (verdicts in order; the first update starts it). */
function walk(verdicts: ReadonlyArray<AnalysisVerdict["kind"]>, stack = "prod"): Update[] {
    const config = rolloutConfig(stack);
    const flags = resolveFeatureFlagsArgs({ namespace: NAMESPACE, flags: [NEW_PRICING] }).flags;
    const out: Update[] = [];
    let previous: ProgressionState | undefined;
    for (const [i, kind] of [undefined, ...verdicts].entries()) {
        const now = new Date(T0 + i * 3_600_000);
        const verdict = kind === undefined ? undefined : verdictOf(kind, config, now);
        const decision = decide(previous, config, verdict, now);
        const props = canaryReleaseArgs({
            config,
            namespace: NAMESPACE,
            release: {},
            previousState: previous,
            decision,
            verdict,
            recentStarts: [],
            now,
        });
        out.push({
            decision,
            record: { type: T.canaryRelease, name: "checkout/flag/new-pricing", stack, props },
            flags: flagsAfterDecisions(flags, [{ config, decision }]),
        });
        previous = decision.state;
    }
    return out;
}

/** A flag with a fixed share of `percent` % written by hand. */
const fixed = (percent: number, over: Record<string, unknown> = {}) => ({
    ...NEW_PRICING,
    targeting: { ...NEW_PRICING.targeting, fraction: { variant: "on", percent } },
    ...over,
});

describe("policies: feature-flag-share-has-release-record (stack)", () => {
    describe("the flagd JsonLogic reader (pure)", () => {
        it("reads the component's share, alone or after allowlist, canary and lane rules", () => {
            assert.deepEqual(
                nonDefaultShares(
                    {
                        fractional: [
                            ["on", 500],
                            ["off", 9500],
                        ],
                    },
                    "off",
                ),
                [{ path: "targeting.fractional", variant: "on", percent: 5 }],
            );
            const nested = {
                if: [
                    { in: [{ var: "userId" }, ["staff-001"]] },
                    "on",
                    { "==": [{ var: "lane" }, "gray"] },
                    "on",
                    {
                        fractional: [
                            ["on", 2500],
                            ["off", 7500],
                        ],
                    },
                ],
            };
            assert.deepEqual(nonDefaultShares(nested, "off", {}, "flags.x.targeting"), [
                { path: "flags.x.targeting.if[4].fractional", variant: "on", percent: 25 },
            ]);
            assert.deepEqual(
                nonDefaultShares({ if: [{ in: [{ var: "userId" }, ["staff-001"]] }, "on", null] }, "off"),
                [],
                "an allowlist is no share",
            );
        });
        it("follows flagd's fractional: bucketing value first, relative weights, weight 1 by default, negative weights as 0", () => {
            assert.deepEqual(
                nonDefaultShares({ fractional: [{ cat: [{ var: "$flagd.flagKey" }, { var: "email" }] }, ["on", 1], ["off", 3]] }, "off")[0]?.percent,
                25,
            );
            assert.deepEqual(nonDefaultShares({ fractional: ["seed", ["on"], ["off"]] }, "off")[0]?.percent, 50);
            assert.deepEqual(
                nonDefaultShares(
                    {
                        fractional: [
                            ["on", -5],
                            ["off", 10],
                        ],
                    },
                    "off",
                ),
                [],
                "a negative weight counts as 0",
            );
            const three = nonDefaultShares(
                {
                    fractional: [
                        ["red", 2000],
                        ["blue", 2000],
                        ["off", 5000],
                        ["red", 1000],
                    ],
                },
                "off",
            );
            assert.deepEqual(
                three.map((s) => [s.variant, s.percent]),
                [
                    ["red", 30],
                    ["blue", 20],
                ],
                "each non-default variant once, its buckets summed",
            );
        });
        it("lists nothing flagd would evaluate to null (the default): non-integer or string weights, bad entries, no weight at all", () => {
            for (const fractional of [
                [
                    ["on", 5.5],
                    ["off", 94.5],
                ],
                [
                    ["on", "50"],
                    ["off", 50],
                ],
                [["on", 50], "off"],
                [["on", 1, 2]],
                [[]],
                [
                    ["on", 0],
                    ["off", 0],
                ],
                [
                    ["on", 2 ** 31],
                    ["off", 1],
                ],
                [],
                "on",
            ])
                assert.deepEqual(fractionalsOf({ fractional })[0]?.buckets, [], JSON.stringify(fractional));
            assert.deepEqual(
                nonDefaultShares(
                    {
                        fractional: [
                            [null, 50],
                            ["off", 50],
                        ],
                    },
                    "off",
                ),
                [],
                "a null variant gets the default",
            );
        });
        it("reports what is computed at evaluation time as unknown, follows $ref to $evaluators, and stops at cycles", () => {
            assert.deepEqual(
                nonDefaultShares(
                    {
                        fractional: [
                            [{ var: "v" }, 50],
                            ["off", 50],
                        ],
                    },
                    "off",
                ),
                [{ path: "targeting.fractional", variant: undefined, percent: 50 }],
            );
            assert.deepEqual(
                nonDefaultShares(
                    {
                        fractional: [
                            ["on", { "+": [1, 2] }],
                            ["off", 50],
                        ],
                    },
                    "off",
                ),
                [{ path: "targeting.fractional", variant: "on", percent: undefined }],
            );
            const evaluators = {
                rollout: {
                    fractional: [
                        ["on", 10],
                        ["off", 90],
                    ],
                },
                loop: { $ref: "loop" },
            };
            assert.deepEqual(nonDefaultShares({ if: [true, { $ref: "rollout" }, { $ref: "loop" }] }, "off", evaluators), [
                { path: "$evaluators.rollout.fractional", variant: "on", percent: 10 },
            ]);
            assert.deepEqual(nonDefaultShares({ $ref: "missing" }, "off", evaluators), []);
        });
        it("never throws and only lists shares above 0 of variants other than the default, whatever the input", () => {
            fc.assert(
                fc.property(fc.jsonValue(), fc.string(), (targeting, defaultVariant) => {
                    for (const s of nonDefaultShares(targeting, defaultVariant, { a: targeting })) {
                        assert.notEqual(s.variant, defaultVariant);
                        if (s.percent !== undefined) assert.ok(s.percent > 0 && s.percent <= 100, String(s.percent));
                    }
                }),
            );
        });
        it("agrees with flagd's engine on the share of users a hand-written fractional reaches", () => {
            const targeting = { if: [{ "==": [{ var: "lane" }, "gray"] }, "on", { fractional: [{ var: "targetingKey" }, ["on", 3], ["off", 7]] }] };
            const file: FlagdConfiguration = {
                $schema: "https://flagd.dev/schema/v0/flags.json",
                flags: { "new-pricing": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off", targeting } },
            };
            const flagd = loadIntoFlagd(file);
            const users = Array.from({ length: 20000 }, (_, i) => `user-${i}`);
            const measured =
                (users.filter((u) => flagd.resolveBooleanEvaluation("new-pricing", false, { targetingKey: u }).value).length / users.length) * 100;
            const [share] = nonDefaultShares(targeting, "off");
            assert.equal(share?.percent, 30);
            assert.ok(Math.abs(measured - 30) < 1.5, `flagd gave ${measured.toFixed(2)}% of users`);
        });
    });

    describe("the rule", () => {
        it("passes every update of the program's rollout: the flag file's share is the recorded one (100 once promoted, none once rolled back)", async () => {
            const healthy = walk(["pass", "pass", "pass", "pass", "pass"]);
            assert.deepEqual(
                healthy.map((u) => u.flags[0]?.targeting.fraction?.percent),
                [1, 5, 25, 50, 100, 100],
            );
            const failed = walk(["pass", "fail", "fail", "fail"]).at(-1)!;
            assert.equal(failed.decision.action, "none");
            assert.equal(failed.flags[0]?.targeting.fraction, undefined);
            for (const u of [...healthy, failed]) {
                const { mandatory, advisory } = await runBothStack(RULE, [u.record, ...(await featureFlags(u.flags))]);
                assert.deepEqual([...mandatory.violations, ...advisory.violations], [], `${u.decision.action} at ${u.decision.state.weight}%`);
            }
        });

        it("refuses in prod a share written by hand, once, naming the flag, the variant, the share and featureFlags.rollouts", async () => {
            const { mandatory, advisory } = await runBothStack(RULE, await featureFlags([fixed(5)]));
            assert.equal(advisory.violations.length, 0);
            assert.equal(mandatory.violations.length, 1, JSON.stringify(mandatory.violations));
            const v = mandatory.violations[0]!;
            assert.equal(v.urn, urnOf(FEATURE_FLAGS_TYPE, "checkout", "prod"));
            assert.match(
                v.message,
                /^\[prod\] flag 'new-pricing' of FeatureFlags checkout \(namespace shop-gray\): variant 'on' gets a fixed 5% of users \(flags\.new-pricing\.targeting\.if\[2\]\.fractional\) with no flag rollout of that variant recorded in the stack/,
            );
            assert.match(v.message, /field flags\.new-pricing\.targeting\.if\[2\]\.fractional/);
            assert.match(
                v.message,
                /roll the variant out with featureFlags\.rollouts: \[\{ flag: "new-pricing", variant: "on" \}\] of the service in the stack config/,
            );
        });

        it("is advisory in dev and staging, mandatory in prod and in an unresolved environment", async () => {
            for (const stack of ["dev", "staging"]) {
                const { mandatory, advisory } = await runBothStack(RULE, await featureFlags([fixed(5)], stack));
                assert.deepEqual([mandatory.violations.length, advisory.violations.length], [0, 1], stack);
            }
            assert.equal((await runBothStack(RULE, await featureFlags([fixed(5)], "team-x"))).mandatory.violations.length, 1);
        });

        it("refuses a share that is not the recorded one: a hand-edited step, a rolled-back rollout still giving the variant", async () => {
            const [, atFive] = walk(["pass"]);
            const edited = await runStack(RULE, [atFive!.record, ...(await featureFlags([fixed(25)]))]);
            assert.match(
                edited.violations[0]?.message ?? "",
                /variant 'on' gets 25% of users .* but its flag rollout \(record checkout\/flag\/new-pricing\) is at 5%/,
            );
            assert.match(edited.violations[0]?.message ?? "", /Fix: leave the share to the rollout/);
            const failed = walk(["pass", "fail", "fail", "fail"]).at(-1)!;
            const stillOn = await runStack(RULE, [failed.record, ...(await featureFlags([fixed(5)]))]);
            assert.match(stillOn.violations[0]?.message ?? "", /is at 0% \(status rolledBack: nobody may get the variant\)/);
        });

        it("does not count a record of another namespace, flag or variant, nor the service's image canary record", async () => {
            const [, atFive] = walk(["pass"]);
            const props = atFive!.record.props;
            const others: ResourceSpec[] = [
                { ...atFive!.record, props: { ...props, namespace: "other-gray" } },
                { ...atFive!.record, props: { ...props, flag: { ...props["flag"], key: "old-pricing" } } },
                { ...atFive!.record, props: { ...props, flag: { ...props["flag"], variant: "beta" } } },
                { ...release({ namespace: NAMESPACE, weight: 5 }), name: "checkout" },
            ];
            for (const other of others) {
                const { violations } = await runStack(RULE, [other, ...(await featureFlags([fixed(5)]))]);
                assert.equal(violations.length, 1, JSON.stringify(other.props));
            }
            const variant = await runStack(RULE, [others[2]!, ...(await featureFlags([fixed(5)]))]);
            assert.match(variant.violations[0]!.message, /the flag's recorded rollout is of 'beta'/);
        });

        it("lets staff allowlists, canary-version and lane rules, a share of 0 and a DISABLED flag through", async () => {
            const rules = {
                ...NEW_PRICING,
                targeting: {
                    allowlist: { values: ["staff-001"], variant: "on" },
                    canary: { versionLabel: "1.5.0", variant: "on" },
                    lane: { lane: "gray", variant: "on" },
                },
            };
            for (const flags of [[rules], [fixed(0)], [fixed(50, { state: "DISABLED" })]])
                assert.deepEqual((await runStack(RULE, await featureFlags(flags))).violations, [], JSON.stringify(flags));
        });

        it("reads the component's inputs too (namespace, flags), and reports each non-default variant of a hand-written fractional", async () => {
            const inputs: ResourceSpec = {
                type: FEATURE_FLAGS_TYPE,
                name: "pricing",
                stack: "prod",
                props: {
                    namespace: NAMESPACE,
                    flags: {
                        engine: {
                            state: "ENABLED",
                            variants: { legacy: "legacy", graph: "graph", ml: "ml" },
                            defaultVariant: "legacy",
                            targeting: {
                                if: [
                                    { "==": [{ var: "country" }, "NL"] },
                                    {
                                        fractional: [
                                            ["graph", 10],
                                            ["ml", 10],
                                            ["legacy", 80],
                                        ],
                                    },
                                    "legacy",
                                ],
                            },
                        },
                    },
                },
            };
            const { violations } = await runStack(RULE, [inputs]);
            assert.deepEqual(
                violations.map((v) =>
                    /variant '(\w+)' gets a fixed (\d+)% of users \(flags\.engine\.targeting\.if\[1\]\.fractional\)/.exec(v.message)?.slice(1),
                ),
                [
                    ["graph", "10"],
                    ["ml", "10"],
                ],
            );
        });
    });
});
