/**
 * One canary step against the local control plane vs render mode, and the route-seconds of a canary life.
 *
 *   source scripts/env.sh && npx ts-node --transpile-only bench/cluster-step.ts
 *
 * Two throwaway copies of the project, the same dev service (3 stable pods, steps 5 → 10 → 25 → 50 → 100,
 * analysis skipped, no interval): one renders YAML (the main job's default), one applies to the local control plane
 * of test/support/cluster.ts through a kubeconfig (server-side apply, the provider awaiting each Deployment).
 * Each walks the canary from start to promotion and the scale-down after it, the two copies taking turns update by
 * update (so a load on the machine weighs on both alike); every `pulumi up` is timed, and the
 * three plain steps (5 → 10, 10 → 25, 25 → 50) give the median "one canary step" of each mode. While the cluster
 * copy runs, the route watcher samples the cluster every 200 ms and reports route-seconds without a ready endpoint
 * and Deployments replaced or deleted (the cluster suite asserts both are 0 over a longer life).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { type LocalCluster, startCluster } from "../test/support/cluster";
import { createTempProject, type TempProject } from "../test/support/engine";
import { preparePlatformPrerequisites } from "../test/support/platform-prerequisites";
import { kubeReaderFromKubeconfig, startRouteWatcher } from "../test/support/route-watcher";

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function prepareProject(project: TempProject): void {
    const file = path.join(project.dir, "stacks", "Pulumi.dev.yaml");
    const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const svc = (doc.config["gray-release:services"] as Array<Record<string, unknown>>)[0]!;
    const progression = svc["progression"] as Record<string, unknown>;
    progression["minIntervalBetweenSteps"] = "0s";
    progression["controls"] = { skipAnalysis: true };
    svc["workload"] = { stableReplicas: 3 };
    fs.writeFileSync(file, stringify(doc));
}

/** The dev stack of a project, after its platform stack is up; with a kubeconfig, applied to that cluster. */
async function devStack(project: TempProject, kubeconfig: string | undefined) {
    const stack = async (name: string) => {
        const s = await project.stack(name);
        if (kubeconfig !== undefined) await s.setConfig("gray-release:kubeconfig", { value: kubeconfig, secret: true });
        return s;
    };
    await (await stack("platform-dev")).up({ onOutput: () => undefined });
    return stack("dev");
}

async function timed(f: () => Promise<unknown>): Promise<number> {
    const t0 = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
    const render = createTempProject("gray-release-bench-render-");
    const onCluster = createTempProject("gray-release-bench-cluster-");
    let cluster: LocalCluster | undefined;
    try {
        prepareProject(render);
        prepareProject(onCluster);
        process.stdout.write("local control plane: starting ... ");
        cluster = await startCluster();
        console.log(`ready in ${secs(cluster.startupMs)}`);
        await preparePlatformPrerequisites(cluster);
        process.stdout.write("platform-dev up in both copies ... ");
        const renderDev = await devStack(render, undefined);
        const clusterDev = await devStack(onCluster, cluster.kubeconfig);
        console.log("done");
        const reader = kubeReaderFromKubeconfig(cluster.kubeconfig);
        const watcher = startRouteWatcher(reader, { intervalMs: 200 });
        // The two modes take turns, update by update, so a load on the machine weighs on both alike.
        const renderTimes: number[] = [];
        const clusterTimes: number[] = [];
        process.stdout.write("dev from start to promotion and scale-down, render and cluster in turn ");
        for (let i = 0; i < 6; i++) {
            renderTimes.push(await timed(() => renderDev.up({ onOutput: () => undefined })));
            clusterTimes.push(await timed(() => clusterDev.up({ onOutput: () => undefined })));
            process.stdout.write(".");
        }
        const report = await watcher.stop();
        reader.close();
        console.log(" done");

        const labels = ["start 0 → 5 %", "step 5 → 10 %", "step 10 → 25 %", "step 25 → 50 %", "promotion", "canary scale-down"];
        console.log("\n| pulumi up of dev | render mode | local control plane |");
        console.log("| --- | --- | --- |");
        for (const [i, l] of labels.entries()) console.log(`| ${l} | ${secs(renderTimes[i]!)} | ${secs(clusterTimes[i]!)} |`);
        const r = median(renderTimes.slice(1, 4));
        const c = median(clusterTimes.slice(1, 4));
        console.log(
            `\none canary step (median of the three plain steps): render ${secs(r)}, local control plane ${secs(c)} (×${(c / r).toFixed(2)})`,
        );
        const span = ((report.lastSampleAt ?? 0) - (report.firstSampleAt ?? 0)) / 1000;
        console.log(
            `route watcher over the cluster life: ${report.samples} samples in ${span.toFixed(0)} s (max gap ${report.maxGapMs} ms); ` +
                `route-seconds without a ready endpoint: ${report.routeSecondsWithoutReadyEndpoint.toFixed(2)}; ` +
                `Deployments replaced: ${report.deploymentsReplaced.length}, deleted: ${report.deploymentsDeleted.length}`,
        );
    } finally {
        render.dispose();
        onCluster.dispose();
        await cluster?.stop();
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
