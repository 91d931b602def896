/**
 * Inputs of {@link CanaryRouting}: the interface callers write, its zod schema, and the resolution of
 * defaults (all taken from defaults.ts).
 */
import { z } from "zod";
import { trackSelector } from "../common/track";
import { parseArgs } from "../common/validation";
import * as d from "./defaults";
import { re2Problem } from "./re2";

/** A header condition: `name` must be lowercase (Envoy lowercases header names); exactly one of `exact`/`regex`. */
export interface HeaderMatch {
    /** Header name, lowercase, e.g. `x-canary`. */
    name: string;
    /** Value the header must equal. */
    exact?: string;
    /** RE2 regex the whole header value must match. */
    regex?: string;
}

/** Users routed to the canary first (staff, by user id or phone number). */
export interface AllowlistArgs {
    /** Header carrying the user id; defaults to `x-user-id`. It must be set by the edge, not by the client. */
    header?: string;
    /** The user ids; matched literally (metacharacters are escaped). */
    ids: string[];
    /** Ids per regex; larger lists are split into several OR-ed matches. Defaults to 50. */
    idsPerMatch?: number;
}

/**
 * Sticky sessions: a consistent-hash load balancer on a header or a cookie. Exactly one of the two.
 * It pins a session to a pod within a subset; it does not pin it to a version under a weighted split,
 * since Istio picks the subset per request. Use the opt-in header or the allowlist to pin users to a version.
 */
export interface StickySessionArgs {
    /** Hash on this request header (lowercase). */
    header?: string;
    /** Hash on this cookie; Envoy creates it when `ttl` is set and the request lacks it. */
    cookie?: {
        /** Cookie name. */
        name: string;
        /** Cookie lifetime, e.g. `3600s`. */
        ttl?: string;
        /** Cookie path. */
        path?: string;
    };
}

/** Retries of each route. When omitted, Istio's own default retry policy applies. */
export interface RetryArgs {
    /** Number of retries (not counting the first attempt). */
    attempts: number;
    /** Timeout of each attempt, e.g. `2s`. */
    perTryTimeout?: string;
    /** Envoy retry conditions, e.g. `5xx,connect-failure,reset`. */
    retryOn?: string;
}

/** DestinationRule connection pool, applied to both subsets. */
export interface ConnectionPoolArgs {
    /** Maximum TCP connections per destination host. */
    maxConnections?: number;
    /** TCP connect timeout, e.g. `3s`. */
    connectTimeout?: string;
    /** Maximum pending HTTP/1.1 requests. */
    http1MaxPendingRequests?: number;
    /** Maximum concurrent HTTP/2 requests. */
    http2MaxRequests?: number;
    /** Maximum requests per connection; omitted means unlimited. */
    maxRequestsPerConnection?: number;
    /** Idle timeout of upstream connections, e.g. `60s`. */
    idleTimeout?: string;
}

/** DestinationRule outlier detection, applied to both subsets. */
export interface OutlierDetectionArgs {
    /** Whether to eject failing pods at all; defaults to true. */
    enabled?: boolean;
    /** Consecutive 5xx responses before ejection. */
    consecutive5xxErrors?: number;
    /** How often hosts are analysed, e.g. `10s`. */
    interval?: string;
    /** Minimum ejection duration, e.g. `30s`. */
    baseEjectionTime?: string;
    /** Maximum share of a subset's pods ejected at once, 0..100. */
    maxEjectionPercent?: number;
}

/** Pod labels of the `stable` and `canary` subsets. */
export interface SubsetLabelsArgs {
    /** Labels of stable pods; default `gray-release.io/track: stable`. */
    stable: Record<string, string>;
    /** Labels of canary pods; default `gray-release.io/track: canary`. */
    canary: Record<string, string>;
}

