/**
 * Inputs of {@link GrayNamespace}: the interface callers write, its zod schema, and the resolution of
 * defaults (all taken from defaults.ts).
 */
import { z } from "zod";
import { InvalidArgsError, parseArgs } from "../common/validation";
import * as d from "./defaults";
import { dnsLabel, dnsSubdomain, labelMap, labelValue, portNumber, quantity, quantityValue } from "../common/k8s-names";
import type { ConfigTree } from "./layered-config";
import { isReservedLabel } from "./labels";

/** A backing service the gray namespace shares with stable (e.g. Redis), reached by egress. */
export interface SharedService {
    /** Namespace the service runs in. */
    namespace: string;
    /** Labels of the service's pods; omitted means every pod of that namespace. */
    podSelector?: Record<string, string>;
    /** Ports the gray pods may dial. */
    ports: number[];
    /** Transport protocol of `ports`; defaults to TCP. */
    protocol?: "TCP" | "UDP";
}

/** Container CPU and memory. */
export interface CpuMemory {
    /** CPU quantity, e.g. `500m`. */
    cpu?: string;
    /** Memory quantity, e.g. `512Mi`. */
    memory?: string;
}

/** Layered configuration, rendered into a ConfigMap (see {@link layerConfig}). */
export interface GrayConfigArgs {
    /** ConfigMap name; defaults to `gray-config`. */
    name?: string;
    /** Base layer. */
    base?: ConfigTree;
    /** Environment layer, merged over base. */
    environment?: ConfigTree;
    /** Gray fragment, merged only when the gray switch is on. */
    gray?: ConfigTree;
    /** The gray switch; when omitted, read from `gray.enabled` of base → environment. */
    grayEnabled?: boolean;
    /** Namespace-only values, merged last. */
    overrides?: ConfigTree;
    /** Dotted key paths (e.g. `kafka.topics.payment`) whose values get `isolationSuffix`. */
    isolate?: string[];
    /** Suffix for isolated values; defaults to `-gray`. */
    isolationSuffix?: string;
}

/** Inputs of {@link GrayNamespace}. Plain values, so they are validated before anything is created. */
export interface GrayNamespaceArgs {
    /** Namespace name, e.g. `staging-gray`. */
    name: string;
    /** Environment the namespace belongs to, e.g. `staging`; becomes the `environment` label. */
    environment: string;
    /** Zone (region, cell or availability zone); becomes the `zone` label when set. */
    zone?: string;
    /** Value of the `canary` label (`"true"`/`"false"`); defaults to true. */
    canary?: boolean;
    /** Extra namespace labels; cannot override the environment, canary, injection or pod-security labels. */
    labels?: Record<string, string>;
    /**
     * Istio revision for injection (`istio.io/rev: <revision>`). When omitted, `istio-injection: enabled`
     * is used; never both, since `istio-injection` would silently win over the revision.
     */
    istioRevision?: string;
    /** The mesh control plane and ingress gateways. */
    mesh?: {
        /** istiod's namespace; defaults to `istio-system`. */
        namespace?: string;
        /** istiod ports the sidecars dial; defaults to 15012 and 15017. */
        controlPlanePorts?: number[];
        /** Namespaces of ingress gateways allowed to send traffic in; defaults to `istio-system`. */
        gatewayNamespaces?: string[];
    };
    /** Cluster DNS; defaults to kube-dns pods in kube-system on port 53 (UDP and TCP). */
    dns?: {
        /** DNS namespace. */
        namespace?: string;
        /** Labels of the DNS pods. */
        podSelector?: Record<string, string>;
        /** DNS port. */
        port?: number;
    };
    /** Prometheus scraping. */
    monitoring?: {
        /** Whether to allow ingress from the monitoring namespace; defaults to true. */
        enabled?: boolean;
        /** Namespace Prometheus runs in; defaults to `monitoring`. */
        namespace?: string;
        /** Ports it may scrape; defaults to 15020 and 15090 (the ones STRICT mTLS leaves scrapable). */
        ports?: number[];
    };
    /**
     * Egress to the OpenTelemetry collector agent, without which the default deny would drop the canary's traces
     * and metrics before any SLO could see them.
     */
    telemetry?: {
        /** Whether to allow it; defaults to true. */
        enabled?: boolean;
        /** Namespace the collector agent runs in; defaults to `observability`. */
        namespace?: string;
        /** Labels of the agent pods; defaults to every pod of that namespace. */
        podSelector?: Record<string, string>;
        /** OTLP ports; defaults to 4317 (gRPC) and 4318 (HTTP). */
        ports?: number[];
    };
    /** Backing services shared with stable (e.g. Redis), allowed by egress. */
    sharedServices?: SharedService[];
    /** Pod Security Standards version for the `restricted` labels; defaults to `latest`. */
    podSecurityVersion?: string;
    /** ResourceQuota; `hard` entries are merged over the defaults. */
    resourceQuota?: {
        /** Whether to create the quota; defaults to true. */
        enabled?: boolean;
        /** Hard limits by resource name, e.g. `{ "limits.cpu": "8" }`. */
        hard?: Record<string, string>;
    };
    /** LimitRange of container defaults; each field merged over the defaults. */
    limitRange?: {
        /** Whether to create the LimitRange; defaults to true. */
        enabled?: boolean;
        /** Requests of containers that declare none. */
        defaultRequest?: CpuMemory;
        /** Limits of containers that declare none. */
        default?: CpuMemory;
        /** Largest limits a container may declare. */
        max?: CpuMemory;
    };
    /** mTLS mode of the namespace PeerAuthentication; defaults to STRICT. PERMISSIVE only for migrations. */
    mtlsMode?: "STRICT" | "PERMISSIVE";
    /** Layered configuration rendered into a ConfigMap; omitted means no ConfigMap. */
    config?: GrayConfigArgs;
}

