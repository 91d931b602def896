/**
 * The readable per-service status the stack exports (`pulumi stack output releases`) and the one-line progress
 * summary printed on every update. Pure, so the wording is tested without Pulumi.
 */
import type { AnalysisVerdict, Decision } from "../progression";

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
                      verdict: verdict.verdict,
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
