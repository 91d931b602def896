/**
 * Security baselines: hardened workload containers, object storage and IAM.
 */
import type { PolicyResource } from "@pulumi/policy";
import { type Rule, violation } from "./config";
import { IAM_POLICY_TYPES, S3_BUCKET_TYPES, T, thanosView, WORKLOAD_TYPES } from "./contracts";
import { iamWildcardFindings, parsePolicyDocument } from "./lib/iam";
import { containerLabel, containersOf, missingLimits, securityProblems } from "./lib/k8s";

const r = (x: { name: string; urn: string }) => ({ name: x.name, urn: x.urn });

export const workloadSecurityContext: Rule<{}> = {
    kind: "resource",
    name: "workload-security-context",
    description: "Every workload container runs as non-root with a read-only root filesystem, no privilege escalation and all capabilities dropped.",
    severity: "high",
    defaults: {},
    validate(args, _ctx, report) {
        if (!WORKLOAD_TYPES.includes(args.type)) return;
        for (const c of containersOf(args.type, args.props)) {
            for (const p of securityProblems(c)) {
                report(violation({ problem: `${containerLabel(c)} ${p.problem}`, resource: r(args), field: p.field, fix: p.fix }));
            }
        }
    },
};

interface LimitsConfig {
    requiredLimits: string[];
}

export const workloadResourceLimits: Rule<LimitsConfig> = {
    kind: "resource",
    name: "workload-resource-limits",
    description: "Every workload container (Deployment, StatefulSet, DaemonSet, Pod, ...) sets resource limits.",
    severity: "medium",
    defaults: { requiredLimits: ["cpu", "memory"] },
    configProperties: {
        requiredLimits: {
            type: "array",
            items: { type: "string" },
            default: ["cpu", "memory"],
            description: "Resource names every container must limit.",
        },
    },
    validate(args, ctx, report) {
        if (!WORKLOAD_TYPES.includes(args.type)) return;
        for (const c of containersOf(args.type, args.props)) {
            const missing = missingLimits(c, ctx.config.requiredLimits);
            if (missing.length === 0) continue;
            report(
                violation({
                    problem: `${containerLabel(c)} has no resource limit for ${missing.join(", ")}`,
                    resource: r(args),
                    field: `${c.path}.resources.limits`,
                    fix: `set resources.limits.${missing.join(" and resources.limits.")} (and matching requests)`,
                }),
            );
        }
    },
};

interface StorageConfig {
    filesystemAllowedIn: string[];
}

