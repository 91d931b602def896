/**
 * The gate passes only what it can trust, through the real program and the real Pulumi engine (#12): a loopback
 * Prometheus API of our own answers, per service, with plausible-looking but wrong data — no stable baseline,
 * impossible values, stale data, a Thanos partial response, a canary just above its limit measured under it by
 * chance — and successive `pulumi up`s must hold every one of them at its first step, naming the measurement and
 * the value, while a healthy canary (and a first release that opts out of the comparison) advances.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { createTempProject, type TempProject } from "../support/engine";
import { answerFor, FakeMetricsServer, type ServiceAnswer } from "../support/fake-metrics";
import { splitWeights } from "../support/rendered";

const IMAGE = "registry.example.com/shop";
const STACK = "trust-it";

interface Scenario {
    /** Service name (also the Istio destination in the fake's answers). */
    readonly service: string;
    /** Route of the fake the service's analysis queries. */
    readonly route: "/ok" | "/stale" | "/partial";
    /** What the fake measures for it (the healthy values unless overridden). */
    readonly answer: ServiceAnswer;
    /** Extra `progression.analysis` keys. */
    readonly analysis?: Record<string, unknown>;
    /** Verdict of the first analysis, and what its reason must name. */
    readonly verdict: "pass" | "inconclusive" | "error";
    readonly reason: RegExp;
}

const NO_STABLE = { stableRequests: "0", stableErrors: "0", passStableRequests: "0", passStableErrors: "0", stableDataAgeSeconds: "NaN" } as const;

const SCENARIOS: Scenario[] = [
    { service: "healthy", route: "/ok", answer: { values: {} }, verdict: "pass", reason: /all \d+ checks passed .*upper 99% bound/ },
    {
        service: "first-release",
        route: "/ok",
        answer: { values: { ...NO_STABLE, stableReplicas: "0" } },
        analysis: { baseline: "optional" },
        verdict: "pass",
        reason: /all \d+ checks passed/,
    },
    {
        service: "no-baseline",
        route: "/ok",
        answer: { values: { ...NO_STABLE, stableReplicas: "NaN" } },
        verdict: "inconclusive",
        reason: /baseline: no stable baseline: stableRequests is 0 in the window/,
    },
    {
        service: "mislabelled-stable",
        route: "/ok",
        answer: { values: { ...NO_STABLE, stableReplicas: "3" } },
        verdict: "error",
        reason: /stable has 3 available replicas but stableRequests is 0/,
    },
    {
        service: "negative-latency",
        route: "/ok",
        answer: { values: { canaryP95Ms: "-1" } },
        verdict: "error",
        reason: /canaryP95Ms is -1 ms; a latency cannot be negative/,
    },
    {
        service: "errors-over-requests",
        route: "/ok",
        answer: { values: { canaryErrors: "1500" } },
        verdict: "error",
        reason: /canaryErrors is 1500, more than canaryRequests \(1000\)/,
    },
    {
        service: "unordered-quantiles",
        route: "/ok",
        answer: { values: { canaryP95Ms: "250", canaryP99Ms: "180" } },
        verdict: "error",
        reason: /canaryP95Ms \(250 ms\) is above canaryP99Ms \(180 ms\)/,
    },
    {
        service: "outside-buckets",
        route: "/ok",
        answer: { values: { canaryP99Ms: "5000" } },
        verdict: "error",
        reason: /canaryP99Ms is 5000 ms, outside the latency histogram's bucket range 0–1000 ms/,
    },
    {
        service: "lagging-data",
        route: "/ok",
        answer: { values: { canaryDataAgeSeconds: "600" } },
        verdict: "error",
        reason: /stale data: the newest canary request sample is 600 s old \(canaryDataAgeSeconds 600 > maxSampleAge 60 s\)/,
    },
    {
        // The canary: true error rate 0.95 % (limit 0.8 %), measured 0.7 % / 0.77 % by chance; stable at 0.6 %.
        service: "just-above-limit",
        route: "/ok",
        answer: { values: { canaryErrors: "7", passCanaryErrors: "46", stableErrors: "120", passStableErrors: "720" } },
        verdict: "inconclusive",
        reason: /errorRate: 0\.7% ≤ 0\.8% but the upper 99% bound 1\.077% over 6000 requests in the pass window is above 0\.8%/,
    },
    {
        service: "frozen-source",
        route: "/stale",
        answer: { values: {} },
        verdict: "error",
        reason: /stale metrics answer: sample \w+ is stamped .*, 3600 s before the evaluation time/,
    },
    {
        service: "partial-answer",
        route: "/partial",
        answer: { values: {} },
        verdict: "error",
        reason: /partial metrics answer: the source reported 1 warning\(s\): .*context deadline exceeded.*; partial data never passes/,
    },
];

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    lastVerdict?: { verdict: string; reason: string; checks: Array<{ name: string; outcome: string; measured: number | null }> };
}

