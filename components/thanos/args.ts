/**
 * Arguments of the Thanos component: the zod schema is the single source of their shape, descriptions and
 * defaults (taken from {@link THANOS_DEFAULTS}); the types are inferred from it, so code after parsing never sees
 * an optional field that has a default.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { InputFields, InputPaths, WithInputs } from "../common/inputs";
import { dnsLabel, dnsSubdomain, durationString, labelMap, quantity } from "../common/k8s-names";
import { THANOS_DEFAULTS } from "./defaults";

const D = THANOS_DEFAULTS;
const doc = (description: string) => ({ description });

/** A string or a Pulumi Output; outputs cannot be inspected before deployment, so only plain strings are checked. */
const inputString = z.union([
    z.string().min(1),
    z.custom<pulumi.Output<string>>((v) => pulumi.Output.isInstance(v), { message: "expected a string or Output" }),
]);

// Prometheus label names follow their own grammar (underscores, no dots or dashes), unlike Kubernetes label keys.
const prometheusLabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: "expected a Prometheus label name" });

const resourceSpec = z
    .object({
        cpuRequest: quantity.meta(doc("CPU request, e.g. `100m`.")),
        memoryRequest: quantity.meta(doc("Memory request, e.g. `128Mi`.")),
        cpuLimit: quantity.meta(doc("CPU limit, e.g. `500m`.")),
        memoryLimit: quantity.meta(doc("Memory limit, e.g. `256Mi`.")),
    })
    .strict()
    .meta(doc("Requests and limits."));
const replicas = (dflt: number) =>
    z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(dflt)
        .meta(doc(`Replicas. Default ${dflt}.`));
const storageClassName = dnsSubdomain.optional().meta(doc("StorageClass of that volume; the cluster default when omitted."));

const awsStorage = z
    .object({
        type: z.literal("aws").meta(doc("Discriminator.")),
        region: z
            .string()
            .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: "expected an AWS region such as eu-west-1" })
            .meta(doc("AWS region of the bucket, e.g. `eu-west-1`; also written into the objstore config.")),
        bucketNamePrefix: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{0,38}$/, { message: "expected 1-39 lowercase letters, digits or '-'" })
            .default(D.aws.bucketNamePrefix)
            .meta(doc("Prefix of the bucket name; a random suffix keeps names globally unique. Default `thanos`.")),
        encryption: z
            .discriminatedUnion("algorithm", [
                z.object({ algorithm: z.literal("AES256").meta(doc("S3-managed keys (SSE-S3).")) }).strict(),
                z
                    .object({
                        algorithm: z.literal("aws:kms").meta(doc("A customer-managed KMS key (SSE-KMS).")),
                        kmsKeyArn: inputString.meta(doc("ARN of the KMS key; the Thanos role is granted use of exactly this key.")),
                    })
                    .strict(),
            ])
            .default({ algorithm: D.aws.sseAlgorithm })
            .meta(doc("Server-side encryption. Default SSE-S3 (`AES256`).")),
        abortIncompleteMultipartUploadDays: z
            .number()
            .int()
            .min(1)
            .default(D.aws.abortIncompleteMultipartUploadDays)
            .meta(doc("Days after which incomplete multipart uploads are aborted, so failed uploads stop costing money. Default 1.")),
        expireAfterDays: z
            .number()
            .int()
            .min(1)
            .optional()
            .meta(
                doc(
                    "Optional safety-net expiry of every object, in days. Must exceed the longest compactor retention, otherwise " +
                        "S3 would delete blocks the compactor still considers live. Omit to let the compactor alone delete.",
                ),
            ),
        forceDestroy: z
            .boolean()
            .default(D.aws.forceDestroy)
            .meta(doc("Allow `pulumi destroy` to delete a non-empty bucket. Default false: metrics history is not disposable.")),
        oidcProviderArn: inputString.meta(
            doc("ARN of the EKS cluster's IAM OIDC provider, e.g. `arn:aws:iam::123456789012:oidc-provider/oidc.eks...`."),
        ),
        oidcProviderUrl: inputString.meta(doc("Issuer URL of the cluster's OIDC provider (with or without `https://`).")),
        tags: z.record(z.string(), z.string()).default({}).meta(doc("Tags for every AWS resource.")),
    })
    .strict()
    .meta(doc("Create a dedicated S3 bucket and an IRSA role for Thanos; no static credentials exist anywhere."));

