/**
 * Public argument types of the Thanos component and the zod schema that checks them. Defaults are applied from
 * {@link THANOS_DEFAULTS} by the schema, so code after parsing never sees an optional field.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { ResourceSpec } from "../common";
import { THANOS_DEFAULTS } from "./defaults";
import { isDuration } from "./duration";

/** Server-side encryption of the S3 bucket. */
export type S3Encryption =
    | {
          /** S3-managed keys (SSE-S3). */
          algorithm: "AES256";
      }
    | {
          /** A customer-managed KMS key (SSE-KMS). */
          algorithm: "aws:kms";
          /** ARN of the KMS key; the Thanos role is granted use of exactly this key. */
          kmsKeyArn: pulumi.Input<string>;
      };

/** Create a dedicated S3 bucket and an IRSA role for Thanos; no static credentials exist anywhere. */
export interface AwsStorageArgs {
    /** Discriminator. */
    type: "aws";
    /** AWS region of the bucket, e.g. `eu-west-1`; also written into the objstore config. */
    region: string;
    /** Prefix of the bucket name; a random suffix keeps names globally unique. Default `thanos`. */
    bucketNamePrefix?: string;
    /** Server-side encryption. Default SSE-S3 (`AES256`). */
    encryption?: S3Encryption;
    /** Days after which incomplete multipart uploads are aborted, so failed uploads stop costing money. Default 1. */
    abortIncompleteMultipartUploadDays?: number;
    /**
     * Optional safety-net expiry of every object, in days. Must exceed the longest compactor retention, otherwise
     * S3 would delete blocks the compactor still considers live. Omit to let the compactor alone delete.
     */
    expireAfterDays?: number;
    /** Allow `pulumi destroy` to delete a non-empty bucket. Default false: metrics history is not disposable. */
    forceDestroy?: boolean;
    /** ARN of the EKS cluster's IAM OIDC provider, e.g. `arn:aws:iam::123456789012:oidc-provider/oidc.eks...`. */
    oidcProviderArn: pulumi.Input<string>;
    /** Issuer URL of the cluster's OIDC provider (with or without `https://`). */
    oidcProviderUrl: pulumi.Input<string>;
    /** Tags for every AWS resource. */
    tags?: Record<string, string>;
}

/** Use an existing S3-compatible bucket with static credentials (e.g. MinIO, or a bucket owned elsewhere). */
export interface ExistingStorageArgs {
    /** Discriminator. */
    type: "existing";
    /** Bucket name. */
    bucket: string;
    /** S3 endpoint host (and port), without scheme, e.g. `s3.eu-west-1.amazonaws.com` or `minio.minio:9000`. */
    endpoint: string;
    /** Bucket region. */
    region: string;
    /** Access key id; pass a Pulumi secret (`config.requireSecret`). It is treated as secret regardless. */
    accessKey: pulumi.Input<string>;
    /** Secret access key; pass a Pulumi secret. It is treated as secret regardless. */
    secretKey: pulumi.Input<string>;
    /** Talk plain HTTP to the endpoint. Default false; only for in-cluster test endpoints. */
    insecure?: boolean;
}

/**
 * Local-directory "bucket", for dev and demos only. An emptyDir is private to each pod, so blocks uploaded by the
 * sidecar are not visible to the store gateway unless a ReadWriteMany claim is shared. A policy pack refuses this
 * type in production; the component exposes `storageType` so it can.
 */
export interface FilesystemStorageArgs {
    /** Discriminator. */
    type: "filesystem";
    /** Directory used as the bucket inside each pod. Default `/var/thanos/bucket`. */
    directory?: string;
    /** Existing (ideally ReadWriteMany) claim mounted at `directory`; omit to use an emptyDir. */
    persistentVolumeClaimName?: string;
}

/** Where Thanos keeps blocks. */
export type ThanosStorageArgs = AwsStorageArgs | ExistingStorageArgs | FilesystemStorageArgs;

