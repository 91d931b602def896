/**
 * Everything the component deploys, decided without Pulumi: names, rendered configurations, environment and
 * sizing of both tiers. The two deployment modes only differ in how they turn this plan into objects.
 */
import type { ResourceSpec } from "../common";
import { buildAgentConfig, NODE_NAME_ENV } from "./agent-config";
import { POD_IP_ENV } from "./config-common";
import { buildGatewayConfig, POD_NAME_ENV } from "./gateway-config";
import { lintCollectorConfig } from "./lint";
import { goMemLimit } from "./memory";
import type { CollectorConfig } from "./model";
import { agentNodeLocalServiceName, agentPodSelector, serviceDns, type Tier, type TierNames, tierNames } from "./names";
import type { ParsedOtelCollectorArgs } from "./schema";
import { collectorConfigYaml } from "./serialize";
import { type WorkloadEnvVar, workloadEnv } from "./workload-env";

/** A container environment variable: a literal or a field of the pod. */
export type CollectorEnvVar = { name: string; value: string } | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

export interface TierPlan {
    tier: Tier;
    names: TierNames;
    config: CollectorConfig;
    configYaml: string;
    resources: ResourceSpec;
    env: CollectorEnvVar[];
    /** Gateway only; the agent runs one pod per node. */
    replicas?: number;
}

export interface CollectorPlan {
    agent: TierPlan;
    gateway: TierPlan;
    /** DNS name of the node-local agent Service the workloads send to. */
    agentEndpoint: string;
    /** DNS name of the gateway's ClusterIP Service. */
    gatewayEndpoint: string;
    /** Labels of the agent pods (both modes), for NetworkPolicies that let workloads reach them. */
    agentSelector: Record<string, string>;
    workloadEnv: WorkloadEnvVar[];
}

const fromField = (name: string, fieldPath: string): CollectorEnvVar => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
});

function tierEnv(tier: Tier, resources: ResourceSpec): CollectorEnvVar[] {
    return [
        fromField(POD_IP_ENV, "status.podIP"),
        tier === "agent" ? fromField(NODE_NAME_ENV, "spec.nodeName") : fromField(POD_NAME_ENV, "metadata.name"),
        { name: "GOMEMLIMIT", value: goMemLimit(resources.memoryLimit) },
    ];
}

function tierPlan(tier: Tier, args: ParsedOtelCollectorArgs, config: CollectorConfig): TierPlan {
    const problems = lintCollectorConfig(config);
    // Only reachable through a bug in the builders, never through user input (which the schema has checked).
    if (problems.length > 0) {
        throw new Error(`rendered ${tier} collector configuration is unsound:\n  ${problems.join("\n  ")}`);
    }
    const resources = args[tier].resources;
    return {
        tier,
        names: tierNames(args.baseName, tier),
        config,
        configYaml: collectorConfigYaml(config),
        resources,
        env: tierEnv(tier, resources),
        ...(tier === "gateway" ? { replicas: args.gateway.replicas } : {}),
    };
}

export function planCollectors(args: ParsedOtelCollectorArgs): CollectorPlan {
    const agentEndpoint = serviceDns(agentNodeLocalServiceName(args.baseName), args.namespace);
    return {
        agent: tierPlan("agent", args, buildAgentConfig(args)),
        gateway: tierPlan("gateway", args, buildGatewayConfig(args)),
        agentEndpoint,
        gatewayEndpoint: serviceDns(tierNames(args.baseName, "gateway").service, args.namespace),
        agentSelector: agentPodSelector(args),
        workloadEnv: workloadEnv(agentEndpoint),
    };
}
