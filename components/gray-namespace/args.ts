/**
 * Inputs of {@link GrayNamespace}: the zod schema is the single source of their shape, descriptions and defaults
 * (taken from defaults.ts); the types are inferred from it.
 */
import { z } from "zod";
import { type InputFields, type InputPaths, type ParsedInputArgs, parseInputArgs, type WithInputs } from "../common/inputs";
import { dnsLabel, dnsSubdomain, labelMap, nonEmptyLabelValue, portNumber, quantity, quantityValue } from "../common/k8s-names";
import { InvalidArgsError, parseArgs } from "../common/validation";
import * as d from "./defaults";
import { claimsEnvironment, isReservedLabel, LABEL_KEYS } from "./labels";
import type { ConfigTree } from "./layered-config";

const doc = (description: string) => ({ description });

const CONFIG_KEY = /^[-_a-zA-Z0-9]+$/;
// Keys are checked in a refinement rather than by the record's key schema, whose error ("Invalid key in
// record") would not say what a valid key is.
const configTree: z.ZodType<ConfigTree> = z.lazy(() =>
    z.record(z.string(), z.union([z.string(), configTree], { error: "must be a string or a map of strings" })).superRefine((tree, ctx) => {
        for (const key of Object.keys(tree)) {
            if (!CONFIG_KEY.test(key)) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: "config keys may hold only alphanumerics, '-' and '_' (dots would make flattening ambiguous)",
                });
            }
        }
    }),
);

/** CPU and memory of a LimitRange entry; each field left out keeps its default. */
const cpuMemory = (defaults: { cpu: string; memory: string }, description: string) =>
    z
        .object({
            cpu: quantity.default(defaults.cpu).meta(doc("CPU quantity, e.g. `500m`.")),
            memory: quantity.default(defaults.memory).meta(doc("Memory quantity, e.g. `512Mi`.")),
        })
        .strict()
        .prefault({})
        .meta(doc(description));

const ports = (description: string) => z.array(portNumber).min(1, "list at least one port").meta(doc(description));

const sharedService = z
    .object({
        namespace: dnsLabel.meta(doc("Namespace the service runs in.")),
        podSelector: labelMap.optional().meta(doc("Labels of the service's pods; omitted means every pod of that namespace.")),
        ports: ports("Ports the gray pods may dial."),
        protocol: z.enum(["TCP", "UDP"]).default(d.DEFAULT_SHARED_SERVICE_PROTOCOL).meta(doc("Transport protocol of `ports`; defaults to TCP.")),
    })
    .strict()
    .meta(doc("A backing service the gray namespace shares with stable (e.g. Redis), reached by egress."));

/**
 * Inputs of {@link GrayNamespace}. Plain values are validated before anything is created, Inputs (see
 * {@link grayNamespaceInputFields}) when they resolve; a label that names another environment than `environment`
 * is refused.
 */
