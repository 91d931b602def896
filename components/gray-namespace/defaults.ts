/**
 * Every default of {@link GrayNamespace}, in one place. Numbers follow the field write-ups the package encodes.
 */

/** Namespace of the Istio control plane (istiod). */
export const DEFAULT_MESH_NAMESPACE = "istio-system";

/** istiod ports sidecars dial: 15012 (xDS and certificate signing over mTLS), 15017 (injection webhook). */
export const DEFAULT_MESH_CONTROL_PLANE_PORTS: ReadonlyArray<number> = [15012, 15017];

/** Namespaces whose ingress gateways forward traffic into the gray namespace. */
export const DEFAULT_GATEWAY_NAMESPACES: ReadonlyArray<string> = ["istio-system"];

/** Where Prometheus runs. */
export const DEFAULT_MONITORING_NAMESPACE = "monitoring";

/**
 * Scrape ports: 15020 (the agent's merged application + Envoy metrics) and 15090 (Envoy's own). Both are
 * plaintext and exempt from STRICT mTLS, which application ports are not, so this is what can be scraped.
 */
export const DEFAULT_MONITORING_PORTS: ReadonlyArray<number> = [15020, 15090];

/** Where the OpenTelemetry collector agent runs (the OtelCollector component's usual namespace). */
export const DEFAULT_TELEMETRY_NAMESPACE = "observability";

/** OTLP: 4317 gRPC, 4318 HTTP. */
export const DEFAULT_TELEMETRY_PORTS: ReadonlyArray<number> = [4317, 4318];

/** Cluster DNS. */
export const DEFAULT_DNS = {
    namespace: "kube-system",
    podSelector: { "k8s-app": "kube-dns" } as Readonly<Record<string, string>>,
    port: 53,
} as const;

/** Pod Security Standards version pinned in the namespace labels. */
export const DEFAULT_POD_SECURITY_VERSION = "latest";

/** Caps for a gray namespace: it runs a canary beside stable, not a second copy of production. */
export const DEFAULT_RESOURCE_QUOTA: Readonly<Record<string, string>> = {
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    pods: "40",
    "services.loadbalancers": "0",
    "services.nodeports": "0",
};

/** Per-container defaults, so pods without explicit resources still fit under the quota's limits. */
export const DEFAULT_LIMIT_RANGE = {
    defaultRequest: { cpu: "100m", memory: "128Mi" },
    default: { cpu: "500m", memory: "512Mi" },
    max: { cpu: "2", memory: "4Gi" },
} as const;

/** mTLS mode of the namespace-wide PeerAuthentication. */
export const DEFAULT_MTLS_MODE = "STRICT";

/** Name of the layered-configuration ConfigMap. */
export const DEFAULT_CONFIG_MAP_NAME = "gray-config";

/** Appended to isolated values such as message topics. */
export const DEFAULT_ISOLATION_SUFFIX = "-gray";

/** Whether the namespace carries the `canary: "true"` label. */
export const DEFAULT_CANARY_LABEL = true;

/** Protocol of a shared service's ports. */
export const DEFAULT_SHARED_SERVICE_PROTOCOL = "TCP";
