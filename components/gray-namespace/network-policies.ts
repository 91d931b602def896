/**
 * NetworkPolicies of a gray namespace: deny everything, then allow exactly what a meshed canary needs.
 * NetworkPolicies are additive, so each allowance is its own object and can be read (and audited) alone.
 */
import type * as k8s from "@pulumi/kubernetes";
import { namespacePeer } from "../common/network-peer";

export { namespacePeer };

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/** Inputs of {@link buildNetworkPolicies}. */
export interface NetworkPolicyInput {
    /** Mesh control plane namespace, istiod ports and gateway namespaces. */
    mesh: { namespace: string; controlPlanePorts: number[]; gatewayNamespaces: string[] };
    /** Cluster DNS. */
    dns: { namespace: string; podSelector: Record<string, string>; port: number };
    /** Prometheus. */
    monitoring: { enabled: boolean; namespace: string; ports: number[] };
    /** The OpenTelemetry collector agent. */
    telemetry: { enabled: boolean; namespace: string; podSelector?: Record<string, string> | undefined; ports: number[] };
    /** Backing services shared with stable. */
    sharedServices: ReadonlyArray<{
        namespace: string;
        podSelector?: Record<string, string> | undefined;
        ports: number[];
        protocol: "TCP" | "UDP";
    }>;
}

/** One NetworkPolicy: a short name (unique in the namespace) and its spec. */
export interface NamedNetworkPolicy {
    /** Object name. */
    name: string;
    /** Spec. */
    spec: NetworkPolicySpec;
}

function portList(ports: ReadonlyArray<number>, protocol: "TCP" | "UDP" = "TCP"): NetworkPolicyPort[] {
    return ports.map((port) => ({ protocol, port }));
}

const ALL_PODS = {};

/** Builds every NetworkPolicy of the namespace, default deny first. */
export function buildNetworkPolicies(input: NetworkPolicyInput): NamedNetworkPolicy[] {
    const policies: NamedNetworkPolicy[] = [
        { name: "default-deny-all", spec: { podSelector: ALL_PODS, policyTypes: ["Ingress", "Egress"] } },
        {
            name: "allow-same-namespace",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: ALL_PODS }] }],
                egress: [{ to: [{ podSelector: ALL_PODS }] }],
            },
        },
        {
            name: "allow-dns-egress",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [namespacePeer(input.dns.namespace, input.dns.podSelector)],
                        ports: [...portList([input.dns.port], "UDP"), ...portList([input.dns.port], "TCP")],
                    },
                ],
            },
        },
        {
            name: "allow-mesh-control-plane",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: input.mesh.gatewayNamespaces.length > 0 ? ["Ingress", "Egress"] : ["Egress"],
                egress: [{ to: [namespacePeer(input.mesh.namespace)], ports: portList(input.mesh.controlPlanePorts) }],
                // Gateways forward to the pods' own ports, which vary per service: the peer is restricted, not the port.
                ...(input.mesh.gatewayNamespaces.length > 0
                    ? { ingress: [{ from: input.mesh.gatewayNamespaces.map((ns) => namespacePeer(ns)) }] }
                    : {}),
            },
        },
    ];
    if (input.monitoring.enabled) {
        policies.push({
            name: "allow-monitoring-scrape",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespacePeer(input.monitoring.namespace)], ports: portList(input.monitoring.ports) }],
            },
        });
    }
    if (input.telemetry.enabled) {
        policies.push({
            name: "allow-telemetry-egress",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: ["Egress"],
                egress: [{ to: [namespacePeer(input.telemetry.namespace, input.telemetry.podSelector)], ports: portList(input.telemetry.ports) }],
            },
        });
    }
    if (input.sharedServices.length > 0) {
        policies.push({
            name: "allow-shared-services",
            spec: {
                podSelector: ALL_PODS,
                policyTypes: ["Egress"],
                egress: input.sharedServices.map((s) => ({
                    to: [namespacePeer(s.namespace, s.podSelector)],
                    ports: portList(s.ports, s.protocol),
                })),
            },
        });
    }
    return policies;
}
