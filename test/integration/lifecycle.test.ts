/**
 * The whole lifecycle across environments with the real engine, the policy pack and real Prometheus servers:
 * platform and services stacks of dev, staging and prod, a canary walked to promotion in each environment in
 * order, a version that is bad only in prod rolled back, release windows, and a broken config refused. After
 * every refused update the rendered manifests are checked to be exactly what they were.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { createTempProject, readRendered, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import { renderedKinds, splitWeights } from "../support/rendered";

const SERVICE = "checkout";
const DIGEST_16 = "6".repeat(64);

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    stableImage: string;
    canaryImage: string;
    lastVerdict?: { verdict: string };
}

/** Two hours of Istio metrics before now and one after: stable 1.4.0, canary 1.5.0, and 1.6.0 as given. */
function traffic(version16ErrorRatio: number) {
    const end = Math.floor(Date.now() / 1000) + 3600; // the whole test runs inside the data
    const start = end - 3 * 3600;
    const ok = () => 0.002;
    return [
        ...istioSeries({ service: SERVICE, version: "1.4.0", rps: 20, errorRatio: ok }, start, end),
        ...istioSeries({ service: SERVICE, version: "1.5.0", rps: 3, errorRatio: ok }, start, end),
        ...istioSeries({ service: SERVICE, version: "1.6.0", rps: 3, errorRatio: () => version16ErrorRatio }, start, end),
    ];
}

type StackConfigFile = { config: Record<string, unknown>; encryptionsalt?: string };

function configPath(project: TempProject, stack: string): string {
    return path.join(project.dir, "stacks", `Pulumi.${stack}.yaml`);
}

function readConfig(project: TempProject, stack: string): StackConfigFile {
    return parse(fs.readFileSync(configPath(project, stack), "utf8")) as StackConfigFile;
}

/** Edits the first service of a services stack's config file in the temp copy. */
function editService(project: TempProject, stack: string, edit: (svc: Record<string, unknown>) => void): void {
    const file = readConfig(project, stack);
    const services = file.config["gray-release:services"] as Array<Record<string, unknown>>;
    edit(services[0]!);
    fs.writeFileSync(configPath(project, stack), stringify(file));
}

function pointAt(project: TempProject, stack: string, prometheusUrl: string): void {
    editService(project, stack, (svc) => {
        const progression = (svc["progression"] ?? {}) as Record<string, unknown>;
        progression["minIntervalBetweenSteps"] = "0s";
        progression["analysis"] = { ...(progression["analysis"] as object), prometheusUrl, minRequestCount: 50 };
        svc["progression"] = progression;
    });
}

function setCanary(project: TempProject, stack: string, tag: string, controls?: Record<string, boolean>): void {
    editService(project, stack, (svc) => {
        const image = String(svc["canaryImage"]).split("@")[0]!;
        const repo = image.slice(0, image.lastIndexOf(":"));
        svc["canaryImage"] = stack === "dev" ? `${repo}:${tag}` : `${repo}:${tag}@sha256:${DIGEST_16}`;
        const progression = svc["progression"] as Record<string, unknown>;
        if (controls) progression["controls"] = controls;
        else delete progression["controls"];
    });
}

/** Points stableImage at a version already released (its digest as the sample stacks write it). */
function setStable(project: TempProject, stack: string, tag: string): void {
    editService(project, stack, (svc) => {
        const image = String(svc["stableImage"]).split("@")[0]!;
        const repo = image.slice(0, image.lastIndexOf(":"));
        const digest = tag === "1.5.0" ? "1".repeat(64) : tag === "1.4.0" ? "4".repeat(64) : DIGEST_16;
        svc["stableImage"] = stack === "dev" ? `${repo}:${tag}` : `${repo}:${tag}@sha256:${digest}`;
    });
}

