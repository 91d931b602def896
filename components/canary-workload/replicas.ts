/** How many canary pods a traffic share needs. */

/** Inputs of {@link canaryReplicasFor}. */
export interface CanaryReplicaInputs {
    /** Share of traffic (0..100) the canary must carry. */
    weight: number;
    /** Replicas of stable, which carries the rest. */
    stableReplicas: number;
    /** Fewest replicas while the canary serves. */
    min: number;
    /** Most replicas. */
    max: number;
}

/**
 * Replicas that give a canary pod the load of a stable pod: `ceil(stable × w / (100 − w))`, within min..max.
 * At 100 % the canary carries everything stable would: as many pods as stable. Pure.
 */
export function canaryReplicasFor(i: CanaryReplicaInputs): number {
    const w = Math.min(Math.max(i.weight, 0), 100);
    const sized = w >= 100 ? i.stableReplicas : Math.ceil((i.stableReplicas * w) / (100 - w) - 1e-9);
    return Math.min(Math.max(sized, i.min), Math.max(i.max, i.min));
}
