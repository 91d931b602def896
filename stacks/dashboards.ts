/**
 * Canary dashboards of a stack's services, shared: one ConfigMap carries the dashboards of many services (one
 * JSON file each, which the Grafana sidecar loads as separate dashboards), so a service costs no Kubernetes
 * object of its own for its dashboard. ConfigMaps hold at most 1 MiB, hence the chunks.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { buildDashboard, GRAFANA_DASHBOARD_LABEL, type SloRulesSpec } from "../components/slo-rules";

/** Dashboards per ConfigMap; one is about 10 KiB, so this stays far below the 1 MiB limit. */
export const DASHBOARDS_PER_CONFIGMAP = 40;

/** The dashboard files of `specs`, grouped per ConfigMap: file name → dashboard JSON. */
export function dashboardChunks(specs: ReadonlyArray<SloRulesSpec>): Array<Record<string, string>> {
    const chunks: Array<Record<string, string>> = [];
    specs.forEach((spec, i) => {
        if (i % DASHBOARDS_PER_CONFIGMAP === 0) chunks.push({});
        chunks[chunks.length - 1]![`${spec.service}-gray-release.json`] = JSON.stringify(buildDashboard(spec));
    });
    return chunks;
}

/** Creates the shared dashboard ConfigMaps of a stack in `namespace`. */
export function createDashboards(
    stack: string,
    namespace: string,
    specs: ReadonlyArray<SloRulesSpec>,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap[] {
    return dashboardChunks(specs).map(
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
