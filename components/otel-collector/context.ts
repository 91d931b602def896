/** What the resource-creating modules of the component receive. */
import type * as pulumi from "@pulumi/pulumi";
import type { CollectorPlan } from "./plan";
import type { ParsedOtelCollectorArgs } from "./schema";

export interface BuildContext {
    /** Logical-name prefix of the child resources (the component's name). */
    name: string;
    args: ParsedOtelCollectorArgs;
    /**
     * The plan with a stand-in for each pending Input (see `parseInputArgs`): which objects exist, their names and
     * everything that depends on no Input. The configurations, where the Inputs go, come from `resolvedPlan`.
     */
    plan: CollectorPlan;
    /** The plan once every Input has resolved: what the configurations (and their checksums) are taken from. */
    resolvedPlan: pulumi.Output<CollectorPlan>;
    /** Labels of every object (not pod templates). */
    labels: Record<string, string>;
    parent: pulumi.Resource;
}
