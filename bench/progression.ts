/**
 * Benchmark of the progression library.
 *  1. Analysis cost: wall time and HTTP round trips per decision for 1 and 50 services, against a local
 *     fake Prometheus (node:http on 127.0.0.1) that answers the batched query.
 *  2. Gate quality: a few hundred seeded simulated rollouts per scenario (per-window request/error counts
 *     drawn binomially with a seeded PRNG), driven through the real evaluateMeasurements() + decide(),
 *     compared with a plain threshold gate (success rate ≥ 99 %, p99 ≤ 500 ms) on the same data.
 * Run: npx ts-node --transpile-only bench/progression.ts
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
    type AnalysisVerdict,
    decide,
    evaluateMeasurements,
    LATENCY_BUCKETS_MEASURE,
    MEASURE_NAMES,
    type Measurements,
    type ProgressionConfig,
    type ProgressionState,
    PrometheusProvider,
    parseProgressionConfig,
    runProgression,
} from "../progression/internal";

// ---------- 1. analysis cost ----------

function configFor(service: string, url: string): ProgressionConfig {
    return parseProgressionConfig({
        service,
        environment: "prod",
        stableImage: `registry.local/${service}:1.0.0`,
        canaryImage: `registry.local/${service}:1.1.0`,
        minIntervalBetweenSteps: "0s",
        analysis: { prometheusUrl: url },
        releaseWindow: { enforce: false },
    });
}

async function analysisCost(): Promise<void> {
    const values: Record<string, string> = {
        canaryRequests: "1000",
        canaryErrors: "2",
        stableRequests: "20000",
        stableErrors: "40",
        canaryP95Ms: "90",
        canaryP99Ms: "180",
        canaryRestarts: "0",
        passCanaryRequests: "6000",
        passCanaryErrors: "12",
        passStableRequests: "120000",
        passStableErrors: "240",
        canaryDataAgeSeconds: "5",
        stableDataAgeSeconds: "5",
        stableReplicas: "3",
    };
    const buckets = ["5", "10", "25", "50", "100", "250", "500", "1000", "+Inf"];
    let requests = 0;
    const server = createServer((req, res) => {
        requests++;
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
            const query = new URLSearchParams(body).get("query") ?? "";
            const services = [...new Set([...query.matchAll(/"service", "([^"]+)"/g)].map((m) => m[1] ?? ""))];
            const time = Number(new URLSearchParams(body).get("time"));
            const result = services.flatMap((service) => [
                ...MEASURE_NAMES.map((measure) => ({ metric: { measure, service }, value: [time, values[measure] ?? "0"] })),
                ...buckets.map((le, i) => ({ metric: { measure: LATENCY_BUCKETS_MEASURE, service, le }, value: [time, String(i)] })),
            ]);
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    console.log("== analysis cost (fake Prometheus on loopback, batched instant query) ==");
    for (const n of [1, 50]) {
        const configs = Array.from({ length: n }, (_, i) => configFor(`svc-${i}`, url));
        // Previous state: every service progressing at 5 %, so every one needs an analysis.
        const start = new Date(Date.UTC(2025, 0, 6, 9));
        const states = new Map(configs.map((c) => [c.service, decide(undefined, c, undefined, start).state]));
        const rounds = 20;
        const provider = new PrometheusProvider({ baseUrl: url });
        const first = await runProgression(
            configs.map((c) => ({ config: c, previousState: states.get(c.service) })),
            provider,
            new Date(start.getTime() + 60_000),
        );
        const verdict = first.get(configs[0]!.service)?.verdict;
        if (verdict?.kind !== "pass") throw new Error(`the fake's healthy answer should pass: ${verdict?.reason}`);
        provider.roundTrips = 0;
        requests = 0;
        const t0 = process.hrtime.bigint();
        for (let r = 0; r < rounds; r++) {
            await runProgression(
                configs.map((c) => ({ config: c, previousState: states.get(c.service) })),
                provider,
                new Date(start.getTime() + 60_000),
            );
        }
        const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
        console.log(
            `${String(n).padStart(3)} service(s): ${ms.toFixed(1)} ms per decision round (analysis + decide), ` +
                `${provider.roundTrips / rounds} HTTP round trip(s) per round (server saw ${requests / rounds}); ` +
                `one query per measurement would need ${n * (MEASURE_NAMES.length + 1)}`,
        );
    }
    server.close();
}

// ---------- 2. gate quality on simulated rollouts ----------

/** mulberry32: small, fast, seedable PRNG, good enough for simulation. */
function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Exact binomial draw by geometric jumps between successes: O(n·p) instead of O(n), for large windows. */
function binomial(rand: () => number, n: number, p: number): number {
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    const logQ = Math.log(1 - p);
    let k = 0;
    let i = Math.floor(Math.log(1 - rand()) / logQ);
    while (i < n) {
        k++;
        i += 1 + Math.floor(Math.log(1 - rand()) / logQ);
    }
    return k;
}

