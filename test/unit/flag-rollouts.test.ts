/**
 * Flag rollouts as releases, without Pulumi: the stack config turns `services[].featureFlags.rollouts` into releases of
 * their own (the service's analysis with the flag's variants as the two sides), mistakes are reported at the key the
 * user wrote, the engine walks a flag up and back down and starts it again only for a new revision, and the flag file
 * the decisions shape is judged by flagd's own engine.
 */
import { strict as assert } from "node:assert";
import { type FeatureFlag, featureFlagSchema, flagdConfiguration, loadIntoFlagd } from "../../components/feature-flags";
import { flagReleaseKey, flagVariantLabel } from "../../progression/flag-release";
import {
    batchedQuery,
    decide,
    type InstantSample,
    LATENCY_BUCKETS_MEASURE,
    MEASURE_NAMES,
    type ProgressionConfig,
    type ProgressionState,
    parseProgressionConfig,
    runProgression,
} from "../../progression/internal";
import { analysisSignals } from "../../progression/signals";
import { factsOf, titleOf } from "../../release/notify/format";
import { transitionEvents } from "../../release/transitions";
import { canaryReleaseArgs } from "../../stacks/canary-release";
import { sloCanaryFor } from "../../stacks/canary-service";
import { parseStackConfig } from "../../stacks/config";
import { flagsAfterDecisions, rolloutShare } from "../../stacks/flag-rollouts";
import { stackReleases } from "../../stacks/program";
import { flagRolloutConfig, verdictOf } from "../support/decisions";
import { HEALTHY, HEALTHY_BUCKETS } from "../support/fake-metrics";
import { stackConfigProblems } from "../support/stack-config";

const PROMETHEUS = "http://thanos-query.monitoring.svc:10902";
const NEW_PRICING = {
    key: "new-pricing",
    variants: { on: true, off: false },
    defaultVariant: "off",
    targeting: { allowlist: { values: ["staff-001"], variant: "on" } },
};

const service = (featureFlags: Record<string, unknown>, progression: Record<string, unknown> = {}) => ({
    name: "checkout",
    namespace: "dev-gray",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    progression: { steps: [5, 10, 25, 50, 100], analysis: { prometheusUrl: PROMETHEUS }, ...progression },
    featureFlags,
    slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
});

const problems = (raw: Record<string, unknown>): string => stackConfigProblems(raw);

const flagConfig = (revision = "1", extra: Record<string, unknown> = {}): ProgressionConfig =>
    flagRolloutConfig({
        environment: "dev",
        analysis: { prometheusUrl: PROMETHEUS },
        flag: { key: "new-pricing", variant: "on", defaultVariant: "off", revision },
        ...extra,
    });

/** The service's image canary, 1.4.0 → 1.5.0. */
const imageConfig = (environment = "dev"): ProgressionConfig =>
    parseProgressionConfig({
        service: "checkout",
        environment,
        stableImage: "registry.example.com/shop/checkout:1.4.0",
        canaryImage: "registry.example.com/shop/checkout:1.5.0",
        analysis: { prometheusUrl: PROMETHEUS },
    });

const USERS = Array.from({ length: 20000 }, (_, i) => `user-${i}`);

