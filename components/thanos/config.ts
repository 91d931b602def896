/**
 * Pulumi-free builders for everything Thanos is configured with: objstore YAML, command-line flags, retention
 * checks, IAM and bucket policy documents. Keeping them pure makes each rule testable without the mock runtime
 * and reusable by the policy pack.
 */
import { stringify as stringifyYaml } from "yaml";
import { durationMs } from "../common/duration";
import type { ResolvedThanosArgs } from "./args";
import { DOWNSAMPLING_DELAYS, GRPC_PORT, HTTP_PORT, OBJSTORE_KEY, OBJSTORE_MOUNT_DIR } from "./defaults";

// ---------------------------------------------------------------------------------------------------------------
// Object storage configuration (the file Thanos reads with --objstore.config-file)

/** Thanos' S3 objstore configuration; only the keys this package sets. */
export interface S3ObjstoreConfig {
    type: "S3";
    config: {
        bucket: string;
        endpoint: string;
        region: string;
        access_key?: string;
        secret_key?: string;
        insecure?: boolean;
        sse_config?: { type: "SSE-S3" } | { type: "SSE-KMS"; kms_key_id: string };
    };
}

/** Thanos' filesystem objstore configuration. */
export interface FilesystemObjstoreConfig {
    type: "FILESYSTEM";
    config: { directory: string };
}

export type ObjstoreConfig = S3ObjstoreConfig | FilesystemObjstoreConfig;

/**
 * S3 config for a bucket reached through IRSA. No keys: with none set, Thanos' S3 client falls back to the AWS
 * credential chain, which picks up the web-identity token EKS projects into the pod.
 */
export function awsObjstoreConfig(opts: { bucket: string; region: string; kmsKeyArn?: string | undefined }): S3ObjstoreConfig {
    return {
        type: "S3",
        config: {
            bucket: opts.bucket,
            endpoint: `s3.${opts.region}.amazonaws.com`,
            region: opts.region,
            // Explicit SSE on upload so blocks stay encrypted even if someone loosens the bucket default later.
            sse_config: opts.kmsKeyArn !== undefined ? { type: "SSE-KMS", kms_key_id: opts.kmsKeyArn } : { type: "SSE-S3" },
        },
    };
}

export function existingObjstoreConfig(opts: {
    bucket: string;
    endpoint: string;
    region: string;
    accessKey: string;
    secretKey: string;
    insecure: boolean;
}): S3ObjstoreConfig {
    return {
        type: "S3",
        config: {
            bucket: opts.bucket,
            endpoint: opts.endpoint,
            region: opts.region,
            access_key: opts.accessKey,
            secret_key: opts.secretKey,
            insecure: opts.insecure,
        },
    };
}

export function filesystemObjstoreConfig(directory: string): FilesystemObjstoreConfig {
    return { type: "FILESYSTEM", config: { directory } };
}

/** The `objstore.yml` document. */
export function renderObjstoreConfig(config: ObjstoreConfig): string {
    return stringifyYaml(config);
}

// ---------------------------------------------------------------------------------------------------------------
// Retention

/**
 * Thanos treats a retention of zero as "keep forever"; comparisons must then treat it as infinitely long rather
 * than as the shortest possible value.
 */
export function retentionMs(value: string): number {
    const ms = durationMs(value);
    return ms === 0 ? Number.POSITIVE_INFINITY : ms;
}

export interface Retention {
    raw: string;
    fiveMinutes: string;
    oneHour: string;
}

export interface RetentionProblem {
    /** Dotted key path of the offending input. */
    path: string;
    value: unknown;
    message: string;
}

/**
 * Why a retention setting is unsafe, or an empty list. Raw data must outlive the 40h raw→5m downsampling delay
 * and the longest SLO window (SLO attainment is computed from raw samples); 5m data must outlive the 10d 5m→1h
 * delay. Otherwise the compactor deletes data before its downsampled copy exists, or an SLO query silently
 * covers less than its window.
 */
export function retentionProblems(retention: Retention, longestSloWindow: string): RetentionProblem[] {
    const problems: RetentionProblem[] = [];
    const raw = retentionMs(retention.raw);
    const fiveMinutes = retentionMs(retention.fiveMinutes);
    const rawDelay = durationMs(DOWNSAMPLING_DELAYS.rawTo5m);
    const fiveMinuteDelay = durationMs(DOWNSAMPLING_DELAYS.fiveMinutesTo1h);
    const window = durationMs(longestSloWindow);

    if (!(raw > rawDelay)) {
        problems.push({
            path: "retention.raw",
            value: retention.raw,
            message: `must exceed the raw→5m downsampling delay (${DOWNSAMPLING_DELAYS.rawTo5m}), or raw blocks are deleted before they are downsampled`,
        });
    }
    if (!(raw > window)) {
        problems.push({
            path: "retention.raw",
            value: retention.raw,
            message: `must exceed longestSloWindow (${JSON.stringify(longestSloWindow)}), or SLO queries over that window read incomplete raw data; raise retention.raw or shorten longestSloWindow`,
        });
    }
    if (!(fiveMinutes > fiveMinuteDelay)) {
        problems.push({
            path: "retention.fiveMinutes",
            value: retention.fiveMinutes,
            message: `must exceed the 5m→1h downsampling delay (${DOWNSAMPLING_DELAYS.fiveMinutesTo1h}), or 5m blocks are deleted before they are downsampled`,
        });
    }
    return problems;
}

