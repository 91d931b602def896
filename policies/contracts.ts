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
    T.pod, T.deployment, T.statefulSet, T.daemonSet, T.replicaSet, T.job, T.cronJob,
    "kubernetes:extensions/v1beta1:Deployment", "kubernetes:apps/v1beta1:Deployment", "kubernetes:apps/v1beta2:Deployment",
];
export const S3_BUCKET_TYPES: readonly string[] = [T.s3Bucket, T.s3BucketV2];
export const IAM_POLICY_TYPES: readonly string[] = [T.iamPolicy, T.iamRolePolicy, T.iamUserPolicy, T.iamGroupPolicy];

// ---------------------------------------------------------------------------------------------------------
// gray-release:index:CanaryRelease
// ---------------------------------------------------------------------------------------------------------

export type Verdict = "pass" | "fail" | "inconclusive" | "error" | "none";
export const VERDICTS: readonly Verdict[] = ["pass", "fail", "inconclusive", "error", "none"];

/**
 * What the canary program decided for this `pulumi up`. Known values; other strings are tolerated.
 * `rollback` and `abort` are always allowed (they reduce exposure).
 */
export type CanaryAction = "start" | "advance" | "hold" | "promote" | "rollback" | "abort" | "none" | string;

/** Props of `gray-release:index:CanaryRelease` (one per service and `pulumi up`). */
export interface CanaryReleaseRecord {
    service: string;
    environment: string;
    canaryVersion: string;
    stableVersion: string;
    /** Weight (percent of traffic to the canary) before this update. */
    previousWeight: number;
    /** Weight after this update. */
    weight: number;
    stepIndex: number;
    /** Configured weight ladder, e.g. [1, 5, 25, 50, 100]. */
    steps: number[];
    status: string;
    /** Result of the SLO analysis recorded for this update. */
    verdict: Verdict;
    skipAnalysis: boolean;
    action: CanaryAction;
    /** ISO-8601 instant the verdict was computed. */
    evaluatedAt: string;
    /** Optional: namespace of the service (otherwise taken from the CanaryRouting children). */
    namespace?: string;
    /** Optional: the named SLO owner answering for this release. */
    owner?: string;
    /** Optional: where the release's risk assessment is (DB changes, third-party compatibility, rollback steps). */
    riskAssessment?: string;
    /** Optional: a core service, released at most once per core interval (default biweekly). */
    core?: boolean;
    /** Optional: ISO-8601 instants of this service's earlier canary starts in this stack, oldest first. */
    recentStarts?: string[];
    /** Optional: the image stable ran before this update (`stableVersion` is the one after it). */
    previousStableVersion?: string;
    /** Optional: images that served as stable before `previousStableVersion`, newest last. */
    formerStableVersions?: string[];
}

export type ParseResult<V> = { ok: true; value: V } | { ok: false; problems: string[] };

