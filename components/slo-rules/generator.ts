/**
 * The pure rule generator: a resolved {@link SloRulesSpec} in, typed Prometheus rule groups out. No Pulumi.
 *
 * Per SLO (every series labelled `service`, `slo` and the SLO's `groupBy` labels):
 *  - `slo:sli_errors:rate5m`, `slo:sli_requests:rate5m`: the only rules reading raw metrics;
 *  - `slo:sli_error:ratio_rate<w>` and `slo:sli_requests:rate<w>` for every alert window and the SLO window,
 *    derived from the 5m recordings as a *ratio of sums* (`sum_over_time(errors[w]) / sum_over_time(requests[w])`),
 *    i.e. weighted by traffic, never an average of ratios; cheap at any raw cardinality; except the long window of
 *    the fast page pair (1h), read from raw metrics so a fast burn pages without the recordings' lag;
 *  - `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:error_budget_remaining:ratio`;
 *  - `SLOErrorBudgetBurn` alerts, severity `page` and `ticket`, multi-window multi-burn-rate, each window pair
 *    guarded by a minimum request rate over its long window.
 * Canary (labelled `service`): `canary_traffic_ratio`, `canary_error_rate`, `stable_error_rate`,
 * `canary_error_rate_delta`, `canary_request_rate`, `{canary,stable}_latency_{p95,p99}_ms`,
 * `canary_k8s_pod_restart_total` and the P1 alert `CanaryErrorRateDeltaHigh`.
 */

import { type SignalTrack, signalSelectors } from "../common/canary-signals";
import { BASE_WINDOW, RAW_WINDOW_MAX } from "./defaults";
import { durationSeconds } from "./durations";
import { selectorOf } from "./schema";
import type { AlertingRule, RecordingRule, ResolvedBurnWindow, ResolvedCanary, ResolvedSlo, RuleGroup, SloRulesSpec } from "./types";

/** Recorded series names, exported so dashboards and tests refer to the same strings. */
export const SLO_METRICS = {
    errorsRate: (w: string) => `slo:sli_errors:rate${w}`,
    requestsRate: (w: string) => `slo:sli_requests:rate${w}`,
    errorRatio: (w: string) => `slo:sli_error:ratio_rate${w}`,
    objective: "slo:objective:ratio",
    errorBudget: "slo:error_budget:ratio",
    budgetRemaining: "slo:error_budget_remaining:ratio",
} as const;

/** Alert names. */
export const ALERT_NAMES = { burn: "SLOErrorBudgetBurn", canaryP1: "CanaryErrorRateDeltaHigh" } as const;

/** Formats a number for PromQL without float noise. */
export function num(n: number): string {
    return String(Number(n.toPrecision(12)));
}

function agg(groupBy: readonly string[], inner: string): string {
    return groupBy.length === 0 ? `sum(${inner})` : `sum by (${groupBy.join(", ")}) (${inner})`;
}

/** Error-rate and request-rate expressions of an SLI from raw metrics, over the base window or another one. */
export function sliBaseExpressions(slo: ResolvedSlo, window: string = BASE_WINDOW): { errors: string; requests: string } {
    const rate = (sel: string) => agg(slo.groupBy, `rate(${sel}[${window}])`);
    const sli = slo.sli;
    if (sli.kind === "errorRatio" && sli.mode === "errors") {
        // `or 0 * total` keeps the series at 0 when no failing series exist yet (otherwise the ratio vanishes).
        return { errors: `${rate(sli.errors)} or (0 * ${rate(sli.total)})`, requests: rate(sli.total) };
    }
    const good = sli.kind === "latency" ? selectorOf(`${sli.histogram}_bucket`, sli.matchers, `le="${num(sli.threshold)}"`) : sli.good;
    const total = sli.kind === "latency" ? selectorOf(`${sli.histogram}_count`, sli.matchers) : sli.total;
    // Latency: every bucket of a classic histogram exists once anything was observed, so a missing `le` bucket
    // means a threshold that is not a bucket bound: leave the SLI empty (no alerts) rather than 100 % "slow".
    const goodRate = sli.kind === "latency" ? rate(good) : `(${rate(good)} or (0 * ${rate(total)}))`;
    return { errors: `clamp_min(${rate(total)} - ${goodRate}, 0)`, requests: rate(total) };
}

