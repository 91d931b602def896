/**
 * SLO burn-rate rules: how soon a fast burn pages, and what the rules cost to evaluate, for the rules generated
 * now, the previous generator's (bench/fixtures/slo-rules-previous.yaml: page pairs derived from 5m recordings,
 * `for: 2m`) and, when a `sloth` binary is on PATH (or SLOTH=/path/to/sloth), Sloth's for the same SLO.
 *
 * Time to page: promtool evaluates each rule file over the same synthetic Istio series (10 rps, healthy for 7h,
 * then 10 % errors for a 99.9 % SLO, 100x the budget), and the first 30s evaluation at which the page fires is
 * found by bisection (a sustained burn keeps it firing). Cost: raw and recorded samples each rule reads per minute of
 * evaluation at a given raw cardinality (every range selector counted as its series times the samples in its range
 * at a 15s scrape, or at the rule interval for recorded series, times evaluations per minute).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { generateRuleGroups, renderRuleFile, resolveSloRulesSpec } from "../components/slo-rules";
import { durationSeconds } from "../components/slo-rules/durations";

export const SERVICE = "checkout";
/** The SLO of the comparison; the previous generator's fixture was rendered from these args. */
export const BENCH_ARGS = {
    service: SERVICE,
    runbookUrl: "https://runbooks.example.com/checkout",
    slos: [{ name: "availability", objective: 99.9, window: "30d" }],
    canary: { enabled: false },
    dashboard: { enabled: false },
};
const SCRAPE_S = 15;
// Over 6h of healthy history, so the 6h windows are full when the burn starts (a short history would flatter them).
const BURN_START_MIN = 420;

interface RuleFile {
    groups: Array<{
        name: string;
        interval?: string;
        rules: Array<{ record?: string; alert?: string; expr: string; for?: string; labels?: Record<string, string> }>;
    }>;
}

/** Counter values, one per minute from 0. */
function counter(perMinute: (minute: number) => number, minutes: number): string {
    const values = [0];
    let v = 0;
    for (let m = 0; m < minutes; m++) {
        v += perMinute(m);
        values.push(Number(v.toFixed(6)));
    }
    return values.join(" ");
}

/** The fast burn: 600 requests a minute, none failing for an hour, then 10 % failing. */
function burnSeries(minutes: number, labels: string): Array<{ series: string; values: string }> {
    return [
        { series: `istio_requests_total{${labels},response_code="200"}`, values: counter((m) => (m < BURN_START_MIN ? 600 : 540), minutes) },
        { series: `istio_requests_total{${labels},response_code="503"}`, values: counter((m) => (m < BURN_START_MIN ? 0 : 60), minutes) },
    ];
}

/** Whether promtool sees the page alert of `rules` firing at `evalSeconds`. */
function firesAt(dir: string, rules: RuleFile, alert: string, pageLabels: Record<string, string>, evalSeconds: number): boolean {
    const rulesFile = join(dir, "rules.yaml");
    // Annotations embed `$value`, which promtool would compare verbatim: drop them; and keep only the page alert.
    const plain = {
        groups: rules.groups.map((g) => ({
            ...g,
            rules: g.rules
                .filter((r) => r.alert === undefined || r.labels?.["severity"] === "page")
                .map((r) => (r.alert ? { alert: r.alert, expr: r.expr, ...(r.for ? { for: r.for } : {}), labels: r.labels } : r)),
        })),
    };
    writeFileSync(rulesFile, stringify(plain, { lineWidth: 0 }));
    const labels = `reporter="destination",destination_service_name="${SERVICE}",destination_version="1.4.0"`;
    const test = {
        rule_files: ["rules.yaml"],
        evaluation_interval: "30s",
        tests: [
            {
                interval: "1m",
                input_series: burnSeries(BURN_START_MIN + 60, labels),
                // Label-agnostic (Sloth labels its alerts its own way): one firing page alert of that name.
                promql_expr_test: [
                    {
                        expr: `count(ALERTS{alertname="${alert}",alertstate="firing",${Object.entries(pageLabels)
                            .map(([k, v]) => `${k}="${v}"`)
                            .join(",")}})`,
                        eval_time: `${evalSeconds}s`,
                        exp_samples: [{ labels: "{}", value: 1 }],
                    },
                ],
            },
        ],
    };
    writeFileSync(join(dir, "test.yaml"), stringify(test, { lineWidth: 0 }));
    try {
        execFileSync("promtool", ["test", "rules", "test.yaml"], { cwd: dir, stdio: "pipe" });
        return true;
    } catch {
        return false;
    }
}

