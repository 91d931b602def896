/**
 * PromQL for the measurements of one or many services, batched into a single instant query: each
 * measurement is tagged with `measure` and `service` labels by `label_replace` and the results are joined
 * with `or`, so one HTTP round trip returns every number of every service.
 */

import { signalSelectors } from "../components/common/canary-signals";
import { type ProgressionConfig, releaseKey, versionLabels } from "./config";
import { CUSTOM_PREFIX, customCheckQueries } from "./custom-checks";
import { toPromQLRange } from "./duration";
import type { HistogramBucket, Measurements } from "./evaluate";
import { LATENCY_BUCKETS_MEASURE, MEASURE_NAMES, type MeasureName, STABLE_LATENCY_BUCKETS_MEASURE } from "./measures";
import type { InstantSample } from "./metrics-provider";
import { parseSampleValue } from "./prometheus-provider";
import { analysisSignals } from "./signals";
import { gatesAt, STEP_GATE_MEASURES, type StepGateMeasurement, type StepPosition, stepGateQueries } from "./step-gates";

export { LATENCY_BUCKETS_MEASURE, MEASURE_NAMES, type MeasureName, STABLE_LATENCY_BUCKETS_MEASURE } from "./measures";

/** Label carrying a step gate's name in batched results (with `measure` = one of `STEP_GATE_MEASURES`). */
export const GATE_LABEL = "gate";

/** Label carrying the measurement name in batched results. */
export const MEASURE_LABEL = "measure";
/** Label carrying the service name in batched results. */
export const SERVICE_LABEL = "service";