function writeStackConfig(project: TempProject, fake: FakeMetricsServer): void {
    const services = SCENARIOS.map((s) => ({
        name: s.service,
        namespace: "dev-gray",
        stableImage: `${IMAGE}/${s.service}:1.4.0`,
        canaryImage: `${IMAGE}/${s.service}:1.5.0`,
        progression: {
            steps: [5, 10, 25, 50, 100],
            minIntervalBetweenSteps: "0s",
            analysis: { prometheusUrl: fake.urlOf(s.route), window: "5m", timeout: "5s", retries: 0, ...s.analysis },
        },
        slo: { runbookUrl: `https://runbooks.example.com/${s.service}`, slos: [{ name: "availability", objective: 99.95 }] },
    }));
    const config = { config: { "gray-release:environment": "dev", "gray-release:services": services } };
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config));
}

async function up(stack: Stack): Promise<Record<string, Release>> {
    const result = await stack.up({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    return result.outputs["releases"]?.value as Record<string, Release>;
}

describe("real engine + a metrics source serving wrong data: the gate passes only what it can trust", function () {
    this.timeout(30 * 60 * 1000);
    const fake = new FakeMetricsServer();
    let project: TempProject;
    const byService = new Map(SCENARIOS.map((s) => [s.service, s]));
    const answers = (services: ReadonlyArray<string>) => Object.fromEntries(services.map((s) => [s, byService.get(s)?.answer ?? { values: {} }]));

    before(async () => {
        await fake.start();
        fake.routes.set("/ok", (q) => ({ status: 200, body: answerFor(answers(q.services), q.timeS) }));
        // A frozen or lagging source: a well-formed healthy answer, stamped an hour before the evaluation time.
        fake.routes.set("/stale", (q) => ({ status: 200, body: answerFor(answers(q.services), q.timeS, { stampAgeS: 3600 }) }));
        // Thanos Query with a store that timed out, answering what it has (as with partial_response=true).
        fake.routes.set("/partial", (q) => ({
            status: 200,
            body: answerFor(answers(q.services), q.timeS, {
                warnings: ["receive series from Addr: 10.0.3.7:10901: rpc error: code = DeadlineExceeded desc = context deadline exceeded"],
            }),
        }));
        project = createTempProject();
        writeStackConfig(project, fake);
    });

    after(async () => {
        project?.dispose();
        await fake.stop();
    });

    it("starts every canary, then advances only the ones shown healthy, holding the others with the reason", async () => {
        const stack = await project.stack(STACK);
        let releases = await up(stack);
        for (const s of SCENARIOS) {
            assert.equal(releases[s.service]?.action, "start", s.service);
            assert.equal(releases[s.service]?.weight, 5, s.service);
        }
        assert.equal(fake.requests.length, 0, "a new canary starts without analysis");

        releases = await up(stack);
        // One batched query per metrics endpoint, each asking Thanos not to answer with partial data.
        assert.deepEqual(fake.requests.map((r) => r.path).sort(), ["/ok/api/v1/query", "/partial/api/v1/query", "/stale/api/v1/query"]);
        for (const r of fake.requests) assert.equal(r.form.get("partial_response"), "false");
        const problems: string[] = [];
        for (const s of SCENARIOS) {
            const r = releases[s.service];
            const verdict = r?.lastVerdict;
            const expectedWeight = s.verdict === "pass" ? 10 : 5;
            if (verdict?.verdict !== s.verdict || !s.reason.test(verdict.reason) || r?.weight !== expectedWeight) {
                problems.push(
                    `${s.service}: expected ${s.verdict} at ${expectedWeight}% matching ${s.reason}, got ${verdict?.verdict} at ${r?.weight}%: ${verdict?.reason}`,
                );
            }
        }
        assert.deepEqual(problems, []);
        assert.deepEqual(splitWeights(project.renderedDir(STACK), "healthy"), { stable: 90, canary: 10 });
        assert.deepEqual(splitWeights(project.renderedDir(STACK), "just-above-limit"), { stable: 95, canary: 5 }, "the rendered routes follow");
        assert.equal(releases["no-baseline"]?.action, "hold");
        assert.match(releases["no-baseline"]?.reason ?? "", /^inconclusive \(1\/12 in a row\)/);
        assert.match(releases["negative-latency"]?.reason ?? "", /^analysis error 1\/3: /);
        // The records keep what was measured against what: the just-above canary's bound is in its errorRate check.
        const errorRate = releases["just-above-limit"]?.lastVerdict?.checks.find((c) => c.name === "errorRate");
        assert.deepEqual([errorRate?.outcome, errorRate?.measured], ["inconclusive", 0.007]);
    });

    it("keeps holding them on the next update, and fails the untrustworthy ones after errorsBeforeFail errors", async () => {
        const stack = await project.stack(STACK);
        let releases = await up(stack);
        assert.equal(releases["healthy"]?.weight, 25, releases["healthy"]?.reason);
        releases = await up(stack);
        for (const s of SCENARIOS) {
            const r = releases[s.service];
            if (s.verdict === "pass") assert.equal(r?.weight, 50, `${s.service}: ${r?.reason}`);
            else if (s.verdict === "inconclusive") assert.deepEqual([r?.weight, r?.status], [5, "progressing"], `${s.service}: ${r?.reason}`);
            else assert.deepEqual([r?.weight, r?.status, r?.action], [0, "failed", "rollback"], `${s.service}: ${r?.reason}`);
        }
        assert.match(releases["frozen-source"]?.reason ?? "", /analysis failed 3 times in a row \(stale metrics answer/);
    });
});
