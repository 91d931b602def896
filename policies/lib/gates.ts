/** Pure decisions of the SLO gates on a CanaryRelease record. */
import type { CanaryReleaseRecord } from "../contracts";

export const REDUCING_ACTIONS = ["rollback", "abort"];

export function isIncrease(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight">): boolean {
    return r.weight > r.previousWeight;
}

/** A rollback or abort: explicitly flagged, or the weight goes down / to zero. */
export function isRollbackOrAbort(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action">): boolean {
    return REDUCING_ACTIONS.includes(String(r.action).toLowerCase()) || r.weight < r.previousWeight ||
        (r.weight === 0 && r.previousWeight > 0);
}

/** A new canary: traffic starts flowing to it (0 → >0) or the program says "start". */
export function isNewCanary(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action">): boolean {
    return (r.previousWeight === 0 && r.weight > 0) || String(r.action).toLowerCase() === "start";
}

/**
 * Largest weight reachable from `previous` in one step of the ladder: the smallest step strictly above
 * `previous` (or `previous` itself when already at/above the top). `maxIncrease` (percentage points)
 * optionally caps it further.
 */
export function nextAllowedWeight(previous: number, steps: readonly number[], maxIncrease?: number): number {
    const ladder = [...new Set(steps)].filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
    const above = ladder.find((s) => s > previous);
    let next = above ?? previous;
    if (maxIncrease !== undefined && maxIncrease > 0) next = Math.min(next, previous + maxIncrease);
    return next;
}

/** Skipping analysis is allowed only in the listed environments. */
export function skipAllowed(env: string, allowedEnvs: readonly string[]): boolean {
    return allowedEnvs.map((e) => e.toLowerCase()).includes(env.toLowerCase());
}

/** Age of a verdict in minutes relative to `now`, or undefined when evaluatedAt is not a valid ISO instant. */
export function verdictAgeMinutes(evaluatedAt: string, now: Date): number | undefined {
    const t = Date.parse(evaluatedAt);
    if (!evaluatedAt || Number.isNaN(t)) return undefined;
    return (now.getTime() - t) / 60_000;
}
