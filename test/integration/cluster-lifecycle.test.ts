/**
 * The platform-dev and dev stacks applied to a real API server (the local control plane of test/support/cluster.ts:
 * etcd, kube-apiserver, controller-manager, scheduler, kwok nodes) through a kubeconfig: the provider's real mode,
 * server-side apply and await logic on. A whole canary life, judged by a real Prometheus: start, every step, a
 * promotion, a new canary with a stale stableImage (refused) and with the promoted one, a rollback, an abort and
 * another promotion; then a shorter life whose canary pods take 20 s to become Ready, ending with a new canary on
 * the Deployment scaled to 0 by the promotion.
 *
 * A watcher samples the cluster every 200 ms the whole time. For every route of every VirtualService that can
 * carry traffic, the subset it names must select a Ready pod of the Service: it reports route-seconds without a
 * ready endpoint, and Deployments deleted or replaced. Both must be 0.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { loadIntoFlagd, type TelemetrySpec, variantTelemetrySpec } from "../../components/feature-flags";
import { startCluster } from "../support/cluster";
import { createTempProject, type TempProject } from "../support/engine";
import { istioSeries } from "../support/istio-traffic";
import { preparePlatformPrerequisites } from "../support/platform-prerequisites";
import { type RunningPrometheus, startBackfilledPrometheus } from "../support/prometheus";
import type { AuditReport } from "../support/route-audit";
import { kubeReaderFromKubeconfig, startRouteWatcher } from "../support/route-watcher";

const SERVICE = "checkout";
const NAMESPACE = "dev-gray";
const REPO = "registry.example.com/shop/checkout";

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
    stableImage: string;
    canaryImage: string;
    lastVerdict?: { verdict: string };
}

/** Istio metrics around now: every version healthy except 1.6.0 (the brief's incident: 12.7 % errors). */
function traffic() {
    const end = Math.floor(Date.now() / 1000) + 3 * 3600;
    const start = end - 5 * 3600;
    const ok = () => 0.002;
    return ["1.4.0", "1.5.0", "1.6.0", "1.7.0", "1.8.0"].flatMap((version) =>
        istioSeries({ service: SERVICE, version, rps: version === "1.4.0" ? 20 : 3, errorRatio: version === "1.6.0" ? () => 0.127 : ok }, start, end),
    );
}

type StackConfigFile = { config: Record<string, unknown>; encryptionsalt?: string };

function configFile(project: TempProject, stack: string): string {
    return path.join(project.dir, "stacks", `Pulumi.${stack}.yaml`);
}

function editService(project: TempProject, edit: (svc: Record<string, unknown>) => void): void {
    const file = parse(fs.readFileSync(configFile(project, "dev"), "utf8")) as StackConfigFile;
    const services = file.config["gray-release:services"] as Array<Record<string, unknown>>;
    edit(services[0]!);
    fs.writeFileSync(configFile(project, "dev"), stringify(file));
}

/** Sets the images (by tag) and the manual controls of the dev service. */
function release(project: TempProject, images: { stable?: string; canary?: string }, controls?: Record<string, boolean>): void {
    editService(project, (svc) => {
        if (images.stable !== undefined) svc["stableImage"] = `${REPO}:${images.stable}`;
        if (images.canary !== undefined) svc["canaryImage"] = `${REPO}:${images.canary}`;
        const progression = svc["progression"] as Record<string, unknown>;
        if (controls) progression["controls"] = controls;
        else delete progression["controls"];
    });
}

function pointAt(project: TempProject, prometheusUrl: string): void {
    editService(project, (svc) => {
        const progression = svc["progression"] as Record<string, unknown>;
        progression["minIntervalBetweenSteps"] = "0s";
        progression["analysis"] = { ...(progression["analysis"] as object), prometheusUrl, minRequestCount: 50 };
        // Three stable pods: the canary's replicas follow its share of traffic against them.
        svc["workload"] = { stableReplicas: 3 };
    });
}

interface DeploymentStatus {
    spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: { containers: Array<{ image: string }> } } };
    status?: { readyReplicas?: number };
}

