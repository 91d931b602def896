/**
 * How the stack program scales with the number of services in one stack.
 *
 *  (a) program evaluation time under Pulumi's mock runtime (runStack() from stacks/program.ts, every resource
 *      registration answered by mocks) for 1, 10, 100 services;
 *  (b) `pulumi preview` wall time with the real engine (toolchain from scripts/env.sh, throwaway project copy from
 *      test/support/engine.ts, Kubernetes provider in YAML render mode) for 1, 10, 100 services;
 *  (c) resources per service, from the mock-runtime registrations (total and `kubernetes:*` ones);
 *  (d) memory: rss / heapUsed of the process that evaluated the program (mock runtime, one child process per
 *      size), and for the real engine the peak RSS of the engine's process tree, sampled from /proc.
 *
 * Every service is shaped like `checkout` in stacks/Pulumi.dev.yaml (names svc-001, svc-002, ...), plus the dev
 * platform (one gray namespace, Thanos on filesystem storage, OpenTelemetry collectors). Analysis goes to a tiny
 * fake Prometheus on 127.0.0.1 answering every query with an empty vector, so each canary starts / holds.
 *
 * Run:  source scripts/env.sh && npx ts-node --transpile-only bench/stack-scale.ts
 *       (--mock-only skips the engine part; --sizes 1,10,100 picks the sizes; --engine-budget-s 180 caps one
 *        preview: a size is skipped when the sizes measured before predict it would take longer)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { stringify } from "yaml";

const REPO_ROOT = path.resolve(__dirname, "..");
const SERVICE_PREFIX = /^svc-\d{3}(-|$)/;

// ---------------------------------------------------------------- config

function serviceConfig(i: number, prometheusUrl: string): Record<string, unknown> {
    const name = `svc-${String(i).padStart(3, "0")}`;
    return {
        name,
        namespace: "dev-gray",
        stableImage: `registry.example.com/shop/${name}:1.4.0`,
        canaryImage: `registry.example.com/shop/${name}:1.5.0`,
        progression: {
            steps: [5, 10, 25, 50, 100],
            minIntervalBetweenSteps: "30m",
            analysis: { prometheusUrl, timeout: "3s", retries: 1 },
        },
        routing: {
            optInHeaders: [
                { name: "x-canary", exact: "true" },
                { name: "x-env", exact: "canary" },
            ],
            allowlist: { header: "x-user-id", ids: ["staff-001", "staff-002"] },
        },
        slo: {
            runbookUrl: `https://runbooks.example.com/${name}`,
            slos: [
                { name: "availability", objective: 99.95, window: "7d" },
                { name: "latency", objective: 99, window: "7d", sli: { kind: "latency" } },
            ],
        },
    };
}

const PLATFORM = {
    namespaces: [{ name: "dev-gray", environment: "dev", zone: "local" }],
    thanos: {
        namespace: "monitoring",
        prometheus: { namespace: "monitoring", serviceAccountName: "prometheus-k8s" },
        storage: { type: "filesystem" },
        longestSloWindow: "7d",
    },
    otel: {
        namespace: "observability",
        traces: { endpoint: "tempo-distributor.tracing:4317", insecure: true },
        metrics: { remoteWriteUrl: "http://prometheus-operated.monitoring:9090/api/v1/write" },
        sampling: { canaryVersions: ["1.5.0"] },
    },
};

function stackConfig(services: number, prometheusUrl: string): Record<string, unknown> {
    return {
        "gray-release:environment": "dev",
        "gray-release:platform": PLATFORM,
        "gray-release:services": Array.from({ length: services }, (_, i) => serviceConfig(i + 1, prometheusUrl)),
    };
}

// ---------------------------------------------------------------- fake Prometheus

async function startFakePrometheus(): Promise<{ url: string; queries: () => number; server: Server }> {
    let queries = 0;
    const server = createServer((req, res) => {
        queries++;
        req.resume();
        req.on("end", () => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, queries: () => queries, server };
}

// ---------------------------------------------------------------- (a)(c)(d) mock runtime, in a child process

interface MockResult {
    services: number;
    evalMs: number;
    total: number;
    kubernetes: number;
    perServiceTotal: number;
    perServiceKubernetes: number;
    perServiceTypes: Record<string, number>;
    platformTotal: number;
    rssMb: number;
    heapUsedMb: number;
    baselineRssMb: number;
    baselineHeapUsedMb: number;
    queries: number;
}

/** Runs in the child: evaluates the program once under mocks and prints a JSON line. */
async function mockChild(services: number): Promise<void> {
    const prometheus = await startFakePrometheus();
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const registered: Array<{ type: string; name: string }> = [];
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                registered.push({ type: args.type, name: args.name });
                if (args.type === "pulumi:pulumi:StackReference") return { id: args.name, state: { outputs: {} } };
                return { id: `${args.name}-id`, state: { ...(args.inputs as Record<string, unknown>) } };
            },
            call(args) {
                return args.inputs as Record<string, unknown>;
            },
        },
        "gray-release",
        `bench-${services}`,
        true, // preview, like `pulumi preview`
        "organization",
    );
    const config = stackConfig(services, prometheus.url);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
    // Loaded after the mocks and config are in place (module-level Pulumi calls would otherwise miss them).
    const { runStack } = require("../stacks/program") as typeof import("../stacks/program");
    // Modules loaded and warmed: measure the evaluation alone.
    if (global.gc) global.gc();
    const base = process.memoryUsage();

    const start = process.hrtime.bigint();
    const outputs = await runStack(new Date("2026-01-05T10:00:00Z"));
    // Resolve every output, then let the remaining registrations reach the mock monitor.
    await new Promise<void>((resolve) => pulumi.output(outputs as Record<string, unknown>).apply(() => resolve()));
    let last = -1;
    for (let stable = 0; stable < 5; ) {
        await new Promise((r) => setImmediate(r));
        if (registered.length === last) stable++;
        else {
            stable = 0;
            last = registered.length;
        }
    }
    const evalMs = Number(process.hrtime.bigint() - start) / 1e6;
    const mem = process.memoryUsage();

    // Every resource of a service is named after it (`svc-001`, `svc-001-canary`, ...).
    const ofService = registered.filter((r) => SERVICE_PREFIX.test(r.name));
    const first = ofService.filter((r) => /^svc-001(-|$)/.test(r.name));
    const perServiceTypes: Record<string, number> = {};
    for (const r of first) perServiceTypes[r.type] = (perServiceTypes[r.type] ?? 0) + 1;
    const result: MockResult = {
        services,
        evalMs,
        total: registered.length,
        kubernetes: registered.filter((r) => r.type.startsWith("kubernetes:")).length,
        perServiceTotal: first.length,
        perServiceKubernetes: first.filter((r) => r.type.startsWith("kubernetes:")).length,
        perServiceTypes,
        platformTotal: registered.length - ofService.length,
        rssMb: mem.rss / 2 ** 20,
        heapUsedMb: mem.heapUsed / 2 ** 20,
        baselineRssMb: base.rss / 2 ** 20,
        baselineHeapUsedMb: base.heapUsed / 2 ** 20,
        queries: prometheus.queries(),
    };
    prometheus.server.close();
    process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
}

