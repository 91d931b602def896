/**
 * Flag changes are bound by the gray-release policy pack through the real engine: `pulumi preview/up --policy-pack
 * policies` on a throwaway copy of the project (its own file backend, render-to-YAML Kubernetes provider), as
 * policy-pack-engine.test.ts does for image canaries, with the stacks' own image canary (checkout 1.5.0) alongside.
 *
 * In order, on one temp project:
 *  - staging promotes the image canary (`progression.controls.promote`), its flag `new-pricing` defined but not rolled
 *    out: staging's `promotions` lists the image and not the flag;
 *  1. prod's rollout of new-pricing=on revision 1 is denied by promotion-order (staging has not promoted that flag
 *     revision), the image canary is not; staging then runs the rollout to promotion (an `up` with the rollout's
 *     `controls.promote: true`) and exports `promotions["checkout/flag/new-pricing"]`;
 *  2. prod outside the release window: the rollout's start is denied by release-window;
 *  1. prod inside the window passes: an `up` with no mandatory violation, with the approvals feature-flags-approved
 *     requires in prod; the flag file gives 1 % of users the variant;
 *  3. prod, a share of users written by hand (`targeting.fraction`, no rollout): denied by
 *     feature-flag-share-has-release-record, and neither the state nor any rendered manifest changes;
 *  4. dev, the same hand-written share: only the advisory twin reports it;
 *  and a prod stack whose image is at rest (nothing but the flag rolls out): its first step must pass as well.
 *
 * The pack's clock is pinned with the policy config `now` of release-window and of feature-flags-approved (that rule
 * reads its own `now`, not release-window's; without it, the approvals' age is measured from the machine's clock).
 * The prod stacks' own release window is switched off (`releaseWindow.enforce: false`) so the program does not hold
 * outside the window: the pack is the backstop here.
 */

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { createTempProject, readRendered, type TempProject } from "../support/engine";
import { advisoryPolicies, mandatoryLines, mandatoryPolicies, previewWithPacks, violationMessages } from "../support/policy-run";
import { configMapEntry } from "../support/rendered";

/** Wednesday 2026-11-25, 10:00 UTC: inside the default window (Mon–Fri 09:00–17:00 UTC). */
const INSIDE = "2026-11-25T10:00:00Z";
/** The same Wednesday, 20:50 UTC: outside it. */
const OUTSIDE = "2026-11-25T20:50:00Z";
/** Five days before: recent at both instants (feature-flags-approved: at most 30 days old, not in the future). */
const APPROVED_AT = "2026-11-20T09:00:00Z";

const SERVICE = "checkout";
const FLAG = "new-pricing";
const RELEASE = `${SERVICE}/flag/${FLAG}`;
const IDENTITY = "flag:new-pricing=on@1";
const IMAGE = `registry.example.com/shop/checkout:1.5.0@sha256:${"1".repeat(64)}`;
/** A prod stack (environment from its name and config) where only the flag rolls out. */
const FLAG_ONLY_PROD = "prod-flagonly";

type ServiceYaml = Record<string, unknown> & { progression?: Record<string, unknown> };

/** The flag as written in the stack config: staff get "on"; everyone else per the rollout (or a hand-written share). */
function flagDefinition(fraction?: { variant: string; percent: number }): Record<string, unknown> {
    return {
        key: FLAG,
        description: "Prices computed by the new pricing engine",
        variants: { on: true, off: false },
        defaultVariant: "off",
        targeting: {
            allowlist: { values: ["staff-001", "staff-002"], variant: "on" },
            ...(fraction !== undefined ? { fraction } : {}),
        },
    };
}

/** QA (staging), SRE and the change board (prod): what feature-flags-approved requires by default. */
const APPROVALS = [
    { role: "qa", by: "qa-team", at: APPROVED_AT },
    { role: "sre", by: "sre-oncall", at: APPROVED_AT },
    { role: "change-board", by: "cab-2026-47", at: APPROVED_AT },
];

type FlagsMode = { rollout: Record<string, unknown> } | { handShare: number } | "defined";

/** `featureFlags` of the service: the flag only, its rollout (revision 1), or a hand-written share and no rollout. */
function featureFlags(mode: FlagsMode): Record<string, unknown> {
    if (mode === "defined") return { flags: [flagDefinition()], approvals: APPROVALS };
    if ("rollout" in mode)
        return { flags: [flagDefinition()], approvals: APPROVALS, rollouts: [{ flag: FLAG, variant: "on", revision: "1", ...mode.rollout }] };
    return { flags: [flagDefinition({ variant: "on", percent: mode.handShare })], approvals: APPROVALS };
}

