/**
 * Cost of the gray-release policy pack.
 *
 *   source scripts/env.sh && npx ts-node --transpile-only bench/policy-pack.ts
 *
 * 1. Real engine, temp copy of the project (its own file backend): `pulumi preview` of the prod stack, 5 times
 *    without and 5 times with `--policy-pack policies` (interleaved, same run), median of each. Before that, staging
 *    promotes the canary and the release-window `now` is pinned inside the window, so the measured prod preview is
 *    the real passing case (promotion-order reads staging's outputs through the Pulumi CLI once per run).
 * 2. In process: every registered policy (primary and advisory twin, as the engine runs them) on 100 and 1,000
 *    synthetic resources, through test/support/policy-harness.ts; resource policies per resource, stack policies
 *    once over all of them. Reported per resource. promotion-order's upstream read is faked here (one cached CLI
 *    call per run is part of the engine figure).
 *
 * Target: the pack adds at most 15 % to the preview time. The figure is printed whatever it is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policies/all";
import { resetMirroredConfig } from "../policies/config";
import { T } from "../policies/contracts";
import { resetUpstreamCache } from "../policies/lib/upstream";
import { createTempProject } from "../test/support/engine";
import { fakeUpstreams, type ResourceSpec, release, resourceArgs, restoreUpstreamReader, stackArgs, urnOf } from "../test/support/policy-harness";

const TARGET = 0.15;
const RUNS = 5;
const INSIDE = "2026-11-25T10:00:00Z"; // a Wednesday, 10:00 UTC

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timeIt(f: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function engineBench(): Promise<{ without: number[]; withPack: number[] }> {
    const project = createTempProject("gray-release-bench-");
    try {
        const pack = path.join(project.dir, "policies");
        const configFile = path.join(project.dir, "policy-config.json");
        fs.writeFileSync(configFile, JSON.stringify({ "release-window": { now: INSIDE } }));

        process.stdout.write("setup: platform stacks up, staging promotes the canary (pulumi up) ... ");
        for (const env of ["staging", "prod"]) await (await project.stack(`platform-${env}`)).up({ onOutput: () => undefined });
        const staging = await project.stack("staging");
        await staging.setConfig("gray-release:services[0].progression.controls.promote", { value: "true" }, true);
        await staging.up({ onOutput: () => undefined });
        console.log("done");

        const prod = await project.stack("prod");
        process.stdout.write("warm-up preview ... ");
        await prod.preview({ policyPacks: [pack], policyPackConfigs: [configFile] });
        console.log("done");
        const without: number[] = [];
        const withPack: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            without.push(await timeIt(() => prod.preview({})));
            withPack.push(await timeIt(() => prod.preview({ policyPacks: [pack], policyPackConfigs: [configFile] })));
            console.log(`  run ${i + 1}: without ${secs(without[i]!)}, with pack ${secs(withPack[i]!)}`);
        }
        return { without, withPack };
    } finally {
        project.dispose();
    }
}

/** A mix like a real stack: workloads, Istio routing, rules, namespaces, IAM, buckets, canary records. */
function syntheticResources(n: number): ResourceSpec[] {
    const out: ResourceSpec[] = [];
    const digest = "@sha256:" + "a".repeat(64);
    for (let i = 0; out.length < n; i++) {
        const ns = `svc${i}-gray`;
        const parent = urnOf(T.canaryRouting, `svc${i}`, "prod");
        const batch: ResourceSpec[] = [
            { ...release({ service: `svc${i}`, namespace: ns, previousWeight: 1, weight: 5 }, "prod"), name: `svc${i}` },
            { type: T.canaryRouting, name: `svc${i}`, stack: "prod", urn: parent, props: { host: `svc${i}` } },
            {
                type: T.virtualService,
                name: `svc${i}-vs`,
                stack: "prod",
                parent,
                urn: urnOf(T.virtualService, `svc${i}-vs`, "prod", [T.canaryRouting]),
                props: {
                    metadata: { name: `svc${i}`, namespace: ns },
                    spec: {
                        hosts: [`svc${i}`],
                        http: [
                            {
                                route: [
                                    { destination: { host: `svc${i}`, subset: "stable" }, weight: 95 },
                                    { destination: { host: `svc${i}`, subset: "canary" }, weight: 5 },
                                ],
                            },
                        ],
                    },
                },
            },
            {
                type: T.destinationRule,
                name: `svc${i}-dr`,
                stack: "prod",
                parent,
                urn: urnOf(T.destinationRule, `svc${i}-dr`, "prod", [T.canaryRouting]),
                props: { metadata: { name: `svc${i}`, namespace: ns }, spec: { host: `svc${i}`, subsets: [{ name: "stable" }, { name: "canary" }] } },
            },
            {
                type: T.deployment,
                name: `svc${i}-canary`,
                stack: "prod",
                props: {
                    metadata: { name: `svc${i}-canary`, namespace: ns },
                    spec: {
                        template: {
                            spec: {
                                securityContext: { runAsNonRoot: true },
                                containers: [
                                    {
                                        name: "app",
                                        image: `registry.example.com/svc${i}:1.0.0${digest}`,
                                        securityContext: {
                                            readOnlyRootFilesystem: true,
                                            allowPrivilegeEscalation: false,
                                            capabilities: { drop: ["ALL"] },
                                        },
                                        resources: { limits: { cpu: "500m", memory: "256Mi" } },
                                    },
                                ],
                            },
                        },
                    },
                },
            },
            {
                type: T.prometheusRule,
                name: `svc${i}-rules`,
                stack: "prod",
                props: {
                    spec: {
                        groups: [
                            {
                                rules: [
                                    {
                                        record: "slo:availability",
                                        expr: `sum(rate(istio_requests_total{destination_workload="svc${i}"}[5m]))`,
                                        labels: { service: `svc${i}` },
                                    },
                                    { alert: "CanaryErrorRateDeltaHigh", expr: "canary_error_rate_delta > 0.003", labels: {} },
                                ],
                            },
                        ],
                    },
                },
            },
            {
                type: T.iamPolicy,
                name: `svc${i}-policy`,
                stack: "prod",
                props: {
                    policy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::metrics-${i}/*`] }],
                    }),
                },
            },
            { type: T.otelCollector, name: `otel${i}`, stack: "prod", props: { namespace: "observability" } },
        ];
        out.push(...batch.slice(0, n - out.length));
    }
    return out;
}

async function inProcessBench(n: number): Promise<{ resourceMs: number; stackMs: number }> {
    const specs = syntheticResources(n);
    const config = { now: INSIDE };
    fakeUpstreams({ staging: { [`svc0`]: [{ image: "v2.4.0", at: INSIDE }] } });
    const resourcePolicies = allPolicies.filter((p): p is ResourceValidationPolicy => "validateResource" in p && !!p.validateResource);
    const stackPolicies = allPolicies.filter((p): p is StackValidationPolicy => "validateStack" in p);
    const resourceArgsList = specs.map((s) => resourceArgs(s, { config }));
    const sArgs = stackArgs(specs, { config });
    let violations = 0;
    const report = () => void violations++;
    const once = async () => {
        resetMirroredConfig();
        resetUpstreamCache();
        const resourceMs = await timeIt(async () => {
            for (const args of resourceArgsList) {
                for (const p of resourcePolicies) {
                    const vs = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
                    for (const v of vs) await v(args, report);
                }
            }
        });
        const stackMs = await timeIt(async () => {
            for (const p of stackPolicies) await p.validateStack(sArgs, report);
        });
        return { resourceMs, stackMs };
    };
    await once(); // warm-up (JIT, module caches)
    const runs = [await once(), await once(), await once()];
    restoreUpstreamReader();
    return { resourceMs: median(runs.map((r) => r.resourceMs)), stackMs: median(runs.map((r) => r.stackMs)) };
}

async function main(): Promise<void> {
    console.log(`gray-release policy pack: ${allPolicies.length} registered policies (${allPolicies.length / 2} rules × mandatory/advisory)\n`);

    console.log("In-process validation (synthetic resources, all policies, median of 3 after a warm-up):");
    for (const n of [100, 1000]) {
        const { resourceMs, stackMs } = await inProcessBench(n);
        console.log(
            `  ${String(n).padStart(5)} resources: resource policies ${resourceMs.toFixed(1)} ms (${((resourceMs / n) * 1000).toFixed(1)} µs/resource), ` +
                `stack policies ${stackMs.toFixed(1)} ms (${((stackMs / n) * 1000).toFixed(1)} µs/resource), total ${(((resourceMs + stackMs) / n) * 1000).toFixed(1)} µs/resource`,
        );
    }

    console.log(`\nReal engine: pulumi preview of prod (temp project), ${RUNS} runs each, interleaved:`);
    const { without, withPack } = await engineBench();
    const a = median(without);
    const b = median(withPack);
    const added = b - a;
    const ratio = added / a;
    console.log(`  median without pack: ${secs(a)}`);
    console.log(`  median with pack:    ${secs(b)}`);
    console.log(`  added by the pack:   ${secs(added)} (${(ratio * 100).toFixed(1)} % of the preview)`);
    console.log(`  target ≤ ${TARGET * 100} %: ${ratio <= TARGET ? "MET" : "NOT MET"}`);
    console.log(
        "  (the pack is a second Node process that the engine starts before the program: Node, @pulumi/pulumi's\n" +
            "   run-policy-pack, which loads TypeScript whatever the pack is written in, @pulumi/policy and gRPC; the pack's own\n" +
            "   files come from policies/entry.js's transpile cache, filled by the warm-up. Then one Analyze call per resource;\n" +
            "   validation itself is the in-process figure.)",
    );
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