function gaussian(rand: () => number): number {
    return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface Scenario {
    readonly name: string;
    readonly bad: boolean;
    /** Canary error ratio at a step index, given the step at which the fault appears (if any). */
    readonly canaryErrorRatio: (stepIndex: number, faultStep: number) => number;
}

const STABLE_ERROR = 0.002;
const TOTAL_RPS = 20;
const WINDOW_S = 300;
/** Minutes between two `pulumi up`s (the brief's 30 minutes); also the default `analysis.passWindow`. */
const UPDATE_EVERY_MIN = 30;
const PASS_WINDOW_S = 1800;

const scenarios: Scenario[] = [
    { name: "healthy (0.2 % like stable)", bad: false, canaryErrorRatio: () => STABLE_ERROR },
    { name: "incident (0.2 % → 12.7 % at a random step)", bad: true, canaryErrorRatio: (i, f) => (i >= f ? 0.127 : STABLE_ERROR) },
    { name: "just above the limit (0.95 %, limit 0.8 %)", bad: true, canaryErrorRatio: () => 0.0095 },
    { name: "subtle (1.0 %, just over the gate)", bad: true, canaryErrorRatio: () => 0.01 },
    { name: "worse than stable (0.6 %, under 0.8 %)", bad: true, canaryErrorRatio: () => 0.006 },
];

type Gate = (m: Measurements, config: ProgressionConfig, at: Date) => AnalysisVerdict;

const sloGate: Gate = (m, config, at) => evaluateMeasurements(m, config.analysis, at);

/** The plain gate the write-ups used: success rate ≥ 99 % and p99 ≤ 500 ms, on point estimates. */
const plainGate: Gate = (m, config, at) => {
    const v = evaluateMeasurements(m, config.analysis, at);
    const req = m.canaryRequests ?? 0;
    const ok = req === 0 || 1 - (m.canaryErrors ?? 0) / req >= 0.99;
    const fast = (m.canaryP99Ms ?? 0) <= 500;
    return { ...v, verdict: ok && fast ? "pass" : "fail", reason: ok && fast ? "plain gate ok" : "plain gate breached" };
};

interface RolloutOutcome {
    readonly rolledBack: boolean;
    readonly promoted: boolean;
    readonly caughtAtFirstAnalysisAfterFault: boolean;
    readonly upsRun: number;
    /** Highest canary weight the rollout reached (100 when promoted). */
    readonly maxWeight: number;
}

function simulateRollout(scenario: Scenario, gate: Gate, seed: number, config: ProgressionConfig): RolloutOutcome {
    const rand = mulberry32(seed);
    const faultStep = Math.floor(rand() * (config.steps.length - 1)); // a step the canary reaches before 100
    let now = Date.UTC(2025, 0, 6, 9);
    let state: ProgressionState = decide(undefined, config, undefined, new Date(now)).state;
    let analysesAfterFault = 0;
    let maxWeight = state.weight;
    for (let up = 1; up <= 40; up++) {
        now += UPDATE_EVERY_MIN * 60_000; // one `pulumi up` every 30 minutes
        const weight = state.weight / 100;
        const canaryN = Math.round(TOTAL_RPS * WINDOW_S * weight);
        const stableN = Math.round(TOTAL_RPS * WINDOW_S * (1 - weight));
        // The rest of the pass window (the 25 minutes before the last 5), at the same weight: updates come every
        // 30 minutes, so the whole pass window ran at the current step.
        const restCanaryN = Math.round(TOTAL_RPS * (PASS_WINDOW_S - WINDOW_S) * weight);
        const restStableN = Math.round(TOTAL_RPS * (PASS_WINDOW_S - WINDOW_S) * (1 - weight));
        const p = scenario.canaryErrorRatio(state.stepIndex, faultStep);
        const canaryErrors = binomial(rand, canaryN, p);
        const stableErrors = binomial(rand, stableN, STABLE_ERROR);
        const m: { -readonly [K in keyof Measurements]: Measurements[K] } & Record<string, number | undefined> = {
            canaryRequests: canaryN,
            canaryErrors,
            stableRequests: stableN,
            stableErrors,
            // Quantile estimates get noisier with fewer requests (standard error ∝ 1/√n).
            canaryP95Ms: 100 + 10 * Math.sqrt(300 / Math.max(canaryN, 1)) * gaussian(rand),
            canaryP99Ms: 180 + 25 * Math.sqrt(300 / Math.max(canaryN, 1)) * gaussian(rand),
            canaryRestarts: 0,
            passCanaryRequests: canaryN + restCanaryN,
            passCanaryErrors: canaryErrors + binomial(rand, restCanaryN, p),
            passStableRequests: stableN + restStableN,
            passStableErrors: stableErrors + binomial(rand, restStableN, STABLE_ERROR),
        };
        // p95 ≤ p99 whatever the noise: the simulation draws two noisy estimates of one histogram.
        if ((m.canaryP95Ms ?? 0) > (m.canaryP99Ms ?? 0)) m.canaryP95Ms = m.canaryP99Ms;
        const afterFault = scenario.bad && p > STABLE_ERROR;
        if (afterFault) analysesAfterFault++;
        const d = decide(state, config, gate(m, config, new Date(now)), new Date(now));
        state = d.state;
        maxWeight = Math.max(maxWeight, state.status === "promoted" ? 100 : state.weight);
        if (state.status === "rolledBack" || state.status === "failed") {
            if (process.env["PROGRESSION_BENCH_DEBUG"] && !afterFault) console.log(`  false rollback (seed ${seed}): ${d.reason}`);
            return {
                rolledBack: true,
                promoted: false,
                caughtAtFirstAnalysisAfterFault: afterFault && analysesAfterFault === 1,
                upsRun: up,
                maxWeight,
            };
        }
        if (state.status === "promoted") return { rolledBack: false, promoted: true, caughtAtFirstAnalysisAfterFault: false, upsRun: up, maxWeight };
    }
    return { rolledBack: false, promoted: false, caughtAtFirstAnalysisAfterFault: false, upsRun: 40, maxWeight };
}

function quantile(sorted: ReadonlyArray<number>, q: number): number {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

function gateQuality(runs: number): void {
    const config = parseProgressionConfig({
        service: "checkout",
        environment: "prod",
        stableImage: "app:1.0.0",
        canaryImage: "app:1.1.0",
        analysis: { prometheusUrl: "http://unused:9090" },
        // The gate's quality, not the clock: neither the window nor the time at a step holds these rollouts.
        releaseWindow: { enforce: false },
        semantics: { maxTimeAtStep: "1000d" },
    });
    console.log(
        `\n== gate quality: ${runs} seeded rollouts per scenario, steps ${config.steps.join("→")}, ${TOTAL_RPS} rps total, ` +
            `5 m windows (30 m pass window), one pulumi up every ${UPDATE_EVERY_MIN} min, at most 40 ups ==`,
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
    for (const scenario of scenarios) {
        for (const [gateName, gate] of [
            ["SLO gate (this package)", sloGate],
            ["plain threshold gate", plainGate],
        ] as const) {
            const outcomes = Array.from({ length: runs }, (_, i) => simulateRollout(scenario, gate, 1000 + i, config));
            const rolledBack = outcomes.filter((o) => o.rolledBack).length / runs;
            const firstStep = outcomes.filter((o) => o.caughtAtFirstAnalysisAfterFault).length / runs;
            const promoted = outcomes.filter((o) => o.promoted);
            const ups = outcomes.reduce((s, o) => s + o.upsRun, 0) / runs;
            const label = `${scenario.name.padEnd(44)} ${gateName.padEnd(24)}`;
            if (scenario.bad) {
                const advanced = outcomes.filter((o) => o.maxWeight > (config.steps[0] ?? 0)).length / runs;
                const meanMax = outcomes.reduce((s, o) => s + o.maxWeight, 0) / runs;
                console.log(
                    `${label} detected ${pct(rolledBack)}, at first analysed step after the fault ${pct(firstStep)}, ` +
                        `advanced past ${config.steps[0]}% ${pct(advanced)}, promoted ${pct(promoted.length / runs)}, mean highest weight ${meanMax.toFixed(1)}%, mean ups ${ups.toFixed(1)}`,
                );
            } else {
                const toPromote = promoted.map((o) => o.upsRun).sort((a, b) => a - b);
                const mean = toPromote.reduce((s, u) => s + u, 0) / Math.max(toPromote.length, 1);
                const hours = (u: number) => `${((u * UPDATE_EVERY_MIN) / 60).toFixed(1)} h`;
                console.log(
                    `${label} false rollbacks ${pct(rolledBack)}, promoted ${pct(promoted.length / runs)}, ` +
                        `time to promote mean ${mean.toFixed(2)} ups (${hours(mean)}), median ${quantile(toPromote, 0.5)}, p90 ${quantile(toPromote, 0.9)} ups (${hours(quantile(toPromote, 0.9))})`,
                );
            }
        }
    }
}

async function main(): Promise<void> {
    await analysisCost();
    gateQuality(Number(process.env["PROGRESSION_BENCH_RUNS"] ?? 400));
}

void main();