function runMockChild(services: number): Promise<MockResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            ["--expose-gc", "-r", "ts-node/register/transpile-only", __filename, "--mock-child", String(services)],
            { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" } },
        );
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("close", (code) => {
            const line = out.split("\n").find((l) => l.startsWith("@@RESULT "));
            if (code !== 0 || !line)
                reject(new Error(`mock run for ${services} services failed (exit ${code}):\n${err.slice(-3000)}\n${out.slice(-2000)}`));
            else resolve(JSON.parse(line.slice("@@RESULT ".length)) as MockResult);
        });
    });
}

// ---------------------------------------------------------------- (b) real engine

interface EngineResult {
    services: number;
    previewMs: number;
    creates: number;
    peakTreeRssMb: number;
    peakProgramRssMb: number;
    /** Command line of the largest node process seen (the program). */
    programCmd: string;
}

/** Descendant pids of `root` (from /proc), with their RSS in kB and command line. */
function processTree(root: number): Array<{ pid: number; rssKb: number; cmd: string }> {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            parents.set(Number(entry), ppid);
        } catch {
            // the process ended meanwhile
        }
    }
    const inTree = (pid: number): boolean => {
        for (let p = parents.get(pid), hops = 0; p !== undefined && hops < 50; p = parents.get(p), hops++) if (p === root) return true;
        return false;
    };
    const out: Array<{ pid: number; rssKb: number; cmd: string }> = [];
    for (const pid of parents.keys()) {
        if (!inTree(pid)) continue;
        try {
            const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
            const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            out.push({ pid, rssKb: rss ? Number(rss[1]) : 0, cmd });
        } catch {
            // gone
        }
    }
    return out;
}

