import { strict as assert } from "node:assert";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import * as fc from "fast-check";
import { parse } from "yaml";
import { z } from "zod";
import { podLabels, resolveCanaryWorkloadArgs } from "../../components/canary-workload";
import { InvalidArgsError, ISTIO_DEFAULT_LATENCY_BUCKETS_MS } from "../../components/common";
import {
    ALERT_NAMES,
    type AlertingRule,
    budgetConsumed,
    buildDashboard,
    burnRateFactor,
    generateRuleGroups,
    type RecordingRule,
    renderRuleFile,
    resolveSloRulesSpec,
    SLO_RULES_DEFAULTS,
    SloRules,
    type SloRulesArgs,
    sloRulesArgsSchema,
    toPrometheusRule,
} from "../../components/slo-rules";
import { installMocks, ofType, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

const PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/** The images CanaryWorkload runs: SloRules derives the version labels from them the way the workload labels pods. */
const IMAGES = { stableImage: "registry.example.com/checkout:1.4.0", canaryImage: "registry.example.com/checkout:1.5.0" };
const ARGS: SloRulesArgs = {
    service: "checkout",
    namespace: "monitoring",
    runbookUrl: "https://runbooks.example.com/checkout",
    slos: [
        { name: "availability", objective: 99.95 },
        { name: "latency", objective: 99, window: "7d", sli: { kind: "latency" } },
    ],
    ruleLabels: { release: "kube-prometheus-stack" },
    canary: IMAGES,
};
const { namespace: _ns, ruleLabels: _rl, ...SPEC_ARGS } = ARGS;

const alerts = (args: unknown = SPEC_ARGS): AlertingRule[] =>
    generateRuleGroups(resolveSloRulesSpec(args)).flatMap((g) => g.rules.filter((r): r is AlertingRule => "alert" in r));
const recordings = (args: unknown = SPEC_ARGS): RecordingRule[] =>
    generateRuleGroups(resolveSloRulesSpec(args)).flatMap((g) => g.rules.filter((r): r is RecordingRule => "record" in r));

describe("burn-rate factors", () => {
    it("gives the SRE-workbook factors for a 30d window", () => {
        assert.equal(burnRateFactor(0.02, "30d", "1h"), 14.4);
        assert.equal(burnRateFactor(0.05, "30d", "6h"), 6);
        assert.equal(burnRateFactor(0.1, "30d", "1d"), 3);
        assert.equal(burnRateFactor(0.1, "30d", "3d"), 1);
    });

    it("rescales to other windows keeping the budget fraction (7d: 14.4 * 7/30, not 14.4 * 30/7)", () => {
        assert.equal(burnRateFactor(0.02, "7d", "1h"), 3.36);
        assert.equal(burnRateFactor(0.05, "7d", "6h"), 1.4);
        assert.equal(burnRateFactor(0.02, "28d", "1h"), 13.44);
        assert.equal(burnRateFactor(0.1, "7d", "3d", 1), 1, "floored at minBurnRate");
    });

    it("is the inverse of the budget consumed (property)", () => {
        fc.assert(
            fc.property(
                fc.double({ min: 0.001, max: 0.5, noNaN: true }),
                fc.integer({ min: 7, max: 90 }),
                fc.constantFrom("5m", "30m", "1h", "2h", "6h", "1d", "3d"),
                (fraction, days, alertWindow) => {
                    const factor = burnRateFactor(fraction, `${days}d`, alertWindow);
                    assert.ok(Math.abs(budgetConsumed(factor, `${days}d`, alertWindow) - fraction) < 1e-9);
                    // a longer SLO window (more budget in absolute terms) needs a higher factor
                    assert.ok(burnRateFactor(fraction, `${days + 1}d`, alertWindow) > factor);
                },
            ),
        );
    });

    it("puts the rescaled factors into the 7d SLO's alert expressions", () => {
        const [page, ticket] = alerts().filter((a) => a.labels?.["slo"] === "latency");
        assert.match(page!.expr, /> \(3\.36 \* 0\.01\)/);
        assert.match(page!.expr, /> \(1\.4 \* 0\.01\)/);
        assert.match(ticket!.expr, /> \(1 \* 0\.01\)/);
    });
});

describe("rule generator (pure)", () => {
    it("records every short window, the long windows and the SLO window for each SLO", () => {
        const names = new Set(
            recordings()
                .filter((r) => r.labels?.["slo"] === "availability")
                .map((r) => r.record),
        );
        for (const w of ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]) {
            assert.ok(names.has(`slo:sli_error:ratio_rate${w}`), w);
            assert.ok(names.has(`slo:sli_requests:rate${w}`), w);
        }
        assert.ok(names.has("slo:error_budget_remaining:ratio"));
        const latency = new Set(
            recordings()
                .filter((r) => r.labels?.["slo"] === "latency")
                .map((r) => r.record),
        );
        assert.ok(latency.has("slo:sli_error:ratio_rate7d"));
    });

    it("reads raw metrics only in the 5m recordings and the fast page pair's 1h; longer windows are ratios of sums of them", () => {
        for (const r of recordings().filter((x) => x.labels?.["slo"] !== undefined)) {
            const raw = /istio_/.test(r.expr);
            const rawWindow = /rate(5m|1h)$/.test(r.record) && !(r.record.startsWith("slo:sli_error:") && r.record.endsWith("5m"));
            assert.equal(raw, rawWindow, r.record);
            if (/ratio_rate(?!5m|1h)/.test(r.record))
                assert.match(r.expr, /^sum_over_time\(slo:sli_errors:rate5m.*\n\/\nsum_over_time\(slo:sli_requests:rate5m/);
            assert.doesNotMatch(r.expr, /avg_over_time\(slo:sli_error:ratio/);
        }
    });

    it("uses Istio's request metrics by default (5xx over all, server-side reports)", () => {
        const base = recordings().find((r) => r.record === "slo:sli_errors:rate5m" && r.labels?.["slo"] === "availability")!;
        assert.match(base.expr, /istio_requests_total\{reporter="destination",destination_service_name="checkout",response_code=~"5\.\."\}\[5m\]/);
        const lat = recordings().find((r) => r.record === "slo:sli_errors:rate5m" && r.labels?.["slo"] === "latency")!;
        assert.match(
            lat.expr,
            /istio_request_duration_milliseconds_bucket\{[^}]*le="250"\}/,
            "the default threshold is a bound of Istio's default buckets",
        );
        assert.match(lat.expr, /istio_request_duration_milliseconds_count/);
        assert.doesNotMatch(lat.expr, /or \(0 \*/, "a threshold that is not a bucket bound must not read as 100% slow");
    });

    it("keeps groupBy labels and honours custom selectors", () => {
        const recs = recordings({
            ...SPEC_ARGS,
            slos: [
                {
                    name: "api",
                    objective: 99.9,
                    groupBy: ["destination_version"],
                    sli: { kind: "errorRatio", good: 'http_requests_total{code!~"5.."}', total: "http_requests_total" },
                },
            ],
        });
        const base = recs.find((r) => r.record === "slo:sli_errors:rate5m")!;
        assert.match(base.expr, /sum by \(destination_version\) \(rate\(http_requests_total\[5m\]\)\)/);
        assert.match(base.expr, /http_requests_total\{code!~"5\.\."\}/);
    });

    it("pages and tickets with for clauses, severity labels, annotations and a low-traffic guard on every window pair", () => {
        const burn = alerts().filter((a) => a.alert === ALERT_NAMES.burn);
        assert.equal(burn.length, 4);
        for (const a of burn) {
            const severity = a.labels?.["severity"];
            assert.ok(severity === "page" || severity === "ticket");
            // The page has no `for` (its short window confirms the burn); the ticket keeps its 15m.
            assert.equal(a.for, severity === "page" ? undefined : SLO_RULES_DEFAULTS.ticket.for);
            assert.ok(a.annotations?.["runbook_url"]?.startsWith("https://"));
            assert.ok(a.annotations?.["summary"] && a.annotations["description"]);
            const pairs = a.expr.split("\nor\n");
            assert.equal(pairs.length, 2);
            for (const p of pairs) assert.match(p, /slo:sli_requests:rate\w+\{[^}]*\} >= 0\.1/);
        }
        const [page] = burn;
        assert.match(page!.expr, /ratio_rate5m[^\n]*> \(14\.4 \* 0\.0005\)[\s\S]*ratio_rate1h[^\n]*> \(14\.4 \* 0\.0005\)/);
    });

    it("generates the canary signals and the P1 with configurable thresholds and guard", () => {
        const names = recordings().map((r) => r.record);
        for (const n of ["canary_traffic_ratio", "canary_error_rate_delta", "canary_latency_p95_ms", "canary_k8s_pod_restart_total"]) {
            assert.ok(names.includes(n), n);
        }
        const restarts = recordings().find((r) => r.record === "canary_k8s_pod_restart_total")!;
        assert.match(restarts.expr, /kube_pod_container_status_restarts_total\{pod=~"checkout-canary-\.\*"\}/);
        const p1 = alerts().find((a) => a.alert === ALERT_NAMES.canaryP1)!;
        assert.deepEqual(p1.labels, { severity: "page", priority: "P1", service: "checkout" });
        assert.match(
            p1.expr,
            /canary_error_rate_delta\{service="checkout"\} > 0\.003\nand\ncanary_traffic_ratio\{service="checkout"\} > 0\.1\nand\ncanary_request_rate\{service="checkout"\} >= 0\.5/,
        );

        const custom = alerts({
            ...SPEC_ARGS,
            canary: {
                ...IMAGES,
                maxErrorRateDelta: 0.008,
                trafficRatioThreshold: 0.25,
                minRequestRate: 2,
                restarts: { podRegex: "co-v2-.*", namespace: "staging-gray" },
            },
        });
        assert.match(custom.find((a) => a.alert === ALERT_NAMES.canaryP1)!.expr, /> 0\.008\nand\n.*> 0\.25\nand\n.*>= 2/);
        assert.equal(alerts({ ...SPEC_ARGS, canary: { enabled: false } }).filter((a) => a.alert === ALERT_NAMES.canaryP1).length, 0);
    });

    it("selects the pods CanaryWorkload labels, given the same images and both components' defaults", () => {
        const workload = resolveCanaryWorkloadArgs({ service: "checkout", namespace: "shop", ...IMAGES });
        const spec = resolveSloRulesSpec(SPEC_ARGS);
        // Istio reports the pod's `version` label as `destination_version`, the label the canary rules select on.
        assert.equal(workload.versionLabel, "version");
        assert.equal(spec.canary!.versionLabel, "destination_version");
        assert.equal(spec.canary!.canaryVersionLabel, podLabels(workload, "canary")["version"]);
        assert.equal(spec.canary!.stableVersionLabel, podLabels(workload, "stable")["version"]);
        const rate = recordings().find((r) => r.record === "canary_request_rate")!;
        assert.match(rate.expr, /destination_version="1\.5\.0"/);
        const digest = `registry.example.com/checkout@sha256:${"ab12".repeat(16)}`;
        const byDigest = resolveSloRulesSpec({ ...SPEC_ARGS, canary: { ...IMAGES, canaryImage: digest } });
        assert.equal(byDigest.canary!.canaryVersionLabel, "ab12ab12ab12");
        assert.equal(
            byDigest.canary!.canaryVersionLabel,
            podLabels(
                resolveCanaryWorkloadArgs({ ...workload, canaryImage: digest, canaryVersionLabel: undefined, stableVersionLabel: undefined }),
                "canary",
            )["version"],
        );
        // A given label wins over the image, as in the workload; disabled canary rules need neither.
        assert.equal(resolveSloRulesSpec({ ...SPEC_ARGS, canary: { ...IMAGES, canaryVersionLabel: "v2" } }).canary!.canaryVersionLabel, "v2");
        assert.equal(resolveSloRulesSpec({ ...SPEC_ARGS, canary: { enabled: false } }).canary, undefined);
    });

    it("takes a latency threshold that is one of latencyBuckets, and any threshold of a histogram of one's own", () => {
        assert.ok(ISTIO_DEFAULT_LATENCY_BUCKETS_MS.includes(SLO_RULES_DEFAULTS.latencyThreshold));
        const slow = { name: "latency", objective: 99, sli: { kind: "latency" as const, threshold: 300 } };
        const spec = resolveSloRulesSpec({ ...SPEC_ARGS, slos: [slow], latencyBuckets: [...ISTIO_DEFAULT_LATENCY_BUCKETS_MS, 300] });
        assert.deepEqual(spec.latencyBuckets.slice(6, 10), [100, 250, 300, 500], "sorted");
        assert.match(
            recordings({ ...SPEC_ARGS, slos: [slow], latencyBuckets: [300] }).find((r) => r.record === "slo:sli_errors:rate5m")!.expr,
            /le="300"/,
        );
        const own = {
            name: "latency",
            objective: 99,
            sli: { kind: "latency" as const, histogram: "http_server_duration_milliseconds", threshold: 300 },
        };
        assert.doesNotThrow(() => resolveSloRulesSpec({ ...SPEC_ARGS, slos: [own] }));
    });

    it("renders a rule file that parses back to the same groups", () => {
        const groups = generateRuleGroups(resolveSloRulesSpec(SPEC_ARGS));
        const parsed = parse(renderRuleFile(groups)) as { groups: unknown[] };
        assert.deepEqual(parsed, JSON.parse(JSON.stringify({ groups })));
        const names = groups.map((g) => g.name);
        assert.equal(new Set(names).size, names.length, "group names unique");
    });

    it("builds a PrometheusRule that passes the prometheus-operator model's validation", () => {
        const obj = toPrometheusRule(generateRuleGroups(resolveSloRulesSpec(SPEC_ARGS)), { name: "checkout-slo-rules", namespace: "monitoring" });
        new PrometheusRule(obj).validate();
    });

    it("builds a dashboard with canary vs stable panels, burn rates and budget left", () => {
        const d = buildDashboard(resolveSloRulesSpec(SPEC_ARGS));
        const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join("\n");
        for (const needle of [
            "canary_traffic_ratio",
            "canary_error_rate_delta",
            "canary_error_rate",
            "stable_error_rate",
            "canary_latency_p95_ms",
            "stable_latency_p95_ms",
            "canary_latency_p99_ms",
            "stable_latency_p99_ms",
            "canary_k8s_pod_restart_total",
            "slo:error_budget_remaining:ratio",
            "slo:sli_error:ratio_rate1h",
        ]) {
            assert.ok(exprs.includes(needle), needle);
        }
        const ids = d.panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length);
        assert.ok(d.uid.length <= 40);
    });
});

describe("SloRules component", () => {
    before(() => installMocks());
    beforeEach(() => resetRecorded());

    it("creates a valid PrometheusRule and a Grafana dashboard ConfigMap", async () => {
        const c = new SloRules("checkout-slo", { ...ARGS, dashboard: { folder: "Gray release" } });
        await settle();
        const [rule] = ofType(PROMETHEUS_RULE);
        assert.ok(rule, "PrometheusRule created");
        assert.equal(rule.inputs["apiVersion"], "monitoring.coreos.com/v1");
        assert.equal(rule.inputs["kind"], "PrometheusRule");
        const metadata = rule.inputs["metadata"] as { namespace: string; labels: Record<string, string> };
        assert.equal(metadata.namespace, "monitoring");
        assert.equal(metadata.labels["release"], "kube-prometheus-stack");
        new PrometheusRule({ metadata, spec: rule.inputs["spec"] as PrometheusRule["spec"] }).validate();
        assert.deepEqual(JSON.parse(JSON.stringify(rule.inputs["spec"])), JSON.parse(JSON.stringify({ groups: c.ruleGroups })));

        const [cm] = ofType(CONFIG_MAP);
        assert.ok(cm, "ConfigMap created");
        const cmMeta = cm.inputs["metadata"] as { labels: Record<string, string>; annotations: Record<string, string> };
        assert.equal(cmMeta.labels["grafana_dashboard"], "1");
        assert.equal(cmMeta.annotations["grafana_folder"], "Gray release");
        const data = cm.inputs["data"] as Record<string, string>;
        const dashboard = JSON.parse(data["checkout-gray-release.json"]!) as { panels: unknown[] };
        assert.ok(dashboard.panels.length > 5);
        assert.match(c.ruleFileYaml, /^groups:/);
        assert.ok(recorded().some((r) => r.type === "gray-release:index:SloRules"));
    });

    it("skips the dashboard when disabled", async () => {
        new SloRules("no-dash", { ...ARGS, dashboard: { enabled: false } });
        await settle();
        assert.equal(ofType(PROMETHEUS_RULE).length, 1);
        assert.equal(ofType(CONFIG_MAP).length, 0);
    });

    const invalid: Array<[string, unknown, RegExp[]]> = [
        ["objective of 100", { ...ARGS, slos: [{ name: "a", objective: 100 }] }, [/slos\[0\]\.objective = 100/]],
        ["a window that is not whole days", { ...ARGS, slos: [{ name: "a", objective: 99.9, window: "720h" }] }, [/slos\[0\]\.window = "720h"/]],
        [
            "errors and good together",
            { ...ARGS, slos: [{ name: "a", objective: 99, sli: { kind: "errorRatio", errors: "a", good: "b", total: "c" } }] },
            [/slos\[0\]\.sli\.good = "b"/],
        ],
        [
            "a selector that is an expression",
            { ...ARGS, slos: [{ name: "a", objective: 99, sli: { kind: "errorRatio", errors: "rate(x[5m])", total: "x" } }] },
            [/slos\[0\]\.sli\.errors = "rate\(x\[5m\]\)"/],
        ],
        [
            "duplicate SLO names",
            {
                ...ARGS,
                slos: [
                    { name: "a", objective: 99 },
                    { name: "a", objective: 98 },
                ],
            },
            [/slos\[1\]\.name = "a": duplicate/],
        ],
        [
            "an alert window longer than the SLO window",
            {
                ...ARGS,
                slos: [{ name: "a", objective: 99, window: "7d" }],
                alerting: { ticket: { windows: [{ short: "6h", long: "8d", budgetFraction: 0.1 }] } },
            },
            [/alerting\.ticket\.windows\[0\]\.long = "8d"/],
        ],
        ["a canary threshold above 1", { ...ARGS, canary: { ...IMAGES, maxErrorRateDelta: 3 } }, [/canary\.maxErrorRateDelta = 3/]],
        ["bad namespace and unknown key together", { ...ARGS, namespace: "Monitoring!", windwo: "30d" }, [/namespace = "Monitoring!"/, /windwo/]],
        ["no SLOs", { ...ARGS, slos: [] }, [/slos = \[\]/]],
        [
            "an objective written as a fraction",
            { ...ARGS, slos: [{ name: "a", objective: 0.999 }] },
            [/slos\[0\]\.objective = 0\.999: a percentage is expected: write 99\.9 for 99\.9 %/],
        ],
        [
            "an objective under 50 %",
            { ...ARGS, slos: [{ name: "a", objective: 9 }] },
            [/slos\[0\]\.objective = 9: a percentage is expected: write 99\.9 for 99\.9 %/],
        ],
        [
            "an error-rate delta written as a percentage",
            { ...ARGS, canary: { ...IMAGES, maxErrorRateDelta: 0.5 } },
            [/canary\.maxErrorRateDelta = 0\.5: a fraction below 0\.1 is expected, not a percentage: .*write 0\.005 for 0\.5 %/],
        ],
        [
            "a traffic ratio written as a percentage",
            { ...ARGS, canary: { ...IMAGES, trafficRatioThreshold: 10 } },
            [/canary\.trafficRatioThreshold = 10: a fraction of the traffic is expected .*write 0\.1 for 10 %/],
        ],
        [
            "a budget fraction written as a percentage",
            { ...ARGS, alerting: { page: { windows: [{ short: "5m", long: "1h", budgetFraction: 2 }] } } },
            [/alerting\.page\.windows\[0\]\.budgetFraction = 2: .*write 0\.02 for 2 %/],
        ],
        ["the old canaryVersion key", { ...ARGS, canary: { canaryVersion: "v2" } }, [/canary = .*Unrecognized key: "canaryVersion"/]],
        [
            "a stable version label equal to the canary's derived one",
            { ...ARGS, canary: { ...IMAGES, stableVersionLabel: "1.5.0" } },
            [/canary\.stableVersionLabel = "1\.5\.0": gives the version label "1\.5\.0", the canary's too: the two must differ/],
        ],
        [
            "equal version labels",
            { ...ARGS, canary: { canaryVersionLabel: "v1", stableVersionLabel: "v1" } },
            [/canary\.stableVersionLabel = "v1": gives the version label "v1", the canary's too/],
        ],
        [
            "two images with the same tag",
            { ...ARGS, canary: { ...IMAGES, stableImage: "other.example.com/checkout:1.5.0" } },
            [/canary\.stableImage = "other\.example\.com\/checkout:1\.5\.0": gives the version label "1\.5\.0"/],
        ],
        [
            "canary rules with neither version labels nor images (no silent canary/stable default)",
            { ...ARGS, canary: {} },
            [
                /canary\.canaryVersionLabel = undefined: required while canary rules are enabled: give canaryImage .* or canaryVersionLabel, or set enabled: false/,
                /canary\.stableVersionLabel = undefined: required while canary rules are enabled/,
            ],
        ],
        [
            "canary rules left out entirely",
            { ...ARGS, canary: undefined },
            [/canary\.canaryVersionLabel = undefined: required while canary rules are enabled/],
        ],
        [
            "an image that is not pinned",
            { ...ARGS, canary: { ...IMAGES, canaryImage: "checkout:latest" } },
            [/canary\.canaryImage = "checkout:latest": image must be pinned/],
        ],
        [
            "a tag that is not a label value",
            { ...ARGS, canary: { ...IMAGES, canaryImage: "checkout:1.5.0-" } },
            [/canary\.canaryImage = "checkout:1\.5\.0-": its version "1\.5\.0-" is not a label value .*give canaryVersionLabel/],
        ],
        [
            "a latency threshold that is not a bucket bound of Istio's histogram (the old default 300)",
            { ...ARGS, slos: [{ name: "latency", objective: 99, sli: { kind: "latency", threshold: 300 } }] },
            [
                /slos\[0\]\.sli\.threshold = 300: threshold 300 is not a bucket bound of istio_request_duration_milliseconds \(latencyBuckets: 0\.5, 1, 5, .*add it to latencyBuckets and give CanaryWorkload the same latencyBuckets/,
            ],
        ],
        [
            "latency buckets that leave out the default threshold",
            { ...ARGS, latencyBuckets: [100, 300, 1000] },
            [/slos\[1\]\.sli\.threshold = undefined: threshold 250 is not a bucket bound .*\(latencyBuckets: 100, 300, 1000\)/],
        ],
        ["a bucket listed twice", { ...ARGS, latencyBuckets: [100, 250, 100] }, [/latencyBuckets\[2\] = 100: bucket bound 100 is listed twice/]],
    ];
    for (const [title, args, patterns] of invalid) {
        it(`rejects ${title}, naming key and value, creating nothing`, async () => {
            assert.throws(
                () => new SloRules("bad", args as SloRulesArgs),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidArgsError, String(err));
                    assert.match(err.message, /SloRules "bad": invalid input/);
                    for (const p of patterns) assert.match(err.message, p);
                    return true;
                },
            );
            await settle();
            assert.equal(recorded().length, 0);
        });
    }
});

describe("SloRules schema", () => {
    it("carries descriptions and defaults (the configuration reference reads them)", () => {
        const json = z.toJSONSchema(sloRulesArgsSchema, { io: "input" }) as {
            properties: Record<string, { description?: string; properties?: Record<string, { description?: string; default?: unknown }> }>;
        };
        const canary = json.properties["canary"]!.properties!;
        assert.equal(canary["canaryVersionLabel"]!.default, undefined, "no default value that names no pod");
        assert.match(canary["canaryVersionLabel"]!.description ?? "", /derived from `canaryImage`/);
        assert.deepEqual((json.properties["latencyBuckets"] as { default?: unknown }).default, [...ISTIO_DEFAULT_LATENCY_BUCKETS_MS]);
        assert.equal(canary["maxErrorRateDelta"]!.default, 0.003);
        assert.match(canary["stableVersionLabel"]!.description ?? "", /versionLabel/);
        assert.match(json.properties["slos"]!.description ?? "", /SLOs/);
    });
});
