/**
 * Checks of the user's own (`analysis.checks`) through their real consumers: every query rendered with its
 * placeholders filled and parsed by promtool (Prometheus' own parser and type checker), and the whole analysis
 * against a real Prometheus holding Istio traffic plus the brief's extra signals (the p95 of an asynchronous payment
 * callback ≤ 1200 ms, GC pauses against stable, CPU), in one batched query: a `rollback` check fails the verdict, a
 * `pause` check holds, a `warn` check only records, and a check without data is never a pass.
 */
import { strict as assert } from "node:assert";
import {
    analyzeServices,
    batchedQuery,
    decide,
    type ProgressionConfig,
    PrometheusProvider,
    parseProgressionConfig,
} from "../../progression/internal";
import { customQueries } from "../../progression/queries";
import { FAST_LATENCY as FAST, istioSeries } from "../support/istio-traffic";
import { backfilledHour, type RunningPrometheus, requirePromtool, type SyntheticSeries, startBackfilledPrometheus } from "../support/prometheus";
import { checkPromql } from "../support/validators";

const { STEP_S, END_S, START_S, AT } = backfilledHour();
const NAMESPACE = "shop";

const CHECKS = [
    {
        name: "callback-p95",
        query: 'histogram_quantile(0.95, sum by (le) (rate(payment_callback_duration_ms_bucket{namespace="{{namespace}}", app="{{service}}", version="{{version}}"}[{{window}}])))',
        threshold: 1200,
        direction: "above",
        action: "rollback",
    },
    {
        name: "gc-pause",
        query: 'sum(rate(jvm_gc_pause_seconds_sum{namespace="{{namespace}}", app="{{service}}", version="{{version}}"}[{{window}}]))',
        threshold: 1.5,
        direction: "above",
        compare: { against: "stable", mode: "ratio" },
        action: "pause",
    },
    {
        name: "cpu",
        query: 'max(rate(container_cpu_usage_seconds_total{namespace="{{namespace}}", pod=~"{{service}}-canary-.*"}[{{window}}]))',
        threshold: 0.85,
        direction: "above",
        action: "warn",
    },
    {
        name: "callback-vs-stable",
        query: 'histogram_quantile(0.95, sum by (le) (rate(payment_callback_duration_ms_bucket{namespace="{{namespace}}", app="{{service}}", version=~"{{canaryVersion}}|{{stableVersion}}"}[{{window}}])))',
        threshold: 5000,
        direction: "above",
        action: "warn",
    },
] as const;

const CALLBACK_BUCKETS = ["250", "500", "1000", "1200", "2000", "5000", "+Inf"] as const;
/** Cumulative share per bound: p95 ≈ 1143 ms (within 1200). */
const CALLBACK_OK = [0.3, 0.7, 0.9, 0.97, 1, 1, 1];
/** p95 ≈ 3500 ms. */
const CALLBACK_SLOW = [0.1, 0.3, 0.6, 0.7, 0.9, 1, 1];

function counter(name: string, labels: Record<string, string>, perSecond: number): SyntheticSeries {
    const samples: Array<[number, number]> = [];
    for (let t = START_S; t <= END_S; t += STEP_S) samples.push([t, (t - START_S) * perSecond]);
    return { name, labels, samples };
}

interface Signals {
    readonly callback?: ReadonlyArray<number>;
    readonly gcPerSecond: number;
    readonly cpu: number;
}

function serviceSeries(service: string, canary: Signals): SyntheticSeries[] {
    const stable: Signals = { callback: CALLBACK_OK, gcPerSecond: 0.01, cpu: 0.3 };
    const out: SyntheticSeries[] = [
        ...istioSeries({ service, version: "1.0.0", rps: 20, errorRatio: () => 0.002, latency: FAST }, START_S, END_S, STEP_S),
        ...istioSeries({ service, version: "1.1.0", rps: 2, errorRatio: () => 0.002, latency: FAST }, START_S, END_S, STEP_S),
    ];
    for (const [version, s, pod] of [
        ["1.0.0", stable, `${service}-stable-5c7d9`],
        ["1.1.0", canary, `${service}-canary-7d9f8`],
    ] as const) {
        const labels = { namespace: NAMESPACE, app: service, version };
        if (s.callback !== undefined) {
            const shares = s.callback;
            CALLBACK_BUCKETS.forEach((le, i) => {
                out.push(counter("payment_callback_duration_ms_bucket", { ...labels, le }, 5 * (shares[i] ?? 1)));
            });
        }
        out.push(counter("jvm_gc_pause_seconds_sum", labels, s.gcPerSecond));
        out.push(counter("container_cpu_usage_seconds_total", { namespace: NAMESPACE, pod, container: service }, s.cpu));
    }
    return out;
}

