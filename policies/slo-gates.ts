/**
 * SLO gates on the per-service `gray-release:index:CanaryRelease` record of each `pulumi up`.
 */
import type { PolicyResource } from "@pulumi/policy";
import { type Rule, violation } from "./config";
import { canaryReleaseOf, isPrometheusRule, parseCanaryRelease, T } from "./contracts";
import {
    DEFAULT_MAX_FIRST_STEP,
    entryAllowedWithoutPass,
    firstStep,
    isEntryStart,
    isIncrease,
    nextAllowedWeight,
    skipAllowed,
    verdictAgeMinutes,
} from "./lib/gates";
import { exposureUnit, flagRolloutName, subjectOf } from "./lib/release";

const r = (args: { name: string; urn: string }) => ({ name: args.name, urn: args.urn });

/** Parsed record or undefined (malformed records are reported by canary-release-record-valid). */
function nowOf(cfg: { now?: string }): Date {
    if (cfg.now) {
        const t = Date.parse(cfg.now);
        if (Number.isNaN(t)) throw new Error(`policy config 'now' is not an ISO instant: '${cfg.now}'`);
        return new Date(t);
    }
    return new Date();
}

interface SkipConfig {
    skipAnalysisAllowedIn: string[];
}
const SKIP_SCHEMA = {
    skipAnalysisAllowedIn: {
        type: "array" as const,
        items: { type: "string" as const },
        default: ["dev"],
        description: "Environments in which a CanaryRelease may set skipAnalysis: true.",
    },
};

export const canaryReleaseRecordValid: Rule<{}> = {
    kind: "resource",
    name: "canary-release-record-valid",
    description: "A CanaryRelease record carries every field the SLO gates need (service, environment, versions, weights, steps, verdict).",
    severity: "high",
    defaults: {},
    validate(args, ctx, report) {
        if (args.type !== T.canaryRelease) return;
        const p = parseCanaryRelease(args.props);
        if (p.ok) return;
        report(
            violation({
                problem: `CanaryRelease record does not follow the contract: ${p.problems.join("; ")}`,
                resource: r(args),
                field: "props",
                fix: "pass the full record { service, environment, canaryImage, stableImage, previousWeight, weight, stepIndex, steps, status, verdict, skipAnalysis, action, evaluatedAt } (and `flag` for a flag rollout) as the component args (see policies/contracts.ts)",
            }),
            { environment: ctx.environmentOf(args.urn, typeof args.props["environment"] === "string" ? args.props["environment"] : undefined) },
        );
    },
};

interface RiseConfig extends SkipConfig {
    maxVerdictAgeMinutes: number;
    maxFirstStep: number;
    now?: string;
}

/**
 * Design decision: the first configured step is the analysis's entry point. Before it there is no canary traffic,
 * so there is nothing to analyse and no verdict can pass. A rise from 0 to at most steps[0] with action "start" is
 * therefore allowed without a pass, provided steps[0] <= `maxFirstStep` (default 5 %): that bounds the exposure
 * that was never analysed. Every other rise still requires the verdict 'pass'.
 */
