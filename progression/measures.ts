/**
 * Names of what one analysis measures: the values of the `measure` label in the batched query (queries.ts), which
 * custom checks (custom-checks.ts) may not take. Their own module, so both read one list.
 */

/** Names of the single-valued measurements, also the values of the `measure` label in the batched query. */
export const MEASURE_NAMES = [
    "canaryRequests",
    "canaryErrors",
    "stableRequests",
    "stableErrors",
    "canaryP95Ms",
    "canaryP99Ms",
    "canaryRestarts",
    "passCanaryRequests",
    "passCanaryErrors",
    "passStableRequests",
    "passStableErrors",
    "canaryDataAgeSeconds",
    "stableDataAgeSeconds",
    "stableReplicas",
] as const;

/** One measurement name. */
export type MeasureName = (typeof MEASURE_NAMES)[number];

/**
 * `measure` label of the canary latency histogram's buckets (one series per `le`, which it keeps), from which the
 * quantiles are computed; used to check that the quantiles lie inside the bucket range.
 */
export const LATENCY_BUCKETS_MEASURE = "canaryLatencyBuckets";

/** `measure` label of stable's latency buckets, compared with the canary's (latency-comparison.ts). */
export const STABLE_LATENCY_BUCKETS_MEASURE = "stableLatencyBuckets";
