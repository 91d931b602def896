/**
 * Checks of the user's own (`analysis.checks`, progression/custom-checks.ts): validation, rendering into the one
 * batched query, parsing of the answer, judgement per action, and the decision a `pause` check leads to.
 */
import { strict as assert } from "node:assert";
import { BUILT_IN_NAMES, CUSTOM_PLACEHOLDERS, evaluateCustomChecks, promqlShapeProblem, renderCustomQuery } from "../../progression/custom-checks";
import {
    type AnalysisVerdict,
    batchedQuery,
    decide,
    evaluateMeasurements,
    LATENCY_BUCKETS_MEASURE,
    MEASURE_NAMES,
    type Measurements,
    measurementsByService,
    type ProgressionConfigInput,
    parseProgressionConfig,
} from "../../progression/internal";
import { parseStackConfig } from "../../stacks/config";
import { HEALTHY_MEASUREMENTS } from "../support/measurements";

const P95_CALLBACK = {
    name: "callback-p95",
    query: 'histogram_quantile(0.95, sum by (le) (rate(payment_callback_duration_ms_bucket{app="{{service}}", version="{{version}}"}[{{window}}])))',
    threshold: 1200,
    direction: "above",
    action: "rollback",
} as const;
const GC_VS_STABLE = {
    name: "gc-pause",
    query: 'max(rate(jvm_gc_pause_seconds_sum{namespace="{{namespace}}", app="{{service}}", version="{{version}}"}[{{window}}]))',
    threshold: 1.5,
    direction: "above",
    compare: { against: "stable", mode: "ratio" },
    action: "pause",
} as const;
const CPU = {
    name: "cpu",
    query: 'max(rate(container_cpu_usage_seconds_total{pod=~"{{service}}-canary-.*"}[{{window}}]))',
    threshold: 0.85,
    direction: "above",
    action: "warn",
} as const;

function configWith(checks: unknown, extra: Partial<ProgressionConfigInput> = {}) {
    return parseProgressionConfig({
        service: "payments",
        environment: "prod",
        namespace: "shop",
        stableImage: "app:1.0.0",
        canaryImage: "app:1.1.0",
        analysis: { prometheusUrl: "http://prom:9090", checks },
        ...extra,
    });
}

const at = new Date(Date.UTC(2025, 0, 1));
const healthy: Measurements = HEALTHY_MEASUREMENTS;

describe("custom checks: validation", () => {
    it("accepts the three checks of the brief and keeps them in order", () => {
        const c = configWith([P95_CALLBACK, GC_VS_STABLE, CPU]);
        assert.deepEqual(
            c.analysis.checks.map((k) => `${k.name}:${k.action}`),
            ["callback-p95:rollback", "gc-pause:pause", "cpu:warn"],
        );
        assert.equal(c.namespace, "shop");
        assert.deepEqual(configWith(undefined).analysis.checks, []);
    });

    it("refuses unknown placeholders, duplicate and built-in names, a bad direction and action, naming the key path", () => {
        const problems = (checks: unknown, extra: Partial<ProgressionConfigInput> = {}) => {
            try {
                configWith(checks, extra);
            } catch (e) {
                return (e as Error).message;
            }
            return "";
        };
        assert.match(
            problems([{ ...CPU, query: 'up{pod="{{pod}}"}' }]),
            /analysis\.checks\[0\]\.query = "up\{pod=\\"\{\{pod\}\}\\"\}": unknown placeholder \{\{pod\}\}/,
        );
        assert.match(
            problems([CPU, { ...P95_CALLBACK, name: "cpu" }]),
            /analysis\.checks\[1\]\.name = "cpu": duplicate check name "cpu" \(also checks\[0\]\)/,
        );
        assert.match(problems([{ ...CPU, name: "p95" }]), /analysis\.checks\[0\]\.name = "p95": "p95" is the name of a built-in/);
        assert.match(problems([{ ...CPU, name: "a:b" }]), /analysis\.checks\[0\]\.name = "a:b"/);
        assert.match(problems([{ ...CPU, direction: "over" }]), /analysis\.checks\[0\]\.direction = "over"/);
        assert.match(problems([{ ...CPU, action: "page" }]), /analysis\.checks\[0\]\.action = "page"/);
        assert.match(problems([{ ...CPU, compare: { against: "baseline", mode: "ratio" } }]), /analysis\.checks\[0\]\.compare\.against/);
        assert.match(
            problems([GC_VS_STABLE], { namespace: undefined }),
            /analysis\.checks\[0\]\.query = .*uses \{\{namespace\}\} but the service's namespace is not known/,
        );
        assert.match(problems([{ ...CPU, threshold: "0.85" }]), /analysis\.checks\[0\]\.threshold = "0.85"/);
    });

    it("refuses a query with an unbalanced bracket or quote at config time (placeholders, strings and comments aside)", () => {
        const ok = ['sum(rate(x{a="(", b=~"[{]"}[{{window}}])) # a ( comment', "max(x) by (le)", 'x{v="{{version}}", w=`\\`}'];
        for (const query of ok) assert.equal(promqlShapeProblem(query), undefined, query);
        assert.equal(promqlShapeProblem("sum(rate(x[5m])"), 'unclosed "(" at character 4');
        assert.equal(promqlShapeProblem("sum(x})"), 'unbalanced "}" at character 6');
        assert.equal(promqlShapeProblem('x{a="b}'), "unterminated string starting at character 5");
        assert.throws(
            () => configWith([{ ...CPU, query: "max(rate(x[5m])" }]),
            /analysis\.checks\[0\]\.query = "max\(rate\(x\[5m\]\)": not PromQL: unclosed "\(" at character 4/,
        );
    });

    it("lists every built-in measurement among the reserved names", () => {
        for (const name of [...MEASURE_NAMES, LATENCY_BUCKETS_MEASURE]) assert.ok(BUILT_IN_NAMES.includes(name), name);
    });
});