export const canaryWeightRiseRequiresPass: Rule<RiseConfig> = {
    kind: "resource",
    name: "canary-weight-rise-requires-pass",
    description: `A canary weight may only rise when the SLO analysis recorded for that update passed; the one exception is the entry (action 'start', 0% → at most the first configured step), which has no traffic to analyse yet and is allowed when that first step is at most maxFirstStep (default ${DEFAULT_MAX_FIRST_STEP}%).`,
    severity: "critical",
    defaults: { skipAnalysisAllowedIn: ["dev"], maxVerdictAgeMinutes: 0, maxFirstStep: DEFAULT_MAX_FIRST_STEP },
    configProperties: {
        ...SKIP_SCHEMA,
        maxVerdictAgeMinutes: {
            type: "number",
            minimum: 0,
            default: 0,
            description: "If > 0, a passing verdict older than this (evaluatedAt vs now) does not count.",
        },
        maxFirstStep: {
            type: "number",
            minimum: 0,
            maximum: 100,
            default: DEFAULT_MAX_FIRST_STEP,
            description:
                "Largest first step (percent) a canary may enter with action 'start' without a passing analysis (the entry point has no canary traffic to analyse). 0 disables the exception.",
        },
        now: { type: "string", description: "Override of the current instant (ISO-8601), for testing." },
    },
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || !isIncrease(rec)) return;
        const env = ctx.environmentOf(args.urn, rec.environment);
        if (rec.skipAnalysis && skipAllowed(env, ctx.config.skipAnalysisAllowedIn)) return;
        const maxFirstStep = ctx.config.maxFirstStep;
        const entry = isEntryStart(rec) ? entryAllowedWithoutPass(rec, maxFirstStep) : undefined;
        if (entry?.allowed) return;
        if (rec.verdict !== "pass") {
            if (entry && !entry.allowed) {
                const first = firstStep(rec.steps)!;
                report(
                    violation({
                        problem: `${subjectOf(rec, `canary '${rec.service}'`)} starts at ${rec.weight}%${rec.flag ? " of users" : ""} (0% → first step ${first}%) without a passing analysis, and ${entry.reason}: an unanalysed entry may expose at most ${maxFirstStep}% of ${exposureUnit(rec)}`,
                        resource: r(args),
                        field: "steps",
                        fix: `make the first step of the ${rec.flag ? `rollout's steps (featureFlags.rollouts[].steps, or the service's progression.steps)` : "weight ladder"} at most ${maxFirstStep}% (e.g. [1, 5, 25, 50, 100]), or raise policy config canary-weight-rise-requires-pass.maxFirstStep if this exposure is acceptable`,
                    }),
                    { environment: env },
                );
                return;
            }
            report(
                violation({
                    problem: `${rec.flag ? `share of users of ${flagRolloutName(rec.service, rec.flag)}` : `canary weight of '${rec.service}'`} rises ${rec.previousWeight}% → ${rec.weight}% but the recorded analysis verdict is '${rec.verdict}'${rec.skipAnalysis ? " (skipAnalysis is not allowed in " + env + ")" : ""}`,
                    resource: r(args),
                    field: "verdict",
                    fix: rec.flag
                        ? `hold the share at ${rec.previousWeight}% until the SLO analysis of ${rec.canaryImage} (requests served variant '${rec.flag.variant}' against '${rec.flag.defaultVariant}') passes (or roll back to 0%)`
                        : `hold the weight at ${rec.previousWeight}% until the SLO analysis for version ${rec.canaryImage} passes (or roll back to 0%)`,
                }),
                { environment: env },
            );
            return;
        }
        const maxAge = ctx.config.maxVerdictAgeMinutes;
        if (maxAge > 0) {
            const age = verdictAgeMinutes(rec.evaluatedAt, nowOf(ctx.config));
            if (age === undefined || age > maxAge) {
                report(
                    violation({
                        problem: `the passing verdict of ${subjectOf(rec, `'${rec.service}'`)} is ${age === undefined ? "undated" : `${Math.round(age)} min old`}, older than the allowed ${maxAge} min, so it is not the analysis of this update`,
                        resource: r(args),
                        field: "evaluatedAt",
                        fix: "re-run the SLO analysis for this step and record its evaluatedAt (ISO-8601)",
                    }),
                    { environment: env },
                );
            }
        }
    },
};

interface StepConfig {
    steps: number[];
    maxIncrease: number;
}

/**
 * The ladder is the record's `steps` (or config `steps` when the record has none). From 0 the only allowed step is
 * the first configured step, steps[0]: the same entry point canary-weight-rise-requires-pass lets a 'start' enter
 * without a pass (there bounded by its maxFirstStep). After that, one step of the ladder per update.
 */