describe("real engine: the policy pack binds flag changes (pulumi preview/up --policy-pack policies)", function () {
    this.timeout(10 * 60 * 1000);
    let project: TempProject;
    let pack: string;
    const observed: string[] = [];

    const configFor = (now: string): string => {
        const file = path.join(project.dir, `policy-config-flags-${now.replace(/[^0-9]/g, "")}.json`);
        fs.writeFileSync(file, JSON.stringify({ "release-window": { now }, "feature-flags-approved": { now } }, null, 2));
        return file;
    };
    const packs = (now: string) => ({ policyPacks: [pack], policyPackConfigs: [configFor(now)] });
    const preview = (stack: Stack, now: string) => previewWithPacks(stack, [pack], [configFor(now)]);
    /** Keeps the violation messages for the log (printed after the run). */
    const note = (label: string, text: string) => {
        for (const m of violationMessages(text)) observed.push(`${label}: ${m}`);
    };
    /** `up` with the pack; the engine's output is returned too (a refusal throws). */
    async function upWithPack(stack: Stack, now: string) {
        let text = "";
        const result = await stack.up({ ...packs(now), onOutput: (s) => (text += s) });
        return { result, text };
    }

    /** Rewrites services[0] of a stack's config file, from `from`'s file (YAML 1.1 output quotes "on" and "off"). */
    function editService(stack: string, edit: (svc: ServiceYaml) => void, from = stack): void {
        const doc = parse(fs.readFileSync(path.join(project.dir, "stacks", `Pulumi.${from}.yaml`), "utf8")) as {
            config: Record<string, ServiceYaml[]>;
        };
        const svc = doc.config["gray-release:services"]?.[0];
        assert.ok(svc, `${from} has a service`);
        edit(svc);
        fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${stack}.yaml`), stringify(doc, { version: "1.1" }));
    }
    const setFlags = (stack: string, mode: FlagsMode) =>
        editService(stack, (svc) => {
            svc["featureFlags"] = featureFlags(mode);
        });

    before(async () => {
        project = createTempProject("gray-release-policy-flags-");
        pack = path.join(project.dir, "policies");
        editService("staging", (svc) => {
            svc["progression"] = { ...svc["progression"], controls: { promote: true } };
            svc["featureFlags"] = featureFlags("defined");
        });
        editService("prod", (svc) => {
            svc["progression"] = { ...svc["progression"], releaseWindow: { enforce: false } };
            svc["featureFlags"] = featureFlags({ rollout: {} });
        });
        setFlags("dev", { handShare: 10 });
        // The services stacks read their platform stack's outputs: bring the platforms up first.
        for (const env of ["dev", "staging", "prod"]) {
            const platform = await project.stack(`platform-${env}`);
            const up = await platform.up({ onOutput: () => undefined });
            assert.equal(up.summary.result, "succeeded");
        }
    });
    after(() => {
        project?.dispose();
        if (observed.length > 0) console.log(`      violations observed:\n${observed.map((l) => `        ${l}`).join("\n")}`);
    });

    it("staging promotes the image canary, the flag defined but not rolled out: `promotions` lists the image only", async () => {
        const { result, text } = await upWithPack(await project.stack("staging"), OUTSIDE);
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(mandatoryLines(text), [], text);
        const promotions = result.outputs["promotions"]?.value as Record<string, Array<{ image: string }>>;
        assert.deepEqual(
            promotions[SERVICE]?.map((p) => p.image),
            [IMAGE],
        );
        assert.equal(promotions[RELEASE], undefined);
    });

    it("(1, negative) prod's flag rollout is denied by promotion-order while staging has not promoted the flag revision", async () => {
        const run = await preview(await project.stack("prod"), INSIDE);
        note("1 before staging", run.text);
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["promotion-order"], run.text);
        assert.match(
            run.text,
            /\[prod\] flag rollout new-pricing=on of 'checkout' \(flag:new-pricing=on@1\) starts \(0% → 1% of users\) in prod but upstream stack 'staging' \(staging\) has not promoted it \(its promotions of 'checkout\/flag\/new-pricing': none\)/,
        );
        assert.match(run.text, /Fix: run it in staging first: roll out flag new-pricing variant 'on' with revision 1/);
        assert.doesNotMatch(run.text, /canary 'checkout' version \S+ starts in prod/, "the image canary, promoted in staging, is not refused");
    });

    it("(1) staging runs the flag rollout to promotion (up with the rollout's controls.promote: true) and exports it in `promotions`", async () => {
        setFlags("staging", { rollout: { controls: { promote: true } } });
        const { result, text } = await upWithPack(await project.stack("staging"), OUTSIDE);
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(mandatoryLines(text), [], text);
        const releases = result.outputs["releases"]?.value as Record<string, { action: string; status: string }>;
        assert.equal(releases[RELEASE]?.action, "promote");
        assert.equal(releases[RELEASE]?.status, "promoted");
        const promotions = result.outputs["promotions"]?.value as Record<string, Array<{ image: string }>>;
        assert.deepEqual(
            promotions[RELEASE]?.map((p) => p.image),
            [IDENTITY],
        );
        assert.deepEqual(
            promotions[SERVICE]?.map((p) => p.image),
            [IMAGE],
            "the image's promotions are kept apart",
        );
    });

    it("(2) prod outside the release window: the flag rollout's start is denied by release-window, nothing rendered", async () => {
        const run = await preview(await project.stack("prod"), OUTSIDE);
        note("2 outside window", run.text);
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["release-window"], run.text);
        assert.match(
            run.text,
            /\[prod\] new flag rollout new-pricing=on of 'checkout' \(0% → 1% of users\) outside the release window: 20:50 UTC is outside the release window 09:00-17:00 \(now 2026-11-25T20:50:00\.000Z\)\. Where: resource checkout\/flag\/new-pricing \(urn:pulumi:prod::gray-release::gray-release:index:CanaryRelease::checkout\/flag\/new-pricing\), field weight\. Fix: keep the share at 0%/,
        );
        assert.equal(fs.existsSync(project.renderedDir("prod")), false, "nothing rendered");
    });

    it("(1) prod inside the window passes once staging promoted the flag revision: an up with no mandatory violation", async () => {
        const { result, text } = await upWithPack(await project.stack("prod"), INSIDE);
        assert.equal(result.summary.result, "succeeded", text);
        assert.deepEqual(mandatoryLines(text), [], text);
        const releases = result.outputs["releases"]?.value as Record<string, { action: string; weight: number; canaryImage: string }>;
        assert.equal(releases[RELEASE]?.action, "start");
        assert.equal(releases[RELEASE]?.weight, 1);
        assert.equal(releases[RELEASE]?.canaryImage, IDENTITY);
        const file = JSON.parse(configMapEntry(project.renderedDir("prod"), "prod-gray", "feature-flags", "flags.flagd.json")) as {
            flags: Record<string, { targeting?: unknown }>;
        };
        assert.match(JSON.stringify(file.flags[FLAG]?.targeting), /\["on",100\],\["off",9900\]/, "1 % of users get 'on'");
    });

    it("(3) prod, a share written by hand (no rollout) is denied by feature-flag-share-has-release-record; nothing rendered changes", async () => {
        const prod = await project.stack("prod");
        const stateBefore = (await prod.exportStack()).deployment;
        const renderedBefore = readRendered(project.renderedDir("prod"));
        assert.ok(renderedBefore.size > 0, "the earlier up rendered prod");
        setFlags("prod", { handShare: 10 });
        const run = await preview(prod, INSIDE);
        note("3 hand share prod", run.text);
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["feature-flag-share-has-release-record"], run.text);
        assert.match(
            run.text,
            /\[prod\] flag 'new-pricing' of FeatureFlags checkout \(namespace prod-gray\): variant 'on' gets a fixed 10% of users \(flags\.new-pricing\.targeting\S*\) with no flag rollout of that variant recorded in the stack/,
        );
        assert.match(run.text, /Fix: remove the fixed share \(targeting\.fraction\) and roll the variant out with featureFlags\.rollouts/);
        assert.deepEqual((await prod.exportStack()).deployment, stateBefore, "the preview changed the state");
        assert.deepEqual(readRendered(project.renderedDir("prod")), renderedBefore, "the preview changed a rendered manifest");
    });

    it("(4, negative control) dev, the same hand-written share is only advisory", async () => {
        const run = await preview(await project.stack("dev"), INSIDE);
        note("4 hand share dev", run.text);
        assert.ok(run.ok, run.text);
        assert.deepEqual(mandatoryLines(run.text), [], run.text);
        assert.ok(advisoryPolicies(run.text).includes("feature-flag-share-has-release-record-advisory"), run.text);
        assert.match(run.text, /\[dev\] flag 'new-pricing' of FeatureFlags checkout \(namespace dev-gray\): variant 'on' gets a fixed 10% of users/);
    });

    // Fails on fa0da2b: with the image at rest, SloRules' canary section (the only source of a canary alert) is
    // disabled (stacks/canary-service.ts sloCanaryArgs: stable and canary labels equal), and nothing renders one for
    // the flag rollout, so canary-requires-slo-rules refuses every step of it in prod (and staging).
    it("prod, the image at rest: a staging-promoted flag rollout starts inside the window with no mandatory violation", async () => {
        editService(
            FLAG_ONLY_PROD,
            (svc) => {
                svc["canaryImage"] = svc["stableImage"];
                svc["progression"] = { ...svc["progression"], releaseWindow: { enforce: false } };
                svc["featureFlags"] = featureFlags({ rollout: {} });
            },
            "prod",
        );
        const run = await preview(await project.stack(FLAG_ONLY_PROD), INSIDE);
        note("flag only prod", run.text);
        assert.match(run.text, /checkout\/flag\/new-pricing: started 0% → 1%/);
        assert.deepEqual(mandatoryLines(run.text), [], run.text);
        assert.ok(run.ok, run.text);
    });
});