/** Inputs of {@link CanaryRouting}. Plain values, so they are validated before anything is created. */
export interface CanaryRoutingArgs {
    /** Kubernetes Service name of the service; also the name of the VirtualService and DestinationRule. */
    service: string;
    /** Namespace of the service and of the routing objects. */
    namespace: string;
    /** Destination host; defaults to `<service>.<namespace>.svc.cluster.local`. */
    host?: string;
    /** VirtualService hosts; defaults to `[host]`. Add the external hostname when binding a gateway. */
    hosts?: string[];
    /**
     * Gateways the routes apply to: `mesh` for sidecars, `<namespace>/<name>` for ingress gateways.
     * Defaults to `["mesh"]`.
     */
    gateways?: string[];
    /** Destination port, when the service exposes more than one. */
    port?: number;
    /**
     * Pod labels of each subset. Defaults to the track label CanaryWorkload sets
     * (`gray-release.io/track: stable|canary`): a subset that selected a version would lose every ready pod while
     * its Deployment rolls to a new version (promotion). The two must differ.
     */
    subsetLabels?: SubsetLabelsArgs;
    /** Share of the weighted split sent to the canary, an integer 0..100; stable gets the rest. */
    canaryWeight: number;
    /**
     * Whether the canary subset has pods to serve; defaults to true. With false no route names the canary (no
     * weighted share, opt-in, allowlist, path or mirror route), so no request is sent to a subset without pods;
     * `canaryWeight` must then be 0. The canary program sets it false once a canary is rolled back or promoted.
     */
    canaryAvailable?: boolean;
    /**
     * Whether opt-in, allowlist and path routes stay when `canaryWeight` is 0; defaults to true. With false,
     * weight 0 cuts the canary off completely (no opt-in, path or mirrored request reaches it): a rollback.
     */
    keepOptInAtZero?: boolean;
    /**
     * Headers any one of which sends a request to the canary. Defaults to `x-canary: true` and
     * `x-env: canary`; `[]` disables header opt-in.
     */
    optInHeaders?: HeaderMatch[];
    /** Users sent to the canary whatever the weight. */
    allowlist?: AllowlistArgs;
    /**
     * Path prefixes sent to the canary, e.g. `/api/v2/` served only by the new version. They are routing by
     * API, not a privilege, so they apply to gateway traffic too.
     */
    pathPrefixes?: string[];
    /**
     * Whether opt-in headers and the allowlist are honoured for requests that entered through an ingress
     * gateway; defaults to false. Anyone on the internet can send `x-canary: true`, so by default those
     * matches are scoped with `gateways: ["mesh"]` (sidecar traffic only) and gateway traffic gets only the
     * weighted split. (Also strip such headers at the edge: the scope does not stop a service downstream.)
     * When true and `trustedGatewayHeader` is set, gateway traffic must carry that header as well.
     */
    optInThroughGateways?: boolean;
    /**
     * A header the ingress gateway sets only after verifying the caller's JWT (e.g. via RequestAuthentication
     * `outputClaimToHeaders`, `x-jwt-staff: true`), required on top of the opt-in or allowlist header for
     * gateway traffic. Claim-based matching (`@request.auth.claims`) is an AuthorizationPolicy feature, so a
     * trusted header is the portable way. Only with `optInThroughGateways: true`.
     */
    trustedGatewayHeader?: HeaderMatch;
    /**
     * Percentage (0 < p ≤ 100, fractions allowed) of the weighted route's traffic mirrored to the canary.
     * The mirror sits on the weighted route, so above weight 0 requests already bound for the canary are
     * mirrored too: shadowing is meant for weight 0. Mirrored writes really happen; mind side effects.
     */
    mirrorPercent?: number;
    /** Sticky sessions (see {@link StickySessionArgs} for what they can and cannot do). */
    stickySession?: StickySessionArgs;
    /** Retries of every route. */
    retries?: RetryArgs;
    /** Timeout of every route, e.g. `10s`. When omitted, Istio's default (none) applies. */
    timeout?: string;
    /** Connection pool settings merged over the defaults. */
    connectionPool?: ConnectionPoolArgs;
    /** Outlier detection settings merged over the defaults. */
    outlierDetection?: OutlierDetectionArgs;
    /** Namespaces the VirtualService and DestinationRule are exported to, e.g. `["."]`; defaults to all. */
    exportTo?: string[];
}

const dnsLabel = z
    .string()
    .max(63, "must be at most 63 characters")
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lowercase alphanumerics and '-')");
const hostName = z
    .string()
    .max(253, "must be at most 253 characters")
    .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase DNS name, optionally starting with '*.'");
const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "must be a label key",
    );
const labelValue = z
    .string()
    .min(1, "must not be empty")
    .regex(/^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/, "must be a label value (at most 63 alphanumerics, '-', '_', '.')");
const headerName = z
    .string()
    .regex(/^[a-z0-9][-a-z0-9_]*$/, "must be a lowercase header name (Envoy lowercases names; uppercase never matches)");
const duration = z
    .string()
    .regex(/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/, "must be a duration such as 500ms, 2s or 1m30s");
