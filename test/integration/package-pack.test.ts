/**
 * The package as another Pulumi program sees it: `npm run build` + `npm pack`, the tarball unpacked into a
 * throwaway consumer project (its other dependencies linked from this repo's node_modules, since there is no
 * registry to install them from), then
 *  - `node` requires "gray-release", "gray-release/progression", "gray-release/stack", "gray-release/canary-step" and "gray-release/policies",
 *  - `tsc --strict` compiles a consumer .ts against the packed .d.ts files, with both `node16` module resolution
 *    (package.json "exports") and the classic `node` resolution Pulumi's templates use ("typesVersions").
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    try {
        return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${err.stdout ?? ""}\n${err.stderr ?? ""}\n${err.message}`);
    }
}

interface PackedFile {
    path: string;
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
import { allPolicies } from "gray-release/policies";

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

export function program(): void {
    const routing: CanaryRouting = new CanaryRouting("checkout", routingArgs);
    const urn: pulumi.Output<string> = routing.urn;
    void urn;
}
const ctors: Function[] = [CanaryRouting, CanaryWorkload, GrayNamespace, OtelCollector, SloRules, Thanos];
const run: () => Promise<Record<string, unknown>> = () => runStack(new Date());
const step: () => Promise<CanaryStep> = () => decideCanaryStep("checkout", { namespace: "dev-gray", progression: input });
const stable: number = splitWeights(5).stable;
export { ctors, run, step, steps, stable, badArgs, allPolicies };
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
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-pack-"));
        run(NPM, ["run", "build", "--silent"], REPO_ROOT);
        const listing = JSON.parse(run(NPM, ["pack", "--json", "--pack-destination", tmp], REPO_ROOT)) as Array<{
            filename: string;
            files: PackedFile[];
        }>;
        const first = listing[0];
        assert.ok(first, "npm pack reported a tarball");
        tarball = path.join(tmp, path.basename(first.filename));
        packed = first.files.map((f) => f.path);
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
            const modules = path.join(consumer, "node_modules");
            const target = path.join(modules, "gray-release");
            fs.mkdirSync(target, { recursive: true });
            run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], tmp);
            // The package's dependencies (and the consumer's tsc/@types) come from this repo's node_modules.
            const repoModules = path.join(REPO_ROOT, "node_modules");
            for (const entry of fs.readdirSync(repoModules)) {
                if (entry === "gray-release" || entry === ".bin" || entry.startsWith(".package-lock")) continue;
                fs.symlinkSync(path.join(repoModules, entry), path.join(modules, entry), "dir");
            }
            fs.writeFileSync(
                path.join(consumer, "package.json"),
                JSON.stringify({ name: "consumer", private: true, dependencies: { "gray-release": "0.1.0" } }),
            );
        });

        it("requires gray-release and its subpath exports at runtime", () => {
            fs.writeFileSync(path.join(consumer, "check.js"), CONSUMER_JS);
            const env = { ...process.env, NODE_PATH: "" };
            const out = run(process.execPath, ["check.js"], consumer, env);
            assert.match(out, /consumer-ok \d+ \d+/);
        });

        for (const resolution of ["node16", "node10"] as const) {
            it(`compiles a strict consumer against the packed .d.ts (moduleResolution ${resolution})`, () => {
                const dir = path.join(consumer, `ts-${resolution}`);
                fs.mkdirSync(dir);
                fs.writeFileSync(path.join(dir, "index.ts"), CONSUMER_TS);
                const compilerOptions = {
                    strict: true,
                    noEmit: true,
                    target: "ES2022",
                    lib: ["ES2022"],
                    types: ["node"],
                    typeRoots: [path.join(consumer, "node_modules", "@types")],
                    esModuleInterop: true,
                    // The consumer's own code is checked strictly; library .d.ts internals (Pulumi's, ours) are not.
                    skipLibCheck: true,
                    ...(resolution === "node16"
                        ? { module: "node16", moduleResolution: "node16" }
                        : { module: "commonjs", moduleResolution: "node10" }),
                };
                fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2));
                // Fails (throws with tsc's diagnostics) on any type error; lists the files it read.
                const trace = run(process.execPath, [TSC, "-p", "tsconfig.json", "--listFiles"], dir);
                // The types must come from the unpacked package, not from this repository's sources.
                const ours = trace.split(/\r?\n/).filter((f) => f.includes("node_modules/gray-release/"));
                assert.ok(
                    ours.some((f) => f.endsWith("dist/components/index.d.ts")),
                    "components types resolved from the package",
                );
                assert.ok(
                    ours.some((f) => f.endsWith("dist/progression/index.d.ts")),
                    "progression types resolved from the package",
                );
                assert.ok(!trace.includes(path.join(REPO_ROOT, "components")), "no repository source leaks in");
            });
        }
    });
});
