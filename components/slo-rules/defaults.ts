/**
 * Every default of the SLO rules component, in one place. The schema (`schema.ts`) and the resolver that fills
 * service-dependent defaults read from here and nowhere else.
 */

import { CANARY_SIGNAL_DEFAULTS, errorCodeMatchers } from "../common/canary-signals";
import { ISTIO_DEFAULT_LATENCY_BUCKETS_MS, ISTIO_DURATION_HISTOGRAM } from "../common/latency-buckets";

/** Rate window of the base recordings taken from raw metrics; every longer window is derived from them. */
export const BASE_WINDOW = "5m";

/**
 * Page windows up to this long are read from raw metrics (not derived from the 5m recordings): the 1h of the fast
 * page pair, which decides how soon a fast burn pages. See `rawWindows` in generator.ts.
 */
export const RAW_WINDOW_MAX = "1h";

export const SLO_RULES_DEFAULTS = {
    /** SLO window when an SLO does not name one. */
    sloWindow: "30d",
    /** Evaluation interval of the groups that read raw metrics and of the alert groups. */
    evaluationInterval: "30s",
    /** Evaluation interval of the group that computes the long windows (1d, 3d, SLO window, budget left). */
    longWindowEvaluationInterval: "2m",
    /** Labels kept through the SLI aggregations (none: one SLI series per service and SLO). */
    groupBy: [] as string[],
    /** Istio's request counter (labelled by destination workload/version/service and response code). */
    requestsMetric: CANARY_SIGNAL_DEFAULTS.requestsMetric,
    /** Matchers (added to the service matchers) that select failed requests. */
    errorMatchers: errorCodeMatchers(CANARY_SIGNAL_DEFAULTS.errorCodes),
    /** Istio's request-duration histogram (base name, without `_bucket`). */
    latencyHistogram: ISTIO_DURATION_HISTOGRAM,
    /**
     * Latency SLI threshold, in the histogram's unit (ms for Istio); must be one of its bucket bounds. 250 is a bound
     * of Istio's default buckets, so the default SLI has data on any install (300, the old default, is not one).
     */
    latencyThreshold: 250,
    /** Bucket bounds of Istio's histogram on the service's pods: Istio's own, which CanaryWorkload keeps by default. */
    latencyBuckets: ISTIO_DEFAULT_LATENCY_BUCKETS_MS,
    /**
     * Multi-window, multi-burn-rate policy (Google SRE workbook), as budget fractions consumed within the long
     * window. For a 30d SLO they give the classic factors 14.4 / 6 (page) and 3 / 1 (ticket); for other SLO
     * windows the factors are rescaled (see `burnRateFactor`).
     */
    page: {
        /**
         * No `for`: the short window of each pair already confirms the burn is still on (the SRE workbook's and
         * Sloth's page alerts have none); 2m here paged 2 minutes late and bought nothing the 5m window does not.
         */
        for: "0s",
        windows: [
            { short: "5m", long: "1h", budgetFraction: 0.02 },
            { short: "30m", long: "6h", budgetFraction: 0.05 },
        ],
    },
    ticket: {
        for: "15m",
        windows: [
            { short: "2h", long: "1d", budgetFraction: 0.1 },
            { short: "6h", long: "3d", budgetFraction: 0.1 },
        ],
    },
    /** Lowest burn factor an alert may use: below 1 the budget is never exhausted within the SLO window. */
    minBurnRate: 1,
    /** Low-traffic guard: burn-rate alerts need at least this many requests per second over their long window. */
    minRequestRate: 0.1,
    canary: {
        enabled: true,
        /**
         * The metric label Istio fills from the pod's `version` label. Its values have no default here: they come
         * from the images (`defaultVersionLabel`, as CanaryWorkload labels its pods) or are given.
         */
        versionLabel: CANARY_SIGNAL_DEFAULTS.versionLabel,
        rateWindow: "5m",
        /** P1 when canary error rate minus stable error rate exceeds this (the gate's default too)... */
        maxErrorRateDelta: CANARY_SIGNAL_DEFAULTS.maxErrorRateDelta,
        /** ...while the canary receives more than this share of the traffic. */
        trafficRatioThreshold: 0.1,
        /** Low-traffic guard: the canary must serve at least this many requests per second. */
        minRequestRate: 0.5,
        for: "2m",
        restartsMetric: "kube_pod_container_status_restarts_total",
    },
    dashboard: {
        enabled: true,
    },
} as const;

/** Default matchers selecting a service's requests in Istio metrics (server-side reports only, no double count). */
export function defaultServiceMatchers(service: string): string {
    return `reporter="destination",destination_service_name="${service}"`;
}

/** Default pod regex of the canary's pods for the restart counter. */
export function defaultCanaryPodRegex(service: string): string {
    return `${service}-canary-.*`;
}

/** Default dashboard title. */
export function defaultDashboardTitle(service: string): string {
    return `${service}: canary vs stable and SLOs`;
}
