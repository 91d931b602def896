/** Every default of {@link CanaryRouting}, in one place. */

/** Subset names: fixed, because dashboards and alerts select on them. */
export const STABLE_SUBSET = "stable";
export const CANARY_SUBSET = "canary";

/** The reserved gateway name for sidecar (east-west) traffic. */
export const MESH_GATEWAY = "mesh";

/** Sidecar traffic only: ingress gateways must be asked for explicitly. */
export const DEFAULT_GATEWAYS: ReadonlyArray<string> = [MESH_GATEWAY];

/** Opt-in headers from the field write-ups: `x-canary: true` and `x-env: canary`. */
export const DEFAULT_OPT_IN_HEADERS: ReadonlyArray<{ name: string; exact: string }> = [
    { name: "x-canary", exact: "true" },
    { name: "x-env", exact: "canary" },
];

/** Header carrying the caller's user id (set by the edge after authentication). */
export const DEFAULT_ALLOWLIST_HEADER = "x-user-id";

/** Ids per regex: keeps each RE2 program small, well under Envoy's program-size limits. */
export const DEFAULT_ALLOWLIST_IDS_PER_MATCH = 50;

/** Opt-in and allowlist routes are not honoured for requests that entered through an ingress gateway. */
export const DEFAULT_OPT_IN_THROUGH_GATEWAYS = false;

/** At weight 0 the opt-in, allowlist and path routes stay, so testers keep reaching the canary. */
export const DEFAULT_KEEP_OPT_IN_AT_ZERO = true;

/** Connection pool: generous enough not to throttle a canary at 100 %, bounded enough to shed overload. */
export const DEFAULT_CONNECTION_POOL = {
    maxConnections: 1024,
    connectTimeout: "3s",
    http1MaxPendingRequests: 1024,
    http2MaxRequests: 1024,
} as const;

/**
 * Outlier detection. Ejection hides a failing pod's errors from the callers, and so from the SLO gate;
 * the 50 % cap keeps a one-pod canary subset from being ejected entirely and masking a bad release.
 */
export const DEFAULT_OUTLIER_DETECTION = {
    enabled: true,
    consecutive5xxErrors: 5,
    interval: "10s",
    baseEjectionTime: "30s",
    maxEjectionPercent: 50,
} as const;
