/**
 * Benchmark of the progression library.
 *  1. Analysis cost: wall time and HTTP round trips per decision for 1 and 50 services, against a local
 *     fake Prometheus (node:http on 127.0.0.1) that answers the batched query.
 *  2. Gate quality: a few hundred seeded simulated rollouts per scenario (per-window request/error counts
 *     drawn binomially with a seeded PRNG; latency histograms, restarts and custom-check values where the scenario
 *     needs them), driven through the real evaluateMeasurements() + decide(), compared with a plain threshold
 *     gate (success rate ≥ 99 %, p99 ≤ 500 ms, custom checks as plain thresholds) on the same data. Each bad
 *     scenario names a healthy twin run with the same configuration, so detection and false rollbacks go together.
 * Run: npx ts-node --transpile-only bench/progression.ts
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { customMeasure } from "../progression/custom-checks";
import {
    type AnalysisVerdict,
    bucketCounts,
    type CheckResult,
    decide,
    evaluateMeasurements,
    type HistogramBucket,
    histogramQuantile,
    LATENCY_BUCKETS_MEASURE,
    MEASURE_NAMES,
    type Measurements,
    normalCdf,
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

/** What a scenario's extra signals may depend on, for one simulated analysis. */
interface WindowContext {
    readonly rand: () => number;
    /** Canary weight as a fraction. */
    readonly weight: number;
    readonly canaryN: number;
    readonly stableN: number;
    readonly restCanaryN: number;
}

type MutableMeasurements = { -readonly [K in keyof Measurements]: Measurements[K] };

interface Scenario {
    readonly name: string;
    readonly bad: boolean;
    /** The healthy scenario run with the same configuration: its false rollbacks go with this one's detection. */
    readonly twin?: string;
    /** Analysis settings on top of the defaults, and how the output names them. */
    readonly analysis?: { readonly settings: Record<string, unknown>; readonly label: string };
    /** The fault is there from the first analysis (else: from the first step where the error ratio exceeds stable's). */
    readonly faultFromStart?: boolean;
    /** Canary error ratio at a step index, given the step at which the fault appears (if any), at the n-th update. */
    readonly canaryErrorRatio: (stepIndex: number, faultStep: number, up: number) => number;
    /** Signals beyond the error counts, drawn after them so that the error-only scenarios keep their random sequence. */
    readonly extra?: (m: MutableMeasurements, ctx: WindowContext) => void;
}

const STABLE_ERROR = 0.002;
const TOTAL_RPS = 20;
const WINDOW_S = 300;
/** Minutes between two `pulumi up`s (the brief's 30 minutes); also the default `analysis.passWindow`. */
const UPDATE_EVERY_MIN = 30;
const PASS_WINDOW_S = 1800;

/** Binomial draw: exact for small means, normal approximation for large ones (histogram buckets of thousands). */
function drawBinomial(rand: () => number, n: number, p: number): number {
    if (p > 0.5) return n - drawBinomial(rand, n, 1 - p);
    const variance = n * p * (1 - p);
    if (variance < 25) return binomial(rand, n, p);
    return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(variance) * gaussian(rand))));
}

function poisson(rand: () => number, mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let prod = rand(); prod > limit; prod *= rand()) k++;
    return k;
}

/** Istio's default request-duration bucket bounds (ms), up to 10 s. */
const LATENCY_BOUNDS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** Stable's latency: log-normal, median 30 ms, σ 0.6 (p95 ≈ 80 ms, p99 ≈ 121 ms). */
const LATENCY_MEDIAN_MS = 30;
const LATENCY_SIGMA = 0.6;

/** One window's latency histogram of `n` requests (cumulative rates per bucket, as the batched query returns them). */
function drawHistogram(rand: () => number, n: number, slowdown: number): HistogramBucket[] {
    const out: HistogramBucket[] = [];
    let remaining = n;
    let remainingP = 1;
    let below = 0;
    let cumulative = 0;
    for (const le of LATENCY_BOUNDS) {
        const upTo = normalCdf(Math.log(le / (LATENCY_MEDIAN_MS * slowdown)) / LATENCY_SIGMA);
        const pIn = upTo - below;
        const k = remainingP > 0 && remaining > 0 ? drawBinomial(rand, remaining, Math.min(1, Math.max(0, pIn / remainingP))) : 0;
        remaining -= k;
        remainingP -= pIn;
        below = upTo;
        cumulative += k;
        out.push({ le, value: cumulative / WINDOW_S });
    }
    out.push({ le: Infinity, value: n / WINDOW_S });
    return out;
}

