/**
 * Rollback latency with the release driver: real Prometheus, real engine (render mode), the driver at its default
 * 15 s check interval. A canary at its first step turns bad in real time (the brief's incident: 0.2 % → 12.7 % of
 * requests failing): a small local HTTP exporter serves Istio's request counters and the jump happens at a random
 * instant; Prometheus scrapes it. Measured: from the first bad sample (the first scrape the exporter answered with
 * bad counters) to canary weight 0 in the rendered VirtualService (the rendered file polled). Several runs; median
 * and worst, beside what the same incident costs without the driver (until the next scheduled `pulumi up`).
 *
 * Environment: RUNS (default 3), CHECK_INTERVAL (default 15s), SCRAPE_INTERVAL (default 5s), WINDOW (analysis
 * window, default 1m).
 */
import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseDuration } from "../components/common/duration";
import { ReleaseDriver } from "../release/driver";
import { createTempProject, type TempProject } from "../test/support/engine";
import { DURATION_BUCKETS, FAST_LATENCY } from "../test/support/istio-traffic";
import { startPrometheus } from "../test/support/prometheus";
import { splitWeights } from "../test/support/rendered";

const SERVICE = "checkout";
const IMAGE = "registry.example.com/shop/checkout";
const STACK = "rollback-bench";
const RUNS = Number(process.env["RUNS"] ?? 3);
const CHECK_INTERVAL = process.env["CHECK_INTERVAL"] ?? "15s";
const SCRAPE_INTERVAL = process.env["SCRAPE_INTERVAL"] ?? "5s";
const WINDOW = process.env["WINDOW"] ?? "1m";
/** minIntervalBetweenSteps of the sample config (stacks/Pulumi.dev.yaml): the pace of scheduled updates without a driver. */
const SCHEDULED_INTERVAL = "30m";
const HEALTHY = 0.002;
const BAD = 0.127;

interface VersionTraffic {
    rps: number;
    /** When the error ratio jumps (ms), or undefined: never. */
    badAt?: number;
    firstBadServedAt?: number;
    ok: number;
    errors: number;
    last: number;
}

/** Istio's request counters and duration histogram for each version, advanced in real time at every scrape. */
class Exporter {
    readonly versions = new Map<string, VersionTraffic>();
    private server: Server | undefined;
    url = "";

    add(version: string, rps: number): VersionTraffic {
        const v: VersionTraffic = { rps, ok: 0, errors: 0, last: Date.now() };
        this.versions.set(version, v);
        return v;
    }

    private scrape(): string {
        const now = Date.now();
        const lines: string[] = [];
        for (const [version, v] of this.versions) {
            const bad = v.badAt !== undefined && now >= v.badAt;
            if (bad && v.firstBadServedAt === undefined) v.firstBadServedAt = now;
            const n = (v.rps * (now - v.last)) / 1000;
            const p = bad ? BAD : HEALTHY;
            v.ok += n * (1 - p);
            v.errors += n * p;
            v.last = now;
            const labels = `reporter="destination",destination_service_name="${SERVICE}",destination_version="${version}"`;
            lines.push(`istio_requests_total{${labels},response_code="200"} ${v.ok}`);
            lines.push(`istio_requests_total{${labels},response_code="503"} ${v.errors}`);
            DURATION_BUCKETS.forEach((le, i) => {
                lines.push(`istio_request_duration_milliseconds_bucket{${labels},le="${le}"} ${(v.ok + v.errors) * (FAST_LATENCY[i] ?? 1)}`);
            });
        }
        return `${lines.join("\n")}\n`;
    }