describe("custom checks: queries", () => {
    it("fills every placeholder, `{{version}}` with the side measured", () => {
        const ctx = { service: "payments", namespace: "shop", canaryVersion: "1.1.0", stableVersion: "1.0.0", windowMs: 300_000 };
        const all = CUSTOM_PLACEHOLDERS.map((p) => `${p}={{${p}}}`).join(" ");
        assert.equal(
            renderCustomQuery(all, ctx, "canary"),
            "service=payments namespace=shop version=1.1.0 canaryVersion=1.1.0 stableVersion=1.0.0 window=300s",
        );
        assert.equal(renderCustomQuery('x{v="{{ version }}"}', ctx, "stable"), 'x{v="1.0.0"}');
        assert.equal(renderCustomQuery('x{v="{{version}}"}', { ...ctx, canaryVersion: 'a"b' }, "canary"), 'x{v="a\\"b"}');
    });

    it("puts each check (and a compared check's stable side) into the one batched query, tagged custom:<name>", () => {
        const q = batchedQuery([configWith([P95_CALLBACK, GC_VS_STABLE, CPU])]);
        for (const measure of ["custom:callback-p95", "custom:gc-pause", "custom:gc-pause:stable", "custom:cpu"])
            assert.equal(q.split(`"measure", "${measure}"`).length - 1, 1, measure);
        assert.ok(!q.includes('"custom:callback-p95:stable"'));
        assert.match(q, /jvm_gc_pause_seconds_sum\{namespace="shop", app="payments", version="1\.1\.0"\}\[300s\]/);
        assert.match(q, /jvm_gc_pause_seconds_sum\{namespace="shop", app="payments", version="1\.0\.0"\}\[300s\]/);
        assert.ok(!q.includes("{{"), "no placeholder left");
    });

    it("reads custom measurements back per service; several series are kept (judged unknown), not a malformed answer", () => {
        const sample = (measure: string, value: number, extra: Record<string, string> = {}) => ({
            labels: { service: "payments", measure, ...extra },
            value,
        });
        const parsed = measurementsByService([
            sample("canaryRequests", 10),
            sample("custom:cpu", 0.5, { pod: "a" }),
            sample("custom:cpu", 0.7, { pod: "b" }),
            sample("custom:gc-pause", 0.2),
        ]);
        assert.ok(typeof parsed !== "string", String(parsed));
        assert.deepEqual(parsed.get("payments")?.custom, { "custom:cpu": [0.5, 0.7], "custom:gc-pause": [0.2] });
    });
});

