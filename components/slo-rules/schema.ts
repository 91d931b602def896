/**
 * The input shape of the SLO rules generator and component, as zod schemas: the single source of its types,
 * descriptions and defaults. Defaults that depend on the service (its matchers, the canary's pod regex, the
 * dashboard title, an SLO's description and runbook) are filled by {@link toSloRulesSpec}, which also compiles the
 * SLIs and burn factors into the generator's {@link SloRulesSpec}.
 */
import { z } from "zod";
import { type CanarySignals, joinMatchers, maxErrorRateDeltaSchema } from "../common/canary-signals";
import { defaultVersionLabel, isPinnedImage } from "../common/image";
import type { InputFields, InputPaths, WithInputs } from "../common/inputs";
import { dnsLabel, labelMap as k8sLabelMap, nonEmptyLabelValue } from "../common/k8s-names";
import { ISTIO_DURATION_HISTOGRAM, isBucketBound, latencyBucketsSchema, sortedBuckets } from "../common/latency-buckets";
import { parseArgs } from "../common/validation";
import { burnRateFactor, roundFactor } from "./burn-rate";
import { BASE_WINDOW, SLO_RULES_DEFAULTS as D, defaultCanaryPodRegex, defaultDashboardTitle, defaultServiceMatchers } from "./defaults";
import { durationSeconds, isSingleUnitDuration as isDuration } from "./durations";
import type { ResolvedBurnWindow, ResolvedSli, SloRulesSpec } from "./types";

const describe = (description: string) => ({ description });

// Service and SLO names also allow `_` (they are Prometheus label values and rule-group name parts), so they are
// not the common `dnsLabel`.
const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
// Prometheus label names (`[a-zA-Z_][a-zA-Z0-9_]*`), not Kubernetes label keys: the common `labelKey` differs.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*`;
/** Comma-separated PromQL label matchers without braces (may be empty). */
const MATCHERS = new RegExp(`^(${MATCHER}(,${MATCHER})*,?\\s*)?$`);
/** A plain metric selector: `name`, `name{matchers}` or `{matchers}`. */
const SELECTOR = new RegExp(`^\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*(\\{(${MATCHER}(,${MATCHER})*,?\\s*)?\\})?\\s*$`);

// Single-unit Prometheus durations (they become parts of recording-rule names), not the common `durationString`.
const duration = z.string().refine(isDuration, { message: "expected a Prometheus duration like 30s, 5m, 1h, 3d" });
const windowDuration = duration.refine((d) => !isDuration(d) || durationSeconds(d) >= durationSeconds(BASE_WINDOW), {
    message: `window must be at least ${BASE_WINDOW} (the base recording window)`,
});
const sloWindow = z
    .string()
    .regex(/^[1-9][0-9]*d$/, { message: "expected whole days like 7d, 28d, 30d" })
    .refine(
        (w) => {
            const days = Number(w.slice(0, -1));
            return days >= 7 && days <= 90;
        },
        { message: "SLO window must be between 7d and 90d" },
    );
const selector = z
    .string()
    .min(1)
    .refine((s) => SELECTOR.test(s) && s.trim() !== "", {
        message: 'expected a plain metric selector like metric{label="value"} (no functions, no range)',
    });
const matchers = z.string().refine((s) => MATCHERS.test(s), {
    message: 'expected PromQL label matchers without braces, like a="b",c=~"d.*"',
});
const metricName = z.string().regex(METRIC_NAME, { message: "invalid metric name" });
const labelName = z.string().regex(LABEL_NAME, { message: "invalid label name" });
const promLabelMap = z.record(labelName, z.string());

/** Rounds away float noise in suggestions (0.999 * 100 = 99.89999999999999 → 99.9). */
const round = (x: number) => Number(x.toPrecision(10));