const existingStorage = z
    .object({
        type: z.literal("existing").meta(doc("Discriminator.")),
        bucket: z.string().min(3).meta(doc("Bucket name.")),
        endpoint: z
            .string()
            .regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, { message: "expected host[:port] without scheme or path" })
            .meta(doc("S3 endpoint host (and port), without scheme, e.g. `s3.eu-west-1.amazonaws.com` or `minio.minio:9000`.")),
        region: z.string().min(1).meta(doc("Bucket region.")),
        accessKey: inputString.meta(doc("Access key id; pass a Pulumi secret (`config.requireSecret`). It is treated as secret regardless.")),
        secretKey: inputString.meta(doc("Secret access key; pass a Pulumi secret. It is treated as secret regardless.")),
        insecure: z.boolean().default(false).meta(doc("Talk plain HTTP to the endpoint. Default false; only for in-cluster test endpoints.")),
    })
    .strict()
    .meta(doc("Use an existing S3-compatible bucket with static credentials (e.g. MinIO, or a bucket owned elsewhere)."));

const filesystemStorage = z
    .object({
        type: z.literal("filesystem").meta(doc("Discriminator.")),
        directory: z
            .string()
            .regex(/^\/[^\s]*$/, { message: "expected an absolute path" })
            .default(D.filesystem.directory)
            .meta(doc("Directory used as the bucket inside each pod. Default `/var/thanos/bucket`.")),
        persistentVolumeClaimName: dnsLabel
            .optional()
            .meta(doc("Existing (ideally ReadWriteMany) claim mounted at `directory`; omit to use an emptyDir.")),
    })
    .strict()
    .meta(
        doc(
            'Local-directory "bucket", for dev and demos only. An emptyDir is private to each pod, so blocks uploaded by the ' +
                "sidecar are not visible to the store gateway unless a ReadWriteMany claim is shared. A policy pack refuses this " +
                "type in production; the component exposes `storageType` so it can.",
        ),
    );

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

/** Arguments of the {@link Thanos} component, with descriptions and defaults. */
export const thanosArgsSchema = z
    .object({
        namespace: dnsLabel.meta(doc("Existing namespace for the Thanos workloads.")),
        prometheus: z
            .object({
                namespace: dnsLabel.meta(
                    doc(
                        "Namespace of the `Prometheus` resource; the objstore Secret (a ConfigMap for `filesystem` storage) is created there as well.",
                    ),
                ),
                serviceAccountName: dnsSubdomain.meta(
                    doc("ServiceAccount its pods run as; granted bucket access through IRSA for the `aws` storage type."),
                ),
                governingServiceName: dnsLabel
                    .default(D.prometheusGoverningService)
                    .meta(doc("Headless Service in front of the Prometheus pods. Default `prometheus-operated` (the operator's).")),
            })
            .strict()
            .meta(doc("The prometheus-operator `Prometheus` whose Thanos sidecar uploads blocks and serves recent data.")),
        storage: z.discriminatedUnion("type", [awsStorage, existingStorage, filesystemStorage]).meta(doc("Where Thanos keeps blocks.")),
        longestSloWindow: durationString.meta(
            doc(
                "Longest SLO window evaluated over Thanos, e.g. `30d`. Raw retention must exceed it so SLO attainment is " +
                    "computed from full-resolution samples.",
            ),
        ),
        retention: z
            .object({
                raw: durationString.default(D.retention.raw).meta(doc("Retention of raw samples (`--retention.resolution-raw`). Default `45d`.")),
                fiveMinutes: durationString
                    .default(D.retention.fiveMinutes)
                    .meta(doc("Retention of 5-minute downsampled data (`--retention.resolution-5m`). Default `180d`.")),
                oneHour: durationString
                    .default(D.retention.oneHour)
                    .meta(doc("Retention of 1-hour downsampled data (`--retention.resolution-1h`). Default `400d`.")),
            })
            .strict()
            .prefault({})
            .meta(doc("Compactor retention per resolution, as Thanos durations; `0d` keeps forever.")),
        image: z
            .string()
            .regex(/^[^\s:@]+(:[^\s:@]+)?(@sha256:[a-f0-9]{64})?$/, { message: "expected an image reference" })
            .refine((s) => /:[^/]+$/.test(s) || s.includes("@sha256:"), { message: "pin the image with a tag or digest" })
            .refine((s) => !/:latest$/.test(s), { message: "`latest` is not a pin" })
            .default(D.image)
            .meta(doc("Thanos image, pinned. Default `quay.io/thanos/thanos:v0.36.1`.")),
        clusterDomain: dnsSubdomain.default(D.clusterDomain).meta(doc("Cluster DNS domain used in DNS service discovery. Default `cluster.local`.")),
        query: z
            .object({
                replicas: replicas(D.query.replicas),
                replicaLabels: z
                    .array(prometheusLabelName)
                    .default([...D.query.replicaLabels])
                    .meta(doc("External labels that only distinguish HA replicas; series differing only in them are deduplicated.")),
                resources: resourceSpec.default(D.query.resources),
            })
            .strict()
            .prefault({})
            .meta(doc("Thanos Query (the Prometheus HTTP API canary analysis uses).")),
        queryFrontend: z
            .object({
                replicas: replicas(D.queryFrontend.replicas),
                splitInterval: durationString.default(D.queryFrontend.splitInterval).meta(doc("`--query-range.split-interval`. Default `24h`.")),
                cacheMaxSize: z
                    .string()
                    .regex(/^\d+(B|KB|MB|GB)$/, { message: "expected a size such as 512MB" })
                    .default(D.queryFrontend.cacheMaxSize)
                    .meta(doc("Maximum size of the in-memory results cache, e.g. `512MB`.")),
                resources: resourceSpec.default(D.queryFrontend.resources),
            })
            .strict()
            .prefault({})
            .meta(doc("Thanos Query Frontend: splits long range queries and caches results in memory.")),
        store: z
            .object({
                replicas: replicas(D.store.replicas),
                storageSize: quantity.default(D.store.storageSize).meta(doc("Size of the index-cache volume. Default `10Gi`.")),
                storageClassName,
                resources: resourceSpec.default(D.store.resources),
            })
            .strict()
            .prefault({})
            .meta(doc("Thanos Store Gateway (serves blocks from the bucket).")),
        compactor: z
            .object({
                storageSize: quantity
                    .default(D.compactor.storageSize)
                    .meta(doc("Size of the scratch volume compaction and downsampling need. Default `50Gi`.")),
                storageClassName,
                resources: resourceSpec.default(D.compactor.resources),
            })
            .strict()
            .prefault({})
            .meta(doc("Thanos Compactor (always exactly one replica; two would corrupt the bucket).")),
        ruler: z
            .object({
                ruleFiles: z
                    .record(ruleFileName, ruleFileYaml)
                    .refine((files) => Object.keys(files).length > 0, { message: "expected at least one rule file" })
                    .meta(doc("Rule files: file name (`[-._a-zA-Z0-9]+`) to Prometheus rule-file YAML (`groups: [...]`).")),
                replicas: replicas(D.ruler.replicas),
                evalInterval: durationString.default(D.ruler.evalInterval).meta(doc("`--eval-interval`. Default `30s`.")),
                alertmanagerUrls: z
                    .array(z.url())
                    .default([])
                    .meta(doc("Alertmanager URLs (`--alertmanagers.url`), e.g. `http://alertmanager-operated.monitoring.svc:9093`.")),
                storageSize: quantity.default(D.ruler.storageSize).meta(doc("Size of the local TSDB volume. Default `5Gi`.")),
                storageClassName,
                resources: resourceSpec.default(D.ruler.resources),
            })
            .strict()
            .optional()
            .meta(doc("Thanos Ruler evaluating rule files against Thanos Query (long-window SLO rules); omitted means no ruler is deployed.")),
        labels: labelMap.default({}).meta(doc("Extra labels on every Kubernetes object.")),
    })
    .strict();