    async start(): Promise<void> {
        this.server = createServer((_req, res) => {
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
            res.end(this.scrape());
        });
        await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
        this.url = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    stop(): Promise<void> {
        return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
    }
}

function writeStackConfig(project: TempProject, prometheusUrl: string, canaryTag: string): void {
    const service = {
        name: SERVICE,
        namespace: "dev-gray",
        stableImage: `${IMAGE}:1.4.0`,
        canaryImage: `${IMAGE}:${canaryTag}`,
        progression: {
            steps: [5, 10, 25, 50, 100],
            minIntervalBetweenSteps: SCHEDULED_INTERVAL,
            analysis: { prometheusUrl, window: WINDOW, minRequestCount: 50, timeout: "5s" },
        },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
    const config = { config: { "gray-release:environment": "dev", "gray-release:services": [service] } };
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function canaryWeight(project: TempProject): number | undefined {
    try {
        return splitWeights(project.renderedDir(STACK), SERVICE)["canary"] ?? 0;
    } catch {
        return undefined;
    }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, pollMs = 100): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (cond()) return Date.now();
        await sleep(pollMs);
    }
    throw new Error(`timed out waiting for ${what}`);
}

function medianOf(values: ReadonlyArray<number>): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
    const checkMs = parseDuration(CHECK_INTERVAL)!;
    const exporter = new Exporter();
    await exporter.start();
    exporter.add("1.4.0", 50);
    const prometheus = await startPrometheus({
        scrapeConfigs: [{ job_name: "istio", scrape_interval: SCRAPE_INTERVAL, static_configs: [{ targets: [exporter.url] }] }],
    });
    const project = createTempProject("gray-release-bench-");
    await project.stack(STACK);
    const latencies: number[] = [];
    const detections: number[] = [];
    try {
        for (let run = 1; run <= RUNS; run++) {
            const tag = `1.5.${run}`;
            const canary = exporter.add(tag, 20);
            writeStackConfig(project, prometheus.url, tag);
            let log = "";
            let decidedAt: number | undefined;
            const driver = new ReleaseDriver({
                stack: STACK,
                projectDir: project.dir,
                checkIntervalMs: checkMs,
                maxDurationMs: 15 * 60 * 1000,
                once: false,
                envVars: project.env,
                output: {
                    tty: false,
                    write: (t) => {
                        if (decidedAt === undefined && /pulumi up \(rollback\)/.test(t)) decidedAt = Date.now();
                        log += t;
                    },
                },
            });
            const done = driver.run();
            // The driver starts the canary at its first step (5 %).
            await waitFor("the canary at 5 %", () => canaryWeight(project) === 5, 5 * 60 * 1000);
            // A healthy stretch (the window fills), then the jump at a random instant relative to the driver's checks.
            canary.badAt = Date.now() + parseDuration(WINDOW)! + Math.random() * checkMs;
            await waitFor("the first bad sample", () => canary.firstBadServedAt !== undefined, 10 * 60 * 1000);
            const rolledBackAt = await waitFor("canary weight 0", () => canaryWeight(project) === 0, 10 * 60 * 1000);
            const latency = rolledBackAt - canary.firstBadServedAt!;
            latencies.push(latency);
            const detection = (decidedAt ?? rolledBackAt) - canary.firstBadServedAt!;
            detections.push(detection);
            const status = await done;
            console.log(
                `run ${run}: first bad sample → canary weight 0 in the rendered VirtualService: ${s(latency)} ` +
                    `(the driver's check decided the rollback after ${s(detection)}, the update took ${s(latency - detection)}; driver exit ${status})`,
            );
            if (status !== 3) console.log(log);
            canary.rps = 0;
        }
    } finally {
        project.dispose();
        await prometheus.stop();
        await exporter.stop();
    }
    const median = medianOf(latencies);
    const worst = Math.max(...latencies);
    const scheduled = parseDuration(SCHEDULED_INTERVAL)!;
    console.log(
        `\nrollback latency with the driver (check every ${CHECK_INTERVAL}, scrape every ${SCRAPE_INTERVAL}, analysis window ${WINDOW}, ${RUNS} runs): ` +
            `median ${s(median)}, worst ${s(worst)} (target: median ≤ 30 s); of which the check deciding the rollback: median ${s(medianOf(detections))}, ` +
            `worst ${s(Math.max(...detections))}; the rest is the pulumi up applying it`,
    );
    console.log(
        `without the driver (a pulumi up every minIntervalBetweenSteps = ${SCHEDULED_INTERVAL}, incidents uniform in time): ` +
            `mean = ${SCHEDULED_INTERVAL}/2 + one update ≈ ${s(scheduled / 2 + median)}, worst = ${SCHEDULED_INTERVAL} + one update ≈ ${s(scheduled + worst)} ` +
            `(formula: wait until the next scheduled update, uniform on [0, interval], plus the detection and update time measured above)`,
    );
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
