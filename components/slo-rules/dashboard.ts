/**
 * Pure Grafana dashboard builder: canary vs stable side by side (traffic ratio, error rates and delta,
 * p95/p99, restarts) and, per SLO, burn rates and error budget left. Reads only the recorded series.
 */
import { ALERT_NAMES, num, SLO_METRICS } from "./generator";
import type { SloRulesSpec } from "./types";

/** One PromQL query of a panel. */
export interface GrafanaTarget {
    /** PromQL. */
    expr: string;
    /** Legend template. */
    legendFormat: string;
    /** Query id within the panel. */
    refId: string;
}

/** A dashboard panel (the subset of Grafana's model this package uses). */
export interface GrafanaPanel {
    /** Panel id, unique in the dashboard. */
    id: number;
    /** Panel type: `timeseries`, `stat`, `row`. */
    type: "timeseries" | "stat" | "row";
    /** Title. */
    title: string;
    /** Position on the 24-column grid. */
    gridPos: { x: number; y: number; w: number; h: number };
    /** Data source (the `datasource` template variable). */
    datasource?: { type: "prometheus"; uid: string };
    /** Queries. */
    targets?: GrafanaTarget[];
    /** Field config: unit, thresholds. */
    fieldConfig?: {
        defaults: {
            unit?: string;
            min?: number;
            max?: number;
            thresholds?: { mode: "absolute"; steps: Array<{ color: string; value: number | null }> };
        };
        overrides: unknown[];
    };
    /** Free-form description. */
    description?: string;
}

/** A Grafana dashboard JSON model. */
export interface GrafanaDashboard {
    /** Stable uid (≤ 40 characters). */
    uid: string;
    /** Title. */
    title: string;
    /** Tags. */
    tags: string[];
    /** Grafana schema version. */
    schemaVersion: number;
    /** Default time range. */
    time: { from: string; to: string };
    /** Refresh interval. */
    refresh: string;
    /** Template variables (the Prometheus data source). */
    templating: { list: Array<Record<string, unknown>> };
    /** Alert annotations overlay. */
    annotations: { list: Array<Record<string, unknown>> };
    /** Panels. */
    panels: GrafanaPanel[];
}

/** The panels' data source: the dashboard's `datasource` variable (Grafana's, not a template string). */
export const DASHBOARD_DATASOURCE = { type: "prometheus" as const, uid: "${datasource}" };
const DS = DASHBOARD_DATASOURCE;

/** Builds the dashboard for a resolved spec. */
export function buildDashboard(spec: SloRulesSpec, title = spec.dashboard?.title ?? spec.service): GrafanaDashboard {
    const svc = `service="${spec.service}"`;
    const panels: GrafanaPanel[] = [];
    let id = 1;
    let y = 0;
    const row = (t: string) => {
        panels.push({ id: id++, type: "row", title: t, gridPos: { x: 0, y, w: 24, h: 1 } });
        y += 1;
    };
    const ts = (t: string, x: number, w: number, unit: string, targets: Array<[string, string]>, description?: string) => {
        panels.push({
            id: id++,
            type: "timeseries",
            title: t,
            gridPos: { x, y, w, h: 8 },
            datasource: DS,
            targets: targets.map(([expr, legendFormat], i) => ({ expr, legendFormat, refId: String.fromCharCode(65 + i) })),
            fieldConfig: { defaults: { unit }, overrides: [] },
            ...(description ? { description } : {}),
        });
    };

    if (spec.canary) {
        const c = spec.canary;
        row("Canary vs stable");
        ts(
            "Canary traffic ratio",
            0,
            8,
            "percentunit",
            [[`canary_traffic_ratio{${svc}}`, "canary share"]],
            `P1 needs more than ${num(c.trafficRatioThreshold * 100)}% of the traffic on the canary.`,
        );
        ts("Error rate: canary vs stable", 8, 8, "percentunit", [
            [`canary_error_rate{${svc}}`, "canary"],
            [`stable_error_rate{${svc}}`, "stable"],
        ]);
        ts(
            "Error-rate delta (canary - stable)",
            16,
            8,
            "percentunit",
            [[`canary_error_rate_delta{${svc}}`, "delta"]],
            `${ALERT_NAMES.canaryP1} pages above ${num(c.maxErrorRateDelta)}.`,
        );
        y += 8;
        ts("Latency p95 / p99: canary vs stable", 0, 16, "ms", [
            [`canary_latency_p95_ms{${svc}}`, "canary p95"],
            [`stable_latency_p95_ms{${svc}}`, "stable p95"],
            [`canary_latency_p99_ms{${svc}}`, "canary p99"],
            [`stable_latency_p99_ms{${svc}}`, "stable p99"],
        ]);
        ts("Canary pod restarts", 16, 8, "short", [[`canary_k8s_pod_restart_total{${svc}}`, "restarts"]]);
        y += 8;
    }

    for (const slo of spec.slos) {
        const sel = `{${svc},slo="${slo.name}"}`;
        row(`SLO ${slo.name}: ${slo.description}`);
        const windows = [...new Set([...slo.page, ...slo.ticket].map((w) => w.long))];
        ts(
            `Burn rate (${slo.name})`,
            0,
            16,
            "short",
            [
                [`${SLO_METRICS.errorRatio("5m")}${sel} / ${num(slo.errorBudget)}`, "5m"],
                ...windows.map((w): [string, string] => [`${SLO_METRICS.errorRatio(w)}${sel} / ${num(slo.errorBudget)}`, w]),
            ],
            `1 = budget lasts exactly ${slo.window}. Pages at ${slo.page.map((w) => `${num(w.factor)}x`).join(", ")}; tickets at ${slo.ticket.map((w) => `${num(w.factor)}x`).join(", ")}.`,
        );
        panels.push({
            id: id++,
            type: "stat",
            title: `Error budget left (${slo.window})`,
            gridPos: { x: 16, y, w: 8, h: 8 },
            datasource: DS,
            targets: [{ expr: `${SLO_METRICS.budgetRemaining}${sel}`, legendFormat: "{{slo}}", refId: "A" }],
            fieldConfig: {
                defaults: {
                    unit: "percentunit",
                    max: 1,
                    thresholds: {
                        mode: "absolute",
                        steps: [
                            { color: "red", value: null },
                            { color: "orange", value: 0.25 },
                            { color: "green", value: 0.5 },
                        ],
                    },
                },
                overrides: [],
            },
        });
        y += 8;
    }

    return {
        uid: `gray-release-${spec.service}`.slice(0, 40),
        title,
        tags: ["gray-release", "slo", spec.service],
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "30s",
        templating: {
            list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Data source", current: {} }],
        },
        annotations: {
            list: [
                {
                    name: "Alerts",
                    datasource: DS,
                    enable: true,
                    expr: `ALERTS{${svc},alertstate="firing"}`,
                    titleFormat: "{{alertname}} ({{severity}})",
                    iconColor: "red",
                },
            ],
        },
        panels,
    };
}
