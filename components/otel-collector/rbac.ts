/**
 * Permissions of the agent's k8sattributes processor: read-only, and only the kinds it reads. Replicasets
 * are needed to resolve a pod's Deployment name (pod -> ReplicaSet -> Deployment). The gateway gets none.
 */
import type * as k8s from "@pulumi/kubernetes";

export function k8sAttributesRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["pods", "namespaces", "nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    ];
}
