/**
 * Synthetic Istio standard metrics for one version of one service, as a sidecar would report them: request
 * counters split by response code and the request-duration histogram, sampled every 15 s.
 */
import type { SyntheticSeries } from "./prometheus";

/** Upper bounds of the duration buckets we emit (a subset of Istio's defaults). */
export const DURATION_BUCKETS = ["5", "10", "25", "50", "100", "250", "500", "1000", "+Inf"] as const;
/** Cumulative share of requests per bucket: p95 ≈ 98 ms, p99 ≈ 229 ms. */
export const FAST_LATENCY = [0.05, 0.15, 0.4, 0.7, 0.96, 0.995, 1, 1, 1] as const;

export interface VersionTraffic {
    /** `destination_service_name`. */
    service: string;
    /** `destination_version`. */
    version: string;
    /** Requests per second. */
    rps: number;
    /** Error ratio (5xx share) at unix second `t`. */
    errorRatio: (t: number) => number;
    /** Cumulative share per {@link DURATION_BUCKETS} bound. */
    latency?: ReadonlyArray<number>;
    /**
     * More labels on every series, e.g. the flag variant a request was served (`feature_flag_new_pricing: "on"`):
     * one version's traffic split by variant is one call per variant.
     */
    labels?: Readonly<Record<string, string>>;
}

/** Series for `traffic` from `startS` to `endS` (unix seconds), one sample every `stepS`. */
export function istioSeries(traffic: VersionTraffic, startS: number, endS: number, stepS = 15): SyntheticSeries[] {
    const labels = {
        ...traffic.labels,
        reporter: "destination",
        destination_service_name: traffic.service,
        destination_version: traffic.version,
    };
    const latency = traffic.latency ?? FAST_LATENCY;
    const ok: Array<[number, number]> = [];
    const errors: Array<[number, number]> = [];
    const buckets: Array<Array<[number, number]>> = DURATION_BUCKETS.map(() => []);
    let okTotal = 0;
    let errorTotal = 0;
    let all = 0;
    for (let t = startS; t <= endS; t += stepS) {
        if (t > startS) {
            const n = traffic.rps * stepS;
            const p = traffic.errorRatio(t);
            okTotal += n * (1 - p);
            errorTotal += n * p;
            all += n;
        }
        ok.push([t, okTotal]);
        errors.push([t, errorTotal]);
        DURATION_BUCKETS.forEach((_, i) => {
            buckets[i]!.push([t, all * (latency[i] ?? 1)]);
        });
    }
    return [
        { name: "istio_requests_total", labels: { ...labels, response_code: "200" }, samples: ok },
        { name: "istio_requests_total", labels: { ...labels, response_code: "503" }, samples: errors },
        ...DURATION_BUCKETS.map((le, i) => ({
            name: "istio_request_duration_milliseconds_bucket",
            labels: { ...labels, le },
            samples: buckets[i]!,
        })),
    ];
}
