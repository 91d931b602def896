/**
 * Canary weights can be listed explicitly ([5, 10, 25, 50, 100]) or generated ({ start: 5, increment: 5,
 * max: 50 }). Both are normalised to one increasing list ending at 100, which is all `decide` ever sees.
 */

/** A generated weight schedule: `start`, `start + increment`, … while ≤ `max`, then 100. */
export interface LinearSteps {
    /** First canary weight in percent (1–100). */
    readonly start: number;
    /** Percent added at every step (≥ 1). */
    readonly increment: number;
    /** Largest generated weight before the final jump to 100 (≤ 100). */
    readonly max: number;
}

/** Either an explicit increasing list of weights ending at 100, or a {@link LinearSteps} generator. */
export type StepsSpec = ReadonlyArray<number> | LinearSteps;

/** Expands a {@link StepsSpec} into the explicit increasing list of weights, always ending at 100. */
export function resolveSteps(spec: StepsSpec): number[] {
    if (isWeightList(spec)) return [...spec];
    const weights: number[] = [];
    for (let w = spec.start; w <= Math.min(spec.max, 100); w += spec.increment) weights.push(w);
    if (weights[weights.length - 1] !== 100) weights.push(100);
    return weights;
}

function isWeightList(spec: StepsSpec): spec is ReadonlyArray<number> {
    return Array.isArray(spec);
}

/** Problems with an explicit weight list, empty when it is valid (strictly increasing integers in 1..100 ending at 100). */
export function weightListProblems(weights: ReadonlyArray<number>): string[] {
    const problems: string[] = [];
    if (weights.length === 0) problems.push("must list at least one weight");
    weights.forEach((w, i) => {
        if (!Number.isInteger(w) || w < 1 || w > 100) problems.push(`weight #${i} (${w}) must be an integer in 1..100`);
        const prev = weights[i - 1];
        if (prev !== undefined && w <= prev) problems.push(`weights must strictly increase, but ${w} follows ${prev}`);
    });
    if (weights.length > 0 && weights[weights.length - 1] !== 100) problems.push("the last weight must be 100");
    return problems;
}
