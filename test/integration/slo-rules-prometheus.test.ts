/**
 * A real Prometheus (loopback, temp dir) loads the generated rule file over backfilled synthetic Istio and
 * kube-state-metrics history: every group and rule shows up in /api/v1/rules, evaluates with health "ok" and
 * no error, and the recordings hold the values the synthetic traffic implies.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { podLabels, resolveCanaryWorkloadArgs } from "../../components/canary-workload";
import { ISTIO_DEFAULT_LATENCY_BUCKETS_MS } from "../../components/common";
import { generateRuleGroups, type RuleGroup, renderRuleFile, resolveSloRulesSpec } from "../../components/slo-rules";
import {
    backfillOpenMetrics,
    makeTempDir,
    openMetrics,
    type RunningPrometheus,
    requirePrometheus,
    requirePromtool,
    type SyntheticSeries,
    startPrometheus,
} from "../support/prometheus";

interface RulesApi {
    status: string;
    data: {
        groups: Array<{
            name: string;
            lastEvaluation: string;
            rules: Array<{ name: string; type: string; health: string; lastError?: string; lastEvaluation: string }>;
        }>;
    };
}
interface QueryApi {
    status: string;
    data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

const SERVICE = "checkout";
const IMAGES = { stableImage: "registry.example.com/checkout:1.4.0", canaryImage: "registry.example.com/checkout:1.5.0" };
/** The pods as CanaryWorkload labels them with its defaults: Istio reports their `version` label as `destination_version`. */
const WORKLOAD = resolveCanaryWorkloadArgs({ service: SERVICE, namespace: "staging-gray", ...IMAGES });
const STEP_S = 15;
const HISTORY_S = 2 * 3600;

/** Counter samples at a constant rate, every STEP_S seconds over the last HISTORY_S seconds. */
function counterSamples(end: number, perSecond: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let t = end - HISTORY_S, v = 0; t <= end; t += STEP_S, v += perSecond * STEP_S) out.push([t, Number(v.toFixed(3))]);
    return out;
}

function syntheticHistory(end: number): SyntheticSeries[] {
    const series: SyntheticSeries[] = [];
    // stable: 90 rps, 0.1 % errors; canary: 10 rps, 1 % errors.
    for (const [track, rps, errRatio] of [
        ["stable", 90, 0.001],
        ["canary", 10, 0.01],
    ] as const) {
        const version = podLabels(WORKLOAD, track)[WORKLOAD.versionLabel]!;
        const labels = { reporter: "destination", destination_service_name: SERVICE, destination_version: version };
        series.push({
            name: "istio_requests_total",
            labels: { ...labels, response_code: "200" },
            samples: counterSamples(end, rps * (1 - errRatio)),
        });
        series.push({ name: "istio_requests_total", labels: { ...labels, response_code: "503" }, samples: counterSamples(end, rps * errRatio) });
        // Every bucket a default sidecar reports (Istio's own): half under 100 ms, 98 % under 250 ms, all under 1 s.
        const share = (le: number) => (le >= 1000 ? 1 : le >= 250 ? 0.98 : le >= 100 ? 0.5 : 0);
        for (const le of ISTIO_DEFAULT_LATENCY_BUCKETS_MS) {
            series.push({
                name: "istio_request_duration_milliseconds_bucket",
                labels: { ...labels, le: String(le) },
                samples: counterSamples(end, rps * share(le)),
            });
        }
        series.push({ name: "istio_request_duration_milliseconds_bucket", labels: { ...labels, le: "+Inf" }, samples: counterSamples(end, rps) });
        series.push({ name: "istio_request_duration_milliseconds_count", labels, samples: counterSamples(end, rps) });
    }
    series.push({
        name: "kube_pod_container_status_restarts_total",
        labels: { namespace: "staging-gray", pod: "checkout-canary-7d9f-abcde", container: "app" },
        samples: counterSamples(end, 0).map(([t]) => [t, 2]),
    });
    return series;
}

