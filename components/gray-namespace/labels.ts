/** Namespace labels: identity (environment, zone, canary), sidecar injection and Pod Security Standards. */

/** Label keys GrayNamespace sets on the namespace. */
export const LABEL_KEYS = {
    environment: "environment",
    zone: "zone",
    canary: "canary",
    istioInjection: "istio-injection",
    istioRevision: "istio.io/rev",
} as const;

const POD_SECURITY_PREFIX = "pod-security.kubernetes.io/";

/** Whether a caller-supplied label would clash with one GrayNamespace owns. */
export function isReservedLabel(key: string): boolean {
    return (Object.values(LABEL_KEYS) as string[]).includes(key) || key.startsWith(POD_SECURITY_PREFIX);
}

/** Label names (after any `prefix/`) that state an environment, e.g. `environment`, `gray-release.io/environment`, `env`. */
const ENVIRONMENT_LABEL_NAMES = ["environment", "env"];

/** Whether a label with this key states which environment the namespace belongs to. */
export function claimsEnvironment(key: string): boolean {
    return ENVIRONMENT_LABEL_NAMES.includes(key.slice(key.lastIndexOf("/") + 1).toLowerCase());
}

/** Inputs of {@link buildNamespaceLabels}. */
export interface NamespaceLabelInput {
    /** Environment, e.g. `staging`. */
    environment: string;
    /** Zone, when known. */
    zone: string | undefined;
    /** Whether the namespace hosts canaries. */
    canary: boolean;
    /** Istio revision; when unset the default injector is used. */
    istioRevision: string | undefined;
    /** Pod Security Standards version. */
    podSecurityVersion: string;
    /** Extra labels (already checked not to be reserved). */
    extra: Record<string, string>;
}

/**
 * The namespace labels. Pod Security `restricted` is enforced, audited and warned, so violations are
 * refused and also visible in audit logs and kubectl output. Note: `restricted` forbids the NET_ADMIN
 * capability of Istio's `istio-init` container, so the cluster must run the Istio CNI plugin.
 */
export function buildNamespaceLabels(input: NamespaceLabelInput): Record<string, string> {
    const labels: Record<string, string> = { ...input.extra, [LABEL_KEYS.environment]: input.environment };
    if (input.zone !== undefined) labels[LABEL_KEYS.zone] = input.zone;
    labels[LABEL_KEYS.canary] = String(input.canary);
    if (input.istioRevision !== undefined) labels[LABEL_KEYS.istioRevision] = input.istioRevision;
    else labels[LABEL_KEYS.istioInjection] = "enabled";
    for (const mode of ["enforce", "audit", "warn"] as const) {
        labels[`${POD_SECURITY_PREFIX}${mode}`] = "restricted";
        labels[`${POD_SECURITY_PREFIX}${mode}-version`] = input.podSecurityVersion;
    }
    return labels;
}
