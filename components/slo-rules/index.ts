// Public API of the SLO rules component: pure generator (spec -> rule groups -> YAML / PrometheusRule /
// dashboard) and the thin `SloRules` Pulumi component.

export { budgetConsumed, burnRateFactor } from "./burn-rate";
export { GRAFANA_DASHBOARD_LABEL, parseSloRulesArgs, SloRules, type SloRulesArgs } from "./component";
export { buildDashboard, DASHBOARD_DATASOURCE, type GrafanaDashboard, type GrafanaPanel, type GrafanaTarget } from "./dashboard";
export { BASE_WINDOW, SLO_RULES_DEFAULTS } from "./defaults";
export { isSingleUnitDuration } from "./durations";
export { ALERT_NAMES, canaryRuleGroup, generateRuleGroups, recordedWindows, SLO_METRICS, sloRuleGroups } from "./generator";
export { type PrometheusRuleMetadata, renderRuleFile, toPrometheusRule } from "./render";
export {
    type BurnAlertPolicyArgs,
    type BurnWindowArgs,
    type CanaryRestartsArgs,
    type CanaryRulesArgs,
    type DashboardArgs,
    type ErrorRatioSliArgs,
    type LatencySliArgs,
    type PlainSloRulesArgs,
    type ResolvedCanaryRulesArgs,
    type ResolvedSloArgs,
    type ResolvedSloRulesArgs,
    type ResolvedSloRulesSpecArgs,
    resolveSloRulesSpec,
    type SliArgs,
    type SloAlertingArgs,
    type SloArgs,
    type SloRulesSpecArgs,
    sloRulesArgsSchema,
    sloRulesInputFields,
    sloRulesSpecSchema,
    toSloRulesSpec,
} from "./schema";
export * from "./types";
