/**
 * The lanes dashboard of a stack: per lane, the calls each service serves in it, split by track (canary or stable),
 * from the collector's span metrics (dimension `gray-lane`, docs/lanes.md). A service the lane should reach but that
 * shows no calls in it is where the lane is lost: the hop before it does not carry the marker.
 */
import type { LaneDefinition } from "../components/canary-routing";
import { DASHBOARD_DATASOURCE as DS, type GrafanaDashboard, type GrafanaPanel } from "../components/slo-rules";

/** The span-metrics counter the collector's spanmetrics connector writes through Prometheus remote write. */
export const SPAN_CALLS_METRIC = "traces_span_metrics_calls_total";

/** The Prometheus label of a span attribute: what remote write makes of `gray-lane`. */
export const promLabel = (attribute: string): string => attribute.replace(/[^A-Za-z0-9_]/g, "_");

/** One service of the stack and the lanes its canary serves. */
export interface LaneMember {
    service: string;
    canaryIn: ReadonlyArray<string>;
}

/** The lanes dashboard (one row per lane), or undefined when the stack has no lanes. */
export function buildLaneDashboard(
    stack: string,
    lanes: ReadonlyArray<LaneDefinition>,
    members: ReadonlyArray<LaneMember>,
): GrafanaDashboard | undefined {
    if (lanes.length === 0) return undefined;
    const panels: GrafanaPanel[] = [];
    let id = 1;
    let y = 0;
    for (const lane of lanes) {
        const label = promLabel(lane.baggageKey ?? lane.header);
        const inLane = `${label}="${lane.name}"`;
        const canaries = members.filter((m) => m.canaryIn.includes(lane.name)).map((m) => m.service);
        panels.push({ id: id++, type: "row", title: `Lane ${lane.name}`, gridPos: { x: 0, y, w: 24, h: 1 } });
        y += 1;
        panels.push({
            id: id++,
            type: "timeseries",
            title: `Calls in lane ${lane.name}, by service and track`,
            gridPos: { x: 0, y, w: 16, h: 8 },
            datasource: DS,
            targets: [
                {
                    expr: `sum by (service_name, deployment_track) (rate(${SPAN_CALLS_METRIC}{${inLane}}[5m]))`,
                    legendFormat: "{{service_name}} ({{deployment_track}})",
                    refId: "A",
                },
            ],
            fieldConfig: { defaults: { unit: "reqps" }, overrides: [] },
            description: `Canaries serving the lane: ${canaries.join(", ") || "none"}; every other service serves it from stable.`,
        });
        panels.push({
            id: id++,
            type: "stat",
            title: `Services reached in lane ${lane.name} (of ${members.length})`,
            gridPos: { x: 16, y, w: 8, h: 8 },
            datasource: DS,
            targets: [
                {
                    expr: `count(sum by (service_name) (rate(${SPAN_CALLS_METRIC}{${inLane}}[5m])) > 0) or vector(0)`,
                    legendFormat: "services",
                    refId: "A",
                },
            ],
            fieldConfig: { defaults: { unit: "short", min: 0, max: members.length }, overrides: [] },
            description: "Fewer than the chain's services: a hop does not carry the lane (baggage propagation or header forwarding).",
        });
        y += 8;
    }
    return {
        uid: `gray-release-lanes-${stack}`.slice(0, 40),
        title: `Lanes (${stack})`,
        tags: ["gray-release", "lanes"],
        schemaVersion: 39,
        time: { from: "now-6h", to: "now" },
        refresh: "30s",
        templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Data source", current: {} }] },
        annotations: { list: [] },
        panels,
    };
}
