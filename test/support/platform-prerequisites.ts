/**
 * What the platform stacks take for granted in a cluster and do not own: the namespaces of the monitoring stack
 * and of the shared services, and volumes for Thanos' claims (the local control plane has no provisioner).
 */
import type { LocalCluster } from "./cluster";

/** Creates the prerequisites of `platform-dev` on a fresh local cluster. */
export async function preparePlatformPrerequisites(cluster: LocalCluster): Promise<void> {
    for (const name of ["monitoring", "observability", "dev"]) {
        await cluster.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    }
    for (let i = 0; i < 6; i++) {
        await cluster.request("POST", "/api/v1/persistentvolumes", {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `local-${i}` },
            spec: { capacity: { storage: "100Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: `/tmp/pv-${i}` } },
        });
    }
}
