import { strict as assert } from "node:assert";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { InvalidArgsError } from "../../components/common";
import {
    awsObjstoreConfig,
    bucketAccessPolicy,
    bucketExpiryProblems,
    compactorArgs,
    durationMs,
    existingObjstoreConfig,
    filesystemObjstoreConfig,
    irsaTrustPolicy,
    isDuration,
    type PlainThanosArgs,
    type PolicyStatement,
    queryArgs,
    queryFrontendArgs,
    renderObjstoreConfig,
    retentionProblems,
    rulerArgs,
    THANOS_BUCKET_ACTIONS,
    tlsOnlyBucketPolicy,
    validateThanosArgs,
} from "../../components/thanos";

const BUCKET_ARN = "arn:aws:s3:::thanos-a1b2c3d4";
const asArray = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe("thanos durations", () => {
    it("parses Prometheus-style durations", () => {
        assert.equal(durationMs("40h"), 40 * 3_600_000);
        assert.equal(durationMs("1d12h"), 36 * 3_600_000);
        assert.equal(durationMs("2w"), 14 * 86_400_000);
        assert.equal(durationMs("0d"), 0);
    });

    it("rejects malformed durations", () => {
        for (const bad of ["", "30", "d", "1h1d", "30 d", "-1d", "1.5d"]) assert.equal(isDuration(bad), false, bad);
    });
});

describe("thanos retention checks", () => {
    const ok = { raw: "45d", fiveMinutes: "180d", oneHour: "400d" };

    it("accepts the defaults for a 30d SLO window", () => {
        assert.deepEqual(retentionProblems(ok, "30d"), []);
    });

    it("requires raw retention to exceed the 40h raw→5m downsampling delay", () => {
        const problems = retentionProblems({ ...ok, raw: "40h" }, "1d");
        assert.equal(problems.length, 1);
        assert.equal(problems[0]?.path, "retention.raw");
        assert.match(problems[0]?.message ?? "", /40h/);
    });

    it("requires raw retention to exceed the longest SLO window", () => {
        const problems = retentionProblems({ ...ok, raw: "30d" }, "30d");
        assert.equal(problems.length, 1);
        assert.equal(problems[0]?.value, "30d");
        assert.match(problems[0]?.message ?? "", /longestSloWindow \("30d"\)/);
    });

    it("requires 5m retention to exceed the 10d 5m→1h downsampling delay", () => {
        const problems = retentionProblems({ ...ok, fiveMinutes: "10d" }, "7d");
        assert.deepEqual(
            problems.map((p) => p.path),
            ["retention.fiveMinutes"],
        );
    });

    it("treats 0d (keep forever) as longer than anything", () => {
        assert.deepEqual(retentionProblems({ raw: "0d", fiveMinutes: "0d", oneHour: "0d" }, "365d"), []);
    });

    it("raw retention passes exactly when it exceeds both the 40h delay and the SLO window (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 90 }), (rawHours, windowDays) => {
                const problems = retentionProblems({ ...ok, raw: `${rawHours}h` }, `${windowDays}d`);
                const expectOk = rawHours > 40 && rawHours > windowDays * 24;
                return (problems.length === 0) === expectOk;
            }),
        );
    });

    it("bucket expiry must exceed the longest retention and is refused with keep-forever", () => {
        assert.deepEqual(bucketExpiryProblems(undefined, ok), []);
        assert.deepEqual(bucketExpiryProblems(401, ok), []);
        assert.equal(bucketExpiryProblems(400, ok)[0]?.path, "storage.expireAfterDays");
        assert.match(bucketExpiryProblems(500, { ...ok, oneHour: "0d" })[0]?.message ?? "", /keep forever/);
    });
});