/** An objective in percent; a value under 50 is almost surely a fraction (0.999 meaning 99.9 %) and is refused. */
const objectivePercent = z
    .number()
    .gt(0, { message: "objective is a percentage > 0" })
    .lt(100, { message: "objective is a percentage < 100 (100 leaves no error budget)" })
    .superRefine((v, ctx) => {
        if (v > 0 && v < 50) {
            const example = v < 1 ? round(v * 100) : 99.9;
            ctx.addIssue({
                code: "custom",
                message: `a percentage is expected: write ${example} for ${example} %` + (v < 1 ? ` (${v} means ${v} %)` : ""),
            });
        }
    });

/** A fraction of the error budget (0.02 = 2 %); 1 or more is a percentage written by mistake. */
const budgetFraction = z
    .number()
    .gt(0, { message: "budget fraction must be > 0" })
    .superRefine((v, ctx) => {
        if (v >= 1) {
            ctx.addIssue({
                code: "custom",
                message: `a fraction of the error budget is expected (0.02 = 2 %)` + (v <= 100 ? `: write ${round(v / 100)} for ${v} %` : ""),
            });
        }
    });

const errorRatioSli = z
    .strictObject({
        kind: z.literal("errorRatio").meta(describe("Discriminator.")),
        errors: selector
            .optional()
            .meta(
                describe(
                    "Metric selector (no function, no range) of the *failed* requests, e.g. " +
                        '`http_requests_total{job="checkout",code=~"5.."}`. Give either `errors` or `good`, not both. ' +
                        'Default (when neither is given): `istio_requests_total{<serviceMatchers>,response_code=~"5.."}`.',
                ),
            ),
        good: selector.optional().meta(describe("Metric selector of the *successful* requests; the SLI then uses `total - good` as errors.")),
        total: selector
            .optional()
            .meta(
                describe(
                    "Metric selector of all requests. Required when `errors` or `good` is given; otherwise defaults to " +
                        "`istio_requests_total{<serviceMatchers>}`.",
                ),
            ),
    })
    .superRefine((v, ctx) => {
        if (v.errors !== undefined && v.good !== undefined) {
            ctx.addIssue({ code: "custom", path: ["good"], message: "give either errors or good, not both" });
        }
        if ((v.errors !== undefined || v.good !== undefined) && v.total === undefined) {
            ctx.addIssue({ code: "custom", path: ["total"], message: "total is required with errors or good" });
        }
        if (v.errors === undefined && v.good === undefined && v.total !== undefined) {
            ctx.addIssue({ code: "custom", path: ["errors"], message: "give errors or good with total" });
        }
    })
    .meta(describe("Error-ratio SLI: failed requests over all requests, from counters."));

const latencySli = z
    .strictObject({
        kind: z.literal("latency").meta(describe("Discriminator.")),
        histogram: metricName.default(D.latencyHistogram).meta(describe("Histogram base name (without `_bucket`/`_count`).")),
        threshold: z
            .number()
            .positive()
            .finite()
            .default(D.latencyThreshold)
            .meta(
                describe(
                    `Threshold in the histogram's unit; must equal one of its bucket bounds (\`le\`): for Istio's histogram one of ` +
                        `\`latencyBuckets\`, else refused. Default ${D.latencyThreshold} (ms), a bound of Istio's default buckets.`,
                ),
            ),
        matchers: matchers
            .optional()
            .meta(describe("Label matchers (PromQL syntax, no braces) selecting the service's series. Default: the service matchers.")),
    })
    .meta(describe("Latency SLI: share of requests slower than a threshold, from a classic histogram."));

const sliSchema = z.discriminatedUnion("kind", [errorRatioSli, latencySli]);

const burnWindow = z
    .strictObject({
        short: windowDuration.meta(describe("Short window (confirms the burn is still happening), e.g. `5m`. At least 5m.")),
        long: windowDuration.meta(describe("Long window (measures the burn), e.g. `1h`; longer than `short`, not longer than the SLO window.")),
        budgetFraction: budgetFraction.meta(
            describe("Fraction (below 1) of the whole error budget consumed within `long` that should alert, e.g. 0.02 for 2 %."),
        ),
    })
    .superRefine((v, ctx) => {
        if (isDuration(v.short) && isDuration(v.long) && durationSeconds(v.short) >= durationSeconds(v.long)) {
            ctx.addIssue({ code: "custom", path: ["short"], message: "short window must be shorter than long" });
        }
    })
    .meta(describe("One pair of windows of a multi-window burn-rate alert."));

