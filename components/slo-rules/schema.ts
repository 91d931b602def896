/**
 * Validation (zod) of the SLO rules input and its resolution into a fully defaulted {@link SloRulesSpec}.
 */
import { z } from "zod";
import { parseArgs } from "../common/validation";
import { burnRateFactor, roundFactor } from "./burn-rate";
import {
    BASE_WINDOW,
    SLO_RULES_DEFAULTS as D,
    defaultCanaryPodRegex,
    defaultDashboardTitle,
    defaultServiceMatchers,
} from "./defaults";
import { durationSeconds, isSingleUnitDuration as isDuration } from "./durations";
import type { ResolvedBurnWindow, ResolvedSli, SloRulesSpec, SloRulesSpecArgs } from "./types";

const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*`;
/** Comma-separated PromQL label matchers without braces (may be empty). */
const MATCHERS = new RegExp(`^(${MATCHER}(,${MATCHER})*,?\\s*)?$`);
/** A plain metric selector: `name`, `name{matchers}` or `{matchers}`. */
const SELECTOR = new RegExp(`^\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*(\\{(${MATCHER}(,${MATCHER})*,?\\s*)?\\})?\\s*$`);

const duration = z.string().refine(isDuration, { message: "expected a Prometheus duration like 30s, 5m, 1h, 3d" });
const windowDuration = duration.refine((d) => !isDuration(d) || durationSeconds(d) >= durationSeconds(BASE_WINDOW), {
    message: `window must be at least ${BASE_WINDOW} (the base recording window)`,
});
const sloWindow = z
    .string()
    .regex(/^[1-9][0-9]*d$/, { message: "expected whole days like 7d, 28d, 30d" })
    .refine((w) => {
        const days = Number(w.slice(0, -1));
        return days >= 7 && days <= 90;
    }, { message: "SLO window must be between 7d and 90d" });
const selector = z
    .string()
    .min(1)
    .refine((s) => SELECTOR.test(s) && s.trim() !== "", {
        message: "expected a plain metric selector like metric{label=\"value\"} (no functions, no range)",
    });
const matchers = z.string().refine((s) => MATCHERS.test(s), {
    message: 'expected PromQL label matchers without braces, like a="b",c=~"d.*"',
});
const labelMap = z.record(z.string().regex(LABEL_NAME, { message: "invalid label name" }), z.string());
const fraction = z.number().gt(0).lt(1);

const errorRatioSli = z
    .object({
        kind: z.literal("errorRatio"),
        errors: selector.optional(),
        good: selector.optional(),
        total: selector.optional(),
    })
    .strict()
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
    });

const latencySli = z
    .object({
        kind: z.literal("latency"),
        histogram: z.string().regex(METRIC_NAME, { message: "invalid metric name" }).optional(),
        threshold: z.number().positive().finite().optional(),
        matchers: matchers.optional(),
    })
    .strict();

const burnWindow = z
    .object({ short: windowDuration, long: windowDuration, budgetFraction: fraction })
    .strict()
    .superRefine((v, ctx) => {
        if (isDuration(v.short) && isDuration(v.long) && durationSeconds(v.short) >= durationSeconds(v.long)) {
            ctx.addIssue({ code: "custom", path: ["short"], message: "short window must be shorter than long" });
        }
    });

const burnPolicy = z.object({ for: duration.optional(), windows: z.array(burnWindow).optional() }).strict();

const slo = z
    .object({
        name: z.string().regex(NAME, { message: "expected [a-z0-9_-], at most 63 characters" }),
        description: z.string().min(1).optional(),
        objective: z.number().gt(0, { message: "objective is a percentage > 0" }).lt(100, {
            message: "objective is a percentage < 100 (100 leaves no error budget)",
        }),
        window: sloWindow.optional(),
        sli: z.discriminatedUnion("kind", [errorRatioSli, latencySli]).optional(),
        groupBy: z
            .array(
                z
                    .string()
                    .regex(LABEL_NAME, { message: "invalid label name" })
                    .refine((l) => l !== "service" && l !== "slo", { message: "service and slo are reserved" }),
            )
            .optional(),
        runbookUrl: z.url().optional(),
    })
    .strict();

const canary = z
    .object({
        enabled: z.boolean().optional(),
        versionLabel: z.string().regex(LABEL_NAME, { message: "invalid label name" }).optional(),
        canaryVersion: z.string().min(1).optional(),
        stableVersion: z.string().min(1).optional(),
        requestsMetric: z.string().regex(METRIC_NAME, { message: "invalid metric name" }).optional(),
        errorMatchers: matchers.optional(),
        latencyHistogram: z.string().regex(METRIC_NAME, { message: "invalid metric name" }).optional(),
        rateWindow: duration.optional(),
        errorRateDeltaThreshold: fraction.optional(),
        trafficRatioThreshold: z.number().min(0).lt(1).optional(),
        minRequestRate: z.number().min(0).finite().optional(),
        for: duration.optional(),
        restarts: z
            .object({
                metric: z.string().regex(METRIC_NAME, { message: "invalid metric name" }).optional(),
                podRegex: z.string().min(1).optional(),
                namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "invalid namespace" }).optional(),
                matchers: matchers.optional(),
            })
            .strict()
            .optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
        if (v.canaryVersion !== undefined && v.canaryVersion === (v.stableVersion ?? D.canary.stableVersion)) {
            ctx.addIssue({ code: "custom", path: ["canaryVersion"], message: "must differ from stableVersion" });
        }
    });

/** Zod schema of {@link SloRulesSpecArgs}. */
export const sloRulesSpecSchema = z
    .object({
        service: z.string().regex(NAME, { message: "expected [a-z0-9_-], at most 63 characters" }),
        runbookUrl: z.url(),
        slos: z.array(slo).min(1, { message: "at least one SLO is required" }),
        serviceMatchers: matchers.optional(),
        evaluationInterval: duration.optional(),
        longWindowEvaluationInterval: duration.optional(),
        alerting: z
            .object({
                page: burnPolicy.optional(),
                ticket: burnPolicy.optional(),
                minBurnRate: z.number().min(0).finite().optional(),
                minRequestRate: z.number().min(0).finite().optional(),
            })
            .strict()
            .optional(),
        alertLabels: labelMap.optional(),
        canary: canary.optional(),
        dashboard: z
            .object({ enabled: z.boolean().optional(), title: z.string().min(1).optional(), folder: z.string().min(1).optional() })
            .strict()
            .optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
        const seen = new Set<string>();
        v.slos.forEach((s, i) => {
            if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["slos", i, "name"], message: "duplicate SLO name" });
            seen.add(s.name);
            const window = s.window ?? D.sloWindow;
            for (const severity of ["page", "ticket"] as const) {
                const windows = v.alerting?.[severity]?.windows ?? D[severity].windows;
                windows.forEach((w, j) => {
                    if (isDuration(w.long) && isDuration(window) && durationSeconds(w.long) > durationSeconds(window)) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["alerting", severity, "windows", j, "long"],
                            message: `longer than the window ${window} of SLO "${s.name}"`,
                        });
                    }
                });
            }
        });
    });

// Compile-time check that the hand-written, documented interface and the schema agree.
type AssertAssignable<T extends U, U> = T;
export type _SpecArgsMatchesSchema = AssertAssignable<SloRulesSpecArgs, z.input<typeof sloRulesSpecSchema>>;

function selectorOf(metric: string, ...matcherLists: string[]): string {
    const parts = matcherLists.map((m) => m.trim().replace(/,$/, "")).filter((m) => m !== "");
    return parts.length === 0 ? metric : `${metric}{${parts.join(",")}}`;
}

/** Validates `input` (throwing `InvalidArgsError` naming key paths and values) and applies every default. */
export function resolveSloRulesSpec(input: unknown, subject = "SloRules"): SloRulesSpec {
    const a = parseArgs(subject, sloRulesSpecSchema, input);
    const serviceMatchers = a.serviceMatchers ?? defaultServiceMatchers(a.service);
    const minBurnRate = a.alerting?.minBurnRate ?? D.minBurnRate;
    const pageWindows = a.alerting?.page?.windows ?? D.page.windows;
    const ticketWindows = a.alerting?.ticket?.windows ?? D.ticket.windows;
    const c = a.canary ?? {};
    const canaryEnabled = c.enabled ?? D.canary.enabled;
    const dash = a.dashboard ?? {};

    return {
        service: a.service,
        serviceMatchers,
        runbookUrl: a.runbookUrl,
        evaluationInterval: a.evaluationInterval ?? D.evaluationInterval,
        longWindowEvaluationInterval: a.longWindowEvaluationInterval ?? D.longWindowEvaluationInterval,
        pageFor: a.alerting?.page?.for ?? D.page.for,
        ticketFor: a.alerting?.ticket?.for ?? D.ticket.for,
        minRequestRate: a.alerting?.minRequestRate ?? D.minRequestRate,
        alertLabels: { ...(a.alertLabels ?? {}) },
        slos: a.slos.map((s) => {
            const window = s.window ?? D.sloWindow;
            const raw = s.sli ?? { kind: "errorRatio" as const };
            let sli: ResolvedSli;
            if (raw.kind === "latency") {
                sli = {
                    kind: "latency",
                    histogram: raw.histogram ?? D.latencyHistogram,
                    threshold: raw.threshold ?? D.latencyThreshold,
                    matchers: raw.matchers ?? serviceMatchers,
                };
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
                factor: burnRateFactor(w.budgetFraction, window, w.long, minBurnRate),
            });
            const description =
                s.description ??
                (sli.kind === "latency"
                    ? `${s.objective}% of requests faster than ${sli.threshold} (${sli.histogram}) over ${window}`
                    : `${s.objective}% of requests succeed over ${window}`);
            return {
                name: s.name,
                description,
                objective: s.objective,
                errorBudget: roundFactor((100 - s.objective) / 100),
                window,
                sli,
                groupBy: [...(s.groupBy ?? D.groupBy)],
                runbookUrl: s.runbookUrl ?? a.runbookUrl,
                page: pageWindows.map(scale),
                ticket: ticketWindows.map(scale),
            };
        }),
        canary: canaryEnabled
            ? {
                  versionLabel: c.versionLabel ?? D.canary.versionLabel,
                  canaryVersion: c.canaryVersion ?? D.canary.canaryVersion,
                  stableVersion: c.stableVersion ?? D.canary.stableVersion,
                  requestsMetric: c.requestsMetric ?? D.requestsMetric,
                  errorMatchers: c.errorMatchers ?? D.errorMatchers,
                  latencyHistogram: c.latencyHistogram ?? D.latencyHistogram,
                  rateWindow: c.rateWindow ?? D.canary.rateWindow,
                  errorRateDeltaThreshold: c.errorRateDeltaThreshold ?? D.canary.errorRateDeltaThreshold,
                  trafficRatioThreshold: c.trafficRatioThreshold ?? D.canary.trafficRatioThreshold,
                  minRequestRate: c.minRequestRate ?? D.canary.minRequestRate,
                  for: c.for ?? D.canary.for,
                  restartsSelector: selectorOf(
                      c.restarts?.metric ?? D.canary.restartsMetric,
                      c.restarts?.namespace !== undefined ? `namespace="${c.restarts.namespace}"` : "",
                      `pod=~"${escapeLabelValue(c.restarts?.podRegex ?? defaultCanaryPodRegex(a.service))}"`,
                      c.restarts?.matchers ?? "",
                  ),
              }
            : undefined,
        dashboard:
            dash.enabled ?? D.dashboard.enabled
                ? { title: dash.title ?? defaultDashboardTitle(a.service), folder: dash.folder }
                : undefined,
    };
}

/** Escapes a string for a double-quoted PromQL label value. */
export function escapeLabelValue(v: string): string {
    return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export { selectorOf };
