/**
 * Starts a real Prometheus on loopback whose TSDB was backfilled (promtool tsdb create-blocks-from
 * openmetrics) with synthetic series, for analysis tests against the genuine query engine.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One synthetic series: metric name, labels and (unix-seconds, value) points in time order. */
export interface SyntheticSeries {
    /** Metric name, e.g. `istio_requests_total`. */
    readonly name: string;
    /** Label set. */
    readonly labels: Readonly<Record<string, string>>;
    /** Points, ascending time, time in unix seconds. */
    readonly points: ReadonlyArray<readonly [number, number]>;
}

/** A Prometheus started by {@link startBackfilledPrometheus}. */
export interface BackfilledPrometheus {
    /** Base URL, e.g. `http://127.0.0.1:41234`. */
    readonly url: string;
    /** Stops the server and deletes its data directory. */
    stop(): Promise<void>;
}

/** True when the Debian prometheus and promtool binaries are installed. */
export async function prometheusAvailable(): Promise<boolean> {
    try {
        await run("promtool", ["--version"]);
        await run("prometheus", ["--version"]);
        return true;
    } catch {
        return false;
    }
}

/** Renders series as OpenMetrics text (no TYPE metadata: the backfiller stores untyped samples). */
export function toOpenMetrics(series: ReadonlyArray<SyntheticSeries>): string {
    const lines: string[] = [];
    for (const s of series) {
        const labels = Object.entries(s.labels)
            .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
            .join(",");
        for (const [t, v] of s.points) lines.push(`${s.name}{${labels}} ${v} ${t}`);
    }
    lines.push("# EOF");
    return `${lines.join("\n")}\n`;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address !== null ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

/** Backfills `series` into a temporary TSDB and starts Prometheus on it; resolves once it is ready. */
export async function startBackfilledPrometheus(series: ReadonlyArray<SyntheticSeries>): Promise<BackfilledPrometheus> {
    const dir = await mkdtemp(join(tmpdir(), "progression-prom-"));
    const dataDir = join(dir, "data");
    const input = join(dir, "series.om");
    const configFile = join(dir, "prometheus.yml");
    await writeFile(input, toOpenMetrics(series));
    await writeFile(configFile, "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
    await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, dataDir], { maxBuffer: 16 * 1024 * 1024 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(
        "prometheus",
        [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${dataDir}`,
            `--web.listen-address=127.0.0.1:${port}`,
            "--storage.tsdb.retention.time=30d",
            "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async () => {
        if (child.exitCode === null) {
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
            if (child.exitCode === null) child.kill("SIGKILL");
        }
        await rm(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) break;
        try {
            const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
            if (r.ok) return { url, stop };
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    await stop();
    throw new Error(`Prometheus did not become ready: ${stderr}`);
}
