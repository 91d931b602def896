/**
 * Per-service progression configuration: what is rolled out, how fast, what "healthy" means and which manual
 * overrides are active. Defaults are the numbers from the domain brief; every one can be overridden.
 */

import { IANAZone } from "luxon";
import { z } from "zod";
import { CANARY_SIGNAL_DEFAULTS, maxErrorRateDeltaSchema } from "../components/common/canary-signals";
import { parseArgs } from "../components/common/validation";
import { customChecksSchema, namespaceProblems } from "./custom-checks";
import { parseDuration } from "./duration";
import { flagCanaryIdentity, flagReleaseKey, flagReleaseSchema, flagStableIdentity } from "./flag-release";
import { defaultVersionLabel, isPinnedImage } from "./image";
import { DEFAULT_WINDOW, validateWindow } from "./release-window";
import { stepGateProblems, stepGatesSchema } from "./step-gates";
import { resolveSteps, weightListProblems } from "./steps";

/** A duration string ("30m", "1h30m", "45s") parsed to milliseconds. */
const durationMs = z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not a duration like "30s", "5m" or "1h30m"` });
        return z.NEVER;
    }
    return ms;
});

/** A container image that names one immutable build (a tag other than `latest`, or a digest). */
export const pinnedImageSchema = z
    .string()
    .refine(isPinnedImage, { message: "image must be pinned: use a tag other than `latest` (e.g. app:1.4.2) or a digest (app@sha256:…)" });

const weightList = z.array(z.number()).superRefine((weights, ctx) => {
    for (const message of weightListProblems(weights)) ctx.addIssue({ code: "custom", message });
});

const linearSteps = z
    .object({
        start: z.number().int().min(1).max(100).meta({ description: "First weight, in percent." }),
        increment: z.number().int().min(1).max(100).meta({ description: "Added to the weight at each step, in percent." }),
        max: z.number().int().min(1).max(100).meta({ description: "Last weight before promotion, in percent (at least start)." }),
    })
    .strict()
    .refine((s) => s.max >= s.start, { message: "max must be at least start", path: ["max"] });

/** A fraction as a percentage, without floating-point noise (0.9995 → 99.95). */
const percentOf = (fraction: unknown): number => Number((Number(fraction) * 100).toPrecision(12));

/**
 * An error ratio or a difference of error ratios: a fraction (0.008 is 0.8 %), as everywhere in the package. Above
 * one half it is almost surely a percentage written as a number (0.8 meaning 0.8 %), so it is refused.
 */
const errorFraction = z
    .number()
    .min(0, "must be a fraction ≥ 0")
    .max(1, "must be a fraction ≤ 1 (0.008 is 0.8 %)")
    .refine((v) => v <= 0.5, {
        error: (issue) => `a fraction is expected (0.008 for 0.8 %): ${String(issue.input)} would tolerate ${percentOf(issue.input)} % errors`,
    });

/**
 * An objective in percent (99.95), as `slo.slos[].objective`. Under 50 it is almost surely a fraction (0.9995).
 */
const objectivePercent = z
    .number()
    .lt(100, "must be under 100 % (100 leaves no error budget)")
    .refine((v) => v >= 50, {
        error: (issue) => `a percentage is expected: write ${percentOf(issue.input)} for ${percentOf(issue.input)} % (got ${String(issue.input)})`,
    });

/** A duration that must be longer than zero (a window, a timeout). */
const positiveDurationMs = durationMs.refine((ms) => ms > 0, { message: "must be longer than 0s" });

const thresholdsSchema = z
    .object({
        maxErrorRate: errorFraction.default(0.008).meta({ description: "Canary error ratio above which it fails (brief: 0.8 %)." }),
        maxP95Ms: z.number().positive().default(200).meta({ description: "Canary p95 latency in ms above which it fails (brief: 200 ms)." }),
        maxP99Ms: z
            .number()
            .positive()
            .default(300)
            .meta({ description: "Canary p99 latency in ms above which it fails (brief: p99 of the critical call ≤ 300 ms)." }),
        maxErrorRateDelta: maxErrorRateDeltaSchema.default(CANARY_SIGNAL_DEFAULTS.maxErrorRateDelta).meta({
            description:
                "Canary error ratio minus stable error ratio above which it fails (a fraction below 0.1; brief: 0.003). In a stack, the service's canary P1 alert (`slo.canary.maxErrorRateDelta`) follows it unless set there.",
        }),
        maxBurnRate: z
            .number()
            .positive()
            .optional()
            .meta({ description: 'Maximum error-budget burn rate of the canary; unset means "not gated, only reported".' }),
        maxRestarts: z.number().int().min(0).default(0).meta({ description: "Container restarts of canary pods tolerated within the window." }),
        maxP95RatioVsStable: z.number().min(1).optional().meta({
            description:
                "Canary p95 may be at most this many times stable's p95 (e.g. 1.2), judged from both latency histograms over `window` with a one-sided test on the share of canary requests above the tolerated latency; unset means not compared. Fails only when significantly slower, passes only when shown within the ratio, else inconclusive (hold).",
        }),
        maxP99RatioVsStable: z
            .number()
            .min(1)
            .optional()
            .meta({ description: "As `maxP95RatioVsStable`, for p99 (needs more traffic to decide: 1 % of requests is the tail)." }),
    })
    .strict();

const statisticalTestSchema = z
    .object({
        enabled: z
            .boolean()
            .default(true)
            .meta({ description: "Run the canary-vs-stable two-proportion z-test, over `analysis.passWindow` (on by default)." }),
        confidence: z.number().gt(0.5).lt(1).default(0.99).meta({
            description:
                "Confidence required both ways (0.99 → one-sided α = 1 %): a rate check fails only when the canary is significantly above its limit, and passes only when the upper confidence bound of the rate (over `analysis.passWindow`) is at or under the limit; in between it is inconclusive (hold). The same holds for the error-rate delta against stable.",
        }),
        toleratedDelta: errorFraction.default(0.001).meta({
            description:
                "How much worse than stable (absolute error ratio) the canary may be before the comparison test counts against it. Without a margin a huge sample flags meaningless differences and a healthy canary would fail α of its steps.",
        }),
    })
    .strict();

const selectorsSchema = z
    .object({
        canary: z.string().min(1).optional().meta({ description: "Label matchers (without braces) selecting canary traffic in istio_* metrics." }),
        stable: z.string().min(1).optional().meta({ description: "Label matchers (without braces) selecting stable traffic in istio_* metrics." }),
        restarts: z
            .string()
            .min(1)
            .optional()
            .meta({ description: "Label matchers (without braces) selecting canary pods in kube_pod_container_status_restarts_total." }),
        errorCodes: z.string().min(1).default("5..").meta({ description: "Regex on `response_code` counted as errors." }),
        requestsMetric: z.string().min(1).default("istio_requests_total").meta({ description: "Request counter metric." }),
        latencyBucketMetric: z
            .string()
            .min(1)
            .default("istio_request_duration_milliseconds_bucket")
            .meta({ description: "Latency histogram (its `_bucket` series)." }),
        restartsMetric: z.string().min(1).default("kube_pod_container_status_restarts_total").meta({ description: "Restart counter metric." }),
        stableReplicas: z.string().min(1).optional().meta({
            description:
                'Label matchers (without braces) selecting the stable Deployment in `replicasMetric`; default `deployment="<service>-stable"`. Add `namespace="..."` when the name is not unique across namespaces.',
        }),
        replicasMetric: z.string().min(1).default("kube_deployment_status_replicas_available").meta({
            description:
                "Available-replicas gauge of a Deployment (kube-state-metrics). It tells a stable that should be serving (replicas available, yet no request series: a wrong label or a renamed metric, an `error`) from one that cannot (scaled down: `inconclusive`). Absent means unknown.",
        }),
    })
    .strict();

const analysisSchema = z
    .object({
        prometheusUrl: z
            .url({ protocol: /^https?$/ })
            .meta({ description: "Base URL of the Prometheus HTTP API (Thanos Query serves the same API)." }),
        window: positiveDurationMs.prefault("5m").meta({ description: "Window each measurement covers (brief: 5 minutes)." }),
        passWindow: positiveDurationMs.prefault("30m").meta({
            description:
                "Window over which a pass must be earned: the canary advances only when the upper confidence bound of its error rate (and of its delta against stable) over this window is within the limit, and the last `window` shows no breach. Longer than `window` because proving a rate is low takes more requests than proving it is high. Failing stays fast, on `window`; a breach significant only over this longer window fails too, and the comparison with stable runs over it. At least `window`; default the brief's 30 minutes between steps.",
        }),
        maxSampleAge: positiveDurationMs.prefault("1m").meta({
            description:
                "Oldest acceptable data: every sample of the answer must be stamped within this of the evaluation time, and the newest raw sample of the canary's and the stable's request counters no older than this. A stale answer (a frozen or lagging Prometheus or Thanos) is an `error`. Default four 15-second scrape intervals.",
        }),
        baseline: z.enum(["required", "optional"]).default("required").meta({
            description:
                "Whether the canary must be compared with stable. `required`: without a stable baseline (fewer than `minRequestCount` stable requests: a mislabelled version, a renamed metric, a stable scaled down) the verdict is `inconclusive`, or `error` when stable has available replicas yet no request series; a canary never passes on absolute thresholds alone. `optional`: judge on absolute thresholds alone when there is no baseline (e.g. the first release of a service).",
        }),
        minRequestCount: z
            .number()
            .int()
            .min(1)
            .default(100)
            .meta({ description: "Minimum canary requests in the window for a verdict other than inconclusive." }),
        sloObjective: objectivePercent.default(99.95).meta({
            description:
                "SLO objective for request success in percent, as in `slo.slos[].objective`; used to express error ratios as burn rates (brief: 99.95).",
        }),
        thresholds: thresholdsSchema.prefault({}).meta({ description: "Absolute gates." }),
        statisticalTest: statisticalTestSchema.prefault({}).meta({ description: "Canary-versus-stable statistical comparison." }),
        selectors: selectorsSchema.prefault({}).meta({ description: "Metric names and label selectors." }),
        timeout: positiveDurationMs.prefault("10s").meta({ description: "Per-attempt HTTP timeout." }),
        retries: z.number().int().min(0).max(5).default(2).meta({ description: "Retries after network errors and 5xx (not after timeouts or 4xx)." }),
        checks: customChecksSchema.meta({
            description:
                "Checks of your own (PromQL with placeholders, a threshold, an action per check), batched into the same query as the built-in measurements and reported in the verdict as `custom:<name>`. In a stack, `gray-release:analysisChecks` adds stack-wide ones (a service's check of the same name replaces it). See docs/custom-checks.md.",
        }),
    })
    .strict();

const semanticsSchema = z
    .object({
        failuresBeforeRollback: z.number().int().min(1).default(1).meta({ description: "Consecutive `fail` verdicts that trigger a rollback." }),
        errorsBeforeFail: z
            .number()
            .int()
            .min(1)
            .default(3)
            .meta({ description: "Consecutive `error` verdicts (analysis impossible) that trigger a rollback with status `failed`." }),
        onInconclusive: z
            .literal("hold")
            .default("hold")
            .meta({ description: "What an inconclusive verdict does; holding is the only safe choice and the only one offered." }),
        inconclusiveBeforeFail: z.number().int().min(1).default(12).meta({
            description:
                "Consecutive `inconclusive` verdicts after which the canary is rolled back (status `failed`): a canary that never earns a pass (e.g. 1.2 % errors against 0.8 % at low traffic) must not sit at its step for ever. At one update per 30 minutes the default gives it 6 hours.",
        }),
        maxTimeAtStep: positiveDurationMs.optional().meta({
            description:
                "Longest a progressing canary may stay at one step without advancing, whatever the verdicts (holds on errors, inconclusive verdicts, updates that stopped coming); past it the next update rolls it back with status `failed`. Not counted while paused or held by the release window or cadence. Default: the larger of 6h and 4 × minIntervalBetweenSteps.",
        }),
    })
    .strict();

/**
 * Pulumi reads stack YAML with Go's YAML library, which turns an unquoted `2026-11-25T10:00:00Z` into a timestamp
 * and hands the program `2026-11-25 10:00:00 +0000 UTC`, and an unquoted `2026-10-01` into
 * `2026-10-01 00:00:00 +0000 UTC`. Read those back as the ISO text the user wrote.
 */
const GO_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-])(\d{2})(\d{2}) \S+$/;
function fromGoTime(value: unknown, dateOnly = false): unknown {
    const m = typeof value === "string" ? GO_TIME.exec(value) : null;
    if (m === null) return value;
    if (dateOnly && m[2] === "00:00:00") return m[1];
    return `${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`;
}

const knownZones = new Map<string, boolean>();
/** Whether `tz` is an IANA time zone; remembered, since asking Intl is slow and configs are parsed often. */
function isTimeZone(tz: string): boolean {
    let known = knownZones.get(tz);
    if (known === undefined) {
        known = IANAZone.isValidZone(tz);
        knownZones.set(tz, known);
    }
    return known;
}

/** One allowed window of the week, in the release window's time zone. */
const releaseWindowEntrySchema = z
    .object({
        days: z.array(z.number().int().min(1).max(7)).min(1).meta({ description: "ISO weekdays allowed: 1 = Monday … 7 = Sunday." }),
        start: z
            .string()
            .regex(/^([01]?\d|2[0-4]):[0-5]\d$/, "must be HH:mm")
            .meta({ description: "Local start time HH:mm (inclusive)." }),
        end: z
            .string()
            .regex(/^([01]?\d|2[0-4]):[0-5]\d$/, "must be HH:mm")
            .meta({ description: "Local end time HH:mm (exclusive), after start." }),
    })
    .strict()
    .superRefine((w, ctx) => {
        for (const message of validateWindow(w)) ctx.addIssue({ code: "custom", path: ["end"], message });
    });

const releaseWindowSchema = z
    .object({
        enforce: z.boolean().optional().meta({
            description:
                "Hold starts, advances and promotions outside the windows and on freeze dates (rollbacks always go), so the policy pack's release-window rule has nothing to refuse and never blocks another service's rollback. Default: on in prod, where the pack's rule is mandatory; off elsewhere. Keep the windows equal to the pack's release-window config.",
        }),
        timeZone: z
            .string()
            .default("UTC")
            .refine(isTimeZone, { message: "must be an IANA time zone such as UTC or Asia/Shanghai" })
            .meta({ description: "IANA time zone of the windows." }),
        windows: z
            .array(releaseWindowEntrySchema)
            .min(1)
            .default([{ ...DEFAULT_WINDOW, days: [...DEFAULT_WINDOW.days] }])
            .meta({ description: "Allowed windows; default weekdays 09:00–17:00, as the policy pack's." }),
        freezeDates: z
            .array(
                z.preprocess(
                    (v) => fromGoTime(v, true),
                    z.string().regex(/^\d{4}-\d{2}-\d{2}(\/\d{4}-\d{2}-\d{2})?$/, "must be YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD"),
                ),
            )
            .default([])
            .meta({ description: "Local dates or inclusive ranges with no starts, advances or promotions." }),
        now: z
            .preprocess((v) => fromGoTime(v), z.iso.datetime({ offset: true }))
            .optional()
            .meta({
                description:
                    "Override of the current instant for the window check (ISO 8601), for tests and rehearsals, as the pack's release-window `now`.",
            }),
    })
    .strict();

const cadenceSchema = z
    .object({
        enforce: z.boolean().optional().meta({
            description:
                "Hold a new canary (at weight 0, status paused) while starting it would exceed the cadence, so the policy pack's release-cadence rule has nothing to refuse. Default: on in prod, off elsewhere. Keep the numbers equal to the pack's release-cadence config.",
        }),
        maxStartsPerWeek: z
            .number()
            .int()
            .min(1)
            .default(3)
            .meta({ description: "Most canary starts of one service in any 7 days, this one included." }),
        coreIntervalDays: z.number().min(0).default(14).meta({ description: "Days that must separate two starts of a core service (release.core)." }),
    })
    .strict();

const controlsSchema = z
    .object({
        pause: z.boolean().default(false).meta({ description: "Hold at the current weight; no step is taken while set." }),
        abort: z.boolean().default(false).meta({ description: "Send canary weight to 0 now, whatever the analysis says." }),
        promote: z.boolean().default(false).meta({ description: "Promote now: the canary becomes stable." }),
        skipAnalysis: z.boolean().default(false).meta({ description: "Treat every analysis as passing; only allowed in the `dev` environment." }),
        acknowledgeDowngrade: z.boolean().default(false).meta({
            description:
                "Let `stableImage` put back an image that stable ran before (after a promotion, stable runs the promoted image; a config still naming the older one with a new canary is refused unless this is set).",
        }),
    })
    .strict();

/** Zod schema of one service's progression configuration (input: strings and specs; output: resolved values). */
export const progressionConfigSchema = z
    .object({
        service: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1123 label" })
            .meta({ description: "Service (Istio destination workload) name." }),
        environment: z.string().min(1).meta({ description: "Environment name; `dev` unlocks `controls.skipAnalysis`." }),
        namespace: z
            .string()
            .min(1)
            .optional()
            .meta({ description: "Namespace the service runs in, for `{{namespace}}` in `analysis.checks` queries (the stack program sets it)." }),
        stableImage: pinnedImageSchema.optional().meta({
            description:
                "Image serving as stable, pinned by tag or digest (required unless `flag` is set). After a promotion the promoted image serves as stable until this names another image on purpose; naming the older one again needs `controls.acknowledgeDowngrade`.",
        }),
        canaryImage: pinnedImageSchema
            .optional()
            .meta({ description: "Image being rolled out, pinned by tag or digest (required unless `flag` is set)." }),
        flag: flagReleaseSchema.optional().meta({
            description:
                "A flag rollout instead of an image canary: the share of users getting `flag.variant` moves through `steps` on the same analysis, comparing requests served that variant with those served the default (see docs/feature-flags.md). The stack program sets it from `services[].featureFlags.rollouts`.",
        }),
        stableVersionLabel: z
            .string()
            .min(1)
            .optional()
            .meta({ description: "Istio `destination_version` label of the stable pods; defaults to the stable image tag." }),
        canaryVersionLabel: z
            .string()
            .min(1)
            .optional()
            .meta({ description: "Istio `destination_version` label of the canary pods; defaults to the canary image tag." }),
        steps: z
            .union([weightList, linearSteps])
            .default([5, 10, 25, 50, 100])
            .transform((spec) => resolveSteps(spec))
            .meta({ description: "Canary weights in percent, or a generator; resolved to an increasing list ending at 100." }),
        gates: stepGatesSchema,
        minIntervalBetweenSteps: durationMs.prefault("30m").meta({ description: "Minimum time between two weight changes (brief: 30 minutes)." }),
        analysis: analysisSchema.meta({ description: "How canary health is measured and judged." }),
        semantics: semanticsSchema.prefault({}).meta({ description: "How verdicts turn into actions." }),
        controls: controlsSchema.prefault({}).meta({ description: "Manual overrides." }),
        releaseWindow: releaseWindowSchema.prefault({}).meta({ description: "When a canary may start, advance or be promoted." }),
        cadence: cadenceSchema.prefault({}).meta({ description: "How often a service may start a canary." }),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        if (cfg.controls.skipAnalysis && cfg.environment !== "dev") {
            ctx.addIssue({
                code: "custom",
                path: ["controls", "skipAnalysis"],
                message: `skipAnalysis is only allowed when environment is "dev" (environment is "${cfg.environment}")`,
            });
        }
        if (cfg.analysis.passWindow < cfg.analysis.window) {
            ctx.addIssue({
                code: "custom",
                path: ["analysis", "passWindow"],
                message: `passWindow (${cfg.analysis.passWindow / 1000}s) must be at least window (${cfg.analysis.window / 1000}s)`,
            });
        }
        for (const p of stepGateProblems(cfg.gates, cfg.steps)) ctx.addIssue({ code: "custom", path: ["gates", p.index, p.key], message: p.message });
        const maxAtStep = cfg.semantics.maxTimeAtStep;
        if (maxAtStep !== undefined && maxAtStep <= cfg.minIntervalBetweenSteps) {
            ctx.addIssue({
                code: "custom",
                path: ["semantics", "maxTimeAtStep"],
                message: `maxTimeAtStep (${maxAtStep / 1000}s) must be longer than minIntervalBetweenSteps (${cfg.minIntervalBetweenSteps / 1000}s)`,
            });
        }
        for (const [i, message] of namespaceProblems(cfg.analysis.checks, cfg.namespace)) {
            ctx.addIssue({ code: "custom", path: ["analysis", "checks", i, "query"], message });
        }
        const { abort, promote } = cfg.controls;
        if (abort && promote) {
            ctx.addIssue({ code: "custom", path: ["controls", "promote"], message: "abort and promote cannot both be set" });
        }
        for (const key of ["stableImage", "canaryImage"] as const) {
            const image = cfg[key];
            if (cfg.flag !== undefined) {
                if (image !== undefined)
                    ctx.addIssue({ code: "custom", path: [key], message: "a flag rollout releases a flag variant, not an image: leave it out" });
            } else if (image === undefined) {
                ctx.addIssue({ code: "custom", path: [key], message: "required: the image, pinned by tag or digest" });
            }
        }
    })
    // The release's identities: the images, or a flag's variant and default (flag-release.ts), for state and record.
    .transform((cfg) => ({
        ...cfg,
        stableImage: cfg.flag !== undefined ? flagStableIdentity(cfg.flag) : (cfg.stableImage ?? ""),
        canaryImage: cfg.flag !== undefined ? flagCanaryIdentity(cfg.flag) : (cfg.canaryImage ?? ""),
    }));

/** Configuration as written by the user (before defaults and resolution). */
export type ProgressionConfigInput = z.input<typeof progressionConfigSchema>;

/** Configuration after validation: defaults applied, durations in milliseconds, steps as an explicit list. */
export type ProgressionConfig = z.output<typeof progressionConfigSchema>;

/** Absolute thresholds after defaults. */
export type Thresholds = ProgressionConfig["analysis"]["thresholds"];

/** Analysis settings after defaults. */
export type AnalysisSettings = ProgressionConfig["analysis"];

/**
 * Validates one service's configuration, throwing an `InvalidArgsError` that names every offending key path
 * and value.
 */
export function parseProgressionConfig(input: unknown): ProgressionConfig {
    const service = typeof input === "object" && input !== null ? (input as Record<string, unknown>)["service"] : undefined;
    return parseArgs(`Progression "${typeof service === "string" ? service : "?"}"`, progressionConfigSchema, input);
}

/**
 * The label values the analysis selects, after defaults: the `destination_version` of each image, or for a flag
 * rollout the variants (of the label {@link flagVariantLabel}).
 */
export function versionLabels(config: ProgressionConfig): { canary: string; stable: string } {
    if (config.flag !== undefined) return { canary: config.flag.variant, stable: config.flag.defaultVariant };
    return {
        canary: config.canaryVersionLabel ?? defaultVersionLabel(config.canaryImage),
        stable: config.stableVersionLabel ?? defaultVersionLabel(config.stableImage),
    };
}

/** The key a release's state, verdict and summary are kept under: the service, or for a flag rollout `<service>/flag/<key>`. */
export function releaseKey(config: Pick<ProgressionConfig, "service" | "flag">): string {
    return config.flag === undefined ? config.service : flagReleaseKey(config.service, config.flag.key);
}

/** The longest a canary may stay at one step (`semantics.maxTimeAtStep`, or its default), in milliseconds. */
export function maxTimeAtStep(config: ProgressionConfig): number {
    return config.semantics.maxTimeAtStep ?? Math.max(6 * 3_600_000, 4 * config.minIntervalBetweenSteps);
}

/** Whether the release window and the cadence bind this service's decisions (default: in prod only). */
export function gatesEnforced(config: ProgressionConfig): { window: boolean; cadence: boolean } {
    const prod = config.environment === "prod";
    return { window: config.releaseWindow.enforce ?? prod, cadence: config.cadence.enforce ?? prod };
}