/** Compactor retention per resolution, as Thanos durations; `0d` keeps forever. */
export interface RetentionArgs {
    /** Retention of raw samples (`--retention.resolution-raw`). Default `45d`. */
    raw?: string;
    /** Retention of 5-minute downsampled data (`--retention.resolution-5m`). Default `180d`. */
    fiveMinutes?: string;
    /** Retention of 1-hour downsampled data (`--retention.resolution-1h`). Default `400d`. */
    oneHour?: string;
}

/** The prometheus-operator `Prometheus` whose Thanos sidecar uploads blocks and serves recent data. */
export interface PrometheusTargetArgs {
    /** Namespace of the `Prometheus` resource; the objstore Secret is created there as well. */
    namespace: string;
    /** ServiceAccount its pods run as; granted bucket access through IRSA for the `aws` storage type. */
    serviceAccountName: string;
    /** Headless Service in front of the Prometheus pods. Default `prometheus-operated` (the operator's). */
    governingServiceName?: string;
}

/** Thanos Query (the Prometheus HTTP API canary analysis uses). */
export interface QueryArgs {
    /** Replicas. Default 2. */
    replicas?: number;
    /** External labels that only distinguish HA replicas; series differing only in them are deduplicated. */
    replicaLabels?: string[];
    /** Requests and limits. */
    resources?: ResourceSpec;
}

/** Thanos Query Frontend: splits long range queries and caches results in memory. */
export interface QueryFrontendArgs {
    /** Replicas. Default 2. */
    replicas?: number;
    /** `--query-range.split-interval`. Default `24h`. */
    splitInterval?: string;
    /** Maximum size of the in-memory results cache, e.g. `512MB`. */
    cacheMaxSize?: string;
    /** Requests and limits. */
    resources?: ResourceSpec;
}

/** Thanos Store Gateway (serves blocks from the bucket). */
export interface StoreArgs {
    /** Replicas. Default 2. */
    replicas?: number;
    /** Size of the index-cache volume. Default `10Gi`. */
    storageSize?: string;
    /** StorageClass of that volume; the cluster default when omitted. */
    storageClassName?: string;
    /** Requests and limits. */
    resources?: ResourceSpec;
}

/** Thanos Compactor (always exactly one replica; two would corrupt the bucket). */
export interface CompactorArgs {
    /** Size of the scratch volume compaction and downsampling need. Default `50Gi`. */
    storageSize?: string;
    /** StorageClass of that volume; the cluster default when omitted. */
    storageClassName?: string;
    /** Requests and limits. */
    resources?: ResourceSpec;
}

/** Thanos Ruler evaluating rule files against Thanos Query (long-window SLO rules). */
export interface RulerArgs {
    /** Rule files: file name (`[-._a-zA-Z0-9]+`) to Prometheus rule-file YAML (`groups: [...]`). */
    ruleFiles: Record<string, string>;
    /** Replicas. Default 1. */
    replicas?: number;
    /** `--eval-interval`. Default `30s`. */
    evalInterval?: string;
    /** Alertmanager URLs (`--alertmanagers.url`), e.g. `http://alertmanager-operated.monitoring.svc:9093`. */
    alertmanagerUrls?: string[];
    /** Size of the local TSDB volume. Default `5Gi`. */
    storageSize?: string;
    /** StorageClass of that volume; the cluster default when omitted. */
    storageClassName?: string;
    /** Requests and limits. */
    resources?: ResourceSpec;
}

