/**
 * OpenTelemetry Collectors for SLO-gated canary releases: a per-node agent and a tail-sampling gateway that
 * keeps every canary trace, plus errors, slow traces and a share of the rest, and turns every span into RED
 * metrics labelled with `service.version`, so canary and stable can be compared even without Istio.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseInputArgs } from "../common/inputs";
import { createAgentService } from "./agent-service";
import type { BuildContext } from "./context";
import { createIdentity } from "./identity";
import { createCollectorGuards } from "./network";
import { createOperatorObjects } from "./operator";
import { createPlainObjects } from "./plain";
import { planCollectors } from "./plan";
import type { CollectorMode, OtelCollectorArgs } from "./schema";
import { otelCollectorArgsSchema, otelCollectorInputFields } from "./schema";
import type { WorkloadEnvVar } from "./workload-env";

export const OTEL_COLLECTOR_TYPE = "gray-release:index:OtelCollector";

export class OtelCollector extends pulumi.ComponentResource {
    /** Namespace the collectors run in. */
    public readonly namespace: pulumi.Output<string>;
    /** How the collectors were deployed. */
    public readonly mode: pulumi.Output<CollectorMode>;
    /** DNS name of the node-local agent Service (OTLP gRPC 4317, HTTP 4318); workloads send here. */
    public readonly agentEndpoint: pulumi.Output<string>;
    /** DNS name of the gateway's ClusterIP Service (OTLP gRPC 4317, HTTP 4318). */
    public readonly gatewayEndpoint: pulumi.Output<string>;
    /** The agent's collector configuration, as deployed. */
    public readonly agentConfigYaml: pulumi.Output<string>;
    /** The gateway's collector configuration, as deployed. */
    public readonly gatewayConfigYaml: pulumi.Output<string>;
    /**
     * Environment every instrumented workload should set: `OTEL_PROPAGATORS=tracecontext,baggage,b3multi` (accept
     * W3C `traceparent` and B3 `x-b3-*`, emit both), and the OTLP endpoint of the node-local agent.
     */
    public readonly workloadEnv: pulumi.Output<WorkloadEnvVar[]>;
    /** {@link workloadEnv} as a name → value map: what CanaryWorkload's `env` takes. */
    public readonly workloadEnvironment: pulumi.Output<Record<string, string>>;
    /**
     * Namespaces this collector declares it serves (`undefined`: every namespace). Informational, for policies:
     * see {@link OtelCollectorArgs.watchedNamespaces}.
     */
    public readonly watchedNamespaces: pulumi.Output<string[] | undefined>;

    constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated before super(): a rejected plain input must leave nothing registered, not even the component.
        // The endpoints given as Outputs are validated when they resolve; the configurations wait for them.
        const { resolved, shape: parsed } = parseInputArgs(`OtelCollector "${name}"`, otelCollectorArgsSchema, args, otelCollectorInputFields);
        const plan = planCollectors(parsed);
        const resolvedPlan = resolved.apply(planCollectors);
        // The declared coverage is the component's input: resource policies see a component's inputs.
        const watchedNamespaces = parsed.watchedNamespaces === undefined ? undefined : [...parsed.watchedNamespaces];
        super(OTEL_COLLECTOR_TYPE, name, watchedNamespaces === undefined ? {} : { watchedNamespaces }, opts);

        const ctx: BuildContext = {
            name,
            args: parsed,
            plan,
            resolvedPlan,
            labels: {
                ...parsed.labels,
                "app.kubernetes.io/managed-by": "pulumi",
                "app.kubernetes.io/part-of": "gray-release",
            },
            parent: this,
        };
        const identity = createIdentity(ctx);
        const agentService = createAgentService(ctx);
        if (parsed.mode === "operator") createOperatorObjects(ctx, identity);
        else createPlainObjects(ctx, identity);
        createCollectorGuards(ctx);

        this.namespace = pulumi.output(parsed.namespace);
        this.mode = pulumi.output(parsed.mode);
        this.agentEndpoint = pulumi.output(plan.agentEndpoint);
        this.gatewayEndpoint = pulumi.output(plan.gatewayEndpoint);
        this.agentConfigYaml = resolvedPlan.agent.configYaml;
        this.gatewayConfigYaml = resolvedPlan.gateway.configYaml;
        // Through the agent Service, so a workload given this environment is created after the Service it names.
        this.workloadEnv = agentService.metadata.name.apply(() => plan.workloadEnv);
        this.workloadEnvironment = this.workloadEnv.apply((env) => Object.fromEntries(env.map((e) => [e.name, e.value])));
        this.watchedNamespaces = pulumi.output(watchedNamespaces);
        // Stack policies see a component's outputs: `watchedNamespaces` absent means every namespace.
        this.registerOutputs({
            namespace: this.namespace,
            mode: this.mode,
            agentEndpoint: this.agentEndpoint,
            gatewayEndpoint: this.gatewayEndpoint,
            agentConfigYaml: this.agentConfigYaml,
            gatewayConfigYaml: this.gatewayConfigYaml,
            workloadEnv: this.workloadEnv,
            workloadEnvironment: this.workloadEnvironment,
            ...(watchedNamespaces === undefined ? {} : { watchedNamespaces: this.watchedNamespaces }),
        });
    }
}
