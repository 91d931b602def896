/**
 * Drives the real Pulumi engine (CLI built by toolchain/build.sh, or a system install) through the Automation
 * API against a throwaway copy of the project: its own file backend, its own rendered/ folder, the repo's
 * node_modules linked in. Nothing in the working tree is touched.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const COPIED = ["Pulumi.yaml", "tsconfig.json", "package.json", "progression", "components", "stacks", "policies"];

export interface TempProject {
    /** Root of the copy: Pulumi.yaml, stacks/, components/ ... */
    dir: string;
    /** The file backend of this copy. */
    backendUrl: string;
    /** Environment for every engine call. */
    env: Record<string, string>;
    /** Manifests the Kubernetes provider rendered for a stack. */
    renderedDir(stack: string): string;
    /** Opens (creating if needed) a stack of the copy. */
    stack(name: string): Promise<Stack>;
    /** Deletes the copy. */
    dispose(): void;
}

export function requireToolchain(): void {
    const pathDirs = (process.env["PATH"] ?? "").split(path.delimiter);
    const found = pathDirs.some((d) => fs.existsSync(path.join(d, "pulumi")));
    if (!found) {
        throw new Error(
            "the pulumi CLI is not on PATH: run the tests through `npm test` (it builds the toolchain) " + "or `source scripts/env.sh` first",
        );
    }
}

/**
 * Environment for engine calls against a file backend in `stateDir` (created if missing): the dev passphrase, no
 * update check, no plugin download (the toolchain's plugins are on PATH).
 */
export function engineEnv(stateDir: string): Record<string, string> {
    fs.mkdirSync(stateDir, { recursive: true });
    return {
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "gray-release-dev",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

export function createTempProject(prefix = "gray-release-it-"): TempProject {
    requireToolchain();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const entry of COPIED) {
        const src = path.join(REPO_ROOT, entry);
        if (fs.existsSync(src)) fs.cpSync(src, path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const env = engineEnv(path.join(dir, ".pulumi-state"));
    const backendUrl = env["PULUMI_BACKEND_URL"]!;
    return {
        dir,
        backendUrl,
        env,
        renderedDir: (stack) => path.join(dir, "rendered", stack),
        stack: (name) => LocalWorkspace.createOrSelectStack({ stackName: name, workDir: dir }, { envVars: env }),
        dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/** Reads every rendered manifest of a stack as text, keyed by its path relative to the stack's folder. */
export function readRendered(root: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string): void => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out.set(path.relative(root, p), fs.readFileSync(p, "utf8"));
        }
    };
    walk(root);
    return out;
}