/** Seconds from the start of the burn to the first evaluation at which the page fires (30s resolution). */
export function timeToPage(rules: RuleFile, alert: string, pageLabels: Record<string, string>): number {
    const dir = mkdtempSync(join(tmpdir(), "slo-rules-cost-"));
    try {
        let lo = BURN_START_MIN * 60; // not firing (healthy until then)
        let hi = (BURN_START_MIN + 59) * 60;
        if (!firesAt(dir, rules, alert, pageLabels, hi)) return Number.POSITIVE_INFINITY;
        while (hi - lo > 30) {
            const mid = lo + Math.floor((hi - lo) / 60) * 30;
            if (firesAt(dir, rules, alert, pageLabels, mid)) hi = mid;
            else lo = mid;
        }
        return hi - BURN_START_MIN * 60;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const RANGE = /([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\[(\d+[smhdw])\]/g;

/**
 * Samples read per minute of evaluation: every range selector of every rule, as its series count (`rawSeries` for
 * a raw metric, 1 for a recorded `slo:`-style series) times the samples in its range, times the rule's evaluations
 * per minute. Instant selectors read one sample a series and are left out on both sides.
 */
export function samplesPerMinute(rules: RuleFile, rawSeries: number, globalInterval = "30s"): { raw: number; recorded: number } {
    const recordedNames = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.record).filter((r): r is string => r !== undefined)));
    let raw = 0;
    let recorded = 0;
    for (const g of rules.groups) {
        const interval = durationSeconds(g.interval ?? globalInterval);
        const perMinute = 60 / interval;
        for (const r of g.rules) {
            for (const m of r.expr.matchAll(RANGE)) {
                const [, name, , range] = m;
                const isRecorded = recordedNames.has(name!);
                const samples = durationSeconds(range!) / (isRecorded ? interval : SCRAPE_S);
                if (isRecorded) recorded += samples * perMinute;
                else raw += samples * rawSeries * perMinute;
            }
        }
    }
    return { raw, recorded };
}

/** Sloth's rules for the same SLO, when a sloth binary is available. */
function slothRules(): RuleFile | undefined {
    const bin = process.env["SLOTH"] ?? "sloth";
    const dir = mkdtempSync(join(tmpdir(), "sloth-"));
    try {
        const spec = {
            version: "prometheus/v1",
            service: SERVICE,
            slos: [
                {
                    name: "availability",
                    objective: 99.9,
                    sli: {
                        events: {
                            error_query: `sum(rate(istio_requests_total{reporter="destination",destination_service_name="${SERVICE}",response_code=~"5.."}[{{.window}}]))`,
                            total_query: `sum(rate(istio_requests_total{reporter="destination",destination_service_name="${SERVICE}"}[{{.window}}]))`,
                        },
                    },
                    alerting: {
                        name: "SLOErrorBudgetBurn",
                        page_alert: { labels: { severity: "page" } },
                        ticket_alert: { labels: { severity: "ticket" } },
                    },
                },
            ],
        };
        writeFileSync(join(dir, "slo.yaml"), stringify(spec));
        execFileSync(bin, ["generate", "-i", "slo.yaml", "-o", "rules.yaml"], { cwd: dir, stdio: "pipe" });
        return parse(readFileSync(join(dir, "rules.yaml"), "utf8")) as RuleFile;
    } catch {
        return undefined;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

function main(): void {
    const current = parse(renderRuleFile(generateRuleGroups(resolveSloRulesSpec(BENCH_ARGS)))) as RuleFile;
    const previous = parse(readFileSync(join(__dirname, "fixtures", "slo-rules-previous.yaml"), "utf8")) as RuleFile;
    const sloth = slothRules();
    const page = { severity: "page" };
    const rows: Array<[string, RuleFile, Record<string, string>]> = [
        ["gray-release (now)", current, page],
        ["gray-release (previous)", previous, page],
    ];
    if (sloth) rows.push(["sloth", sloth, { severity: "page" }]);
    else console.log("(no sloth binary on PATH and SLOTH unset: Sloth's row left out)");
    const RAW_SERIES = 200;
    console.log(
        `fast burn (10 % errors, 99.9 % SLO: 100x the budget) from minute ${BURN_START_MIN}; cost at ${RAW_SERIES} raw series, ${SCRAPE_S}s scrape`,
    );
    console.log("rules                      time to page   raw samples/min   recorded samples/min");
    for (const [name, rules, labels] of rows) {
        const t = timeToPage(rules, "SLOErrorBudgetBurn", labels);
        const cost = samplesPerMinute(rules, RAW_SERIES);
        console.log(
            `${name.padEnd(26)} ${(Number.isFinite(t) ? `${(t / 60).toFixed(1)} min` : "never").padStart(12)}   ${Math.round(cost.raw).toLocaleString("en").padStart(15)}   ${Math.round(cost.recorded).toLocaleString("en").padStart(20)}`,
        );
    }
}

if (require.main === module) main();
