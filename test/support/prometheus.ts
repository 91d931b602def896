/**
 * Test helpers around the real Prometheus binaries (Debian's `prometheus` package: /usr/bin/prometheus and
 * /usr/bin/promtool).
 *
 *  - `promtool(...)`, `checkRules(file)`, `testRules(file)`: run promtool, throwing with its output on failure.
 *  - `backfillOpenMetrics(text, dataDir)`: turns OpenMetrics text into TSDB blocks (`promtool tsdb
 *    create-blocks-from openmetrics`), so a Prometheus started on `dataDir` can query synthetic history.
 *  - `openMetrics(series)`: renders synthetic series as OpenMetrics text (with the `# EOF` terminator).
 *  - `startPrometheus({ rulesFiles, scrapeConfigs, extraArgs, dataDir })`: starts Prometheus on a free
 *    127.0.0.1 port in a temp dir, waits for `/-/ready`, returns `{ url, dataDir, stop() }`.
 *  - `requirePromtool()` / `requirePrometheus()`: fail clearly when the binaries are missing.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "./free-port";

function which(bin: string): string | undefined {
    for (const dir of (process.env["PATH"] ?? "").split(delimiter).concat(["/usr/bin", "/usr/local/bin"])) {
        const p = join(dir, bin);
        if (dir !== "" && existsSync(p)) return p;
    }
    return undefined;
}

function requireBinary(bin: string): string {
    const p = which(bin);
    if (!p) {
        throw new Error(
            `${bin} is not installed (not on PATH). Install Debian's "prometheus" package (it provides ` +
                `/usr/bin/prometheus and /usr/bin/promtool) before running these tests.`,
        );
    }
    return p;
}

/** Path of promtool; throws a clear error when it is missing. */
export function requirePromtool(): string {
    return requireBinary("promtool");
}

/** Path of prometheus; throws a clear error when it is missing. */
export function requirePrometheus(): string {
    return requireBinary("prometheus");
}

/** Result of a finished process. */
export interface RunResult {
    /** Exit code (0 = success). */
    code: number;
    /** Standard output. */
    stdout: string;
    /** Standard error. */
    stderr: string;
}

/** Runs promtool with `args` (in `cwd`); resolves with its output whatever the exit code. */
export function promtool(args: string[], cwd?: string): Promise<RunResult> {
    const bin = requirePromtool();
    return new Promise((resolve, reject) => {
        execFile(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err && typeof (err as NodeJS.ErrnoException).code !== "number") return reject(err);
            resolve({ code: err ? Number((err as NodeJS.ErrnoException).code) : 0, stdout, stderr });
        });
    });
}

async function promtoolOk(args: string[], cwd?: string): Promise<RunResult> {
    const r = await promtool(args, cwd);
    if (r.code !== 0) {
        throw new Error(`promtool ${args.join(" ")} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return r;
}

/** `promtool check rules <files>`; throws with promtool's output unless every file is valid. */
export function checkRules(...files: string[]): Promise<RunResult> {
    return promtoolOk(["check", "rules", ...files]);
}

/** `promtool test rules <file>` (rule files resolve relative to the test file's directory). */
export function testRules(testFile: string): Promise<RunResult> {
    return promtoolOk(["test", "rules", testFile]);
}

/** One synthetic series: its name, labels and `[unixSeconds, value]` samples in time order. */
export interface SyntheticSeries {
    /** Metric name, e.g. `istio_requests_total`. */
    name: string;
    /** Labels. */
    labels: Record<string, string>;
    /** Samples, oldest first; timestamps in seconds. */
    samples: Array<[number, number]>;
}

function escapeOm(v: string): string {
    return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * Renders series as OpenMetrics text for backfilling. Metadata lines are omitted (type `unknown`), so any
 * name works (counters, histogram buckets); samples of one metric name are kept together, as required.
 */
export function openMetrics(series: readonly SyntheticSeries[]): string {
    const byName = new Map<string, SyntheticSeries[]>();
    for (const s of series) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const lines: string[] = [];
    for (const [name, group] of byName) {
        for (const s of group) {
            const labels = Object.entries(s.labels)
                .map(([k, v]) => `${k}="${escapeOm(v)}"`)
                .join(",");
            for (const [t, v] of s.samples) lines.push(`${name}{${labels}} ${v} ${t}`);
        }
    }
    lines.push("# EOF");
    return `${lines.join("\n")}\n`;
}

/** Writes `text` (OpenMetrics) to a file and backfills it into TSDB blocks under `dataDir`. */
export async function backfillOpenMetrics(text: string, dataDir: string): Promise<RunResult> {
    const input = join(tmpdir(), `backfill-${process.pid}-${Date.now()}.om`);
    writeFileSync(input, text);
    try {
        return await promtoolOk(["tsdb", "create-blocks-from", "openmetrics", "--quiet", input, dataDir]);
    } finally {
        rmSync(input, { force: true });
    }
}

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
    /** Absolute paths of rule files to load. */
    rulesFiles?: string[];
    /** Scrape configs (Prometheus `scrape_configs` entries). Default none. */
    scrapeConfigs?: Array<Record<string, unknown>>;
    /** Global evaluation interval. Default 1s (groups with their own interval keep it). */
    evaluationInterval?: string;
    /** TSDB directory to use (e.g. prefilled by {@link backfillOpenMetrics}); default a fresh one. */
    dataDir?: string;
    /** Extra command-line flags. */
    extraArgs?: string[];
    /** How long to wait for `/-/ready`. Default 30000 ms. */
    readyTimeoutMs?: number;
}

/** A running Prometheus. */
export interface RunningPrometheus {
    /** Base URL, e.g. `http://127.0.0.1:39123`. */
    url: string;
    /** Its TSDB directory. */
    dataDir: string;
    /** Everything it printed so far (for diagnostics). */
    logs(): string;
    /** GET `path` and parse the JSON answer (throws on non-2xx). */
    getJson<T = unknown>(path: string): Promise<T>;
    /** Stops it (SIGTERM, then SIGKILL) and removes its temp dir (a caller-supplied `dataDir` is left alone). */
    stop(): Promise<void>;
}

/** A temp dir for test files, removed by the caller. */
export function makeTempDir(prefix = "gray-release-"): string {
    return mkdtempSync(join(tmpdir(), prefix));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
            clearTimeout(t);
            resolve(true);
        });
    });
}