/** The instant the program's release window sees in every service of a services stack: the one the pack sees. */
function setWindowNow(project: TempProject, stack: string, now: string): void {
    const file = readConfig(project, stack);
    const services = file.config["gray-release:services"] as Array<Record<string, unknown>> | undefined;
    if (services === undefined) return;
    for (const svc of services) {
        const progression = (svc["progression"] ?? {}) as Record<string, unknown>;
        progression["releaseWindow"] = { ...(progression["releaseWindow"] as object), now };
        svc["progression"] = progression;
    }
    fs.writeFileSync(configPath(project, stack), stringify(file));
}

function policyConfig(project: TempProject, now: string): string {
    const file = path.join(project.dir, `policy-config-${now.replace(/[:.]/g, "")}.json`);
    fs.writeFileSync(file, JSON.stringify({ "release-window": { now } }));
    return file;
}

const INSIDE = "2026-11-25T10:00:00Z"; // a Wednesday, 10:00 UTC
const OUTSIDE = "2026-11-28T10:00:00Z"; // a Saturday

const weights = (project: TempProject, stack: string) => splitWeights(project.renderedDir(stack), SERVICE);

function snapshot(project: TempProject, stack: string): string {
    return JSON.stringify([...readRendered(project.renderedDir(stack)).entries()].sort());
}

