/** Plain mode: the collectors as ordinary Kubernetes objects, no operator required. */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import { resources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../common";
import type { BuildContext } from "./context";
import { HEALTH_CHECK_PORT } from "./defaults";
import type { Identity } from "./identity";
import { podLabels, selectorLabels } from "./names";
import type { TierPlan } from "./plan";
import { CONFIG_DIR, CONFIG_FILE, CONTAINER_NAME, containerPorts, otlpServicePorts, POD_ANNOTATIONS, tmpVolume, tmpVolumeMount } from "./pod";

type ObjectMeta = k8s.types.input.meta.v1.ObjectMeta;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export interface PlainObjects {
    agentConfigMap: k8s.core.v1.ConfigMap;
    gatewayConfigMap: k8s.core.v1.ConfigMap;
    agent: k8s.apps.v1.DaemonSet;
    gateway: k8s.apps.v1.Deployment;
    gatewayService: k8s.core.v1.Service;
    gatewayHeadlessService: k8s.core.v1.Service;
}

function configMap(ctx: BuildContext, tier: TierPlan): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(
        `${ctx.name}-${tier.tier}`,
        {
            metadata: { name: tier.names.workload, namespace: ctx.args.namespace, labels: ctx.labels },
            data: { [CONFIG_FILE]: ctx.resolvedPlan.apply((p) => p[tier.tier].configYaml) },
        },
        { parent: ctx.parent },
    );
}

function podTemplate(
    ctx: BuildContext,
    tier: TierPlan,
    cm: k8s.core.v1.ConfigMap,
    sa: k8s.core.v1.ServiceAccount,
): { metadata: ObjectMeta; spec: PodSpec } {
    const healthProbe = { httpGet: { path: "/", port: HEALTH_CHECK_PORT } };
    return {
        metadata: {
            labels: { ...ctx.labels, ...podLabels(ctx.args.namespace, tier.names) },
            annotations: {
                ...POD_ANNOTATIONS,
                // A changed configuration rolls the pods; the collector does not reload its file.
                "checksum/config": ctx.resolvedPlan.apply((p) => createHash("sha256").update(p[tier.tier].configYaml).digest("hex")),
            },
        },
        spec: {
            serviceAccountName: sa.metadata.name,
            automountServiceAccountToken: tier.tier === "agent",
            securityContext: restrictedPodSecurityContext(),
            containers: [
                {
                    name: CONTAINER_NAME,
                    image: ctx.args.image,
                    args: [`--config=${CONFIG_DIR}/${CONFIG_FILE}`],
                    env: tier.env,
                    ports: containerPorts(),
                    resources: resources(tier.resources),
                    securityContext: restrictedContainerSecurityContext(),
                    livenessProbe: { ...healthProbe, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
                    readinessProbe: { ...healthProbe, periodSeconds: 5, failureThreshold: 2 },
                    volumeMounts: [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }, tmpVolumeMount()],
                },
            ],
            volumes: [
                {
                    name: "config",
                    configMap: { name: cm.metadata.name, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] },
                },
                tmpVolume(),
            ],
        },
    };
}

export function createPlainObjects(ctx: BuildContext, identity: Identity): PlainObjects {
    const { args, plan, labels, parent } = ctx;
    const namespace = args.namespace;
    const agentConfigMap = configMap(ctx, plan.agent);
    const gatewayConfigMap = configMap(ctx, plan.gateway);

    const agent = new k8s.apps.v1.DaemonSet(
        `${ctx.name}-agent`,
        {
            metadata: { name: plan.agent.names.workload, namespace, labels },
            spec: {
                selector: { matchLabels: selectorLabels(namespace, plan.agent.names) },
                updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                template: podTemplate(ctx, plan.agent, agentConfigMap, identity.agentServiceAccount),
            },
        },
        // Started before its binding, the agent logs permission errors instead of attributing telemetry.
        { parent, dependsOn: [identity.clusterRoleBinding] },
    );

    const gatewaySelector = selectorLabels(namespace, plan.gateway.names);
    const gatewayTemplate = podTemplate(ctx, plan.gateway, gatewayConfigMap, identity.gatewayServiceAccount);
    const gateway = new k8s.apps.v1.Deployment(
        `${ctx.name}-gateway`,
        {
            metadata: { name: plan.gateway.names.workload, namespace, labels },
            spec: {
                replicas: plan.gateway.replicas,
                selector: { matchLabels: gatewaySelector },
                // Never below the desired count: a missing replica drops the traces routed to it until the
                // agents' DNS resolver notices.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    ...gatewayTemplate,
                    spec: {
                        ...gatewayTemplate.spec,
                        topologySpreadConstraints: [
                            {
                                maxSkew: 1,
                                topologyKey: "kubernetes.io/hostname",
                                whenUnsatisfiable: "ScheduleAnyway",
                                labelSelector: { matchLabels: gatewaySelector },
                            },
                        ],
                    },
                },
            },
        },
        { parent },
    );

    const gatewayService = new k8s.core.v1.Service(
        `${ctx.name}-gateway`,
        {
            metadata: { name: plan.gateway.names.service, namespace, labels },
            spec: { type: "ClusterIP", selector: gatewaySelector, ports: otlpServicePorts() },
        },
        { parent },
    );
    // The agents' loadbalancing exporter resolves this to the ready gateway pods and hashes trace ids over them.
    const gatewayHeadlessService = new k8s.core.v1.Service(
        `${ctx.name}-gateway-headless`,
        {
            metadata: { name: plan.gateway.names.headlessService, namespace, labels },
            spec: { clusterIP: "None", selector: gatewaySelector, ports: otlpServicePorts() },
        },
        { parent },
    );

    return { agentConfigMap, gatewayConfigMap, agent, gateway, gatewayService, gatewayHeadlessService };
}