const burnPolicy = (defaults: { readonly for: string; readonly windows: ReadonlyArray<{ short: string; long: string; budgetFraction: number }> }) =>
    z
        .strictObject({
            for: duration.default(defaults.for).meta(describe("`for` clause of the alert.")),
            windows: z
                .array(burnWindow)
                .default(() => defaults.windows.map((w) => ({ ...w })))
                .meta(describe("Window pairs (any one firing fires the alert). Default: SRE-workbook pairs. Empty disables the severity.")),
        })
        .prefault({});

const sloSchema = z
    .strictObject({
        name: z
            .string()
            .regex(NAME, { message: "expected [a-z0-9_-], at most 63 characters" })
            .meta(describe("SLO name, unique within the service (`[a-z0-9_-]`), e.g. `availability`; becomes the `slo` label.")),
        description: z
            .string()
            .min(1)
            .optional()
            .meta(describe("Human description shown in alert annotations and the dashboard. Default: derived from the SLI.")),
        objective: objectivePercent.meta(describe("Objective in percent, strictly between 0 and 100, e.g. 99.95 (not 0.9995).")),
        window: sloWindow.default(D.sloWindow).meta(describe("SLO (compliance) window, whole days between 7d and 90d, e.g. `7d`, `28d`, `30d`.")),
        sli: sliSchema.prefault({ kind: "errorRatio" }).meta(describe("The SLI. Default: Istio error ratio (5xx over all requests) of the service.")),
        groupBy: z
            .array(labelName.refine((l) => l !== "service" && l !== "slo", { message: "service and slo are reserved" }))
            .default(() => [...D.groupBy])
            .meta(describe('Labels kept through the aggregation (one SLI per combination), e.g. `["destination_version"]`. Default none.')),
        runbookUrl: z.url().optional().meta(describe("Runbook URL for this SLO's alerts. Default: the top-level `runbookUrl`.")),
    })
    .meta(describe("One service-level objective."));

const alertingSchema = z
    .strictObject({
        page: burnPolicy(D.page).meta(
            describe(
                "Page severity. Default: 5m&1h consuming 2 % and 30m&6h consuming 5 % of the budget, no `for` (the short window confirms the burn).",
            ),
        ),
        ticket: burnPolicy(D.ticket).meta(describe("Ticket severity. Default: 2h&1d and 6h&3d consuming 10 % of the budget, for 15m.")),
        minBurnRate: z.number().min(0).finite().default(D.minBurnRate).meta(describe("Floor of any burn factor after rescaling to the SLO window.")),
        minRequestRate: z
            .number()
            .min(0)
            .finite()
            .default(D.minRequestRate)
            .meta(describe("Low-traffic guard: minimum requests per second over an alert's long window.")),
    })
    .meta(describe("Burn-rate alerting policy."));

const restartsSchema = z
    .strictObject({
        metric: metricName.default(D.canary.restartsMetric).meta(describe("Restart counter.")),
        podRegex: z.string().min(1).optional().meta(describe("Regex of the canary's pod names. Default `<service>-canary-.*`.")),
        namespace: dnsLabel
            .optional()
            .meta(describe('Namespace of the canary\'s pods, when set added as `namespace="..."`. Default: no namespace matcher.')),
        matchers: matchers.optional().meta(describe('Extra label matchers (PromQL syntax, no braces), e.g. `container="app"`. Default none.')),
    })
    .meta(describe("Where to find the canary's restarts (kube-state-metrics)."));