describe("thanos IAM and bucket policy documents", () => {
    it("grants exactly the four Thanos actions, scoped to the bucket", () => {
        const doc = bucketAccessPolicy(BUCKET_ARN);
        const actions = doc.Statement.flatMap((s) => asArray(s.Action)).sort();
        assert.deepEqual(actions, [...THANOS_BUCKET_ACTIONS].sort());
        assert.ok(doc.Statement.every((s) => s.Effect === "Allow"));
        for (const s of doc.Statement) {
            const resources = asArray(s.Resource);
            const expected = asArray(s.Action).includes("s3:ListBucket") ? [BUCKET_ARN] : [`${BUCKET_ARN}/*`];
            assert.deepEqual(resources, expected, `statement ${s.Sid ?? ""}`);
        }
        assert.ok(!JSON.stringify(doc).includes('"*"'), "no wildcard resource or action");
    });

    it("trusts only the cluster's OIDC provider, for STS, for the listed service accounts", () => {
        const doc = irsaTrustPolicy({
            oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
            oidcProviderUrl: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
            serviceAccounts: [
                { namespace: "monitoring", name: "thanos-store" },
                { namespace: "monitoring", name: "thanos-compactor" },
            ],
        });
        assert.equal(doc.Statement.length, 1);
        const s = doc.Statement[0] as PolicyStatement;
        assert.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
        assert.deepEqual(s.Principal, {
            Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        });
        assert.deepEqual(s.Condition, {
            StringEquals: {
                "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
                "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": [
                    "system:serviceaccount:monitoring:thanos-store",
                    "system:serviceaccount:monitoring:thanos-compactor",
                ],
            },
        });
    });

    it("denies every S3 request that is not over TLS", () => {
        const [s] = tlsOnlyBucketPolicy(BUCKET_ARN).Statement;
        assert.ok(s);
        assert.equal(s.Effect, "Deny");
        assert.equal(s.Principal, "*");
        assert.equal(s.Action, "s3:*");
        assert.deepEqual(s.Resource, [BUCKET_ARN, `${BUCKET_ARN}/*`]);
        assert.deepEqual(s.Condition, { Bool: { "aws:SecureTransport": "false" } });
    });
});

describe("thanos objstore configs", () => {
    it("renders S3 without static keys for IRSA, with SSE", () => {
        const cfg = parseYaml(renderObjstoreConfig(awsObjstoreConfig({ bucket: "b", region: "eu-west-1" })));
        assert.deepEqual(cfg, {
            type: "S3",
            config: {
                bucket: "b",
                endpoint: "s3.eu-west-1.amazonaws.com",
                region: "eu-west-1",
                sse_config: { type: "SSE-S3" },
            },
        });
        const kms = awsObjstoreConfig({ bucket: "b", region: "eu-west-1", kmsKeyArn: "arn:aws:kms:k" });
        assert.deepEqual(kms.config.sse_config, { type: "SSE-KMS", kms_key_id: "arn:aws:kms:k" });
    });

    it("renders existing buckets with credentials and filesystem buckets with a directory", () => {
        const existing = existingObjstoreConfig({
            bucket: "b",
            endpoint: "minio:9000",
            region: "us-east-1",
            accessKey: "AK",
            secretKey: "SK",
            insecure: false,
        });
        assert.equal(existing.config.access_key, "AK");
        assert.equal(existing.config.secret_key, "SK");
        assert.deepEqual(filesystemObjstoreConfig("/data"), { type: "FILESYSTEM", config: { directory: "/data" } });
    });
});