describe("flag rollouts in the stack config", () => {
    it("makes each rollout a release of its own: the service's analysis, the rollout's steps, the flag's variants as the two sides", () => {
        const config = parseStackConfig("dev", {
            environment: "dev",
            analysisChecks: [
                { name: "cpu", query: 'max(rate(cpu{app="{{service}}"}[{{window}}]))', threshold: 0.9, direction: "above", action: "warn" },
            ],
            services: [
                service(
                    { flags: [NEW_PRICING], rollouts: [{ flag: "new-pricing", variant: "on", steps: [1, 5, 25, 50, 100] }] },
                    { gates: [{ atStep: 0, sloAttainment: { objective: 99.9 } }] },
                ),
            ],
        });
        const s = config.services[0]!;
        assert.equal(s.featureFlags?.namespace, "dev-gray");
        assert.equal(s.flagRollouts.length, 1);
        const flag = s.flagRollouts[0]!;
        assert.deepEqual(flag.flag, { key: "new-pricing", variant: "on", defaultVariant: "off", revision: "1" });
        assert.equal(flag.canaryImage, "flag:new-pricing=on@1");
        assert.equal(flag.stableImage, "flag:new-pricing=off");
        assert.deepEqual(flag.steps, [1, 5, 25, 50, 100]);
        assert.equal(flag.analysis.prometheusUrl, PROMETHEUS);
        // The image canary's gates and custom checks select versions: a flag rollout has neither.
        assert.equal(s.progression.gates.length, 1);
        assert.equal(s.progression.analysis.checks.length, 1);
        assert.equal(flag.gates.length, 0);
        assert.equal(flag.analysis.checks.length, 0);
        assert.deepEqual(
            stackReleases(config.services).map((r) => r.key),
            ["checkout", "checkout/flag/new-pricing"],
        );
    });

    it("refuses a rollout of an unknown flag, of the default variant, of a flag with a fixed share, and a written namespace, at their keys", () => {
        const message = problems({
            environment: "dev",
            services: [
                service({
                    namespace: "elsewhere",
                    flags: [NEW_PRICING, { ...NEW_PRICING, key: "fixed", targeting: { fraction: { variant: "on", percent: 10 } } }],
                    rollouts: [
                        { flag: "new-pricng", variant: "on" },
                        { flag: "new-pricing", variant: "off" },
                        { flag: "fixed", variant: "on" },
                    ],
                }),
            ],
        });
        assert.match(message, /services\[0\]\.featureFlags\.namespace = "elsewhere": set by the stack program/);
        assert.match(
            message,
            /services\[0\]\.featureFlags\.rollouts\[0\]\.flag = "new-pricng": no such flag in featureFlags\.flags \(new-pricing, fixed\)/,
        );
        assert.match(message, /services\[0\]\.featureFlags\.rollouts\[1\]\.variant = "off": is the flag's defaultVariant/);
        assert.match(
            message,
            /services\[0\]\.featureFlags\.flags\[1\]\.targeting\.fraction = \{.*\}: flag "fixed" is rolled out by featureFlags\.rollouts\[2\]/,
        );
    });

    it("reports a rollout's own bad steps and controls at the rollout, and bad flags at the flag", () => {
        const message = problems({
            environment: "staging",
            services: [
                service({
                    flags: [
                        { ...NEW_PRICING, defaultVariant: "maybe" },
                        { ...NEW_PRICING, key: "b" },
                    ],
                    rollouts: [{ flag: "b", variant: "on", steps: [5, 5, 50], controls: { skipAnalysis: true }, colour: "red" }],
                }),
            ],
        });
        assert.match(message, /services\[0\]\.featureFlags\.flags\[0\]\.defaultVariant = "maybe": must be one of the flag's variants/);
        assert.match(message, /services\[0\]\.featureFlags\.rollouts\[0\] = \{.*\}: Unrecognized key: "colour"/);
        const good = problems({
            environment: "staging",
            services: [
                service({
                    flags: [NEW_PRICING],
                    rollouts: [{ flag: "new-pricing", variant: "on", steps: [5, 5, 50], controls: { skipAnalysis: true } }],
                }),
            ],
        });
        assert.match(good, /services\[0\]\.featureFlags\.rollouts\[0\]\.steps = \[5,5,50\]: weights must strictly increase/);
        assert.match(
            good,
            /services\[0\]\.featureFlags\.rollouts\[0\]\.controls = \{"skipAnalysis":true\}: skipAnalysis is only allowed when environment is "dev"/,
        );
    });

    it("the engine's config: a flag release has no images, an image release needs both", () => {
        assert.throws(
            () => parseProgressionConfig({ ...flagConfigInput(), canaryImage: "app:1.0.0" }),
            /canaryImage = "app:1.0.0": a flag rollout releases a flag variant, not an image/,
        );
        assert.throws(
            () =>
                parseProgressionConfig({
                    service: "checkout",
                    environment: "dev",
                    analysis: { prometheusUrl: PROMETHEUS },
                    stableImage: "app:1.0.0",
                }),
            /canaryImage = undefined: required: the image, pinned by tag or digest/,
        );
    });
});

function flagConfigInput(): Record<string, unknown> {
    return {
        service: "checkout",
        environment: "dev",
        analysis: { prometheusUrl: PROMETHEUS },
        flag: { key: "new-pricing", variant: "on", defaultVariant: "off" },
    };
}

describe("flag rollouts in the engine", () => {
    it("compares requests served each variant, under a key of its own beside the service's image canary", async () => {
        const image = imageConfig();
        const flag = flagConfig();
        const query = batchedQuery([image, flag]);
        assert.equal(flagVariantLabel("new-pricing"), "feature_flag_new_pricing");
        assert.match(query, /destination_service_name="checkout", feature_flag_new_pricing="on"/);
        assert.match(query, /destination_service_name="checkout", feature_flag_new_pricing="off"/);
        assert.match(query, /"service", "checkout\/flag\/new-pricing"/);
        assert.match(query, /pod=~"checkout-\(stable\|canary\)-\.\*"/);

        // Both are analysed in one query and decided apart: the image canary healthy, the flag's users failing.
        const at = new Date("2026-12-01T10:00:00Z");
        const previous = (config: ProgressionConfig, weight: number): ProgressionState =>
            decide(undefined, { ...config, steps: [weight, 100] }, undefined, new Date(at.getTime() - 3_600_000)).state;
        const queries: string[] = [];
        const results = await runProgression(
            [
                { config: image, previousState: { ...previous(image, 5), stepIndex: 0 } },
                { config: flag, previousState: previous(flag, 1) },
            ],
            {
                async query(promql) {
                    queries.push(promql);
                    return { ok: true, samples: answer(promql, at) };
                },
            },
            at,
        );
        assert.equal(queries.length, 1);
        assert.deepEqual([...results.keys()], ["checkout", flagReleaseKey("checkout", "new-pricing")]);
        assert.equal(results.get("checkout")?.decision.action, "advance", results.get("checkout")?.decision.reason);
        const flagged = results.get("checkout/flag/new-pricing")!;
        assert.equal(flagged.verdict?.kind, "fail");
        assert.equal(flagged.decision.action, "rollback");
        assert.equal(flagged.decision.state.weight, 0);
    });

    it("walks 1 → 5 → 25 → 50 → promoted, stays put after a rollback, and starts again only for a new revision", () => {
        const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 10, minutes));
        let d = decide(undefined, flagConfig(), undefined, at(0));
        assert.deepEqual([d.action, d.state.weight, d.reason], ["start", 1, "new rollout: starting at the first step (1%)"]);
        assert.match(d.nextAction, /^analyse users served new-pricing=on at 1%: pass → advance to 5%/);
        const weights = [d.state.weight];
        for (let i = 1; i <= 4; i++) {
            d = decide(d.state, flagConfig(), verdictOf("pass", flagConfig(), at(i)), at(i));
            weights.push(d.state.weight);
        }
        assert.deepEqual(weights, [1, 5, 25, 50, 100]);
        assert.equal(d.state.status, "promoted");
        assert.equal(d.reason, "healthy at 50%: reached 100%, flag new-pricing=on promoted to every user");
        assert.equal(rolloutShare(d), 100);

        let r = decide(undefined, flagConfig("2"), undefined, at(10));
        r = decide(r.state, flagConfig("2"), verdictOf("fail", flagConfig(), at(11)), at(11));
        assert.deepEqual([r.action, r.state.status, r.state.weight, rolloutShare(r)], ["rollback", "rolledBack", 0, undefined]);
        const again = decide(r.state, flagConfig("2"), verdictOf("pass", flagConfig(), at(12)), at(12));
        assert.equal(again.action, "none");
        assert.match(again.reason, /is rolledBack; set a new revision on the rollout of flag new-pricing to start another/);
        const next = decide(r.state, flagConfig("3"), undefined, at(13));
        assert.deepEqual([next.action, next.state.weight], ["start", 1]);
        assert.match(next.reason, /rollout of flag new-pricing=on changed from flag:new-pricing=on@2/);
    });

    it("records the flag for the pack: identities, share as weight, the flag itself", () => {
        const config = flagConfig();
        const decision = decide(undefined, config, undefined, new Date("2026-12-01T10:00:00Z"));
        const record = canaryReleaseArgs({
            config,
            namespace: "dev-gray",
            release: { owner: "team-checkout" },
            previousState: undefined,
            decision,
            verdict: undefined,
            recentStarts: [],
            now: new Date("2026-12-01T10:00:00Z"),
        });
        assert.equal(record.service, "checkout");
        assert.equal(record.canaryImage, "flag:new-pricing=on@1");
        assert.equal(record.stableImage, "flag:new-pricing=off");
        assert.equal(record.weight, 1);
        assert.deepEqual(record.flag, { key: "new-pricing", variant: "on", defaultVariant: "off", revision: "1" });
    });
});

