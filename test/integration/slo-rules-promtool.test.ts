/**
 * The generated rules through promtool: `promtool check rules` on several specs, and `promtool test rules`
 * unit tests (generated here from TypeScript) with synthetic Istio series proving the alerting behaviour.
 */
import { strict as assert } from "node:assert";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { podLabels, resolveCanaryWorkloadArgs } from "../../components/canary-workload";
import { ISTIO_DEFAULT_LATENCY_BUCKETS_MS } from "../../components/common";
import {
    ALERT_NAMES,
    generateRuleGroups,
    type RuleGroup,
    renderRuleFile,
    resolveSloRulesSpec,
    type SloRulesSpecArgs,
} from "../../components/slo-rules";
import { checkRules, makeTempDir, requirePromtool, testRules } from "../support/prometheus";

const SERVICE = "checkout";
const IMAGES = { stableImage: "registry.example.com/checkout:1.4.0", canaryImage: "registry.example.com/checkout:1.5.0" };
/** Both components with their defaults and the same images: the rules must select what the pods report. */
const BASE_ARGS: SloRulesSpecArgs = {
    service: SERVICE,
    runbookUrl: "https://runbooks.example.com/checkout",
    slos: [
        { name: "availability", objective: 99.95, window: "30d" },
        { name: "latency", objective: 99, window: "30d", sli: { kind: "latency" } },
    ],
    canary: IMAGES,
};
const WORKLOAD = resolveCanaryWorkloadArgs({ service: SERVICE, namespace: "staging-gray", ...IMAGES });
/** `destination_version` of a track's requests: Istio reports the pod's `version` label, as CanaryWorkload sets it. */
const version = (track: "stable" | "canary"): string => podLabels(WORKLOAD, track)[WORKLOAD.versionLabel]!;

/** Counter values (one per minute, starting at 0) from segments of constant per-minute increments. */
function counter(segments: Array<[minutes: number, perMinute: number]>): string {
    const values = [0];
    let v = 0;
    for (const [minutes, inc] of segments) {
        for (let i = 0; i < minutes; i++) {
            v += inc;
            values.push(Number(v.toFixed(6)));
        }
    }
    return values.join(" ");
}

interface InputSeries {
    series: string;
    values: string;
}

/** Istio request counters of one version: per-minute OK and 5xx counts per segment. */
function istio(version: string, segments: Array<[minutes: number, ok: number, errors: number]>): InputSeries[] {
    const base = `reporter="destination",destination_service_name="${SERVICE}",destination_version="${version}"`;
    return [
        { series: `istio_requests_total{${base},response_code="200"}`, values: counter(segments.map(([m, ok]) => [m, ok])) },
        { series: `istio_requests_total{${base},response_code="503"}`, values: counter(segments.map(([m, , e]) => [m, e])) },
    ];
}

/**
 * Istio latency histogram of the stable version with the buckets a default sidecar reports (Istio's own): per-minute
 * fast (~100 ms) and slow (~400 ms) counts per segment.
 */
function latency(segments: Array<[minutes: number, fast: number, slow: number]>): InputSeries[] {
    const base = `reporter="destination",destination_service_name="${SERVICE}",destination_version="${version("stable")}"`;
    const h = "istio_request_duration_milliseconds";
    const upTo = (le: number) => counter(segments.map(([m, f, s]) => [m, (le >= 100 ? f : 0) + (le >= 500 ? s : 0)]));
    return [
        ...ISTIO_DEFAULT_LATENCY_BUCKETS_MS.map((le) => ({ series: `${h}_bucket{${base},le="${le}"}`, values: upTo(le) })),
        { series: `${h}_bucket{${base},le="+Inf"}`, values: counter(segments.map(([m, f, s]) => [m, f + s])) },
        { series: `${h}_count{${base}}`, values: counter(segments.map(([m, f, s]) => [m, f + s])) },
    ];
}

interface AlertTest {
    eval_time: string;
    alertname: string;
    exp_alerts: Array<{ exp_labels: Record<string, string> }>;
}
interface ExprTest {
    expr: string;
    eval_time: string;
    exp_samples: Array<{ labels: string; value: number }>;
}

const burn = (severity: "page" | "ticket", slo = "availability") => ({
    exp_labels: { severity, service: SERVICE, slo },
});
const p1 = { exp_labels: { severity: "page", priority: "P1", service: SERVICE } };
const none = (eval_time: string, alertname: string = ALERT_NAMES.burn): AlertTest => ({ eval_time, alertname, exp_alerts: [] });

