/**
 * Public input types of the SLO rules generator and component. Every field is documented; defaults live in
 * `defaults.ts` and are applied by `resolveSloRulesSpec`.
 */

/** Error-ratio SLI: failed requests over all requests, from counters. */
export interface ErrorRatioSliArgs {
    /** Discriminator. */
    kind: "errorRatio";
    /**
     * Metric selector (no function, no range) of the *failed* requests, e.g.
     * `http_requests_total{job="checkout",code=~"5.."}`. Give either `errors` or `good`, not both.
     * Default (when neither is given): `istio_requests_total{<serviceMatchers>,response_code=~"5.."}`.
     */
    errors?: string;
    /** Metric selector of the *successful* requests; the SLI then uses `total - good` as errors. */
    good?: string;
    /**
     * Metric selector of all requests. Required when `errors` or `good` is given; otherwise defaults to
     * `istio_requests_total{<serviceMatchers>}`.
     */
    total?: string;
}

/** Latency SLI: share of requests slower than a threshold, from a classic histogram. */
export interface LatencySliArgs {
    /** Discriminator. */
    kind: "latency";
    /** Histogram base name (without `_bucket`/`_count`). Default `istio_request_duration_milliseconds`. */
    histogram?: string;
    /** Threshold in the histogram's unit; must equal one of its bucket bounds (`le`). Default 300 (ms). */
    threshold?: number;
    /** Label matchers (PromQL syntax, no braces) selecting the service's series. Default: the service matchers. */
    matchers?: string;
}

/** One SLI definition. */
export type SliArgs = ErrorRatioSliArgs | LatencySliArgs;

/** One service-level objective. */
export interface SloArgs {
    /** SLO name, unique within the service (`[a-z0-9_-]`), e.g. `availability`; becomes the `slo` label. */
    name: string;
    /** Human description shown in alert annotations and the dashboard. Default: derived from the SLI. */
    description?: string;
    /** Objective in percent, strictly between 0 and 100, e.g. 99.95. */
    objective: number;
    /** SLO (compliance) window, whole days between 7d and 90d, e.g. `7d`, `28d`, `30d`. Default `30d`. */
    window?: string;
    /** The SLI. Default: Istio error ratio (5xx over all requests) of the service. */
    sli?: SliArgs;
    /** Labels kept through the aggregation (one SLI per combination), e.g. `["destination_version"]`. Default none. */
    groupBy?: string[];
    /** Runbook URL for this SLO's alerts. Default: the top-level `runbookUrl`. */
    runbookUrl?: string;
}

/** One pair of windows of a multi-window burn-rate alert. */
export interface BurnWindowArgs {
    /** Short window (confirms the burn is still happening), e.g. `5m`. At least 5m. */
    short: string;
    /** Long window (measures the burn), e.g. `1h`; longer than `short`, not longer than the SLO window. */
    long: string;
    /** Fraction of the whole error budget consumed within `long` that should alert, e.g. 0.02. */
    budgetFraction: number;
}

/** One severity of burn-rate alerts. */
export interface BurnAlertPolicyArgs {
    /** `for` clause of the alert. Default 2m (page) / 15m (ticket). */
    for?: string;
    /** Window pairs (any one firing fires the alert). Default: SRE-workbook pairs. Empty disables the severity. */
    windows?: BurnWindowArgs[];
}

/** Burn-rate alerting policy. */
export interface SloAlertingArgs {
    /** Page severity. Default: 5m&1h consuming 2 % and 30m&6h consuming 5 % of the budget, for 2m. */
    page?: BurnAlertPolicyArgs;
    /** Ticket severity. Default: 2h&1d and 6h&3d consuming 10 % of the budget, for 15m. */
    ticket?: BurnAlertPolicyArgs;
    /** Floor of any burn factor after rescaling to the SLO window. Default 1. */
    minBurnRate?: number;
    /** Low-traffic guard: minimum requests per second over an alert's long window. Default 0.1. */
    minRequestRate?: number;
}

