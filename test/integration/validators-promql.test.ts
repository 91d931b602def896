/**
 * Every query of the Grafana dashboards, parsed by Prometheus itself, so a dashboard never ships a query that
 * cannot run: promtool (Prometheus' own parser and type checker, via `check rules` on one recording rule per query)
 * and a real Prometheus server evaluating each query (`/api/v1/query`) with the service's generated rules loaded.
 *
 * Grafana variables (`$__rate_interval`, `${datasource}` ...) are substituted as Grafana would before parsing. The
 * rule files themselves keep their own `promtool check rules` / `test rules` suites (slo-rules-promtool.test.ts);
 * the sample stacks' dashboards are checked in validators-stacks.test.ts.
 */
import { strict as assert } from "node:assert";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDashboard, generateRuleGroups, renderRuleFile, resolveSloRulesSpec, type SloRulesSpecArgs } from "../../components/slo-rules";
import { makeTempDir, type RunningPrometheus, requirePrometheus, requirePromtool, startPrometheus } from "../support/prometheus";
import { checkPromql, dashboardQueries, substituteGrafanaVariables } from "../support/validators";

const SPECS: ReadonlyArray<[string, SloRulesSpecArgs]> = [
    [
        "defaults with availability and latency",
        {
            service: "checkout",
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [
                { name: "availability", objective: 99.95, window: "30d" },
                { name: "latency", objective: 99, window: "30d", sli: { kind: "latency" } },
            ],
            canary: { stableImage: "registry.example.com/checkout:1.4.0", canaryImage: "registry.example.com/checkout:1.5.0" },
        },
    ],
    [
        "7d/28d windows, custom SLIs, no canary",
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
                { name: "callback-latency", objective: 95, window: "7d", sli: { kind: "latency", threshold: 1200 } },
            ],
            latencyBuckets: [100, 250, 500, 1200, 5000],
            canary: { enabled: false },
        },
    ],
    [
        "custom canary labels and thresholds, dashboard title",
        {
            service: "search",
            runbookUrl: "https://runbooks.example.com/search",
            slos: [{ name: "availability", objective: 99.5, window: "14d" }],
            canary: {
                versionLabel: "version",
                canaryVersionLabel: "v2",
                stableVersionLabel: "v1",
                maxErrorRateDelta: 0.005,
                trafficRatioThreshold: 0.2,
            },
            dashboard: { title: "Search: canary vs stable" },
        } as SloRulesSpecArgs,
    ],
];

async function queryStatus(
    prom: RunningPrometheus,
    promql: string,
): Promise<{ status: number; body: { status?: string; error?: string; errorType?: string } }> {
    const res = await fetch(`${prom.url}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: promql }).toString(),
    });
    return { status: res.status, body: (await res.json()) as { status?: string; error?: string; errorType?: string } };
}

describe("dashboard PromQL through Prometheus' own parser (promtool) and a real server", function () {
    this.timeout(5 * 60 * 1000);
    let dir = "";
    let prom: RunningPrometheus | undefined;

    before(async () => {
        requirePromtool();
        requirePrometheus();
        dir = makeTempDir("dashboard-promql-");
        const files = SPECS.map(([, args], i) => {
            const file = join(dir, `spec-${i}.rules.yaml`);
            writeFileSync(file, renderRuleFile(generateRuleGroups(resolveSloRulesSpec(args))));
            return file;
        });
        prom = await startPrometheus({ rulesFiles: files });
    });
    after(async () => {
        await prom?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    describe("negative controls", () => {
        const broken = [
            'sum(rate(istio_requests_total{destination_service_name="checkout"}[5m])',
            'rate(canary_error_rate{service="checkout"})',
            'canary_error_rate{service="checkout"} / on(service) group_left stable_error_rate{service=}',
        ];

        it("promtool refuses unparseable or mistyped queries, naming each with Prometheus' message", async () => {
            const errors = await checkPromql(["up", ...broken]);
            assert.deepEqual(
                errors.map((e) => e.index),
                [1, 2, 3],
                JSON.stringify(errors, null, 1),
            );
            assert.match(errors[0]!.message, /unclosed left parenthesis|parse error/);
            assert.match(errors[1]!.message, /expected type range vector in call to function "rate", got instant vector/);
            assert.match(errors[2]!.message, /parse error/);
        });

        it("the server refuses them too (400 bad_data)", async () => {
            for (const q of broken) {
                const r = await queryStatus(prom!, q);
                assert.equal(r.status, 400, q);
                assert.equal(r.body.errorType, "bad_data");
                assert.match(r.body.error ?? "", /parse error|expected type/);
            }
        });

        it("a query with an unknown Grafana variable is refused before parsing", () => {
            assert.throws(() => substituteGrafanaVariables("rate(x[$undefined_var])"), /unknown variable \$undefined_var/);
            assert.equal(substituteGrafanaVariables("rate(x[$__rate_interval])"), "rate(x[1m])");
        });
    });

    for (const [title, args] of SPECS) {
        it(`every panel and annotation query parses and runs: ${title}`, async () => {
            const queries = dashboardQueries(buildDashboard(resolveSloRulesSpec(args)));
            assert.ok(queries.length >= 5, `the dashboard has queries (${queries.length})`);
            const errors = await checkPromql(queries.map((q) => q.promql));
            assert.deepEqual(
                errors.map((e) => `${queries[e.index]!.where}: ${e.message}`),
                [],
            );
            for (const q of queries) {
                const r = await queryStatus(prom!, q.promql);
                assert.equal(r.status, 200, `${q.where}: ${q.promql}: ${r.body.error}`);
                assert.equal(r.body.status, "success");
            }
        });
    }
});