/** The canary's share of the traffic, a fraction as the recorded `canary_traffic_ratio` (0.1 = 10 %). */
const trafficRatio = z
    .number()
    .min(0, { message: "traffic ratio must be ≥ 0" })
    .superRefine((v, ctx) => {
        if (v >= 1) {
            ctx.addIssue({
                code: "custom",
                message:
                    "a fraction of the traffic is expected (0.1 = 10 %), not a percentage" + (v <= 100 ? `: write ${round(v / 100)} for ${v} %` : ""),
            });
        }
    });

const pinnedImage = z.string().min(1).refine(isPinnedImage, { message: "image must be pinned: a tag other than `latest` or a digest" });
const TRACKS = ["canary", "stable"] as const;

const canarySchema = z
    .strictObject({
        enabled: z.boolean().default(D.canary.enabled).meta(describe("Whether to generate the canary rules.")),
        versionLabel: labelName
            .default(D.canary.versionLabel)
            .meta(describe("Label telling versions apart in the request metrics (Istio fills it from the pod's `version` label).")),
        canaryImage: pinnedImage
            .optional()
            .meta(
                describe(
                    "The canary's image, pinned. `canaryVersionLabel` defaults to the value derived from it the way CanaryWorkload " +
                        "labels its pods: the tag, or a digest's first 12 hex digits. Give the same image to both components.",
                ),
            ),
        stableImage: pinnedImage
            .optional()
            .meta(describe("The stable version's image, pinned; `stableVersionLabel` defaults to the value derived from it (see `canaryImage`).")),
        canaryVersionLabel: nonEmptyLabelValue
            .optional()
            .meta(
                describe(
                    "Value of `versionLabel` on the canary's requests (its pods' version label). Default: derived from " +
                        "`canaryImage`; with neither, enabled canary rules are refused (no silent default that selects no pod).",
                ),
            ),
        stableVersionLabel: nonEmptyLabelValue
            .optional()
            .meta(
                describe(
                    "Value of `versionLabel` on the stable version's requests (its pods' version label). Default: derived from " +
                        "`stableImage`; with neither, enabled canary rules are refused.",
                ),
            ),
        canaryMatchers: matchers
            .optional()
            .meta(
                describe(
                    "Matchers (PromQL syntax, no braces) selecting the canary's requests, replacing `serviceMatchers` plus " +
                        "`versionLabel`=`canaryVersionLabel`; a stack gives the gate's `progression.analysis.selectors.canary` unless set here.",
                ),
            ),
        stableMatchers: matchers
            .optional()
            .meta(describe("Matchers selecting the stable version's requests (see `canaryMatchers`); a stack gives the gate's `selectors.stable`.")),
        restartsMatchers: matchers
            .optional()
            .meta(
                describe(
                    "Matchers selecting the canary pods' restart series, replacing `restarts.podRegex`/`namespace`/`matchers`; a stack gives the gate's `progression.analysis.selectors.restarts` (default `pod=~\"<service>-canary-.*\"`) unless `restarts` is set here.",
                ),
            ),
        requestsMetric: metricName.default(D.requestsMetric).meta(describe("Request counter.")),
        errorMatchers: matchers.default(D.errorMatchers).meta(describe("Matchers (no braces) that select failed requests.")),
        latencyHistogram: metricName.default(D.latencyHistogram).meta(describe("Duration histogram base name.")),
        rateWindow: duration.default(D.canary.rateWindow).meta(describe("Rate window of the canary recordings.")),
        maxErrorRateDelta: maxErrorRateDeltaSchema
            .default(D.canary.maxErrorRateDelta)
            .meta(
                describe(
                    "P1 fires when `canary_error_rate_delta` (a fraction: canary error rate minus stable's) exceeds this; 0.003 = 0.3 percentage " +
                        "points, below 0.1. The same key and unit as the gate's `progression.analysis.thresholds.maxErrorRateDelta`, which a " +
                        "stack gives it unless set here.",
                ),
            ),
        trafficRatioThreshold: trafficRatio
            .default(D.canary.trafficRatioThreshold)
            .meta(describe("...and `canary_traffic_ratio` (a fraction of the traffic, 0.1 = 10 %) exceeds this; below 1.")),
        minRequestRate: z
            .number()
            .min(0)
            .finite()
            .default(D.canary.minRequestRate)
            .meta(describe("Low-traffic guard: minimum canary requests per second for the P1.")),
        for: duration.default(D.canary.for).meta(describe("`for` clause of the P1.")),
        restarts: restartsSchema.prefault({}).meta(describe("Restart counter of the canary's pods.")),
    })
    .superRefine((v, ctx) => {
        if (!v.enabled) return;
        for (const track of TRACKS) {
            if (v[`${track}VersionLabel`] === undefined && v[`${track}Image`] === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: [`${track}VersionLabel`],
                    message:
                        `required while canary rules are enabled: give ${track}Image (the label is derived from it as CanaryWorkload ` +
                        `labels its pods) or ${track}VersionLabel, or set enabled: false`,
                });
            }
        }
        for (const track of TRACKS) {
            const image = v[`${track}Image`];
            const derived = v[`${track}VersionLabel`] === undefined && image !== undefined ? defaultVersionLabel(image) : undefined;
            if (derived !== undefined && !nonEmptyLabelValue.safeParse(derived).success) {
                ctx.addIssue({
                    code: "custom",
                    path: [`${track}Image`],
                    message: `its version "${derived}" is not a label value (at most 63 alphanumerics, '-', '_', '.'): give ${track}VersionLabel`,
                });
            }
        }
        const canary = versionLabelOf(v, "canary");
        if (canary !== undefined && canary === versionLabelOf(v, "stable")) {
            // Report on the key the user wrote for the stable version.
            const key = v.stableVersionLabel !== undefined ? "stableVersionLabel" : "stableImage";
            ctx.addIssue({ code: "custom", path: [key], message: `gives the version label "${canary}", the canary's too: the two must differ` });
        }
    })
    .meta(describe("Canary-versus-stable rules."));

