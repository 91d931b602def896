/**
 * One `pulumi up` worth of progression for many services: read back each previous state, analyse (in one
 * batched query) only the services whose decision depends on a verdict, and decide. Never throws.
 */
import { analyzeServices } from "./analysis";
import { type ProgressionConfig, releaseKey } from "./config";
import { type Decision, type DecisionContext, decide } from "./decide";
import type { MetricsProvider } from "./metrics-provider";
import { type ProgressionState, parseState } from "./state";
import type { AnalysisVerdict } from "./verdict";

/** Input of one service to {@link runProgression}. */
export interface ServiceProgressionInput {
    /** Validated configuration. */
    readonly config: ProgressionConfig;
    /** The state output of the previous update, as read back (object, JSON text, or undefined). */
    readonly previousState: unknown;
    /** Earlier starts and the core flag, for the cadence. */
    readonly context?: DecisionContext;
}

/** Outcome for one service. */
export interface ServiceProgressionResult {
    /** The decision (next state, action, routing). */
    readonly decision: Decision;
    /** The verdict used, or undefined when no analysis was needed. */
    readonly verdict: AnalysisVerdict | undefined;
    /** Set when the previous state was unusable and a fresh rollout was assumed. */
    readonly stateWarning: string | undefined;
}

/**
 * Whether deciding for this service needs an analysis verdict: only a progressing rollout of the same
 * canary version with weighted traffic and no manual override does.
 */
export function needsAnalysis(previous: ProgressionState | undefined, config: ProgressionConfig): boolean {
    if (previous === undefined || previous.canaryImage !== config.canaryImage) return false;
    if (previous.status !== "progressing" || previous.weight === 0) return false;
    const c = config.controls;
    return !(c.abort || c.promote || c.pause || c.skipAnalysis);
}

/** Runs analysis and decision for every release, keyed by service name (`<service>/flag/<key>` for a flag rollout). */
export async function runProgression(
    inputs: ReadonlyArray<ServiceProgressionInput>,
    provider: MetricsProvider,
    now: Date,
): Promise<Map<string, ServiceProgressionResult>> {
    const parsed = inputs.map((i) => ({ config: i.config, context: i.context, read: parseState(i.previousState) }));
    const toAnalyse = parsed.filter((p) => needsAnalysis(p.read.state, p.config)).map((p) => p.config);
    const positions = new Map(parsed.flatMap((p) => (p.read.state === undefined ? [] : [[releaseKey(p.config), p.read.state] as const])));
    const verdicts = await analyzeServices(toAnalyse, provider, now, positions);
    const results = new Map<string, ServiceProgressionResult>();
    for (const { config, context, read } of parsed) {
        const key = releaseKey(config);
        const verdict = verdicts.get(key);
        const decision = decide(read.state, config, verdict, now, context);
        const withWarning = read.warning === undefined ? decision : { ...decision, reason: `${read.warning}; ${decision.reason}` };
        results.set(key, { decision: withWarning, verdict, stateWarning: read.warning });
    }
    return results;
}