const SCENARIOS: Record<string, Signals> = {
    fine: { callback: CALLBACK_OK, gcPerSecond: 0.012, cpu: 0.4 },
    "callback-slow": { callback: CALLBACK_SLOW, gcPerSecond: 0.012, cpu: 0.4 },
    "gc-heavy": { callback: CALLBACK_OK, gcPerSecond: 0.03, cpu: 0.4 },
    "cpu-hot": { callback: CALLBACK_OK, gcPerSecond: 0.012, cpu: 0.95 },
    "callback-nodata": { gcPerSecond: 0.012, cpu: 0.4 },
};

function configFor(service: string, url: string): ProgressionConfig {
    return parseProgressionConfig({
        service,
        environment: "prod",
        namespace: NAMESPACE,
        stableImage: `registry.local/${service}:1.0.0`,
        canaryImage: `registry.local/${service}:1.1.0`,
        analysis: { prometheusUrl: url, window: "5m", minRequestCount: 100, checks: CHECKS },
        releaseWindow: { enforce: false },
    });
}

describe("custom analysis checks: PromQL through promtool", function () {
    this.timeout(2 * 60 * 1000);
    before(() => requirePromtool());

    it("every rendered custom query, and the whole batched query carrying them, parses and type-checks", async () => {
        const configs = Object.keys(SCENARIOS).map((s) => configFor(s, "http://prom:9090"));
        const exprs = [...configs.flatMap((c) => customQueries(c).map(([, q]) => q)), batchedQuery(configs)];
        assert.equal(exprs.length, 5 * 5 + 1, "four checks, one compared with stable, per service");
        assert.deepEqual(await checkPromql(exprs), []);
    });

    it("negative control: promtool refuses a custom query the schema lets through, naming it", async () => {
        const broken = configFor("fine", "http://prom:9090");
        const bad = parseProgressionConfig({
            ...{ service: "fine", environment: "prod", namespace: NAMESPACE, stableImage: "a:1.0.0", canaryImage: "a:1.1.0" },
            analysis: {
                prometheusUrl: "http://prom:9090",
                checks: [{ name: "untyped", query: 'sum(rate(x{app="{{service}}"}))', threshold: 1, direction: "above", action: "warn" }],
            },
        });
        const errors = await checkPromql([...customQueries(broken).map(([, q]) => q), ...customQueries(bad).map(([, q]) => q)]);
        assert.deepEqual(
            errors.map((e) => e.index),
            [5],
        );
        assert.match(errors[0]!.message, /expected type range vector in call to function "rate"/);
    });
});

