import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type CanaryWorkloadArgs, resolveCanaryWorkloadArgs } from "./args";
import { deploymentSpec, serviceSpec } from "./spec";

/** Stable and canary Deployments of one service behind one Service (3 Kubernetes objects). */
export class CanaryWorkload extends pulumi.ComponentResource {
    /** Name of the Kubernetes Service. */
    public readonly serviceName: pulumi.Output<string>;
    /** In-cluster host name of the Service, what the Istio routing targets. */
    public readonly host: pulumi.Output<string>;
    /** Name of the stable Deployment. */
    public readonly stableDeploymentName: pulumi.Output<string>;
    /** Name of the canary Deployment. */
    public readonly canaryDeploymentName: pulumi.Output<string>;

    constructor(name: string, args: CanaryWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        const a = resolveCanaryWorkloadArgs(args, `CanaryWorkload "${name}"`);
        super("gray-release:index:CanaryWorkload", name, {}, opts);
        const metaLabels = { "app.kubernetes.io/name": a.service, "app.kubernetes.io/managed-by": "gray-release" };

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: { name: a.service, namespace: a.namespace, labels: metaLabels }, spec: serviceSpec(a) },
            { parent: this },
        );
        const deployments = (["stable", "canary"] as const).map(
            (track) =>
                new k8s.apps.v1.Deployment(
                    `${name}-${track}`,
                    {
                        metadata: { name: `${a.service}-${track}`, namespace: a.namespace, labels: metaLabels },
                        spec: deploymentSpec(a, track),
                    },
                    { parent: this },
                ),
        );

        this.serviceName = service.metadata.name;
        this.host = pulumi.interpolate`${service.metadata.name}.${a.namespace}.svc.cluster.local`;
        this.stableDeploymentName = deployments[0]!.metadata.name;
        this.canaryDeploymentName = deployments[1]!.metadata.name;
        this.registerOutputs({
            serviceName: this.serviceName,
            host: this.host,
            stableDeploymentName: this.stableDeploymentName,
            canaryDeploymentName: this.canaryDeploymentName,
        });
    }
}