/**
 * Annotations are validated by `promtool check rules` (template syntax) on the full file; for behaviour tests
 * they are dropped, because promtool compares them verbatim and they embed the live `$value`.
 */
function withoutAnnotations(groups: RuleGroup[]): RuleGroup[] {
    return groups.map((g) => ({
        ...g,
        rules: g.rules.map((r) => ("alert" in r ? { alert: r.alert, expr: r.expr, for: r.for, labels: r.labels } : r)),
    }));
}

describe("SLO rules through promtool", function () {
    this.timeout(300000);
    let dir = "";

    before(() => {
        requirePromtool(); // fails the suite with an install hint when promtool is missing
        dir = makeTempDir("slo-rules-promtool-");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function runScenario(
        name: string,
        args: SloRulesSpecArgs,
        test: {
            input_series: InputSeries[];
            alert_rule_test?: AlertTest[];
            promql_expr_test?: ExprTest[];
        },
    ): Promise<void> {
        const rulesFile = join(dir, `${name}.rules.yaml`);
        writeFileSync(rulesFile, renderRuleFile(withoutAnnotations(generateRuleGroups(resolveSloRulesSpec(args)))));
        const testFile = join(dir, `${name}.test.yaml`);
        writeFileSync(
            testFile,
            stringify(
                { rule_files: [`${name}.rules.yaml`], evaluation_interval: "30s", tests: [{ name, interval: "1m", ...test }] },
                { lineWidth: 0 },
            ),
        );
        const r = await testRules(testFile);
        assert.match(r.stdout, /SUCCESS/);
    }

    describe("promtool check rules", () => {
        const variants: Array<[string, SloRulesSpecArgs]> = [
            ["defaults (30d, canary on)", BASE_ARGS],
            [
                "7d window, groupBy version, custom selectors, no canary",
                {
                    service: "payments",
                    runbookUrl: "https://runbooks.example.com/payments",
                    slos: [
                        { name: "availability", objective: 99.9, window: "7d", groupBy: ["destination_version"] },
                        {
                            name: "custom-errors",
                            objective: 99.5,
                            window: "28d",
                            sli: {
                                kind: "errorRatio",
                                errors: 'http_requests_total{job="payments",code=~"5.."}',
                                total: 'http_requests_total{job="payments"}',
                            },
                        },
                        {
                            name: "custom-good",
                            objective: 99,
                            sli: { kind: "errorRatio", good: 'grpc_server_handled_total{grpc_code="OK"}', total: "grpc_server_handled_total" },
                        },
                        { name: "callback-latency", objective: 95, window: "7d", sli: { kind: "latency", threshold: 1200 } },
                    ],
                    latencyBuckets: [...ISTIO_DEFAULT_LATENCY_BUCKETS_MS, 1200],
                    canary: { enabled: false },
                    alertLabels: { team: "payments" },
                },
            ],
            [
                "custom canary and alerting",
                {
                    ...BASE_ARGS,
                    alerting: { page: { for: "5m" }, ticket: { windows: [] }, minRequestRate: 1 },
                    canary: {
                        versionLabel: "version",
                        canaryVersionLabel: "v2",
                        stableVersionLabel: "v1",
                        maxErrorRateDelta: 0.005,
                        trafficRatioThreshold: 0.2,
                        restarts: { podRegex: "checkout-v2-.*", namespace: "staging-gray", matchers: 'container="app"' },
                    },
                },
            ],
        ];
        for (const [title, args] of variants) {
            it(`accepts the rule file: ${title}`, async () => {
                const file = join(dir, `check-${title.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
                writeFileSync(file, renderRuleFile(generateRuleGroups(resolveSloRulesSpec(args))));
                const r = await checkRules(file);
                assert.match(r.stdout, /SUCCESS: \d+ rules found/);
            });
        }
    });

    describe("promtool test rules", () => {
        it("a fast burn (10% errors, 200x the budget) pages within minutes, before any ticket", () =>
            runScenario("fast-burn", BASE_ARGS, {
                // 10 rps healthy for 1h, then 10% errors.
                input_series: istio(version("stable"), [
                    [60, 600, 0],
                    [40, 540, 60],
                ]),
                alert_rule_test: [
                    none("59m"),
                    none("62m"), // burning but the 1h window and `for: 2m` not yet satisfied
                    { eval_time: "72m", alertname: ALERT_NAMES.burn, exp_alerts: [burn("page")] },
                    { eval_time: "95m", alertname: ALERT_NAMES.burn, exp_alerts: [burn("page"), burn("ticket")] },
                ],
            }));

        it("a fast burn pages as soon as the raw 1h window crosses 14.4x: 9 to 9.5 minutes after it starts (Sloth's: 9), not before", () =>
            runScenario(
                "fast-burn-time-to-page",
                { ...BASE_ARGS, slos: [{ name: "availability", objective: 99.9, window: "30d" }] },
                {
                    // 10 rps healthy for 7h (full 6h windows), then 10% errors (100x the budget of 99.9%): the 1h error
                    // ratio reaches 14.4 * 0.1% after 8.64 minutes. The previous rules (1h from 5m recordings, `for:
                    // 2m`) paged at 14 minutes (bench/slo-rules-cost.ts).
                    input_series: istio(version("stable"), [
                        [420, 600, 0],
                        [30, 540, 60],
                    ]),
                    // promtool evaluates the rule groups concurrently: the page may see the 5m recording of the
                    // previous evaluation (30 s), so it fires at 9m00s or 9m30s, and never before 9 minutes.
                    alert_rule_test: [
                        none("420m"),
                        none("428m30s"),
                        { eval_time: "429m30s", alertname: ALERT_NAMES.burn, exp_alerts: [burn("page")] },
                    ],
                },
            ));

        it("a slow burn (0.2% errors, 4x the budget) opens a ticket but never pages", () =>
            runScenario("slow-burn", BASE_ARGS, {
                // 10 rps healthy for 6h, then 0.2% errors for 4h: only the 6h&3d pair at 1x can catch it.
                input_series: istio(version("stable"), [
                    [360, 600, 0],
                    [240, 598.8, 1.2],
                ]),
                alert_rule_test: [none("6h"), none("7h"), { eval_time: "9h30m", alertname: ALERT_NAMES.burn, exp_alerts: [burn("ticket")] }],
            }));

        it("a healthy service (0.01% errors) fires nothing and keeps most of its budget", () =>
            runScenario("healthy", BASE_ARGS, {
                input_series: istio(version("stable"), [[480, 599.94, 0.06]]),
                alert_rule_test: [none("1h"), none("4h"), none("8h"), none("8h", ALERT_NAMES.canaryP1)],
                promql_expr_test: [
                    {
                        expr: `slo:error_budget_remaining:ratio{service="${SERVICE}",slo="availability"} > bool 0.75`,
                        eval_time: "8h",
                        exp_samples: [{ labels: `{service="${SERVICE}",slo="availability"}`, value: 1 }],
                    },
                ],
            }));

        it("a low-traffic blip (6 failures at 0.02 rps) fires nothing, although its error ratios exceed the page threshold", () =>
            runScenario("low-traffic-blip", BASE_ARGS, {
                input_series: istio(version("stable"), [
                    [120, 1.2, 0],
                    [2, 0, 3],
                    [60, 1.2, 0],
                ]),
                alert_rule_test: [none("125m"), none("130m"), none("150m")],
                promql_expr_test: [
                    {
                        // Without the guard this would page: both page windows are far above 14.4x.
                        expr:
                            `slo:sli_error:ratio_rate5m{slo="availability"} > bool (14.4 * 0.0005)` +
                            ` and slo:sli_error:ratio_rate1h{slo="availability"} > bool (14.4 * 0.0005)`,
                        eval_time: "124m",
                        exp_samples: [{ labels: `{service="${SERVICE}",slo="availability"}`, value: 1 }],
                    },
                ],
            }));

        it("the same blip pages when the low-traffic guard is disabled (control)", () =>
            runScenario(
                "low-traffic-blip-unguarded",
                { ...BASE_ARGS, alerting: { minRequestRate: 0 } },
                {
                    input_series: istio(version("stable"), [
                        [120, 1.2, 0],
                        [2, 0, 3],
                        [60, 1.2, 0],
                    ]),
                    alert_rule_test: [{ eval_time: "126m", alertname: ALERT_NAMES.burn, exp_alerts: [burn("page")] }],
                },
            ));

        it("long windows are a traffic-weighted ratio of sums, not an average of ratios", () =>
            runScenario("traffic-weighted", BASE_ARGS, {
                // 30m at 100 rps without errors, then 30m at 1 rps with 50% errors: ratio of sums ≈ 0.5%,
                // an average of ratios would be ≈ 25%.
                input_series: istio(version("stable"), [
                    [30, 6000, 0],
                    [30, 30, 30],
                ]),
                promql_expr_test: [
                    {
                        expr: `slo:sli_error:ratio_rate1h{slo="availability"} > bool 0.003 and slo:sli_error:ratio_rate1h{slo="availability"} < bool 0.01`,
                        eval_time: "60m",
                        exp_samples: [{ labels: `{service="${SERVICE}",slo="availability"}`, value: 1 }],
                    },
                ],
            }));

        it("a latency SLI pages when half the requests get slower than the default threshold (250 ms), on Istio's default buckets", () =>
            runScenario("latency-burn", BASE_ARGS, {
                input_series: latency([
                    [60, 600, 0],
                    [30, 300, 300],
                ]),
                alert_rule_test: [none("59m"), { eval_time: "75m", alertname: ALERT_NAMES.burn, exp_alerts: [burn("page", "latency")] }],
            }));

        it("a threshold the sidecars do not report (300 ms on Istio's default buckets) leaves the SLI empty: why it is refused (control)", () =>
            runScenario(
                "latency-not-a-bound",
                // latencyBuckets claims 300 without the pods reporting it: what SloRules refuses on its own.
                { ...BASE_ARGS, slos: [{ name: "latency", objective: 99, sli: { kind: "latency", threshold: 300 } }], latencyBuckets: [300] },
                {
                    input_series: latency([
                        [60, 600, 0],
                        [30, 300, 300],
                    ]),
                    alert_rule_test: [none("75m")],
                    promql_expr_test: [{ expr: `slo:sli_error:ratio_rate5m{slo="latency"}`, eval_time: "75m", exp_samples: [] }],
                },
            ));

        it("the canary P1 fires on the brief's incident: 0.2% → 12.7% failures at a traffic step to 15%", () =>
            runScenario("canary-incident", BASE_ARGS, {
                // 100 rps in total. 30m at a 5% canary with 0.2% failures (stable 0.1%), then a step to 15% with
                // the canary failing 12.7% of its requests.
                input_series: [
                    ...istio(version("canary"), [
                        [30, 299.4, 0.6],
                        [30, 785.7, 114.3],
                    ]),
                    ...istio(version("stable"), [
                        [30, 5694.3, 5.7],
                        [30, 5094.9, 5.1],
                    ]),
                ],
                alert_rule_test: [none("29m", ALERT_NAMES.canaryP1), { eval_time: "38m", alertname: ALERT_NAMES.canaryP1, exp_alerts: [p1] }],
                promql_expr_test: [
                    {
                        expr: `canary_traffic_ratio > bool 0.1 and canary_error_rate_delta > bool 0.1`,
                        eval_time: "40m",
                        exp_samples: [{ labels: `{service="${SERVICE}"}`, value: 1 }],
                    },
                ],
            }));

        it("the same incident reported under other version labels (the old canary/stable defaults) selects nothing (control)", () =>
            runScenario("canary-incident-other-labels", BASE_ARGS, {
                input_series: [
                    ...istio("canary", [
                        [30, 299.4, 0.6],
                        [30, 785.7, 114.3],
                    ]),
                    ...istio("stable", [
                        [30, 5694.3, 5.7],
                        [30, 5094.9, 5.1],
                    ]),
                ],
                alert_rule_test: [none("38m", ALERT_NAMES.canaryP1), none("50m", ALERT_NAMES.canaryP1)],
                promql_expr_test: [{ expr: "canary_request_rate", eval_time: "40m", exp_samples: [] }],
            }));

        it("a failing canary below 10% of the traffic does not trigger the P1", () =>
            runScenario("canary-small-share", BASE_ARGS, {
                input_series: [...istio(version("canary"), [[60, 261.9, 38.1]]), ...istio(version("stable"), [[60, 5694.3, 5.7]])],
                alert_rule_test: [none("20m", ALERT_NAMES.canaryP1), none("59m", ALERT_NAMES.canaryP1)],
            }));
    });
});
