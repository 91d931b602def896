// Public API of the SLO rules component: pure generator (spec -> rule groups -> YAML / PrometheusRule /
// dashboard) and the thin `SloRules` Pulumi component.
export * from "./types";
export { SLO_RULES_DEFAULTS, BASE_WINDOW } from "./defaults";
export { isSingleUnitDuration } from "./durations";
export { burnRateFactor, budgetConsumed } from "./burn-rate";
export {
    sloRulesSpecSchema,
    sloRulesArgsSchema,
    resolveSloRulesSpec,
    toSloRulesSpec,
    type SloRulesSpecArgs,
    type ResolvedSloRulesSpecArgs,
    type ResolvedSloRulesArgs,
    type ErrorRatioSliArgs,
    type LatencySliArgs,
    type SliArgs,
    type SloArgs,
    type BurnWindowArgs,
    type BurnAlertPolicyArgs,
    type SloAlertingArgs,
    type CanaryRestartsArgs,
    type CanaryRulesArgs,
    type ResolvedCanaryRulesArgs,
    type ResolvedSloArgs,
    type DashboardArgs,
} from "./schema";
export { generateRuleGroups, sloRuleGroups, canaryRuleGroup, recordedWindows, SLO_METRICS, ALERT_NAMES } from "./generator";
export { renderRuleFile, toPrometheusRule, type PrometheusRuleMetadata } from "./render";
export { buildDashboard, type GrafanaDashboard, type GrafanaPanel, type GrafanaTarget } from "./dashboard";
export { SloRules, parseSloRulesArgs, GRAFANA_DASHBOARD_LABEL, type SloRulesArgs } from "./component";