async function canaryLife(
    opts: { readinessDelaySeconds: number; prometheus: RunningPrometheus },
    life: (h: LifeHarness) => Promise<void>,
): Promise<AuditReport> {
    const cluster = await startCluster({ readinessDelaySeconds: opts.readinessDelaySeconds });
    const project = createTempProject("gray-release-cluster-");
    const reader = kubeReaderFromKubeconfig(cluster.kubeconfig);
    try {
        await preparePlatformPrerequisites(cluster);
        pointAt(project, opts.prometheus.url);
        const stacks = new Map<string, Stack>();
        const stack = async (name: string): Promise<Stack> => {
            let s = stacks.get(name);
            if (s === undefined) {
                s = await project.stack(name);
                await s.setConfig("gray-release:kubeconfig", { value: cluster.kubeconfig, secret: true });
                stacks.set(name, s);
            }
            return s;
        };
        const up = async (name: string): Promise<Release | undefined> => {
            const result = await (await stack(name)).up({ onOutput: () => undefined });
            assert.equal(result.summary.result, "succeeded");
            return (result.outputs["releases"]?.value as Record<string, Release> | undefined)?.[SERVICE];
        };
        const refused = async (name: string): Promise<string> => {
            try {
                await up(name);
            } catch (err) {
                return err instanceof Error ? err.message : String(err);
            }
            assert.fail(`the update of ${name} must be refused`);
        };
        const deployment = (track: string) =>
            cluster.request<DeploymentStatus>("GET", `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${SERVICE}-${track}`);

        await up("platform-dev");
        const watcher = startRouteWatcher(reader, { intervalMs: 200 });
        let failure: unknown;
        const get = <T>(apiPath: string) => cluster.request<T>("GET", apiPath);
        await life({ project, up, refused, deployment, get }).catch((err: unknown) => {
            failure = err;
        });
        const report = await watcher.stop();
        printReport(opts.readinessDelaySeconds, report);
        if (failure !== undefined) throw failure;
        return report;
    } finally {
        reader.close();
        project.dispose();
        await cluster.stop();
    }
}

interface LifeHarness {
    project: TempProject;
    up(stack: string): Promise<Release | undefined>;
    refused(stack: string): Promise<string>;
    deployment(track: string): Promise<DeploymentStatus>;
    /** GET of an API path on the cluster. */
    get<T>(path: string): Promise<T>;
}

function printReport(delay: number, r: AuditReport): void {
    const seconds = r.firstSampleAt !== undefined && r.lastSampleAt !== undefined ? (r.lastSampleAt - r.firstSampleAt) / 1000 : 0;
    console.log(
        `      [cluster life, readiness delay ${delay}s] ${r.samples} samples over ${seconds.toFixed(0)} s ` +
            `(mean gap ${((seconds * 1000) / Math.max(r.samples - 1, 1)).toFixed(0)} ms, max ${r.maxGapMs} ms, ${r.errors} failed), ` +
            `${r.destinationsInLastSample} routed destinations at the end; ` +
            `route-seconds without a ready endpoint: ${r.routeSecondsWithoutReadyEndpoint.toFixed(2)}; ` +
            `Deployments replaced: ${r.deploymentsReplaced.length}, deleted: ${r.deploymentsDeleted.length}`,
    );
    for (const v of r.violations.slice(0, 10)) console.log(`        violation: ${JSON.stringify(v)}`);
}

function assertSafe(r: AuditReport): void {
    assert.ok(r.samples > 50, `the watcher sampled (${r.samples})`);
    const span = (r.lastSampleAt ?? 0) - (r.firstSampleAt ?? 0);
    assert.ok(span / Math.max(r.samples - 1, 1) <= 250, `sampled every 250 ms or faster on average (${span / (r.samples - 1)} ms)`);
    assert.equal(r.routeSecondsWithoutReadyEndpoint, 0, `route-seconds without a ready endpoint: ${JSON.stringify(r.violations.slice(0, 5))}`);
    assert.deepEqual(r.deploymentsReplaced, [], "no Deployment replaced");
    assert.deepEqual(r.deploymentsDeleted, [], "no Deployment deleted");
}