/** Escapes a string for use inside a double-quoted PromQL string literal. */
export function promqlString(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The PromQL expression of every measurement of one service. Counts fall back to `vector(0)` (no error
 * series simply means no errors) and quantiles, data ages and replicas to `vector(NaN)` (unknown), so a healthy
 * backend always answers every measurement and a missing one signals a malformed response. Data ages are the
 * seconds since the newest raw sample of the request counter (`timestamp()` of a selector is the sample's own).
 */
export function measurementQueries(config: ProgressionConfig): Record<MeasureName, string> {
    const s = config.analysis.selectors;
    const window = toPromQLRange(config.analysis.window);
    const passWindow = toPromQLRange(config.analysis.passWindow);
    // The signals SloRules' canary alert is built from too (one model, see components/common/canary-signals.ts).
    const signals = analysisSignals(config);
    const { canary, stable, errorMatchers: errors } = signals;
    const stableDeployment = s.stableReplicas ?? `deployment=${promqlString(`${config.service}-stable`)}`;
    const count = (selector: string, range = window) => `sum(increase(${s.requestsMetric}{${selector}}[${range}])) or vector(0)`;
    const quantile = (q: number) => `histogram_quantile(${q}, sum by (le) (rate(${s.latencyBucketMetric}{${canary}}[${window}]))) or vector(NaN)`;
    const age = (selector: string) => `time() - max(timestamp(${s.requestsMetric}{${selector}})) or vector(NaN)`;
    return {
        canaryRequests: count(canary),
        canaryErrors: count(`${canary}, ${errors}`),
        stableRequests: count(stable),
        stableErrors: count(`${stable}, ${errors}`),
        canaryP95Ms: quantile(0.95),
        canaryP99Ms: quantile(0.99),
        canaryRestarts: `sum(increase(${signalSelectors(signals).restarts()}[${window}])) or vector(0)`,
        passCanaryRequests: count(canary, passWindow),
        passCanaryErrors: count(`${canary}, ${errors}`, passWindow),
        passStableRequests: count(stable, passWindow),
        passStableErrors: count(`${stable}, ${errors}`, passWindow),
        canaryDataAgeSeconds: age(canary),
        stableDataAgeSeconds: age(stable),
        stableReplicas: `sum(${s.replicasMetric}{${stableDeployment}}) or vector(NaN)`,
    };
}

/** The buckets the canary latency quantiles are computed from (or stable's), one series per `le`. */
export function latencyBucketsQuery(config: ProgressionConfig, version: "canary" | "stable" = "canary"): string {
    const s = config.analysis.selectors;
    const selector = analysisSignals(config)[version];
    return `sum by (le) (rate(${s.latencyBucketMetric}{${selector}}[${toPromQLRange(config.analysis.window)}]))`;
}

/** The expressions of the step gates that apply at `position` (all gates without one), keyed by gate and measure. */
export function stepGateExpressions(config: ProgressionConfig, position?: StepPosition): Array<{ gate: string; measure: string; expr: string }> {
    const s = config.analysis.selectors;
    return gatesAt(config.gates, position).flatMap((g) => {
        const q = stepGateQueries(g, analysisSignals(config).canary, s.requestsMetric, s.errorCodes);
        return [
            { gate: g.name, measure: STEP_GATE_MEASURES.attainment, expr: q.attainment },
            { gate: g.name, measure: STEP_GATE_MEASURES.windows, expr: q.windows },
        ];
    });
}

/** The custom checks' queries of one service (`analysis.checks`), placeholders filled: `[measure, PromQL]`. */
export function customQueries(config: ProgressionConfig): Array<[string, string]> {
    const labels = versionLabels(config);
    return customCheckQueries(config.analysis.checks, {
        service: config.service,
        namespace: config.namespace,
        canaryVersion: labels.canary,
        stableVersion: labels.stable,
        windowMs: config.analysis.window,
    });
}

/** One instant query returning every measurement of every given service, tagged with `measure` and `service`. */
export function batchedQuery(configs: ReadonlyArray<ProgressionConfig>, positions?: ReadonlyMap<string, StepPosition>): string {
    const parts: string[] = [];
    const tag = (expr: string, measure: string, service: string) =>
        `label_replace(label_replace((${expr}), "${MEASURE_LABEL}", "${measure}", "", ""), "${SERVICE_LABEL}", ${promqlString(service)}, "", "")`;
    for (const config of configs) {
        const queries = measurementQueries(config);
        const key = releaseKey(config);
        for (const name of MEASURE_NAMES) parts.push(tag(queries[name], name, key));
        parts.push(tag(latencyBucketsQuery(config), LATENCY_BUCKETS_MEASURE, key));
        parts.push(tag(latencyBucketsQuery(config, "stable"), STABLE_LATENCY_BUCKETS_MEASURE, key));
        for (const g of stepGateExpressions(config, positions?.get(key))) {
            parts.push(`label_replace(${tag(g.expr, g.measure, key)}, "${GATE_LABEL}", ${promqlString(g.gate)}, "", "")`);
        }
        for (const [measure, expr] of customQueries(config)) parts.push(tag(expr, measure, key));
    }
    return parts.join("\nor\n");
}

/**
 * Splits a batched result back into per-service {@link Measurements} (a measurement absent from the answer is
 * undefined; the histogram's buckets an empty list). Returns an error string instead when the same measurement
 * (or bucket) comes back twice, or a bucket without a usable `le`, which means the response is not the answer to
 * our query.
 */
export function measurementsByService(samples: ReadonlyArray<InstantSample>): Map<string, Measurements> | string {
    const byService = new Map<
        string,
        {
            values: Partial<Record<MeasureName, number>>;
            buckets: HistogramBucket[];
            stableBuckets: HistogramBucket[];
            gates: Record<string, { attainment?: number; windows?: number }>;
            custom: Record<string, number[]>;
        }
    >();
    for (const sample of samples) {
        const service = sample.labels[SERVICE_LABEL];
        const measure = sample.labels[MEASURE_LABEL];
        if (service === undefined || measure === undefined) continue;
        const entry = byService.get(service) ?? { values: {}, buckets: [], stableBuckets: [], gates: {}, custom: {} };
        if (measure === LATENCY_BUCKETS_MEASURE || measure === STABLE_LATENCY_BUCKETS_MEASURE) {
            const list = measure === LATENCY_BUCKETS_MEASURE ? entry.buckets : entry.stableBuckets;
            const leText = sample.labels["le"];
            const le = leText === undefined ? NaN : parseSampleValue(leText);
            if (Number.isNaN(le)) return `bucket of ${measure} of ${service} has le=${JSON.stringify(leText ?? null)}, not a bound`;
            if (list.some((b) => b.le === le)) return `bucket le=${leText} of ${measure} of ${service} returned more than once`;
            list.push({ le, value: sample.value });
        } else if (measure === STEP_GATE_MEASURES.attainment || measure === STEP_GATE_MEASURES.windows) {
            const gate = sample.labels[GATE_LABEL];
            if (gate === undefined) return `${measure} of ${service} has no ${GATE_LABEL} label`;
            const key = measure === STEP_GATE_MEASURES.attainment ? "attainment" : "windows";
            const g = entry.gates[gate] ?? {};
            entry.gates[gate] = g;
            if (g[key] !== undefined) return `${measure} of gate ${gate} of ${service} returned more than once`;
            g[key] = sample.value;
        } else if ((MEASURE_NAMES as ReadonlyArray<string>).includes(measure)) {
            if (entry.values[measure as MeasureName] !== undefined) return `measurement ${measure} of ${service} returned more than once`;
            entry.values[measure as MeasureName] = sample.value;
        } else if (measure.startsWith(CUSTOM_PREFIX)) {
            // A user's query may return several series (not aggregated): kept, and judged unknown, not malformed.
            entry.custom[measure] = [...(entry.custom[measure] ?? []), sample.value];
        } else {
            continue;
        }
        byService.set(service, entry);
    }
    const out = new Map<string, Measurements>();
    for (const [service, { values: v, buckets, stableBuckets, gates, custom }] of byService) {
        out.set(service, {
            canaryRequests: v.canaryRequests,
            canaryErrors: v.canaryErrors,
            stableRequests: v.stableRequests,
            stableErrors: v.stableErrors,
            canaryP95Ms: v.canaryP95Ms,
            canaryP99Ms: v.canaryP99Ms,
            canaryRestarts: v.canaryRestarts,
            passCanaryRequests: v.passCanaryRequests,
            passCanaryErrors: v.passCanaryErrors,
            passStableRequests: v.passStableRequests,
            passStableErrors: v.passStableErrors,
            canaryDataAgeSeconds: v.canaryDataAgeSeconds,
            stableDataAgeSeconds: v.stableDataAgeSeconds,
            stableReplicas: v.stableReplicas,
            canaryLatencyBuckets: buckets.sort((a, b) => a.le - b.le),
            stableLatencyBuckets: stableBuckets.sort((a, b) => a.le - b.le),
            stepGates: gates as Record<string, StepGateMeasurement>,
            custom,
        });
    }
    return out;
}

/** The measurements the batched query always answers for a service that are missing from `m`. */
export function missingMeasurements(m: Measurements): MeasureName[] {
    return MEASURE_NAMES.filter((name) => m[name] === undefined);
}
