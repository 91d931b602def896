/**
 * FeatureFlags against flagd's own evaluation engine (@openfeature/flagd-core, the engine of flagd's in-process
 * providers): the rendered flag file loads, and evaluates for staff, the canary version, a lane and a fractional
 * share of users the way the config says; a share that grows keeps every user who had the variant. Bad input is
 * refused with its key path before anything is created.
 */
import { strict as assert } from "node:assert";
import { InvalidArgsError } from "../../components/common";
import {
    type FeatureFlagInput,
    FeatureFlags,
    FlagdConfigurationError,
    featureFlagSchema,
    flagdConfiguration,
    loadIntoFlagd,
    resolveFeatureFlagsArgs,
} from "../../components/feature-flags";
import { installMocks, ofType, outputValue, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const checkoutFlag = (percent: number): FeatureFlagInput => ({
    key: "new-checkout-flow",
    description: "The rewritten checkout flow",
    variants: { on: true, off: false },
    defaultVariant: "off",
    targeting: {
        allowlist: { values: ["staff-1", "staff-2"], variant: "on" },
        canary: { versionLabel: "1.5.0", variant: "on" },
        lane: { lane: "gray", variant: "on" },
        fraction: { variant: "on", percent },
    },
});

const flagdFor = (...flags: FeatureFlagInput[]) => loadIntoFlagd(flagdConfiguration(flags.map((f) => featureFlagSchema.parse(f))));
const USERS = Array.from({ length: 20000 }, (_, i) => `user-${i}`);

describe("FeatureFlags: flagd's engine evaluates what the config says", () => {
    beforeEach(resetRecorded);

    it("staff, the canary version and the lane get the variant; everyone else by their share", () => {
        const flagd = flagdFor(checkoutFlag(0));
        const on = (ctx: Record<string, string>) => flagd.resolveBooleanEvaluation("new-checkout-flow", false, { targetingKey: "someone", ...ctx });
        assert.equal(on({ userId: "staff-1" }).value, true);
        assert.equal(on({ userId: "staff-1" }).reason, "TARGETING_MATCH");
        assert.equal(on({ version: "1.5.0" }).value, true);
        assert.equal(on({ lane: "gray" }).value, true);
        assert.equal(on({ userId: "customer-9", version: "1.4.0", lane: "blue" }).value, false);
        assert.equal(on({}).variant, "off");
    });

    it("a fractional share reaches about that share of users, and a user keeps the variant as the share grows", () => {
        const reached = (percent: number) => {
            const flagd = flagdFor(checkoutFlag(percent));
            return new Set(USERS.filter((u) => flagd.resolveBooleanEvaluation("new-checkout-flow", false, { targetingKey: u }).value));
        };
        const shares = [0, 0.5, 5, 10, 25, 50, 100];
        const sets = shares.map(reached);
        shares.forEach((percent, i) => {
            const measured = (sets[i]!.size / USERS.length) * 100;
            assert.ok(Math.abs(measured - percent) <= Math.max(0.3, percent * 0.1), `${percent}%: ${measured.toFixed(2)}% of users`);
        });
        for (let i = 1; i < sets.length; i++)
            for (const user of sets[i - 1]!)
                assert.ok(sets[i]!.has(user), `${user} had the variant at ${shares[i - 1]}% and lost it at ${shares[i]}%`);
    });

    it("a DISABLED flag serves its default to everyone, staff included", () => {
        const flagd = flagdFor({ ...checkoutFlag(50), state: "DISABLED" });
        const r = flagd.resolveBooleanEvaluation("new-checkout-flow", false, { targetingKey: "x", userId: "staff-1" });
        assert.notEqual(r.value, true);
    });

    it("string flags: the variants' values are served", () => {
        const flagd = flagdFor({
            key: "pricing-engine",
            variants: { v1: "legacy", v2: "graph" },
            defaultVariant: "v1",
            targeting: { canary: { versionLabel: "2.0.0", variant: "v2" } },
        });
        assert.equal(flagd.resolveStringEvaluation("pricing-engine", "none", { version: "2.0.0" }).value, "graph");
        assert.equal(flagd.resolveStringEvaluation("pricing-engine", "none", { version: "1.9.0" }).value, "legacy");
    });

    it("flagd's refusals and skipped targeting rules are errors, not warnings", () => {
        assert.throws(
            () => loadIntoFlagd({ $schema: "x", flags: { f: { state: "ENABLED", variants: { on: true }, defaultVariant: "nope" } } }),
            (e: unknown) => e instanceof FlagdConfigurationError && /invalid flagd flag configuration/.test(e.message),
        );
        assert.throws(
            () =>
                loadIntoFlagd({
                    $schema: "x",
                    flags: { f: { state: "ENABLED", variants: { on: true }, defaultVariant: "on", targeting: { bogus: [1] } } },
                }),
            (e: unknown) => e instanceof FlagdConfigurationError && /Invalid targeting configuration for flag 'f'/.test(e.message),
        );
    });

    it("refuses bad input with its key path and value", () => {
        const problems = (flags: unknown[]) => {
            try {
                resolveFeatureFlagsArgs({ namespace: "dev-gray", flags } as never);
            } catch (e) {
                assert.ok(e instanceof InvalidArgsError, String(e));
                return e.message;
            }
            assert.fail("accepted");
        };
        assert.match(
            problems([{ ...checkoutFlag(5), defaultVariant: "maybe" }]),
            /flags\[0\]\.defaultVariant.*"maybe".*must be one of the flag's variants \(on, off\)/,
        );
        assert.match(
            problems([{ ...checkoutFlag(5), variants: { on: true, off: "no" } }]),
            /flags\[0\]\.variants.*must all be of one type, not boolean and string/,
        );
        assert.match(problems([checkoutFlag(5), checkoutFlag(10)]), /flags\[1\]\.key.*duplicates flag "new-checkout-flow"/);
        assert.match(problems([checkoutFlag(2.555)]), /flags\[0\]\.targeting\.fraction\.percent.*2\.555.*at most two decimals/);
        assert.match(problems([checkoutFlag(150)]), /flags\[0\]\.targeting\.fraction\.percent.*150.*0\.\.100/);
        assert.match(
            problems([{ ...checkoutFlag(5), targeting: { fraction: { variant: "off", percent: 5 } } }]),
            /flags\[0\]\.targeting\.fraction\.variant.*must differ from defaultVariant/,
        );
        assert.match(
            problems([{ ...checkoutFlag(5), targeting: { allowlist: { values: ["a"], variant: "maybe" } } }]),
            /flags\[0\]\.targeting\.allowlist\.variant/,
        );
        assert.match(problems([{ ...checkoutFlag(5), key: "9lives" }]), /flags\[0\]\.key.*"9lives"/);
    });

    it("the component renders a ConfigMap flagd loads, and the operator's FeatureFlag resource when asked", async () => {
        const flags = new FeatureFlags("checkout", { namespace: "dev-gray", featureFlagResource: true, flags: [checkoutFlag(10)] });
        await settle();
        const [configMap] = ofType("kubernetes:core/v1:ConfigMap");
        assert.ok(configMap);
        assert.deepEqual(configMap.inputs["metadata"], {
            name: "feature-flags",
            namespace: "dev-gray",
            labels: { "app.kubernetes.io/managed-by": "gray-release", "app.kubernetes.io/component": "feature-flags" },
        });
        const file = (configMap.inputs["data"] as Record<string, string>)["flags.flagd.json"];
        assert.ok(file);
        const flagd = loadIntoFlagd(file);
        assert.equal(flagd.resolveBooleanEvaluation("new-checkout-flow", false, { targetingKey: "u", userId: "staff-2" }).value, true);
        const [resource] = ofType("kubernetes:core.openfeature.dev/v1beta1:FeatureFlag");
        assert.ok(resource, "FeatureFlag resource");
        assert.deepEqual((resource.inputs["spec"] as { flagSpec: unknown }).flagSpec, { flags: JSON.parse(file).flags });
        assert.equal(await outputValue(flags.configMapName), "feature-flags");
    });

    it("refuses the component before creating anything", async () => {
        assert.throws(() => new FeatureFlags("bad", { namespace: "Dev_Gray", flags: [checkoutFlag(10)] }), /namespace.*"Dev_Gray"/);
        await settle();
        assert.equal(ofType("kubernetes:core/v1:ConfigMap").length, 0);
    });
});
