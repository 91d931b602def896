/**
 * The canary program end to end with the real Pulumi engine and a real Prometheus: successive `pulumi up`s walk a
 * healthy canary up its steps, and a bad canary is rolled back to 0 in one update; the rendered VirtualService
 * weights follow.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { createTempProject, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { deploymentReplicas, splitWeights } from "../support/rendered";

const SERVICE = "checkout";
const IMAGE = "registry.example.com/shop/checkout";
const STACK = "canary-it";

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    lastVerdict?: { verdict: string };
}

function serviceConfig(prometheusUrl: string, canaryTag: string): Record<string, unknown> {
    return {
        name: SERVICE,
        namespace: "dev-gray",
        stableImage: `${IMAGE}:1.4.0`,
        canaryImage: `${IMAGE}:${canaryTag}`,
        progression: {
            steps: [5, 10, 25, 50, 100],
            minIntervalBetweenSteps: "0s",
            analysis: { prometheusUrl, window: "5m", minRequestCount: 50, timeout: "5s" },
        },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
}

function writeStackConfig(project: TempProject, prometheusUrl: string, canaryTag: string): void {
    const config = {
        config: {
            "gray-release:environment": "dev",
            "gray-release:services": [serviceConfig(prometheusUrl, canaryTag)],
        },
    };
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config));
}

const weights = (project: TempProject) => splitWeights(project.renderedDir(STACK), SERVICE);
const canaryReplicas = (project: TempProject) => deploymentReplicas(project.renderedDir(STACK), `${SERVICE}-canary`);

async function up(stack: Stack): Promise<Release> {
    const result = await stack.up({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    const releases = result.outputs["releases"]?.value as Record<string, Release>;
    const release = releases[SERVICE];
    assert.ok(release, "the stack exports the release of the service");
    return release;
}

describe("real engine + real Prometheus: one canary step per pulumi up", function () {
    this.timeout(20 * 60 * 1000);
    let prometheus: RunningPrometheus;
    let project: TempProject;

    before(async () => {
        // Traffic from two hours ago to half an hour ahead: the analysis at "now" sees a full window all test long.
        const end = Math.floor(Date.now() / 1000) + 1800;
        const start = end - 7200;
        const healthy = () => 0.002;
        const series = [
            ...istioSeries({ service: SERVICE, version: "1.4.0", rps: 20, errorRatio: healthy }, start, end),
            ...istioSeries({ service: SERVICE, version: "1.5.0", rps: 3, errorRatio: healthy }, start, end),
            // The brief's incident: a canary failing 12.7 % of requests instead of 0.2 %.
            ...istioSeries({ service: SERVICE, version: "1.6.0", rps: 3, errorRatio: () => 0.127 }, start, end),
        ];
        prometheus = await startBackfilledPrometheus(series);
        project = createTempProject();
    });

    after(async () => {
        project?.dispose();
        await prometheus?.stop();
    });

    it("advances a healthy canary 5 → 10 → 25 and rolls a bad one back to 0 in one update", async () => {
        writeStackConfig(project, prometheus.url, "1.5.0");
        const stack = await project.stack(STACK);

        let r = await up(stack);
        assert.equal(r.action, "start");
        assert.equal(r.weight, 5);
        assert.deepEqual(weights(project), { stable: 95, canary: 5 });
        assert.equal(canaryReplicas(project), 1);

        r = await up(stack);
        assert.equal(r.lastVerdict?.verdict, "pass", r.reason);
        assert.equal(r.action, "advance");
        assert.equal(r.weight, 10);
        assert.deepEqual(weights(project), { stable: 90, canary: 10 });

        r = await up(stack);
        assert.equal(r.weight, 25, r.reason);
        assert.deepEqual(weights(project), { stable: 75, canary: 25 });

        // A new, bad canary version: it starts at the first step, and the next update sees it fail.
        writeStackConfig(project, prometheus.url, "1.6.0");
        r = await up(stack);
        assert.equal(r.action, "start");
        assert.equal(r.weight, 5);

        r = await up(stack);
        assert.equal(r.lastVerdict?.verdict, "fail", r.reason);
        assert.equal(r.action, "rollback");
        assert.equal(r.weight, 0);
        assert.equal(r.status, "rolledBack");
        assert.match(r.reason, /error/i, "the outputs say why");
        assert.deepEqual(weights(project), { stable: 100 }, "all traffic is back on stable");
        assert.equal(canaryReplicas(project), 1, "the canary's pods stay while proxies may still hold the old routes");

        // A rolled-back rollout does not move again until the canary version changes; its pods go now.
        r = await up(stack);
        assert.equal(r.weight, 0);
        assert.equal(r.status, "rolledBack");
        assert.deepEqual(weights(project), { stable: 100 });
        assert.equal(canaryReplicas(project), 0, "the next update undoes the canary rollout");
    });
});
