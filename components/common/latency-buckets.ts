/**
 * The bucket bounds of Istio's request-duration histogram, one value for the components that must agree on it:
 * `SloRules` can only count requests faster than a threshold that is a bucket bound (`le`), and `CanaryWorkload`
 * decides the bounds its pods' sidecars report. A threshold between two bounds selects no bucket, and the latency
 * SLI, its alerts and its budget stay empty without any error.
 */
import { z } from "zod";

/** Istio's request-duration histogram (base name, without `_bucket`), in milliseconds. */
export const ISTIO_DURATION_HISTOGRAM = "istio_request_duration_milliseconds";

/**
 * The bounds (ms) Istio's sidecars use when a pod sets none: Envoy's default histogram buckets
 * (`HistogramSettingsImpl::defaultBuckets`), which Istio's standard metrics keep.
 */
export const ISTIO_DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
]);

/**
 * Pod annotation read by Istio's sidecar injector (Istio 1.19+): a JSON object from a stat prefix to its bucket
 * bounds. The prefix `istiocustom` covers Istio's standard histograms (request duration, request and response bytes).
 */
export const STATS_HISTOGRAM_BUCKETS_ANNOTATION = "sidecar.istio.io/statsHistogramBuckets";
const ISTIO_STATS_PREFIX = "istiocustom";

/** A list of bucket bounds: positive, finite, each once; kept in the order written (sorted where rendered). */
export const latencyBucketsSchema = z
    .array(z.number().positive().finite())
    .min(1, "list at least one bucket bound")
    .superRefine((list, ctx) => {
        list.forEach((b, i) => {
            if (list.indexOf(b) !== i) ctx.addIssue({ code: "custom", path: [i], message: `bucket bound ${b} is listed twice` });
        });
    });

/** Whether `threshold` is one of `buckets` (a classic histogram has an `le` series only for its bounds). */
export function isBucketBound(threshold: number, buckets: readonly number[]): boolean {
    return buckets.includes(threshold);
}

/** The bounds sorted ascending (Envoy needs them in order). */
export function sortedBuckets(buckets: readonly number[]): number[] {
    return [...buckets].sort((a, b) => a - b);
}

function sameBuckets(a: readonly number[], b: readonly number[]): boolean {
    const sa = sortedBuckets(a);
    const sb = sortedBuckets(b);
    return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

/**
 * The pod annotations that make a sidecar report `buckets`: none for Istio's defaults (pods of an existing install
 * keep their template, so nothing restarts), else {@link STATS_HISTOGRAM_BUCKETS_ANNOTATION}.
 */
export function statsHistogramBucketsAnnotations(buckets: readonly number[]): Record<string, string> {
    if (sameBuckets(buckets, ISTIO_DEFAULT_LATENCY_BUCKETS_MS)) return {};
    return { [STATS_HISTOGRAM_BUCKETS_ANNOTATION]: JSON.stringify({ [ISTIO_STATS_PREFIX]: sortedBuckets(buckets) }) };
}