/**
 * The args that take a `pulumi.Input` through `parseInputArgs`, with the stand-in each gets while pending (see
 * `InputFields`): the ruler's rule files (e.g. rendered by another program) and Alertmanager URLs (e.g. of an
 * Alertmanager deployed beside it). The storage credentials and ARNs take Outputs as they always did (they go to
 * the storage resources unread). The rest stays plain: `namespace` and `prometheus.namespace` decide how many
 * objstore Secrets (or ConfigMaps) exist and their names, the ServiceAccount goes into the IRSA trust policy built
 * now, and the sizes, images and retention are checked against each other before anything is created.
 */
export const thanosInputFields = { "ruler.ruleFiles": { x: "groups: []" }, "ruler.alertmanagerUrls": [] } as const satisfies InputFields;

/** {@link thanosArgsSchema}'s input as plain values: what a stack config holds. */
export type PlainThanosArgs = z.input<typeof thanosArgsSchema>;
/** Arguments of the {@link Thanos} component, as callers write them: {@link PlainThanosArgs} with the {@link thanosInputFields} also taking an Input. */
export type ThanosArgs = WithInputs<PlainThanosArgs, InputPaths<typeof thanosInputFields>>;
/** {@link ThanosArgs} after validation, with every default filled in. */
export type ResolvedThanosArgs = z.output<typeof thanosArgsSchema>;

/** Where Thanos keeps blocks. */
export type ThanosStorageArgs = PlainThanosArgs["storage"];
/** Create a dedicated S3 bucket and an IRSA role for Thanos. */
export type AwsStorageArgs = Extract<ThanosStorageArgs, { type: "aws" }>;
/** Use an existing S3-compatible bucket with static credentials. */
export type ExistingStorageArgs = Extract<ThanosStorageArgs, { type: "existing" }>;
/** Local-directory "bucket", for dev and demos only. */
export type FilesystemStorageArgs = Extract<ThanosStorageArgs, { type: "filesystem" }>;
/** Server-side encryption of the S3 bucket. */
export type S3Encryption = NonNullable<AwsStorageArgs["encryption"]>;
