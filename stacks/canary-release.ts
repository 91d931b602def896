import * as pulumi from "@pulumi/pulumi";

/**
 * What the canary program decided for one service in this update, as the policy pack reads it
 * (policies/contracts.ts, `CanaryReleaseRecord`). A component with no children: it exists so that the decision
 * is a resource the policies can validate at preview time, next to the routing it produced.
 */
export interface CanaryReleaseArgs {
    /** Service name. */
    service: string;
    /** Namespace of the service. */
    namespace: string;
    /** Environment of the stack (dev, staging, prod). */
    environment: string;
    /** Canary image of this rollout. */
    canaryVersion: string;
    /** Image serving the non-canary share after this update. */
    stableVersion: string;
    /** Canary weight before this update, in percent. */
    previousWeight: number;
    /** Canary weight after this update, in percent. */
    weight: number;
    /** Index of `weight` in `steps`; -1 when the canary has no weighted traffic. */
    stepIndex: number;
    /** Configured weight ladder. */
    steps: number[];
    /** Rollout status after this update. */
    status: string;
    /** Verdict of the analysis run for this update, `none` when none was needed. */
    verdict: "pass" | "fail" | "inconclusive" | "error" | "none";
    /** Whether the analysis was skipped by configuration (dev only). */
    skipAnalysis: boolean;
    /** What this update does: start, advance, hold, rollback, promote, pause or none. */
    action: string;
    /** When the decision was made (ISO 8601). */
    evaluatedAt: string;
}

export class CanaryRelease extends pulumi.ComponentResource {
    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // The args are sent to the engine as this component's inputs: that is what policies see.
        super("gray-release:index:CanaryRelease", name, args, opts);
        this.registerOutputs({ ...args });
    }
}
