/**
 * `gray-release:index:SloRules`: a thin Pulumi wrapper around the pure generator. It validates its input
 * before creating anything, then creates a prometheus-operator PrometheusRule and a Grafana dashboard ConfigMap.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { InvalidArgsError, parseArgs } from "../common/validation";
import { buildDashboard } from "./dashboard";
import { generateRuleGroups } from "./generator";
import { renderRuleFile, toPrometheusRule } from "./render";
import { resolveSloRulesSpec } from "./schema";
import type { RuleGroup, SloRulesSpec, SloRulesSpecArgs } from "./types";

/** Input of {@link SloRules}: the generator's spec plus where to put the Kubernetes objects. */
export interface SloRulesArgs extends SloRulesSpecArgs {
    /** Namespace of the PrometheusRule and of the dashboard ConfigMap (where the Grafana sidecar looks). */
    namespace: string;
    /** Labels on the PrometheusRule, e.g. `{ release: "kube-prometheus-stack" }` for the operator's ruleSelector. */
    ruleLabels?: Record<string, string>;
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const componentOnlySchema = z
    .object({
        namespace: z.string().max(63).regex(K8S_NAME, { message: "expected a Kubernetes namespace name" }),
        ruleLabels: z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, {
            message: "invalid Kubernetes label key",
        }), z.string().max(63)).optional(),
    });

/** ConfigMap label the Grafana dashboard sidecar watches. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Validates the component input, reporting the problems of both parts together. */
export function parseSloRulesArgs(name: string, args: unknown): { spec: SloRulesSpec; namespace: string; ruleLabels: Record<string, string> } {
    const subject = `SloRules "${name}"`;
    const obj = (args !== null && typeof args === "object" ? args : {}) as Record<string, unknown>;
    const { namespace, ruleLabels, ...rest } = obj;
    const problems: InvalidArgsError["problems"][number][] = [];
    let own: z.output<typeof componentOnlySchema> | undefined;
    let spec: SloRulesSpec | undefined;
    try {
        own = parseArgs(subject, componentOnlySchema, { namespace, ruleLabels });
    } catch (e) {
        if (!(e instanceof InvalidArgsError)) throw e;
        problems.push(...e.problems);
    }
    try {
        spec = resolveSloRulesSpec(rest, subject);
    } catch (e) {
        if (!(e instanceof InvalidArgsError)) throw e;
        problems.push(...e.problems);
    }
    if (problems.length > 0 || !own || !spec) throw new InvalidArgsError(subject, problems);
    return { spec, namespace: own.namespace, ruleLabels: own.ruleLabels ?? {} };
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
