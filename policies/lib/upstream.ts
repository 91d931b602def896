/**
 * Reads the `promotions` stack output of an upstream environment's stack (e.g. staging before prod).
 *
 * `@pulumi/policy` has no StackReference, and a policy's validate function may run synchronously inside the
 * engine's gRPC call, so the output is read with the Pulumi CLI: `pulumi stack output promotions --json --stack
 * <name>`, run from the project directory. The engine starts the policy pack with the environment of the update
 * (PATH, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_HOME ...), so the CLI sees the same backend. Each
 * stack is read at most once per pack process (one preview or update): the result, success or failure, is cached.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parsePromotionsOutput, PROMOTIONS_OUTPUT, type PromotionsOutput } from "../contracts";

export type UpstreamRead = { ok: true; promotions: PromotionsOutput } | { ok: false; error: string };

export interface UpstreamReadOptions {
    /** Directory of the Pulumi project (holds Pulumi.yaml); the CLI resolves stack names against it. */
    cwd: string;
    /** Timeout of the CLI call. */
    timeoutMs: number;
}

export type UpstreamReader = (stack: string, opts: UpstreamReadOptions) => UpstreamRead;

/** The directory of the nearest Pulumi.yaml (or Pulumi.yml) at or above `start`, or undefined. */
export function findProjectDir(start: string = __dirname): string | undefined {
    let dir = path.resolve(start);
    for (;;) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml")) || fs.existsSync(path.join(dir, "Pulumi.yml"))) return dir;
        const parent = path.dirname(dir);
        if (parent === dir) return undefined;
        dir = parent;
    }
}

function firstLines(text: string, max = 3): string {
    return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).slice(0, max).join(" | ");
}

/** Reads the output with the `pulumi` CLI on PATH. */
export const cliReader: UpstreamReader = (stack, opts) => {
    let stdout: string;
    try {
        stdout = execFileSync("pulumi", ["stack", "output", PROMOTIONS_OUTPUT, "--json", "--stack", stack], {
            cwd: opts.cwd,
            env: process.env,
            timeout: opts.timeoutMs,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 16 * 1024 * 1024,
            windowsHide: true,
        });
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: string | Buffer; status?: number | null; signal?: string | null };
        const stderr = err.stderr ? firstLines(String(err.stderr)) : "";
        if (err.code === "ENOENT") return { ok: false, error: "the pulumi CLI is not on the PATH of the policy pack" };
        if (err.code === "ETIMEDOUT" || err.signal === "SIGTERM") {
            return { ok: false, error: `'pulumi stack output' timed out after ${opts.timeoutMs} ms` };
        }
        return { ok: false, error: stderr || err.message || String(e) };
    }
    let value: unknown;
    try {
        value = JSON.parse(stdout);
    } catch (e) {
        return { ok: false, error: `output '${PROMOTIONS_OUTPUT}' is not JSON: ${(e as Error).message}` };
    }
    const parsed = parsePromotionsOutput(value);
    if (!parsed.ok) return { ok: false, error: `output '${PROMOTIONS_OUTPUT}' does not follow the contract: ${parsed.problems.join("; ")}` };
    return { ok: true, promotions: parsed.value };
};

let reader: UpstreamReader = cliReader;
const cache = new Map<string, UpstreamRead>();

/** The upstream stack's promotions, read once per pack process (per project directory and stack name). */
export function readUpstreamPromotions(stack: string, opts: UpstreamReadOptions): UpstreamRead {
    const key = `${opts.cwd}\u0000${stack}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const result = reader(stack, opts);
    cache.set(key, result);
    return result;
}

/** For tests: forget cached reads. */
export function resetUpstreamCache(): void {
    cache.clear();
}

/** For tests: replace the CLI reader (no argument restores it). Clears the cache. */
export function setUpstreamReader(r?: UpstreamReader): void {
    reader = r ?? cliReader;
    cache.clear();
}
