/**
 * The gray-release policy pack through the real engine: `pulumi preview/up --policy-pack policies` on a throwaway
 * copy of the project (its own file backend, render-to-YAML Kubernetes provider), the pack served by our Node
 * language host through @pulumi/pulumi's run-policy-pack. Needs `source scripts/env.sh` (pulumi on PATH).
 *
 * The steps share one temp project and run in order: prod is first denied because staging has not promoted the
 * version, staging then promotes it (a real `up` with `controls.promote: true`), and prod is denied outside the
 * release window, and without a named SLO owner, but allowed inside the window with one. The window is pinned with
 * the release-window policy config `now`. The prod stack's own release window is switched off here
 * (`releaseWindow.enforce: false`): the program would otherwise hold outside the window, and these tests show the
 * pack as the binding backstop of a program that does not.
 */

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { createTempProject, readRendered, type TempProject } from "../support/engine";
import { mandatoryLines, mandatoryPolicies, previewWithPacks } from "../support/policy-run";

/** Wednesday 2026-11-25, 10:00 UTC: inside the default window (Mon–Fri 09:00–17:00 UTC). */
const INSIDE = "2026-11-25T10:00:00Z";
/** The same Wednesday, 20:50 UTC: outside it. */
const OUTSIDE = "2026-11-25T20:50:00Z";
/** A Saturday: outside any default window (dev and staging must still pass). */
const SATURDAY = "2026-11-28T11:00:00Z";

