/**
 * The package as another Pulumi program sees it: `npm run build` + `npm pack`, the tarball unpacked into a
 * throwaway consumer project (its other dependencies linked from this repo's node_modules, since there is no
 * registry to install them from), then
 *  - `node` requires "gray-release", "gray-release/progression", "gray-release/stack", "gray-release/canary-step" and
 *    "gray-release/policies" without `@pulumi/aws`/`@pulumi/random` installed (optional peer dependencies: not loaded,
 *    and a clear error for `storage.type: aws`), then "gray-release/aws-storage" and an S3-backed Thanos once they are;
 *  - `tsc` compiles a consumer .ts against the packed .d.ts files with the exact tsconfig.json of Pulumi's
 *    TypeScript templates (github.com/pulumi/templates, typescript/ and kubernetes-typescript/): the one they
 *    shipped until March 2026 (`module: commonjs`, `moduleResolution: node`, "typesVersions") and the current one
 *    (`nodenext`, "exports"). Neither sets `esModuleInterop` or `skipLibCheck`, so every .d.ts reached is checked;
 *  - the size of what a consumer installs, from the lockfile's dependency closure, with and without the AWS part.
 *
 * Packing and the consumer project are test/support/package-consumer.ts (one `npm pack` per test process); the same
 * consumer through the real engine with its own policy pack is package-consumer-engine.test.ts.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    createConsumer,
    installAwsPeers,
    PULUMI_POLICY_TEMPLATE_TSCONFIG,
    PULUMI_TEMPLATE_TSCONFIG,
    type PulumiTemplateVariant,
    packPackage,
    pulumiTemplateTsconfig,
    REPO_ROOT,
    run,
    tsc,
    tscErrors,
} from "../support/package-consumer";

/**
 * Kilobytes a consumer installs for `roots` (package names a consumer's npm would place at the top level): the
 * closure over dependencies, optional dependencies and non-optional peers (npm >= 7 installs those), resolved
 * through the lockfile's node_modules layout, each folder measured without its nested node_modules (counted as
 * packages of their own).
 */
