/**
 * The resource contract between the gray-release programs/components and this policy pack.
 *
 * Everything the policies know about the shape of the resources they inspect lives in this file, so a
 * change of contract is one edit here (plus the tests). The policies read props defensively: a missing or
 * malformed field of a gray-release record is itself reported as a violation rather than crashing the pack.
 *
 * Important for component resources (`gray-release:index:*`):
 *  - resource policies see a component's *inputs*: the args object passed to the `ComponentResource`
 *    constructor (sent to the engine unless `PULUMI_NODEJS_SKIP_COMPONENT_INPUTS` is set);
 *  - stack policies see a component's *outputs*: whatever it passed to `registerOutputs(...)`.
 *  The components therefore pass the record below as constructor args AND `registerOutputs(record)`.
 */

// ---------------------------------------------------------------------------------------------------------
// Type tokens
// ---------------------------------------------------------------------------------------------------------

export const T = {
    canaryRouting: "gray-release:index:CanaryRouting",
    canaryRelease: "gray-release:index:CanaryRelease",
    grayNamespace: "gray-release:index:GrayNamespace",
    otelCollector: "gray-release:index:OtelCollector",
    /** A services stack's record of its platform stack's facts (stacks/platform-outputs.ts). */
    platformReference: "gray-release:index:PlatformReference",
    thanos: "gray-release:index:Thanos",

    destinationRule: "kubernetes:networking.istio.io/v1beta1:DestinationRule",
    virtualService: "kubernetes:networking.istio.io/v1beta1:VirtualService",
    peerAuthentication: "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
    prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",

    namespace: "kubernetes:core/v1:Namespace",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    resourceQuota: "kubernetes:core/v1:ResourceQuota",
    pod: "kubernetes:core/v1:Pod",
    service: "kubernetes:core/v1:Service",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",

    s3Bucket: "aws:s3/bucket:Bucket",
    s3BucketV2: "aws:s3/bucketV2:BucketV2",
    s3PublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    s3Encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    s3EncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
} as const;

/** Other API versions of the Istio / k8s kinds are accepted too (v1, v1alpha3 ...). */
export function isKind(type: string, group: string, kind: string): boolean {
    // kubernetes:<group>/<version>:<Kind>
    const m = /^kubernetes:([^/]+)\/[^:]+:(.+)$/.exec(type);
    return !!m && m[1] === group && m[2] === kind;
}
export const isDestinationRule = (t: string) => isKind(t, "networking.istio.io", "DestinationRule");
export const isVirtualService = (t: string) => isKind(t, "networking.istio.io", "VirtualService");
export const isPeerAuthentication = (t: string) => isKind(t, "security.istio.io", "PeerAuthentication");
export const isPrometheusRule = (t: string) => isKind(t, "monitoring.coreos.com", "PrometheusRule");
export const isNamespace = (t: string) => /^kubernetes:core\/v1:Namespace$/.test(t);
export const isNetworkPolicy = (t: string) => isKind(t, "networking.k8s.io", "NetworkPolicy");
export const isResourceQuota = (t: string) => /^kubernetes:core\/v1:ResourceQuota$/.test(t);
export const isStatefulSet = (t: string) => isKind(t, "apps", "StatefulSet");

/** Workload kinds whose containers the security baselines check. */
export const WORKLOAD_TYPES: readonly string[] = [
    T.pod,
    T.deployment,
    T.statefulSet,
    T.daemonSet,
    T.replicaSet,
    T.job,
    T.cronJob,
    "kubernetes:extensions/v1beta1:Deployment",
    "kubernetes:apps/v1beta1:Deployment",
    "kubernetes:apps/v1beta2:Deployment",
];
export const S3_BUCKET_TYPES: readonly string[] = [T.s3Bucket, T.s3BucketV2];
export const IAM_POLICY_TYPES: readonly string[] = [T.iamPolicy, T.iamRolePolicy, T.iamUserPolicy, T.iamGroupPolicy];

// ---------------------------------------------------------------------------------------------------------
// gray-release:index:CanaryRelease: the engine owns the record (progression/record.ts); the pack reads it.
// ---------------------------------------------------------------------------------------------------------

export {
    type CanaryReleaseRecord,
    type ParseResult,
    PROMOTIONS_OUTPUT,
    type PromotionRecord,
    type PromotionsOutput,
    parseCanaryRelease,
    parsePromotionsOutput,
    RECORD_VERDICTS as VERDICTS,
} from "../progression/record";

import { type CanaryReleaseRecord, parseCanaryRelease } from "../progression/record";

/** A verdict as recorded. */
export type Verdict = CanaryReleaseRecord["verdict"];

/** What the canary program decided for this `pulumi up`. `rollback` is always allowed (it reduces exposure). */
export type CanaryAction = CanaryReleaseRecord["action"];

/**
 * The CanaryRelease record of a resource under validation, or `undefined` when the resource is not a
 * CanaryRelease or its record breaks the contract (`canary-release-record-valid` reports that case).
 */
export function canaryReleaseOf(args: { type: string; props: Record<string, unknown> | undefined }): CanaryReleaseRecord | undefined {
    if (args.type !== T.canaryRelease) return undefined;
    const parsed = parseCanaryRelease(args.props);
    return parsed.ok ? parsed.value : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Other gray-release components
// ---------------------------------------------------------------------------------------------------------

/** Props of `gray-release:index:OtelCollector`. */
export interface OtelCollectorProps {
    namespace: string;
    /** Namespaces whose pods export to this collector; "*" means all. */
    watchedNamespaces?: string[];
}

/** Props of `gray-release:index:Thanos`. Durations are Prometheus style: 30s, 15m, 40h, 7d, 2w, 1y. */
export interface ThanosProps {
    storageType: "aws" | "existing" | "filesystem";
    /** Thanos compactor `--retention.resolution-raw`; "0d" means keep forever. */
    rawRetention: string;
    /** Downsampling delays: a duration, a list, or a map such as { "5m": "40h", "1h": "10d" }. */
    downsampleDelays: string | string[] | Record<string, string>;
    /** Longest SLO window evaluated against Thanos, e.g. "28d". */
    longestSloWindow: string;
    /** Object-store bucket name (one compactor per bucket). */
    bucket: string;
}

/** Stack tag that pins the environment of a stack (`pulumi stack tag set gray-release:environment prod`). */
export const ENVIRONMENT_STACK_TAG = "gray-release:environment";

/**
 * Normalised view of Thanos component props. Accepts the brief's names and the names the Thanos
 * component registers as outputs today (`bucketName`, `retention.raw`). Missing fields stay undefined.
 */
export function thanosView(props: Record<string, any> | undefined): Partial<ThanosProps> {
    const p = props ?? {};
    const v: Partial<ThanosProps> = {};
    if (typeof p["storageType"] === "string") v.storageType = p["storageType"] as ThanosProps["storageType"];
    const raw = p["rawRetention"] ?? p["retention"]?.["raw"];
    if (raw !== undefined) v.rawRetention = raw;
    if (p["downsampleDelays"] !== undefined) v.downsampleDelays = p["downsampleDelays"];
    if (p["longestSloWindow"] !== undefined) v.longestSloWindow = p["longestSloWindow"];
    const bucket = p["bucket"] ?? p["bucketName"];
    if (typeof bucket === "string") v.bucket = bucket;
    return v;
}
