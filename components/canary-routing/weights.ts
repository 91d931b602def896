/** The weighted split between stable and canary. */

/** Weights of the two subsets. */
export interface SplitWeights {
    /** Percentage of the split sent to stable. */
    stable: number;
    /** Percentage of the split sent to the canary. */
    canary: number;
}

/**
 * Stable gets `100 - canary`, so the weights always sum to 100 (Istio rejects anything else).
 * Throws a RangeError for anything but an integer 0..100: a fractional weight would be rounded by nobody.
 */
export function splitWeights(canaryWeight: number): SplitWeights {
    if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
        throw new RangeError(`canaryWeight = ${String(canaryWeight)}: must be an integer 0..100`);
    }
    return { stable: 100 - canaryWeight, canary: canaryWeight };
}
