/**
 * The Service the workloads send to. internalTrafficPolicy Local keeps each pod's telemetry on its own node's
 * agent, which is the only agent that can attribute it: the agent watches only its node's pods.
 */
import * as k8s from "@pulumi/kubernetes";
import type { BuildContext } from "./context";
import { agentNodeLocalServiceName, selectorLabels } from "./names";
import { otlpServicePorts } from "./pod";

export function createAgentService(ctx: BuildContext): k8s.core.v1.Service {
    const { args, plan, labels, parent } = ctx;
    return new k8s.core.v1.Service(
        `${ctx.name}-agent-node-local`,
        {
            metadata: { name: agentNodeLocalServiceName(args.baseName), namespace: args.namespace, labels },
            spec: {
                type: "ClusterIP",
                internalTrafficPolicy: "Local",
                selector: selectorLabels(args.namespace, plan.agent.names),
                ports: otlpServicePorts(),
            },
        },
        { parent },
    );
}
