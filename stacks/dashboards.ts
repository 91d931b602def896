/**
 * Canary dashboards of a stack's services, shared: one ConfigMap carries the dashboards of many services (one
 * JSON file each, which the Grafana sidecar loads as separate dashboards), so a service costs no Kubernetes
 * object of its own for its dashboard. ConfigMaps hold at most 1 MiB, hence the chunks.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { LaneDefinition } from "../components/canary-routing";
import { buildDashboard, GRAFANA_DASHBOARD_LABEL, type SloRulesSpec } from "../components/slo-rules";
import { buildLaneDashboard, type LaneMember } from "./lane-dashboard";

/** Dashboards per ConfigMap; one is about 10 KiB, so this stays far below the 1 MiB limit. */
export const DASHBOARDS_PER_CONFIGMAP = 40;

/** The stack's lanes and which services' canaries serve each, for the lanes dashboard. */
export interface StackLanes {
    lanes: ReadonlyArray<LaneDefinition>;
    members: ReadonlyArray<LaneMember>;
}

/**
 * The dashboard files of `specs` (and the stack's lanes dashboard when it has lanes), grouped per ConfigMap: file
 * name → dashboard JSON.
 */
export function dashboardChunks(specs: ReadonlyArray<SloRulesSpec>, stack = "", lanes?: StackLanes): Array<Record<string, string>> {
    const files: Array<[string, string]> = specs.map((spec) => [`${spec.service}-gray-release.json`, JSON.stringify(buildDashboard(spec))]);
    const laneDashboard = lanes && buildLaneDashboard(stack, lanes.lanes, lanes.members);
    if (laneDashboard) files.push(["lanes-gray-release.json", JSON.stringify(laneDashboard)]);
    const chunks: Array<Record<string, string>> = [];
    files.forEach(([name, json], i) => {
        if (i % DASHBOARDS_PER_CONFIGMAP === 0) chunks.push({});
        chunks[chunks.length - 1]![name] = json;
    });
    return chunks;
}

/** Creates the shared dashboard ConfigMaps of a stack in `namespace`. */
export function createDashboards(
    stack: string,
    namespace: string,
    specs: ReadonlyArray<SloRulesSpec>,
    opts: pulumi.CustomResourceOptions,
    lanes?: StackLanes,
): k8s.core.v1.ConfigMap[] {
    return dashboardChunks(specs, stack, lanes).map(
        (data, i) =>
            new k8s.core.v1.ConfigMap(
                `canary-dashboards-${i}`,
                {
                    metadata: {
                        name: `gray-release-${stack}-dashboards-${i}`,
                        namespace,
                        labels: { ...GRAFANA_DASHBOARD_LABEL, "app.kubernetes.io/managed-by": "gray-release" },
                    },
                    data,
                },
                opts,
            ),
    );
}