describe("thanos command lines", () => {
    it("query deduplicates on every replica label and discovers endpoints by DNS SRV", () => {
        const args = queryArgs({
            replicaLabels: ["prometheus_replica", "replica"],
            endpoints: ["dnssrv+_grpc._tcp.prometheus-operated.monitoring.svc.cluster.local"],
        });
        assert.equal(args[0], "query");
        assert.deepEqual(
            args.filter((a) => a.startsWith("--query.replica-label=")),
            ["--query.replica-label=prometheus_replica", "--query.replica-label=replica"],
        );
        assert.ok(args.includes("--endpoint=dnssrv+_grpc._tcp.prometheus-operated.monitoring.svc.cluster.local"));
    });

    it("compactor carries retention per resolution and never disables downsampling", () => {
        const args = compactorArgs({
            dataDir: "/d",
            retention: { raw: "45d", fiveMinutes: "180d", oneHour: "400d" },
            deleteDelay: "48h",
            waitInterval: "5m",
        });
        assert.ok(args.includes("--retention.resolution-raw=45d"));
        assert.ok(args.includes("--retention.resolution-5m=180d"));
        assert.ok(args.includes("--retention.resolution-1h=400d"));
        assert.ok(args.includes("--wait"));
        assert.ok(!args.some((a) => a.startsWith("--downsampling.disable")));
    });

    it("query-frontend splits by interval and caches in memory", () => {
        const args = queryFrontendArgs({
            downstreamUrl: "http://q:10902",
            splitInterval: "24h",
            cacheMaxSize: "512MB",
            cacheValidity: "0s",
        });
        assert.ok(args.includes("--query-range.split-interval=24h"));
        const cache = args.find((a) => a.startsWith("--query-range.response-cache-config="));
        assert.ok(cache);
        assert.deepEqual(parseYaml(cache.slice(cache.indexOf("=") + 1)), {
            type: "IN-MEMORY",
            config: { max_size: "512MB", validity: "0s" },
        });
    });

    it("ruler evaluates against query and drops its replica label from alerts", () => {
        const args = rulerArgs({
            dataDir: "/d",
            ruleDir: "/r",
            queryEndpoint: "dnssrv+_http._tcp.q.ns.svc.cluster.local",
            evalInterval: "30s",
            tsdbRetention: "24h",
            alertmanagerUrls: ["http://am:9093"],
            replicaLabel: "replica",
        });
        assert.ok(args.includes("--query=dnssrv+_http._tcp.q.ns.svc.cluster.local"));
        assert.ok(args.includes('--label=replica="$(POD_NAME)"'));
        assert.ok(args.includes("--alert.label-drop=replica"));
        assert.ok(args.includes("--alertmanagers.url=http://am:9093"));
    });
});

describe("validateThanosArgs", () => {
    const base: PlainThanosArgs = {
        namespace: "monitoring",
        prometheus: { namespace: "monitoring", serviceAccountName: "prometheus-k8s" },
        storage: { type: "filesystem" },
        longestSloWindow: "30d",
    };

    it("fills in every default", () => {
        const a = validateThanosArgs("thanos", base);
        assert.equal(a.image, "quay.io/thanos/thanos:v0.36.1");
        assert.deepEqual(a.query.replicaLabels, ["prometheus_replica", "replica"]);
        assert.deepEqual(a.retention, { raw: "45d", fiveMinutes: "180d", oneHour: "400d" });
        assert.equal(a.ruler, undefined);
    });

    it("names the key and value of structural problems", () => {
        assert.throws(
            () =>
                validateThanosArgs("thanos", {
                    ...base,
                    image: "quay.io/thanos/thanos:latest",
                    retention: { raw: "30days" },
                    query: { replicaLabels: ["bad-label"] },
                }),
            (err: unknown) => {
                assert.ok(err instanceof InvalidArgsError);
                assert.match(err.message, /image = "quay.io\/thanos\/thanos:latest"/);
                assert.match(err.message, /retention.raw = "30days"/);
                assert.match(err.message, /query.replicaLabels\[0\] = "bad-label"/);
                return true;
            },
        );
    });

    it("rejects rule files that are not rule YAML", () => {
        assert.throws(
            () => validateThanosArgs("thanos", { ...base, ruler: { ruleFiles: { "slo.yaml": "rules: []" } } }),
            /ruler\.ruleFiles\["slo\.yaml"\] = .*groups/,
        );
    });

    it("rejects an unusable component name", () => {
        assert.throws(() => validateThanosArgs("Thanos_1", base), /name = "Thanos_1"/);
    });
});