describe("custom checks: judgement", () => {
    const checks = configWith([P95_CALLBACK, GC_VS_STABLE, CPU]).analysis.checks;
    const byName = (values: Record<string, number[]>) => Object.fromEntries(evaluateCustomChecks(checks, values).map((c) => [c.name, c]));

    it("passes within the limits, with the compared value measured", () => {
        const r = byName({ "custom:callback-p95": [900], "custom:gc-pause": [0.012], "custom:gc-pause:stable": [0.01], "custom:cpu": [0.4] });
        assert.deepEqual(
            Object.values(r).map((c) => `${c.name}:${c.outcome}`),
            ["custom:callback-p95:pass", "custom:gc-pause:pass", "custom:cpu:pass"],
        );
        assert.ok(Math.abs((r["custom:gc-pause"]?.measured ?? 0) - 1.2) < 1e-9);
        assert.equal(r["custom:callback-p95"]?.threshold, 1200);
    });

    it("a breach fails a rollback check, holds a pause check, warns a warn check", () => {
        const r = byName({ "custom:callback-p95": [1500], "custom:gc-pause": [0.03], "custom:gc-pause:stable": [0.01], "custom:cpu": [0.9] });
        assert.equal(r["custom:callback-p95"]?.outcome, "fail");
        assert.match(r["custom:callback-p95"]?.detail ?? "", /1500 > 1200; action rollback/);
        assert.equal(r["custom:gc-pause"]?.outcome, "hold");
        assert.match(r["custom:gc-pause"]?.detail ?? "", /canary\/stable 3 \(canary 0\.03, stable 0\.01\) > 1\.5/);
        assert.equal(r["custom:cpu"]?.outcome, "warn");
    });

    it("never passes on unknown data: no series, several series, NaN, a ratio over 0", () => {
        const r = byName({ "custom:callback-p95": [NaN], "custom:gc-pause": [0.02], "custom:gc-pause:stable": [0], "custom:cpu": [0.1, 0.2] });
        assert.equal(r["custom:callback-p95"]?.outcome, "inconclusive");
        assert.equal(r["custom:gc-pause"]?.outcome, "inconclusive");
        assert.match(r["custom:gc-pause"]?.detail ?? "", /no ratio/);
        assert.equal(r["custom:cpu"]?.outcome, "warn", "a warn check only records");
        assert.match(r["custom:cpu"]?.detail ?? "", /returned 2 series, not one number/);
        const none = byName({});
        assert.equal(none["custom:callback-p95"]?.outcome, "inconclusive");
        assert.match(none["custom:callback-p95"]?.detail ?? "", /no data/);
        assert.equal(none["custom:gc-pause"]?.outcome, "inconclusive");
        assert.equal(evaluateCustomChecks(checks, undefined)[0]?.outcome, "inconclusive");
    });

    it("direction below breaches under the threshold; difference compares canary − stable", () => {
        const [c] = configWith([
            {
                name: "hit-ratio",
                query: "sum(x)",
                threshold: -0.05,
                direction: "below",
                compare: { against: "stable", mode: "difference" },
                action: "rollback",
            },
        ]).analysis.checks;
        const [r] = evaluateCustomChecks([c!], { "custom:hit-ratio": [0.8], "custom:hit-ratio:stable": [0.9] });
        assert.equal(r?.outcome, "fail");
        assert.match(r?.detail ?? "", /canary−stable -0\.1 .* < -0\.05/);
    });
});

