/**
 * `gray-release:index:SloRules`: a thin Pulumi wrapper around the pure generator. It validates its input
 * before creating anything, then creates a prometheus-operator PrometheusRule and a Grafana dashboard ConfigMap.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseInputArgs } from "../common/inputs";
import { parseArgs } from "../common/validation";
import { buildDashboard } from "./dashboard";
import { generateRuleGroups } from "./generator";
import { renderRuleFile, toPrometheusRule } from "./render";
import { type SloRulesArgs, sloRulesArgsSchema, sloRulesInputFields, toSloRulesSpec } from "./schema";
import type { RuleGroup, SloRulesSpec } from "./types";

export type { SloRulesArgs };

/** ConfigMap label the Grafana dashboard sidecar watches. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/**
 * Validates plain component input (spec and placement together, every problem at once) and compiles the spec.
 * The component itself also takes an Output `namespace`, checked when it resolves.
 */
export function parseSloRulesArgs(name: string, args: unknown): { spec: SloRulesSpec; namespace: string; ruleLabels: Record<string, string> } {
    const { namespace, ruleLabels, ...spec } = parseArgs(`SloRules "${name}"`, sloRulesArgsSchema, args);
    return { spec: toSloRulesSpec(spec), namespace, ruleLabels };
}

/**
 * SLO recording and burn-rate alerting rules, canary-vs-stable rules and a Grafana dashboard for one service.
 */
export class SloRules extends pulumi.ComponentResource {
    /** The prometheus-operator PrometheusRule holding every rule group. */
    public readonly prometheusRule: k8s.apiextensions.CustomResource;
    /** The Grafana dashboard ConfigMap (label `grafana_dashboard: "1"`), unless disabled. */
    public readonly dashboardConfigMap: k8s.core.v1.ConfigMap | undefined;
    /** The generated rule groups (plain data, known at construction time). */
    public readonly ruleGroups: RuleGroup[];
    /** The same groups as a Prometheus rule file, e.g. for a Thanos ruler. */
    public readonly ruleFileYaml: string;
    /** Name of the PrometheusRule. */
    public readonly prometheusRuleName: pulumi.Output<string>;
    /** Namespace of the PrometheusRule and of the dashboard ConfigMap. */
    public readonly namespace: pulumi.Output<string>;
    /** The validated, defaulted spec. */
    public readonly spec: SloRulesSpec;

    constructor(name: string, args: SloRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so invalid plain input creates nothing; an Output namespace is
        // validated (with the rest) when it resolves, and the objects' metadata waits for it.
        const { resolved, shape } = parseInputArgs(`SloRules "${name}"`, sloRulesArgsSchema, args, sloRulesInputFields);
        const { namespace: _standIn, ruleLabels, ...specArgs } = shape;
        const spec = toSloRulesSpec(specArgs);
        super("gray-release:index:SloRules", name, {}, opts);
        this.spec = spec;
        this.ruleGroups = generateRuleGroups(spec);
        this.ruleFileYaml = renderRuleFile(this.ruleGroups);
        const ruleGroups = this.ruleGroups;

        const rule = (namespace: string) =>
            toPrometheusRule(ruleGroups, {
                name: `${spec.service}-slo-rules`,
                namespace,
                labels: { "app.kubernetes.io/managed-by": "gray-release", "gray-release/service": spec.service, ...ruleLabels },
            });
        const { apiVersion, kind, spec: ruleSpec } = rule(shape.namespace);
        this.prometheusRule = new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            { apiVersion, kind, metadata: resolved.apply((a) => ({ ...rule(a.namespace).metadata })), spec: ruleSpec },
            { parent: this },
        );

        if (spec.dashboard) {
            const dashboard = buildDashboard(spec, spec.dashboard.title);
            this.dashboardConfigMap = new k8s.core.v1.ConfigMap(
                `${name}-dashboard`,
                {
                    metadata: {
                        name: `${spec.service}-slo-dashboard`,
                        namespace: resolved.namespace,
                        labels: { ...GRAFANA_DASHBOARD_LABEL, "app.kubernetes.io/managed-by": "gray-release" },
                        ...(spec.dashboard.folder ? { annotations: { grafana_folder: spec.dashboard.folder } } : {}),
                    },
                    data: { [`${spec.service}-gray-release.json`]: JSON.stringify(dashboard, null, 2) },
                },
                { parent: this },
            );
        }
        this.namespace = this.prometheusRule.metadata.namespace;
        this.prometheusRuleName = this.prometheusRule.metadata.name;

        this.registerOutputs({
            prometheusRuleName: this.prometheusRuleName,
            namespace: this.namespace,
            dashboardConfigMapName: this.dashboardConfigMap?.metadata.name,
            ruleFileYaml: this.ruleFileYaml,
        });
    }
}
