/**
 * The Alertmanager side of `gray-release serve-webhook`, with Debian's prometheus-alertmanager package (amtool and
 * the Alertmanager server, installed by scripts/test.sh and .ci/run): the documented config
 * (docs/examples/alertmanager.yml) passes `amtool check-config`, routes the canary P1 alert to the driver (and to
 * the on-call), and a real Alertmanager running it delivers a firing canary alert to the receiver, which triggers
 * the service's update.
 */

import { strict as assert } from "node:assert";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { parse, stringify } from "yaml";
import { ALERT_NAMES } from "../../components/slo-rules/generator";
import { type AlertmanagerAlert, serveWebhook } from "../../release/webhook";
import { freePort } from "../support/free-port";
import { makeTempDir } from "../support/prometheus";

const CONFIG = join(__dirname, "..", "..", "docs", "examples", "alertmanager.yml");

function requireBinary(bin: string): string {
    for (const dir of (process.env["PATH"] ?? "").split(delimiter).concat(["/usr/bin"])) {
        if (dir !== "" && existsSync(join(dir, bin))) return join(dir, bin);
    }
    throw new Error(`${bin} is not installed: install Debian's "prometheus-alertmanager" package (it provides amtool and prometheus-alertmanager)`);
}

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        execFile(bin, args, (err, stdout, stderr) =>
            resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, out: stdout + stderr }),
        );
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("serve-webhook with a real Alertmanager (docs/examples/alertmanager.yml)", function () {
    this.timeout(60000);

    it("amtool check-config accepts the documented config", async function () {
        const r = await run(requireBinary("amtool"), ["check-config", CONFIG]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /SUCCESS/);
    });

    it("routes the canary P1 alert to the driver and the on-call, other pages to the on-call only", async function () {
        const amtool = requireBinary("amtool");
        const canary = await run(amtool, [
            "config",
            "routes",
            "test",
            `--config.file=${CONFIG}`,
            "--verify.receivers=gray-release-driver,oncall",
            `alertname=${ALERT_NAMES.canaryP1}`,
            "service=checkout",
            "severity=page",
            "priority=P1",
        ]);
        assert.equal(canary.code, 0, canary.out);
        const burn = await run(amtool, [
            "config",
            "routes",
            "test",
            `--config.file=${CONFIG}`,
            "--verify.receivers=oncall",
            `alertname=${ALERT_NAMES.burn}`,
            "service=checkout",
            "severity=page",
        ]);
        assert.equal(burn.code, 0, burn.out);
    });

    it("a firing canary alert sent through Alertmanager triggers the service's update", async function () {
        const bin = requireBinary("prometheus-alertmanager");
        const dir = makeTempDir("alertmanager-");
        const token = "test-token-0123456789";
        const triggered: Array<{ service: string; alert: AlertmanagerAlert }> = [];
        const logs: string[] = [];
        const receiver = await serveWebhook({
            port: 0,
            token,
            onTrigger: (service, alert) => void triggered.push({ service, alert }),
            log: (l) => logs.push(l),
        });
        let child: ChildProcess | undefined;
        let output = "";
        try {
            // The documented config, pointed at this receiver and a token file of the test.
            const config = parse(readFileSync(CONFIG, "utf8"));
            const webhook = config.receivers.find((r: { name: string }) => r.name === "gray-release-driver").webhook_configs[0];
            webhook.url = receiver.url;
            writeFileSync(join(dir, "token"), token);
            webhook.http_config.authorization.credentials_file = join(dir, "token");
            writeFileSync(join(dir, "alertmanager.yml"), stringify(config));
            const port = await freePort();
            child = spawn(
                bin,
                [
                    `--config.file=${join(dir, "alertmanager.yml")}`,
                    `--storage.path=${join(dir, "data")}`,
                    `--web.listen-address=127.0.0.1:${port}`,
                    "--cluster.listen-address=",
                ],
                { stdio: ["ignore", "pipe", "pipe"] },
            );
            child.stdout?.on("data", (d) => {
                output += d;
            });
            child.stderr?.on("data", (d) => {
                output += d;
            });
            const base = `http://127.0.0.1:${port}`;
            for (let i = 0; ; i++) {
                const ok = await fetch(`${base}/-/ready`).then(
                    (r) => r.ok,
                    () => false,
                );
                if (ok) break;
                if (i > 100 || child.exitCode !== null) throw new Error(`Alertmanager did not start:\n${output}`);
                await sleep(100);
            }
            // What Prometheus sends when the rule of SloRules fires.
            const alerts = [
                {
                    labels: { alertname: ALERT_NAMES.canaryP1, service: "checkout", severity: "page", priority: "P1" },
                    annotations: { summary: "checkout: canary error rate exceeds stable by 12.5%" },
                    startsAt: new Date().toISOString(),
                    generatorURL: "http://prometheus:9090/graph",
                },
                {
                    labels: { alertname: ALERT_NAMES.burn, service: "cart", severity: "page", slo: "availability" },
                    startsAt: new Date().toISOString(),
                },
            ];
            const posted = await fetch(`${base}/api/v2/alerts`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(alerts),
            });
            assert.equal(posted.status, 200, await posted.text());
            for (let i = 0; triggered.length === 0; i++) {
                if (i > 200) throw new Error(`no trigger within 20 s\nreceiver:\n${logs.join("\n")}\nalertmanager:\n${output}`);
                await sleep(100);
            }
            assert.equal(triggered.length, 1);
            assert.equal(triggered[0]!.service, "checkout");
            assert.equal(triggered[0]!.alert.status, "firing");
            assert.equal(triggered[0]!.alert.labels["priority"], "P1");
            assert.match(triggered[0]!.alert.fingerprint ?? "", /^[0-9a-f]{16}$/);
            assert.ok(!logs.some((l) => /refused/.test(l)), logs.join("\n"));
        } finally {
            if (child && child.exitCode === null) {
                const exited = new Promise((r) => child!.once("exit", r));
                child.kill("SIGTERM");
                await Promise.race([exited, sleep(5000)]);
            }
            await receiver.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