/** Canary and stable histograms, the canary `slowdown` × slower; the canary's p95/p99 computed from its own, as Prometheus does. */
function latencyHistograms(slowdown: number): NonNullable<Scenario["extra"]> {
    return (m, { rand, canaryN, stableN }) => {
        const canary = drawHistogram(rand, canaryN, slowdown);
        m.canaryLatencyBuckets = canary;
        m.stableLatencyBuckets = drawHistogram(rand, stableN, 1);
        const counts = bucketCounts(canary, WINDOW_S);
        if (typeof counts === "string") throw new Error(counts);
        m.canaryP95Ms = histogramQuantile(0.95, counts).value;
        m.canaryP99Ms = histogramQuantile(0.99, counts).value;
    };
}

/**
 * A leak that OOM-kills the canary: restarts per 5 minutes grow with its traffic (0.7 at 5 %, 1.4 at 10 %, …), and
 * each kill fails the requests routed to the pod in the ~2 s before its endpoint is removed.
 */
const restartLoop: NonNullable<Scenario["extra"]> = (m, { rand, weight }) => {
    const perWindow = (0.7 * weight) / 0.05;
    const canaryRps = TOTAL_RPS * weight;
    const lost = (restarts: number) => Array.from({ length: restarts }, () => poisson(rand, canaryRps * 2)).reduce((a, b) => a + b, 0);
    const restarts = poisson(rand, perWindow);
    const inWindow = Math.min(lost(restarts), (m.canaryRequests ?? 0) - (m.canaryErrors ?? 0));
    const inRest = lost(poisson(rand, perWindow * ((PASS_WINDOW_S - WINDOW_S) / WINDOW_S)));
    m.canaryRestarts = restarts;
    m.canaryErrors = (m.canaryErrors ?? 0) + inWindow;
    m.passCanaryErrors = Math.min(m.passCanaryRequests ?? 0, (m.passCanaryErrors ?? 0) + inWindow + inRest);
};

/** A custom check with action rollback: the p95 of the canary's outgoing payment callbacks must stay ≤ 1200 ms. */
const CALLBACK_CHECK = {
    settings: {
        checks: [
            {
                name: "callbackP95",
                query: 'histogram_quantile(0.95, sum by (le) (rate(callback_duration_milliseconds_bucket{app="{{service}}",version="{{version}}"}[{{window}}])))',
                threshold: 1200,
                direction: "above",
                action: "rollback",
            },
        ],
    },
    label: "custom check callbackP95 > 1200 ms → rollback",
} as const;

/**
 * The custom query's answer, `custom:callbackP95`: a p95 estimated from the window's callbacks (one per ten
 * requests), so noisier at small weights (±15 % at 30 callbacks, ∝ 1/√n).
 */
function callbackP95(trueMs: number): NonNullable<Scenario["extra"]> {
    return (m, { rand, canaryN }) => {
        const callbacks = Math.max(1, Math.round(canaryN / 10));
        m.custom = { [customMeasure("callbackP95")]: [trueMs * (1 + 0.15 * Math.sqrt(30 / callbacks) * gaussian(rand))] };
    };
}

const LATENCY_CHECK = {
    settings: { thresholds: { maxP95RatioVsStable: 1.1 } },
    label: "maxP95RatioVsStable 1.1 (opt-in; off by default)",
} as const;

const HEALTHY = "healthy (0.2 % like stable)";

const scenarios: Scenario[] = [
    { name: HEALTHY, bad: false, canaryErrorRatio: () => STABLE_ERROR },
    { name: "incident (0.2 % → 12.7 % at a random step)", bad: true, twin: HEALTHY, canaryErrorRatio: (i, f) => (i >= f ? 0.127 : STABLE_ERROR) },
    { name: "just above the limit (0.95 %, limit 0.8 %)", bad: true, twin: HEALTHY, canaryErrorRatio: () => 0.0095 },
    { name: "subtle (1.0 %, just over the gate)", bad: true, twin: HEALTHY, canaryErrorRatio: () => 0.01 },
    { name: "worse than stable (0.6 %, under 0.8 %)", bad: true, twin: HEALTHY, canaryErrorRatio: () => 0.006 },
    {
        name: "slow error creep (0.2 % → 0.96 % = 1.2× limit over 2 h)",
        bad: true,
        twin: HEALTHY,
        faultFromStart: true,
        canaryErrorRatio: (_i, _f, up) => STABLE_ERROR + (1.2 * 0.008 - STABLE_ERROR) * Math.min(1, up / 4),
    },
    {
        name: "restart loop (OOM kills, 0.7 per 5 min at 5 %)",
        bad: true,
        twin: HEALTHY,
        faultFromStart: true,
        canaryErrorRatio: () => STABLE_ERROR,
        extra: restartLoop,
    },
    {
        name: "healthy, latency like stable",
        bad: false,
        analysis: LATENCY_CHECK,
        canaryErrorRatio: () => STABLE_ERROR,
        extra: latencyHistograms(1),
    },
    {
        name: "latency only (1.4× slower, p95 ≈ 113 < 200 ms)",
        bad: true,
        twin: "healthy, latency like stable",
        analysis: LATENCY_CHECK,
        faultFromStart: true,
        canaryErrorRatio: () => STABLE_ERROR,
        extra: latencyHistograms(1.4),
    },
    {
        name: "healthy, callback p95 900 ms",
        bad: false,
        analysis: CALLBACK_CHECK,
        canaryErrorRatio: () => STABLE_ERROR,
        extra: callbackP95(900),
    },
    {
        name: "custom check (callback p95 900 → 1350 ms)",
        bad: true,
        twin: "healthy, callback p95 900 ms",
        analysis: CALLBACK_CHECK,
        faultFromStart: true,
        canaryErrorRatio: () => STABLE_ERROR,
        extra: callbackP95(1350),
    },
];

