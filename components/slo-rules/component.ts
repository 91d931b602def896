/**
 * `gray-release:index:SloRules`: a thin Pulumi wrapper around the pure generator. It validates its input
 * before creating anything, then creates a prometheus-operator PrometheusRule and a Grafana dashboard ConfigMap.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "../common/validation";
import { buildDashboard } from "./dashboard";
import { generateRuleGroups } from "./generator";
import { renderRuleFile, toPrometheusRule } from "./render";
import { type SloRulesArgs, sloRulesArgsSchema, toSloRulesSpec } from "./schema";
import type { RuleGroup, SloRulesSpec } from "./types";

export type { SloRulesArgs };

/** ConfigMap label the Grafana dashboard sidecar watches. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Validates the component input (spec and placement together, every problem at once) and compiles the spec. */
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
    /** The validated, defaulted spec. */
    public readonly spec: SloRulesSpec;

    constructor(name: string, args: SloRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so invalid input creates nothing.
        const parsed = parseSloRulesArgs(name, args);
        super("gray-release:index:SloRules", name, {}, opts);
        this.spec = parsed.spec;
        this.ruleGroups = generateRuleGroups(parsed.spec);
        this.ruleFileYaml = renderRuleFile(this.ruleGroups);

        const rule = toPrometheusRule(this.ruleGroups, {
            name: `${parsed.spec.service}-slo-rules`,
            namespace: parsed.namespace,
            labels: { "app.kubernetes.io/managed-by": "gray-release", "gray-release/service": parsed.spec.service, ...parsed.ruleLabels },
        });
        this.prometheusRule = new k8s.apiextensions.CustomResource(`${name}-rules`, { ...rule }, { parent: this });

        if (parsed.spec.dashboard) {
            const dashboard = buildDashboard(parsed.spec, parsed.spec.dashboard.title);
            this.dashboardConfigMap = new k8s.core.v1.ConfigMap(
                `${name}-dashboard`,
                {
                    metadata: {
                        name: `${parsed.spec.service}-slo-dashboard`,
                        namespace: parsed.namespace,
                        labels: { ...GRAFANA_DASHBOARD_LABEL, "app.kubernetes.io/managed-by": "gray-release" },
                        ...(parsed.spec.dashboard.folder ? { annotations: { grafana_folder: parsed.spec.dashboard.folder } } : {}),
                    },
                    data: { [`${parsed.spec.service}-gray-release.json`]: JSON.stringify(dashboard, null, 2) },
                },
                { parent: this },
            );
        }

        this.registerOutputs({
            prometheusRuleName: this.prometheusRule.metadata.name,
            dashboardConfigMapName: this.dashboardConfigMap?.metadata.name,
            ruleFileYaml: this.ruleFileYaml,
        });
    }
}
