/** Pure decisions of the SLO gates on a CanaryRelease record. */
import type { CanaryReleaseRecord } from "../contracts";

export const REDUCING_ACTIONS: readonly string[] = ["rollback"];

export function isIncrease(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight">): boolean {
    return r.weight > r.previousWeight;
}

/** A rollback or abort: explicitly flagged, or the weight goes down / to zero. */
export function isRollbackOrAbort(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action">): boolean {
    return REDUCING_ACTIONS.includes(String(r.action).toLowerCase()) || r.weight < r.previousWeight || (r.weight === 0 && r.previousWeight > 0);
}

/** A new canary: traffic starts flowing to it (0 → >0) or the program says "start". */
export function isNewCanary(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action">): boolean {
    return (r.previousWeight === 0 && r.weight > 0) || String(r.action).toLowerCase() === "start";
}

/** A promotion: the canary (or a flag's variant) takes all traffic (all users), whatever the record's weight says. */
export function isPromotion(r: Pick<CanaryReleaseRecord, "action">): boolean {
    return String(r.action).toLowerCase() === "promote";
}

/**
 * Whether the update exposes more traffic (or users) to the release: a new canary, a rise of the weight, or a
 * promotion. A promotion's record carries weight 0 (an image canary leaves the split because stable now runs it; a
 * flag rollout's variant goes to every user), so it counts whatever its weights say. A rollback never does.
 */
export function raisesExposure(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action">): boolean {
    if (isPromotion(r)) return true;
    if (isRollbackOrAbort(r)) return false;
    return isIncrease(r) || isNewCanary(r);
}

/** Default of `maxFirstStep`: the largest first step a canary may enter without a passing analysis. */
export const DEFAULT_MAX_FIRST_STEP = 5;

/** The first configured step of the ladder (the analysis entry point), or undefined for an empty ladder. */
export function firstStep(steps: readonly number[]): number | undefined {
    const s = steps[0];
    return typeof s === "number" && Number.isFinite(s) ? s : undefined;
}

/**
 * The entry of a canary: action `start` raising the weight from 0 to at most the first configured step. There is
 * no canary traffic to analyse before it, so it cannot carry a passing verdict.
 */
export function isEntryStart(r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action" | "steps">): boolean {
    const first = firstStep(r.steps);
    return String(r.action).toLowerCase() === "start" && r.previousWeight === 0 && r.weight > 0 && first !== undefined && r.weight <= first;
}

/**
 * Whether an entry start may go ahead without a pass: it must be an entry start (see {@link isEntryStart}) and the
 * first step must not exceed `maxFirstStep` percent.
 */
export function entryAllowedWithoutPass(
    r: Pick<CanaryReleaseRecord, "weight" | "previousWeight" | "action" | "steps">,
    maxFirstStep: number,
): { allowed: true } | { allowed: false; reason: string } {
    if (!isEntryStart(r)) return { allowed: false, reason: "not the entry step" };
    const first = firstStep(r.steps)!;
    if (first > maxFirstStep) {
        return { allowed: false, reason: `the first step ${first}% exceeds maxFirstStep ${maxFirstStep}%` };
    }
    return { allowed: true };
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
