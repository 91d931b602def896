/**
 * Operator mode: one `OpenTelemetryCollector` (opentelemetry.io/v1beta1) per tier, carrying the same rendered
 * configuration as an object. The operator creates the workloads and the `<cr>-collector` /
 * `<cr>-collector-headless` Services the configuration refers to.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { resources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../common";
import type { BuildContext } from "./context";
import type { Identity } from "./identity";
import type { CollectorConfig } from "./model";
import type { CollectorEnvVar, TierPlan } from "./plan";
import { POD_ANNOTATIONS, tmpVolume, tmpVolumeMount } from "./pod";

export const OPERATOR_API_VERSION = "opentelemetry.io/v1beta1";
export const OPERATOR_KIND = "OpenTelemetryCollector";

/** The `spec` this package sets on an OpenTelemetryCollector; a subset of the CRD's. */
export interface OpenTelemetryCollectorSpec {
    mode: "daemonset" | "deployment";
    image: string;
    replicas?: number;
    serviceAccount: string;
    /** The image is pinned; the operator must not rewrite the configuration when it is itself upgraded. */
    upgradeStrategy: "none";
    config: CollectorConfig;
    env: CollectorEnvVar[];
    resources: k8s.types.input.core.v1.ResourceRequirements;
    podSecurityContext: k8s.types.input.core.v1.PodSecurityContext;
    securityContext: k8s.types.input.core.v1.SecurityContext;
    podAnnotations: Record<string, string>;
    volumes: k8s.types.input.core.v1.Volume[];
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    /** Timings only: the operator derives the HTTP check from the health_check extension's endpoint. */
    livenessProbe: { initialDelaySeconds: number; periodSeconds: number; failureThreshold: number };
}

export function collectorSpec(image: string, tier: TierPlan): OpenTelemetryCollectorSpec {
    return {
        mode: tier.tier === "agent" ? "daemonset" : "deployment",
        image,
        ...(tier.replicas !== undefined ? { replicas: tier.replicas } : {}),
        serviceAccount: tier.names.serviceAccount,
        upgradeStrategy: "none",
        config: tier.config,
        env: tier.env,
        resources: resources(tier.resources),
        podSecurityContext: restrictedPodSecurityContext(),
        securityContext: restrictedContainerSecurityContext(),
        podAnnotations: { ...POD_ANNOTATIONS },
        volumes: [tmpVolume()],
        volumeMounts: [tmpVolumeMount()],
        livenessProbe: { initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
    };
}

export interface OperatorObjects {
    agent: k8s.apiextensions.CustomResource;
    gateway: k8s.apiextensions.CustomResource;
}

export function createOperatorObjects(ctx: BuildContext, identity: Identity): OperatorObjects {
    const make = (tier: TierPlan, dependsOn: pulumi.Resource[]) =>
        new k8s.apiextensions.CustomResource(
            `${ctx.name}-${tier.tier}`,
            {
                apiVersion: OPERATOR_API_VERSION,
                kind: OPERATOR_KIND,
                metadata: { name: tier.names.instance, namespace: ctx.args.namespace, labels: ctx.labels },
                spec: ctx.resolvedPlan.apply((p) => collectorSpec(ctx.args.image, p[tier.tier])),
            },
            // Pods naming a ServiceAccount that does not exist yet are refused, and an agent started before its
            // binding logs permission errors instead of attributing telemetry.
            { parent: ctx.parent, dependsOn },
        );
    return {
        agent: make(ctx.plan.agent, [identity.agentServiceAccount, identity.clusterRoleBinding]),
        gateway: make(ctx.plan.gateway, [identity.gatewayServiceAccount]),
    };
}