/** The version label of one track: the one given, else the one derived from its image (as CanaryWorkload does). */
function versionLabelOf(
    c: {
        canaryVersionLabel?: string | undefined;
        stableVersionLabel?: string | undefined;
        canaryImage?: string | undefined;
        stableImage?: string | undefined;
    },
    track: "canary" | "stable",
): string | undefined {
    const image = c[`${track}Image`];
    return c[`${track}VersionLabel`] ?? (image === undefined ? undefined : defaultVersionLabel(image));
}

const dashboardSchema = z
    .strictObject({
        enabled: z.boolean().default(D.dashboard.enabled).meta(describe("Whether to create the dashboard ConfigMap.")),
        title: z.string().min(1).optional().meta(describe("Dashboard title. Default `<service>: canary vs stable and SLOs`.")),
        folder: z
            .string()
            .min(1)
            .optional()
            .meta(describe("Grafana folder, set as the `grafana_folder` annotation read by the dashboard sidecar. Default none.")),
    })
    .meta(describe("Grafana dashboard options."));

const specShape = {
    service: z
        .string()
        .regex(NAME, { message: "expected [a-z0-9_-], at most 63 characters" })
        .meta(describe("Service name (`[a-z0-9-]`), the `service` label of every generated series and alert.")),
    runbookUrl: z.url().meta(describe("Runbook URL put in every alert's `runbook_url` annotation (an SLO may override it).")),
    slos: z.array(sloSchema).min(1, { message: "at least one SLO is required" }).meta(describe("The service's SLOs (at least one).")),
    serviceMatchers: matchers
        .optional()
        .meta(
            describe(
                "Label matchers (PromQL syntax, no braces) selecting the service's requests in Istio metrics. " +
                    'Default `reporter="destination",destination_service_name="<service>"`.',
            ),
        ),
    latencyBuckets: latencyBucketsSchema
        .default(() => [...D.latencyBuckets])
        .meta(
            describe(
                `Bucket bounds (ms) of Istio's \`${ISTIO_DURATION_HISTOGRAM}\` on the service's pods. A latency SLI on it must use one ` +
                    "of them as its threshold. Give CanaryWorkload the same list: it sets them on its pods' sidecars. Default: " +
                    `Istio's own (${D.latencyBuckets.join(", ")}).`,
            ),
        ),
    evaluationInterval: duration.default(D.evaluationInterval).meta(describe("Evaluation interval of the raw-metric and alert groups.")),
    longWindowEvaluationInterval: duration
        .default(D.longWindowEvaluationInterval)
        .meta(describe("Evaluation interval of the long-window group (1d, 3d, SLO window).")),
    alerting: alertingSchema.prefault({}).meta(describe("Burn-rate alerting policy.")),
    alertLabels: promLabelMap.default(() => ({})).meta(describe('Extra labels on every alert, e.g. `{ team: "payments" }`.')),
    canary: canarySchema.prefault({}).meta(describe("Canary-versus-stable rules. Default: enabled with Istio defaults.")),
    dashboard: dashboardSchema.prefault({}).meta(describe("Grafana dashboard options.")),
};