const CONFIG_KEY = /^[-_a-zA-Z0-9]+$/;
// Keys are checked in a refinement rather than by the record's key schema, whose error ("Invalid key in
// record") would not say what a valid key is.
const configTree: z.ZodType<ConfigTree> = z.lazy(() =>
    z
        .record(z.string(), z.union([z.string(), configTree], { error: "must be a string or a map of strings" }))
        .superRefine((tree, ctx) => {
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

const cpuMemory = z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict();

const sharedService = z
    .object({
        namespace: dnsLabel,
        podSelector: labelMap.optional(),
        ports: z.array(portNumber).min(1, "list at least one port"),
        protocol: z.enum(["TCP", "UDP"]).optional(),
    })
    .strict();

/** zod schema of {@link GrayNamespaceArgs}. */
export const grayNamespaceArgsSchema = z
    .object({
        name: dnsLabel,
        environment: labelValue.min(1, "must not be empty"),
        zone: labelValue.min(1, "must not be empty").optional(),
        canary: z.boolean().optional(),
        labels: labelMap
            .superRefine((labels, ctx) => {
                for (const key of Object.keys(labels)) {
                    if (isReservedLabel(key)) {
                        ctx.addIssue({ code: "custom", path: [key], message: "is set by GrayNamespace itself and cannot be overridden" });
                    }
                }
            })
            .optional(),
        istioRevision: labelValue.min(1, "must not be empty").optional(),
        mesh: z
            .object({
                namespace: dnsLabel.optional(),
                controlPlanePorts: z.array(portNumber).min(1, "list at least one port").optional(),
                gatewayNamespaces: z.array(dnsLabel).optional(),
            })
            .strict()
            .optional(),
        dns: z.object({ namespace: dnsLabel.optional(), podSelector: labelMap.optional(), port: portNumber.optional() }).strict().optional(),
        monitoring: z
            .object({
                enabled: z.boolean().optional(),
                namespace: dnsLabel.optional(),
                ports: z.array(portNumber).min(1, "list at least one port").optional(),
            })
            .strict()
            .optional(),
        telemetry: z
            .object({
                enabled: z.boolean().optional(),
                namespace: dnsLabel.optional(),
                podSelector: labelMap.optional(),
                ports: z.array(portNumber).min(1, "list at least one port").optional(),
            })
            .strict()
            .optional(),
        sharedServices: z.array(sharedService).optional(),
        podSecurityVersion: z
            .string()
            .regex(/^(latest|v1\.[0-9]+)$/, "must be `latest` or a Kubernetes minor version such as v1.30")
            .optional(),
        resourceQuota: z.object({ enabled: z.boolean().optional(), hard: z.record(z.string().min(1), quantity).optional() }).strict().optional(),
        limitRange: z
            .object({
                enabled: z.boolean().optional(),
                defaultRequest: cpuMemory.optional(),
                default: cpuMemory.optional(),
                max: cpuMemory.optional(),
            })
            .strict()
            .optional(),
        mtlsMode: z.enum(["STRICT", "PERMISSIVE"]).optional(),
        config: z
            .object({
                name: dnsSubdomain.optional(),
                base: configTree.optional(),
                environment: configTree.optional(),
                gray: configTree.optional(),
                grayEnabled: z.boolean().optional(),
                overrides: configTree.optional(),
                isolate: z.array(z.string().regex(/^[-_a-zA-Z0-9]+(\.[-_a-zA-Z0-9]+)*$/, "must be a dotted key path")).optional(),
                isolationSuffix: z.string().regex(/^[-_.a-zA-Z0-9]+$/, "must be a non-empty suffix of '-', '_', '.' and alphanumerics").optional(),
            })
            .strict()
            .optional(),
    })
    .strict() satisfies z.ZodType<GrayNamespaceArgs>;

/** {@link GrayNamespaceArgs} with every default filled in. */
export interface ResolvedGrayNamespaceArgs {
    name: string;
    environment: string;
    zone: string | undefined;
    canary: boolean;
    labels: Record<string, string>;
    istioRevision: string | undefined;
    mesh: { namespace: string; controlPlanePorts: number[]; gatewayNamespaces: string[] };
    dns: { namespace: string; podSelector: Record<string, string>; port: number };
    monitoring: { enabled: boolean; namespace: string; ports: number[] };
    telemetry: { enabled: boolean; namespace: string; podSelector: Record<string, string> | undefined; ports: number[] };
    sharedServices: Array<Required<Pick<SharedService, "namespace" | "ports" | "protocol">> & Pick<SharedService, "podSelector">>;
    podSecurityVersion: string;
    resourceQuota: { enabled: boolean; hard: Record<string, string> };
    limitRange: {
        enabled: boolean;
        defaultRequest: Required<CpuMemory>;
        default: Required<CpuMemory>;
        max: Required<CpuMemory>;
    };
    mtlsMode: "STRICT" | "PERMISSIVE";
    config: (Omit<GrayConfigArgs, "name" | "isolationSuffix"> & { name: string; isolationSuffix: string }) | undefined;
}

/**
 * Validates `input` (throwing an InvalidArgsError that names each bad key and value) and fills in the
 * defaults from defaults.ts.
 */
export function resolveGrayNamespaceArgs(input: unknown, subject = "GrayNamespace"): ResolvedGrayNamespaceArgs {
    const a = parseArgs(subject, grayNamespaceArgsSchema, input);
    const lr = a.limitRange ?? {};
    const resolved: ResolvedGrayNamespaceArgs = {
        name: a.name,
        environment: a.environment,
        zone: a.zone,
        canary: a.canary ?? d.DEFAULT_CANARY_LABEL,
        labels: a.labels ?? {},
        istioRevision: a.istioRevision,
        mesh: {
            namespace: a.mesh?.namespace ?? d.DEFAULT_MESH_NAMESPACE,
            controlPlanePorts: a.mesh?.controlPlanePorts ?? [...d.DEFAULT_MESH_CONTROL_PLANE_PORTS],
            gatewayNamespaces: a.mesh?.gatewayNamespaces ?? [...d.DEFAULT_GATEWAY_NAMESPACES],
        },
        dns: {
            namespace: a.dns?.namespace ?? d.DEFAULT_DNS.namespace,
            podSelector: a.dns?.podSelector ?? { ...d.DEFAULT_DNS.podSelector },
            port: a.dns?.port ?? d.DEFAULT_DNS.port,
        },
        monitoring: {
            enabled: a.monitoring?.enabled ?? true,
            namespace: a.monitoring?.namespace ?? d.DEFAULT_MONITORING_NAMESPACE,
            ports: a.monitoring?.ports ?? [...d.DEFAULT_MONITORING_PORTS],
        },
        telemetry: {
            enabled: a.telemetry?.enabled ?? true,
            namespace: a.telemetry?.namespace ?? d.DEFAULT_TELEMETRY_NAMESPACE,
            podSelector: a.telemetry?.podSelector,
            ports: a.telemetry?.ports ?? [...d.DEFAULT_TELEMETRY_PORTS],
        },
        sharedServices: (a.sharedServices ?? []).map((s) => ({ ...s, protocol: s.protocol ?? d.DEFAULT_SHARED_SERVICE_PROTOCOL })),
        podSecurityVersion: a.podSecurityVersion ?? d.DEFAULT_POD_SECURITY_VERSION,
        resourceQuota: {
            enabled: a.resourceQuota?.enabled ?? true,
            hard: { ...d.DEFAULT_RESOURCE_QUOTA, ...(a.resourceQuota?.hard ?? {}) },
        },
        limitRange: {
            enabled: lr.enabled ?? true,
            defaultRequest: { ...d.DEFAULT_LIMIT_RANGE.defaultRequest, ...stripUndefined(lr.defaultRequest) },
            default: { ...d.DEFAULT_LIMIT_RANGE.default, ...stripUndefined(lr.default) },
            max: { ...d.DEFAULT_LIMIT_RANGE.max, ...stripUndefined(lr.max) },
        },
        mtlsMode: a.mtlsMode ?? d.DEFAULT_MTLS_MODE,
        config:
            a.config === undefined
                ? undefined
                : {
                      ...a.config,
                      name: a.config.name ?? d.DEFAULT_CONFIG_MAP_NAME,
                      isolationSuffix: a.config.isolationSuffix ?? d.DEFAULT_ISOLATION_SUFFIX,
                  },
    };
    checkLimitOrder(resolved.limitRange, subject);
    return resolved;
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

function stripUndefined(v: CpuMemory | undefined): CpuMemory {
    const out: CpuMemory = {};
    if (v?.cpu !== undefined) out.cpu = v.cpu;
    if (v?.memory !== undefined) out.memory = v.memory;
    return out;
}
