/**
 * One definition of a service's canary signals: which counter and histogram carry its requests, which of them are
 * failures, how canary and stable requests are told apart, and how much worse than stable the canary may fail.
 * The progression gate (progression/queries.ts, through progression/signals.ts) and the canary alert rules of
 * SloRules (components/slo-rules/generator.ts) both build their PromQL selectors from a {@link CanarySignals}, so
 * the two describe the same requests with the same strings; the stack program hands the gate's signals to SloRules
 * (stacks/canary-service.ts), so the P1 alert follows the gate's threshold unless the user sets its own.
 * Pure: no Pulumi, so the progression engine may import it.
 */
import { z } from "zod";
import { ISTIO_DURATION_HISTOGRAM } from "./latency-buckets";

/** Defaults of the signals: Istio's standard metrics and the brief's threshold. */
export const CANARY_SIGNAL_DEFAULTS = {
    /** Istio's request counter (labelled by destination service, version and response code). */
    requestsMetric: "istio_requests_total",
    /** Regex on `response_code` counted as failures. */
    errorCodes: "5..",
    /** Istio's request-duration histogram, its `_bucket` series. */
    latencyBucketMetric: `${ISTIO_DURATION_HISTOGRAM}_bucket`,
    /** The metric label Istio fills from the pod's `version` label. */
    versionLabel: "destination_version",
    /** Canary error ratio minus stable's above which the gate fails and the P1 pages (brief: 0.003). */
    maxErrorRateDelta: 0.003,
    /** kube-state-metrics' container restart counter. */
    restartsMetric: "kube_pod_container_status_restarts_total",
} as const;

/** The default matchers of the canary pods' restart series: CanaryWorkload names them `<service>-canary-…`. */
export function defaultCanaryRestartMatchers(service: string): string {
    return `pod=~${quoted(`${service}-canary-.*`)}`;
}

/** Every pod of a service's stable and canary Deployments: where a flag rollout's users are served. */
export function defaultServicePodMatchers(service: string): string {
    return `pod=~${quoted(`${service}-(stable|canary)-.*`)}`;
}

/** Rounds away float noise in messages (0.5 / 100 = 0.005). */
const round = (x: number) => Number(x.toPrecision(10));

/**
 * The canary's tolerated error-rate delta, one key and one unit for the gate and the alert: a fraction (0.003 =
 * 0.3 percentage points) from 0 and below 0.1. A delta of 10 points or more gates nothing and pages on nothing a
 * P1 is for: it is almost surely a percentage written by mistake.
 */
export const maxErrorRateDeltaSchema = z
    .number()
    .min(0, { message: "error-rate delta must be a fraction ≥ 0" })
    .superRefine((v, ctx) => {
        if (v >= 0.1) {
            ctx.addIssue({
                code: "custom",
                message:
                    `a fraction below 0.1 is expected, not a percentage: ${v} would mean ${round(v * 100)} percentage points` +
                    (v <= 100 ? `; write ${round(v / 100)} for ${v} %` : ""),
            });
        }
    });

/** A service's canary signals, resolved: every field a plain PromQL fragment or number. */
export interface CanarySignals {
    /** Request counter, e.g. `istio_requests_total`. */
    requestsMetric: string;
    /** Matchers (no braces) selecting failed requests among the counter's series, e.g. `response_code=~"5.."`. */
    errorMatchers: string;
    /** Latency histogram's `_bucket` series, e.g. `istio_request_duration_milliseconds_bucket`. */
    latencyBucketMetric: string;
    /** Matchers (no braces) selecting the canary's requests. */
    canary: string;
    /** Matchers (no braces) selecting the stable version's requests. */
    stable: string;
    /** Canary error ratio minus stable's above which the canary is failing (a fraction). */
    maxErrorRateDelta: number;
    /** Restart counter of the canary's containers, e.g. `kube_pod_container_status_restarts_total`. */
    restartsMetric: string;
    /** Matchers (no braces) selecting the canary pods' restart series, e.g. `pod=~"checkout-canary-.*"`. */
    restarts: string;
}

/** Which version's requests. */
export type SignalTrack = "canary" | "stable";

/** Escapes a string for a double-quoted PromQL label value. */
function quoted(value: string): string {
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Matchers (no braces) selecting failed requests from a `response_code` regex. */
export function errorCodeMatchers(errorCodes: string): string {
    return `response_code=~${quoted(errorCodes)}`;
}

/** The default matchers of one version of a service's requests in Istio's metrics (server-side reports only). */
export function defaultTrackMatchers(service: string, version: string, versionLabel: string = CANARY_SIGNAL_DEFAULTS.versionLabel): string {
    return `reporter="destination", destination_service_name=${quoted(service)}, ${versionLabel}=${quoted(version)}`;
}

/** Joins matcher lists (no braces), dropping empty ones and trailing commas. */
export function joinMatchers(...lists: string[]): string {
    return lists
        .map((m) => m.trim().replace(/,$/, ""))
        .filter((m) => m !== "")
        .join(", ");
}

/** The selectors both generators read: requests, failed requests and latency buckets of one version. */
export function signalSelectors(s: CanarySignals): {
    requests(track: SignalTrack): string;
    errors(track: SignalTrack): string;
    latencyBuckets(track: SignalTrack): string;
    restarts(): string;
} {
    return {
        requests: (track) => `${s.requestsMetric}{${joinMatchers(s[track])}}`,
        errors: (track) => `${s.requestsMetric}{${joinMatchers(s[track], s.errorMatchers)}}`,
        latencyBuckets: (track) => `${s.latencyBucketMetric}{${joinMatchers(s[track])}}`,
        restarts: () => `${s.restartsMetric}{${joinMatchers(s.restarts)}}`,
    };
}