describe("real engine: the policy pack (pulumi preview/up --policy-pack policies)", function () {
    this.timeout(15 * 60 * 1000);
    let project: TempProject;
    let pack: string;
    const configFor = (now: string): string => {
        const file = path.join(project.dir, `policy-config-${now.replace(/[^0-9]/g, "")}.json`);
        fs.writeFileSync(file, JSON.stringify({ "release-window": { now } }, null, 2));
        return file;
    };

    before(async () => {
        project = createTempProject("gray-release-policy-");
        pack = path.join(project.dir, "policies");
        const prodConfig = path.join(project.dir, "stacks", "Pulumi.prod.yaml");
        const file = parse(fs.readFileSync(prodConfig, "utf8")) as { config: Record<string, Array<Record<string, Record<string, unknown>>>> };
        for (const svc of file.config["gray-release:services"] ?? [])
            svc["progression"] = { ...svc["progression"], releaseWindow: { enforce: false } };
        fs.writeFileSync(prodConfig, stringify(file));
        // The services stacks read their platform stack's outputs: bring the platforms up first.
        for (const env of ["dev", "staging", "prod"]) {
            const platform = await project.stack(`platform-${env}`);
            const up = await platform.up({ onOutput: () => undefined });
            assert.equal(up.summary.result, "succeeded");
        }
    });
    after(() => project?.dispose());

    const preview = (stack: Stack, now: string) => previewWithPacks(stack, [pack], [configFor(now)]);

    async function resourceTypes(stack: Stack): Promise<string[]> {
        const state = await stack.exportStack();
        const resources = (state.deployment as { resources?: Array<{ type: string }> } | undefined)?.resources ?? [];
        return resources.map((r) => r.type);
    }

    it("(a) dev and staging preview with the pack report no mandatory violation, even outside the window (weekday evening, Saturday)", async () => {
        for (const name of ["dev", "staging"]) {
            const stack = await project.stack(name);
            for (const now of [OUTSIDE, SATURDAY]) {
                const run = await preview(stack, now);
                assert.ok(run.ok, `${name} at ${now} failed:\n${run.text}`);
                assert.deepEqual(mandatoryLines(run.text), [], `${name} at ${now}`);
                assert.match(run.text, /gray-release@v0\.1\.0/, "the pack ran");
            }
        }
    });

    it("(c, negative) prod inside the window is denied by promotion-order while staging has not promoted the version", async () => {
        const run = await preview(await project.stack("prod"), INSIDE);
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["promotion-order"], run.text);
        assert.match(
            run.text,
            /canary 'checkout' version registry\.example\.com\/shop\/checkout:1\.5\.0@sha256:1{64} starts in prod, but the promotions of upstream stack 'staging' cannot be read/,
        );
        assert.match(run.text, /no stack named 'staging' found|does not have output property 'promotions'/);
    });

    it("staging promotes the canary (up with controls.promote: true) and exports it in `promotions`", async () => {
        const staging = await project.stack("staging");
        await staging.setConfig("gray-release:services[0].progression.controls.promote", { value: "true" }, true);
        const up = await staging.up({ policyPacks: [pack], policyPackConfigs: [configFor(OUTSIDE)], onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        const releases = up.outputs["releases"]?.value as Record<string, { action: string }>;
        assert.equal(releases["checkout"]?.action, "promote");
        const promotions = up.outputs["promotions"]?.value as Record<string, Array<{ image: string; at: string }>>;
        assert.deepEqual(
            promotions["checkout"]?.map((p) => p.image),
            [`registry.example.com/shop/checkout:1.5.0@sha256:${"1".repeat(64)}`],
        );
    });

    it("(b) prod outside the window is denied by release-window and changes nothing", async () => {
        const prod = await project.stack("prod");
        const run = await preview(prod, OUTSIDE);
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["release-window"], run.text);
        assert.match(
            run.text,
            /\[prod\] new canary registry\.example\.com\/shop\/checkout:1\.5\.0@sha256:1{64} of 'checkout' \(0% → 1%\) outside the release window: 20:50 UTC is outside the release window 09:00-17:00/,
        );
        assert.match(run.text, /field weight\. Fix: keep the weight at 0%/);
        assert.deepEqual(await resourceTypes(prod), [], "the preview wrote no state");
        assert.equal(fs.existsSync(project.renderedDir("prod")), false, "nothing rendered");

        // An `up` (the Automation API's up skips the preview) is stopped by the same violation before the canary
        // exists: the CanaryRelease registers first (no provider to wait for), so no routing or workload is applied.
        let out = "";
        await assert.rejects(prod.up({ policyPacks: [pack], policyPackConfigs: [configFor(OUTSIDE)], onOutput: (s) => (out += s) }), (e: Error) =>
            /release-window/.test(`${out}\n${e.message}`),
        );
        const types = await resourceTypes(prod);
        for (const t of types) {
            assert.ok(!t.startsWith("gray-release:") && !/^kubernetes:(?!.*providers)/.test(t), `created ${t} (${types.join(", ")})`);
        }
        const rendered = [...readRendered(project.renderedDir("prod")).keys()];
        assert.deepEqual(rendered, [], "no manifest rendered");
    });

    it("(d) prod without a named SLO owner is denied by release-owner-and-risk-assessment", async () => {
        const prod = await project.stack("prod");
        const key = "gray-release:services[0].release.owner";
        const owner = await prod.getConfig(key, true);
        const before = await prod.exportStack();
        await prod.removeConfig(key, true);
        try {
            const run = await preview(prod, INSIDE);
            assert.equal(run.ok, false, run.text);
            assert.deepEqual(mandatoryPolicies(run.text), ["release-owner-and-risk-assessment"], run.text);
            assert.match(
                run.text,
                /\[prod\] new canary registry\.example\.com\/shop\/checkout:1\.5\.0@sha256:1{64} of 'checkout' starts without a release SLO owner/,
            );
            assert.deepEqual((await prod.exportStack()).deployment, before.deployment, "the preview changed the state");
        } finally {
            await prod.setConfig(key, owner, true);
        }
    });

    it("(c) prod inside the window passes once staging has promoted the version", async () => {
        const run = await preview(await project.stack("prod"), INSIDE);
        assert.ok(run.ok, run.text);
        assert.deepEqual(mandatoryLines(run.text), []);
        assert.match(run.text, /checkout: started 0% → 1%/);
    });
});