export const canaryWeightStepLimit: Rule<StepConfig> = {
    kind: "resource",
    name: "canary-weight-step-limit",
    description:
        "A canary weight rises by at most one configured step of the weight ladder per update; from 0 it may rise only to the first configured step (the analysis entry point).",
    severity: "high",
    defaults: { steps: [1, 5, 25, 50, 100], maxIncrease: 0 },
    configProperties: {
        steps: {
            type: "array",
            items: { type: "number" },
            default: [1, 5, 25, 50, 100],
            description: "Weight ladder used when the CanaryRelease record has no steps.",
        },
        maxIncrease: {
            type: "number",
            minimum: 0,
            default: 0,
            description: "If > 0, an additional cap on one rise in percentage points (the entry step included).",
        },
    },
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || !isIncrease(rec)) return;
        const steps = rec.steps.length > 0 ? rec.steps : ctx.config.steps;
        const maxIncrease = ctx.config.maxIncrease || undefined;
        const first = firstStep(steps);
        const entering = rec.previousWeight === 0 && first !== undefined && first > 0;
        const next = entering ? Math.min(first, maxIncrease ?? Number.POSITIVE_INFINITY) : nextAllowedWeight(rec.previousWeight, steps, maxIncrease);
        if (rec.weight <= next) return;
        const cap = ctx.config.maxIncrease ? ` (max +${ctx.config.maxIncrease} points)` : "";
        report(
            violation({
                problem: entering
                    ? `${subjectOf(rec, `canary of '${rec.service}'`)} enters at ${rec.weight}%${rec.flag ? " of users" : ""}, above the first step ${first}% of the ladder [${steps.join(", ")}]${cap}; the first step is the analysis entry point`
                    : `${rec.flag ? `share of users of ${flagRolloutName(rec.service, rec.flag)}` : `canary weight of '${rec.service}'`} jumps ${rec.previousWeight}% → ${rec.weight}%, more than one step of the ladder [${steps.join(", ")}]${cap}`,
                resource: r(args),
                field: "weight",
                fix: `raise the ${rec.flag ? "share" : "weight"} to at most ${next}% in this update and take the next step after the next passing analysis`,
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

export const canaryFailedVerdictRollback: Rule<{}> = {
    kind: "resource",
    name: "canary-failed-verdict-rollback",
    description: "A canary whose analysis failed must be rolled back: weight above 0 with verdict 'fail' is denied.",
    severity: "critical",
    defaults: {},
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || rec.verdict !== "fail" || rec.weight <= 0) return;
        report(
            violation({
                problem: rec.flag
                    ? `the SLO analysis of ${flagRolloutName(rec.service, rec.flag)} (${rec.canaryImage}) failed but ${rec.weight}% of users still get variant '${rec.flag.variant}'`
                    : `the SLO analysis of '${rec.service}' version ${rec.canaryImage} failed but the canary still receives ${rec.weight}% of traffic`,
                resource: r(args),
                field: "weight",
                fix: rec.flag
                    ? `roll back: set the share to 0 (action 'rollback') so every user gets the default variant '${rec.flag.defaultVariant}' again`
                    : "roll back: set the canary weight to 0 (action 'rollback') so all traffic returns to the stable version",
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

export const canarySkipAnalysisDevOnly: Rule<SkipConfig> = {
    kind: "resource",
    name: "canary-skip-analysis-dev-only",
    description: "Skipping the SLO analysis of a canary is allowed only in the configured environments (dev).",
    severity: "high",
    defaults: { skipAnalysisAllowedIn: ["dev"] },
    configProperties: SKIP_SCHEMA,
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || !rec.skipAnalysis) return;
        const env = ctx.environmentOf(args.urn, rec.environment);
        if (skipAllowed(env, ctx.config.skipAnalysisAllowedIn)) return;
        report(
            violation({
                problem: `CanaryRelease of ${subjectOf(rec, `'${rec.service}'`)} skips the SLO analysis in environment '${env}'`,
                resource: r(args),
                field: "skipAnalysis",
                fix: `set skipAnalysis: false${rec.flag ? ` (controls.skipAnalysis of the rollout of flag ${rec.flag.key} in featureFlags.rollouts)` : ""} (skipping is allowed only in: ${ctx.config.skipAnalysisAllowedIn.join(", ")})`,
            }),
            { environment: env },
        );
    },
};

// ---------------------------------------------------------------------------------------------------------
// Stack policy: SLO rules exist for every live canary
// ---------------------------------------------------------------------------------------------------------

interface PromRule {
    alert?: string;
    record?: string;
    expr: string;
    labels: Record<string, unknown>;
}

function promRules(res: PolicyResource): PromRule[] {
    const out: PromRule[] = [];
    const groups = res.props?.["spec"]?.["groups"];
    if (!Array.isArray(groups)) return out;
    for (const g of groups) {
        const rules = g?.["rules"];
        if (!Array.isArray(rules)) continue;
        for (const rule of rules) {
            if (!rule) continue;
            const pr: PromRule = { expr: String(rule["expr"] ?? ""), labels: rule["labels"] ?? {} };
            if (typeof rule["alert"] === "string") pr.alert = rule["alert"];
            if (typeof rule["record"] === "string") pr.record = rule["record"];
            out.push(pr);
        }
    }
    return out;
}

export function isCanaryAlert(rule: PromRule): boolean {
    return !!rule.alert && (rule.expr.includes("canary_error_rate_delta") || /CanaryErrorRateDelta/i.test(rule.alert));
}

export function mentionsService(rule: PromRule, service: string): boolean {
    if (rule.expr.includes(service)) return true;
    return Object.values(rule.labels ?? {}).some((v) => String(v) === service || String(v).includes(service));
}

export const canaryRequiresSloRules: Rule<{}> = {
    kind: "stack",
    name: "canary-requires-slo-rules",
    description: "A service with a live canary (weight > 0) has SLO recording rules and the canary error-rate-delta alert in the same stack.",
    severity: "critical",
    defaults: {},
    validate(args, ctx, report) {
        const rules = args.resources.filter((x) => isPrometheusRule(x.type)).flatMap(promRules);
        const hasCanaryAlert = rules.some(isCanaryAlert);
        for (const res of args.resources) {
            const rec = canaryReleaseOf(res);
            if (!rec || rec.weight <= 0) continue;
            const env = ctx.environmentOf(res.urn, rec.environment);
            const recording = rules.some((x) => !!x.record && mentionsService(x, rec.service));
            const missing: string[] = [];
            if (!recording) missing.push(`SLO recording rules mentioning service '${rec.service}' (in labels or expr)`);
            if (!hasCanaryAlert) missing.push("a canary alert (e.g. CanaryErrorRateDeltaHigh on canary_error_rate_delta)");
            if (missing.length === 0) continue;
            report(
                violation({
                    problem: rec.flag
                        ? `${flagRolloutName(rec.service, rec.flag)} gives ${rec.weight}% of users variant '${rec.flag.variant}' without ${missing.join(" and ")} in this stack`
                        : `canary of '${rec.service}' runs at ${rec.weight}% without ${missing.join(" and ")} in this stack`,
                    resource: r(res),
                    field: "weight",
                    fix: `add a PrometheusRule (monitoring.coreos.com/v1) with recording rules for '${rec.service}' and an alert on canary_error_rate_delta, or ${rec.flag ? "roll the flag back (share 0)" : "set the weight to 0"}`,
                }),
                { urn: res.urn, environment: env },
            );
        }
    },
};

export const sloGateRules: Rule[] = [
    canaryReleaseRecordValid,
    canaryWeightRiseRequiresPass,
    canaryWeightStepLimit,
    canaryFailedVerdictRollback,
    canarySkipAnalysisDevOnly,
    canaryRequiresSloRules,
];
