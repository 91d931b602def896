/**
 * `npm run up:cluster`: the dev environment applied to the local control plane, for watching it apply.
 *
 * Starts the local control plane of test/support/cluster.ts (built from Go modules on first use), creates what the
 * platform takes for granted (its monitoring namespaces, volumes for Thanos), then runs `pulumi up` of
 * `platform-dev` and `dev` through a kubeconfig in a throwaway copy of the project (its own file backend, so the
 * render-mode state of `npm run up:dev` is untouched). Every further Enter runs one more `pulumi up` of `dev`
 * (one more canary step); Ctrl-C stops the cluster and removes everything.
 */
import * as readline from "node:readline";
import { startCluster } from "../test/support/cluster";
import { createTempProject } from "../test/support/engine";
import { preparePlatformPrerequisites } from "../test/support/platform-prerequisites";

async function main(): Promise<void> {
    console.log("starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) ...");
    const cluster = await startCluster();
    const project = createTempProject("gray-release-up-cluster-");
    const stop = async (): Promise<void> => {
        project.dispose();
        await cluster.stop();
    };
    process.once("SIGINT", () => {
        console.log("\nstopping the cluster ...");
        void stop().then(() => process.exit(0));
    });
    try {
        console.log(`ready in ${(cluster.startupMs / 1000).toFixed(1)} s: ${cluster.server}`);
        console.log(`kubeconfig: ${cluster.kubeconfigPath}   (e.g. kubectl --kubeconfig ${cluster.kubeconfigPath} get deploy,pods -A)`);
        await preparePlatformPrerequisites(cluster);
        const up = async (name: string): Promise<void> => {
            const stack = await project.stack(name);
            await stack.setConfig("gray-release:kubeconfig", { value: cluster.kubeconfig, secret: true });
            console.log(`=== pulumi up: stack ${name}`);
            await stack.up({ onOutput: (out) => process.stdout.write(out) });
        };
        await up("platform-dev");
        await up("dev");
        if (!process.stdin.isTTY) {
            await stop();
            return;
        }
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        for (;;) {
            await new Promise<void>((resolve) => rl.question("Enter: one more `pulumi up` of dev; Ctrl-C: stop ", () => resolve()));
            await up("dev");
        }
    } catch (err) {
        await stop();
        throw err;
    }
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
