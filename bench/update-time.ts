/**
 * How long a no-change `pulumi up` of the dev services stack takes, and how much memory the program's Node process
 * uses, the way the program ran before issue #15 against the way it runs now, side by side in one run:
 *
 *  - before: Pulumi.yaml `typescript: true`, `main: stacks/index.ts` (Pulumi's nodejs runtime registers ts-node,
 *    which type-checks the whole program on every run), and the stacks/index.ts of that time (a configuration error
 *    leaves the program as a RunError with its stack frames);
 *  - now: the repository's Pulumi.yaml (`typescript: false`, `main: stacks/entry.js`: esbuild transpiles, cached)
 *    and stacks/index.ts (errors leave without stack frames, see `reportable` there).
 *
 * Each way gets its own throwaway copy of the project and file backend (test/support/engine.ts), render mode,
 * `platform-dev` then `dev` brought up once, plus one warm-up `pulumi up` of `dev` (which also fills the transpile
 * cache). Then N rounds, each running the two ways one after the other (alternating which goes first):
 *  (a) `pulumi up --yes` of `dev` with no change (its analysis reaches no metrics source and holds the canary);
 *  (b) `pulumi preview` of `dev` with a bad key (services[0].routing.mirrorPercent: 250), which the program rejects.
 * Printed per way and case: wall time (median, worst) and, for the program's Node process, peak RSS (worst) and
 * CPU time (median). Peak RSS is the kernel's high-water mark of the process, process.resourceUsage().maxRSS,
 * recorded at exit by bench/peak-rss.js, preloaded through NODE_OPTIONS; `pulumi up` runs the program twice
 * (preview, then update): the larger of the two counts.
 *
 * Run:  source scripts/env.sh && npx ts-node --transpile-only bench/update-time.ts [--runs 3] [--bad-runs 2]
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { createTempProject, REPO_ROOT, type TempProject } from "../test/support/engine";

const PEAK_RSS_HOOK = path.join(__dirname, "peak-rss.js");

/** Pulumi.yaml and stacks/index.ts as they were before issue #15. */
const BEFORE_PULUMI_YAML = `name: gray-release
description: SLO-gated canary releases on Kubernetes and Istio, one step per \`pulumi up\`
runtime:
  name: nodejs
  options:
    typescript: true
main: stacks/index.ts
stackConfigDir: stacks
`;
const BEFORE_INDEX_TS = `import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../components/common/validation";
import { runStack } from "./program";

export = runStack().catch((err: unknown) => {
    if (err instanceof InvalidArgsError) throw new pulumi.RunError(err.message);
    throw err;
});
`;

type Way = "before" | "now";
type Case = "up, no change" | "preview, bad key";

interface Sample {
    wallMs: number;
    /** Largest peak RSS of the program's Node processes of the command, KiB. */
    maxRssKiB: number;
    /** CPU time of the program's Node processes, summed. */
    cpuMs: number;
    exitCode: number;
    output: string;
}

function argValue(name: string, fallback: number): number {
    const i = process.argv.indexOf(name);
    const v = i === -1 ? undefined : Number(process.argv[i + 1]);
    return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}

function pulumi(project: TempProject, args: string[], rssDir?: string): Promise<Sample> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...project.env };
    if (rssDir !== undefined) {
        fs.rmSync(rssDir, { recursive: true, force: true });
        fs.mkdirSync(rssDir, { recursive: true });
        env["GRAY_RELEASE_PEAK_RSS_DIR"] = rssDir;
        env["NODE_OPTIONS"] = `${process.env["NODE_OPTIONS"] ?? ""} --require ${PEAK_RSS_HOOK}`.trim();
    }
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: project.dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", reject);
        child.on("close", (code) => {
            const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
            let maxRssKiB = 0;
            let cpuMs = 0;
            if (rssDir !== undefined) {
                for (const f of fs.readdirSync(rssDir)) {
                    const r = JSON.parse(fs.readFileSync(path.join(rssDir, f), "utf8")) as { argv: string[]; maxRssKiB: number; cpuMicros: number };
                    if (!r.argv.some((a) => a.includes(path.join("@pulumi", "pulumi", "cmd", "run")))) continue;
                    maxRssKiB = Math.max(maxRssKiB, r.maxRssKiB);
                    cpuMs += r.cpuMicros / 1000;
                }
            }
            resolve({ wallMs, maxRssKiB, cpuMs, exitCode: code ?? -1, output });
        });
    });
}

