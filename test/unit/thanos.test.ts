import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { InvalidArgsError } from "../../components/common";
import { Thanos, type ThanosArgs } from "../../components/thanos";
import { installMocks, ofType, outputValue, type RecordedResource, recorded, resetRecorded } from "../support/pulumi-mocks";
import { containsSecretValue, isSecretValue, plain, settleAll } from "../support/thanos-mocks";

installMocks();

const T = {
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    secret: "kubernetes:core/v1:Secret",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    bucket: "aws:s3/bucket:Bucket",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    randomId: "random:index/randomId:RandomId",
} as const;

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
const OIDC_URL = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC";
const RULES = `groups:
  - name: slo
    rules:
      - record: slo:availability:ratio_rate30d
        expr: 1 - sum(rate(istio_requests_total{response_code=~"5.."}[30d])) / sum(rate(istio_requests_total[30d]))
`;

function baseArgs(storage: ThanosArgs["storage"], extra: Partial<ThanosArgs> = {}): ThanosArgs {
    return {
        namespace: "monitoring",
        prometheus: { namespace: "monitoring", serviceAccountName: "prometheus-k8s" },
        storage,
        longestSloWindow: "30d",
        ...extra,
    };
}

const awsStorage = (extra: Record<string, unknown> = {}): ThanosArgs["storage"] =>
    ({ type: "aws", region: "eu-west-1", oidcProviderArn: OIDC_ARN, oidcProviderUrl: OIDC_URL, ...extra }) as ThanosArgs["storage"];

async function build(args: ThanosArgs, name = "thanos"): Promise<Thanos> {
    resetRecorded();
    const thanos = new Thanos(name, args);
    await settleAll();
    return thanos;
}

function byName(type: string, name: string): RecordedResource {
    const r = ofType(type).find((x) => x.name === name);
    assert.ok(
        r,
        `${type} ${name} was not created; got ${ofType(type)
            .map((x) => x.name)
            .join(", ")}`,
    );
    return r;
}

interface PodSpecView {
    securityContext?: Record<string, unknown>;
    automountServiceAccountToken?: boolean;
    serviceAccountName?: string;
    containers: Array<{
        name: string;
        image: string;
        args: string[];
        securityContext?: Record<string, unknown>;
        resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    }>;
    volumes?: Array<Record<string, unknown>>;
}

function podSpec(r: RecordedResource): PodSpecView {
    return plain<{ spec: { template: { spec: PodSpecView } } }>(r.inputs).spec.template.spec;
}

function argsOf(r: RecordedResource): string[] {
    const c = podSpec(r).containers[0];
    assert.ok(c);
    return c.args;
}

function policyJson(
    r: RecordedResource,
    key: "policy" | "assumeRolePolicy",
): {
    Statement: Array<{ Effect: string; Action: string | string[]; Resource?: string | string[]; Condition?: unknown; Principal?: unknown }>;
} {
    return JSON.parse(plain<string>(r.inputs[key]));
}

