/**
 * The generator's model: the compiled spec {@link SloRulesSpec} (made from the parsed input by `toSloRulesSpec`)
 * and the Prometheus rule model it produces. The input shape is the zod schema in `schema.ts`.
 */
import type { CanarySignals } from "../common/canary-signals";
import type { ResolvedCanaryRulesArgs, ResolvedSloArgs } from "./schema";

// ---- compiled spec ----------------------------------------------------------------------------------------

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

/** SLO after defaults, with its compiled SLI, error budget and burn windows. */
export interface ResolvedSlo extends Omit<ResolvedSloArgs, "sli" | "description" | "runbookUrl"> {
    /** Description (given, or derived from the SLI). */
    description: string;
    /** Error budget as a ratio, `1 - objective / 100`. */
    errorBudget: number;
    /** SLI. */
    sli: ResolvedSli;
    /** Runbook URL (the SLO's, or the top-level one). */
    runbookUrl: string;
    /** Page window pairs with factors. */
    page: ResolvedBurnWindow[];
    /** Ticket window pairs with factors. */
    ticket: ResolvedBurnWindow[];
}

/** Canary rules after defaults: the parsed canary args, with the restarts compiled into one selector. */
export type ResolvedCanary = Omit<
    ResolvedCanaryRulesArgs,
    "enabled" | "restarts" | "restartsMatchers" | "canaryImage" | "stableImage" | "canaryVersionLabel" | "stableVersionLabel"
> & {
    /** Value of `versionLabel` on the canary's requests (given, or derived from its image). */
    canaryVersionLabel: string;
    /** Value of `versionLabel` on the stable version's requests (given, or derived from its image). */
    stableVersionLabel: string;
    /** The canary signals the recordings and the P1 read: the shared model the progression gate is built from too. */
    signals: CanarySignals;
};

/** The whole spec after validation and defaults; input of the pure generators. */
export interface SloRulesSpec {
    /** Service name. */
    service: string;
    /** Service matchers. */
    serviceMatchers: string;
    /** Default runbook URL (canary alert, SLOs without their own). */
    runbookUrl: string;
    /** Bucket bounds (ms) of Istio's duration histogram on the service's pods, ascending: give them to CanaryWorkload. */
    latencyBuckets: number[];
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