describe("local control plane: a whole canary life applied to a real API server", function () {
    this.timeout(40 * 60 * 1000);
    let prometheus: RunningPrometheus;

    before(async () => {
        prometheus = await startBackfilledPrometheus(traffic());
    });
    after(async () => {
        await prometheus?.stop();
    });

    it("start, every step, promotion, stale stableImage refused, rollback, abort, another promotion: 0 route-seconds without a ready endpoint, 0 Deployments replaced", async () => {
        const report = await canaryLife({ readinessDelaySeconds: 0, prometheus }, async ({ project, up, refused, deployment, get }) => {
            let r = await up("dev");
            assert.equal(r?.action, "start", r?.reason);
            assert.equal(r?.weight, 5);
            // The dev stack's flag rollout: the API server took its flag file and the Istio Telemetry that labels
            // requests with the variant; flagd's engine reads the stored file with the rollout's first share.
            const telemetry = await get<{ spec: TelemetrySpec }>(
                `/apis/telemetry.istio.io/v1/namespaces/${NAMESPACE}/telemetries/feature-flags-variants`,
            );
            assert.deepEqual(telemetry.spec, variantTelemetrySpec({ app: SERVICE }, ["new-pricing"], "x-feature-flag-"));
            const flagFile = (await get<{ data: Record<string, string> }>(`/api/v1/namespaces/${NAMESPACE}/configmaps/feature-flags`)).data[
                "flags.flagd.json"
            ];
            const flagd = loadIntoFlagd(flagFile ?? "");
            assert.equal(flagd.resolveBooleanEvaluation("new-pricing", false, { targetingKey: "staff-001", userId: "staff-001" }).value, true);
            const on = Array.from({ length: 10000 }, (_, i) => `user-${i}`).filter(
                (u) => flagd.resolveBooleanEvaluation("new-pricing", false, { targetingKey: u, userId: u }).value,
            ).length;
            assert.ok(on > 50 && on < 150, `about 1 % of 10 000 users get the variant (got ${on})`);
            let canary = await deployment("canary");
            assert.equal(canary.spec.replicas, 1, "5 % against 3 stable pods: one canary pod");
            assert.equal(canary.status?.readyReplicas, 1, "the weight rose after the canary was Available");
            assert.deepEqual(canary.spec.selector.matchLabels, { app: SERVICE, "gray-release.io/track": "canary" });

            for (const [weight, replicas] of [
                [10, 1],
                [25, 1],
                [50, 3],
            ] as const) {
                r = await up("dev");
                assert.equal(r?.weight, weight, r?.reason);
                canary = await deployment("canary");
                assert.equal(canary.spec.replicas, replicas, `canary replicas at ${weight} %`);
                assert.equal(canary.status?.readyReplicas, replicas);
            }
            r = await up("dev");
            assert.equal(r?.status, "promoted", r?.reason);
            const stable = await deployment("stable");
            assert.equal(stable.spec.template.spec.containers[0]?.image, `${REPO}:1.5.0`, "stable rolled to the promoted image");
            assert.equal(stable.status?.readyReplicas, 3);
            assert.equal((await deployment("canary")).spec.replicas, 3, "the canary keeps its pods in the update that moves its routes");
            r = await up("dev");
            assert.equal(r?.action, "none");
            assert.equal((await deployment("canary")).spec.replicas, 0, "and loses them in the next");

            // A new canary with stableImage left at 1.4.0 would downgrade stable: refused, naming what runs.
            release(project, { canary: "1.6.0" });
            const message = await refused("dev");
            assert.match(message, /services\[0\]\.stableImage = "registry\.example\.com\/shop\/checkout:1\.4\.0"/);
            assert.match(message, /stable runs registry\.example\.com\/shop\/checkout:1\.5\.0/);
            assert.equal((await deployment("stable")).spec.template.spec.containers[0]?.image, `${REPO}:1.5.0`, "nothing changed");

            // With the promoted stable named: 1.6.0 starts, then its 12.7 % errors roll it back in one update.
            release(project, { stable: "1.5.0", canary: "1.6.0" });
            r = await up("dev");
            assert.equal(r?.action, "start", r?.reason);
            assert.equal(r?.stableImage, `${REPO}:1.5.0`);
            r = await up("dev");
            assert.equal(r?.lastVerdict?.verdict, "fail", r?.reason);
            assert.equal(r?.action, "rollback");
            assert.equal(r?.weight, 0);
            assert.equal((await deployment("canary")).spec.replicas, 1, "pods stay one update after their routes leave");
            r = await up("dev");
            assert.equal((await deployment("canary")).spec.replicas, 0);

            // 1.7.0 starts and is aborted by hand.
            release(project, { canary: "1.7.0" });
            r = await up("dev");
            assert.equal(r?.weight, 5, r?.reason);
            release(project, { canary: "1.7.0" }, { abort: true });
            r = await up("dev");
            assert.equal(r?.action, "rollback", r?.reason);
            assert.equal(r?.status, "rolledBack");

            // 1.8.0 starts, takes a step and is promoted by hand; then its pods go.
            release(project, { canary: "1.8.0" });
            r = await up("dev");
            assert.equal(r?.action, "start", r?.reason);
            r = await up("dev");
            assert.equal(r?.weight, 10, r?.reason);
            release(project, { canary: "1.8.0" }, { promote: true });
            r = await up("dev");
            assert.equal(r?.status, "promoted", r?.reason);
            assert.equal((await deployment("stable")).spec.template.spec.containers[0]?.image, `${REPO}:1.8.0`);
            release(project, { stable: "1.8.0", canary: "1.8.0" });
            r = await up("dev");
            assert.equal((await deployment("canary")).spec.replicas, 0);
        });
        assertSafe(report);
    });

    it("the same with canary pods that take 20 s to become Ready, then a new canary on the Deployment scaled to 0: weights wait for them, still 0 and 0", async () => {
        const report = await canaryLife({ readinessDelaySeconds: 20, prometheus }, async ({ project, up, deployment }) => {
            const started = Date.now();
            let r = await up("dev");
            assert.equal(r?.weight, 5, r?.reason);
            assert.ok(Date.now() - started >= 20_000, "the update waited for the canary to become Ready");
            assert.equal((await deployment("canary")).status?.readyReplicas, 1);
            for (const weight of [10, 25, 50]) {
                r = await up("dev");
                assert.equal(r?.weight, weight, r?.reason);
            }
            r = await up("dev");
            assert.equal(r?.status, "promoted", r?.reason);
            assert.equal((await deployment("stable")).status?.readyReplicas, 3);
            await up("dev");
            assert.equal((await deployment("canary")).spec.replicas, 0);

            // A new canary after the promotion: the canary Deployment goes from 0 replicas of the old image to one of
            // the new. Its update, and so its routes, must wait for the new pod (the provider's own Deployment await
            // could return at once on the previous rollout's status: cluster-lanes.test.ts saw routes arrive first).
            release(project, { stable: "1.5.0", canary: "1.7.0" });
            const restarted = Date.now();
            r = await up("dev");
            assert.equal(r?.action, "start", r?.reason);
            assert.equal(r?.weight, 5);
            assert.ok(Date.now() - restarted >= 20_000, "the update waited for the new canary to become Ready");
            const canary = await deployment("canary");
            assert.equal(canary.spec.template.spec.containers[0]?.image, `${REPO}:1.7.0`);
            assert.equal(canary.status?.readyReplicas, 1);
        });
        assertSafe(report);
    });

    it("negative control: the watcher sees a route to a subset without Ready pods, and a Deployment replaced", async () => {
        const cluster = await startCluster();
        const reader = kubeReaderFromKubeconfig(cluster.kubeconfig);
        try {
            const ns = "control";
            await cluster.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
            const deployment = (track: string, replicas: number) => ({
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: `web-${track}`, namespace: ns },
                spec: {
                    replicas,
                    selector: { matchLabels: { app: "web", track } },
                    template: { metadata: { labels: { app: "web", track } }, spec: { containers: [{ name: "web", image: "web:1" }] } },
                },
            });
            const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;
            await cluster.request("POST", deployments, deployment("stable", 1));
            await cluster.request("POST", deployments, deployment("canary", 0));
            await cluster.request("POST", `/api/v1/namespaces/${ns}/services`, {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web", namespace: ns },
                spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
            });
            const istio = `/apis/networking.istio.io/v1/namespaces/${ns}`;
            await cluster.request("POST", `${istio}/destinationrules`, {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: "web", namespace: ns },
                spec: {
                    host: "web",
                    subsets: [
                        { name: "stable", labels: { track: "stable" } },
                        { name: "canary", labels: { track: "canary" } },
                    ],
                },
            });
            const vs = (canary: number) => ({
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: "web", namespace: ns },
                spec: {
                    hosts: ["web"],
                    http: [
                        {
                            name: "weighted",
                            route: [
                                { destination: { host: "web", subset: "stable" }, weight: 100 - canary },
                                { destination: { host: "web", subset: "canary" }, weight: canary },
                            ],
                        },
                    ],
                },
            });
            await cluster.request("POST", `${istio}/virtualservices`, vs(0));
            const deadline = Date.now() + 60_000;
            while (((await cluster.request<DeploymentStatus>("GET", `${deployments}/web-stable`)).status?.readyReplicas ?? 0) < 1) {
                assert.ok(Date.now() < deadline, "stable became Ready");
                await new Promise((r) => setTimeout(r, 200));
            }

            const watcher = startRouteWatcher(reader, { intervalMs: 200 });
            await new Promise((r) => setTimeout(r, 1000));
            assert.equal(watcher.current().routeSecondsWithoutReadyEndpoint, 0, "all routes served");
            // 50 % to a canary subset with no pod: every sample from now on is a violation.
            await cluster.apply(`${istio}/virtualservices/web`, vs(50));
            await new Promise((r) => setTimeout(r, 1500));
            // A Deployment replaced (deleted and created again under its name), as a selector change forces.
            await cluster.request("DELETE", `${deployments}/web-canary`);
            await cluster.request("POST", deployments, deployment("canary", 0));
            await new Promise((r) => setTimeout(r, 1000));
            const report = await watcher.stop();
            printReport(0, report);
            assert.ok(report.routeSecondsWithoutReadyEndpoint >= 1.5, `route-seconds counted (${report.routeSecondsWithoutReadyEndpoint})`);
            assert.ok(report.violations.every((v) => v.subset === "canary" && v.reason === "no-ready-pods"));
            assert.deepEqual(
                [...report.deploymentsReplaced, ...report.deploymentsDeleted].map((d) => d.name),
                ["web-canary"],
                "the replacement is seen",
            );
        } finally {
            reader.close();
            await cluster.stop();
        }
    });
});