/** Where to find the canary's restarts (kube-state-metrics). */
export interface CanaryRestartsArgs {
    /** Restart counter. Default `kube_pod_container_status_restarts_total`. */
    metric?: string;
    /** Regex of the canary's pod names. Default `<service>-canary-.*`. */
    podRegex?: string;
    /** Namespace of the canary's pods, when set added as `namespace="..."`. Default: no namespace matcher. */
    namespace?: string;
    /** Extra label matchers (PromQL syntax, no braces), e.g. `container="app"`. Default none. */
    matchers?: string;
}

/** Canary-versus-stable rules. */
export interface CanaryRulesArgs {
    /** Whether to generate the canary rules. Default true. */
    enabled?: boolean;
    /** Label telling versions apart in the request metrics. Default `destination_version`. */
    versionLabel?: string;
    /** Value of `versionLabel` for the canary. Default `canary`. */
    canaryVersion?: string;
    /** Value of `versionLabel` for the stable version. Default `stable`. */
    stableVersion?: string;
    /** Request counter. Default `istio_requests_total`. */
    requestsMetric?: string;
    /** Matchers (no braces) that select failed requests. Default `response_code=~"5.."`. */
    errorMatchers?: string;
    /** Duration histogram base name. Default `istio_request_duration_milliseconds`. */
    latencyHistogram?: string;
    /** Rate window of the canary recordings. Default 5m. */
    rateWindow?: string;
    /** P1 fires when `canary_error_rate_delta` exceeds this. Default 0.003. */
    errorRateDeltaThreshold?: number;
    /** ...and `canary_traffic_ratio` exceeds this. Default 0.1. */
    trafficRatioThreshold?: number;
    /** Low-traffic guard: minimum canary requests per second for the P1. Default 0.5. */
    minRequestRate?: number;
    /** `for` clause of the P1. Default 2m. */
    for?: string;
    /** Restart counter of the canary's pods. */
    restarts?: CanaryRestartsArgs;
}

/** Grafana dashboard options. */
export interface DashboardArgs {
    /** Whether to create the dashboard ConfigMap. Default true. */
    enabled?: boolean;
    /** Dashboard title. Default `<service>: canary vs stable and SLOs`. */
    title?: string;
    /** Grafana folder, set as the `grafana_folder` annotation read by the dashboard sidecar. Default none. */
    folder?: string;
}

/** Input of the SLO rules generator (and of the `SloRules` component, with `namespace`). */
export interface SloRulesSpecArgs {
    /** Service name (`[a-z0-9-]`), the `service` label of every generated series and alert. */
    service: string;
    /** Runbook URL put in every alert's `runbook_url` annotation (an SLO may override it). */
    runbookUrl: string;
    /** The service's SLOs (at least one). */
    slos: SloArgs[];
    /**
     * Label matchers (PromQL syntax, no braces) selecting the service's requests in Istio metrics.
     * Default `reporter="destination",destination_service_name="<service>"`.
     */
    serviceMatchers?: string;
    /** Evaluation interval of the raw-metric and alert groups. Default 30s. */
    evaluationInterval?: string;
    /** Evaluation interval of the long-window group (1d, 3d, SLO window). Default 2m. */
    longWindowEvaluationInterval?: string;
    /** Burn-rate alerting policy. */
    alerting?: SloAlertingArgs;
    /** Extra labels on every alert, e.g. `{ team: "payments" }`. */
    alertLabels?: Record<string, string>;
    /** Canary-versus-stable rules. Default: enabled with Istio defaults. */
    canary?: CanaryRulesArgs;
    /** Grafana dashboard options. */
    dashboard?: DashboardArgs;
}

// ---- resolved (validated, defaulted) spec -------------------------------------------------------------

/** SLI after defaults: every kind compiles to an error rate and a total rate over a window. */
export type ResolvedSli =
    | { kind: "errorRatio"; mode: "errors"; errors: string; total: string }
    | { kind: "errorRatio"; mode: "good"; good: string; total: string }
    | { kind: "latency"; histogram: string; threshold: number; matchers: string };