type Gate = (m: Measurements, config: ProgressionConfig, at: Date) => AnalysisVerdict;

const sloGate: Gate = (m, config, at) => evaluateMeasurements(m, config.analysis, at);

/**
 * The plain gate the write-ups used: success rate ≥ 99 % and p99 ≤ 500 ms, on point estimates of the last window,
 * plus the user's custom checks as plain thresholds (what a metric template with a threshold does). It does not see
 * restarts, stable, histograms or confidence.
 */
const PLAIN_GATE_SEES = "success rate ≥ 99 %, p99 ≤ 500 ms and the custom checks' values against their thresholds, point estimates of the last 5 min";
const plainGate: Gate = (m, config, at) => {
    const v = evaluateMeasurements(m, config.analysis, at);
    const req = m.canaryRequests ?? 0;
    const successRate = req === 0 ? 1 : 1 - (m.canaryErrors ?? 0) / req;
    const p99 = m.canaryP99Ms ?? 0;
    const checks: CheckResult[] = [
        { name: "successRate", outcome: successRate >= 0.99 ? "pass" : "fail", measured: successRate, threshold: 0.99, detail: "" },
        { name: "p99", outcome: p99 <= 500 ? "pass" : "fail", measured: p99, threshold: 500, detail: "" },
        ...(config.analysis.checks ?? []).map((c): CheckResult => {
            const value = m.custom?.[customMeasure(c.name)]?.[0] ?? NaN;
            const breached = c.direction === "above" ? value > c.threshold : value < c.threshold;
            return { name: `custom:${c.name}`, outcome: breached ? "fail" : "pass", measured: value, threshold: c.threshold, detail: "" };
        }),
    ];
    const failed = checks.some((c) => c.outcome === "fail");
    return { ...v, kind: failed ? "fail" : "pass", reason: failed ? "plain gate breached" : "plain gate ok", checks };
};