describe("real engine: the whole lifecycle across dev, staging and prod", function () {
    this.timeout(45 * 60 * 1000);
    let healthyEverywhere: RunningPrometheus;
    let badInProd: RunningPrometheus;
    let project: TempProject;
    const stacks = new Map<string, Stack>();

    const stack = async (name: string): Promise<Stack> => {
        const existing = stacks.get(name);
        if (existing) return existing;
        const s = await project.stack(name);
        stacks.set(name, s);
        return s;
    };

    const up = async (name: string, now = INSIDE): Promise<Release | undefined> => {
        const s = await stack(name);
        setWindowNow(project, name, now);
        const result = await s.up({
            onOutput: () => undefined,
            policyPacks: [path.join(project.dir, "policies")],
            policyPackConfigs: [policyConfig(project, now)],
        });
        assert.equal(result.summary.result, "succeeded");
        return (result.outputs["releases"]?.value as Record<string, Release> | undefined)?.[SERVICE];
    };

    /** An update that must be refused: returns the error text; asserts the rendered manifests did not change. */
    const refused = async (name: string, now = INSIDE): Promise<string> => {
        const before = snapshot(project, name);
        let message = "";
        try {
            await up(name, now);
        } catch (err) {
            message = err instanceof Error ? err.message : String(err);
        }
        assert.notEqual(message, "", `the update of ${name} must be refused`);
        assert.equal(snapshot(project, name), before, "a refused update leaves the rendered manifests untouched");
        return message;
    };

    const promoteByAnalysis = async (name: string, steps: number): Promise<Release> => {
        let r = await up(name);
        assert.equal(r?.action, "start");
        for (let i = 1; i < steps; i++) {
            r = await up(name);
            assert.equal(r?.lastVerdict?.verdict, "pass", r?.reason);
        }
        assert.equal(r?.status, "promoted", r?.reason);
        return r!;
    };

    before(async () => {
        healthyEverywhere = await startBackfilledPrometheus(traffic(0.002));
        badInProd = await startBackfilledPrometheus(traffic(0.127));
        project = createTempProject();
        pointAt(project, "dev", healthyEverywhere.url);
        pointAt(project, "staging", healthyEverywhere.url);
        pointAt(project, "prod", badInProd.url);
    });

    after(async () => {
        project?.dispose();
        await healthyEverywhere?.stop();
        await badInProd?.stop();
    });

    it("1. platform dev up, service dev up: the canary is at the first step", async () => {
        await up("platform-dev");
        const kinds = renderedKinds(project.renderedDir("platform-dev"));
        for (const kind of ["Namespace", "PeerAuthentication", "NetworkPolicy", "StatefulSet", "DaemonSet"]) assert.ok(kinds.has(kind), kind);
        const r = await up("dev");
        assert.equal(r?.weight, 5);
        assert.deepEqual(weights(project, "dev"), { stable: 95, canary: 5 });
    });

    it("2. healthy updates walk dev to promotion; prod is refused before staging promoted; staging then prod follow", async () => {
        let r: Release | undefined;
        for (const weight of [10, 25, 50]) {
            r = await up("dev");
            assert.equal(r?.weight, weight, r?.reason);
            assert.deepEqual(weights(project, "dev"), { stable: 100 - weight, canary: weight });
        }
        r = await up("dev");
        assert.equal(r?.status, "promoted");
        assert.match(r?.stableImage ?? "", /:1\.5\.0$/, "the promoted canary is the new stable");
        assert.deepEqual(weights(project, "dev"), { stable: 100 }, "after promotion the canary leaves the split");

        await up("platform-prod");
        const early = await refused("prod");
        assert.match(early, /promotion-order/);

        await up("platform-staging");
        await promoteByAnalysis("staging", 5);

        // In prod: the first step; outside the release window the program holds (the pack has nothing to refuse),
        // then the rest inside it.
        r = await up("prod");
        assert.equal(r?.weight, 1);
        r = await up("prod", OUTSIDE);
        assert.equal(r?.action, "hold");
        assert.match(r?.reason ?? "", /held by the release window: Sat 2026-11-28 is not a release day/);
        assert.deepEqual(weights(project, "prod"), { stable: 99, canary: 1 });
        for (let i = 0; i < 4; i++) r = await up("prod");
        assert.equal(r?.status, "promoted", r?.reason);
        assert.deepEqual(weights(project, "prod"), { stable: 100 });
    });

    it("3. a version bad only in prod is rolled back in one update, outside the window too, and then stays put", async () => {
        // Staging knows 1.6.0 as healthy: the operator promotes it there by hand. Left at 1.4.0, stableImage would
        // put the version that 1.5.0's promotion replaced back as stable: refused, naming what runs.
        setCanary(project, "staging", "1.6.0", { promote: true });
        const downgrade = await refused("staging");
        assert.match(downgrade, /services\[0\]\.stableImage = "registry\.example\.com\/shop\/checkout:1\.4\.0@sha256:4+"/);
        assert.match(downgrade, /stable runs registry\.example\.com\/shop\/checkout:1\.5\.0@sha256:1+/);
        setStable(project, "staging", "1.5.0");
        const promoted = await up("staging");
        assert.equal(promoted?.status, "promoted", promoted?.reason);

        setCanary(project, "prod", "1.6.0");
        setStable(project, "prod", "1.5.0");
        let r = await up("prod");
        assert.match(r?.stableImage ?? "", /:1\.5\.0@/, "the new canary runs against the promoted stable");
        assert.equal(r?.action, "start");
        assert.equal(r?.weight, 1);

        // The next update finds it failing: rollback is allowed even on a Saturday.
        r = await up("prod", OUTSIDE);
        assert.equal(r?.lastVerdict?.verdict, "fail", r?.reason);
        assert.equal(r?.action, "rollback");
        assert.equal(r?.weight, 0);
        assert.equal(r?.status, "rolledBack");
        assert.match(r?.reason ?? "", /error/i, "the outputs say why");
        assert.deepEqual(weights(project, "prod"), { stable: 100 });

        r = await up("prod");
        assert.equal(r?.weight, 0);
        assert.equal(r?.status, "rolledBack");
        assert.deepEqual(weights(project, "prod"), { stable: 100 });
    });

    it("4. a broken stack config is refused with a clear error and nothing changes", async () => {
        editService(project, "prod", (svc) => {
            (svc["progression"] as Record<string, unknown>)["steps"] = [5, 3, 100];
        });
        const message = await refused("prod");
        assert.match(message, /progression|steps/);
        assert.match(message, /\[5,3,100\]|5, 3/);
    });
});