describe("Thanos component", function () {
    describe("aws storage", () => {
        let thanos: Thanos;
        before(async () => {
            thanos = await build(baseArgs(awsStorage({ expireAfterDays: 500 }), { ruler: { ruleFiles: { "slo.yaml": RULES } } }));
        });

        it("creates a randomly suffixed bucket with every public access blocked", () => {
            assert.equal(ofType(T.randomId).length, 1);
            const bucket = byName(T.bucket, "thanos-bucket");
            assert.equal(bucket.inputs["bucket"], "thanos-a1b2c3d4");
            assert.equal(bucket.inputs["forceDestroy"], false);
            const pab = ofType(T.publicAccessBlock);
            assert.equal(pab.length, 1);
            for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
                assert.equal(pab[0]?.inputs[k], true, k);
            }
        });

        it("encrypts with SSE-S3 by default", () => {
            const [sse] = ofType(T.sse);
            assert.ok(sse);
            assert.deepEqual(plain(sse.inputs["rules"]), [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        });

        it("denies insecure transport in the bucket policy", () => {
            const [bp] = ofType(T.bucketPolicy);
            assert.ok(bp);
            const doc = policyJson(bp, "policy");
            assert.deepEqual(doc.Statement, [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: ["arn:aws:s3:::thanos-a1b2c3d4", "arn:aws:s3:::thanos-a1b2c3d4/*"],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
        });

        it("aborts incomplete multipart uploads and expires only beyond compactor retention", () => {
            const [lc] = ofType(T.lifecycle);
            assert.ok(lc);
            const rules = plain<Array<Record<string, unknown>>>(lc.inputs["rules"]);
            assert.deepEqual(rules[0]?.["abortIncompleteMultipartUpload"], { daysAfterInitiation: 1 });
            assert.deepEqual(rules[1]?.["expiration"], { days: 500 });
        });

        it("limits the role's inline policy to the four object actions on this bucket", () => {
            const policies = ofType(T.rolePolicy);
            assert.equal(policies.length, 1, "no KMS policy without a KMS key");
            const doc = policyJson(policies[0] as RecordedResource, "policy");
            const pairs = doc.Statement.flatMap((s) => [s.Action].flat().map((a) => [a, [s.Resource].flat().join(",")] as const));
            assert.deepEqual(
                new Map(pairs),
                new Map([
                    ["s3:ListBucket", "arn:aws:s3:::thanos-a1b2c3d4"],
                    ["s3:GetObject", "arn:aws:s3:::thanos-a1b2c3d4/*"],
                    ["s3:PutObject", "arn:aws:s3:::thanos-a1b2c3d4/*"],
                    ["s3:DeleteObject", "arn:aws:s3:::thanos-a1b2c3d4/*"],
                ]),
            );
            assert.ok(doc.Statement.every((s) => s.Effect === "Allow"));
        });

        it("trusts the OIDC provider for exactly the bucket-using service accounts", () => {
            const [role] = ofType(T.role);
            assert.ok(role);
            const [s] = policyJson(role, "assumeRolePolicy").Statement;
            assert.ok(s);
            assert.deepEqual(s.Principal, { Federated: OIDC_ARN });
            assert.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
            assert.deepEqual(s.Condition, {
                StringEquals: {
                    "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                    "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": [
                        "system:serviceaccount:monitoring:prometheus-k8s",
                        "system:serviceaccount:monitoring:thanos-store",
                        "system:serviceaccount:monitoring:thanos-compactor",
                        "system:serviceaccount:monitoring:thanos-ruler",
                    ],
                },
            });
        });

        it("annotates bucket-using service accounts with the role, and no others", () => {
            const roleArn = "arn:aws:mock:::thanos-irsa";
            for (const sa of ["thanos-store", "thanos-compactor", "thanos-ruler"]) {
                const meta = plain<{ metadata: { annotations: Record<string, string> } }>(byName(T.serviceAccount, sa).inputs);
                assert.equal(meta.metadata.annotations["eks.amazonaws.com/role-arn"], roleArn, sa);
            }
            for (const sa of ["thanos-query", "thanos-query-frontend"]) {
                const meta = plain<{ metadata: { annotations?: Record<string, string> } }>(byName(T.serviceAccount, sa).inputs);
                assert.equal(meta.metadata.annotations?.["eks.amazonaws.com/role-arn"], undefined, sa);
            }
        });

        it("renders an objstore.yml without static keys", () => {
            const secret = byName(T.secret, "thanos-objstore");
            const cfg = parseYaml(plain<{ "objstore.yml": string }>(secret.inputs["stringData"])["objstore.yml"]);
            assert.equal(cfg.type, "S3");
            assert.equal(cfg.config.bucket, "thanos-a1b2c3d4");
            assert.equal(cfg.config.access_key, undefined);
            assert.equal(cfg.config.secret_key, undefined);
        });

        it("exposes bucket, role, storage type, retention, URLs and the Prometheus patch", async () => {
            assert.equal(await outputValue(thanos.bucketName), "thanos-a1b2c3d4");
            assert.equal(await outputValue(thanos.roleArn), "arn:aws:mock:::thanos-irsa");
            assert.equal(await outputValue(thanos.storageType), "aws");
            assert.equal(await outputValue(thanos.rawRetention), "45d");
            assert.equal(await outputValue(thanos.queryUrl), "http://thanos-query.monitoring.svc:10902");
            assert.equal(await outputValue(thanos.queryFrontendUrl), "http://thanos-query-frontend.monitoring.svc:10902");
            assert.deepEqual(await outputValue(thanos.objstoreConfigRef), { kind: "Secret", name: "thanos-objstore", key: "objstore.yml" });
            assert.deepEqual(await outputValue(thanos.prometheusThanosSpec), {
                thanos: {
                    image: "quay.io/thanos/thanos:v0.36.1",
                    objectStorageConfig: { name: "thanos-objstore", key: "objstore.yml" },
                },
            });
            assert.deepEqual(await outputValue(thanos.prometheusServiceAccountAnnotations), {
                "eks.amazonaws.com/role-arn": "arn:aws:mock:::thanos-irsa",
            });
        });

        it("runs the compactor as a singleton with retention per resolution", () => {
            const compactor = byName(T.statefulSet, "thanos-compactor");
            assert.equal(plain<{ spec: { replicas: number } }>(compactor.inputs).spec.replicas, 1);
            const args = argsOf(compactor);
            assert.ok(args.includes("--retention.resolution-raw=45d"));
            assert.ok(args.includes("--retention.resolution-5m=180d"));
            assert.ok(args.includes("--retention.resolution-1h=400d"));
        });

        it("deduplicates on the default replica labels and discovers sidecar, store and ruler", () => {
            const args = argsOf(byName(T.deployment, "thanos-query"));
            assert.deepEqual(
                args.filter((a) => a.startsWith("--query.replica-label=")),
                ["--query.replica-label=prometheus_replica", "--query.replica-label=replica"],
            );
            assert.deepEqual(
                args.filter((a) => a.startsWith("--endpoint=")),
                [
                    "--endpoint=dnssrv+_grpc._tcp.prometheus-operated.monitoring.svc.cluster.local",
                    "--endpoint=dnssrv+_grpc._tcp.thanos-store.monitoring.svc.cluster.local",
                    "--endpoint=dnssrv+_grpc._tcp.thanos-ruler.monitoring.svc.cluster.local",
                ],
            );
        });

        it("points the query-frontend at query and the ruler at its rule files", () => {
            const qf = argsOf(byName(T.deployment, "thanos-query-frontend"));
            assert.ok(qf.includes("--query-frontend.downstream-url=http://thanos-query.monitoring.svc.cluster.local:10902"));
            assert.ok(qf.includes("--query-range.split-interval=24h"));
            const cm = byName(T.configMap, "thanos-rules");
            assert.deepEqual(cm.inputs["data"], { "slo.yaml": RULES });
            const ruler = argsOf(byName(T.statefulSet, "thanos-ruler"));
            assert.ok(ruler.includes("--query=dnssrv+_http._tcp.thanos-query.monitoring.svc.cluster.local"));
        });

        it("exposes query on http 10902 and grpc 10901, store on grpc, query-frontend on http", () => {
            const ports = (name: string) =>
                plain<{ spec: { ports: Array<{ name: string; port: number }> } }>(byName(T.service, name).inputs)
                    .spec.ports.map((p) => `${p.name}:${p.port}`)
                    .sort();
            assert.deepEqual(ports("thanos-query"), ["grpc:10901", "http:10902"]);
            assert.ok(ports("thanos-store").includes("grpc:10901"));
            assert.deepEqual(ports("thanos-query-frontend"), ["http:10902"]);
        });

        it("protects store and query with PodDisruptionBudgets, not the compactor", () => {
            assert.deepEqual(
                ofType(T.pdb)
                    .map((p) => p.name)
                    .sort(),
                ["thanos-query", "thanos-store"],
            );
        });

        it("secures, pins and bounds every workload", () => {
            const workloads = [...ofType(T.statefulSet), ...ofType(T.deployment)];
            assert.deepEqual(workloads.map((w) => w.name).sort(), [
                "thanos-compactor",
                "thanos-query",
                "thanos-query-frontend",
                "thanos-ruler",
                "thanos-store",
            ]);
            for (const w of workloads) {
                const spec = podSpec(w);
                assert.equal(spec.securityContext?.["runAsNonRoot"], true, w.name);
                assert.deepEqual(spec.securityContext?.["seccompProfile"], { type: "RuntimeDefault" }, w.name);
                assert.equal(spec.automountServiceAccountToken, false, w.name);
                assert.equal(spec.serviceAccountName, w.name);
                for (const c of spec.containers) {
                    assert.equal(c.image, "quay.io/thanos/thanos:v0.36.1", w.name);
                    assert.equal(c.securityContext?.["readOnlyRootFilesystem"], true, w.name);
                    assert.equal(c.securityContext?.["allowPrivilegeEscalation"], false, w.name);
                    assert.equal(c.securityContext?.["runAsNonRoot"], true, w.name);
                    assert.deepEqual(c.securityContext?.["capabilities"], { drop: ["ALL"] }, w.name);
                    assert.deepEqual(c.securityContext?.["seccompProfile"], { type: "RuntimeDefault" }, w.name);
                    assert.ok(c.resources?.limits?.["cpu"] && c.resources.limits["memory"], `${w.name} limits`);
                    assert.ok(c.resources?.requests?.["cpu"] && c.resources.requests["memory"], `${w.name} requests`);
                }
            }
        });
    });

    describe("aws storage with KMS", () => {
        before(async () => {
            await build(baseArgs(awsStorage({ encryption: { algorithm: "aws:kms", kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k" } })));
        });

        it("uses the key for SSE and grants the role use of that key only", () => {
            const [sse] = ofType(T.sse);
            assert.ok(sse);
            assert.deepEqual(plain(sse.inputs["rules"]), [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:1:key/k" },
                    bucketKeyEnabled: true,
                },
            ]);
            const kms = byName(T.rolePolicy, "thanos-kms-use");
            const doc = policyJson(kms, "policy");
            assert.deepEqual(
                doc.Statement.map((s) => s.Resource),
                [["arn:aws:kms:eu-west-1:1:key/k"]],
            );
            // The bucket policy itself still holds only the four S3 actions.
            const bucketDoc = policyJson(byName(T.rolePolicy, "thanos-bucket-access"), "policy");
            assert.equal(bucketDoc.Statement.flatMap((s) => [s.Action].flat()).length, 4);
        });
    });

    describe("existing storage", () => {
        let thanos: Thanos;
        before(async () => {
            thanos = await build(
                baseArgs(
                    {
                        type: "existing",
                        bucket: "metrics",
                        endpoint: "minio.minio:9000",
                        region: "us-east-1",
                        // Plain strings on purpose: the component must mark the result secret by itself.
                        accessKey: "AKIAEXAMPLE",
                        secretKey: pulumi.output("s3cr3t"),
                    },
                    { prometheus: { namespace: "observability", serviceAccountName: "prometheus" } },
                ),
            );
        });

        it("creates no AWS resources", () => {
            assert.equal(recorded().filter((r) => r.type.startsWith("aws:") || r.type.startsWith("random:")).length, 0);
        });

        it("writes the credentials to objstore Secrets marked secret, in both namespaces", () => {
            const secrets = ofType(T.secret);
            assert.deepEqual(secrets.map((s) => plain<{ metadata: { namespace: string } }>(s.inputs).metadata.namespace).sort(), [
                "monitoring",
                "observability",
            ]);
            for (const s of secrets) {
                const stringData = s.inputs["stringData"] as Record<string, unknown>;
                assert.ok(isSecretValue(stringData["objstore.yml"]) || isSecretValue(stringData), `${s.name} not secret`);
                const cfg = parseYaml(plain<Record<string, string>>(stringData)["objstore.yml"] ?? "");
                assert.equal(cfg.config.access_key, "AKIAEXAMPLE");
                assert.equal(cfg.config.secret_key, "s3cr3t");
                assert.equal(cfg.config.endpoint, "minio.minio:9000");
            }
        });

        it("exposes the objstore config only as a secret output", async () => {
            assert.equal(await pulumi.isSecret(thanos.objstoreConfig), true);
            assert.match(await outputValue(thanos.objstoreConfig), /secret_key: s3cr3t/);
        });

        it("annotates no service account with a role and reports the storage type", async () => {
            for (const sa of ofType(T.serviceAccount)) {
                const meta = plain<{ metadata: { annotations?: Record<string, string> } }>(sa.inputs).metadata;
                assert.equal(meta.annotations?.["eks.amazonaws.com/role-arn"], undefined);
            }
            assert.equal(await outputValue(thanos.storageType), "existing");
            assert.equal(await outputValue(thanos.bucketName), "metrics");
            assert.equal(await outputValue(thanos.roleArn), undefined);
        });

        it("discovers the sidecar in the Prometheus namespace", () => {
            assert.ok(
                argsOf(byName(T.deployment, "thanos-query")).includes(
                    "--endpoint=dnssrv+_grpc._tcp.prometheus-operated.observability.svc.cluster.local",
                ),
            );
        });
    });

    describe("filesystem storage", () => {
        let thanos: Thanos;
        before(async () => {
            thanos = await build(
                baseArgs(
                    { type: "filesystem", persistentVolumeClaimName: "thanos-bucket" },
                    {
                        prometheus: { namespace: "observability", serviceAccountName: "prometheus-k8s" },
                        query: { replicaLabels: ["prometheus_replica", "cluster_replica"] },
                    },
                ),
            );
        });

        it("configures FILESYSTEM objstore on the claim and exposes storageType for policies", async () => {
            const configMap = byName(T.configMap, "thanos-objstore");
            const cfg = parseYaml(plain<Record<string, string>>(configMap.inputs["data"])["objstore.yml"] ?? "");
            assert.deepEqual(cfg, { type: "FILESYSTEM", config: { directory: "/var/thanos/bucket" } });
            const volumes = podSpec(byName(T.statefulSet, "thanos-store")).volumes ?? [];
            assert.ok(volumes.some((v) => JSON.stringify(v).includes('"claimName":"thanos-bucket"')));
            assert.equal(await outputValue(thanos.storageType), "filesystem");
            const labels = plain<{ metadata: { labels: Record<string, string> } }>(configMap.inputs).metadata.labels;
            assert.equal(labels["thanos.gray-release.io/storage-type"], "filesystem");
            assert.equal(recorded().filter((r) => r.type.startsWith("aws:")).length, 0);
        });

        it("keeps the config out of Secrets and marks nothing secret, so rendering YAML has no plaintext secret to warn about", async () => {
            assert.deepEqual(ofType(T.secret), []);
            assert.deepEqual(
                ofType(T.configMap).map((c) => `${plain<{ metadata: { namespace: string } }>(c.inputs).metadata.namespace}/${c.name}`),
                ["observability/thanos-objstore-observability", "monitoring/thanos-objstore"],
            );
            for (const r of recorded()) assert.equal(containsSecretValue(r.inputs), false, `${r.type} ${r.name} has a secret input`);
            assert.equal(await pulumi.isSecret(thanos.objstoreConfig), false);
            assert.deepEqual(await outputValue(thanos.objstoreConfigRef), { kind: "ConfigMap", name: "thanos-objstore", key: "objstore.yml" });
        });

        it("mounts the ConfigMap into the Prometheus sidecar through objectStorageConfigFile (objectStorageConfig takes only a Secret)", async () => {
            assert.deepEqual(await outputValue(thanos.prometheusThanosSpec), {
                thanos: {
                    image: "quay.io/thanos/thanos:v0.36.1",
                    objectStorageConfigFile: "/etc/thanos/objstore/objstore.yml",
                    volumeMounts: [{ name: "thanos-objstore", mountPath: "/etc/thanos/objstore", readOnly: true }],
                },
                volumes: [{ name: "thanos-objstore", configMap: { name: "thanos-objstore" } }],
            });
            for (const user of ["thanos-store", "thanos-compactor"]) {
                const volume = (podSpec(byName(T.statefulSet, user)).volumes ?? []).find((v) => v["name"] === "objstore");
                assert.deepEqual(volume, { name: "objstore", configMap: { name: "thanos-objstore" } }, user);
            }
        });

        it("uses configured replica labels", () => {
            assert.deepEqual(
                argsOf(byName(T.deployment, "thanos-query")).filter((a) => a.startsWith("--query.replica-label=")),
                ["--query.replica-label=prometheus_replica", "--query.replica-label=cluster_replica"],
            );
        });
    });

    describe("retention validation", () => {
        async function rejects(args: ThanosArgs, ...patterns: RegExp[]): Promise<void> {
            resetRecorded();
            assert.throws(
                () => new Thanos("thanos", args),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidArgsError, String(err));
                    for (const p of patterns) assert.match(err.message, p);
                    return true;
                },
            );
            await settleAll();
            assert.deepEqual(
                recorded().map((r) => `${r.type} ${r.name}`),
                [],
                "nothing may be created",
            );
        }

        it("rejects raw retention not exceeding the longest SLO window, naming both keys and values", async () => {
            await rejects(
                baseArgs(awsStorage(), { retention: { raw: "28d" }, longestSloWindow: "30d" }),
                /Thanos "thanos": invalid input/,
                /retention\.raw = "28d": must exceed longestSloWindow \("30d"\)/,
            );
        });

        it("rejects raw retention within the 40h raw→5m downsampling delay", async () => {
            await rejects(
                baseArgs({ type: "filesystem" }, { retention: { raw: "36h" }, longestSloWindow: "1d" }),
                /retention\.raw = "36h": must exceed the raw→5m downsampling delay \(40h\)/,
            );
        });

        it("rejects 5m retention within the 10d 5m→1h downsampling delay", async () => {
            await rejects(
                baseArgs({ type: "filesystem" }, { retention: { fiveMinutes: "7d" } }),
                /retention\.fiveMinutes = "7d": must exceed the 5m→1h downsampling delay \(10d\)/,
            );
        });

        it("rejects a bucket expiry that would delete blocks within compactor retention", async () => {
            await rejects(
                baseArgs(awsStorage({ expireAfterDays: 90 })),
                /storage\.expireAfterDays = 90: must exceed the longest compactor retention \(400 days\)/,
            );
        });

        it("rejects malformed input before creating anything", async () => {
            await rejects(
                baseArgs({ type: "s3" } as unknown as ThanosArgs["storage"], { longestSloWindow: "a month" }),
                /storage\.type = "s3"/,
                /longestSloWindow = "a month"/,
            );
        });
    });
});