describe("flag rollouts in the release driver's events", () => {
    it("a rollback of a flag rollout is an event of its own key, in words of users and flags", () => {
        const at = new Date("2026-12-01T10:00:00Z");
        const started = decide(undefined, flagConfig(), undefined, at);
        const rolledBack = decide(started.state, flagConfig(), verdictOf("fail", flagConfig(), at), at);
        const key = "checkout/flag/new-pricing";
        const [event, ...rest] = transitionEvents("prod", { [key]: started.state }, { [key]: rolledBack.state }, {}, at);
        assert.equal(rest.length, 0);
        assert.ok(event && "service" in event);
        assert.deepEqual(
            [event.kind, event.service, event.canaryImage, event.fromWeight, event.toWeight],
            ["rollback", key, "flag:new-pricing=on@1", 1, 0],
        );
        assert.equal(titleOf(event), "prod/checkout/flag/new-pricing rolled back: share of users 1 % → 0 %");
        assert.deepEqual(factsOf(event)[2], ["Flag rollout", "flag:new-pricing=on@1"]);
    });
});

describe("the flag file the decisions shape, judged by flagd's engine", () => {
    const flags: FeatureFlag[] = [featureFlagSchema.parse(NEW_PRICING), featureFlagSchema.parse({ ...NEW_PRICING, key: "other" })];
    const shareOn = (decided: FeatureFlag[], key: string) => {
        const flagd = loadIntoFlagd(flagdConfiguration(decided));
        const on = USERS.filter((u) => flagd.resolveBooleanEvaluation(key, false, { targetingKey: u, userId: u }).value).length;
        const staff = flagd.resolveBooleanEvaluation(key, false, { targetingKey: "staff-001", userId: "staff-001" }).value;
        return { share: (on / USERS.length) * 100, staff };
    };
    const at = new Date("2026-12-01T10:00:00Z");

    it("gives the variant to the decided share of users (and to staff), all of them once promoted; leaves other flags alone", () => {
        let d = decide(undefined, flagConfig(), undefined, at);
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
            const shaped = flagsAfterDecisions(flags, [{ config: flagConfig(), decision: d }]);
            const { share, staff } = shareOn(shaped, "new-pricing");
            assert.ok(staff);
            assert.ok(Math.abs(share - rolloutShare(d)!) <= Math.max(0.3, rolloutShare(d)! * 0.1), `share ${share} at ${rolloutShare(d)}`);
            seen.push(Math.round(share));
            assert.deepEqual(shaped[1], flags[1]);
            d = decide(d.state, flagConfig(), verdictOf("pass", flagConfig(), at), at);
        }
        assert.equal(seen.at(-1), 100);
    });

    it("turns the flag off for everyone, staff included, in the update that rolls it back", () => {
        const started = decide(undefined, flagConfig(), undefined, at);
        const rolledBack = decide(started.state, flagConfig(), verdictOf("fail", flagConfig(), at), at);
        const shaped = flagsAfterDecisions(flags, [{ config: flagConfig(), decision: rolledBack }]);
        assert.deepEqual(shareOn(shaped, "new-pricing"), { share: 0, staff: false });
        // The other flag keeps its allowlist.
        assert.equal(shareOn(shaped, "other").staff, true);
    });
});

