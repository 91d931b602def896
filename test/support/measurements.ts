/** A healthy analysis as the batched query answers it: canary and stable at 0.2 %, a pass window six times the window. */
import type { Measurements } from "../../progression/internal";

export const HEALTHY_MEASUREMENTS: Measurements = {
    canaryRequests: 1000,
    canaryErrors: 2,
    stableRequests: 20000,
    stableErrors: 40,
    canaryP95Ms: 90,
    canaryP99Ms: 180,
    canaryRestarts: 0,
    passCanaryRequests: 6000,
    passCanaryErrors: 12,
    passStableRequests: 120000,
    passStableErrors: 240,
    canaryDataAgeSeconds: 5,
    stableDataAgeSeconds: 5,
    stableReplicas: 3,
};
