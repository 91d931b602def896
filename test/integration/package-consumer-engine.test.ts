/**
 * What a platform team did with the package (issue #16), end to end: a Pulumi project of its own with gray-release
 * installed from the packed tarball, through the real engine.
 *
 *  - the program is TypeScript compiled by `tsc` with Pulumi's template tsconfig.json (`module: commonjs`,
 *    `moduleResolution: node`, strict, no esModuleInterop, no skipLibCheck) and run from bin/index.js by the
 *    toolchain's Node language host;
 *  - it composes the components with outputs passed between them: GrayNamespace.namespaceName into CanaryWorkload
 *    and SloRules, CanaryWorkload's serviceName/namespace/host into CanaryRouting;
 *  - its Kubernetes provider renders YAML (`renderYamlToDirectory`) into rendered/<stack> of the consumer project;
 *  - its own policy pack (PulumiPolicy.yaml + index.js: `new PolicyPack("shop-policies", { policies: allPolicies })`
 *    from "gray-release/policies") applies to a prod stack: a canary at 5 % composed without a CanaryRelease record
 *    is refused by the mandatory `canary-routing-has-release-record`, the same program with `decideCanaryStep`
 *    passes, and its update renders manifests holding the names the outputs resolved to.
 *
 * Needs `source scripts/env.sh` (pulumi and its Node language host on PATH). Packing and the consumer project come
 * from test/support/package-consumer.ts (shared with package-pack.test.ts, one `npm pack` per test process).
 */

import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { engineEnv, readRendered, requireToolchain } from "../support/engine";
import { createConsumer, packPackage, pulumiTemplateTsconfig, tsc, tscErrors } from "../support/package-consumer";
import { mandatoryLines, mandatoryPolicies, previewWithPacks } from "../support/policy-run";

/** Wednesday 2026-11-25, 10:00 UTC: inside the default release window, for the pack and the program alike. */
const INSIDE = "2026-11-25T10:00:00Z";
const NAMESPACE = "shop-gray";

const PROGRAM = `
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CanaryRouting, CanaryWorkload, GrayNamespace, SloRules } from "gray-release";
import { type CanaryStep, decideCanaryStep, releaseOutputs } from "gray-release/canary-step";

const config = new pulumi.Config();
const service = "checkout";
const stableImage = "registry.example.com/shop/checkout:1.4.0@sha256:${"4".repeat(64)}";
const canaryImage = "registry.example.com/shop/checkout:1.5.0@sha256:${"1".repeat(64)}";

type Inputs = Pick<CanaryStep, "routing" | "workload" | "sloCanary">;

export = (async () => {
    // Rendered into this project's own folder, not next to any package.
    const provider = new k8s.Provider("render", { renderYamlToDirectory: path.join(__dirname, "..", "rendered", pulumi.getStack()) });
    const opts = { providers: { kubernetes: provider } };
    const gray = new GrayNamespace("shop", { name: "${NAMESPACE}", environment: "prod" }, opts);

    // "bare": the weights a user would pick by hand, and no record. "step": decided and recorded by decideCanaryStep.
    let inputs: Inputs = {
        routing: { canaryWeight: 5, canaryAvailable: true },
        workload: { stableImage, canaryImage, stableVersionLabel: "1.4.0", canaryVersionLabel: "1.5.0", canaryWeight: 5 },
        sloCanary: { stableImage, canaryImage },
    };
    let after: pulumi.Resource[] = [];
    let outputs: Record<string, unknown> = {};
    if (config.require("mode") === "step") {
        const step = await decideCanaryStep(
            service,
            {
                namespace: "${NAMESPACE}",
                progression: {
                    service,
                    environment: "prod",
                    stableImage,
                    canaryImage,
                    analysis: { prometheusUrl: "http://127.0.0.1:9" },
                    releaseWindow: { now: "${INSIDE}" },
                },
                release: { owner: "team-checkout", riskAssessment: "https://wiki.example.com/checkout/1.5.0" },
            },
            opts,
        );
        inputs = step;
        after = [step.record];
        outputs = { ...releaseOutputs([step]) };
    }

    // Outputs passed on: the namespace GrayNamespace created, then the Service CanaryWorkload created.
    const pods = new CanaryWorkload(service, { service, ...inputs.workload, namespace: gray.namespaceName }, { ...opts, dependsOn: after });
    const routes = new CanaryRouting(
        service,
        { service: pods.serviceName, namespace: pods.namespace, host: pods.host, ...inputs.routing },
        { ...opts, dependsOn: [...after, pods] },
    );
    const slo = new SloRules(
        service,
        {
            service,
            namespace: gray.namespaceName,
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [{ name: "availability", objective: 99.95 }],
            canary: inputs.sloCanary,
        },
        { ...opts, dependsOn: after },
    );
    return {
        ...outputs,
        namespace: gray.namespaceName,
        host: routes.host,
        virtualService: routes.virtualServiceName,
        prometheusRule: slo.prometheusRuleName,
    };
})();
`;

