/**
 * A Pulumi program of a user's own, composing the components by hand, through the real engine with the policy pack
 * (`pulumi preview/up --policy-pack policies`), in a stack named prod:
 *
 *  - a canary routed at 5 % with no CanaryRelease record is refused by `canary-routing-has-release-record` (before
 *    that rule the pack passed it: none of its gates saw the step);
 *  - the same program deciding the step with `decideCanaryStep` passes, exports its state with `releaseOutputs`,
 *    and the next update reads that state back through the call's own StackReference to the stack.
 *
 * Needs `source scripts/env.sh` (pulumi on PATH). The program imports the repository's sources (the packed-tarball
 * consumer is test/integration/package-pack.test.ts's concern).
 */

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createTempProject, REPO_ROOT, type TempProject } from "../support/engine";
import { mandatoryLines, mandatoryPolicies, previewWithPacks } from "../support/policy-run";

/** Wednesday 2026-11-25, 10:00 UTC: inside the default release window, for the pack and the program alike. */
const INSIDE = "2026-11-25T10:00:00Z";

const PROGRAM = `
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CanaryRouting, CanaryWorkload, SloRules } from "../components";
import { decideCanaryStep, releaseOutputs, type StepInputs } from "../stacks/canary-step";

const config = new pulumi.Config();
const service = "checkout";
const namespace = "shop-gray";
const stableImage = "registry.example.com/shop/checkout:1.4.0@sha256:${"4".repeat(64)}";
const canaryImage = "registry.example.com/shop/checkout:1.5.0@sha256:${"1".repeat(64)}";

export = (async () => {
    const provider = new k8s.Provider("render", { renderYamlToDirectory: path.resolve(__dirname, "..", "rendered", pulumi.getStack()) });
    const opts = { providers: { kubernetes: provider } };
    // Composed by hand: the weights a user would pick, and no record.
    let routing: StepInputs["routing"] = { canaryWeight: 5, canaryAvailable: true };
    let workload: StepInputs["workload"] = { stableImage, canaryImage, stableVersionLabel: "1.4.0", canaryVersionLabel: "1.5.0", canaryWeight: 5 };
    let after: pulumi.Resource[] = [];
    let outputs: Record<string, unknown> = {};
    if (config.require("mode") === "step") {
        const step = await decideCanaryStep("checkout", {
            namespace,
            progression: {
                service,
                environment: "prod",
                stableImage,
                canaryImage,
                analysis: { prometheusUrl: "http://127.0.0.1:9" },
                releaseWindow: { now: "${INSIDE}" },
                controls: { pause: config.getBoolean("pause") ?? false },
            },
            release: { owner: "team-checkout", riskAssessment: "https://wiki.example.com/checkout/1.5.0" },
        });
        routing = step.routing;
        workload = step.workload;
        after = [step.record];
        outputs = { ...releaseOutputs([step]) };
    }
    const pods = new CanaryWorkload(service, { service, namespace, ...workload }, { ...opts, dependsOn: after });
    new CanaryRouting(service, { service, namespace, ...routing }, { ...opts, dependsOn: [...after, pods] });
    new SloRules(
        service,
        {
            service,
            namespace,
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [{ name: "availability", objective: 99.95 }],
            canary: { stableVersionLabel: "1.4.0", canaryVersionLabel: "1.5.0" },
        },
        { ...opts, dependsOn: after },
    );
    return outputs;
})();
`;

describe("real engine: a user's own program, the policy pack and decideCanaryStep", function () {
    this.timeout(15 * 60 * 1000);
    let project: TempProject;
    let pack: string;
    let policyConfig: string;
    let prod: Stack;

    before(async () => {
        project = createTempProject("gray-release-step-");
        pack = path.join(project.dir, "policies");
        const user = path.join(project.dir, "user");
        fs.mkdirSync(user);
        fs.writeFileSync(path.join(user, "index.ts"), PROGRAM);
        // The repository's esbuild loader, for this program's folder.
        fs.copyFileSync(path.join(REPO_ROOT, "stacks", "entry.js"), path.join(user, "entry.js"));
        const pulumiYaml = path.join(project.dir, "Pulumi.yaml");
        fs.writeFileSync(
            pulumiYaml,
            fs
                .readFileSync(pulumiYaml, "utf8")
                .replace("main: stacks/entry.js", "main: user/entry.js")
                .replace("stackConfigDir: stacks", "stackConfigDir: user"),
        );
        // The gates this program is not about: no upstream stack to have promoted the image, no collector stack.
        policyConfig = path.join(project.dir, "policy-config.json");
        fs.writeFileSync(
            policyConfig,
            JSON.stringify({
                "release-window": { now: INSIDE },
                "promotion-order": { upstreamStacks: {} },
                "canary-namespace-otel-coverage": { enforcementLevel: "disabled" },
            }),
        );
        prod = await project.stack("prod");
    });
    after(() => project?.dispose());

    const preview = () => previewWithPacks(prod, [pack], [policyConfig]);

    it("refuses in prod a canary at 5 % composed by hand with no CanaryRelease record, naming the service and the call", async () => {
        await prod.setConfig("gray-release:mode", { value: "bare" });
        const run = await preview();
        assert.equal(run.ok, false, run.text);
        assert.deepEqual(mandatoryPolicies(run.text), ["canary-routing-has-release-record"], run.text);
        assert.match(
            run.text,
            /\[prod\] canary traffic of service 'checkout' \(namespace shop-gray\) is routed \(CanaryRouting checkout sends 5% to subset 'canary'/,
        );
        assert.match(run.text, /decideCanaryStep\("checkout"/);
    });

    it("passes the same program once decideCanaryStep decides and records the step", async () => {
        await prod.setConfig("gray-release:mode", { value: "step" });
        const run = await preview();
        assert.ok(run.ok, run.text);
        assert.deepEqual(mandatoryLines(run.text), [], run.text);
        assert.match(run.text, /checkout: started 0% → 5%/);
        assert.match(run.text, /gray-release@v0\.1\.0/, "the pack ran");
    });

    it("exports the state with releaseOutputs, and the next update continues from it (read back through the stack itself)", async () => {
        const up = await prod.up({ policyPacks: [pack], policyPackConfigs: [policyConfig], onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        const states = up.outputs["releaseStates"]?.value as Record<string, { weight: number; status: string }>;
        assert.equal(states["checkout"]?.weight, 5);
        const types = ((await prod.exportStack()).deployment as { resources: Array<{ type: string }> }).resources.map((r) => r.type);
        assert.ok(types.includes("gray-release:index:CanaryRelease"), types.join(", "));

        await prod.setConfig("gray-release:pause", { value: "true" });
        const next = await prod.up({ policyPacks: [pack], policyPackConfigs: [policyConfig], onOutput: () => undefined });
        const releases = next.outputs["releases"]?.value as Record<string, { action: string; previousWeight: number; weight: number }>;
        assert.deepEqual(
            { action: releases["checkout"]?.action, previousWeight: releases["checkout"]?.previousWeight, weight: releases["checkout"]?.weight },
            { action: "pause", previousWeight: 5, weight: 5 },
        );
    });
});
