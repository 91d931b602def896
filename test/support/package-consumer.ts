/**
 * The package as a consumer installs it: `npm run build` + `npm pack` (once per test process), the tarball unpacked
 * into a throwaway project whose other dependencies are linked from this repo's node_modules (there is no registry
 * to install them from), and the tsconfig.json files of Pulumi's templates with tsc to compile against it.
 * Used by test/integration/package-pack.test.ts and package-consumer-engine.test.ts.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs a command, its stdout; on failure an error with its stdout and stderr. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    try {
        return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${err.stdout ?? ""}\n${err.stderr ?? ""}\n${err.message}`);
    }
}

export interface PackedPackage {
    /** The .tgz `npm pack` wrote. */
    tarball: string;
    /** The paths inside it, as `npm pack --json` lists them. */
    files: string[];
}

let packed: PackedPackage | undefined;

/**
 * Builds and packs the package, once per test process: the build takes most of a minute on a busy machine, and
 * every consumer test wants the same tarball. Its folder is removed when the process exits.
 */
export function packPackage(): PackedPackage {
    if (packed) return packed;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-tarball-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    run(NPM, ["run", "build", "--silent"], REPO_ROOT);
    const listing = JSON.parse(run(NPM, ["pack", "--json", "--pack-destination", dir], REPO_ROOT)) as Array<{
        filename: string;
        files: Array<{ path: string }>;
    }>;
    const first = listing[0];
    assert.ok(first, "npm pack reported a tarball");
    packed = { tarball: path.join(dir, path.basename(first.filename)), files: first.files.map((f) => f.path) };
    return packed;
}

export interface ConsumerOptions {
    /** Link the optional peers @pulumi/aws and @pulumi/random too (default: a filesystem-storage consumer without them). */
    withAws?: boolean;
    /** The consumer's own package.json dependencies, besides gray-release. */
    dependencies?: Record<string, string>;
}

/**
 * Makes `dir` a consumer project: the tarball unpacked as node_modules/gray-release (a real folder, so Node resolves
 * "gray-release" inside the consumer), every other package a symlink into this repo's node_modules, and a
 * package.json depending on gray-release.
 */
export function createConsumer(dir: string, tarball: string, options: ConsumerOptions = {}): void {
    const modules = path.join(dir, "node_modules");
    const target = path.join(modules, "gray-release");
    fs.mkdirSync(target, { recursive: true });
    run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], dir);
    const repoModules = path.join(REPO_ROOT, "node_modules");
    for (const entry of fs.readdirSync(repoModules)) {
        if (entry === "gray-release" || entry === ".bin" || entry.startsWith(".package-lock") || entry === "@pulumi") continue;
        fs.symlinkSync(path.join(repoModules, entry), path.join(modules, entry), "dir");
    }
    fs.mkdirSync(path.join(modules, "@pulumi"));
    for (const entry of fs.readdirSync(path.join(repoModules, "@pulumi"))) {
        if (!options.withAws && (entry === "aws" || entry === "random")) continue;
        fs.symlinkSync(path.join(repoModules, "@pulumi", entry), path.join(modules, "@pulumi", entry), "dir");
    }
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "consumer", private: true, dependencies: { "gray-release": "0.1.0", ...options.dependencies } }, null, 4),
    );
}

/** Links @pulumi/aws and @pulumi/random into a consumer made without them (`npm install @pulumi/aws @pulumi/random`). */
export function installAwsPeers(dir: string): void {
    for (const pkg of ["aws", "random"]) {
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi", pkg), path.join(dir, "node_modules", "@pulumi", pkg), "dir");
    }
}

/** Pulumi's TypeScript template tsconfig.json (typescript/, kubernetes-typescript/), as `pulumi new` writes it. */
export const PULUMI_TEMPLATE_TSCONFIG = {
    // Until pulumi/templates 81e6522 (2026-03-25): what most existing Pulumi projects have.
    "commonjs-node": { module: "commonjs", moduleResolution: "node" },
    // Since then: `moduleResolution: node` is deprecated in TypeScript 6.
    nodenext: { module: "nodenext", moduleResolution: "nodenext" },
} as const;

export type PulumiTemplateVariant = keyof typeof PULUMI_TEMPLATE_TSCONFIG;

export function pulumiTemplateTsconfig(variant: PulumiTemplateVariant, files: string[]): object {
    return {
        compilerOptions: {
            strict: true,
            outDir: "bin",
            target: "es2020",
            ...PULUMI_TEMPLATE_TSCONFIG[variant],
            sourceMap: true,
            experimentalDecorators: true,
            pretty: true,
            noFallthroughCasesInSwitch: true,
            noImplicitReturns: true,
            forceConsistentCasingInFileNames: true,
        },
        files,
    };
}

/** Pulumi's policy pack template tsconfig.json (pulumi/templates-policy, kubernetes-typescript/). */
export const PULUMI_POLICY_TEMPLATE_TSCONFIG = {
    compilerOptions: {
        outDir: "bin",
        target: "es6",
        module: "commonjs",
        moduleResolution: "node",
        declaration: true,
        sourceMap: false,
        stripInternal: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitAny: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
        strictNullChecks: true,
    },
    files: ["policies.ts"],
};

/** tsc's diagnostics without colours, one per line, as `file(line,col): error TSnnnn: ...`. */
export function tscErrors(output: string): string[] {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colours of `pretty: true`
    const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
    return plain.split(/\r?\n/).filter((l) => /error TS\d+/.test(l));
}

/** Runs tsc in `dir`; its output and exit status (tsc exits non-zero on any error, which is what is checked). */
export function tsc(dir: string, extra: string[] = []): { status: number; output: string } {
    try {
        return {
            status: 0,
            output: execFileSync(process.execPath, [TSC, "-p", "tsconfig.json", ...extra], {
                cwd: dir,
                encoding: "utf8",
                maxBuffer: 64 * 1024 * 1024,
            }),
        };
    } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { status: err.status ?? 1, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
}