/** Burn window pair after defaults, with its (rescaled) burn factor. */
export interface ResolvedBurnWindow {
    /** Short window. */
    short: string;
    /** Long window. */
    long: string;
    /** Budget fraction consumed within `long`. */
    budgetFraction: number;
    /** Burn factor for the SLO's window: `max(minBurnRate, budgetFraction * sloWindow / long)`. */
    factor: number;
}

/** SLO after defaults. */
export interface ResolvedSlo {
    /** SLO name. */
    name: string;
    /** Description. */
    description: string;
    /** Objective in percent. */
    objective: number;
    /** Error budget as a ratio, `1 - objective / 100`. */
    errorBudget: number;
    /** SLO window. */
    window: string;
    /** SLI. */
    sli: ResolvedSli;
    /** Aggregation labels. */
    groupBy: string[];
    /** Runbook URL. */
    runbookUrl: string;
    /** Page window pairs with factors. */
    page: ResolvedBurnWindow[];
    /** Ticket window pairs with factors. */
    ticket: ResolvedBurnWindow[];
}

/** Canary rules after defaults. */
export interface ResolvedCanary {
    /** See {@link CanaryRulesArgs}. */
    versionLabel: string;
    /** See {@link CanaryRulesArgs}. */
    canaryVersion: string;
    /** See {@link CanaryRulesArgs}. */
    stableVersion: string;
    /** See {@link CanaryRulesArgs}. */
    requestsMetric: string;
    /** See {@link CanaryRulesArgs}. */
    errorMatchers: string;
    /** See {@link CanaryRulesArgs}. */
    latencyHistogram: string;
    /** See {@link CanaryRulesArgs}. */
    rateWindow: string;
    /** See {@link CanaryRulesArgs}. */
    errorRateDeltaThreshold: number;
    /** See {@link CanaryRulesArgs}. */
    trafficRatioThreshold: number;
    /** See {@link CanaryRulesArgs}. */
    minRequestRate: number;
    /** See {@link CanaryRulesArgs}. */
    for: string;
    /** Full selector of the canary's restart counters. */
    restartsSelector: string;
}

/** The whole spec after validation and defaults; input of the pure generators. */
export interface SloRulesSpec {
    /** Service name. */
    service: string;
    /** Service matchers. */
    serviceMatchers: string;
    /** Default runbook URL (canary alert, SLOs without their own). */
    runbookUrl: string;
    /** Evaluation interval of raw-metric and alert groups. */
    evaluationInterval: string;
    /** Evaluation interval of the long-window group. */
    longWindowEvaluationInterval: string;
    /** Page `for` clause. */
    pageFor: string;
    /** Ticket `for` clause. */
    ticketFor: string;
    /** Low-traffic guard of the burn-rate alerts (req/s over the long window). */
    minRequestRate: number;
    /** Extra alert labels. */
    alertLabels: Record<string, string>;
    /** SLOs. */
    slos: ResolvedSlo[];
    /** Canary rules, or undefined when disabled. */
    canary: ResolvedCanary | undefined;
    /** Dashboard, or undefined when disabled. */
    dashboard: { title: string; folder: string | undefined } | undefined;
}

// ---- rule model ---------------------------------------------------------------------------------------

/** A Prometheus recording rule. */
export interface RecordingRule {
    /** Name of the recorded series. */
    record: string;
    /** PromQL expression. */
    expr: string;
    /** Labels added to the result. */
    labels?: Record<string, string>;
}

/** A Prometheus alerting rule. */
export interface AlertingRule {
    /** Alert name. */
    alert: string;
    /** PromQL expression. */
    expr: string;
    /** Pending duration before firing. */
    for?: string;
    /** Labels added to the alert. */
    labels?: Record<string, string>;
    /** Annotations (Go templates allowed). */
    annotations?: Record<string, string>;
}

/** Either kind of rule. */
export type Rule = RecordingRule | AlertingRule;

/** A Prometheus rule group. */
export interface RuleGroup {
    /** Group name, unique within a rule file. */
    name: string;
    /** Evaluation interval; the global one when absent. */
    interval?: string;
    /** Rules, evaluated in order. */
    rules: Rule[];
}