async function enginePreview(services: number, prometheusUrl: string): Promise<EngineResult> {
    const { createTempProject } = require("../test/support/engine") as typeof import("../test/support/engine");
    const project = createTempProject("gray-release-bench-");
    try {
        const stackName = `bench-${services}`;
        fs.writeFileSync(path.join(project.dir, "stacks", `Pulumi.${stackName}.yaml`), stringify({ config: stackConfig(services, prometheusUrl) }));
        const stack = await project.stack(stackName);
        let peakTree = 0;
        let peakProgram = 0;
        let programCmd = "";
        const sampler = setInterval(() => {
            const tree = processTree(process.pid);
            peakTree = Math.max(
                peakTree,
                tree.reduce((s, p) => s + p.rssKb, 0),
            );
            // The Node.js process running the Pulumi program (started by the language host).
            for (const p of tree) {
                if (/(^|\/)node(\s|$)/.test(p.cmd.split(" ")[0] ?? "") && p.rssKb > peakProgram) {
                    peakProgram = p.rssKb;
                    programCmd = p.cmd.slice(0, 160);
                }
            }
        }, 200);
        const start = process.hrtime.bigint();
        try {
            const result = await stack.preview({ onOutput: () => undefined });
            const previewMs = Number(process.hrtime.bigint() - start) / 1e6;
            return {
                services,
                previewMs,
                creates: result.changeSummary["create"] ?? 0,
                peakTreeRssMb: peakTree / 1024,
                peakProgramRssMb: peakProgram / 1024,
                programCmd,
            };
        } finally {
            clearInterval(sampler);
        }
    } finally {
        project.dispose();
    }
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0): string => n.toFixed(digits);
const pad = (s: string, w: number): string => (s.length >= w ? s : " ".repeat(w - s.length) + s);

function table(headers: string[], rows: string[][]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]): string => "| " + cells.map((c, i) => pad(c, widths[i]!)).join(" | ") + " |";
    return [line(headers), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.map(line)].join("\n");
}

function ratios(label: string, points: Array<{ n: number; v: number }>): string[] {
    const out: string[] = [];
    for (let i = 1; i < points.length; i++) {
        const a = points[i - 1]!;
        const b = points[i]!;
        const r = b.v / a.v;
        const ideal = b.n / a.n;
        out.push(
            `${label}(${b.n})/${label}(${a.n}) = ${fmt(r, 2)} (linear would be ${fmt(ideal, 0)}; ${r <= ideal * 1.25 ? "≤ linear" : "SUPER-linear"})`,
        );
    }
    return out;
}