/** Windows recorded for an SLO besides the base one: every alert window and the SLO window, shortest first. */
export function recordedWindows(slo: ResolvedSlo): string[] {
    const all = new Set<string>([slo.window]);
    for (const w of [...slo.page, ...slo.ticket]) {
        all.add(w.short);
        all.add(w.long);
    }
    all.delete(BASE_WINDOW);
    return [...all].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

/**
 * Windows read from raw metrics besides the base one: the long window of each page pair up to {@link RAW_WINDOW_MAX}
 * (1h by default). A window derived from 5m recordings trails the raw one by about 2.5 minutes (its newest 5m rates
 * each cover the burn only in part), and the long window is the one a fast burn crosses last, so it decides when a
 * page fires; reading 1h of raw samples costs little next to what a generator reading every window raw pays (1d, 3d).
 */
export function rawWindows(slo: ResolvedSlo): Set<string> {
    const max = durationSeconds(RAW_WINDOW_MAX);
    return new Set(slo.page.map((w) => w.long).filter((w) => w !== BASE_WINDOW && durationSeconds(w) <= max));
}

function sloSelector(service: string, slo: string): string {
    return `{service="${service}",slo="${slo}"}`;
}

function windowRules(service: string, slo: ResolvedSlo, w: string, labels: Record<string, string>): RecordingRule[] {
    const sel = sloSelector(service, slo.name);
    if (rawWindows(slo).has(w)) {
        const raw = sliBaseExpressions(slo, w);
        return [
            { record: SLO_METRICS.requestsRate(w), expr: raw.requests, labels },
            { record: SLO_METRICS.errorRatio(w), expr: `(${raw.errors})\n/\n${raw.requests}`, labels },
        ];
    }
    return [
        {
            record: SLO_METRICS.requestsRate(w),
            expr: `avg_over_time(${SLO_METRICS.requestsRate(BASE_WINDOW)}${sel}[${w}])`,
            labels,
        },
        {
            record: SLO_METRICS.errorRatio(w),
            expr:
                `sum_over_time(${SLO_METRICS.errorsRate(BASE_WINDOW)}${sel}[${w}])\n` +
                `/\n` +
                `sum_over_time(${SLO_METRICS.requestsRate(BASE_WINDOW)}${sel}[${w}])`,
            labels,
        },
    ];
}

function burnCondition(service: string, slo: ResolvedSlo, w: ResolvedBurnWindow, minRequestRate: number): string {
    const sel = sloSelector(service, slo.name);
    const threshold = `(${num(w.factor)} * ${num(slo.errorBudget)})`;
    return (
        `(\n` +
        `  ${SLO_METRICS.errorRatio(w.short)}${sel} > ${threshold}\n` +
        `  and\n` +
        `  ${SLO_METRICS.errorRatio(w.long)}${sel} > ${threshold}\n` +
        `  and\n` +
        `  ${SLO_METRICS.requestsRate(w.long)}${sel} >= ${num(minRequestRate)}\n` +
        `)`
    );
}

function burnAlert(
    spec: SloRulesSpec,
    slo: ResolvedSlo,
    severity: "page" | "ticket",
    windows: ResolvedBurnWindow[],
    forClause: string,
): AlertingRule {
    const pairs = windows.map((w) => `${w.short}&${w.long} at ${num(w.factor)}x`).join(" or ");
    const consumed = windows.map((w) => `${num(w.budgetFraction * 100)}% in ${w.long}`).join(", ");
    return {
        alert: ALERT_NAMES.burn,
        expr: windows.map((w) => burnCondition(spec.service, slo, w, spec.minRequestRate)).join("\nor\n"),
        // `for: 0s` is left out: the short window already confirms the burn is still on.
        ...(durationSeconds(forClause) > 0 ? { for: forClause } : {}),
        labels: { ...spec.alertLabels, severity, service: spec.service, slo: slo.name },
        annotations: {
            summary: `{{ $labels.service }}: SLO "{{ $labels.slo }}" is burning its error budget too fast (${severity})`,
            description:
                `${slo.description} (objective ${num(slo.objective)}%, window ${slo.window}). ` +
                `Error ratio burn over ${pairs} (budget ${consumed}); ` +
                `current short-window error ratio {{ $value | humanizePercentage }}.`,
            runbook_url: slo.runbookUrl,
        },
    };
}

/** Rule groups of one SLO: raw + short windows, long windows + budget, alerts. */
export function sloRuleGroups(spec: SloRulesSpec, slo: ResolvedSlo): RuleGroup[] {
    const labels = { service: spec.service, slo: slo.name };
    const base = sliBaseExpressions(slo);
    const windows = recordedWindows(slo);
    // Windows up to 6h are evaluated often; longer ones (1d, 3d, SLO window) on the slower long-window interval.
    const shortWindows = windows.filter((w) => durationSeconds(w) <= 6 * 3600);
    const longWindows = windows.filter((w) => durationSeconds(w) > 6 * 3600);
    const sel = sloSelector(spec.service, slo.name);
    const prefix = `slo-${spec.service}-${slo.name}`;

    const shortGroup: RuleGroup = {
        name: `${prefix}-sli`,
        interval: spec.evaluationInterval,
        rules: [
            { record: SLO_METRICS.errorsRate(BASE_WINDOW), expr: base.errors, labels },
            { record: SLO_METRICS.requestsRate(BASE_WINDOW), expr: base.requests, labels },
            {
                record: SLO_METRICS.errorRatio(BASE_WINDOW),
                expr: `${SLO_METRICS.errorsRate(BASE_WINDOW)}${sel}\n/\n${SLO_METRICS.requestsRate(BASE_WINDOW)}${sel}`,
                labels,
            },
            ...shortWindows.flatMap((w) => windowRules(spec.service, slo, w, labels)),
        ],
    };
    const longGroup: RuleGroup = {
        name: `${prefix}-sli-long`,
        interval: spec.longWindowEvaluationInterval,
        rules: [
            ...longWindows.flatMap((w) => windowRules(spec.service, slo, w, labels)),
            { record: SLO_METRICS.objective, expr: `vector(${num(slo.objective / 100)})`, labels },
            { record: SLO_METRICS.errorBudget, expr: `vector(${num(slo.errorBudget)})`, labels },
            {
                record: SLO_METRICS.budgetRemaining,
                expr: `1 - ${SLO_METRICS.errorRatio(slo.window)}${sel} / ${num(slo.errorBudget)}`,
                labels,
            },
        ],
    };
    const alerts: AlertingRule[] = [];
    if (slo.page.length > 0) alerts.push(burnAlert(spec, slo, "page", slo.page, spec.pageFor));
    if (slo.ticket.length > 0) alerts.push(burnAlert(spec, slo, "ticket", slo.ticket, spec.ticketFor));
    const groups = [shortGroup, longGroup];
    if (alerts.length > 0) groups.push({ name: `${prefix}-alerts`, interval: spec.evaluationInterval, rules: alerts });
    return groups;
}

/** Canary-versus-stable recordings and the P1 alert. */
export function canaryRuleGroup(spec: SloRulesSpec, c: ResolvedCanary): RuleGroup {
    const labels = { service: spec.service };
    const sel = `{service="${spec.service}"}`;
    // Selectors from the shared signal model: the same strings the progression gate queries (see canary-signals.ts).
    const select = signalSelectors(c.signals);
    const req = (selector: string) => `sum(rate(${selector}[${c.rateWindow}]))`;
    const errorRate = (t: SignalTrack) => `(\n  ${req(select.errors(t))}\n  or\n  0 * ${req(select.requests(t))}\n)\n/\n${req(select.requests(t))}`;
    const quantile = (q: number, t: SignalTrack) => `histogram_quantile(${q}, sum by (le) (rate(${select.latencyBuckets(t)}[${c.rateWindow}])))`;
    // All of the service's requests: both versions (the canary's share is of these).
    const all = `sum(rate(${selectorOf(c.signals.requestsMetric, spec.serviceMatchers)}[${c.rateWindow}]))`;

    const recordings: RecordingRule[] = [
        { record: "canary_request_rate", expr: req(select.requests("canary")), labels },
        { record: "canary_traffic_ratio", expr: `${req(select.requests("canary"))}\n/\n${all}`, labels },
        { record: "canary_error_rate", expr: errorRate("canary"), labels },
        { record: "stable_error_rate", expr: errorRate("stable"), labels },
        { record: "canary_error_rate_delta", expr: `canary_error_rate${sel} - stable_error_rate${sel}`, labels },
        { record: "canary_latency_p95_ms", expr: quantile(0.95, "canary"), labels },
        { record: "stable_latency_p95_ms", expr: quantile(0.95, "stable"), labels },
        { record: "canary_latency_p99_ms", expr: quantile(0.99, "canary"), labels },
        { record: "stable_latency_p99_ms", expr: quantile(0.99, "stable"), labels },
        { record: "canary_k8s_pod_restart_total", expr: `sum(${select.restarts()}) or vector(0)`, labels },
    ];
    const p1: AlertingRule = {
        alert: ALERT_NAMES.canaryP1,
        expr:
            `canary_error_rate_delta${sel} > ${num(c.signals.maxErrorRateDelta)}\n` +
            `and\ncanary_traffic_ratio${sel} > ${num(c.trafficRatioThreshold)}\n` +
            `and\ncanary_request_rate${sel} >= ${num(c.minRequestRate)}`,
        for: c.for,
        labels: { ...spec.alertLabels, severity: "page", priority: "P1", service: spec.service },
        annotations: {
            summary: `{{ $labels.service }}: canary error rate exceeds stable by {{ $value | humanizePercentage }}`,
            description:
                `The canary's error rate is more than ${num(c.signals.maxErrorRateDelta * 100)} percentage points above ` +
                `the stable version's while it receives more than ${num(c.trafficRatioThreshold * 100)}% of the traffic ` +
                `(rate window ${c.rateWindow}). Roll the canary back.`,
            runbook_url: spec.runbookUrl,
        },
    };
    return { name: `canary-${spec.service}`, interval: spec.evaluationInterval, rules: [...recordings, p1] };
}

/** Every rule group of the spec: per SLO, then the canary group when enabled. */
export function generateRuleGroups(spec: SloRulesSpec): RuleGroup[] {
    const groups = spec.slos.flatMap((slo) => sloRuleGroups(spec, slo));
    if (spec.canary) groups.push(canaryRuleGroup(spec, spec.canary));
    return groups;
}