describe("SLO rules in a real Prometheus", function () {
    this.timeout(120000);
    let dir = "";
    let prom: RunningPrometheus | undefined;
    let groups: RuleGroup[] = [];

    before(async () => {
        requirePromtool();
        requirePrometheus();
        dir = makeTempDir("slo-rules-prom-");
        const spec = resolveSloRulesSpec({
            service: SERVICE,
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [
                { name: "availability", objective: 99.95 },
                { name: "latency", objective: 99, window: "7d", sli: { kind: "latency" } },
            ],
            // Fast intervals so the test does not wait for the production 30s / 2m.
            evaluationInterval: "2s",
            longWindowEvaluationInterval: "2s",
            // Defaults everywhere else: the latency threshold, the buckets, the version labels derived from the images.
            canary: { ...IMAGES, restarts: { namespace: "staging-gray" } },
        });
        groups = generateRuleGroups(spec);
        const rulesFile = join(dir, "slo.rules.yaml");
        writeFileSync(rulesFile, renderRuleFile(groups));

        const dataDir = join(dir, "data");
        mkdirSync(dataDir);
        await backfillOpenMetrics(openMetrics(syntheticHistory(Math.floor(Date.now() / 1000) - 5)), dataDir);
        prom = await startPrometheus({ rulesFiles: [rulesFile], dataDir });
    });

    after(async () => {
        await prom?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    async function rulesWhenEvaluated(): Promise<RulesApi> {
        const deadline = Date.now() + 30000;
        for (;;) {
            const api = await prom!.getJson<RulesApi>("/api/v1/rules");
            const evaluated = api.data.groups.every((g) => g.rules.every((r) => !r.lastEvaluation.startsWith("0001-")));
            if (evaluated && api.data.groups.length > 0) {
                // one more interval, so rules depending on earlier groups' recordings have data too
                await new Promise((r) => setTimeout(r, 4000));
                return prom!.getJson<RulesApi>("/api/v1/rules");
            }
            if (Date.now() > deadline) throw new Error(`rules not evaluated in time:\n${JSON.stringify(api, null, 1).slice(0, 3000)}`);
            await new Promise((r) => setTimeout(r, 500));
        }
    }

    async function query(expr: string): Promise<QueryApi["data"]["result"]> {
        const res = await prom!.getJson<QueryApi>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
        assert.equal(res.status, "success");
        return res.data.result;
    }

    it("loads every generated group and rule, all evaluating with health ok and no error", async () => {
        const api = await rulesWhenEvaluated();
        assert.equal(api.status, "success");
        assert.deepEqual(api.data.groups.map((g) => g.name).sort(), groups.map((g) => g.name).sort());
        for (const g of groups) {
            const loaded = api.data.groups.find((x) => x.name === g.name)!;
            assert.equal(loaded.rules.length, g.rules.length, `rule count of ${g.name}`);
            for (const r of loaded.rules) {
                assert.equal(r.health, "ok", `${g.name}/${r.name}: ${r.lastError ?? ""}`);
                assert.ok(!r.lastError, `${g.name}/${r.name}: ${r.lastError ?? ""}`);
            }
        }
        const types = api.data.groups.flatMap((g) => g.rules.map((r) => r.type));
        assert.ok(types.includes("alerting") && types.includes("recording"));
    });

    it("records the SLIs the synthetic traffic implies (traffic-weighted)", async () => {
        await rulesWhenEvaluated();
        // overall error ratio: (90 * 0.001 + 10 * 0.01) / 100 = 0.0019
        for (const w of ["5m", "1h", "1d", "30d"]) {
            const [s] = await query(`slo:sli_error:ratio_rate${w}{service="${SERVICE}",slo="availability"}`);
            assert.ok(s, `slo:sli_error:ratio_rate${w} recorded`);
            assert.ok(Math.abs(Number(s.value[1]) - 0.0019) < 0.0002, `ratio_rate${w} = ${s.value[1]}`);
        }
        const [latency] = await query(`slo:sli_error:ratio_rate5m{service="${SERVICE}",slo="latency"}`);
        assert.ok(latency && Math.abs(Number(latency.value[1]) - 0.02) < 0.002, `latency ratio ${latency?.value[1]}`);
        const [budget] = await query(`slo:error_budget_remaining:ratio{slo="availability"}`);
        // 0.0019 / 0.0005 = 3.8 budgets spent: remaining 1 - 3.8 = -2.8
        assert.ok(budget && Math.abs(Number(budget.value[1]) + 2.8) < 0.4, `budget remaining ${budget?.value[1]}`);
    });

    it("records the canary signals", async () => {
        await rulesWhenEvaluated();
        const one = async (expr: string) => {
            const [s] = await query(expr);
            assert.ok(s, `${expr} recorded`);
            return Number(s.value[1]);
        };
        assert.ok(Math.abs((await one("canary_traffic_ratio")) - 0.1) < 0.005);
        assert.ok(Math.abs((await one("canary_error_rate_delta")) - 0.009) < 0.001);
        const p95 = await one("canary_latency_p95_ms");
        assert.ok(p95 > 100 && p95 <= 250, `p95 ${p95}`);
        assert.equal(await one("canary_k8s_pod_restart_total"), 2);
    });
});
