/**
 * PromQL for the measurements of one or many services, batched into a single instant query: each
 * measurement is tagged with `measure` and `service` labels by `label_replace` and the results are joined
 * with `or`, so one HTTP round trip returns every number of every service.
 */
import { type ProgressionConfig, versionLabels } from "./config";
import { toPromQLRange } from "./duration";
import type { Measurements } from "./evaluate";
import type { InstantSample } from "./metrics-provider";

/** Names of the measurements, also the values of the `measure` label in the batched query. */
export const MEASURE_NAMES = ["canaryRequests", "canaryErrors", "stableRequests", "stableErrors", "canaryP95Ms", "canaryP99Ms", "canaryRestarts"] as const;

/** One measurement name. */
export type MeasureName = (typeof MEASURE_NAMES)[number];

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
 * series simply means no errors) and quantiles to `vector(NaN)`, so a healthy backend always answers every
 * measurement and a missing one signals a malformed response.
 */
export function measurementQueries(config: ProgressionConfig): Record<MeasureName, string> {
    const s = config.analysis.selectors;
    const labels = versionLabels(config);
    const window = toPromQLRange(config.analysis.window);
    const canary = s.canary ?? `reporter="destination", destination_service_name=${promqlString(config.service)}, destination_version=${promqlString(labels.canary)}`;
    const stable = s.stable ?? `reporter="destination", destination_service_name=${promqlString(config.service)}, destination_version=${promqlString(labels.stable)}`;
    const restarts = s.restarts ?? `pod=~${promqlString(`${config.service}-canary-.*`)}`;
    const errors = `response_code=~${promqlString(s.errorCodes)}`;
    const count = (selector: string) => `sum(increase(${s.requestsMetric}{${selector}}[${window}])) or vector(0)`;
    const quantile = (q: number) => `histogram_quantile(${q}, sum by (le) (rate(${s.latencyBucketMetric}{${canary}}[${window}]))) or vector(NaN)`;
    return {
        canaryRequests: count(canary),
        canaryErrors: count(`${canary}, ${errors}`),
        stableRequests: count(stable),
        stableErrors: count(`${stable}, ${errors}`),
        canaryP95Ms: quantile(0.95),
        canaryP99Ms: quantile(0.99),
        canaryRestarts: `sum(increase(${s.restartsMetric}{${restarts}}[${window}])) or vector(0)`,
    };
}

/** One instant query returning every measurement of every given service, tagged with `measure` and `service`. */
export function batchedQuery(configs: ReadonlyArray<ProgressionConfig>): string {
    const parts: string[] = [];
    for (const config of configs) {
        const queries = measurementQueries(config);
        for (const name of MEASURE_NAMES) {
            const tagged = `label_replace((${queries[name]}), "${MEASURE_LABEL}", "${name}", "", "")`;
            parts.push(`label_replace(${tagged}, "${SERVICE_LABEL}", ${promqlString(config.service)}, "", "")`);
        }
    }
    return parts.join("\nor\n");
}

/**
 * Splits a batched result back into per-service {@link Measurements}. Returns an error string instead when
 * the same measurement comes back twice, which means the response is not the answer to our query.
 */
export function measurementsByService(samples: ReadonlyArray<InstantSample>): Map<string, Measurements> | string {
    const byService = new Map<string, Partial<Record<MeasureName, number>>>();
    for (const sample of samples) {
        const service = sample.labels[SERVICE_LABEL];
        const measure = sample.labels[MEASURE_LABEL];
        if (service === undefined || measure === undefined || !(MEASURE_NAMES as ReadonlyArray<string>).includes(measure)) continue;
        const values = byService.get(service) ?? {};
        if (values[measure as MeasureName] !== undefined) return `measurement ${measure} of ${service} returned more than once`;
        values[measure as MeasureName] = sample.value;
        byService.set(service, values);
    }
    const out = new Map<string, Measurements>();
    for (const [service, v] of byService) {
        out.set(service, {
            canaryRequests: v.canaryRequests,
            canaryErrors: v.canaryErrors,
            stableRequests: v.stableRequests,
            stableErrors: v.stableErrors,
            canaryP95Ms: v.canaryP95Ms,
            canaryP99Ms: v.canaryP99Ms,
            canaryRestarts: v.canaryRestarts,
        });
    }
    return out;
}
