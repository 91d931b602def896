/**
 * Per-service progression configuration: what is rolled out, how fast, what "healthy" means and which manual
 * overrides are active. Defaults are the numbers from the domain brief; every one can be overridden.
 */
import { z } from "zod";
import { parseArgs } from "../components/common/validation";
import { parseDuration } from "./duration";
import { defaultVersionLabel, isPinnedImage } from "./image";
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
        start: z.number().int().min(1).max(100),
        increment: z.number().int().min(1).max(100),
        max: z.number().int().min(1).max(100),
    })
    .strict()
    .refine((s) => s.max >= s.start, { message: "max must be at least start", path: ["max"] });

const unitInterval = z.number().min(0).max(1);

const thresholdsSchema = z
    .object({
        /** Canary error ratio above which it fails (brief: 0.8 %). */
        maxErrorRate: unitInterval.default(0.008),
        /** Canary p95 latency in ms above which it fails (brief: 200 ms). */
        maxP95Ms: z.number().positive().default(200),
        /** Canary p99 latency in ms above which it fails (brief: p99 of the critical call ≤ 300 ms). */
        maxP99Ms: z.number().positive().default(300),
        /** Canary error ratio minus stable error ratio above which it fails (brief: 0.003). */
        maxErrorRateDelta: unitInterval.default(0.003),
        /** Maximum error-budget burn rate of the canary; unset means "not gated, only reported". */
        maxBurnRate: z.number().positive().optional(),
        /** Container restarts of canary pods tolerated within the window. */
        maxRestarts: z.number().int().min(0).default(0),
    })
    .strict();

const statisticalTestSchema = z
    .object({
        /** Run the canary-vs-stable two-proportion z-test, over `analysis.passWindow` (on by default). */
        enabled: z.boolean().default(true),
        /**
         * Confidence required both ways (0.99 → one-sided α = 1 %): a rate check fails only when the canary is
         * significantly above its limit, and passes only when the upper confidence bound of the rate (over
         * `analysis.passWindow`) is at or under the limit; in between it is inconclusive (hold). The same holds for
         * the error-rate delta against stable.
         */
        confidence: z.number().gt(0.5).lt(1).default(0.99),
        /**
         * How much worse than stable (absolute error ratio) the canary may be before the comparison test
         * counts against it. Without a margin a huge sample flags meaningless differences and a healthy
         * canary would fail α of its steps.
         */
        toleratedDelta: unitInterval.default(0.001),
    })
    .strict();

const selectorsSchema = z
    .object({
        /** Label matchers (without braces) selecting canary traffic in istio_* metrics. */
        canary: z.string().min(1).optional(),
        /** Label matchers (without braces) selecting stable traffic in istio_* metrics. */
        stable: z.string().min(1).optional(),
        /** Label matchers (without braces) selecting canary pods in kube_pod_container_status_restarts_total. */
        restarts: z.string().min(1).optional(),
        /** Regex on `response_code` counted as errors. */
        errorCodes: z.string().min(1).default("5.."),
        /** Request counter metric. */
        requestsMetric: z.string().min(1).default("istio_requests_total"),
        /** Latency histogram (its `_bucket` series). */
        latencyBucketMetric: z.string().min(1).default("istio_request_duration_milliseconds_bucket"),
        /** Restart counter metric. */
        restartsMetric: z.string().min(1).default("kube_pod_container_status_restarts_total"),
        /**
         * Label matchers (without braces) selecting the stable Deployment in `replicasMetric`; default
         * `deployment="<service>-stable"`. Add `namespace="..."` when the name is not unique across namespaces.
         */
        stableReplicas: z.string().min(1).optional(),
        /**
         * Available-replicas gauge of a Deployment (kube-state-metrics). It tells a stable that should be serving
         * (replicas available, yet no request series: a wrong label or a renamed metric, an `error`) from one that
         * cannot (scaled down: `inconclusive`). Absent means unknown.
         */
        replicasMetric: z.string().min(1).default("kube_deployment_status_replicas_available"),
    })
    .strict();

