/**
 * A flag rollout end to end with the real Pulumi engine, the real program and a real Prometheus, the rendered flag
 * file judged by flagd's own evaluation engine (@openfeature/flagd-core) at every step:
 *  - healthy: requests served the rolled-out variant (`feature_flag_new_pricing="on"`) are as healthy as those
 *    served the default ("off"); successive `pulumi up`s start the rollout at 1 % of users without analysis, then
 *    advance it 5 → 25 → 50 and promote it (100 %). At each step about that share of 20 000 users get `true`, staff
 *    always do, and a user who had the variant keeps it as the share grows.
 *  - failing: a new revision of the rollout, analysed against a Prometheus where the "on" variant's requests fail
 *    10 % of the time (0.2 % for "off"), starts at 1 % and is rolled back to 0 in the next update: the flag file then
 *    serves the default to everyone, staff included.
 * The service's image canary is its stable image ("nothing to roll out"), so only the flag rollout moves.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { loadIntoFlagd } from "../../components/feature-flags";
import { createTempProject, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { configMapEntry } from "../support/rendered";

const SERVICE = "checkout";
const NAMESPACE = "dev-gray";
const IMAGE = "registry.example.com/shop/checkout:1.4.0";
const STACK = "flag-it";
const FLAG = "new-pricing";
const RELEASE = `${SERVICE}/flag/${FLAG}`;
/** The label the service exports the served variant of the flag under (flagVariantLabel of progression/flag-release.ts). */
const VARIANT_LABEL = "feature_flag_new_pricing";
const STAFF = "staff-001";
const USERS = Array.from({ length: 20000 }, (_, i) => `user-${i}`);

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    canaryImage: string;
    lastVerdict?: { verdict: string };
}

interface Outputs {
    release: Release;
    image: Release;
    state:
        | {
              weight: number;
              status: string;
              canaryImage: string;
              history: Array<{ action: string; measured: Record<string, number | null> | null }>;
          }
        | undefined;
    promotions: Array<{ image: string; at: string }> | undefined;
}

function serviceConfig(prometheusUrl: string, revision: string): Record<string, unknown> {
    return {
        name: SERVICE,
        namespace: NAMESPACE,
        // The image canary is stable itself: nothing to roll out, never analysed.
        stableImage: IMAGE,
        canaryImage: IMAGE,
        progression: {
            steps: [5, 10, 25, 50, 100],
            minIntervalBetweenSteps: "0s",
            analysis: { prometheusUrl, window: "5m", minRequestCount: 50, timeout: "5s" },
        },
        featureFlags: {
            flags: [
                {
                    key: FLAG,
                    variants: { on: true, off: false },
                    defaultVariant: "off",
                    targeting: { allowlist: { values: [STAFF], variant: "on" } },
                },
            ],
            rollouts: [{ flag: FLAG, variant: "on", revision, steps: [1, 5, 25, 50, 100], minIntervalBetweenSteps: "0s" }],
        },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
}

function writeStackConfig(project: TempProject, prometheusUrl: string, revision: string): void {
    const config = {
        config: {
            "gray-release:environment": "dev",
            "gray-release:services": [serviceConfig(prometheusUrl, revision)],
        },
    };
    // YAML 1.1 output quotes "on" and "off", which a YAML 1.1 reader would otherwise take for booleans.
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config, { version: "1.1" }));
}

