/** Rendering of rule groups: Prometheus rule-file YAML (promtool, Prometheus, Thanos ruler) and PrometheusRule. */
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { stringify } from "yaml";
import type { Rule, RuleGroup } from "./types";

function plainRule(rule: Rule): Record<string, unknown> {
    // Fixed key order, absent keys left out: the file reads like a hand-written one.
    const out: Record<string, unknown> = {};
    if ("record" in rule) out["record"] = rule.record;
    else {
        out["alert"] = rule.alert;
    }
    out["expr"] = rule.expr;
    if ("for" in rule && rule.for !== undefined) out["for"] = rule.for;
    if (rule.labels && Object.keys(rule.labels).length > 0) out["labels"] = { ...rule.labels };
    if ("annotations" in rule && rule.annotations) out["annotations"] = { ...rule.annotations };
    return out;
}

function plainGroups(groups: readonly RuleGroup[]): Array<Record<string, unknown>> {
    return groups.map((g) => ({
        name: g.name,
        ...(g.interval !== undefined ? { interval: g.interval } : {}),
        rules: g.rules.map(plainRule),
    }));
}

/** Renders rule groups as a Prometheus rule file (`groups:` YAML), as loaded by Prometheus or a Thanos ruler. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
    return stringify({ groups: plainGroups(groups) }, { lineWidth: 0 });
}

/** Metadata of a generated PrometheusRule. */
export interface PrometheusRuleMetadata {
    /** Object name. */
    name: string;
    /** Namespace. */
    namespace: string;
    /** Labels (e.g. those the operator's `ruleSelector` matches). */
    labels?: Record<string, string>;
}

/** The rule groups as a typed prometheus-operator PrometheusRule object (monitoring.coreos.com/v1). */
export function toPrometheusRule(groups: readonly RuleGroup[], metadata: PrometheusRuleMetadata): IPrometheusRule {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: {
            name: metadata.name,
            namespace: metadata.namespace,
            ...(metadata.labels ? { labels: { ...metadata.labels } } : {}),
        },
        spec: { groups: plainGroups(groups) as NonNullable<IPrometheusRule["spec"]["groups"]> },
    };
}