const analysisSchema = z
    .object({
        /** Base URL of the Prometheus HTTP API (Thanos Query serves the same API). */
        prometheusUrl: z.url({ protocol: /^https?$/ }),
        /** Window each measurement covers (brief: 5 minutes). */
        window: durationMs.prefault("5m"),
        /**
         * Window over which a pass must be earned: the canary advances only when the upper confidence bound of its
         * error rate (and of its delta against stable) over this window is within the limit, and the last `window`
         * shows no breach. Longer than `window` because proving a rate is low takes more requests than proving it
         * is high. Failing stays fast, on `window`; a breach significant only over this longer window fails too, and
         * the comparison with stable runs over it. At least `window`; default the brief's 30 minutes between steps.
         */
        passWindow: durationMs.prefault("30m"),
        /**
         * Oldest acceptable data: every sample of the answer must be stamped within this of the evaluation time, and
         * the newest raw sample of the canary's and the stable's request counters no older than this. A stale answer
         * (a frozen or lagging Prometheus or Thanos) is an `error`. Default four 15-second scrape intervals.
         */
        maxSampleAge: durationMs.prefault("1m"),
        /**
         * Whether the canary must be compared with stable. `required`: without a stable baseline (fewer than
         * `minRequestCount` stable requests: a mislabelled version, a renamed metric, a stable scaled down) the
         * verdict is `inconclusive`, or `error` when stable has available replicas yet no request series; a canary
         * never passes on absolute thresholds alone. `optional`: judge on absolute thresholds alone when there is no
         * baseline (e.g. the first release of a service).
         */
        baseline: z.enum(["required", "optional"]).default("required"),
        /** Minimum canary requests in the window for a verdict other than inconclusive. */
        minRequestCount: z.number().int().min(1).default(100),
        /** SLO objective for request success, used to express error ratios as burn rates (brief: 99.95 %). */
        sloObjective: z.number().gt(0).lt(1).default(0.9995),
        /** Absolute gates. */
        thresholds: thresholdsSchema.prefault({}),
        /** Canary-versus-stable statistical comparison. */
        statisticalTest: statisticalTestSchema.prefault({}),
        /** Metric names and label selectors. */
        selectors: selectorsSchema.prefault({}),
        /** Per-attempt HTTP timeout. */
        timeout: durationMs.prefault("10s"),
        /** Retries after network errors and 5xx (not after timeouts or 4xx). */
        retries: z.number().int().min(0).max(5).default(2),
    })
    .strict();

const semanticsSchema = z
    .object({
        /** Consecutive `fail` verdicts that trigger a rollback. */
        failuresBeforeRollback: z.number().int().min(1).default(1),
        /** Consecutive `error` verdicts (analysis impossible) that trigger a rollback with status `failed`. */
        errorsBeforeFail: z.number().int().min(1).default(3),
        /** What an inconclusive verdict does; holding is the only safe choice and the only one offered. */
        onInconclusive: z.literal("hold").default("hold"),
        /**
         * Consecutive `inconclusive` verdicts after which the canary is rolled back (status `failed`): a canary that
         * never earns a pass (e.g. 1.2 % errors against 0.8 % at low traffic) must not sit at its step for ever. At
         * one update per 30 minutes the default gives it 6 hours.
         */
        inconclusiveBeforeFail: z.number().int().min(1).default(12),
    })
    .strict();

const controlsSchema = z
    .object({
        /** Hold at the current weight; no step is taken while set. */
        pause: z.boolean().default(false),
        /** Send canary weight to 0 now, whatever the analysis says. */
        abort: z.boolean().default(false),
        /** Promote now: the canary becomes stable. */
        promote: z.boolean().default(false),
        /** Treat every analysis as passing; only allowed in the `dev` environment. */
        skipAnalysis: z.boolean().default(false),
        /**
         * Let `stableImage` put back an image that stable ran before (after a promotion, stable runs the promoted
         * image; a config still naming the older one with a new canary is refused unless this is set).
         */
        acknowledgeDowngrade: z.boolean().default(false),
    })
    .strict();

/** Zod schema of one service's progression configuration (input: strings and specs; output: resolved values). */
export const progressionConfigSchema = z
    .object({
        /** Service (Istio destination workload) name. */
        service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1123 label" }),
        /** Environment name; `dev` unlocks `controls.skipAnalysis`. */
        environment: z.string().min(1),
        /**
         * Image serving as stable. After a promotion the promoted image serves as stable until this names another
         * image on purpose; naming the older one again needs `controls.acknowledgeDowngrade`.
         */
        stableImage: pinnedImageSchema,
        /** Image being rolled out. */
        canaryImage: pinnedImageSchema,
        /** Istio `destination_version` label of the stable pods; defaults to the stable image tag. */
        stableVersionLabel: z.string().min(1).optional(),
        /** Istio `destination_version` label of the canary pods; defaults to the canary image tag. */
        canaryVersionLabel: z.string().min(1).optional(),
        /** Canary weights in percent, or a generator; resolved to an increasing list ending at 100. */
        steps: z.union([weightList, linearSteps]).default([5, 10, 25, 50, 100]).transform((spec) => resolveSteps(spec)),
        /** Minimum time between two weight changes (brief: 30 minutes). */
        minIntervalBetweenSteps: durationMs.prefault("30m"),
        /** How canary health is measured and judged. */
        analysis: analysisSchema,
        /** How verdicts turn into actions. */
        semantics: semanticsSchema.prefault({}),
        /** Manual overrides. */
        controls: controlsSchema.prefault({}),
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
        const { abort, promote } = cfg.controls;
        if (abort && promote) {
            ctx.addIssue({ code: "custom", path: ["controls", "promote"], message: "abort and promote cannot both be set" });
        }
    });

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

/** The `destination_version` label values the analysis selects, after defaults. */
export function versionLabels(config: ProgressionConfig): { canary: string; stable: string } {
    return {
        canary: config.canaryVersionLabel ?? defaultVersionLabel(config.canaryImage),
        stable: config.stableVersionLabel ?? defaultVersionLabel(config.stableImage),
    };
}