async function up(stack: Stack): Promise<Outputs> {
    const result = await stack.up({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    const output = <T>(name: string) => result.outputs[name]?.value as Record<string, T> | undefined;
    const release = output<Release>("releases")?.[RELEASE];
    const image = output<Release>("releases")?.[SERVICE];
    assert.ok(release, `the stack exports the release ${RELEASE}`);
    assert.ok(image, `the stack exports the release ${SERVICE}`);
    return {
        release,
        image,
        state: output<Outputs["state"]>("releaseStates")?.[RELEASE],
        promotions: output<Outputs["promotions"]>("promotions")?.[RELEASE],
    };
}

/** The flag as flagd serves it from the rendered ConfigMap: the users who get `true`, and whether staff do. */
function evaluateFlagFile(project: TempProject): { on: Set<string>; staff: boolean } {
    const file = configMapEntry(project.renderedDir(STACK), NAMESPACE, "feature-flags", "flags.flagd.json");
    const flagd = loadIntoFlagd(file, "rendered flag file");
    const value = (user: string) => flagd.resolveBooleanEvaluation(FLAG, false, { targetingKey: user, userId: user }).value;
    return { on: new Set(USERS.filter(value)), staff: value(STAFF) };
}

const shares: string[] = [];

/**
 * What the last analysis measured, from the rollout's state: the "on" side is the 3 rps served the variant and the
 * "off" side the 20 rps served the default, over the 5-minute window, so the analysis read the variant's requests.
 */
function assertMeasuredByVariant(out: Outputs, errorRatio: number): void {
    const measured = out.state?.history.at(-1)?.measured;
    assert.ok(measured, "the decision records what was measured");
    const near = (name: string, expected: number) => {
        const v = measured[name];
        assert.ok(typeof v === "number" && Math.abs(v - expected) <= expected * 0.05, `${name} is ${v}, expected about ${expected}`);
    };
    near("canaryRequests", 3 * 300);
    near("stableRequests", 20 * 300);
    near("canaryErrorRate", errorRatio);
    near("stableErrorRate", 0.002);
}

/** Asserts about `percent` % of users get the variant, staff too, and everyone in `before` still does. */
function assertShare(project: TempProject, percent: number, before: ReadonlySet<string> = new Set()): Set<string> {
    const { on, staff } = evaluateFlagFile(project);
    const measured = (on.size / USERS.length) * 100;
    shares.push(`${percent}%: ${measured.toFixed(2)}% of ${USERS.length} users`);
    assert.ok(Math.abs(measured - percent) <= Math.max(0.3, percent * 0.1), `${percent}% decided, ${measured.toFixed(2)}% of users get the variant`);
    assert.equal(staff, true, `${STAFF} is on the allowlist`);
    for (const user of before) assert.ok(on.has(user), `${user} had the variant at a lower share and lost it at ${percent}%`);
    return on;
}

describe("real engine + real Prometheus + flagd's engine: a flag rollout, one step per pulumi up", function () {
    this.timeout(20 * 60 * 1000);
    let healthy: RunningPrometheus;
    let failing: RunningPrometheus;
    let project: TempProject;

    before(async () => {
        // Traffic from two hours ago to half an hour ahead: the analysis at "now" sees a full window all test long.
        const end = Math.floor(Date.now() / 1000) + 1800;
        const start = end - 7200;
        const traffic = (variant: string, rps: number, errorRatio: number) =>
            istioSeries({ service: SERVICE, version: "1.4.0", rps, errorRatio: () => errorRatio, labels: { [VARIANT_LABEL]: variant } }, start, end);
        [healthy, failing] = await Promise.all([
            startBackfilledPrometheus([...traffic("off", 20, 0.002), ...traffic("on", 3, 0.002)]),
            // The new code path failing 10 % of the requests it serves.
            startBackfilledPrometheus([...traffic("off", 20, 0.002), ...traffic("on", 3, 0.1)]),
        ]);
        project = createTempProject();
    });

    after(async () => {
        project?.dispose();
        await Promise.all([healthy?.stop(), failing?.stop()]);
        if (shares.length > 0) console.log(`      measured shares: ${shares.join("; ")}`);
    });

    it("walks a healthy rollout 1 → 5 → 25 → 50 → 100 % of users, then rolls a failing revision back to nobody in one update", async () => {
        writeStackConfig(project, healthy.url, "1");
        const stack = await project.stack(STACK);

        let out = await up(stack);
        assert.equal(out.image.status, "promoted", "the image canary is stable itself");
        assert.equal(out.image.action, "none");
        assert.equal(out.image.lastVerdict, undefined, "the image canary is never analysed");
        assert.equal(out.release.action, "start");
        assert.equal(out.release.status, "progressing");
        assert.equal(out.release.weight, 1);
        assert.equal(out.release.lastVerdict, undefined, "the first step needs no analysis");
        assert.equal(out.release.canaryImage, "flag:new-pricing=on@1");
        assert.ok(out.state, "releaseStates holds the rollout's state");
        assert.equal(out.state.weight, 1);
        let reached = assertShare(project, 1);

        for (const weight of [5, 25, 50]) {
            out = await up(stack);
            assert.equal(out.release.lastVerdict?.verdict, "pass", out.release.reason);
            assert.equal(out.release.action, "advance", out.release.reason);
            assert.equal(out.release.status, "progressing");
            assert.equal(out.release.weight, weight);
            assert.equal(out.state?.weight, weight);
            assertMeasuredByVariant(out, 0.002);
            reached = assertShare(project, weight, reached);
        }

        out = await up(stack);
        assert.equal(out.release.lastVerdict?.verdict, "pass", out.release.reason);
        assert.equal(out.release.action, "promote", out.release.reason);
        assert.equal(out.release.status, "promoted");
        assert.equal(out.state?.status, "promoted");
        assert.equal(out.state?.weight, 100);
        assert.deepEqual(
            out.promotions?.map((p) => p.image),
            ["flag:new-pricing=on@1"],
            "promotions lists the rolled-out variant",
        );
        reached = assertShare(project, 100, reached);
        assert.equal(reached.size, USERS.length, "everyone gets the variant once promoted");
        assert.equal(out.image.status, "promoted");
        assert.equal(out.image.lastVerdict, undefined, "the image canary is never analysed");

        // A new revision of the rollout, analysed against traffic where the variant fails 10 % of its requests.
        writeStackConfig(project, failing.url, "2");
        out = await up(stack);
        assert.equal(out.release.action, "start", out.release.reason);
        assert.equal(out.release.weight, 1);
        assert.equal(out.release.canaryImage, "flag:new-pricing=on@2");
        assertShare(project, 1);

        out = await up(stack);
        assert.equal(out.release.lastVerdict?.verdict, "fail", out.release.reason);
        assert.equal(out.release.action, "rollback");
        assert.equal(out.release.status, "rolledBack");
        assert.equal(out.release.weight, 0);
        assert.equal(out.state?.status, "rolledBack");
        assert.equal(out.state?.weight, 0);
        assert.match(out.release.reason, /error/i, "the outputs say why");
        assertMeasuredByVariant(out, 0.1);
        let served = evaluateFlagFile(project);
        shares.push(`rolled back: ${((served.on.size / USERS.length) * 100).toFixed(2)}% of users, staff ${served.staff}`);
        assert.equal(served.on.size, 0, "no user gets the rolled-back variant");
        assert.equal(served.staff, false, "staff neither: the rolled-back variant is served to nobody");
        assert.deepEqual(
            out.promotions?.map((p) => p.image),
            ["flag:new-pricing=on@1"],
            "the earlier promotion is still listed, the rolled-back revision is not",
        );

        // A rolled-back rollout does not move again until its revision changes.
        out = await up(stack);
        assert.equal(out.release.action, "none");
        assert.equal(out.release.status, "rolledBack");
        assert.equal(out.release.weight, 0);
        served = evaluateFlagFile(project);
        assert.equal(served.on.size, 0);
        assert.equal(served.staff, false);
    });
});
