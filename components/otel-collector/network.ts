/**
 * Who may talk to the collectors, and how many gateway pods a voluntary disruption may take. Decided here without
 * Pulumi; `createCollectorGuards` turns it into objects. Both modes label their pods alike, so the same objects
 * guard plain and operator-managed collectors.
 */
import * as k8s from "@pulumi/kubernetes";
import { namespacePeer } from "../common/network-peer";
import type { BuildContext } from "./context";
import { HEALTH_CHECK_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "./defaults";
import { selectorLabels } from "./names";
import type { ParsedOtelCollectorArgs } from "./schema";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** A NetworkPolicy's object name and spec. */
export interface CollectorNetworkPolicy {
    name: string;
    spec: NetworkPolicySpec;
}

const OTLP_PORTS = [
    { protocol: "TCP", port: OTLP_GRPC_PORT },
    { protocol: "TCP", port: OTLP_HTTP_PORT },
];
// Kubelet probes come from the node, which NetworkPolicy peers cannot name portably: the health port stays open.
const HEALTH_RULE = { ports: [{ protocol: "TCP", port: HEALTH_CHECK_PORT }] };

/** Peers allowed to send OTLP to the agents: the watched namespaces, or every namespace. */
function senders(watched: readonly string[] | undefined): NetworkPolicyPeer[] {
    if (watched === undefined || watched.includes("*")) return [{ namespaceSelector: {} }];
    return watched.map((ns) => namespacePeer(ns));
}

/**
 * The agents accept OTLP from the watched namespaces (every namespace when unset); the gateway accepts it only
 * from the agents, whose load-balancing exporter is the one sender that keeps a trace on one gateway replica.
 */
export function buildCollectorNetworkPolicies(
    args: ParsedOtelCollectorArgs,
    agentSelector: Record<string, string>,
    gatewaySelector: Record<string, string>,
): CollectorNetworkPolicy[] {
    return [
        {
            name: `${args.baseName}-agent-ingress`,
            spec: {
                podSelector: { matchLabels: agentSelector },
                policyTypes: ["Ingress"],
                ingress: [{ from: senders(args.watchedNamespaces), ports: OTLP_PORTS }, HEALTH_RULE],
            },
        },
        {
            name: `${args.baseName}-gateway-ingress`,
            spec: {
                podSelector: { matchLabels: gatewaySelector },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: agentSelector } }], ports: OTLP_PORTS }, HEALTH_RULE],
            },
        },
    ];
}

/** NetworkPolicies (unless disabled) and, with two or more gateway replicas, the gateway's PodDisruptionBudget. */
export function createCollectorGuards(ctx: BuildContext): void {
    const { args, plan, labels, parent } = ctx;
    const namespace = args.namespace;
    const gatewaySelector = selectorLabels(namespace, plan.gateway.names);
    if (args.networkPolicies) {
        for (const p of buildCollectorNetworkPolicies(args, plan.agentSelector, gatewaySelector)) {
            new k8s.networking.v1.NetworkPolicy(`${ctx.name}-${p.name}`, { metadata: { name: p.name, namespace, labels }, spec: p.spec }, { parent });
        }
    }
    // One replica at a time, so a node drain never takes every gateway (and the traces waiting in them) at once.
    if ((plan.gateway.replicas ?? 1) >= 2) {
        new k8s.policy.v1.PodDisruptionBudget(
            `${ctx.name}-gateway`,
            {
                metadata: { name: plan.gateway.names.workload, namespace, labels },
                spec: { maxUnavailable: 1, selector: { matchLabels: gatewaySelector } },
            },
            { parent },
        );
    }
}
