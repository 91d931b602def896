/** The CanaryRouting component: a thin Pulumi wrapper around the pure spec builders of this folder. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type CanaryRoutingArgs, resolveCanaryRoutingArgs } from "./args";
import { buildDestinationRule } from "./destination-rule";
import { buildVirtualService } from "./virtual-service";
import { splitWeights } from "./weights";

/**
 * Istio routing of one service between a stable and a canary version: a DestinationRule with `stable` and
 * `canary` subsets and a VirtualService with opt-in, allowlist and path routes ahead of a weighted split.
 *
 * The weight is an input: the canary program computes it (or 0 on rollback) and re-runs the component. The subsets
 * select tracks, so promotion changes no subset: the stable Deployment rolls to the promoted image, then
 * `canaryWeight = 0, canaryAvailable = false`. Make the component depend on the workload so a weight rises only
 * once the canary's pods are Available. Pass a Kubernetes provider through `opts.provider`; both children inherit it.
 */
export class CanaryRouting extends pulumi.ComponentResource {
    /** Name of the VirtualService (the service name). */
    public readonly virtualServiceName: pulumi.Output<string>;
    /** Name of the DestinationRule (the service name). */
    public readonly destinationRuleName: pulumi.Output<string>;
    /** Destination host the subsets belong to. */
    public readonly host: pulumi.Output<string>;
    /** Percentage of the weighted split sent to the canary. */
    public readonly canaryWeight: pulumi.Output<number>;
    /** Percentage of the weighted split sent to stable. */
    public readonly stableWeight: pulumi.Output<number>;

    constructor(name: string, args: CanaryRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validation and rendering happen before the component registers, so a bad input creates nothing.
        const a = resolveCanaryRoutingArgs(args, `CanaryRouting "${name}"`);
        const dr = buildDestinationRule(a);
        const vs = buildVirtualService(a);
        const weights = splitWeights(a.canaryWeight);

        super("gray-release:index:CanaryRouting", name, {}, opts);
        const labels = { "app.kubernetes.io/managed-by": "gray-release", "app.kubernetes.io/name": a.service };

        const destinationRule = new k8s.apiextensions.CustomResource(
            `${name}-destination-rule`,
            { apiVersion: dr.apiVersion, kind: dr.kind, metadata: { ...dr.metadata, labels }, spec: dr.spec },
            { parent: this },
        );
        // The VirtualService names the subsets, so it waits for the rule that defines them (avoids 503 NR).
        const virtualService = new k8s.apiextensions.CustomResource(
            `${name}-virtual-service`,
            { apiVersion: vs.apiVersion, kind: vs.kind, metadata: { ...vs.metadata, labels }, spec: vs.spec },
            { parent: this, dependsOn: [destinationRule] },
        );

        this.virtualServiceName = virtualService.metadata.name;
        this.destinationRuleName = destinationRule.metadata.name;
        this.host = pulumi.output(a.host);
        this.canaryWeight = pulumi.output(weights.canary);
        this.stableWeight = pulumi.output(weights.stable);
        this.registerOutputs({
            virtualServiceName: this.virtualServiceName,
            destinationRuleName: this.destinationRuleName,
            host: this.host,
            canaryWeight: this.canaryWeight,
            stableWeight: this.stableWeight,
        });
    }
}
