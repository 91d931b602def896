/**
 * The release driver end to end: `ReleaseDriver` over a throwaway copy of the project (real engine, render mode) and a
 * real Prometheus. With a short check interval it walks a healthy canary to promotion without anyone running
 * `pulumi up` (exit 0), and rolls a bad one back at its first check (exit 3); the rendered VirtualService follows.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { ReleaseDriver } from "../../release/driver";
import type { ReleaseEvent } from "../../release/events";
import { EXIT } from "../../release/schedule";
import { createTempProject, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { splitWeights } from "../support/rendered";

const SERVICE = "checkout";
const IMAGE = "registry.example.com/shop/checkout";
const STACK = "driver-it";

function writeStackConfig(project: TempProject, prometheusUrl: string, stableTag: string, canaryTag: string): void {
    const service = {
        name: SERVICE,
        namespace: "dev-gray",
        stableImage: `${IMAGE}:${stableTag}`,
        canaryImage: `${IMAGE}:${canaryTag}`,
        progression: {
            steps: [50, 100],
            minIntervalBetweenSteps: "0s",
            analysis: { prometheusUrl, window: "5m", minRequestCount: 50, timeout: "5s" },
        },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
    const config = { config: { "gray-release:environment": "dev", "gray-release:services": [service] } };
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config));
}

describe("release driver: real engine + real Prometheus", function () {
    this.timeout(20 * 60 * 1000);
    let prometheus: RunningPrometheus;
    let project: TempProject;

    before(async () => {
        const end = Math.floor(Date.now() / 1000) + 1800;
        const start = end - 7200;
        prometheus = await startBackfilledPrometheus([
            ...istioSeries({ service: SERVICE, version: "1.4.0", rps: 20, errorRatio: () => 0.002 }, start, end),
            ...istioSeries({ service: SERVICE, version: "1.5.0", rps: 10, errorRatio: () => 0.002 }, start, end),
            // The brief's incident: a canary failing 12.7 % of requests instead of 0.2 %.
            ...istioSeries({ service: SERVICE, version: "1.6.0", rps: 10, errorRatio: () => 0.127 }, start, end),
        ]);
        project = createTempProject();
        await project.stack(STACK);
    });

    after(async () => {
        project?.dispose();
        await prometheus?.stop();
    });

    const drive = async (): Promise<{ status: number; events: ReleaseEvent[]; lines: string }> => {
        const events: ReleaseEvent[] = [];
        let lines = "";
        const driver = new ReleaseDriver({
            stack: STACK,
            projectDir: project.dir,
            checkIntervalMs: 1000,
            maxDurationMs: 5 * 60 * 1000,
            once: false,
            envVars: project.env,
            output: { tty: false, write: (t) => (lines += t) },
            sinks: [{ name: "test", notify: (e) => events.push(e), flush: async () => undefined }],
        });
        return { status: await driver.run(), events, lines };
    };

    it("advances a healthy canary to promotion by itself (exit 0), then rolls a bad one back (exit 3)", async () => {
        writeStackConfig(project, prometheus.url, "1.4.0", "1.5.0");
        const good = await drive();
        assert.equal(good.status, EXIT.ok, good.lines);
        const kinds = good.events.flatMap((e) => ("service" in e ? [`${e.kind} ${e.fromWeight}→${e.toWeight}`] : []));
        assert.deepEqual(kinds, ["start 0→50", "promote 50→100"], good.lines);
        assert.deepEqual(splitWeights(project.renderedDir(STACK), SERVICE), { stable: 100 }, "the promoted canary is stable");
        assert.match(good.lines, /checkout PROMOTE 50% → 100%/);

        // The next release, against what runs now: bad.
        writeStackConfig(project, prometheus.url, "1.5.0", "1.6.0");
        const bad = await drive();
        assert.equal(bad.status, EXIT.rolledBack, bad.lines);
        const rollback = bad.events.find((e) => e.kind === "rollback");
        assert.ok(rollback && "service" in rollback, bad.lines);
        assert.equal(rollback.fromWeight, 50);
        assert.equal(rollback.toWeight, 0);
        assert.equal(rollback.verdict, "fail");
        assert.ok(
            rollback.checks.some((c) => c.outcome === "fail" && c.measured !== null && c.threshold !== undefined),
            JSON.stringify(rollback.checks),
        );
        assert.deepEqual(splitWeights(project.renderedDir(STACK), SERVICE), { stable: 100 }, "all traffic back on stable");
        assert.equal(bad.events.at(-1)?.kind, "finished");
    });
});