export const noFilesystemObjectStorageInProd: Rule<StorageConfig> = {
    kind: "stack",
    name: "no-filesystem-object-storage-in-prod",
    description: "Thanos object storage of type 'filesystem' (no durability, no sharing) is not used in prod.",
    severity: "high",
    defaults: { filesystemAllowedIn: ["dev"] },
    configProperties: {
        filesystemAllowedIn: {
            type: "array",
            items: { type: "string" },
            default: ["dev"],
            description: "Environments where storageType 'filesystem' is acceptable.",
        },
    },
    validate(args, ctx, report) {
        for (const th of args.resources.filter((x) => x.type === T.thanos)) {
            if (thanosView(th.props).storageType !== "filesystem") continue;
            const env = ctx.environmentOf(th.urn);
            if (ctx.config.filesystemAllowedIn.map((e) => e.toLowerCase()).includes(env.toLowerCase())) continue;
            report(
                violation({
                    problem: `Thanos uses filesystem object storage in ${env}: blocks live on one volume, are lost with it and cannot be shared by store and compactor`,
                    resource: r(th),
                    field: "storageType",
                    fix: "set storageType to 'aws' (S3 bucket) or 'existing' (an existing object-store secret)",
                }),
                { urn: th.urn, environment: env },
            );
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// S3 buckets
// ---------------------------------------------------------------------------------------------------------

/** Identifiers by which another resource may refer to a bucket. */
function bucketIds(b: PolicyResource): Set<string> {
    const ids = new Set<string>();
    for (const k of ["bucket", "id", "arn"]) {
        const v = b.props?.[k];
        if (typeof v === "string" && v) ids.add(v);
    }
    return ids;
}

function refersTo(res: PolicyResource, bucket: PolicyResource, ids: Set<string>): boolean {
    const ref = res.props?.["bucket"];
    if (typeof ref === "string" && ids.has(ref)) return true;
    if ((res.propertyDependencies?.["bucket"] ?? []).some((d) => d?.urn === bucket.urn)) return true;
    // Only when the reference itself is not a readable name, fall back to plain dependencies.
    return typeof ref !== "string" && (res.dependencies ?? []).some((d) => d?.urn === bucket.urn);
}

function statements(doc: unknown): any[] {
    const p = parsePolicyDocument(doc);
    if (!p.ok) return [];
    const s = p.doc["Statement"];
    return Array.isArray(s) ? s : s ? [s] : [];
}

/** A Deny statement on aws:SecureTransport = false. */
export function hasTlsOnlyStatement(doc: unknown): boolean {
    return statements(doc).some((s) => {
        if (s?.["Effect"] !== "Deny") return false;
        const bool = s?.["Condition"]?.["Bool"] ?? {};
        const v = bool["aws:SecureTransport"];
        return v === false || v === "false" || (Array.isArray(v) && v.map(String).includes("false"));
    });
}

export const s3BucketBaseline: Rule<{}> = {
    kind: "stack",
    name: "s3-bucket-baseline",
    description: "Every S3 bucket blocks public access (all four settings), has server-side encryption and a TLS-only bucket policy.",
    severity: "critical",
    defaults: {},
    validate(args, _ctx, report) {
        const all = args.resources;
        for (const b of all.filter((x) => S3_BUCKET_TYPES.includes(x.type))) {
            const ids = bucketIds(b);
            const label = [...ids][0] ?? b.name;
            const pabs = all.filter((x) => x.type === T.s3PublicAccessBlock && refersTo(x, b, ids));
            const fullBlock = pabs.some((p) =>
                ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => p.props?.[k] === true),
            );
            if (!fullBlock) {
                report(
                    violation({
                        problem: `S3 bucket '${label}' does not block public access${pabs.length ? " completely" : ""}`,
                        resource: r(b),
                        field: "BucketPublicAccessBlock",
                        fix: "add aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true",
                    }),
                    { urn: b.urn },
                );
            }
            const inlineSse = b.props?.["serverSideEncryptionConfiguration"];
            const encrypted = !!inlineSse || all.some((x) => (x.type === T.s3Encryption || x.type === T.s3EncryptionV2) && refersTo(x, b, ids));
            if (!encrypted) {
                report(
                    violation({
                        problem: `S3 bucket '${label}' has no server-side encryption configuration`,
                        resource: r(b),
                        field: "serverSideEncryptionConfiguration",
                        fix: "add aws.s3.BucketServerSideEncryptionConfiguration for the bucket (sseAlgorithm aws:kms or AES256)",
                    }),
                    { urn: b.urn },
                );
            }
            const policies = all.filter((x) => x.type === T.s3BucketPolicy && refersTo(x, b, ids)).map((x) => x.props?.["policy"]);
            if (b.props?.["policy"]) policies.push(b.props["policy"]);
            if (!policies.some(hasTlsOnlyStatement)) {
                report(
                    violation({
                        problem: `S3 bucket '${label}' accepts plain-HTTP requests (no Deny on aws:SecureTransport=false)`,
                        resource: r(b),
                        field: "BucketPolicy.policy",
                        fix: "add an aws.s3.BucketPolicy with a statement { Effect: Deny, Principal: *, Action: s3:*, Resource: [bucket ARN, bucket ARN/*], Condition: { Bool: { aws:SecureTransport: false } } }",
                    }),
                    { urn: b.urn },
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------------------

interface IamConfig {
    allowPartialActionWildcards: boolean;
}

export const iamNoWildcards: Rule<IamConfig> = {
    kind: "resource",
    name: "iam-no-wildcards",
    description: "IAM policies grant no wildcard actions or resources (and no Allow with NotAction/NotResource).",
    severity: "critical",
    defaults: { allowPartialActionWildcards: false },
    configProperties: {
        allowPartialActionWildcards: {
            type: "boolean",
            default: false,
            description: 'Allow prefix wildcards such as s3:Get* ("*" and "service:*" are always denied).',
        },
    },
    validate(args, ctx, report) {
        if (!IAM_POLICY_TYPES.includes(args.type)) return;
        const parsed = parsePolicyDocument(args.props["policy"]);
        if (!parsed.ok) {
            report(
                violation({
                    problem: `IAM policy cannot be checked: ${parsed.error}`,
                    resource: r(args),
                    field: "policy",
                    fix: "pass the policy document as a JSON string or object",
                }),
            );
            return;
        }
        for (const f of iamWildcardFindings(parsed.doc, ctx.config)) {
            report(violation({ problem: f.problem, resource: r(args), field: f.field, fix: f.fix }));
        }
    },
};

export const securityRules: Rule[] = [
    workloadSecurityContext,
    workloadResourceLimits,
    noFilesystemObjectStorageInProd,
    s3BucketBaseline,
    iamNoWildcards,
];
