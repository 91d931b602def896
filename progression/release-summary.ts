/**
 * The readable per-service status of a release: what `runStack` exports (`pulumi stack output releases`) and the
 * one-line progress summary it prints on every update, for a program composing the components itself too. Pure,
 * so the wording is tested without Pulumi.
 */
import type { Decision } from "./decide";
import { parseState } from "./state";
import type { AnalysisVerdict } from "./verdict";

/** What `pulumi stack output releases` shows for one service. */
export interface ReleaseSummary {
    /** Canary traffic share after this update, in percent. */
    weight: number;
    /** Canary traffic share before this update, in percent. */
    previousWeight: number;
    /** Position in the configured steps, 1-based (e.g. "2"); "-" without canary traffic. */
    step: string;
    /** Rollout status: progressing, paused, promoted, rolledBack or failed. */
    status: string;
    /** What this update did: start, advance, hold, rollback, promote, pause or none. */
    action: string;
    /** Why, in one line. */
    reason: string;
    /** What the next `pulumi up` will do. */
    next: string;
    /** Image receiving the non-canary share. */
    stableImage: string;
    /** Image under rollout. */
    canaryImage: string;
    /** Why stable is not the configured `stableImage`, or that it changed: after a promotion, or on purpose. */
    stableNote?: string;
    /** Last analysis verdict with what was measured against which thresholds; absent when none ran. */
    lastVerdict?: {
        verdict: string;
        reason: string;
        evaluatedAt: string;
        checks: Array<{ name: string; outcome: string; measured: number | null; threshold: number | null }>;
    };
}

/**
 * The summary of one update's decision, from what `decide` (or `runProgression`) returned: `previousWeight` is the
 * canary weight of the previous state (0 without one), `verdict` the analysis the decision used, if any.
 */
export function describeRelease(previousWeight: number, decision: Decision, verdict: AnalysisVerdict | undefined): ReleaseSummary {
    const st = decision.state;
    return {
        weight: decision.routing.canaryWeight,
        previousWeight,
        step: st.stepIndex >= 0 ? `${st.stepIndex + 1}` : "-",
        status: st.status,
        action: decision.action,
        reason: decision.reason,
        next: decision.nextAction,
        stableImage: decision.routing.stableImage,
        canaryImage: decision.routing.canaryImage,
        ...(decision.stableNote !== undefined ? { stableNote: decision.stableNote } : {}),
        ...(verdict
            ? {
                  lastVerdict: {
                      verdict: verdict.kind,
                      reason: verdict.reason,
                      evaluatedAt: verdict.evaluatedAt,
                      checks: verdict.checks.map((c) => ({
                          name: c.name,
                          outcome: c.outcome,
                          measured: c.measured,
                          threshold: c.threshold,
                      })),
                  },
              }
            : {}),
    };
}

const VERB: Record<string, string> = {
    start: "started",
    advance: "advanced",
    hold: "held",
    rollback: "ROLLED BACK",
    promote: "promoted",
    pause: "paused",
    none: "unchanged",
};

/** One line per service for the update log, e.g. `checkout: advanced 5% → 10% (analysis passed)`. */
export function summaryLine(s: ReleaseSummary, service?: string): string {
    const who = service ?? "service";
    const verb = VERB[s.action] ?? s.action;
    const stable = s.stableNote === undefined ? "" : ` Stable: ${s.stableNote}.`;
    return `${who}: ${verb} ${s.previousWeight}% → ${s.weight}% [${s.status}] — ${s.reason}.${stable} Next: ${s.next}`;
}

/** Where a release stands, read back from its persisted progression state (`decision.state`, kept in a stack output). */
export interface ReleaseState {
    /** Canary traffic share, in percent. */
    weight: number;
    /** Position in the configured steps, 1-based (e.g. "2"); "-" without canary traffic. */
    step: string;
    /** Rollout status: progressing, paused, promoted, rolledBack or failed. */
    status: string;
    /** Image under rollout. */
    canaryImage: string;
    /** Image receiving the non-canary share, when the state records it (states written before it did not). */
    stableImage?: string;
    /** When weight or status last changed (ISO 8601). */
    lastTransitionAt: string;
    /** The last decision: when, what it did, on which verdict (`null`: no analysis), at which weight and why. */
    lastDecision?: { at: string; action: string; verdict: string | null; weight: number; reason: string };
}

/**
 * The release state of one service from the progression state a program keeps between updates (the value it
 * exported as `decision.state`, as an object or JSON text), for a program composing the components itself: the
 * view `runStack`'s `releases` output gives. `undefined` when there is no usable state (no release yet).
 */
export function describeState(stateOutput: unknown): ReleaseState | undefined {
    const { state } = parseState(stateOutput);
    if (state === undefined) return undefined;
    const last = state.history[state.history.length - 1];
    return {
        weight: state.weight,
        step: state.stepIndex >= 0 ? `${state.stepIndex + 1}` : "-",
        status: state.status,
        canaryImage: state.canaryImage,
        ...(state.stableImage !== undefined ? { stableImage: state.stableImage } : {}),
        lastTransitionAt: state.lastTransitionAt,
        ...(last !== undefined
            ? { lastDecision: { at: last.at, action: last.action, verdict: last.verdict, weight: last.weight, reason: last.reason } }
            : {}),
    };
}