/** Arguments of the {@link Thanos} component. */
export interface ThanosArgs {
    /** Existing namespace for the Thanos workloads. */
    namespace: string;
    /** The Prometheus whose sidecar is configured. */
    prometheus: PrometheusTargetArgs;
    /** Object storage for blocks. */
    storage: ThanosStorageArgs;
    /**
     * Longest SLO window evaluated over Thanos, e.g. `30d`. Raw retention must exceed it so SLO attainment is
     * computed from full-resolution samples.
     */
    longestSloWindow: string;
    /** Compactor retention per resolution. */
    retention?: RetentionArgs;
    /** Thanos image, pinned. Default `quay.io/thanos/thanos:v0.36.1`. */
    image?: string;
    /** Cluster DNS domain used in DNS service discovery. Default `cluster.local`. */
    clusterDomain?: string;
    /** Thanos Query settings. */
    query?: QueryArgs;
    /** Thanos Query Frontend settings. */
    queryFrontend?: QueryFrontendArgs;
    /** Store Gateway settings. */
    store?: StoreArgs;
    /** Compactor settings. */
    compactor?: CompactorArgs;
    /** Ruler; omitted means no ruler is deployed. */
    ruler?: RulerArgs;
    /** Extra labels on every Kubernetes object. */
    labels?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

const D = THANOS_DEFAULTS;

/** A string or a Pulumi Output; outputs cannot be inspected before deployment, so only plain strings are checked. */
const inputString = z.union([
    z.string().min(1),
    z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), { message: "expected a string or Output" }),
]);

const duration = z.string().refine(isDuration, { message: 'expected a duration such as "30d", "40h" or "1d12h"' });
const dnsLabel = z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "expected a DNS-1123 label" });
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?([EPTGMk]i?|[mun])?$/, { message: "expected a Kubernetes quantity" });
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: "expected a Prometheus label name" });

const resourceSpec = z
    .object({ cpuRequest: quantity, memoryRequest: quantity, cpuLimit: quantity, memoryLimit: quantity })
    .strict();
const replicas = (dflt: number) => z.number().int().min(1).max(20).default(dflt);

const awsStorage = z
    .object({
        type: z.literal("aws"),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: "expected an AWS region such as eu-west-1" }),
        bucketNamePrefix: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{0,38}$/, { message: "expected 1-39 lowercase letters, digits or '-'" })
            .default(D.aws.bucketNamePrefix),
        encryption: z
            .discriminatedUnion("algorithm", [
                z.object({ algorithm: z.literal("AES256") }).strict(),
                z.object({ algorithm: z.literal("aws:kms"), kmsKeyArn: inputString }).strict(),
            ])
            .default({ algorithm: D.aws.sseAlgorithm }),
        abortIncompleteMultipartUploadDays: z
            .number()
            .int()
            .min(1)
            .default(D.aws.abortIncompleteMultipartUploadDays),
        expireAfterDays: z.number().int().min(1).optional(),
        forceDestroy: z.boolean().default(D.aws.forceDestroy),
        oidcProviderArn: inputString,
        oidcProviderUrl: inputString,
        tags: z.record(z.string(), z.string()).default({}),
    })
    .strict();

const existingStorage = z
    .object({
        type: z.literal("existing"),
        bucket: z.string().min(3),
        endpoint: z
            .string()
            .regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, { message: "expected host[:port] without scheme or path" }),
        region: z.string().min(1),
        accessKey: inputString,
        secretKey: inputString,
        insecure: z.boolean().default(false),
    })
    .strict();

const filesystemStorage = z
    .object({
        type: z.literal("filesystem"),
        directory: z
            .string()
            .regex(/^\/[^\s]*$/, { message: "expected an absolute path" })
            .default(D.filesystem.directory),
        persistentVolumeClaimName: dnsLabel.optional(),
    })
    .strict();

const ruleFileName = z.string().regex(/^[-._a-zA-Z0-9]+$/, { message: "expected a ConfigMap key ([-._a-zA-Z0-9]+)" });

/** A rule file must at least parse as YAML and carry a `groups` list, or the ruler crash-loops at start. */
const ruleFileYaml = z.string().superRefine((text, ctx) => {
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch (err) {
        ctx.addIssue({ code: "custom", message: `not valid YAML: ${(err as Error).message.split("\n")[0]}` });
        return;
    }
    const groups = doc !== null && typeof doc === "object" ? (doc as Record<string, unknown>)["groups"] : undefined;
    if (!Array.isArray(groups)) ctx.addIssue({ code: "custom", message: "expected a rule file with a `groups` list" });
});

