import * as pulumi from "@pulumi/pulumi";
import { CANARY_RELEASE_TYPE, type CanaryReleaseRecordInput } from "../progression/record";

/**
 * What the canary program decided for one service in this update, as the policy pack reads it: the record's
 * shape is the engine's contract (progression/record.ts), so the writer and the reader cannot drift apart.
 */
export type CanaryReleaseArgs = CanaryReleaseRecordInput & { namespace: string };

/**
 * The decision of one update for one service, as a resource: a component with no children whose inputs are the
 * record, so the policy pack validates the decision at preview time, before the routing it produces.
 */
export class CanaryRelease extends pulumi.ComponentResource {
    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // The args are sent to the engine as this component's inputs: that is what policies see.
        super(CANARY_RELEASE_TYPE, name, args, opts);
        this.registerOutputs({ ...args });
    }
}