export const grayNamespaceArgsSchema = z
    .object({
        name: dnsLabel.meta(doc("Namespace name, e.g. `staging-gray`.")),
        environment: nonEmptyLabelValue.meta(doc("Environment the namespace belongs to, e.g. `staging`; becomes the `environment` label.")),
        zone: nonEmptyLabelValue.optional().meta(doc("Zone (region, cell or availability zone); becomes the `zone` label when set.")),
        canary: z.boolean().default(d.DEFAULT_CANARY_LABEL).meta(doc('Value of the `canary` label (`"true"`/`"false"`); defaults to true.')),
        labels: labelMap
            .superRefine((labels, ctx) => {
                for (const key of Object.keys(labels)) {
                    // The environment label is checked against `environment` below, so its error can name both values.
                    if (isReservedLabel(key) && key !== LABEL_KEYS.environment) {
                        ctx.addIssue({ code: "custom", path: [key], message: "is set by GrayNamespace itself and cannot be overridden" });
                    }
                }
            })
            .default({})
            .meta(
                doc(
                    "Extra namespace labels; cannot override the environment, canary, injection or pod-security labels, nor name another environment.",
                ),
            ),
        istioRevision: nonEmptyLabelValue
            .optional()
            .meta(
                doc(
                    "Istio revision for injection (`istio.io/rev: <revision>`). When omitted, `istio-injection: enabled` " +
                        "is used; never both, since `istio-injection` would silently win over the revision.",
                ),
            ),
        mesh: z
            .object({
                namespace: dnsLabel.default(d.DEFAULT_MESH_NAMESPACE).meta(doc("istiod's namespace; defaults to `istio-system`.")),
                controlPlanePorts: ports("istiod ports the sidecars dial; defaults to 15012 and 15017.").default([
                    ...d.DEFAULT_MESH_CONTROL_PLANE_PORTS,
                ]),
                gatewayNamespaces: z
                    .array(dnsLabel)
                    .default([...d.DEFAULT_GATEWAY_NAMESPACES])
                    .meta(doc("Namespaces of ingress gateways allowed to send traffic in; defaults to `istio-system`.")),
            })
            .strict()
            .prefault({})
            .meta(doc("The mesh control plane and ingress gateways.")),
        dns: z
            .object({
                namespace: dnsLabel.default(d.DEFAULT_DNS.namespace).meta(doc("DNS namespace.")),
                podSelector: labelMap.default({ ...d.DEFAULT_DNS.podSelector }).meta(doc("Labels of the DNS pods.")),
                port: portNumber.default(d.DEFAULT_DNS.port).meta(doc("DNS port.")),
            })
            .strict()
            .prefault({})
            .meta(doc("Cluster DNS; defaults to kube-dns pods in kube-system on port 53 (UDP and TCP).")),
        monitoring: z
            .object({
                enabled: z.boolean().default(true).meta(doc("Whether to allow ingress from the monitoring namespace; defaults to true.")),
                namespace: dnsLabel.default(d.DEFAULT_MONITORING_NAMESPACE).meta(doc("Namespace Prometheus runs in; defaults to `monitoring`.")),
                ports: ports("Ports it may scrape; defaults to 15020 and 15090 (the ones STRICT mTLS leaves scrapable).").default([
                    ...d.DEFAULT_MONITORING_PORTS,
                ]),
            })
            .strict()
            .prefault({})
            .meta(doc("Prometheus scraping.")),
        telemetry: z
            .object({
                enabled: z.boolean().default(true).meta(doc("Whether to allow it; defaults to true.")),
                namespace: dnsLabel
                    .default(d.DEFAULT_TELEMETRY_NAMESPACE)
                    .meta(doc("Namespace the collector agent runs in; defaults to `observability`.")),
                podSelector: labelMap.optional().meta(doc("Labels of the agent pods; defaults to every pod of that namespace.")),
                ports: ports("OTLP ports; defaults to 4317 (gRPC) and 4318 (HTTP).").default([...d.DEFAULT_TELEMETRY_PORTS]),
            })
            .strict()
            .prefault({})
            .meta(
                doc(
                    "Egress to the OpenTelemetry collector agent, without which the default deny would drop the canary's traces " +
                        "and metrics before any SLO could see them.",
                ),
            ),
        sharedServices: z.array(sharedService).default([]).meta(doc("Backing services shared with stable (e.g. Redis), allowed by egress.")),
        podSecurityVersion: z
            .string()
            .regex(/^(latest|v1\.[0-9]+)$/, "must be `latest` or a Kubernetes minor version such as v1.30")
            .default(d.DEFAULT_POD_SECURITY_VERSION)
            .meta(doc("Pod Security Standards version for the `restricted` labels; defaults to `latest`.")),
        resourceQuota: z
            .object({
                enabled: z.boolean().default(true).meta(doc("Whether to create the quota; defaults to true.")),
                hard: z
                    .record(z.string().min(1), quantity)
                    .optional()
                    .transform((hard) => ({ ...d.DEFAULT_RESOURCE_QUOTA, ...hard }))
                    .meta(doc('Hard limits by resource name, e.g. `{ "limits.cpu": "8" }`; merged over the defaults.')),
            })
            .strict()
            .prefault({})
            .meta(doc("ResourceQuota; `hard` entries are merged over the defaults.")),
        limitRange: z
            .object({
                enabled: z.boolean().default(true).meta(doc("Whether to create the LimitRange; defaults to true.")),
                defaultRequest: cpuMemory(d.DEFAULT_LIMIT_RANGE.defaultRequest, "Requests of containers that declare none."),
                default: cpuMemory(d.DEFAULT_LIMIT_RANGE.default, "Limits of containers that declare none."),
                max: cpuMemory(d.DEFAULT_LIMIT_RANGE.max, "Largest limits a container may declare."),
            })
            .strict()
            .prefault({})
            .meta(doc("LimitRange of container defaults; each field merged over the defaults.")),
        mtlsMode: z
            .enum(["STRICT", "PERMISSIVE"])
            .default(d.DEFAULT_MTLS_MODE)
            .meta(doc("mTLS mode of the namespace PeerAuthentication; defaults to STRICT. PERMISSIVE only for migrations.")),
        config: z
            .object({
                name: dnsSubdomain.default(d.DEFAULT_CONFIG_MAP_NAME).meta(doc("ConfigMap name; defaults to `gray-config`.")),
                base: configTree.optional().meta(doc("Base layer.")),
                environment: configTree.optional().meta(doc("Environment layer, merged over base.")),
                gray: configTree.optional().meta(doc("Gray fragment, merged only when the gray switch is on.")),
                grayEnabled: z.boolean().optional().meta(doc("The gray switch; when omitted, read from `gray.enabled` of base → environment.")),
                overrides: configTree.optional().meta(doc("Namespace-only values, merged last.")),
                isolate: z
                    .array(z.string().regex(/^[-_a-zA-Z0-9]+(\.[-_a-zA-Z0-9]+)*$/, "must be a dotted key path"))
                    .optional()
                    .meta(doc("Dotted key paths (e.g. `kafka.topics.payment`) whose values get `isolationSuffix`.")),
                isolationSuffix: z
                    .string()
                    .regex(/^[-_.a-zA-Z0-9]+$/, "must be a non-empty suffix of '-', '_', '.' and alphanumerics")
                    .default(d.DEFAULT_ISOLATION_SUFFIX)
                    .meta(doc("Suffix for isolated values; defaults to `-gray`.")),
            })
            .strict()
            .optional()
            .meta(doc("Layered configuration rendered into a ConfigMap (see `layerConfig`); omitted means no ConfigMap.")),
    })
    .strict()
    .superRefine((a, ctx) => {
        // A namespace labelled for another environment would be picked up by that environment's selectors.
        for (const [key, value] of Object.entries(a.labels)) {
            const path = ["labels", key];
            if (claimsEnvironment(key) && value !== a.environment) {
                const message = `names environment ${JSON.stringify(value)}, but this namespace's environment is ${JSON.stringify(a.environment)}`;
                ctx.addIssue({ code: "custom", path, message });
            } else if (key === LABEL_KEYS.environment) {
                ctx.addIssue({ code: "custom", path, message: "is set by GrayNamespace itself and cannot be overridden" });
            }
        }
    });

