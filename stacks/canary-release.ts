import * as pulumi from "@pulumi/pulumi";
import type { CanaryReleaseRecord } from "../policies/contracts";

/**
 * What the canary program decided for one service in this update, as the policy pack reads it: the record's
 * shape is the pack's contract (policies/contracts.ts), so the writer and the reader cannot drift apart.
 */
export type CanaryReleaseArgs = CanaryReleaseRecord & { namespace: string };

/**
 * The decision of one update for one service, as a resource: a component with no children whose inputs are the
 * record, so the policy pack validates the decision at preview time, before the routing it produces.
 */
export class CanaryRelease extends pulumi.ComponentResource {
    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // The args are sent to the engine as this component's inputs: that is what policies see.
        super("gray-release:index:CanaryRelease", name, args, opts);
        this.registerOutputs({ ...args });
    }
}