/** Cross-field checks: unique SLO names, alert windows within each SLO's window, thresholds that are bucket bounds. */
function checkSpec(
    v: { slos: Array<z.output<typeof sloSchema>>; alerting: z.output<typeof alertingSchema>; latencyBuckets: number[] },
    ctx: z.RefinementCtx,
): void {
    const seen = new Set<string>();
    v.slos.forEach((s, i) => {
        if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["slos", i, "name"], message: "duplicate SLO name" });
        seen.add(s.name);
        // Istio's histogram has an `le` series only for its bounds: any other threshold leaves the SLI empty, silently.
        if (s.sli.kind === "latency" && s.sli.histogram === ISTIO_DURATION_HISTOGRAM && !isBucketBound(s.sli.threshold, v.latencyBuckets)) {
            ctx.addIssue({
                code: "custom",
                path: ["slos", i, "sli", "threshold"],
                message:
                    `threshold ${s.sli.threshold} is not a bucket bound of ${ISTIO_DURATION_HISTOGRAM} (latencyBuckets: ` +
                    `${sortedBuckets(v.latencyBuckets).join(", ")}), so the SLI would have no data: use one of them, or add it to ` +
                    "latencyBuckets and give CanaryWorkload the same latencyBuckets (it sets them on the pods' sidecars)",
            });
        }
        for (const severity of ["page", "ticket"] as const) {
            v.alerting[severity].windows.forEach((w, j) => {
                if (isDuration(w.long) && isDuration(s.window) && durationSeconds(w.long) > durationSeconds(s.window)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["alerting", severity, "windows", j, "long"],
                        message: `longer than the window ${s.window} of SLO "${s.name}"`,
                    });
                }
            });
        }
    });
}

/** Input of the SLO rules generator: the service, its SLOs, alerting, canary rules and dashboard options. */
export const sloRulesSpecSchema = z.strictObject(specShape).superRefine(checkSpec).meta(describe("Input of the SLO rules generator."));

/** Input of the `SloRules` component: the generator's spec plus where to put the Kubernetes objects. */
export const sloRulesArgsSchema = z
    .strictObject({
        ...specShape,
        namespace: dnsLabel.meta(describe("Namespace of the PrometheusRule and of the dashboard ConfigMap (where the Grafana sidecar looks).")),
        ruleLabels: k8sLabelMap
            .default(() => ({}))
            .meta(describe('Labels on the PrometheusRule, e.g. `{ release: "kube-prometheus-stack" }` for the operator\'s ruleSelector.')),
    })
    .superRefine(checkSpec)
    .meta(describe("Input of the SloRules component."));