const re2 = z.string().superRefine((pattern, ctx) => {
    const problem = re2Problem(pattern);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
const positiveInt = z.number().int("must be an integer").min(1, "must be at least 1");

const headerMatch = z
    .object({ name: headerName, exact: z.string().min(1, "must not be empty").optional(), regex: re2.optional() })
    .strict()
    .superRefine((m, ctx) => {
        if ((m.exact === undefined) === (m.regex === undefined)) {
            ctx.addIssue({ code: "custom", message: "set exactly one of `exact` or `regex`" });
        }
    });

const gatewayName = z
    .string()
    .regex(
        /^(mesh|([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/,
        "must be `mesh`, `<name>` or `<namespace>/<name>`",
    );

/** zod schema of {@link CanaryRoutingArgs}. */
export const canaryRoutingArgsSchema = z
    .object({
        service: dnsLabel,
        namespace: dnsLabel,
        host: hostName.optional(),
        hosts: z.array(hostName).min(1, "list at least one host").optional(),
        gateways: z
            .array(gatewayName)
            .min(1, "list at least one gateway (`mesh` for sidecars)")
            .refine((g) => new Set(g).size === g.length, "must not list a gateway twice")
            .optional(),
        port: z.number().int("must be an integer").min(1, "must be 1..65535").max(65535, "must be 1..65535").optional(),
        subsetLabels: z
            .object({
                stable: z.record(labelKey, labelValue).refine((l) => Object.keys(l).length > 0, "list at least one label"),
                canary: z.record(labelKey, labelValue).refine((l) => Object.keys(l).length > 0, "list at least one label"),
            })
            .strict()
            .refine((s) => !sameLabels(s.stable, s.canary), "stable and canary select the same pods: their labels must differ")
            .optional(),
        canaryWeight: z.number().int("must be an integer percentage").min(0, "must be 0..100").max(100, "must be 0..100"),
        canaryAvailable: z.boolean().optional(),
        keepOptInAtZero: z.boolean().optional(),
        optInHeaders: z.array(headerMatch).optional(),
        allowlist: z
            .object({
                header: headerName.optional(),
                ids: z
                    .array(
                        z
                            .string()
                            .min(1, "must not be empty")
                            .max(256, "must be at most 256 characters")
                            .regex(/^[^\s\x00-\x1f\x7f]+$/, "must not contain whitespace or control characters"),
                    )
                    .min(1, "list at least one id (omit `allowlist` to disable it)"),
                idsPerMatch: positiveInt.max(500, "must be at most 500").optional(),
            })
            .strict()
            .optional(),
        pathPrefixes: z
            .array(z.string().regex(/^\/[^\s?#]*$/, "must start with '/' and hold no whitespace, '?' or '#'"))
            .superRefine((list, ctx) => {
                // A prefix covered by another is a match Envoy never reaches (Istio's validation warns about it).
                list.forEach((p, i) => {
                    const j = list.findIndex((q, k) => k !== i && p.startsWith(q) && (q !== p || k < i));
                    if (j !== -1) ctx.addIssue({ code: "custom", path: [i], message: `is covered by pathPrefixes[${j}] "${list[j]}": that match would never be used` });
                });
            })
            .optional(),
        optInThroughGateways: z.boolean().optional(),
        trustedGatewayHeader: headerMatch.optional(),
        mirrorPercent: z.number().gt(0, "must be above 0 (omit it to disable mirroring)").max(100, "must be at most 100").optional(),
        stickySession: z
            .object({
                header: headerName.optional(),
                cookie: z.object({ name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a cookie name"), ttl: duration.optional(), path: z.string().startsWith("/", "must start with '/'").optional() }).strict().optional(),
            })
            .strict()
            .superRefine((s, ctx) => {
                if ((s.header === undefined) === (s.cookie === undefined)) {
                    ctx.addIssue({ code: "custom", message: "set exactly one of `header` or `cookie`" });
                }
            })
            .optional(),
        retries: z
            .object({
                attempts: z.number().int("must be an integer").min(0, "must be 0..10").max(10, "must be 0..10"),
                perTryTimeout: duration.optional(),
                retryOn: z.string().regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, "must be a comma-separated list of Envoy retry conditions").optional(),
            })
            .strict()
            .optional(),
        timeout: duration.optional(),
        connectionPool: z
            .object({
                maxConnections: positiveInt.optional(),
                connectTimeout: duration.optional(),
                http1MaxPendingRequests: positiveInt.optional(),
                http2MaxRequests: positiveInt.optional(),
                maxRequestsPerConnection: positiveInt.optional(),
                idleTimeout: duration.optional(),
            })
            .strict()
            .optional(),
        outlierDetection: z
            .object({
                enabled: z.boolean().optional(),
                consecutive5xxErrors: positiveInt.optional(),
                interval: duration.optional(),
                baseEjectionTime: duration.optional(),
                maxEjectionPercent: z.number().int("must be an integer").min(0, "must be 0..100").max(100, "must be 0..100").optional(),
            })
            .strict()
            .optional(),
        exportTo: z.array(z.union([z.literal("."), z.literal("*"), dnsLabel])).min(1, "list at least one namespace").optional(),
    })
    .strict()
    .superRefine((a, ctx) => {
        if (a.canaryAvailable === false && a.canaryWeight > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["canaryWeight"],
                message: "must be 0 when `canaryAvailable` is false: no request may be routed to a canary without pods",
            });
        }
        if (a.trustedGatewayHeader !== undefined && a.optInThroughGateways !== true) {
            ctx.addIssue({
                code: "custom",
                path: ["trustedGatewayHeader"],
                message: "only applies with `optInThroughGateways: true`",
            });
        }
    }) satisfies z.ZodType<CanaryRoutingArgs>;

/** {@link CanaryRoutingArgs} with every default filled in. */
export interface ResolvedCanaryRoutingArgs {
    service: string;
    namespace: string;
    host: string;
    hosts: string[];
    gateways: string[];
    port: number | undefined;
    subsetLabels: SubsetLabelsArgs;
    canaryWeight: number;
    canaryAvailable: boolean;
    keepOptInAtZero: boolean;
    optInHeaders: HeaderMatch[];
    allowlist: { header: string; ids: string[]; idsPerMatch: number } | undefined;
    pathPrefixes: string[];
    optInThroughGateways: boolean;
    trustedGatewayHeader: HeaderMatch | undefined;
    mirrorPercent: number | undefined;
    stickySession: StickySessionArgs | undefined;
    retries: RetryArgs | undefined;
    timeout: string | undefined;
    connectionPool: ConnectionPoolArgs;
    outlierDetection: Required<Pick<OutlierDetectionArgs, "enabled">> & OutlierDetectionArgs;
    exportTo: string[] | undefined;
}

/**
 * Validates `input` (throwing an InvalidArgsError that names each bad key and value) and fills in the
 * defaults from defaults.ts. The spec builders take its result, so callers outside the component (the
 * canary program computing a weight) get the same validation.
 */
export function resolveCanaryRoutingArgs(input: unknown, subject = "CanaryRouting"): ResolvedCanaryRoutingArgs {
    const a = parseArgs(subject, canaryRoutingArgsSchema, input);
    const host = a.host ?? `${a.service}.${a.namespace}.svc.cluster.local`;
    return {
        service: a.service,
        namespace: a.namespace,
        host,
        hosts: a.hosts ?? [host],
        gateways: a.gateways ?? [...d.DEFAULT_GATEWAYS],
        port: a.port,
        subsetLabels: a.subsetLabels ?? { stable: trackSelector("stable"), canary: trackSelector("canary") },
        canaryWeight: a.canaryWeight,
        canaryAvailable: a.canaryAvailable ?? true,
        keepOptInAtZero: a.keepOptInAtZero ?? d.DEFAULT_KEEP_OPT_IN_AT_ZERO,
        optInHeaders: a.optInHeaders ?? d.DEFAULT_OPT_IN_HEADERS.map((h) => ({ ...h })),
        allowlist:
            a.allowlist === undefined
                ? undefined
                : {
                      header: a.allowlist.header ?? d.DEFAULT_ALLOWLIST_HEADER,
                      ids: [...new Set(a.allowlist.ids)],
                      idsPerMatch: a.allowlist.idsPerMatch ?? d.DEFAULT_ALLOWLIST_IDS_PER_MATCH,
                  },
        pathPrefixes: a.pathPrefixes ?? [],
        optInThroughGateways: a.optInThroughGateways ?? d.DEFAULT_OPT_IN_THROUGH_GATEWAYS,
        trustedGatewayHeader: a.trustedGatewayHeader,
        mirrorPercent: a.mirrorPercent,
        stickySession: a.stickySession,
        retries: a.retries,
        timeout: a.timeout,
        connectionPool: { ...d.DEFAULT_CONNECTION_POOL, ...definedOnly(a.connectionPool ?? {}) },
        outlierDetection: { ...d.DEFAULT_OUTLIER_DETECTION, ...definedOnly(a.outlierDetection ?? {}) },
        exportTo: a.exportTo,
    };
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function definedOnly<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