/** Longest of the three retentions in whole days, or `undefined` when any resolution is kept forever. */
export function longestRetentionDays(retention: Retention): number | undefined {
    const longest = Math.max(retentionMs(retention.raw), retentionMs(retention.fiveMinutes), retentionMs(retention.oneHour));
    return Number.isFinite(longest) ? Math.ceil(longest / 86_400_000) : undefined;
}

/** A bucket-level expiry shorter than compactor retention would delete blocks Thanos still serves. */
export function bucketExpiryProblems(expireAfterDays: number | undefined, retention: Retention): RetentionProblem[] {
    if (expireAfterDays === undefined) return [];
    const longest = longestRetentionDays(retention);
    if (longest === undefined) {
        return [
            {
                path: "storage.expireAfterDays",
                value: expireAfterDays,
                message: "must be omitted while a retention is 0d (keep forever), or S3 deletes what Thanos keeps",
            },
        ];
    }
    if (expireAfterDays <= longest) {
        return [
            {
                path: "storage.expireAfterDays",
                value: expireAfterDays,
                message: `must exceed the longest compactor retention (${longest} days), or S3 deletes blocks Thanos still serves`,
            },
        ];
    }
    return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Command lines

/** Where every Thanos process (components and sidecar) reads `objstore.yml`: the mounted Secret or ConfigMap. */
export const OBJSTORE_CONFIG_FILE = `${OBJSTORE_MOUNT_DIR}/${OBJSTORE_KEY}`;
const OBJSTORE_FLAG = `--objstore.config-file=${OBJSTORE_CONFIG_FILE}`;
const LISTEN_FLAGS = [`--http-address=0.0.0.0:${HTTP_PORT}`, `--grpc-address=0.0.0.0:${GRPC_PORT}`];

/** `dnssrv+` lookup of a named gRPC port, so new pods behind the Service are discovered without restarts. */
export function grpcSrvEndpoint(service: string, namespace: string, clusterDomain: string): string {
    return `dnssrv+_grpc._tcp.${service}.${namespace}.svc.${clusterDomain}`;
}

export function queryArgs(opts: { replicaLabels: ReadonlyArray<string>; endpoints: ReadonlyArray<string> }): string[] {
    return [
        "query",
        "--log.level=info",
        "--log.format=logfmt",
        ...LISTEN_FLAGS,
        ...opts.replicaLabels.map((l) => `--query.replica-label=${l}`),
        ...opts.endpoints.map((e) => `--endpoint=${e}`),
        // Long SLO windows then read 5m/1h blocks where raw resolution adds nothing at that step.
        "--query.auto-downsampling",
    ];
}

export function queryFrontendArgs(opts: { downstreamUrl: string; splitInterval: string; cacheMaxSize: string; cacheValidity: string }): string[] {
    // Flow-style JSON is valid YAML and keeps the inline flag on one line.
    const cacheConfig = JSON.stringify({
        type: "IN-MEMORY",
        config: { max_size: opts.cacheMaxSize, validity: opts.cacheValidity },
    });
    return [
        "query-frontend",
        "--log.level=info",
        "--log.format=logfmt",
        `--http-address=0.0.0.0:${HTTP_PORT}`,
        `--query-frontend.downstream-url=${opts.downstreamUrl}`,
        `--query-range.split-interval=${opts.splitInterval}`,
        `--query-range.response-cache-config=${cacheConfig}`,
        "--query-frontend.compress-responses",
    ];
}

export function storeArgs(dataDir: string): string[] {
    return ["store", "--log.level=info", "--log.format=logfmt", `--data-dir=${dataDir}`, OBJSTORE_FLAG, ...LISTEN_FLAGS];
}

export function compactorArgs(opts: { dataDir: string; retention: Retention; deleteDelay: string; waitInterval: string }): string[] {
    return [
        "compact",
        "--log.level=info",
        "--log.format=logfmt",
        // Runs continuously rather than once, so a Deployment-style controller does not restart it in a loop.
        "--wait",
        `--wait-interval=${opts.waitInterval}`,
        `--data-dir=${opts.dataDir}`,
        OBJSTORE_FLAG,
        `--http-address=0.0.0.0:${HTTP_PORT}`,
        `--retention.resolution-raw=${opts.retention.raw}`,
        `--retention.resolution-5m=${opts.retention.fiveMinutes}`,
        `--retention.resolution-1h=${opts.retention.oneHour}`,
        `--delete-delay=${opts.deleteDelay}`,
        // Downsampling stays on (no --downsampling.disable): long windows depend on it.
    ];
}

export function rulerArgs(opts: {
    dataDir: string;
    ruleDir: string;
    queryEndpoint: string;
    evalInterval: string;
    tsdbRetention: string;
    alertmanagerUrls: ReadonlyArray<string>;
    replicaLabel: string;
}): string[] {
    return [
        "rule",
        "--log.level=info",
        "--log.format=logfmt",
        ...LISTEN_FLAGS,
        `--data-dir=${opts.dataDir}`,
        OBJSTORE_FLAG,
        `--rule-file=${opts.ruleDir}/*`,
        `--query=${opts.queryEndpoint}`,
        `--eval-interval=${opts.evalInterval}`,
        `--tsdb.retention=${opts.tsdbRetention}`,
        // Each replica stamps its pod name; Query deduplicates on it and Alertmanager sees one alert, not N.
        `--label=${opts.replicaLabel}="$(POD_NAME)"`,
        `--alert.label-drop=${opts.replicaLabel}`,
        ...opts.alertmanagerUrls.map((u) => `--alertmanagers.url=${u}`),
    ];
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus sidecar

/**
 * Which Kubernetes object holds `objstore.yml`. A Secret for S3: `existing` carries access keys, and `aws` (no keys,
 * IRSA) names the account's bucket and KMS key, which the built-in `view` role should not read (it reads ConfigMaps,
 * not Secrets). The `filesystem` config is only a directory path: a ConfigMap, so nothing in it is marked secret and
 * rendering it to YAML does not warn about a plaintext secret.
 */
export type ObjstoreConfigKind = "Secret" | "ConfigMap";

export function objstoreConfigKind(storageType: ResolvedThanosArgs["storage"]["type"]): ObjstoreConfigKind {
    return storageType === "filesystem" ? "ConfigMap" : "Secret";
}

/** The Secret or ConfigMap holding `objstore.yml` (one of that name in the Thanos and in the Prometheus namespace). */
export interface ObjstoreConfigRef {
    kind: ObjstoreConfigKind;
    name: string;
    /** Key of `objstore.yml` inside it. */
    key: string;
}

/**
 * The fragment to merge into the `Prometheus` custom resource's `spec`. The operator's `thanos.objectStorageConfig`
 * takes only a Secret (a SecretKeySelector); a ConfigMap reaches the sidecar as a pod volume (`spec.volumes`, to be
 * appended to any of your own) mounted by `thanos.volumeMounts`, read through `thanos.objectStorageConfigFile`.
 */
export type PrometheusThanosSpecPatch =
    | { thanos: { image: string; objectStorageConfig: { name: string; key: string } } }
    | {
          thanos: {
              image: string;
              objectStorageConfigFile: string;
              volumeMounts: Array<{ name: string; mountPath: string; readOnly: boolean }>;
          };
          volumes: Array<{ name: string; configMap: { name: string } }>;
      };

export function prometheusThanosSpecPatch(opts: { image: string; objstore: ObjstoreConfigRef }): PrometheusThanosSpecPatch {
    const { image, objstore } = opts;
    if (objstore.kind === "Secret") return { thanos: { image, objectStorageConfig: { name: objstore.name, key: objstore.key } } };
    // Named after the ConfigMap: a prefixed name cannot collide with the volumes the operator generates.
    return {
        thanos: {
            image,
            objectStorageConfigFile: `${OBJSTORE_MOUNT_DIR}/${objstore.key}`,
            volumeMounts: [{ name: objstore.name, mountPath: OBJSTORE_MOUNT_DIR, readOnly: true }],
        },
        volumes: [{ name: objstore.name, configMap: { name: objstore.name } }],
    };
}

// ---------------------------------------------------------------------------------------------------------------
// IAM and bucket policies

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { AWS?: string | string[]; Federated?: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Exactly what Thanos needs on its bucket: list it, and read, write and delete (compactor) its objects. */
export const THANOS_BUCKET_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"] as const;

export function bucketAccessPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn] },
            {
                Sid: "ObjectAccess",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: [`${bucketArn}/*`],
            },
        ],
    };
}

/**
 * With SSE-KMS every GetObject/PutObject also calls KMS on the caller's behalf, so the role needs these on the
 * one key; kept in a separate document so the bucket policy stays exactly the four S3 actions.
 */
export function kmsKeyUsePolicy(kmsKeyArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "UseBucketKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: [kmsKeyArn],
            },
        ],
    };
}

/** `system:serviceaccount:<ns>:<name>` as the EKS OIDC token's `sub` claim spells it. */
export function serviceAccountSubject(namespace: string, name: string): string {
    return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * IRSA trust: only tokens from this cluster's issuer, for STS, and for exactly the listed ServiceAccounts may
 * assume the role.
 */
export function irsaTrustPolicy(opts: {
    oidcProviderArn: string;
    oidcProviderUrl: string;
    serviceAccounts: ReadonlyArray<{ namespace: string; name: string }>;
}): PolicyDocument {
    const issuer = opts.oidcProviderUrl.replace(/^https:\/\//, "").replace(/\/$/, "");
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: opts.oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                        [`${issuer}:sub`]: opts.serviceAccounts.map((sa) => serviceAccountSubject(sa.namespace, sa.name)),
                    },
                },
            },
        ],
    };
}

/** Refuses every request that does not arrive over TLS, whoever makes it. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}
