/**
 * feature-flags-approved: a FeatureFlags configuration needs the approvals its environment asks for. The props are
 * what the component really registers (recorded on Pulumi's mock runtime), so the pack reads the component's contract.
 */
import { strict as assert } from "node:assert";
import { FEATURE_FLAGS_TYPE, FeatureFlags, type FeatureFlagsArgs } from "../../components/feature-flags";
import { runBothResource, runResource } from "../support/policy-harness";
import { installMocks, ofType, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const NOW = "2026-11-25T10:00:00Z";
const flags: FeatureFlagsArgs["flags"] = [
    { key: "new-checkout-flow", variants: { on: true, off: false }, defaultVariant: "off", targeting: { fraction: { variant: "on", percent: 5 } } },
];

/** The props the component registers for the pack, from the mock runtime. */
async function registered(approvals: FeatureFlagsArgs["approvals"]): Promise<Record<string, unknown>> {
    resetRecorded();
    new FeatureFlags("checkout", { namespace: "prod-gray", flags, ...(approvals ? { approvals } : {}) });
    await settle();
    const [component] = ofType(FEATURE_FLAGS_TYPE);
    assert.ok(component, "the component registered");
    return component.inputs;
}

const check = async (approvals: FeatureFlagsArgs["approvals"], stack = "prod", config: Record<string, unknown> = {}) =>
    runBothResource(
        "feature-flags-approved",
        { type: FEATURE_FLAGS_TYPE, name: "checkout", stack, props: await registered(approvals) },
        { config: { now: NOW, ...config } },
    );

describe("policies: feature-flags-approved", () => {
    it("the component registers its flags (as flagd reads them) and approvals for the pack", async () => {
        const props = await registered([{ role: "sre", by: "alice", at: "2026-11-24T09:00:00Z" }]);
        assert.deepEqual(Object.keys(props["flags"] as object), ["new-checkout-flow"]);
        assert.deepEqual(props["approvals"], [{ role: "sre", by: "alice", at: "2026-11-24T09:00:00Z" }]);
    });

    it("refuses prod flags without SRE and change-board approvals, naming the flags and the missing roles", async () => {
        const { mandatory } = await check([{ role: "sre", by: "alice", at: "2026-11-24T09:00:00Z" }]);
        assert.equal(mandatory.violations.length, 1, JSON.stringify(mandatory.violations));
        assert.match(mandatory.violations[0]!.message, /feature flags 'new-checkout-flow' of checkout in prod lack the approval of change-board/);
        assert.match(mandatory.violations[0]!.message, /add approvals: \[\{ role: "change-board"/);
    });

    it("passes with both, and does not count approvals dated in the future or too old", async () => {
        const both = [
            { role: "sre", by: "alice", at: "2026-11-24T09:00:00Z" },
            { role: "change-board", by: "cab-2026-47", at: "2026-11-23T15:00:00Z" },
        ];
        assert.deepEqual((await check(both)).mandatory.violations, []);
        const future = [both[0]!, { role: "change-board", by: "cab", at: "2026-12-01T00:00:00Z" }];
        assert.match((await check(future)).mandatory.violations[0]?.message ?? "", /lack the approval of change-board/);
        const old = [both[0]!, { role: "change-board", by: "cab", at: "2026-09-01T00:00:00Z" }];
        assert.match((await check(old)).mandatory.violations[0]?.message ?? "", /at most 30 days old/);
    });

    it("staging asks QA (mandatory there); dev asks nobody", async () => {
        assert.match((await check([], "staging")).mandatory.violations[0]?.message ?? "", /in staging lack the approval of qa/);
        assert.deepEqual((await check([{ role: "qa", by: "bob", at: "2026-11-25T08:00:00Z" }], "staging")).mandatory.violations, []);
        const dev = await check([], "dev");
        assert.deepEqual([dev.mandatory.violations, dev.advisory.violations], [[], []]);
    });

    it("takes the required roles from the pack's config", async () => {
        const r = await runResource(
            "feature-flags-approved",
            { type: FEATURE_FLAGS_TYPE, name: "checkout", stack: "prod", props: await registered([]) },
            { config: { now: NOW, requiredRoles: { prod: ["product-owner"] } } },
        );
        assert.match(r.violations[0]?.message ?? "", /lack the approval of product-owner/);
    });
});