/**
 * The args that take a `pulumi.Input`, with the stand-in each gets while pending (see {@link InputFields}): the
 * namespaces of the monitoring and of the collector agent (e.g. OtelCollector's `namespace`), which only go into
 * NetworkPolicy peers. The rest stays plain: `name` is the namespace this component creates (pass it on through
 * `namespaceName`); the labels, quota, limits and configuration are its own settings, and the `enabled` flags and
 * shared services decide which objects exist.
 */
export const grayNamespaceInputFields = { "monitoring.namespace": "x", "telemetry.namespace": "x" } as const satisfies InputFields;

/** {@link grayNamespaceArgsSchema}'s input as plain values: what a stack config holds and `resolveGrayNamespaceArgs` takes. */
export type PlainGrayNamespaceArgs = z.input<typeof grayNamespaceArgsSchema>;
/** Inputs of {@link GrayNamespace}, as callers write them: {@link PlainGrayNamespaceArgs} with the {@link grayNamespaceInputFields} also taking an Input. */
export type GrayNamespaceArgs = WithInputs<PlainGrayNamespaceArgs, InputPaths<typeof grayNamespaceInputFields>>;
/** {@link GrayNamespaceArgs} with every default filled in. */
export type ResolvedGrayNamespaceArgs = z.output<typeof grayNamespaceArgsSchema>;
/** A backing service the gray namespace shares with stable (e.g. Redis), reached by egress. */
export type SharedService = z.input<typeof sharedService>;
/** Container CPU and memory. */
export type CpuMemory = NonNullable<NonNullable<PlainGrayNamespaceArgs["limitRange"]>["max"]>;
/** Layered configuration, rendered into a ConfigMap (see `layerConfig`). */
export type GrayConfigArgs = NonNullable<PlainGrayNamespaceArgs["config"]>;

/**
 * Validates `input` (throwing an InvalidArgsError that names each bad key and value) and fills in the
 * defaults from defaults.ts.
 */
export function resolveGrayNamespaceArgs(input: unknown, subject = "GrayNamespace"): ResolvedGrayNamespaceArgs {
    const resolved = parseArgs(subject, grayNamespaceArgsSchema, input);
    checkLimitOrder(resolved.limitRange, subject);
    return resolved;
}

/**
 * {@link resolveGrayNamespaceArgs} for the component's args: the plain values checked now, the Inputs of
 * {@link grayNamespaceInputFields} when they resolve (see `parseInputArgs`).
 */
export function parseGrayNamespaceArgs(input: GrayNamespaceArgs, subject = "GrayNamespace"): ParsedInputArgs<ResolvedGrayNamespaceArgs> {
    const parsed = parseInputArgs(subject, grayNamespaceArgsSchema, input, grayNamespaceInputFields);
    // No Input is part of the limits, so the stand-ins cannot change this check.
    checkLimitOrder(parsed.shape.limitRange, subject);
    return parsed;
}

/**
 * The API server refuses a LimitRange whose defaultRequest exceeds its default or whose default exceeds
 * its max; overriding one field while keeping the others' defaults makes that easy, so it is caught here.
 */
function checkLimitOrder(lr: ResolvedGrayNamespaceArgs["limitRange"], subject: string): void {
    if (!lr.enabled) return;
    const problems: Array<{ path: string; value: unknown; message: string }> = [];
    for (const res of ["cpu", "memory"] as const) {
        if (quantityValue(lr.defaultRequest[res]) > quantityValue(lr.default[res])) {
            problems.push({
                path: `limitRange.defaultRequest.${res}`,
                value: lr.defaultRequest[res],
                message: `exceeds limitRange.default.${res} = ${lr.default[res]}`,
            });
        }
        if (quantityValue(lr.default[res]) > quantityValue(lr.max[res])) {
            problems.push({ path: `limitRange.default.${res}`, value: lr.default[res], message: `exceeds limitRange.max.${res} = ${lr.max[res]}` });
        }
    }
    if (problems.length > 0) throw new InvalidArgsError(subject, problems);
}