async function mustSucceed(project: TempProject, args: string[]): Promise<void> {
    const r = await pulumi(project, args);
    if (r.exitCode !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.output}`);
}

function setBadKey(project: TempProject, bad: boolean): void {
    const file = path.join(project.dir, "stacks", "Pulumi.dev.yaml");
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const at = ["config", "gray-release:services", 0, "routing", "mirrorPercent"];
    if (bad) doc.setIn(at, 250);
    else doc.deleteIn(at);
    fs.writeFileSync(file, doc.toString());
}

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (kib: number): string => `${Math.round(kib / 1024)} MiB`;

async function main(): Promise<void> {
    const runs = argValue("--runs", 3);
    const badRuns = argValue("--bad-runs", 2);
    const projects = {} as Record<Way, TempProject>;
    const rssRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-rss-"));
    try {
        for (const way of ["before", "now"] as const) {
            const project = createTempProject(`gray-release-bench-${way}-`);
            projects[way] = project;
            if (way === "before") {
                fs.writeFileSync(path.join(project.dir, "Pulumi.yaml"), BEFORE_PULUMI_YAML);
                fs.writeFileSync(path.join(project.dir, "stacks", "index.ts"), BEFORE_INDEX_TS);
            }
            process.stdout.write(`setting up "${way}" in ${project.dir}: platform-dev, dev, one warm-up up of dev\n`);
            for (const stack of ["platform-dev", "dev"]) {
                await mustSucceed(project, ["stack", "init", stack]);
                await mustSucceed(project, ["up", "--yes", "--stack", stack]);
            }
            await mustSucceed(project, ["up", "--yes", "--stack", "dev"]);
        }
        const samples = new Map<string, Sample[]>();
        const record = (c: Case, way: Way, s: Sample): void => {
            const key = `${c}\0${way}`;
            samples.set(key, [...(samples.get(key) ?? []), s]);
            process.stdout.write(
                `  ${c.padEnd(17)} ${way.padEnd(6)} ${sec(s.wallMs).padStart(8)}  peak RSS ${mib(s.maxRssKiB).padStart(9)}  CPU ${sec(s.cpuMs)}\n`,
            );
        };
        const loadBefore = os.loadavg()[0]!;
        for (const c of ["up, no change", "preview, bad key"] as const) {
            const rounds = c === "up, no change" ? runs : badRuns;
            for (const way of ["before", "now"] as const) setBadKey(projects[way], c === "preview, bad key");
            for (let i = 0; i < rounds; i++) {
                const order: Way[] = i % 2 === 0 ? ["before", "now"] : ["now", "before"];
                for (const way of order) {
                    const args = c === "up, no change" ? ["up", "--yes", "--stack", "dev"] : ["preview", "--stack", "dev"];
                    const s = await pulumi(projects[way], args, path.join(rssRoot, way));
                    if ((c === "up, no change") !== (s.exitCode === 0))
                        throw new Error(`${way}: pulumi ${args.join(" ")} exited ${s.exitCode}:\n${s.output}`);
                    if (c === "preview, bad key" && !s.output.includes("mirrorPercent = 250"))
                        throw new Error(`${way}: the bad key was not reported:\n${s.output}`);
                    record(c, way, s);
                }
            }
        }
        const loadAfter = os.loadavg()[0]!;

        process.stdout.write(
            `\n=== dev services stack, render mode, ${os.cpus().length} cores, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; ` +
                `${runs} interleaved runs per way (bad key: ${badRuns})\n`,
        );
        process.stdout.write(
            `${"case".padEnd(17)} ${"way".padEnd(7)} ${"wall median".padStart(11)} ${"wall worst".padStart(10)} ${"CPU median".padStart(10)} ${"peak RSS worst".padStart(14)}\n`,
        );
        for (const c of ["up, no change", "preview, bad key"] as const) {
            for (const way of ["before", "now"] as const) {
                const xs = samples.get(`${c}\0${way}`) ?? [];
                process.stdout.write(
                    `${c.padEnd(17)} ${way.padEnd(7)} ${sec(median(xs.map((s) => s.wallMs))).padStart(11)} ${sec(Math.max(...xs.map((s) => s.wallMs))).padStart(10)} ` +
                        `${sec(median(xs.map((s) => s.cpuMs))).padStart(10)} ${mib(Math.max(...xs.map((s) => s.maxRssKiB))).padStart(14)}\n`,
                );
            }
            const ratio =
                median((samples.get(`${c}\0now`) ?? []).map((s) => s.wallMs)) / median((samples.get(`${c}\0before`) ?? []).map((s) => s.wallMs));
            process.stdout.write(
                `${c.padEnd(17)} now/before wall median: ${(ratio * 100).toFixed(0)} %${c === "up, no change" ? " (target ≤ 33 %)" : ""}\n`,
            );
        }
        process.stdout.write(
            `(peak RSS: process.resourceUsage().maxRSS of the program's Node process at exit, via NODE_OPTIONS --require bench/peak-rss.js)\n`,
        );
    } finally {
        for (const p of Object.values(projects)) p.dispose();
        fs.rmSync(rssRoot, { recursive: true, force: true });
    }
}

if (!fs.existsSync(path.join(REPO_ROOT, "node_modules", "esbuild"))) throw new Error("npm ci first");
main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});
