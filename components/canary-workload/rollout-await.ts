/**
 * What the Kubernetes provider waits for after it applies a Deployment: the whole rollout, judged on the status the
 * Deployment controller wrote for this very generation.
 *
 * The provider's built-in Deployment await can return at once on an update (pulumi-kubernetes 4.25, and its
 * master as of this writing): it may take a Deployment event that carries the new generation but the previous
 * rollout's status (Available, `NewReplicaSetAvailable`, the old revision) together with the old ReplicaSet, and then
 * finds the "new" ReplicaSet ready. A canary started on a Deployment scaled to 0 then reports done before any of its
 * pods is Ready, and the routes that depend on it arrive first (cluster-lanes.test.ts saw ~28 route-seconds without a
 * ready endpoint). A `pulumi.com/waitFor` annotation replaces that logic; its JSONPath conditions are only
 * evaluated once `.status.observedGeneration` has caught up with `.metadata.generation`, so a stale status never
 * satisfies them.
 */

/** The provider's annotation that replaces its built-in await logic by the conditions it lists (all must hold). */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";

/**
 * The Deployment annotations that make the provider wait until `replicas` pods run the current template and are
 * available, and no pod of an older one is left: what `kubectl rollout status` waits for. None at 0 replicas: the
 * controller then leaves the counts out of the status (nothing would match), and nothing routes to those pods.
 * Harmless in render mode, where the annotation is just written to the YAML.
 */
export function rolloutAwaitAnnotations(replicas: number): Record<string, string> {
    if (replicas <= 0) return {};
    const conditions = ["updatedReplicas", "availableReplicas", "replicas"].map((field) => `jsonpath={.status.${field}}=${replicas}`);
    return { [WAIT_FOR_ANNOTATION]: JSON.stringify(conditions) };
}