describe("custom analysis checks against a real Prometheus", function () {
    this.timeout(5 * 60 * 1000);
    let prom: RunningPrometheus | undefined;

    before(async () => {
        prom = await startBackfilledPrometheus(Object.entries(SCENARIOS).flatMap(([service, signals]) => serviceSeries(service, signals)));
    });
    after(async () => {
        await prom?.stop();
    });

    it("judges every service and every custom check in one HTTP round trip, with the action of each", async () => {
        const provider = new PrometheusProvider({ baseUrl: prom?.url ?? "", timeoutMs: 10_000 });
        const services = Object.keys(SCENARIOS);
        const configs = services.map((s) => configFor(s, prom?.url ?? ""));
        const verdicts = await analyzeServices(configs, provider, AT);
        assert.equal(provider.roundTrips, 1);
        const v = (s: string) => {
            const verdict = verdicts.get(s);
            assert.ok(verdict !== undefined, s);
            return verdict;
        };
        const custom = (s: string) =>
            Object.fromEntries(
                v(s)
                    .checks.filter((c) => c.name.startsWith("custom:"))
                    .map((c) => [c.name, c]),
            );

        // Within every limit: a pass, each custom check reported with its measured value.
        const fine = v("fine");
        assert.equal(fine.kind, "pass", fine.reason);
        const f = custom("fine");
        assert.deepEqual(
            Object.values(f).map((c) => `${c.name}:${c.outcome}`),
            ["custom:callback-p95:pass", "custom:gc-pause:pass", "custom:cpu:pass", "custom:callback-vs-stable:pass"],
        );
        assert.ok(Math.abs((f["custom:callback-p95"]?.measured ?? 0) - 1142.857) < 1, `callback p95 ${f["custom:callback-p95"]?.measured}`);
        assert.ok(Math.abs((f["custom:gc-pause"]?.measured ?? 0) - 1.2) < 1e-6, `gc ratio ${f["custom:gc-pause"]?.measured}`);
        assert.ok(Math.abs((f["custom:cpu"]?.measured ?? 0) - 0.4) < 1e-6);

        // rollback: the slow callback fails the verdict, and the decision rolls the canary back.
        const slow = v("callback-slow");
        assert.equal(slow.kind, "fail", slow.reason);
        assert.match(slow.reason, /^fail: custom:callback-p95: 3500 > 1200; action rollback/);
        const config = configs[services.indexOf("callback-slow")]!;
        const started = decide(undefined, config, undefined, new Date(AT.getTime() - 3_600_000)).state;
        assert.equal(decide(started, config, slow, AT).action, "rollback");

        // pause: GC pauses at 3× stable hold the canary without counting toward inconclusiveBeforeFail.
        const gc = v("gc-heavy");
        assert.equal(gc.kind, "inconclusive", gc.reason);
        assert.equal(gc.held, true);
        assert.equal(custom("gc-heavy")["custom:gc-pause"]?.outcome, "hold");
        const gcConfig = configs[services.indexOf("gc-heavy")]!;
        const gcStarted = decide(undefined, gcConfig, undefined, new Date(AT.getTime() - 3_600_000)).state;
        const held = decide(gcStarted, gcConfig, gc, AT);
        assert.equal(held.action, "hold", held.reason);
        assert.equal(held.state.consecutiveInconclusive, 0);

        // warn: a hot CPU is recorded, the verdict stays a pass.
        const hot = v("cpu-hot");
        assert.equal(hot.kind, "pass", hot.reason);
        assert.equal(custom("cpu-hot")["custom:cpu"]?.outcome, "warn");
        assert.match(hot.reason, /warnings: custom:cpu: 0\.95 > 0\.85; action warn/);

        // No callback series: unknown, never a pass.
        const nodata = v("callback-nodata");
        assert.equal(nodata.kind, "inconclusive", nodata.reason);
        assert.equal(nodata.held, undefined);
        assert.match(custom("callback-nodata")["custom:callback-p95"]?.detail ?? "", /no data: the canary query returned no series/);
    });

    it("a custom query that Prometheus refuses is an error of its own service only: the others are judged as before", async () => {
        const provider = new PrometheusProvider({ baseUrl: prom?.url ?? "", timeoutMs: 10_000, retries: 0 });
        const queries: string[] = [];
        const counting = { query: (promql: string, time: Date) => (queries.push(promql), provider.query(promql, time)) };
        const bad = parseProgressionConfig({
            service: "gc-heavy",
            environment: "prod",
            stableImage: "registry.local/fine:1.0.0",
            canaryImage: "registry.local/fine:1.1.0",
            analysis: {
                prometheusUrl: prom?.url ?? "",
                checks: [{ name: "untyped", query: "sum(rate(jvm_gc_pause_seconds_sum))", threshold: 1, direction: "above", action: "warn" }],
            },
        });
        const verdicts = await analyzeServices([configFor("fine", prom?.url ?? ""), bad], counting, AT);
        assert.equal(verdicts.get("gc-heavy")?.kind, "error");
        assert.match(verdicts.get("gc-heavy")?.reason ?? "", /metrics query failed: Prometheus error bad_data: .*range vector/);
        assert.equal(verdicts.get("fine")?.kind, "pass", verdicts.get("fine")?.reason);
        assert.equal(queries.length, 3, "the batch, then each service on its own");
        // Alone, the refused query is the service's error at once (no second try).
        queries.length = 0;
        assert.equal((await analyzeServices([bad], counting, AT)).get("gc-heavy")?.kind, "error");
        assert.equal(queries.length, 1);
    });
});
