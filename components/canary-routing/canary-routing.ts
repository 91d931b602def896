/** The CanaryRouting component: a thin Pulumi wrapper around the pure spec builders of this folder. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseInputArgs } from "../common/inputs";
import { type CanaryRoutingArgs, canaryRoutingArgsSchema, canaryRoutingInputFields } from "./args";
import { buildDestinationRule } from "./destination-rule";
import { buildVirtualService } from "./virtual-service";
import { splitWeights } from "./weights";

/**
 * Istio routing of one service between a stable and a canary version: a DestinationRule with `stable` and
 * `canary` subsets and a VirtualService with opt-in, allowlist and path routes ahead of a weighted split.
 *
 * The weight is an input: the canary program computes it (or 0 on rollback) and re-runs the component. The subsets
 * select tracks, so promotion changes no subset: the stable Deployment rolls to the promoted image, then
 * `canaryWeight = 0, canaryAvailable = false`. `service`, `namespace` and `host` take Outputs (e.g. CanaryWorkload's
 * `serviceName` and `host`), which make the routes wait for the Service; still make the component depend on the
 * workload so a weight rises only once the canary's pods are Available. Pass a Kubernetes provider through `opts.provider`; both children inherit it.
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
        // Plain values are validated before the component registers, so a bad input creates nothing; values that
        // arrive as Outputs are validated when they resolve, and the specs are built from the resolved args.
        const { resolved, shape } = parseInputArgs(`CanaryRouting "${name}"`, canaryRoutingArgsSchema, args, canaryRoutingInputFields);
        // apiVersion and kind make the type token, so they are read now (no Input decides them); the rest of each
        // object is built from the resolved args.
        const drType = buildDestinationRule(shape);
        const vsType = buildVirtualService(shape);

        super("gray-release:index:CanaryRouting", name, {}, opts);
        const object = (build: typeof buildDestinationRule | typeof buildVirtualService) =>
            resolved.apply((a) => {
                const o = build(a);
                const labels = { "app.kubernetes.io/managed-by": "gray-release", "app.kubernetes.io/name": a.service };
                return { metadata: { ...o.metadata, labels }, spec: o.spec };
            });
        const dr = object(buildDestinationRule);
        const vs = object(buildVirtualService);

        const destinationRule = new k8s.apiextensions.CustomResource(
            `${name}-destination-rule`,
            { apiVersion: drType.apiVersion, kind: drType.kind, metadata: dr.metadata, spec: dr.spec },
            { parent: this },
        );
        // The VirtualService names the subsets, so it waits for the rule that defines them (avoids 503 NR).
        const virtualService = new k8s.apiextensions.CustomResource(
            `${name}-virtual-service`,
            { apiVersion: vsType.apiVersion, kind: vsType.kind, metadata: vs.metadata, spec: vs.spec },
            { parent: this, dependsOn: [destinationRule] },
        );

        this.virtualServiceName = virtualService.metadata.name;
        this.destinationRuleName = destinationRule.metadata.name;
        this.host = resolved.host;
        this.canaryWeight = resolved.apply((a) => splitWeights(a.canaryWeight).canary);
        this.stableWeight = resolved.apply((a) => splitWeights(a.canaryWeight).stable);
        this.registerOutputs({
            virtualServiceName: this.virtualServiceName,
            destinationRuleName: this.destinationRuleName,
            host: this.host,
            canaryWeight: this.canaryWeight,
            stableWeight: this.stableWeight,
        });
    }
}
