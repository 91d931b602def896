import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseInputArgs } from "../common/inputs";
import { type CanaryWorkloadArgs, canaryWorkloadArgsSchema, canaryWorkloadInputFields, type ResolvedCanaryWorkloadArgs } from "./args";
import { rolloutAwaitAnnotations } from "./rollout-await";
import { deploymentSpec, serviceSpec } from "./spec";

/** Stable and canary Deployments of one service behind one Service (3 Kubernetes objects). */
export class CanaryWorkload extends pulumi.ComponentResource {
    /** Name of the Kubernetes Service. */
    public readonly serviceName: pulumi.Output<string>;
    /** Namespace the Service and the Deployments run in. */
    public readonly namespace: pulumi.Output<string>;
    /** In-cluster host name of the Service, what the Istio routing targets. */
    public readonly host: pulumi.Output<string>;
    /** Name of the stable Deployment. */
    public readonly stableDeploymentName: pulumi.Output<string>;
    /** Name of the canary Deployment. */
    public readonly canaryDeploymentName: pulumi.Output<string>;

    constructor(name: string, args: CanaryWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        // Plain values are validated before anything registers; Outputs when they resolve (see parseInputArgs).
        const { resolved } = parseInputArgs(`CanaryWorkload "${name}"`, canaryWorkloadArgsSchema, args, canaryWorkloadInputFields);
        super("gray-release:index:CanaryWorkload", name, {}, opts);
        const metadata = (
            objectName: (a: ResolvedCanaryWorkloadArgs) => string,
            annotations?: (a: ResolvedCanaryWorkloadArgs) => Record<string, string>,
        ) =>
            resolved.apply((a) => ({
                name: objectName(a),
                namespace: a.namespace,
                labels: { "app.kubernetes.io/name": a.service, "app.kubernetes.io/managed-by": "gray-release" },
                ...(annotations === undefined ? {} : { annotations: annotations(a) }),
            }));

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: metadata((a) => a.service), spec: resolved.apply(serviceSpec) },
            { parent: this },
        );
        // Each Deployment completes only once its rollout has (see rolloutAwaitAnnotations): whatever depends on
        // this component, the routes first, waits for Ready pods of the new template.
        const deployments = (["stable", "canary"] as const).map(
            (track) =>
                new k8s.apps.v1.Deployment(
                    `${name}-${track}`,
                    {
                        metadata: metadata(
                            (a) => `${a.service}-${track}`,
                            (a) => rolloutAwaitAnnotations(track === "stable" ? a.stableReplicas : a.canaryReplicas),
                        ),
                        spec: resolved.apply((a) => deploymentSpec(a, track)),
                    },
                    { parent: this },
                ),
        );

        this.serviceName = service.metadata.name;
        this.namespace = service.metadata.namespace;
        this.host = pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
        this.stableDeploymentName = deployments[0]!.metadata.name;
        this.canaryDeploymentName = deployments[1]!.metadata.name;
        this.registerOutputs({
            serviceName: this.serviceName,
            namespace: this.namespace,
            host: this.host,
            stableDeploymentName: this.stableDeploymentName,
            canaryDeploymentName: this.canaryDeploymentName,
        });
    }
}