function installedKb(roots: string[]): { kb: number; packages: string[] } {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as {
        packages: Record<
            string,
            {
                dependencies?: Record<string, string>;
                optionalDependencies?: Record<string, string>;
                peerDependencies?: Record<string, string>;
                peerDependenciesMeta?: Record<string, { optional?: boolean }>;
            }
        >;
    };
    const resolve = (from: string, name: string): string | undefined => {
        for (let base = from; ; base = base.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, "")) {
            const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
            if (lock.packages[candidate]) return candidate;
            if (!base) return undefined;
        }
    };
    const seen = new Set<string>();
    const queue = roots.map((r) => resolve("", r)).filter((p): p is string => p !== undefined);
    while (queue.length > 0) {
        const at = queue.pop()!;
        if (seen.has(at)) continue;
        seen.add(at);
        const entry = lock.packages[at]!;
        const peers = Object.keys(entry.peerDependencies ?? {}).filter((n) => !entry.peerDependenciesMeta?.[n]?.optional);
        for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers]) {
            const dep = resolve(at, name);
            if (dep) queue.push(dep);
        }
    }
    const dirs = [...seen].map((p) => path.join(REPO_ROOT, p)).filter((d) => fs.existsSync(d));
    const du = execFileSync("du", ["-skc", "--exclude=node_modules", ...dirs], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const total = /^(\d+)\s+total$/m.exec(du);
    assert.ok(total, du);
    return { kb: Number(total[1]), packages: [...seen].map((p) => p.replace(/^.*node_modules\//, "")) };
}

const CONSUMER_TS = `
import * as pulumi from "@pulumi/pulumi";
import {
    CanaryRouting,
    CanaryWorkload,
    GrayNamespace,
    OtelCollector,
    SloRules,
    Thanos,
    type CanaryRoutingArgs,
    canaryRoutingArgsSchema,
    type ResolvedCanaryRoutingArgs,
    splitWeights,
} from "gray-release";
import {
    decide,
    parseProgressionConfig,
    type Decision,
    type ProgressionConfig,
    type ProgressionConfigInput,
} from "gray-release/progression";
import { runStack } from "gray-release/stack";
import { type CanaryStep, decideCanaryStep } from "gray-release/canary-step";

const input: ProgressionConfigInput = {
    service: "checkout",
    environment: "dev",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    analysis: { prometheusUrl: "http://prometheus:9090" },
};
const config: ProgressionConfig = parseProgressionConfig(input);
const decision: Decision = decide(undefined, config, undefined, new Date());
const weight: number = decision.routing.canaryWeight;
const steps: readonly number[] = config.steps;

const routingArgs: CanaryRoutingArgs = {
    service: "checkout",
    namespace: "dev-gray",
    canaryWeight: weight,
};
// The types are real, not \`any\`: a wrong type must be rejected (else this directive is itself an error).
// @ts-expect-error canaryWeight is a number
const badArgs: CanaryRoutingArgs = { ...routingArgs, canaryWeight: "five" };
// A schema is typed by what it takes and returns (no zod types in the declarations), defaults filled in.
const resolved: ResolvedCanaryRoutingArgs = canaryRoutingArgsSchema.parse(routingArgs);
const gateways: string[] = resolved.gateways;

export function program(): void {
    const routing: CanaryRouting = new CanaryRouting("checkout", routingArgs);
    const urn: pulumi.Output<string> = routing.urn;
    void urn;
}
const ctors: Function[] = [CanaryRouting, CanaryWorkload, GrayNamespace, OtelCollector, SloRules, Thanos];
const run: () => Promise<Record<string, unknown>> = () => runStack(new Date());
const step: () => Promise<CanaryStep> = () => decideCanaryStep("checkout", { namespace: "dev-gray", progression: input });
const stable: number = splitWeights(5).stable;
export { ctors, run, step, steps, stable, badArgs, gateways };
`;

/** Only compiled with the current template (nodenext: esModuleInterop defaults on, which zod's own .d.ts need). */
const OWN_SCHEMA_TS = `
import { z } from "zod";
import { parseArgs } from "gray-release";

// A zod schema of the user's own fits where the package takes a schema, and keeps its output type.
const parsed: { replicas: number } = parseArgs("mine", z.object({ replicas: z.number().default(2) }), {});
export { parsed };
`;

const POLICIES_TS = `
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "gray-release/policies";

new PolicyPack("mine", { policies: [...allPolicies] });
`;

const AWS_ABSENT = /[\\/]node_modules[\\/]@pulumi[\\/](aws|random)[\\/]/;

/** Pulumi's mock runtime and S3-backed Thanos args, shared by the two runtime checks. */
const MOCK_THANOS_JS = `
const pulumi = require("@pulumi/pulumi");
const created = [];
pulumi.runtime.setMocks(
    {
        newResource(args) {
            created.push(args.type);
            const state = { ...args.inputs, arn: "arn:aws:mock:::" + args.name, hex: "a1b2c3d4", bucket: args.inputs.bucket ?? args.name };
            return { id: args.name + "-id", state };
        },
        call(args) {
            return args.inputs;
        },
    },
    "consumer",
    "dev",
    false,
);
const s3Thanos = {
    namespace: "monitoring",
    prometheus: { namespace: "monitoring", serviceAccountName: "prometheus-k8s" },
    storage: {
        type: "aws",
        region: "eu-west-1",
        oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        oidcProviderUrl: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    },
    longestSloWindow: "30d",
};
const loadedAws = () => Object.keys(require.cache).filter((f) => ${AWS_ABSENT}.test(f));
`;

const CONSUMER_JS = `
const assert = require("node:assert/strict");
const gr = require("gray-release");
const prog = require("gray-release/progression");
for (const name of ["CanaryRouting", "GrayNamespace", "SloRules", "Thanos", "OtelCollector", "CanaryWorkload"]) {
    assert.equal(typeof gr[name], "function", "gray-release exports " + name);
}
for (const name of ["decide", "parseProgressionConfig", "runProgression", "PrometheusProvider"]) {
    assert.equal(typeof prog[name], "function", "gray-release/progression exports " + name);
}
const config = prog.parseProgressionConfig({
    service: "checkout", environment: "dev",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    analysis: { prometheusUrl: "http://prometheus:9090" },
});
const d = prog.decide(undefined, config, undefined, new Date("2026-01-05T10:00:00Z"));
assert.equal(typeof d.routing.canaryWeight, "number");
assert.equal(typeof require("gray-release/stack").runStack, "function");
assert.equal(typeof require("gray-release/canary-step").decideCanaryStep, "function");
assert.ok(Array.isArray(require("gray-release/policies").allPolicies));
${MOCK_THANOS_JS}
// @pulumi/aws and @pulumi/random are optional peers, not installed here: nothing loaded them, and S3 storage says
// what to install instead of failing on a missing module.
assert.throws(() => require.resolve("@pulumi/aws"), /Cannot find module/);
assert.deepEqual(loadedAws(), []);
assert.throws(
    () => new gr.Thanos("thanos", s3Thanos),
    (e) => e.name === "InvalidArgsError" && /storage\\.type = "aws": needs @pulumi\\/aws and @pulumi\\/random.*npm install @pulumi\\/aws @pulumi\\/random/.test(e.message),
);
assert.ok(!created.some((t) => t.startsWith("aws:")), created.join(", "));
assert.deepEqual(loadedAws(), []);
// Internal files are not reachable: the "exports" map is the public surface.
assert.throws(() => require("gray-release/dist/stacks/index.js"), /ERR_PACKAGE_PATH_NOT_EXPORTED|not defined by "exports"/);
// And the module really came from the unpacked tarball, not from the repository.
assert.ok(require.resolve("gray-release").startsWith(process.cwd()), require.resolve("gray-release"));
console.log("consumer-ok " + Object.keys(gr).length + " " + Object.keys(prog).length);
`;

describe("npm package: build, pack, install into a consumer", function () {
    this.timeout(180_000);
    let tmp: string;
    let tarball: string;
    let packed: string[];

    before(() => {
        ({ tarball, files: packed } = packPackage());
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-pack-"));
    });

    after(() => {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("packs only the compiled library, its declarations, README and package.json", () => {
        assert.ok(fs.existsSync(tarball), `${tarball} exists`);
        for (const f of packed) {
            const allowed =
                f === "package.json" ||
                f === "README.md" ||
                f === "bin/gray-release.js" ||
                /^dist\/(progression|components|stacks|policies|release)\/.+\.(js|d\.ts)$/.test(f);
            assert.ok(!f.startsWith("dist/progression/internal."), `the engine's internal barrel is not packed: ${f}`);
            assert.ok(allowed, `unexpected file in the package: ${f}`);
            assert.ok(!/\.(test|spec)\./.test(f), `test file in the package: ${f}`);
            assert.ok(!/(^|\/)(test|bench|scripts|toolchain|node_modules)\//.test(f), `non-library file in the package: ${f}`);
        }
        for (const f of [
            "dist/components/index.js",
            "dist/components/index.d.ts",
            "dist/progression/index.js",
            "dist/progression/index.d.ts",
            "dist/stacks/program.js",
            "dist/policies/all.js",
            "dist/release/cli.js",
            "bin/gray-release.js",
        ]) {
            assert.ok(packed.includes(f), `the package contains ${f}`);
        }
        // The Pulumi entry point runs the program when loaded: it is not part of the library.
        assert.ok(!packed.includes("dist/stacks/index.js"), "dist/stacks/index.js is not packed");
    });

    describe("in a consumer project", () => {
        let consumer: string;

        before(() => {
            consumer = path.join(tmp, "consumer");
            // Without the optional peers @pulumi/aws and @pulumi/random: a consumer with filesystem or existing storage.
            createConsumer(consumer, tarball);
        });

        it("requires gray-release and its subpath exports at runtime", () => {
            fs.writeFileSync(path.join(consumer, "check.js"), CONSUMER_JS);
            const env = { ...process.env, NODE_PATH: "" };
            const out = run(process.execPath, ["check.js"], consumer, env);
            assert.match(out, /consumer-ok \d+ \d+/);
        });

        for (const variant of Object.keys(PULUMI_TEMPLATE_TSCONFIG) as PulumiTemplateVariant[]) {
            it(`compiles a consumer with Pulumi's template tsconfig.json (${variant}), no esModuleInterop, no skipLibCheck`, () => {
                const dir = path.join(consumer, `ts-${variant}`);
                fs.mkdirSync(dir);
                fs.writeFileSync(path.join(dir, "index.ts"), CONSUMER_TS);
                const files = ["index.ts"];
                if (variant === "nodenext") {
                    fs.writeFileSync(path.join(dir, "own-schema.ts"), OWN_SCHEMA_TS);
                    files.push("own-schema.ts");
                }
                fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(pulumiTemplateTsconfig(variant, files), null, 4));
                // Fails on any type error, in the consumer's code or in any .d.ts it reaches (ours, zod's, Pulumi's).
                const { status, output } = tsc(dir, ["--listFiles"]);
                assert.equal(status, 0, `tsc failed:\n${tscErrors(output).join("\n")}`);
                // The types must come from the unpacked package, not from this repository's sources.
                const read = output.split(/\r?\n/);
                const ours = read.filter((f) => f.includes("node_modules/gray-release/"));
                assert.ok(
                    ours.some((f) => f.endsWith("dist/components/index.d.ts")),
                    "components types resolved from the package",
                );
                assert.ok(
                    ours.some((f) => f.endsWith("dist/progression/index.d.ts")),
                    "progression types resolved from the package",
                );
                assert.ok(!output.includes(path.join(REPO_ROOT, "components")), "no repository source leaks in");
                // Zod is a runtime detail of the package: its declarations are not reached (only the user's own import does).
                if (variant === "commonjs-node") assert.ok(!read.some((f) => /[\\/]zod[\\/]/.test(f)), "zod's .d.ts are not reached");
            });
        }

        it("compiles a policy pack with Pulumi's policy template tsconfig.json: no error from gray-release or zod", () => {
            const dir = path.join(consumer, "ts-policies");
            fs.mkdirSync(dir);
            fs.writeFileSync(path.join(dir, "policies.ts"), POLICIES_TS);
            fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(PULUMI_POLICY_TEMPLATE_TSCONFIG, null, 4));
            const errors = tscErrors(tsc(dir).output);
            // @pulumi/policy 1.21.0 itself ships an index.d.ts that re-exports two names its proxy.d.ts lacks; any
            // policy pack compiled with this template has those two errors, with or without gray-release.
            const upstream = errors.filter((e) => e.includes("node_modules/@pulumi/policy/index.d.ts"));
            assert.deepEqual(
                errors.filter((e) => !upstream.includes(e)),
                [],
                "errors outside @pulumi/policy's own declarations",
            );
            if (upstream.length > 0) console.log(`      (@pulumi/policy's own index.d.ts: ${upstream.length} errors without skipLibCheck)`);
        });

        it("installs without @pulumi/aws for filesystem storage (size from the lockfile's dependency closure)", () => {
            const manifest = JSON.parse(fs.readFileSync(path.join(consumer, "node_modules", "gray-release", "package.json"), "utf8")) as {
                dependencies: Record<string, string>;
                peerDependencies: Record<string, string>;
                peerDependenciesMeta: Record<string, { optional?: boolean }>;
            };
            const required = Object.keys(manifest.peerDependencies).filter((n) => !manifest.peerDependenciesMeta[n]?.optional);
            assert.deepEqual(required.sort(), ["@pulumi/kubernetes", "@pulumi/pulumi"]);
            const base = installedKb([...Object.keys(manifest.dependencies), ...required]);
            const withAws = installedKb([...Object.keys(manifest.dependencies), ...required, "@pulumi/aws", "@pulumi/random"]);
            assert.ok(!base.packages.includes("@pulumi/aws") && !base.packages.includes("@pulumi/random"), base.packages.join(", "));
            assert.ok(withAws.kb > base.kb, `${withAws.kb} > ${base.kb}`);
            const mb = (kb: number): string => (kb / 1024).toFixed(0);
            console.log(
                `      filesystem-storage consumer installs ${mb(base.kb)} MB (${base.packages.length} packages); ` +
                    `with the AWS part ${mb(withAws.kb)} MB (${withAws.packages.length})`,
            );
        });

        it("loads gray-release/aws-storage and an S3-backed Thanos once @pulumi/aws and @pulumi/random are installed", async () => {
            installAwsPeers(consumer);
            const script = `
const assert = require("node:assert/strict");
const gr = require("gray-release");
${MOCK_THANOS_JS}
assert.deepEqual(loadedAws(), [], "requiring gray-release loads no AWS code even when it is installed");
const thanos = new gr.Thanos("thanos", s3Thanos);
assert.ok(loadedAws().length > 0, "storage.type aws loaded @pulumi/aws");
assert.equal(typeof require("gray-release/aws-storage").createAwsThanosBucket, "function");
thanos.bucketName.apply((bucket) => {
    for (const t of ["aws:s3/bucket:Bucket", "aws:iam/role:Role", "random:index/randomId:RandomId"]) assert.ok(created.includes(t), t + " in " + created);
    console.log("aws-ok " + bucket);
});
`;
            fs.writeFileSync(path.join(consumer, "aws.js"), script);
            const out = run(process.execPath, ["aws.js"], consumer, { ...process.env, NODE_PATH: "" });
            assert.match(out, /aws-ok \S+/);
        });
    });
});
