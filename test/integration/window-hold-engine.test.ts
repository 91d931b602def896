/**
 * One service held by the release window and another rolled back, in the same update, with the real engine, the
 * policy pack (release-window made mandatory in staging) and a real Prometheus: the program holds what the pack
 * would refuse, so the pack has nothing to refuse and the rollback applies (issue #15's second safety gap).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { createTempProject, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { splitWeights } from "../support/rendered";

const INSIDE = "2026-11-25T10:00:00Z"; // a Wednesday, 10:00 UTC
const OUTSIDE = "2026-11-28T10:00:00Z"; // a Saturday

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    lastVerdict?: { verdict: string };
}

describe("real engine + policy pack: a service held by the release window does not block another's rollback", function () {
    this.timeout(20 * 60 * 1000);
    let prometheus: RunningPrometheus;
    let project: TempProject;
    const configFile = () => path.join(project.dir, "stacks", "Pulumi.staging.yaml");

    /** The sample staging stack with a second service, payments, whose canary 1.6.0 fails 12.7 % of requests. */
    function writeServices(now: string): void {
        const file = parse(fs.readFileSync(configFile(), "utf8")) as { config: Record<string, unknown> };
        const [checkout] = file.config["gray-release:services"] as Array<Record<string, unknown>>;
        const progression = {
            ...(checkout!["progression"] as object),
            minIntervalBetweenSteps: "0s",
            analysis: { prometheusUrl: prometheus.url, minRequestCount: 50, timeout: "5s" },
            releaseWindow: { enforce: true, now },
        };
        const payments = {
            ...checkout,
            name: "payments",
            stableImage: String(checkout!["stableImage"]).replace("/checkout:", "/payments:"),
            canaryImage: `registry.example.com/shop/payments:1.6.0@sha256:${"6".repeat(64)}`,
            release: { owner: "team-payments", riskAssessment: "https://wiki.example.com/payments/risk" },
            slo: { ...(checkout!["slo"] as object), runbookUrl: "https://runbooks.example.com/payments" },
            progression,
        };
        file.config["gray-release:services"] = [{ ...checkout, progression }, payments];
        fs.writeFileSync(configFile(), stringify(file));
    }

    function packConfig(now: string): string {
        const file = path.join(project.dir, `policy-config-${now.replace(/[^0-9]/g, "")}.json`);
        fs.writeFileSync(file, JSON.stringify({ "release-window": { now, environments: { staging: "mandatory" } } }));
        return file;
    }

    async function up(now: string): Promise<Record<string, Release>> {
        writeServices(now);
        const stack = await project.stack("staging");
        const result = await stack.up({
            onOutput: () => undefined,
            policyPacks: [path.join(project.dir, "policies")],
            policyPackConfigs: [packConfig(now)],
        });
        assert.equal(result.summary.result, "succeeded");
        return result.outputs["releases"]?.value as Record<string, Release>;
    }

    before(async () => {
        const end = Math.floor(Date.now() / 1000) + 3600;
        const start = end - 3 * 3600;
        const ok = () => 0.002;
        prometheus = await startBackfilledPrometheus([
            ...istioSeries({ service: "checkout", version: "1.4.0", rps: 20, errorRatio: ok }, start, end),
            ...istioSeries({ service: "checkout", version: "1.5.0", rps: 3, errorRatio: ok }, start, end),
            ...istioSeries({ service: "payments", version: "1.4.0", rps: 20, errorRatio: ok }, start, end),
            ...istioSeries({ service: "payments", version: "1.6.0", rps: 3, errorRatio: () => 0.127 }, start, end),
        ]);
        project = createTempProject();
        const platform = await project.stack("platform-staging");
        assert.equal((await platform.up({ onOutput: () => undefined })).summary.result, "succeeded");
    });

    after(async () => {
        project?.dispose();
        await prometheus?.stop();
    });

    it("starts both inside the window; on a Saturday holds the healthy one and rolls the failing one back", async () => {
        let r = await up(INSIDE);
        assert.equal(r["checkout"]?.action, "start");
        assert.equal(r["payments"]?.action, "start");

        r = await up(OUTSIDE);
        assert.equal(r["checkout"]?.lastVerdict?.verdict, "pass", r["checkout"]?.reason);
        assert.equal(r["checkout"]?.action, "hold");
        assert.match(r["checkout"]?.reason ?? "", /held by the release window: Sat 2026-11-28 is not a release day/);
        assert.equal(r["checkout"]?.weight, 5);
        assert.equal(r["payments"]?.lastVerdict?.verdict, "fail", r["payments"]?.reason);
        assert.equal(r["payments"]?.action, "rollback");
        assert.equal(r["payments"]?.weight, 0);
        assert.deepEqual(splitWeights(project.renderedDir("staging"), "checkout"), { stable: 95, canary: 5 });
        assert.deepEqual(splitWeights(project.renderedDir("staging"), "payments"), { stable: 100 });

        // Inside the window again, the healthy one takes its step.
        r = await up(INSIDE);
        assert.equal(r["checkout"]?.action, "advance", r["checkout"]?.reason);
        assert.equal(r["checkout"]?.weight, 10);
    });
});