/**
 * Starts Prometheus on a free loopback port with its own temp dir (config, and TSDB unless `dataDir` is given),
 * waits until `/-/ready` answers 200. Retries on another port if the chosen one got taken meanwhile.
 */
export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
    const bin = requirePrometheus();
    const dir = makeTempDir("prometheus-");
    const dataDir = opts.dataDir ?? join(dir, "data");
    const configFile = join(dir, "prometheus.yml");
    writeFileSync(
        configFile,
        stringify({
            global: { scrape_interval: "15s", evaluation_interval: opts.evaluationInterval ?? "1s" },
            rule_files: opts.rulesFiles ?? [],
            scrape_configs: opts.scrapeConfigs ?? [],
        }),
    );

    let lastError = "";
    for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        let output = "";
        const child = spawn(
            bin,
            [
                `--config.file=${configFile}`,
                `--storage.tsdb.path=${dataDir}`,
                `--web.listen-address=127.0.0.1:${port}`,
                "--storage.tsdb.retention.time=90d",
                ...(opts.extraArgs ?? []),
            ],
            { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
        );
        child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (output += d.toString()));

        const deadline = Date.now() + (opts.readyTimeoutMs ?? 30000);
        let ready = false;
        while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
            try {
                const res = await fetch(`${url}/-/ready`);
                if (res.status === 200) {
                    ready = true;
                    break;
                }
            } catch {
                // not listening yet
            }
            await sleep(200);
        }
        const stop = async () => {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill("SIGTERM");
                if (!(await waitExit(child, 10000))) {
                    child.kill("SIGKILL");
                    await waitExit(child, 5000);
                }
            }
            rmSync(dir, { recursive: true, force: true });
        };
        if (ready) {
            return {
                url,
                dataDir,
                logs: () => output,
                async getJson<T>(path: string): Promise<T> {
                    const res = await fetch(`${url}${path}`);
                    const body = await res.text();
                    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}: ${body}`);
                    return JSON.parse(body) as T;
                },
                stop,
            };
        }
        lastError = output;
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGKILL");
            await waitExit(child, 5000);
        }
        if (!/address already in use/i.test(output)) break;
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prometheus did not become ready:\n${lastError.split("\n").slice(-30).join("\n")}`);
}

/**
 * Backfills `series` into a fresh TSDB and starts Prometheus on it. `stop()` also removes the data, so a test
 * needs nothing but this call and its `stop()`.
 */
export async function startBackfilledPrometheus(series: readonly SyntheticSeries[]): Promise<RunningPrometheus> {
    const dataDir = makeTempDir("prometheus-backfill-");
    try {
        await backfillOpenMetrics(openMetrics(series), dataDir);
        const prometheus = await startPrometheus({ dataDir });
        return {
            ...prometheus,
            stop: async () => {
                await prometheus.stop();
                rmSync(dataDir, { recursive: true, force: true });
            },
        };
    } catch (err) {
        rmSync(dataDir, { recursive: true, force: true });
        throw err;
    }
}

/**
 * One hour of 15 s samples ending ten minutes ago (well inside retention, clear of the head block), aligned to the
 * step, and the instant the analysis reads it at (its end).
 */
export function backfilledHour(): { STEP_S: number; END_S: number; START_S: number; AT: Date } {
    const STEP_S = 15;
    const END_S = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - 600;
    return { STEP_S, END_S, START_S: END_S - 3600, AT: new Date(END_S * 1000) };
}