interface RolloutOutcome {
    readonly rolledBack: boolean;
    readonly promoted: boolean;
    readonly caughtAtFirstAnalysisAfterFault: boolean;
    readonly upsRun: number;
    /** Highest canary weight the rollout reached (100 when promoted). */
    readonly maxWeight: number;
    /** On a rollback: the failing checks of the last verdict, or `held too long` when it was not a fail. */
    readonly caughtBy?: string;
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
        const p = scenario.canaryErrorRatio(state.stepIndex, faultStep, up);
        const canaryErrors = binomial(rand, canaryN, p);
        const stableErrors = binomial(rand, stableN, STABLE_ERROR);
        const m: MutableMeasurements = {
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
        scenario.extra?.(m, { rand, weight, canaryN, stableN, restCanaryN });
        const afterFault = scenario.bad && (scenario.faultFromStart === true || p > STABLE_ERROR);
        if (afterFault) analysesAfterFault++;
        const verdict = gate(m, config, new Date(now));
        const d = decide(state, config, verdict, new Date(now));
        state = d.state;
        maxWeight = Math.max(maxWeight, state.status === "promoted" ? 100 : state.weight);
        if (state.status === "rolledBack" || state.status === "failed") {
            if (process.env["PROGRESSION_BENCH_DEBUG"] && !afterFault) console.log(`  false rollback (seed ${seed}): ${d.reason}`);
            const failing = verdict.checks.filter((c) => c.outcome === "fail").map((c) => c.name);
            return {
                rolledBack: true,
                promoted: false,
                caughtAtFirstAnalysisAfterFault: afterFault && analysesAfterFault === 1,
                upsRun: up,
                maxWeight,
                caughtBy: verdict.kind === "fail" ? failing.join("+") : "held too long",
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

/** The most frequent values of `names`, with their shares, e.g. `restarts 71%, errorRate 20%`. */
function shares(names: ReadonlyArray<string>): string {
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([n, c]) => `${n} ${Math.round((100 * c) / names.length)}%`)
        .join(", ");
}

function gateQuality(runs: number): void {
    const configFor = (scenario: Scenario): ProgressionConfig =>
        parseProgressionConfig({
            service: "checkout",
            environment: "prod",
            stableImage: "app:1.0.0",
            canaryImage: "app:1.1.0",
            analysis: { prometheusUrl: "http://unused:9090", ...scenario.analysis?.settings },
            // The gate's quality, not the clock: neither the window nor the time at a step holds these rollouts.
            releaseWindow: { enforce: false },
            semantics: { maxTimeAtStep: "1000d" },
        });
    const base = configFor(scenarios[0]!);
    console.log(
        `\n== gate quality: ${runs} seeded rollouts per scenario, steps ${base.steps.join("→")}, ${TOTAL_RPS} rps total, ` +
            `5 m windows (30 m pass window), one pulumi up every ${UPDATE_EVERY_MIN} min, at most 40 ups ==\n` +
            `plain threshold gate sees: ${PLAIN_GATE_SEES}`,
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
    const gates = [
        ["SLO gate (this package)", sloGate],
        ["plain threshold gate", plainGate],
    ] as const;
    type Row = { firstStep: number; rolledBack: number; ups: number; caughtBy: string };
    const results = new Map<string, Row>();
    for (const scenario of scenarios) {
        const config = configFor(scenario);
        if (scenario.analysis !== undefined) console.log(`-- with ${scenario.analysis.label}`);
        for (const [gateName, gate] of gates) {
            const outcomes = Array.from({ length: runs }, (_, i) => simulateRollout(scenario, gate, 1000 + i, config));
            const rolledBack = outcomes.filter((o) => o.rolledBack).length / runs;
            const firstStep = outcomes.filter((o) => o.caughtAtFirstAnalysisAfterFault).length / runs;
            const promoted = outcomes.filter((o) => o.promoted);
            const ups = outcomes.reduce((s, o) => s + o.upsRun, 0) / runs;
            const caughtBy = shares(outcomes.flatMap((o) => (o.caughtBy === undefined ? [] : [o.caughtBy])));
            results.set(`${scenario.name}|${gateName}`, { firstStep, rolledBack, ups, caughtBy });
            const label = `${scenario.name.padEnd(56)} ${gateName.padEnd(24)}`;
            if (scenario.bad) {
                const advanced = outcomes.filter((o) => o.maxWeight > (config.steps[0] ?? 0)).length / runs;
                const meanMax = outcomes.reduce((s, o) => s + o.maxWeight, 0) / runs;
                console.log(
                    `${label} detected ${pct(rolledBack)}, at first analysed step after the fault ${pct(firstStep)}, ` +
                        `advanced past ${config.steps[0]}% ${pct(advanced)}, promoted ${pct(promoted.length / runs)}, mean highest weight ${meanMax.toFixed(1)}%, ` +
                        `mean ups to decision ${ups.toFixed(1)}${caughtBy === "" ? "" : `; caught by ${caughtBy}`}`,
                );
            } else {
                const toPromote = promoted.map((o) => o.upsRun).sort((a, b) => a - b);
                const mean = toPromote.reduce((s, u) => s + u, 0) / Math.max(toPromote.length, 1);
                const hours = (u: number) => `${((u * UPDATE_EVERY_MIN) / 60).toFixed(1)} h`;
                console.log(
                    `${label} false rollbacks ${pct(rolledBack)}, promoted ${pct(promoted.length / runs)}, ` +
                        `time to promote mean ${mean.toFixed(2)} ups (${hours(mean)}), median ${quantile(toPromote, 0.5)}, p90 ${quantile(toPromote, 0.9)} ups (${hours(quantile(toPromote, 0.9))})` +
                        `${caughtBy === "" ? "" : `; rolled back by ${caughtBy}`}`,
                );
            }
        }
    }
    console.log(
        "\n-- summary: detection at the first analysis after the fault, detection overall, false rollbacks of the healthy twin " +
            "(same configuration), mean pulumi ups to a decision (rollback or promotion)",
    );
    console.log("| scenario | gate | at first analysis | detected | false rollbacks (healthy twin) | healthy twin | mean ups to decision |");
    console.log("|---|---|---|---|---|---|---|");
    for (const scenario of scenarios.filter((s) => s.bad)) {
        for (const [gateName] of gates) {
            const r = results.get(`${scenario.name}|${gateName}`)!;
            const twin = results.get(`${scenario.twin ?? ""}|${gateName}`);
            const cells = [
                scenario.name,
                gateName,
                pct(r.firstStep).trim(),
                pct(r.rolledBack).trim(),
                twin === undefined ? "n/a" : pct(twin.rolledBack).trim(),
                scenario.twin ?? "",
                r.ups.toFixed(1),
            ];
            console.log(`| ${cells.join(" | ")} |`);
        }
    }
}

async function main(): Promise<void> {
    await analysisCost();
    gateQuality(Number(process.env["PROGRESSION_BENCH_RUNS"] ?? 400));
}

void main();