/** A batched answer: the image canary healthy, the flag's "on" users failing at 10 %. */
function answer(promql: string, at: Date): InstantSample[] {
    const samples: InstantSample[] = [];
    const timestamp = at.getTime();
    for (const service of ["checkout", "checkout/flag/new-pricing"]) {
        assert.ok(promql.includes(`"${service}"`));
        const failing = service !== "checkout";
        for (const measure of MEASURE_NAMES) {
            let value = Number(HEALTHY[measure]);
            if (failing && measure === "canaryErrors") value = Number(HEALTHY.canaryRequests) * 0.1;
            if (failing && measure === "passCanaryErrors") value = Number(HEALTHY.passCanaryRequests) * 0.1;
            samples.push({ labels: { measure, service }, value, timestamp });
        }
        for (const [le, value] of Object.entries(HEALTHY_BUCKETS))
            samples.push({ labels: { measure: LATENCY_BUCKETS_MEASURE, service, le }, value: Number(value), timestamp });
    }
    return samples;
}

describe("the service's canary alert while a flag rollout is live", () => {
    const image = imageConfig("prod");
    const imageSide = (serving: boolean, canary = "1.5.0") => ({
        labels: { stable: "1.4.0", canary },
        signals: analysisSignals(image),
        serving,
    });

    it("compares the image versions while the image canary serves, else the live flag rollout's variants", () => {
        const flag = flagConfig();
        assert.match(String(sloCanaryFor(undefined, imageSide(true), flag).canaryMatchers), /destination_version="1\.5\.0"/);
        const flagAlert = sloCanaryFor(undefined, imageSide(false), flag);
        assert.match(String(flagAlert.canaryMatchers), /feature_flag_new_pricing="on"/);
        assert.match(String(flagAlert.stableMatchers), /feature_flag_new_pricing="off"/);
        assert.deepEqual([flagAlert.canaryVersionLabel, flagAlert.stableVersionLabel], ["on", "off"]);
        // Promoted image (same version on both sides) and no flag: nothing to compare.
        assert.equal(sloCanaryFor(undefined, imageSide(false, "1.4.0"), undefined).enabled, false);
        assert.match(String(sloCanaryFor(undefined, imageSide(false, "1.4.0"), flag).canaryMatchers), /feature_flag_new_pricing="on"/);
    });
});