/** Input of the SLO rules generator (and of the `SloRules` component, with `namespace`). */
export type SloRulesSpecArgs = z.input<typeof sloRulesSpecSchema>;
/** {@link SloRulesSpecArgs} validated, with every service-independent default filled in. */
export type ResolvedSloRulesSpecArgs = z.output<typeof sloRulesSpecSchema>;
/**
 * The args of the `SloRules` component that take a `pulumi.Input`, with the stand-in each gets while pending (see
 * `InputFields`): the namespace of the PrometheusRule and dashboard (e.g. GrayNamespace's `namespaceName`). The
 * spec stays plain: the component exposes the generated rule groups and rule file as plain values, known when it
 * is constructed (for a Thanos ruler, promtool, the stack's dashboards), so nothing they are made from may wait.
 */
export const sloRulesInputFields = { namespace: "x" } as const satisfies InputFields;
/** {@link sloRulesArgsSchema}'s input as plain values: what a stack config holds. */
export type PlainSloRulesArgs = z.input<typeof sloRulesArgsSchema>;
/** Input of the `SloRules` component: {@link PlainSloRulesArgs} with the {@link sloRulesInputFields} also taking an Input. */
export type SloRulesArgs = WithInputs<PlainSloRulesArgs, InputPaths<typeof sloRulesInputFields>>;
/** {@link SloRulesArgs} validated and defaulted. */
export type ResolvedSloRulesArgs = z.output<typeof sloRulesArgsSchema>;
/** Error-ratio SLI: failed requests over all requests, from counters. */
export type ErrorRatioSliArgs = z.input<typeof errorRatioSli>;
/** Latency SLI: share of requests slower than a threshold, from a classic histogram. */
export type LatencySliArgs = z.input<typeof latencySli>;
/** One SLI definition. */
export type SliArgs = z.input<typeof sliSchema>;
/** One service-level objective. */
export type SloArgs = z.input<typeof sloSchema>;
/** One pair of windows of a multi-window burn-rate alert. */
export type BurnWindowArgs = z.input<typeof burnWindow>;
/** One severity of burn-rate alerts. */
export type BurnAlertPolicyArgs = z.input<ReturnType<typeof burnPolicy>>;
/** Burn-rate alerting policy. */
export type SloAlertingArgs = z.input<typeof alertingSchema>;
/** Where to find the canary's restarts (kube-state-metrics). */
export type CanaryRestartsArgs = z.input<typeof restartsSchema>;
/** Canary-versus-stable rules. */
export type CanaryRulesArgs = z.input<typeof canarySchema>;
/** Canary-versus-stable rules, defaulted. */
export type ResolvedCanaryRulesArgs = z.output<typeof canarySchema>;
/** One SLO, defaulted. */
export type ResolvedSloArgs = z.output<typeof sloSchema>;
/** Grafana dashboard options. */
export type DashboardArgs = z.input<typeof dashboardSchema>;

function selectorOf(metric: string, ...matcherLists: string[]): string {
    const parts = matcherLists.map((m) => m.trim().replace(/,$/, "")).filter((m) => m !== "");
    return parts.length === 0 ? metric : `${metric}{${parts.join(",")}}`;
}

/**
 * Compiles parsed args into the generator's spec: the service-dependent defaults, the SLIs as selectors and the
 * burn factors rescaled to each SLO's window.
 */
