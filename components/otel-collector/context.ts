/** What the resource-creating modules of the component receive. */
import type * as pulumi from "@pulumi/pulumi";
import type { CollectorPlan } from "./plan";
import type { ParsedOtelCollectorArgs } from "./schema";

export interface BuildContext {
    /** Logical-name prefix of the child resources (the component's name). */
    name: string;
    args: ParsedOtelCollectorArgs;
    plan: CollectorPlan;
    /** Labels of every object (not pod templates). */
    labels: Record<string, string>;
    parent: pulumi.Resource;
}
