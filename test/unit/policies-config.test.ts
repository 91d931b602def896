import { strict as assert } from "node:assert";
import { allPolicies, allRules } from "../../policies/all";
import { COMMON_DEFAULTS, levelOfEnvironment, normalizeEnvironment, resetMirroredConfig, resolveEnvironment, violation } from "../../policies/config";
import { startedByPolicyEngine } from "../../policies/index";
import { release, resourceArgs, runBothResource, runResource } from "../support/policy-harness";

const KNOWN = ["dev", "staging", "prod"];

describe("policies: config and per-environment enforcement", () => {
    it("registers every rule as a mandatory primary and an advisory twin with unique names", () => {
        assert.equal(allPolicies.length, allRules.length * 2);
        assert.equal(new Set(allPolicies.map((p) => p.name)).size, allPolicies.length);
        for (const rule of allRules) {
            const primary = allPolicies.find((p) => p.name === rule.name)!;
            const twin = allPolicies.find((p) => p.name === `${rule.name}-advisory`)!;
            assert.equal(primary.enforcementLevel, "mandatory");
            assert.equal(twin.enforcementLevel, "advisory");
            assert.ok(!("enforcementLevel" in (primary.configSchema?.properties ?? {})), "enforcementLevel is reserved");
        }
    });

    it("does not serve the pack on a plain require", () => {
        assert.equal(startedByPolicyEngine(["/usr/bin/node"], {}), false);
        assert.equal(startedByPolicyEngine(["/usr/bin/node", "/x/node_modules/@pulumi/pulumi/cmd/run-policy-pack"], {}), true);
        assert.equal(startedByPolicyEngine(["/usr/bin/node"], { GRAY_RELEASE_POLICY_SERVE: "1" }), true);
        assert.equal(startedByPolicyEngine(["/usr/bin/node", "/x/run-policy-pack"], { GRAY_RELEASE_POLICY_SERVE: "0" }), false);
    });

    it("normalizes stack names onto environments", () => {
        assert.equal(normalizeEnvironment("prod", KNOWN), "prod");
        assert.equal(normalizeEnvironment("production", KNOWN), "prod");
        assert.equal(normalizeEnvironment("payments-prod", KNOWN), "prod");
        assert.equal(normalizeEnvironment("acme/stg", KNOWN), "staging");
        assert.equal(normalizeEnvironment("alice-dev", KNOWN), "dev");
        assert.equal(normalizeEnvironment("feature-x", KNOWN), undefined);
    });

    it("resolves the environment: config > stack tag > hint > URN > default", () => {
        const urn = "urn:pulumi:alice-dev::gray-release::kubernetes:apps/v1:Deployment::x";
        const tags = new Map([["gray-release:environment", "staging"]]);
        assert.equal(resolveEnvironment({ ...COMMON_DEFAULTS, environment: "prod" }, { urn, stackTags: tags, hint: "dev" }), "prod");
        assert.equal(resolveEnvironment(COMMON_DEFAULTS, { urn, stackTags: tags, hint: "dev" }), "staging");
        assert.equal(resolveEnvironment(COMMON_DEFAULTS, { urn, hint: "production" }), "prod");
        assert.equal(resolveEnvironment(COMMON_DEFAULTS, { urn }), "dev");
        assert.equal(resolveEnvironment(COMMON_DEFAULTS, { urn: "urn:pulumi:feature-x::p::t::n" }), "prod");
        assert.equal(levelOfEnvironment(COMMON_DEFAULTS, "dev"), "advisory");
        assert.equal(levelOfEnvironment(COMMON_DEFAULTS, "qa"), "mandatory");
    });

    it("routes violations by environment level, configurable per policy", async () => {
        const failing = release({ verdict: "fail" }, "staging");
        const byDefault = await runBothResource("canary-weight-rise-requires-pass", failing);
        assert.equal(byDefault.mandatory.violations.length, 1);
        assert.equal(byDefault.advisory.violations.length, 0);
        const relaxed = await runBothResource("canary-weight-rise-requires-pass", failing, { config: { environments: { staging: "advisory" } } });
        assert.equal(relaxed.mandatory.violations.length, 0);
        assert.equal(relaxed.advisory.violations.length, 1);
        const off = await runBothResource("canary-weight-rise-requires-pass", failing, { config: { environments: { staging: "disabled" } } });
        assert.equal(off.mandatory.violations.length + off.advisory.violations.length, 0);
    });

    it("the advisory twin uses its primary's config when the primary ran first (engine order)", async () => {
        const policies = allPolicies.filter((p) => p.name.startsWith("canary-weight-step-limit"));
        const spec = release({ previousWeight: 5, weight: 10, steps: [] }, "dev");
        const seen: string[] = [];
        resetMirroredConfig();
        for (const p of policies) {
            const own = p.name.endsWith("-advisory") ? {} : { steps: [1, 5, 10, 20] };
            const args = resourceArgs(spec, { config: own });
            await (p as any).validateResource(args, (m: string) => seen.push(`${p.name}: ${m}`));
        }
        assert.equal(seen.length, 0, seen.join("\n"));
        resetMirroredConfig();
        const jump = release({ previousWeight: 5, weight: 20, steps: [] }, "dev");
        for (const p of policies) {
            const own = p.name.endsWith("-advisory") ? {} : { steps: [1, 5, 10, 20] };
            await (p as any).validateResource(resourceArgs(jump, { config: own }), (m: string) => seen.push(`${p.name}: ${m}`));
        }
        assert.equal(seen.length, 1);
        assert.match(seen[0]!, /^canary-weight-step-limit-advisory: \[dev\] .*ladder \[1, 5, 10, 20\]/);
    });

    it("publishes each rule's own per-environment defaults as the schema default (the engine fills schema defaults in)", () => {
        const envDefault = (name: string) =>
            (allPolicies.find((p) => p.name === name)!.configSchema!.properties!["environments"] as { default: unknown }).default;
        assert.deepEqual(envDefault("release-window"), { ...COMMON_DEFAULTS.environments, staging: "advisory" });
        assert.deepEqual(envDefault("release-window-advisory"), { ...COMMON_DEFAULTS.environments, staging: "advisory" });
        assert.deepEqual(envDefault("canary-weight-rise-requires-pass"), COMMON_DEFAULTS.environments);
        const schema = (name: string) => allPolicies.find((p) => p.name === name)!.configSchema!.properties!;
        assert.deepEqual((schema("promotion-order")["upstreamStacks"] as { default: unknown }).default, { prod: "staging" });
        assert.ok(!("promotionLedger" in schema("promotion-order")), "the ledger is gone");
        assert.equal((schema("canary-weight-rise-requires-pass")["maxFirstStep"] as { default: unknown }).default, 5);
    });

    it("formats messages as what / where / fix", () => {
        const m = violation({ problem: "bad", resource: { name: "n", urn: "urn:x" }, field: "spec.a", fix: "do b" });
        assert.equal(m, "bad. Where: resource n (urn:x), field spec.a. Fix: do b");
    });

    it("keeps an explicit unknown environment (level '*') and falls back to prod when nothing resolves", async () => {
        const failing = release({ verdict: "fail", weight: 5, previousWeight: 5, environment: "feature-x" }, "feature-x");
        const r = await runBothResource("canary-failed-verdict-rollback", failing);
        assert.equal(r.advisory.violations.length, 0);
        assert.match(r.mandatory.violations[0]!.message, /^\[feature-x\]/);
        const tagged = await runBothResource("canary-failed-verdict-rollback", failing, { stackTags: { "gray-release:environment": "dev" } });
        assert.equal(tagged.mandatory.violations.length, 0);
        assert.match(tagged.advisory.violations[0]!.message, /^\[dev\]/);
        const deployment = {
            type: "kubernetes:apps/v1:Deployment",
            name: "x",
            stack: "feature-x",
            props: { spec: { template: { spec: { containers: [{ name: "a", image: "a:1" }] } } } },
        };
        const byUrn = await runResource("images-pinned", deployment);
        assert.match(byUrn.violations[0]!.message, /^\[prod\] .*digest is required/);
    });
});