const PULUMI_YAML = `name: shop
description: A platform team's canary program, with gray-release from npm
runtime:
  name: nodejs
  options:
    # Compiled by tsc (the template's tsconfig.json) before the engine runs: no ts-node at run time.
    typescript: false
main: bin/index.js
`;

/** The consumer's own policy pack: the package's policies, served by the consumer's PolicyPack. */
const POLICY_PACK_JS = `const { PolicyPack } = require("@pulumi/policy");
const { allPolicies } = require("gray-release/policies");

new PolicyPack("shop-policies", { policies: allPolicies });
`;

/** Every folder named `name` under `dir` (following no symlinks). */
function foldersNamed(dir: string, name: string): string[] {
    const found: string[] = [];
    const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            if (!e.isDirectory()) continue;
            const p = path.join(d, e.name);
            if (e.name === name) found.push(p);
            walk(p);
        }
    };
    walk(dir);
    return found;
}

describe("a consumer's own program from the packed tarball, through the real engine with its own policy pack", function () {
    this.timeout(10 * 60 * 1000);
    let tmp: string;
    let consumer: string;
    let pack: string;
    let policyConfig: string;
    let prod: Stack;

    before(async () => {
        requireToolchain();
        const { tarball } = packPackage();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-consumer-engine-"));
        consumer = path.join(tmp, "shop");
        createConsumer(consumer, tarball, {
            dependencies: { "@pulumi/kubernetes": "^4.0.0", "@pulumi/pulumi": "^3.0.0", "@pulumi/policy": "^1.0.0" },
        });
        fs.writeFileSync(path.join(consumer, "Pulumi.yaml"), PULUMI_YAML);
        fs.writeFileSync(path.join(consumer, "index.ts"), PROGRAM);
        fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(pulumiTemplateTsconfig("commonjs-node", ["index.ts"]), null, 4));
        const compiled = tsc(consumer);
        assert.equal(compiled.status, 0, `tsc failed:\n${tscErrors(compiled.output).join("\n")}\n${compiled.output.slice(0, 4000)}`);
        assert.ok(fs.existsSync(path.join(consumer, "bin", "index.js")), "tsc wrote bin/index.js");

        pack = path.join(consumer, "policy");
        fs.mkdirSync(pack);
        fs.writeFileSync(path.join(pack, "PulumiPolicy.yaml"), "runtime: nodejs\ndescription: the shop team's policies, from gray-release\n");
        fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name: "shop-policies", version: "0.0.1", main: "index.js" }, null, 4));
        fs.writeFileSync(path.join(pack, "index.js"), POLICY_PACK_JS);
        // The gates this program is not about (as canary-step-engine.test.ts): no upstream stack to have promoted
        // the image, no collector stack.
        policyConfig = path.join(consumer, "policy-config.json");
        fs.writeFileSync(
            policyConfig,
            JSON.stringify({
                "release-window": { now: INSIDE },
                "promotion-order": { upstreamStacks: {} },
                "canary-namespace-otel-coverage": { enforcementLevel: "disabled" },
            }),
        );
        prod = await LocalWorkspace.createOrSelectStack(
            { stackName: "prod", workDir: consumer },
            { envVars: engineEnv(path.join(tmp, ".pulumi-state")) },
        );
    });
    after(() => {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const preview = () => previewWithPacks(prod, [pack], [policyConfig]);

    it("refuses in prod a canary at 5 % composed without a CanaryRelease record", async () => {
        await prod.setConfig("shop:mode", { value: "bare" });
        const run = await preview();
        assert.equal(run.ok, false, run.text);
        assert.match(run.text, /shop-policies@v0\.0\.1/, `the consumer's own pack ran:\n${run.text}`);
        assert.deepEqual(mandatoryPolicies(run.text), ["canary-routing-has-release-record"], run.text);
        assert.match(run.text, /canary traffic of service 'checkout' \(namespace shop-gray\) is routed/, run.text);
        assert.match(run.text, /decideCanaryStep\("checkout"/, run.text);
    });

    it("passes with decideCanaryStep, and renders into the project's folder with the names the outputs resolved to", async () => {
        await prod.setConfig("shop:mode", { value: "step" });
        let text = "";
        const up = await prod.up({ policyPacks: [pack], policyPackConfigs: [policyConfig], onOutput: (s) => (text += s) });
        assert.equal(up.summary.result, "succeeded", text);
        assert.deepEqual(mandatoryLines(text), [], text);
        assert.match(text, /shop-policies@v0\.0\.1/, `the consumer's own pack ran:\n${text}`);
        assert.equal(up.outputs["namespace"]?.value, NAMESPACE);
        assert.equal(up.outputs["host"]?.value, `checkout.${NAMESPACE}.svc.cluster.local`);
        const states = up.outputs["releaseStates"]?.value as Record<string, { weight: number }>;
        assert.equal(states["checkout"]?.weight, 5);

        const rendered = readRendered(path.join(consumer, "rendered", "prod"));
        assert.ok(rendered.size > 0, "manifests rendered into <project>/rendered/prod");
        assert.deepEqual(foldersNamed(path.join(consumer, "node_modules", "gray-release"), "rendered"), [], "nothing rendered inside node_modules");
        const all = [...rendered.values()].join("\n---\n");
        assert.doesNotMatch(all, /Calling \[toString\] on an \[Output<T>\]|Output<T>/, "every Output resolved before rendering");
        const manifest = (kind: string, name?: string): string => {
            const found = [...rendered.values()].find(
                (m) => new RegExp(`^kind: ${kind}$`, "m").test(m) && (name === undefined || new RegExp(`^  name: ${name}$`, "m").test(m)),
            );
            assert.ok(found, `a rendered ${kind}${name ? ` ${name}` : ""} in:\n${[...rendered.keys()].join("\n")}`);
            return found;
        };
        assert.match(manifest("Namespace", NAMESPACE), /^ {4}environment: prod$/m);
        // The namespace GrayNamespace created reached the workloads, the rules and the routes; the Service's host the routes.
        for (const m of [
            manifest("Deployment"),
            manifest("Service"),
            manifest("PrometheusRule"),
            manifest("VirtualService"),
            manifest("DestinationRule"),
        ]) {
            assert.match(m, new RegExp(`^  namespace: ${NAMESPACE}$`, "m"), m);
        }
        const vs = manifest("VirtualService");
        assert.match(vs, new RegExp(`host: checkout\\.${NAMESPACE}\\.svc\\.cluster\\.local`), vs);
        assert.match(vs, /subset: canary\n\s+weight: 5/, vs);
        assert.match(manifest("DestinationRule"), new RegExp(`host: checkout\\.${NAMESPACE}\\.svc\\.cluster\\.local`));
    });
});
