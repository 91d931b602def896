/**
 * The release driver end to end: `ReleaseDriver` over a throwaway copy of the project (real engine, render mode) and a
 * real Prometheus. In order, on one stack:
 *  - the policy pack (the repo's own, served by the real engine) refuses a driven update: exit 5, nothing rendered;
 *  - with a short check interval it walks a healthy canary to promotion without anyone running `pulumi up` (exit 0),
 *    and rolls a bad one back at its first check (exit 3); the rendered VirtualService follows;
 *  - `gray-release serve-webhook` as a user runs it (bin/gray-release.js in its own process): a firing canary alert
 *    in Alertmanager's webhook payload rolls a bad canary back at once, and SIGINT stops the receiver with status 0.
 */

import { strict as assert } from "node:assert";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { ALERT_NAMES } from "../../components/slo-rules/generator";
import { ReleaseDriver } from "../../release/driver";
import type { ReleaseEvent } from "../../release/events";
import { EXIT } from "../../release/schedule";
import { createTempProject, type TempProject } from "../support/engine";
import { freePort } from "../support/free-port";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { splitWeights } from "../support/rendered";

const SERVICE = "checkout";
const IMAGE = "registry.example.com/shop/checkout";
const STACK = "driver-it";
const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** A Saturday: outside every release window. */
const SATURDAY = "2026-11-28T11:00:00Z";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
            ...istioSeries({ service: SERVICE, version: "1.7.0", rps: 10, errorRatio: () => 0.127 }, start, end),
        ]);
        project = createTempProject();
        await project.stack(STACK);
    });

    after(async () => {
        project?.dispose();
        await prometheus?.stop();
    });

    const drive = async (pack?: { dir: string; config: string }): Promise<{ status: number; events: ReleaseEvent[]; lines: string }> => {
        const events: ReleaseEvent[] = [];
        let lines = "";
        const driver = new ReleaseDriver({
            stack: STACK,
            projectDir: project.dir,
            checkIntervalMs: 1000,
            maxDurationMs: 5 * 60 * 1000,
            once: false,
            envVars: project.env,
            ...(pack ? { policyPacks: [pack.dir], policyPackConfigs: [pack.config] } : {}),
            output: { tty: false, write: (t) => (lines += t) },
            sinks: [{ name: "test", notify: (e) => events.push(e), flush: async () => undefined }],
        });
        return { status: await driver.run(), events, lines };
    };

    it("stops with exit 5 when the policy pack refuses the driven update, and the refused update changes nothing", async () => {
        writeStackConfig(project, prometheus.url, "1.4.0", "1.5.0");
        // The pack's release window made binding in dev, on a Saturday; the program itself does not hold in dev.
        const config = path.join(project.dir, "policy-config-saturday.json");
        fs.writeFileSync(config, JSON.stringify({ "release-window": { environments: { dev: "mandatory" }, now: SATURDAY } }));
        const refused = await drive({ dir: path.join(project.dir, "policies"), config });
        assert.equal(refused.status, EXIT.refused, refused.lines);
        const event = refused.events.find((e) => e.kind === "refused");
        assert.ok(event && "message" in event, refused.lines);
        assert.match(event.message, /release-window/);
        assert.match(
            event.message,
            /new canary registry\.example\.com\/shop\/checkout:1\.5\.0 of 'checkout' \(0% → 50%\) outside the release window/,
        );
        assert.ok(!refused.events.some((e) => e.kind === "start"), "no start was announced for a refused update");
        assert.equal(fs.existsSync(project.renderedDir(STACK)), false, "a refused update renders nothing");
    });

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

    it("serve-webhook (the CLI, in its own process): a firing canary alert rolls the canary back at once", async () => {
        // A canary that will turn out bad, started at 50 % by an ordinary update.
        writeStackConfig(project, prometheus.url, "1.5.0", "1.7.0");
        const stack = await project.stack(STACK);
        const up = await stack.up({ onOutput: () => undefined });
        assert.equal(up.summary.result, "succeeded");
        assert.deepEqual(splitWeights(project.renderedDir(STACK), SERVICE), { stable: 50, canary: 50 });

        const port = await freePort();
        const token = "webhook-token-0123456789";
        const child: ChildProcess = spawn(
            process.execPath,
            [path.join(REPO_ROOT, "bin", "gray-release.js"), "serve-webhook", STACK, "--project-dir", project.dir, "--port", String(port)],
            { env: { ...process.env, ...project.env, GRAY_RELEASE_WEBHOOK_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] },
        );
        let output = "";
        child.stdout?.on("data", (d) => (output += d));
        child.stderr?.on("data", (d) => (output += d));
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        try {
            for (let i = 0; !output.includes("listening on"); i++) {
                if (i > 600 || child.exitCode !== null) throw new Error(`serve-webhook did not start:\n${output}`);
                await sleep(100);
            }
            // Alertmanager's webhook payload (version 4) for the canary P1 alert of SloRules.
            const payload = {
                version: "4",
                status: "firing",
                receiver: "gray-release-driver",
                groupLabels: { alertname: ALERT_NAMES.canaryP1 },
                alerts: [
                    {
                        status: "firing",
                        labels: { alertname: ALERT_NAMES.canaryP1, service: SERVICE, severity: "page", priority: "P1" },
                        annotations: { summary: "checkout: canary error rate exceeds stable" },
                        startsAt: new Date().toISOString(),
                        fingerprint: "0123456789abcdef",
                    },
                ],
            };
            const post = (auth: string) =>
                fetch(`http://127.0.0.1:${port}/`, {
                    method: "POST",
                    headers: { "content-type": "application/json", authorization: auth },
                    body: JSON.stringify(payload),
                });
            assert.equal((await post("Bearer wrong")).status, 401, "the token is required");
            const answer = await post(`Bearer ${token}`);
            assert.equal(answer.status, 200, await answer.text());
            for (let i = 0; !/alert for checkout: done/.test(output); i++) {
                if (i > 3000 || child.exitCode !== null) throw new Error(`no update after the alert within 5 min:\n${output}`);
                await sleep(100);
            }
            assert.match(output, /alert for checkout: done \(exit status 3\)/, output);
            assert.match(output, /checkout ROLLBACK 50% → 0%/, output);
            assert.deepEqual(splitWeights(project.renderedDir(STACK), SERVICE), { stable: 100 }, "all traffic back on stable");
            child.kill("SIGINT");
            assert.equal(await exited, 0, output);
        } finally {
            if (child.exitCode === null) {
                child.kill("SIGKILL");
                await exited;
            }
        }
    });
});