export function toSloRulesSpec(a: ResolvedSloRulesSpecArgs): SloRulesSpec {
    const serviceMatchers = a.serviceMatchers ?? defaultServiceMatchers(a.service);
    const { page, ticket, minBurnRate, minRequestRate } = a.alerting;
    const { enabled: canaryEnabled, restarts: _r, restartsMatchers: _m, canaryImage: _c, stableImage: _s, ...canary } = a.canary;

    return {
        service: a.service,
        serviceMatchers,
        runbookUrl: a.runbookUrl,
        latencyBuckets: sortedBuckets(a.latencyBuckets),
        evaluationInterval: a.evaluationInterval,
        longWindowEvaluationInterval: a.longWindowEvaluationInterval,
        pageFor: page.for,
        ticketFor: ticket.for,
        minRequestRate,
        alertLabels: { ...a.alertLabels },
        slos: a.slos.map((s) => {
            const raw = s.sli;
            let sli: ResolvedSli;
            if (raw.kind === "latency") {
                sli = { kind: "latency", histogram: raw.histogram, threshold: raw.threshold, matchers: raw.matchers ?? serviceMatchers };
            } else if (raw.good !== undefined && raw.total !== undefined) {
                sli = { kind: "errorRatio", mode: "good", good: raw.good.trim(), total: raw.total.trim() };
            } else if (raw.errors !== undefined && raw.total !== undefined) {
                sli = { kind: "errorRatio", mode: "errors", errors: raw.errors.trim(), total: raw.total.trim() };
            } else {
                sli = {
                    kind: "errorRatio",
                    mode: "errors",
                    errors: selectorOf(D.requestsMetric, serviceMatchers, D.errorMatchers),
                    total: selectorOf(D.requestsMetric, serviceMatchers),
                };
            }
            const scale = (w: { short: string; long: string; budgetFraction: number }): ResolvedBurnWindow => ({
                short: w.short,
                long: w.long,
                budgetFraction: w.budgetFraction,
                factor: burnRateFactor(w.budgetFraction, s.window, w.long, minBurnRate),
            });
            const description =
                s.description ??
                (sli.kind === "latency"
                    ? `${s.objective}% of requests faster than ${sli.threshold} (${sli.histogram}) over ${s.window}`
                    : `${s.objective}% of requests succeed over ${s.window}`);
            return {
                name: s.name,
                description,
                objective: s.objective,
                errorBudget: roundFactor((100 - s.objective) / 100),
                window: s.window,
                sli,
                groupBy: [...s.groupBy],
                runbookUrl: s.runbookUrl ?? a.runbookUrl,
                page: page.windows.map(scale),
                ticket: ticket.windows.map(scale),
            };
        }),
        canary: canaryEnabled
            ? {
                  ...canary,
                  // Both are set once parsed with canary rules enabled (the schema refuses neither label nor image).
                  canaryVersionLabel: versionLabelOf(a.canary, "canary")!,
                  stableVersionLabel: versionLabelOf(a.canary, "stable")!,
                  signals: canarySignalsOf(a.canary, serviceMatchers, a.service),
              }
            : undefined,
        dashboard: a.dashboard.enabled ? { title: a.dashboard.title ?? defaultDashboardTitle(a.service), folder: a.dashboard.folder } : undefined,
    };
}

/** The canary signals of parsed canary args: given matchers, else the service's matchers and the version label. */
function canarySignalsOf(c: ResolvedCanaryRulesArgs, serviceMatchers: string, service: string): CanarySignals {
    const track = (t: "canary" | "stable") =>
        c[`${t}Matchers`] ?? joinMatchers(serviceMatchers, `${c.versionLabel}="${escapeLabelValue(versionLabelOf(c, t) ?? "")}"`);
    return {
        requestsMetric: c.requestsMetric,
        errorMatchers: c.errorMatchers,
        latencyBucketMetric: `${c.latencyHistogram}_bucket`,
        canary: track("canary"),
        stable: track("stable"),
        maxErrorRateDelta: c.maxErrorRateDelta,
        restartsMetric: c.restarts.metric,
        restarts:
            c.restartsMatchers ??
            joinMatchers(
                c.restarts.namespace !== undefined ? `namespace="${c.restarts.namespace}"` : "",
                `pod=~"${escapeLabelValue(c.restarts.podRegex ?? defaultCanaryPodRegex(service))}"`,
                c.restarts.matchers ?? "",
            ),
    };
}

/** Validates `input` (throwing `InvalidArgsError` naming key paths and values) and applies every default. */
export function resolveSloRulesSpec(input: unknown, subject = "SloRules"): SloRulesSpec {
    return toSloRulesSpec(parseArgs(subject, sloRulesSpecSchema, input));
}

/** Escapes a string for a double-quoted PromQL label value. */
export function escapeLabelValue(v: string): string {
    return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export { selectorOf };
