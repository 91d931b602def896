/** NetworkPolicy peers shared by the components that write NetworkPolicies. */
import type * as k8s from "@pulumi/kubernetes";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Selects a namespace by the label the API server sets on every namespace (Kubernetes ≥ 1.21). */
export function namespacePeer(namespace: string, podSelector?: Record<string, string>): NetworkPolicyPeer {
    const peer: NetworkPolicyPeer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
    if (podSelector !== undefined && Object.keys(podSelector).length > 0) peer.podSelector = { matchLabels: podSelector };
    return peer;
}
