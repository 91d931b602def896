/**
 * Inputs of {@link CanaryRouting}: one zod schema with every description and default (named in defaults.ts), and
 * the types inferred from it (`CanaryRoutingArgs` what callers write, `ResolvedCanaryRoutingArgs` what the
 * builders read).
 */
import { z } from "zod";
import type { InputFields, InputPaths, WithInputs } from "../common/inputs";
import { dnsLabel, hostName, labelMap, portNumber } from "../common/k8s-names";
import { trackSelector } from "../common/track";
import { parseArgs } from "../common/validation";
import * as d from "./defaults";
import { serviceLanesSchema } from "./lanes";
import { re2Problem } from "./re2";

const headerName = z.string().regex(/^[a-z0-9][-a-z0-9_]*$/, "must be a lowercase header name (Envoy lowercases names; uppercase never matches)");
/**
 * An Istio/Envoy duration (protobuf Duration as Istio parses it: `500ms`, `1.5s`, `1m30s`). Not the package's
 * `durationString`: that one takes `d`, `w` and `y`, which Istio refuses, and no fractions, which Istio takes.
 */
const duration = z.string().regex(/^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$/, "must be a duration such as 500ms, 2s or 1m30s");
const re2 = z.string().superRefine((pattern, ctx) => {
    const problem = re2Problem(pattern);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
const positiveInt = z.number().int("must be an integer").min(1, "must be at least 1");
const gatewayName = z
    .string()
    .regex(
        /^(mesh|([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/,
        "must be `mesh`, `<name>` or `<namespace>/<name>`",
    );
/** Pod labels of one subset: at least one, no empty value (an empty value selects pods without the label). */
const subsetSelector = labelMap
    .superRefine((labels, ctx) => {
        for (const [key, value] of Object.entries(labels))
            if (value === "") ctx.addIssue({ code: "custom", path: [key], message: "must not be empty" });
    })
    .refine((l) => Object.keys(l).length > 0, "list at least one label");

/** A header condition: `name` must be lowercase (Envoy lowercases header names); exactly one of `exact`/`regex`. */
export const headerMatchSchema = z
    .object({
        name: headerName.meta({ description: "Header name, lowercase, e.g. `x-canary`." }),
        exact: z.string().min(1, "must not be empty").optional().meta({ description: "Value the header must equal." }),
        regex: re2.optional().meta({ description: "RE2 regex the whole header value must match." }),
    })
    .strict()
    .superRefine((m, ctx) => {
        if ((m.exact === undefined) === (m.regex === undefined)) {
            ctx.addIssue({ code: "custom", message: "set exactly one of `exact` or `regex`" });
        }
    })
    .meta({ description: "A header condition: `name` must be lowercase (Envoy lowercases header names); exactly one of `exact`/`regex`." });
export type HeaderMatch = z.input<typeof headerMatchSchema>;

/** Users routed to the canary first (staff, by user id or phone number). */
export const allowlistSchema = z
    .object({
        header: headerName
            .default(d.DEFAULT_ALLOWLIST_HEADER)
            .meta({ description: "Header carrying the user id. It must be set by the edge, not by the client." }),
        ids: z
            .array(
                z
                    .string()
                    .min(1, "must not be empty")
                    .max(256, "must be at most 256 characters")
                    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
                    .regex(/^[^\s\x00-\x1f\x7f]+$/, "must not contain whitespace or control characters"),
            )
            .min(1, "list at least one id (omit `allowlist` to disable it)")
            .transform((ids) => [...new Set(ids)])
            .meta({ description: "The user ids; matched literally (metacharacters are escaped). Duplicates are dropped." }),
        idsPerMatch: positiveInt
            .max(500, "must be at most 500")
            .default(d.DEFAULT_ALLOWLIST_IDS_PER_MATCH)
            .meta({ description: "Ids per regex; larger lists are split into several OR-ed matches." }),
    })
    .strict()
    .meta({ description: "Users routed to the canary first (staff, by user id or phone number)." });
export type AllowlistArgs = z.input<typeof allowlistSchema>;

/**
 * Sticky sessions: a consistent-hash load balancer on a header or a cookie. Exactly one of the two. It pins a
 * session to a pod within a subset, not to a version under a weighted split.
 */
export const stickySessionSchema = z
    .object({
        header: headerName.optional().meta({ description: "Hash on this request header (lowercase)." }),
        cookie: z
            .object({
                name: z
                    .string()
                    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a cookie name")
                    .meta({ description: "Cookie name." }),
                ttl: duration.optional().meta({ description: "Cookie lifetime, e.g. `3600s`." }),
                path: z.string().startsWith("/", "must start with '/'").optional().meta({ description: "Cookie path." }),
            })
            .strict()
            .optional()
            .meta({ description: "Hash on this cookie; Envoy creates it when `ttl` is set and the request lacks it." }),
    })
    .strict()
    .superRefine((s, ctx) => {
        if ((s.header === undefined) === (s.cookie === undefined)) {
            ctx.addIssue({ code: "custom", message: "set exactly one of `header` or `cookie`" });
        }
    })
    .meta({
        description:
            "Sticky sessions: a consistent-hash load balancer on a header or a cookie. Exactly one of the two. " +
            "It pins a session to a pod within a subset; it does not pin it to a version under a weighted split, " +
            "since Istio picks the subset per request. Use the opt-in header or the allowlist to pin users to a version.",
    });
export type StickySessionArgs = z.input<typeof stickySessionSchema>;

/** Retries of each route. When omitted, Istio's own default retry policy applies. */
export const retrySchema = z
    .object({
        attempts: z
            .number()
            .int("must be an integer")
            .min(0, "must be 0..10")
            .max(10, "must be 0..10")
            .meta({ description: "Number of retries (not counting the first attempt)." }),
        perTryTimeout: duration.optional().meta({ description: "Timeout of each attempt, e.g. `2s`." }),
        retryOn: z
            .string()
            .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, "must be a comma-separated list of Envoy retry conditions")
            .optional()
            .meta({ description: "Envoy retry conditions, e.g. `5xx,connect-failure,reset`." }),
    })
    .strict()
    .meta({ description: "Retries of every route. When omitted, Istio's own default retry policy applies." });
export type RetryArgs = z.input<typeof retrySchema>;

/** DestinationRule connection pool, applied to both subsets; each field over its default. */
export const connectionPoolSchema = z
    .object({
        maxConnections: positiveInt
            .default(d.DEFAULT_CONNECTION_POOL.maxConnections)
            .meta({ description: "Maximum TCP connections per destination host." }),
        connectTimeout: duration.default(d.DEFAULT_CONNECTION_POOL.connectTimeout).meta({ description: "TCP connect timeout, e.g. `3s`." }),
        http1MaxPendingRequests: positiveInt
            .default(d.DEFAULT_CONNECTION_POOL.http1MaxPendingRequests)
            .meta({ description: "Maximum pending HTTP/1.1 requests." }),
        http2MaxRequests: positiveInt
            .default(d.DEFAULT_CONNECTION_POOL.http2MaxRequests)
            .meta({ description: "Maximum concurrent HTTP/2 requests." }),
        maxRequestsPerConnection: positiveInt.optional().meta({ description: "Maximum requests per connection; omitted means unlimited." }),
        idleTimeout: duration.optional().meta({ description: "Idle timeout of upstream connections, e.g. `60s`." }),
    })
    .strict()
    .meta({ description: "DestinationRule connection pool, applied to both subsets; each field given replaces its default." });
export type ConnectionPoolArgs = z.input<typeof connectionPoolSchema>;

/** DestinationRule outlier detection, applied to both subsets; each field over its default. */
export const outlierDetectionSchema = z
    .object({
        enabled: z.boolean().default(d.DEFAULT_OUTLIER_DETECTION.enabled).meta({ description: "Whether to eject failing pods at all." }),
        consecutive5xxErrors: positiveInt
            .default(d.DEFAULT_OUTLIER_DETECTION.consecutive5xxErrors)
            .meta({ description: "Consecutive 5xx responses before ejection." }),
        interval: duration.default(d.DEFAULT_OUTLIER_DETECTION.interval).meta({ description: "How often hosts are analysed, e.g. `10s`." }),
        baseEjectionTime: duration
            .default(d.DEFAULT_OUTLIER_DETECTION.baseEjectionTime)
            .meta({ description: "Minimum ejection duration, e.g. `30s`." }),
        maxEjectionPercent: z
            .number()
            .int("must be an integer")
            .min(0, "must be 0..100")
            .max(100, "must be 0..100")
            .default(d.DEFAULT_OUTLIER_DETECTION.maxEjectionPercent)
            .meta({ description: "Maximum share of a subset's pods ejected at once, a percentage 0..100." }),
    })
    .strict()
    .meta({ description: "DestinationRule outlier detection, applied to both subsets; each field given replaces its default." });
export type OutlierDetectionArgs = z.input<typeof outlierDetectionSchema>;

/** Pod labels of the `stable` and `canary` subsets; the two must differ. */
export const subsetLabelsSchema = z
    .object({
        stable: subsetSelector.meta({ description: "Labels of stable pods." }),
        canary: subsetSelector.meta({ description: "Labels of canary pods." }),
    })
    .strict()
    .superRefine((s, ctx) => {
        if (sameLabels(s.stable, s.canary)) {
            ctx.addIssue({ code: "custom", message: "stable and canary select the same pods: their labels must differ" });
        } else if (!disjoint(s.stable, s.canary)) {
            // Same version with one more label, or one selector inside the other: a pod can be in both subsets.
            ctx.addIssue({
                code: "custom",
                message:
                    `stable and canary can select the same pods (one labelled ${JSON.stringify({ ...s.stable, ...s.canary })} is in both): ` +
                    'give them a label both name with different values, e.g. version "1.4.0" and "1.5.0"',
            });
        }
    });
export type SubsetLabelsArgs = z.input<typeof subsetLabelsSchema>;

/**
 * Inputs of {@link CanaryRouting}: plain values are validated before anything is created, Inputs (see
 * {@link canaryRoutingInputFields}) when they resolve. Parsing fills in every default (see defaults.ts), so the
 * spec builders take its output, {@link ResolvedCanaryRoutingArgs}.
 */
export const canaryRoutingArgsSchema = z
    .object({
        service: dnsLabel.meta({
            description: "Kubernetes Service name of the service; also the name of the VirtualService and DestinationRule.",
        }),
        namespace: dnsLabel.meta({ description: "Namespace of the service and of the routing objects." }),
        host: hostName.optional().meta({ description: "Destination host; defaults to `<service>.<namespace>.svc.cluster.local`." }),
        hosts: z
            .array(hostName)
            .min(1, "list at least one host")
            .optional()
            .meta({ description: "VirtualService hosts; defaults to `[host]`. Add the external hostname when binding a gateway." }),
        gateways: z
            .array(gatewayName)
            .min(1, "list at least one gateway (`mesh` for sidecars)")
            .refine((g) => new Set(g).size === g.length, "must not list a gateway twice")
            .default(() => [...d.DEFAULT_GATEWAYS])
            .meta({ description: "Gateways the routes apply to: `mesh` for sidecars, `<namespace>/<name>` for ingress gateways." }),
        port: portNumber.optional().meta({ description: "Destination port, when the service exposes more than one." }),
        subsetLabels: subsetLabelsSchema
            .default(() => ({ stable: trackSelector("stable"), canary: trackSelector("canary") }))
            .meta({
                description:
                    "Pod labels of each subset. Defaults to the track label CanaryWorkload sets (`gray-release.io/track: " +
                    "stable|canary`): a subset that selected a version would lose every ready pod while its Deployment rolls to " +
                    "a new version (promotion). The two must differ on a label both name, so no pod is in both.",
            }),
        canaryWeight: z
            .number()
            .int("must be an integer percentage")
            .min(0, "must be 0..100")
            .max(100, "must be 0..100")
            .meta({ description: "Share of the weighted split sent to the canary, an integer percentage 0..100; stable gets the rest." }),
        canaryAvailable: z
            .boolean()
            .default(true)
            .meta({
                description:
                    "Whether the canary subset has pods to serve. With false no route names the canary (no weighted share, " +
                    "opt-in, allowlist, path or mirror route), so no request is sent to a subset without pods; `canaryWeight` " +
                    "must then be 0. The canary program sets it false once a canary is rolled back or promoted.",
            }),
        keepOptInAtZero: z
            .boolean()
            .default(d.DEFAULT_KEEP_OPT_IN_AT_ZERO)
            .meta({
                description:
                    "Whether opt-in, allowlist and path routes stay when `canaryWeight` is 0. With false, weight 0 cuts the " +
                    "canary off completely (no opt-in, path or mirrored request reaches it): a rollback.",
            }),
        optInHeaders: z
            .array(headerMatchSchema)
            .default(() => d.DEFAULT_OPT_IN_HEADERS.map((h) => ({ ...h })))
            .meta({ description: "Headers any one of which sends a request to the canary; `[]` disables header opt-in." }),
        allowlist: allowlistSchema.optional(),
        pathPrefixes: z
            .array(z.string().regex(/^\/[^\s?#]*$/, "must start with '/' and hold no whitespace, '?' or '#'"))
            .superRefine((list, ctx) => {
                // A prefix covered by another is a match Envoy never reaches (Istio's validation warns about it).
                list.forEach((p, i) => {
                    const j = list.findIndex((q, k) => k !== i && p.startsWith(q) && (q !== p || k < i));
                    if (j !== -1)
                        ctx.addIssue({
                            code: "custom",
                            path: [i],
                            message: `is covered by pathPrefixes[${j}] "${list[j]}": that match would never be used`,
                        });
                });
            })
            .default(() => [])
            .meta({
                description:
                    "Path prefixes sent to the canary, e.g. `/api/v2/` served only by the new version. They are routing by " +
                    "API, not a privilege, so they apply to gateway traffic too.",
            }),
        optInThroughGateways: z
            .boolean()
            .default(d.DEFAULT_OPT_IN_THROUGH_GATEWAYS)
            .meta({
                description:
                    "Whether opt-in headers and the allowlist are honoured for requests that entered through an ingress " +
                    "gateway. Anyone on the internet can send `x-canary: true`, so by default those matches are scoped with " +
                    '`gateways: ["mesh"]` (sidecar traffic only) and gateway traffic gets only the weighted split. (Also strip ' +
                    "such headers at the edge: the scope does not stop a service downstream.) When true and " +
                    "`trustedGatewayHeader` is set, gateway traffic must carry that header as well.",
            }),
        trustedGatewayHeader: headerMatchSchema.optional().meta({
            description:
                "A header the ingress gateway sets only after verifying the caller's JWT (e.g. via RequestAuthentication " +
                "`outputClaimToHeaders`, `x-jwt-staff: true`), required on top of the opt-in or allowlist header for " +
                "gateway traffic. Claim-based matching (`@request.auth.claims`) is an AuthorizationPolicy feature, so a " +
                "trusted header is the portable way. Only with `optInThroughGateways: true`.",
        }),
        lanes: serviceLanesSchema.prefault({}).meta({
            description:
                "Lanes of the stack (a request marked `x-gray-lane: gray` or with the baggage member `gray-lane=gray` meets the " +
                "canary of every service whose canary serves the lane, stable elsewhere): their definitions, the lanes this " +
                "service's canary serves, and the lane its opt-in and allowlist routes enter.",
        }),
        mirrorPercent: z
            .number()
            .gt(0, "must be above 0 (omit it to disable mirroring)")
            .max(100, "must be at most 100")
            .optional()
            .meta({
                description:
                    "Percentage (0 < p ≤ 100, fractions allowed) of the weighted route's traffic mirrored to the canary. " +
                    "The mirror sits on the weighted route, so above weight 0 requests already bound for the canary are " +
                    "mirrored too: shadowing is meant for weight 0. Mirrored writes really happen; mind side effects.",
            }),
        stickySession: stickySessionSchema.optional(),
        retries: retrySchema.optional(),
        timeout: duration.optional().meta({ description: "Timeout of every route, e.g. `10s`. When omitted, Istio's default (none) applies." }),
        connectionPool: connectionPoolSchema.prefault({}),
        outlierDetection: outlierDetectionSchema.prefault({}),
        exportTo: z
            .array(z.union([z.literal("."), z.literal("*"), dnsLabel]))
            .min(1, "list at least one namespace")
            .optional()
            .meta({ description: 'Namespaces the VirtualService and DestinationRule are exported to, e.g. `["."]`; defaults to all.' }),
    })
    .strict()
    .superRefine((a, ctx) => {
        if (!a.canaryAvailable && a.canaryWeight > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["canaryWeight"],
                message: "must be 0 when `canaryAvailable` is false: no request may be routed to a canary without pods",
            });
        }
        if (a.trustedGatewayHeader !== undefined && !a.optInThroughGateways) {
            ctx.addIssue({ code: "custom", path: ["trustedGatewayHeader"], message: "only applies with `optInThroughGateways: true`" });
        }
    })
    .transform((a) => {
        const host = a.host ?? `${a.service}.${a.namespace}.svc.cluster.local`;
        return { ...a, host, hosts: a.hosts ?? [host] };
    });

/**
 * The args that take a `pulumi.Input`, with the stand-in each gets while pending (see {@link InputFields}): where
 * the service lives, what CanaryWorkload (`serviceName`, `host`) and GrayNamespace (`namespaceName`) expose.
 * The rest stays plain: the weight and availability are the release decision, computed in the program itself
 * (and read by the policy pack from the objects' inputs); the matches, subsets and pools are the routing's own
 * settings, not another resource's.
 */
export const canaryRoutingInputFields = { service: "x", namespace: "x", host: "x" } as const satisfies InputFields;

/** {@link canaryRoutingArgsSchema}'s input as plain values: what a stack config holds and `resolveCanaryRoutingArgs` takes. */
export type PlainCanaryRoutingArgs = z.input<typeof canaryRoutingArgsSchema>;
/** What callers write: {@link PlainCanaryRoutingArgs} with the {@link canaryRoutingInputFields} also taking an Input. */
export type CanaryRoutingArgs = WithInputs<PlainCanaryRoutingArgs, InputPaths<typeof canaryRoutingInputFields>>;
/** {@link CanaryRoutingArgs} with every default filled in: what the spec builders read. */
export type ResolvedCanaryRoutingArgs = z.output<typeof canaryRoutingArgsSchema>;

/**
 * Validates `input` (throwing an InvalidArgsError that names each bad key and value) and fills in the defaults.
 * The spec builders take its result, so callers outside the component (the canary program computing a weight)
 * get the same validation.
 */
export function resolveCanaryRoutingArgs(input: unknown, subject = "CanaryRouting"): ResolvedCanaryRoutingArgs {
    return parseArgs(subject, canaryRoutingArgsSchema, input);
}

/** Whether no pod can match both selectors: they name a common key with different values. */
function disjoint(a: Record<string, string>, b: Record<string, string>): boolean {
    return Object.keys(a).some((k) => Object.hasOwn(b, k) && a[k] !== b[k]);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
