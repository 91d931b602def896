/**
 * The release driver's two safety behaviours around the engine, with the real engine in render mode:
 *  - Ctrl-C: the `gray-release` launcher (bin/gray-release.js) is sent SIGINT the way a terminal sends it (to the
 *    launcher's process group) while an update runs: the update finishes, the driver says so and stops; twice, the
 *    update is cancelled and no pending operation is left in the stack.
 *  - the stack lock: a driver whose update finds another update running says so, retries, and gives up with exit 1.
 * No Prometheus: a new canary starts without analysis.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { ReleaseDriver } from "../../release/driver";
import { EXIT } from "../../release/schedule";
import { createTempProject, REPO_ROOT, type TempProject } from "../support/engine";

const STACK = "driver-signals";

function writeStackConfig(project: TempProject, canaryTag: string): void {
    const service = {
        name: "checkout",
        namespace: "dev-gray",
        stableImage: "registry.example.com/shop/checkout:1.4.0",
        canaryImage: `registry.example.com/shop/checkout:${canaryTag}`,
        progression: { steps: [50, 100], analysis: { prometheusUrl: "http://127.0.0.1:1", timeout: "1s", retries: 0 } },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
    const config = { config: { "gray-release:environment": "dev", "gray-release:services": [service] } };
    fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(config));
}

interface Launched {
    output: () => string;
    exit: Promise<number | null>;
    interrupt(): void;
}

/** Runs `gray-release release` through the launcher in its own process group, as a terminal's foreground job. */
function launch(project: TempProject): Launched {
    let out = "";
    const child = spawn(
        process.execPath,
        [path.join(REPO_ROOT, "bin", "gray-release.js"), "release", STACK, "--project-dir", project.dir, "--once"],
        {
            env: { ...process.env, ...project.env },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        },
    );
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    return {
        output: () => out,
        exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
        // What Ctrl-C does: SIGINT to every process of the terminal's foreground group.
        interrupt: () => process.kill(-child.pid!, "SIGINT"),
    };
}

async function until(what: string, cond: () => boolean, ms = 10 * 60 * 1000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

async function pendingOperations(project: TempProject): Promise<number> {
    const stack = await project.stack(STACK);
    const deployment = (await stack.exportStack()).deployment as { pending_operations?: unknown[] } | undefined;
    return deployment?.pending_operations?.length ?? 0;
}

describe("release driver: Ctrl-C and the stack lock (real engine)", function () {
    this.timeout(30 * 60 * 1000);
    let project: TempProject;

    before(async () => {
        project = createTempProject();
        await project.stack(STACK);
    });

    after(() => project?.dispose());

    it("one Ctrl-C during an update: the update finishes, then the driver stops", async () => {
        writeStackConfig(project, "1.5.0");
        const run = launch(project);
        await until("the update to start", () => /pulumi up \(step\)/.test(run.output()));
        run.interrupt();
        const code = await run.exit;
        assert.match(run.output(), /the running update finishes first/, run.output());
        assert.match(run.output(), /checkout START 0% → 50%/, `the update finished: ${run.output()}`);
        assert.equal(code, EXIT.ok, run.output());
        assert.equal(await pendingOperations(project), 0);
    });

    it("two Ctrl-C: the update is cancelled, no pending operation is left", async () => {
        writeStackConfig(project, "1.5.1");
        const run = launch(project);
        await until("the update to start", () => /pulumi up \(step\)/.test(run.output()));
        run.interrupt();
        await until("the first notice", () => /finishes first/.test(run.output()));
        run.interrupt();
        const code = await run.exit;
        assert.match(run.output(), /cancelling the update/, run.output());
        // Either the engine cancelled, or the update had already finished when the SIGINT arrived.
        assert.ok(code === EXIT.error || code === EXIT.ok, `${code}: ${run.output()}`);
        if (code === EXIT.error) assert.match(run.output(), /cancelled: no pending operation left/, run.output());
        assert.equal(await pendingOperations(project), 0);
    });

    it("another update holds the lock: the driver retries, then exits 1 saying so", async () => {
        writeStackConfig(project, "1.5.2");
        // A real `pulumi up` takes the stack's lock; it is paused (SIGSTOP) once the lock file exists, so it holds the
        // lock for as long as the driver needs, however fast updates are, and resumed afterwards.
        const locks = path.join(project.dir, ".pulumi-state", ".pulumi", "locks");
        const other = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive"], {
            cwd: project.dir,
            env: { ...process.env, ...project.env },
            stdio: "ignore",
        });
        const exited = new Promise<number | null>((resolve) => other.on("exit", (code) => resolve(code)));
        const lockFiles = (): string[] =>
            fs.existsSync(locks) ? (fs.readdirSync(locks, { recursive: true }) as string[]).filter((f) => f.endsWith(".json")) : [];
        await until("the other update to take the lock", () => lockFiles().length > 0);
        other.kill("SIGSTOP");
        let lines = "";
        let status: number;
        try {
            status = await new ReleaseDriver({
                stack: STACK,
                projectDir: project.dir,
                checkIntervalMs: 1000,
                maxDurationMs: 60_000,
                once: true,
                envVars: project.env,
                lockRetries: 2,
                lockRetryDelayMs: 500,
                output: { tty: false, write: (t) => (lines += t) },
            }).run();
        } finally {
            other.kill("SIGCONT");
        }
        assert.equal(await exited, 0, "the other update completes once resumed");
        assert.match(lines, /is locked by another update: retrying/, lines);
        assert.match(lines, /another update holds the lock of stack driver-signals/, lines);
        assert.equal(status, EXIT.error);
    });
});