export const thanosArgsSchema = z
    .object({
        namespace: dnsLabel,
        prometheus: z
            .object({
                namespace: dnsLabel,
                serviceAccountName: z.string().min(1),
                governingServiceName: dnsLabel.default(D.prometheusGoverningService),
            })
            .strict(),
        storage: z.discriminatedUnion("type", [awsStorage, existingStorage, filesystemStorage]),
        longestSloWindow: duration,
        retention: z
            .object({
                raw: duration.default(D.retention.raw),
                fiveMinutes: duration.default(D.retention.fiveMinutes),
                oneHour: duration.default(D.retention.oneHour),
            })
            .strict()
            .default({ raw: D.retention.raw, fiveMinutes: D.retention.fiveMinutes, oneHour: D.retention.oneHour }),
        image: z
            .string()
            .regex(/^[^\s:@]+(:[^\s:@]+)?(@sha256:[a-f0-9]{64})?$/, { message: "expected an image reference" })
            .refine((s) => /:[^/]+$/.test(s) || s.includes("@sha256:"), {
                message: "pin the image with a tag or digest",
            })
            .refine((s) => !/:latest$/.test(s), { message: "`latest` is not a pin" })
            .default(D.image),
        clusterDomain: z.string().min(1).default(D.clusterDomain),
        query: z
            .object({
                replicas: replicas(D.query.replicas),
                replicaLabels: z.array(labelName).default([...D.query.replicaLabels]),
                resources: resourceSpec.default(D.query.resources),
            })
            .strict()
            .default({ replicas: D.query.replicas, replicaLabels: [...D.query.replicaLabels], resources: D.query.resources }),
        queryFrontend: z
            .object({
                replicas: replicas(D.queryFrontend.replicas),
                splitInterval: duration.default(D.queryFrontend.splitInterval),
                cacheMaxSize: z
                    .string()
                    .regex(/^\d+(B|KB|MB|GB)$/, { message: "expected a size such as 512MB" })
                    .default(D.queryFrontend.cacheMaxSize),
                resources: resourceSpec.default(D.queryFrontend.resources),
            })
            .strict()
            .default({
                replicas: D.queryFrontend.replicas,
                splitInterval: D.queryFrontend.splitInterval,
                cacheMaxSize: D.queryFrontend.cacheMaxSize,
                resources: D.queryFrontend.resources,
            }),
        store: z
            .object({
                replicas: replicas(D.store.replicas),
                storageSize: quantity.default(D.store.storageSize),
                storageClassName: z.string().min(1).optional(),
                resources: resourceSpec.default(D.store.resources),
            })
            .strict()
            .default({ replicas: D.store.replicas, storageSize: D.store.storageSize, resources: D.store.resources }),
        compactor: z
            .object({
                storageSize: quantity.default(D.compactor.storageSize),
                storageClassName: z.string().min(1).optional(),
                resources: resourceSpec.default(D.compactor.resources),
            })
            .strict()
            .default({ storageSize: D.compactor.storageSize, resources: D.compactor.resources }),
        ruler: z
            .object({
                ruleFiles: z
                    .record(ruleFileName, ruleFileYaml)
                    .refine((files) => Object.keys(files).length > 0, { message: "expected at least one rule file" }),
                replicas: replicas(D.ruler.replicas),
                evalInterval: duration.default(D.ruler.evalInterval),
                alertmanagerUrls: z.array(z.url()).default([]),
                storageSize: quantity.default(D.ruler.storageSize),
                storageClassName: z.string().min(1).optional(),
                resources: resourceSpec.default(D.ruler.resources),
            })
            .strict()
            .optional(),
        labels: z.record(z.string(), z.string()).default({}),
    })
    .strict();

/** {@link ThanosArgs} after validation, with every default filled in. */
export type ResolvedThanosArgs = z.output<typeof thanosArgsSchema>;