async function main(argv: string[]): Promise<void> {
    const arg = (name: string): string | undefined => {
        const i = argv.indexOf(name);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const sizes = (arg("--sizes") ?? "1,10,100").split(",").map(Number);
    const mockOnly = argv.includes("--mock-only");
    const budgetMs = Number(arg("--engine-budget-s") ?? "180") * 1000;

    console.log(`gray-release stack-scale benchmark — node ${process.version}, ${process.platform}/${process.arch}, sizes ${sizes.join(", ")}`);
    console.log("");

    // (a)(c)(d): a fresh process per size, so memory and module caches do not carry over.
    const mock: MockResult[] = [];
    for (const n of sizes) {
        process.stdout.write(`mock runtime: ${n} service(s)… `);
        const r = await runMockChild(n);
        mock.push(r);
        console.log(`${fmt(r.evalMs)} ms, ${r.total} resources`);
    }

    // (b)
    const engine: EngineResult[] = [];
    let engineNote = "";
    if (!mockOnly) {
        const prometheus = await startFakePrometheus();
        try {
            for (const n of sizes) {
                const prev = engine[engine.length - 1];
                const before = engine[engine.length - 2];
                // Predict from the sizes measured so far (fixed part + marginal cost when two are known,
                // proportional otherwise) and skip what would not fit the budget.
                // With one point only the fixed part is known to dominate small sizes: run the next size.
                let predicted = prev && n / prev.services > 20 ? (prev.previewMs * n) / prev.services : 0;
                if (prev && before && prev.services > before.services) {
                    const marginal = Math.max(0, (prev.previewMs - before.previewMs) / (prev.services - before.services));
                    predicted = prev.previewMs + marginal * (n - prev.services);
                }
                if (predicted > budgetMs) {
                    engineNote = `stopped before ${n} services: predicted ${fmt(predicted / 1000)} s exceeds the ${fmt(budgetMs / 1000)} s budget per preview`;
                    break;
                }
                process.stdout.write(`pulumi preview: ${n} service(s)… `);
                const r = await enginePreview(n, prometheus.url);
                engine.push(r);
                console.log(`${fmt(r.previewMs)} ms, ${r.creates} to create`);
            }
        } catch (e) {
            engineNote = `engine part failed: ${(e as Error).message.split("\n").slice(0, 6).join(" / ")}`;
        } finally {
            prometheus.server.close();
        }
    } else {
        engineNote = "skipped (--mock-only)";
    }

    console.log("");
    const rows = mock.map((m) => {
        const e = engine.find((x) => x.services === m.services);
        return [
            String(m.services),
            fmt(m.evalMs),
            e ? fmt(e.previewMs) : "–",
            String(m.total),
            String(m.kubernetes),
            String(m.perServiceTotal),
            String(m.perServiceKubernetes),
            e ? String(e.creates) : "–",
            `${fmt(m.rssMb)} / ${fmt(m.heapUsedMb)}`,
            `${fmt(m.rssMb - m.baselineRssMb)} / ${fmt(m.heapUsedMb - m.baselineHeapUsedMb)}`,
            e ? `${fmt(e.peakTreeRssMb)} / ${fmt(e.peakProgramRssMb)}` : "–",
            String(m.queries),
        ];
    });
    console.log(
        table(
            [
                "services",
                "mock eval ms",
                "preview ms",
                "resources",
                "k8s res.",
                "per svc",
                "k8s per svc",
                "preview creates",
                "mock rss/heap MB",
                "Δ by eval MB",
                "engine tree/program peak RSS MB",
                "prom queries",
            ],
            rows,
        ),
    );
    console.log("");
    if (engineNote) console.log(`engine: ${engineNote}`);
    const biggest = engine[engine.length - 1];
    if (biggest) console.log(`engine program process (largest node in the engine's tree): ${biggest.programCmd}`);

    // Growth and the per-service marginal cost.
    console.log("growth:");
    for (const l of ratios(
        "mockEval",
        mock.map((m) => ({ n: m.services, v: m.evalMs })),
    ))
        console.log(`  ${l}`);
    for (const l of ratios(
        "preview",
        engine.map((e) => ({ n: e.services, v: e.previewMs })),
    ))
        console.log(`  ${l}`);
    for (const l of ratios(
        "resources",
        mock.map((m) => ({ n: m.services, v: m.total - m.platformTotal })),
    ))
        console.log(`  ${l}  [service resources only]`);
    const lo = mock[0];
    const hi = mock[mock.length - 1];
    if (lo && hi && hi.services > lo.services) {
        const span = hi.services - lo.services;
        console.log(
            `  marginal mock eval per service: ${fmt((hi.evalMs - lo.evalMs) / span, 2)} ms; marginal resources per service: ${fmt((hi.total - lo.total) / span, 2)} (k8s ${fmt((hi.kubernetes - lo.kubernetes) / span, 2)})`,
        );
        console.log(
            `  marginal heap per service: ${fmt(((hi.heapUsedMb - hi.baselineHeapUsedMb - (lo.heapUsedMb - lo.baselineHeapUsedMb)) / span) * 1024, 0)} kB`,
        );
    }
    const elo = engine[0];
    const ehi = engine[engine.length - 1];
    if (elo && ehi && ehi.services > elo.services) {
        console.log(
            `  marginal preview time per service: ${fmt((ehi.previewMs - elo.previewMs) / (ehi.services - elo.services))} ms (fixed part ≈ ${fmt(elo.previewMs - ((ehi.previewMs - elo.previewMs) / (ehi.services - elo.services)) * elo.services)} ms)`,
        );
    }

    // Per-service composition and the target.
    const one = mock[0];
    if (one) {
        console.log("");
        console.log(`resources of one service (svc-001), ${one.perServiceTotal} in total, ${one.perServiceKubernetes} of them kubernetes:*:`);
        for (const [type, count] of Object.entries(one.perServiceTypes).sort()) console.log(`  ${count} × ${type}`);
        console.log(
            `platform (not per service): ${one.platformTotal} resources (everything not named after a service: Kubernetes provider, gray namespace, Thanos, collectors, the self StackReference)`,
        );
    }
    const k8sPerService = one?.perServiceKubernetes ?? NaN;
    const evalLinear =
        mock.length < 2 ||
        ratios(
            "x",
            mock.map((m) => ({ n: m.services, v: m.evalMs })),
        ).every((l) => l.includes("≤ linear"));
    const resLinear = mock.every((m) => m.total - m.platformTotal === m.services * (one?.perServiceTotal ?? 0));
    const previewLinear =
        engine.length < 2 ||
        ratios(
            "x",
            engine.map((e) => ({ n: e.services, v: e.previewMs })),
        ).every((l) => l.includes("≤ linear"));
    console.log("");
    console.log("target:");
    console.log(`  resources grow linearly (exactly N × per-service + platform): ${resLinear ? "HOLDS" : "DOES NOT HOLD"}`);
    console.log(`  mock evaluation time grows at most linearly: ${evalLinear ? "HOLDS" : "DOES NOT HOLD"}`);
    console.log(`  preview time grows at most linearly: ${engine.length < 2 ? "not measured" : previewLinear ? "HOLDS" : "DOES NOT HOLD"}`);
    console.log(`  ≤ 6 Kubernetes resources per canary service: ${k8sPerService <= 6 ? "HOLDS" : "DOES NOT HOLD"} (${k8sPerService})`);
}

if (process.argv.includes("--mock-child")) {
    const n = Number(process.argv[process.argv.indexOf("--mock-child") + 1]);
    mockChild(n).catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
} else {
    main(process.argv.slice(2)).catch((e: unknown) => {
        console.error(e);
        process.exitCode = 1;
    });
}