describe("custom checks: verdict and decision", () => {
    const config = configWith([P95_CALLBACK, GC_VS_STABLE, CPU], { releaseWindow: { enforce: false } });
    const ok = { "custom:callback-p95": [900], "custom:gc-pause": [0.01], "custom:gc-pause:stable": [0.01], "custom:cpu": [0.4] };
    const judge = (custom: Record<string, number[]>): AnalysisVerdict => evaluateMeasurements({ ...healthy, custom }, config.analysis, at);

    it("reports every custom check in the verdict next to the built-ins; a warn leaves a pass a pass", () => {
        const v = judge({ ...ok, "custom:cpu": [0.95] });
        assert.equal(v.kind, "pass", v.reason);
        assert.equal(v.held, undefined);
        assert.deepEqual(v.checks.map((c) => c.name).slice(-3), ["custom:callback-p95", "custom:gc-pause", "custom:cpu"]);
        assert.match(v.reason, /warnings: custom:cpu: 0\.95 > 0\.85; action warn/);
        assert.doesNotThrow(() => JSON.parse(JSON.stringify(v)));
    });

    it("a failing rollback check fails the verdict and the decision rolls back", () => {
        const v = judge({ ...ok, "custom:callback-p95": [1800] });
        assert.equal(v.kind, "fail");
        assert.match(v.reason, /^fail: custom:callback-p95: 1800 > 1200/);
        const started = decide(undefined, config, undefined, new Date(at.getTime() - 3_600_000)).state;
        assert.equal(decide(started, config, v, at).action, "rollback");
    });

    it("a breached pause check holds, not counted toward inconclusiveBeforeFail, and advances once it clears", () => {
        const v = judge({ ...ok, "custom:gc-pause": [0.05] });
        assert.equal(v.kind, "inconclusive");
        assert.equal(v.held, true);
        assert.match(v.reason, /^held by a pause check: custom:gc-pause: canary\/stable 5/);
        let state = decide(undefined, config, undefined, new Date(at.getTime() - 3_600_000)).state;
        for (let i = 0; i < config.semantics.inconclusiveBeforeFail + 3; i++) {
            const d = decide(state, config, v, new Date(at.getTime() + i * 60_000));
            assert.equal(d.action, "hold", d.reason);
            assert.match(d.reason, /held at 5%: held by a pause check/);
            state = d.state;
        }
        assert.equal(state.consecutiveInconclusive, 0);
        assert.equal(state.weight, 5);
        const cleared = decide(state, config, judge(ok), new Date(at.getTime() + 30 * 60_000));
        assert.equal(cleared.action, "advance", cleared.reason);
    });

    it("a pause check on unknown data is inconclusive and counts; a rollback breach wins over a hold", () => {
        const unknown = judge({ ...ok, "custom:gc-pause": [] });
        assert.equal(unknown.kind, "inconclusive");
        assert.equal(unknown.held, undefined);
        const both = judge({ ...ok, "custom:gc-pause": [0.05], "custom:callback-p95": [1800] });
        assert.equal(both.kind, "fail");
    });
});

describe("custom checks: stack-wide defaults (gray-release:analysisChecks)", () => {
    const raw = (serviceChecks: unknown, stackChecks: unknown) => ({
        environment: "dev",
        analysisChecks: stackChecks,
        services: [
            {
                name: "payments",
                namespace: "shop",
                stableImage: "app:1.0.0",
                canaryImage: "app:1.1.0",
                slo: { runbookUrl: "https://runbooks.example.com/payments", slos: [{ name: "availability", objective: 99.95 }] },
                progression: { analysis: { prometheusUrl: "http://prom:9090", ...(serviceChecks === undefined ? {} : { checks: serviceChecks }) } },
            },
        ],
    });

    it("adds the stack's checks after the service's own; a service check of the same name replaces the stack's", () => {
        const cfg = parseStackConfig("dev", raw([{ ...CPU, threshold: 0.95 }], [GC_VS_STABLE, CPU]));
        const checks = cfg.services[0]!.progression.analysis.checks;
        assert.deepEqual(
            checks.map((c) => `${c.name}:${c.threshold}`),
            ["cpu:0.95", "gc-pause:1.5"],
        );
        assert.equal(cfg.services[0]!.progression.namespace, "shop", "{{namespace}} is the service's namespace");
        assert.deepEqual(
            parseStackConfig("dev", raw(undefined, [CPU])).services[0]!.progression.analysis.checks.map((c) => c.name),
            ["cpu"],
        );
    });

    it("reports a bad stack check once, at gray-release:analysisChecks, and a service's own at its path", () => {
        let message = "";
        try {
            parseStackConfig("dev", raw([{ ...CPU, query: "{{nope}}" }], [{ ...GC_VS_STABLE, action: "page" }]));
        } catch (e) {
            message = (e as Error).message;
        }
        assert.match(message, /analysisChecks\[0\]\.action = "page"/);
        assert.match(message, /services\[0\]\.progression\.analysis\.checks\[0\]\.query = "\{\{nope\}\}": unknown placeholder/);
        assert.ok(!/progression\.analysis\.checks\[1\]/.test(message), message);
    });

    it("refuses a namespace written in progression: the program sets it", () => {
        assert.throws(
            () =>
                parseStackConfig("dev", {
                    ...raw(undefined, []),
                    services: [{ ...raw(undefined, []).services[0], progression: { namespace: "x", analysis: { prometheusUrl: "http://p:9090" } } }],
                }),
            /services\[0\]\.progression\.namespace = "x": set by the stack program/,
        );
    });
});
