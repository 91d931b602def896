import { strict as assert } from "node:assert";
import { T } from "../../policies/contracts";
import { isWildcardResource } from "../../policies/lib/iam";
import { type ResourceSpec, runBothStack, runResource, runStack, urnOf } from "../support/policy-harness";

const hardened = {
    runAsNonRoot: true,
    runAsUser: 65532,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
};
const limits = { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } };

function workload(type: string, container: Record<string, unknown>, stack = "prod"): ResourceSpec {
    const podSpec = { containers: [{ name: "app", image: `x@sha256:${"b".repeat(64)}`, ...container }] };
    const props =
        type === T.pod
            ? { spec: podSpec }
            : type === T.cronJob
              ? { spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } }
              : { spec: { template: { spec: podSpec } } };
    return { type, name: "checkout", stack, props };
}

describe("policies: security baselines", () => {
    describe("workload-security-context", () => {
        for (const type of [T.deployment, T.statefulSet, T.daemonSet, T.pod, T.cronJob]) {
            it(`passes a hardened ${type.split(":").pop()}`, async () => {
                assert.deepEqual((await runResource("workload-security-context", workload(type, { securityContext: hardened }))).violations, []);
            });
        }
        it("accepts runAsNonRoot from the pod securityContext", async () => {
            const spec = workload(T.deployment, { securityContext: { ...hardened, runAsNonRoot: undefined } });
            spec.props["spec"]["template"]["spec"]["securityContext"] = { runAsNonRoot: true };
            assert.deepEqual((await runResource("workload-security-context", spec)).violations, []);
        });
        it("flags every missing hardening setting with field and fix", async () => {
            const { violations } = await runResource(
                "workload-security-context",
                workload(T.statefulSet, { securityContext: { runAsUser: 0, privileged: true, capabilities: { drop: ["NET_RAW"] } } }),
            );
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 6, text);
            for (const f of ["runAsNonRoot", "runAsUser", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "privileged", "capabilities.drop"]) {
                assert.match(text, new RegExp(`field spec\\.template\\.spec\\.containers\\[0\\]\\.securityContext\\.${f.replace(".", "\\.")}`));
            }
            assert.match(text, /container 'app'/);
        });
        it("checks init containers too", async () => {
            const spec = workload(T.deployment, { securityContext: hardened });
            spec.props["spec"]["template"]["spec"]["initContainers"] = [{ name: "migrate", image: "m:1" }];
            const { violations } = await runResource("workload-security-context", spec);
            assert.ok(violations.length > 0);
            assert.ok(violations.every((v) => /initContainers\[0\]/.test(v.message)));
        });
    });

    describe("workload-resource-limits", () => {
        it("passes a container with cpu and memory limits", async () => {
            assert.deepEqual((await runResource("workload-resource-limits", workload(T.daemonSet, { resources: limits }))).violations, []);
        });
        it("flags a container without limits", async () => {
            const { violations } = await runResource(
                "workload-resource-limits",
                workload(T.deployment, { resources: { requests: { cpu: "1" }, limits: { cpu: "1" } } }),
            );
            assert.equal(violations.length, 1);
            assert.match(
                violations[0]!.message,
                /has no resource limit for memory.*field spec\.template\.spec\.containers\[0\]\.resources\.limits.*Fix: set resources\.limits\.memory/,
            );
        });
    });

    describe("no-filesystem-object-storage-in-prod (stack)", () => {
        const thanos = (storageType: string, stack: string): ResourceSpec => ({
            type: T.thanos,
            name: "thanos",
            stack,
            props: { storageType, rawRetention: "30d" },
        });
        it("allows filesystem in dev and aws in prod", async () => {
            const dev = await runBothStack("no-filesystem-object-storage-in-prod", [thanos("filesystem", "dev")]);
            assert.deepEqual([...dev.mandatory.violations, ...dev.advisory.violations], []);
            assert.deepEqual((await runStack("no-filesystem-object-storage-in-prod", [thanos("aws", "prod")])).violations, []);
        });
        it("denies filesystem in prod", async () => {
            const { violations } = await runStack("no-filesystem-object-storage-in-prod", [thanos("filesystem", "prod")]);
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /filesystem object storage in prod.*field storageType.*Fix: set storageType to 'aws'/);
        });
    });

    describe("s3-bucket-baseline (stack)", () => {
        const bucketUrn = urnOf(T.s3Bucket, "metrics", "prod");
        const bucket: ResourceSpec = {
            type: T.s3Bucket,
            name: "metrics",
            stack: "prod",
            urn: bucketUrn,
            props: { bucket: "metrics-a1b2", arn: "arn:aws:s3:::metrics-a1b2" },
        };
        const pab: ResourceSpec = {
            type: T.s3PublicAccessBlock,
            name: "metrics-pab",
            stack: "prod",
            props: { bucket: "metrics-a1b2", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        };
        const sse: ResourceSpec = {
            type: T.s3Encryption,
            name: "metrics-sse",
            stack: "prod",
            props: { bucket: "metrics-a1b2", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] },
            propertyDependencies: { bucket: [bucketUrn] },
        };
        const tls: ResourceSpec = {
            type: T.s3BucketPolicy,
            name: "metrics-tls",
            stack: "prod",
            props: {
                bucket: "metrics-a1b2",
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "TLSOnly",
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: ["arn:aws:s3:::metrics-a1b2", "arn:aws:s3:::metrics-a1b2/*"],
                            Condition: { Bool: { "aws:SecureTransport": "false" } },
                        },
                    ],
                }),
            },
        };
        it("passes a bucket with public access block, encryption and TLS-only policy", async () => {
            assert.deepEqual((await runStack("s3-bucket-baseline", [bucket, pab, sse, tls])).violations, []);
        });
        it("flags each missing control on the bucket URN", async () => {
            const weakPab = { ...pab, props: { ...pab.props, restrictPublicBuckets: false } };
            const { violations } = await runStack("s3-bucket-baseline", [bucket, weakPab]);
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 3, text);
            assert.ok(violations.every((v) => v.urn === bucketUrn));
            assert.match(text, /does not block public access completely/);
            assert.match(text, /no server-side encryption/);
            assert.match(text, /accepts plain-HTTP requests/);
        });
        it("does not count another bucket's controls", async () => {
            const other: ResourceSpec = { type: T.s3Bucket, name: "logs", stack: "prod", props: { bucket: "logs-x" } };
            const { violations } = await runStack("s3-bucket-baseline", [bucket, pab, sse, tls, other]);
            assert.equal(violations.length, 3);
            assert.ok(violations.every((v) => /'logs-x'/.test(v.message)));
        });
    });

    describe("iam-no-wildcards", () => {
        const iam = (type: string, doc: unknown): ResourceSpec => ({
            type,
            name: "thanos-s3",
            stack: "prod",
            props: { policy: typeof doc === "string" ? doc : JSON.stringify(doc) },
        });
        const scoped = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
                    Resource: ["arn:aws:s3:::metrics-a1b2", "arn:aws:s3:::metrics-a1b2/*"],
                },
            ],
        };
        it("passes a scoped policy (Policy and RolePolicy)", async () => {
            assert.deepEqual((await runResource("iam-no-wildcards", iam(T.iamPolicy, scoped))).violations, []);
            assert.deepEqual((await runResource("iam-no-wildcards", iam(T.iamRolePolicy, scoped))).violations, []);
        });
        it("flags wildcard actions and resources with statement index", async () => {
            const doc = {
                Statement: [
                    { Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" },
                    { Effect: "Allow", Action: ["s3:Get*"], Resource: "arn:aws:s3:::*" },
                    { Effect: "Deny", Action: "*", Resource: "*" },
                ],
            };
            const { violations } = await runResource("iam-no-wildcards", iam(T.iamRolePolicy, doc));
            const text = violations.map((v) => v.message).join("\n");
            assert.equal(violations.length, 4, text);
            assert.match(text, /wildcard action 's3:\*' \(Sid All\).*field policy\.Statement\[0\]\.Action/);
            assert.match(text, /wildcard resource '\*'/);
            assert.match(text, /wildcard action 's3:Get\*'.*Statement\[1\]/);
            assert.match(text, /wildcard resource 'arn:aws:s3:::\*'/);
        });
        it("allows prefix wildcards when configured, never '*'", async () => {
            const doc = { Statement: [{ Effect: "Allow", Action: ["s3:Get*", "*"], Resource: "arn:aws:s3:::b/*" }] };
            const { violations } = await runResource("iam-no-wildcards", iam(T.iamPolicy, doc), { config: { allowPartialActionWildcards: true } });
            assert.equal(violations.length, 1);
            assert.match(violations[0]!.message, /wildcard action '\*'/);
        });
        it("flags NotAction and unparseable policies", async () => {
            assert.match(
                (
                    await runResource(
                        "iam-no-wildcards",
                        iam(T.iamPolicy, { Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" }] }),
                    )
                ).violations[0]!.message,
                /NotAction/,
            );
            assert.match((await runResource("iam-no-wildcards", iam(T.iamPolicy, "{not json"))).violations[0]!.message, /not valid JSON/);
        });
        it("classifies resources", () => {
            assert.equal(isWildcardResource("arn:aws:s3:::bucket/*"), false);
            assert.equal(isWildcardResource("arn:aws:s3:::bucket-*"), true);
            assert.equal(isWildcardResource("arn:aws:iam::123456789012:role/*"), true);
            assert.equal(isWildcardResource("arn:aws:dynamodb:eu-west-1:123456789012:table/orders"), false);
            assert.equal(isWildcardResource("arn:aws:dynamodb:eu-west-1:*:table/orders"), true);
        });
    });
});
