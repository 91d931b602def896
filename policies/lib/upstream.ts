/**
 * Reads the `promotions` stack output of an upstream environment's stack (e.g. staging before prod).
 *
 * `@pulumi/policy` has no StackReference, so the output is read with the Pulumi CLI: `pulumi stack output
 * promotions --json --stack <name>`, run from the project directory. The engine starts the policy pack with the
 * environment of the update (PATH, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_HOME ...), so the CLI sees
 * the same backend. Each stack is read at most once per pack process (one preview or update): the result, success or
 * failure, is cached.
 *
 * The read is asynchronous and can be started early ({@link prefetchUpstreamPromotions}): the engine analyses the
 * root Stack resource as soon as the program starts, seconds before the program declares its CanaryRelease records,
 * so the CLI call runs while the program loads instead of inside the engine's wait for a verdict.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROMOTIONS_OUTPUT, type PromotionsOutput, parsePromotionsOutput } from "../contracts";

export type UpstreamRead = { ok: true; promotions: PromotionsOutput } | { ok: false; error: string };

export interface UpstreamReadOptions {
    /** Directory of the Pulumi project (holds Pulumi.yaml); the CLI resolves stack names against it. */
    cwd: string;
    /** Timeout of the CLI call. */
    timeoutMs: number;
}

/** Reads one upstream stack; never rejects (a failure is an `{ ok: false }` result). */
export type UpstreamReader = (stack: string, opts: UpstreamReadOptions) => Promise<UpstreamRead>;

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
    return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .slice(0, max)
        .join(" | ");
}

type ExecError = NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null };

/** Reads the output with the `pulumi` CLI on PATH. */
export const cliReader: UpstreamReader = (stack, opts) =>
    new Promise<UpstreamRead>((resolve) => {
        execFile(
            "pulumi",
            ["stack", "output", PROMOTIONS_OUTPUT, "--json", "--stack", stack],
            { cwd: opts.cwd, env: process.env, timeout: opts.timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, windowsHide: true },
            (error, stdout, stderr) => {
                if (error) {
                    const err = error as ExecError;
                    if (err.code === "ENOENT") return resolve({ ok: false, error: "the pulumi CLI is not on the PATH of the policy pack" });
                    if (err.killed || err.signal === "SIGTERM") {
                        return resolve({ ok: false, error: `'pulumi stack output' timed out after ${opts.timeoutMs} ms` });
                    }
                    return resolve({ ok: false, error: firstLines(String(stderr ?? "")) || err.message || String(error) });
                }
                let value: unknown;
                try {
                    value = JSON.parse(stdout);
                } catch (e) {
                    return resolve({ ok: false, error: `output '${PROMOTIONS_OUTPUT}' is not JSON: ${(e as Error).message}` });
                }
                const parsed = parsePromotionsOutput(value);
                if (!parsed.ok) {
                    return resolve({ ok: false, error: `output '${PROMOTIONS_OUTPUT}' does not follow the contract: ${parsed.problems.join("; ")}` });
                }
                resolve({ ok: true, promotions: parsed.value });
            },
        );
    });

let reader: UpstreamReader = cliReader;
const cache = new Map<string, Promise<UpstreamRead>>();

/** The upstream stack's promotions, read once per pack process (per project directory and stack name). */
export function readUpstreamPromotions(stack: string, opts: UpstreamReadOptions): Promise<UpstreamRead> {
    const key = `${opts.cwd}\u0000${stack}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const pending = reader(stack, opts).catch((e: unknown): UpstreamRead => ({ ok: false, error: e instanceof Error ? e.message : String(e) }));
    cache.set(key, pending);
    return pending;
}

/** Starts reading an upstream stack now; a later {@link readUpstreamPromotions} of it gets the same result. */
export function prefetchUpstreamPromotions(stack: string, opts: UpstreamReadOptions): void {
    void readUpstreamPromotions(stack, opts);
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
