/**
 * Validation of {@link OtelCollectorArgs}. Defaults are taken from defaults.ts; `prefault` (rather than
 * `default`) is used for objects so their nested defaults are applied too.
 */
import { z } from "zod";
import type { OtelCollectorArgs } from "./args";
import * as d from "./defaults";
import { isCpuQuantity, parseMemoryQuantity } from "./memory";

const dnsLabel = (max: number) =>
    z
        .string()
        .max(max)
        .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and '-'");

const attributeKey = z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.\-/]*$/, "must be an attribute key such as service.version");

const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "must be a Kubernetes label key",
    );

const labelValue = z
    .string()
    .regex(/^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/, "must be a Kubernetes label value");

/** Pinned means a digest, or a tag other than `latest`; a registry port (`host:5000/img`) is not a tag. */
const pinnedImage = z
    .string()
    .min(1)
    .refine((image) => {
        if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
        const lastSegment = image.slice(image.lastIndexOf("/") + 1);
        const colon = lastSegment.lastIndexOf(":");
        if (colon < 0) return false;
        const tag = lastSegment.slice(colon + 1);
        return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) && tag !== "latest";
    }, "must be pinned by a tag other than 'latest' or by an @sha256 digest");

const cpu = z.string().refine(isCpuQuantity, "must be a positive CPU quantity such as 250m or 1");
const memory = z
    .string()
    .refine((q) => (parseMemoryQuantity(q) ?? 0) > 0, "must be a positive memory quantity such as 512Mi");

const resourceSpec = z
    .strictObject({ cpuRequest: cpu, memoryRequest: memory, cpuLimit: cpu, memoryLimit: memory })
    .superRefine((r, ctx) => {
        const limit = parseMemoryQuantity(r.memoryLimit);
        const request = parseMemoryQuantity(r.memoryRequest);
        if (limit !== undefined && limit < d.MIN_MEMORY_LIMIT_BYTES) {
            ctx.addIssue({ code: "custom", path: ["memoryLimit"], message: "must be at least 64Mi" });
        }
        if (limit !== undefined && request !== undefined && request > limit) {
            ctx.addIssue({ code: "custom", path: ["memoryRequest"], message: "must not exceed memoryLimit" });
        }
    });

/** gRPC exporters take `host:port`, optionally behind http(s)://; a path would be silently ignored. */
const grpcEndpoint = z
    .string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+:[0-9]{1,5}$/, "must be host:port or http(s)://host:port");

const remoteWriteUrl = z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL such as http://prometheus:9090/api/v1/write");

const canaryAttribute = z.strictObject({
    key: attributeKey,
    values: z.array(z.string().min(1)).min(1),
});

const increasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] ?? -Infinity));

export const otelCollectorArgsSchema = z.strictObject({
    namespace: dnsLabel(63),
    mode: z.enum(["plain", "operator"]).default(d.DEFAULT_MODE),
    // Leaves room for the "-gateway-collector-headless" suffix within the 63-character Service name limit.
    baseName: dnsLabel(35).default(d.DEFAULT_BASE_NAME),
    image: pinnedImage.default(d.DEFAULT_IMAGE),
    traces: z.strictObject({
        endpoint: grpcEndpoint,
        insecure: z.boolean().default(d.DEFAULT_TRACES_INSECURE),
    }),
    metrics: z.strictObject({ remoteWriteUrl }),
    sampling: z
        .strictObject({
            canaryVersions: z.array(z.string().min(1)).default([...d.DEFAULT_CANARY_VERSIONS]),
            canaryAttributes: z
                .array(canaryAttribute)
                .default(d.DEFAULT_CANARY_ATTRIBUTES.map((a) => ({ key: a.key, values: [...a.values] }))),
            latencyThresholdMs: z.number().int().positive().default(d.DEFAULT_LATENCY_THRESHOLD_MS),
            probabilisticPercent: z.number().min(0).max(100).default(d.DEFAULT_PROBABILISTIC_PERCENT),
            decisionWaitSeconds: z.number().int().min(1).max(300).default(d.DEFAULT_DECISION_WAIT_SECONDS),
            numTraces: z.number().int().positive().default(d.DEFAULT_NUM_TRACES),
            expectedNewTracesPerSec: z.number().int().positive().default(d.DEFAULT_EXPECTED_NEW_TRACES_PER_SEC),
        })
        .refine((s) => s.canaryVersions.length + s.canaryAttributes.length > 0, {
            message: "needs at least one canaryVersions entry or canaryAttributes match, or canary traces are not kept",
            path: ["canaryAttributes"],
        })
        .prefault({}),
    spanMetrics: z
        .strictObject({
            extraDimensions: z.array(attributeKey).default([...d.DEFAULT_EXTRA_DIMENSIONS]),
            histogramBucketsMs: z
                .array(z.number().positive())
                .min(1)
                .refine(increasing, "must be strictly increasing")
                .default([...d.DEFAULT_HISTOGRAM_BUCKETS_MS]),
            flushIntervalSeconds: z.number().int().min(1).max(300).default(d.DEFAULT_METRICS_FLUSH_INTERVAL_SECONDS),
        })
        .prefault({}),
    resourceAttributes: z.record(attributeKey, z.string()).default({ ...d.DEFAULT_RESOURCE_ATTRIBUTES }),
    agent: z
        .strictObject({
            resources: resourceSpec.default({ ...d.DEFAULT_AGENT_RESOURCES }),
            podLabelAttributes: z.record(attributeKey, labelKey).default({ ...d.DEFAULT_POD_LABEL_ATTRIBUTES }),
        })
        .prefault({}),
    gateway: z
        .strictObject({
            replicas: z.number().int().min(1).max(50).default(d.DEFAULT_GATEWAY_REPLICAS),
            resources: resourceSpec.default({ ...d.DEFAULT_GATEWAY_RESOURCES }),
        })
        .prefault({}),
    labels: z.record(labelKey, labelValue).default({}),
    networkPolicies: z.boolean().default(d.DEFAULT_NETWORK_POLICIES),
    // Namespace names or "*": declared for policies, and admitted by the agents' NetworkPolicy.
    watchedNamespaces: z
        .array(z.union([z.literal("*"), dnsLabel(63)]))
        .min(1, "must list at least one namespace (leave it unset to cover every namespace)")
        .optional(),
}).superRefine((a, ctx) => {
    // The pods' `app.kubernetes.io/instance` label is `<namespace>.<baseName>-gateway`, limited to 63 characters.
    const instance = `${a.namespace}.${a.baseName}-gateway`;
    if (instance.length > 63) {
        ctx.addIssue({
            code: "custom",
            path: ["baseName"],
            message: `namespace and baseName together are too long: "${instance}" exceeds 63 characters`,
        });
    }
});

/** Arguments after validation, with every default filled in. */
export type ParsedOtelCollectorArgs = z.output<typeof otelCollectorArgsSchema>;

// Compile-time guard: the hand-written, documented Args interface and the schema must accept exactly the same
// input (same keys, same optionality, same types), so neither can drift from the other.
type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// Normalises readonly-ness and interface-vs-alias differences the equality check would otherwise trip on.
type Normalised<T> =
    T extends ReadonlyArray<infer E>
        ? Array<Normalised<E>>
        : T extends object
          ? { [K in keyof T]: Normalised<T[K]> }
          : T;
type SchemaInput = Normalised<z.input<typeof otelCollectorArgsSchema>>;
const argsMatchSchema: Exactly<SchemaInput, Normalised<OtelCollectorArgs>> = true;
void argsMatchSchema;
