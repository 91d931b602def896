/** ServiceAccounts of both tiers and the agent's read-only cluster permissions; identical in both modes. */
import * as k8s from "@pulumi/kubernetes";
import type { BuildContext } from "./context";
import { clusterRoleName } from "./names";
import { k8sAttributesRules } from "./rbac";

export interface Identity {
    agentServiceAccount: k8s.core.v1.ServiceAccount;
    gatewayServiceAccount: k8s.core.v1.ServiceAccount;
    clusterRole: k8s.rbac.v1.ClusterRole;
    clusterRoleBinding: k8s.rbac.v1.ClusterRoleBinding;
}

export function createIdentity(ctx: BuildContext): Identity {
    const { args, plan, labels, parent } = ctx;
    const namespace = args.namespace;
    const agentServiceAccount = new k8s.core.v1.ServiceAccount(
        `${ctx.name}-agent`,
        { metadata: { name: plan.agent.names.serviceAccount, namespace, labels } },
        { parent },
    );
    // The gateway never talks to the API server, so it gets no token to leak.
    const gatewayServiceAccount = new k8s.core.v1.ServiceAccount(
        `${ctx.name}-gateway`,
        {
            metadata: { name: plan.gateway.names.serviceAccount, namespace, labels },
            automountServiceAccountToken: false,
        },
        { parent },
    );
    const roleName = clusterRoleName(namespace, args.baseName);
    const clusterRole = new k8s.rbac.v1.ClusterRole(
        `${ctx.name}-k8sattributes`,
        { metadata: { name: roleName, labels }, rules: k8sAttributesRules() },
        { parent },
    );
    const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
        `${ctx.name}-k8sattributes`,
        {
            metadata: { name: roleName, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: agentServiceAccount.metadata.name, namespace }],
        },
        { parent },
    );
    return { agentServiceAccount, gatewayServiceAccount, clusterRole, clusterRoleBinding };
}