/** Tolerant parser of a CanaryRelease record; lists every contract problem. */
export function parseCanaryRelease(props: Record<string, unknown> | undefined): ParseResult<CanaryReleaseRecord> {
    const p = props ?? {};
    const problems: string[] = [];
    const str = (k: string, required = true): string => {
        const v = p[k];
        if (typeof v === "string" && v.length > 0) return v;
        if (required) problems.push(`'${k}' must be a non-empty string (got ${JSON.stringify(v)})`);
        return "";
    };
    const num = (k: string): number => {
        const v = p[k];
        if (typeof v === "number" && Number.isFinite(v)) return v;
        problems.push(`'${k}' must be a number (got ${JSON.stringify(v)})`);
        return 0;
    };
    const service = str("service");
    const environment = str("environment");
    const canaryVersion = str("canaryVersion");
    const stableVersion = str("stableVersion", false);
    const previousWeight = num("previousWeight");
    const weight = num("weight");
    const stepIndex = typeof p["stepIndex"] === "number" ? (p["stepIndex"] as number) : -1;
    const stepsRaw = p["steps"];
    let steps: number[] = [];
    if (Array.isArray(stepsRaw) && stepsRaw.every((s) => typeof s === "number" && Number.isFinite(s))) {
        steps = [...(stepsRaw as number[])];
    } else {
        problems.push(`'steps' must be an array of numbers (got ${JSON.stringify(stepsRaw)})`);
    }
    const verdictRaw = p["verdict"] ?? "none";
    let verdict: Verdict = "none";
    if (typeof verdictRaw === "string" && (VERDICTS as readonly string[]).includes(verdictRaw)) {
        verdict = verdictRaw as Verdict;
    } else {
        problems.push(`'verdict' must be one of ${VERDICTS.join("|")} (got ${JSON.stringify(verdictRaw)})`);
    }
    const skipAnalysis = p["skipAnalysis"] === true;
    const action = typeof p["action"] === "string" ? (p["action"] as string) : "none";
    const status = typeof p["status"] === "string" ? (p["status"] as string) : "";
    const evaluatedAt = typeof p["evaluatedAt"] === "string" ? (p["evaluatedAt"] as string) : "";
    const namespace = typeof p["namespace"] === "string" ? (p["namespace"] as string) : undefined;
    const optionalString = (k: "owner" | "riskAssessment"): string | undefined => {
        const v = p[k];
        if (v === undefined || (typeof v === "string" && v.length > 0)) return v;
        problems.push(`'${k}' must be a non-empty string when set (got ${JSON.stringify(v)})`);
        return undefined;
    };
    const owner = optionalString("owner");
    const riskAssessment = optionalString("riskAssessment");
    const coreRaw = p["core"];
    if (coreRaw !== undefined && typeof coreRaw !== "boolean") problems.push(`'core' must be a boolean when set (got ${JSON.stringify(coreRaw)})`);
    const startsRaw = p["recentStarts"];
    const startsOk = startsRaw === undefined ||
        (Array.isArray(startsRaw) && startsRaw.every((t) => typeof t === "string" && Number.isFinite(Date.parse(t))));
    if (!startsOk) problems.push(`'recentStarts' must be an array of ISO-8601 instants when set (got ${JSON.stringify(startsRaw)})`);
    const previousStableVersion = p["previousStableVersion"];
    if (previousStableVersion !== undefined && (typeof previousStableVersion !== "string" || previousStableVersion.length === 0)) {
        problems.push(`'previousStableVersion' must be a non-empty string when set (got ${JSON.stringify(previousStableVersion)})`);
    }
    const formerRaw = p["formerStableVersions"];
    const formerOk = formerRaw === undefined || (Array.isArray(formerRaw) && formerRaw.every((t) => typeof t === "string" && t.length > 0));
    if (!formerOk) problems.push(`'formerStableVersions' must be an array of image references when set (got ${JSON.stringify(formerRaw)})`);
    if (problems.length > 0) return { ok: false, problems };
    const value: CanaryReleaseRecord = {
        service, environment, canaryVersion, stableVersion, previousWeight, weight, stepIndex, steps, status,
        verdict, skipAnalysis, action, evaluatedAt,
    };
    if (namespace !== undefined) value.namespace = namespace;
    if (owner !== undefined) value.owner = owner;
    if (riskAssessment !== undefined) value.riskAssessment = riskAssessment;
    if (typeof coreRaw === "boolean") value.core = coreRaw;
    if (Array.isArray(startsRaw)) value.recentStarts = [...(startsRaw as string[])];
    if (typeof previousStableVersion === "string") value.previousStableVersion = previousStableVersion;
    if (Array.isArray(formerRaw)) value.formerStableVersions = [...(formerRaw as string[])];
    return { ok: true, value };
}

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

/** Name of the stack output in which the canary program lists, per service, the versions it promoted. */
export const PROMOTIONS_OUTPUT = "promotions";

/** One promotion in the {@link PROMOTIONS_OUTPUT} stack output (stacks/program.ts `PromotionRecord`). */
export interface PromotionRecord {
    /** The promoted canary version (the image reference, as in CanaryRelease `canaryVersion`). */
    version: string;
    /** When it was promoted (ISO-8601). */
    at: string;
}

/** The {@link PROMOTIONS_OUTPUT} stack output: service → promotions, newest last. */
export type PromotionsOutput = Record<string, PromotionRecord[]>;

/** Parses the promotions output of an upstream stack; lists every contract problem. */
export function parsePromotionsOutput(value: unknown): ParseResult<PromotionsOutput> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { ok: false, problems: [`expected an object service → [{ version, at }] (got ${JSON.stringify(value)})`] };
    }
    const problems: string[] = [];
    const out: PromotionsOutput = {};
    for (const [service, list] of Object.entries(value as Record<string, unknown>)) {
        if (!Array.isArray(list)) {
            problems.push(`'${service}' must be an array (got ${JSON.stringify(list)})`);
            continue;
        }
        out[service] = [];
        list.forEach((p, i) => {
            const e = p as Partial<PromotionRecord> | null;
            if (e && typeof e === "object" && typeof e.version === "string" && typeof e.at === "string") {
                out[service]!.push({ version: e.version, at: e.at });
            } else {
                problems.push(`'${service}[${i}]' must be { version: string, at: string } (got ${JSON.stringify(p)})`);
            }
        });
    }
    return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out };
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
