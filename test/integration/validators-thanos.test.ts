/**
 * The Thanos objstore configs and component flags our builders render, checked by Thanos itself (v0.36.1, the
 * image the Thanos component deploys, built from github.com/thanos-io/thanos by toolchain/validators/build.sh):
 *
 *  - objstore: `thanos tools bucket ls` / `verify` on a filesystem bucket (dev); S3 configs are parsed, validated
 *    and turned into a client by Thanos' objstore code, and only the listing fails, on the network (no S3 here);
 *  - flags: each component (store, compactor, query, query-frontend, ruler) started with the flags we render
 *    (listen addresses, data dir and mounted files moved to loopback / a temp dir) until it serves `/-/healthy`:
 *    kingpin's flag parsing and the component's own checks (e.g. the compactor's retention-vs-downsampling rule).
 *
 * The negative controls prove a wrong flag or config is refused with Thanos' own message. The sample stacks'
 * rendered Thanos objects are checked in validators-stacks.test.ts.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    awsObjstoreConfig,
    compactorArgs,
    existingObjstoreConfig,
    grpcSrvEndpoint,
    queryArgs,
    queryFrontendArgs,
    type Retention,
    renderObjstoreConfig,
    rulerArgs,
    storeArgs,
    THANOS_DEFAULTS,
} from "../../components/thanos";
import { filesystemObjstore, requireValidatorsDir, runThanosComponent, s3ListingFailedOnlyRemotely, thanos } from "../support/validators";

const D = THANOS_DEFAULTS;
const compactor = (retention: Retention = D.retention) =>
    compactorArgs({ dataDir: "/var/thanos/compact", retention, deleteDelay: D.compactor.deleteDelay, waitInterval: D.compactor.waitInterval });
const query = () =>
    queryArgs({
        replicaLabels: D.query.replicaLabels,
        endpoints: [
            grpcSrvEndpoint("thanos-store", "monitoring", "cluster.local"),
            grpcSrvEndpoint("prometheus-operated", "monitoring", "cluster.local"),
        ],
    });
const frontend = () =>
    queryFrontendArgs({
        downstreamUrl: "http://thanos-query.monitoring.svc.cluster.local:10902",
        splitInterval: D.queryFrontend.splitInterval,
        cacheMaxSize: D.queryFrontend.cacheMaxSize,
        cacheValidity: D.queryFrontend.cacheValidity,
    });
const ruler = () =>
    rulerArgs({
        dataDir: "/var/thanos/rule",
        ruleDir: "/etc/thanos/rules",
        queryEndpoint: "dnssrv+_http._tcp.thanos-query.monitoring.svc.cluster.local",
        evalInterval: D.ruler.evalInterval,
        tsdbRetention: D.ruler.tsdbRetention,
        alertmanagerUrls: ["http://alertmanager-operated.monitoring.svc.cluster.local:9093"],
        replicaLabel: "replica",
    });

describe("Thanos' own checks of our objstore configs and component flags", function () {
    this.timeout(10 * 60 * 1000);
    let dir = "";
    before(async () => {
        await requireValidatorsDir();
        dir = mkdtempSync(join(tmpdir(), "thanos-validators-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const objstoreFile = (name: string, text: string): string => {
        const file = join(dir, name);
        writeFileSync(file, text);
        return file;
    };

    describe("negative controls: Thanos refuses them with its own messages", () => {
        it("a misspelt flag", async () => {
            const args = compactor().map((a) => a.replace("--retention.resolution-raw=", "--retention.raw="));
            const start = await runThanosComponent(args);
            assert.equal(start.running, false);
            assert.match(start.log, /unknown long flag '--retention.raw'/);
        });

        it("a malformed duration", async () => {
            const args = compactor().map((a) => (a.startsWith("--wait-interval=") ? "--wait-interval=5 minutes" : a));
            const start = await runThanosComponent(args);
            assert.equal(start.running, false);
            assert.match(start.log, /wait-interval|duration/);
        });

        it("raw retention shorter than the 40h raw→5m downsampling delay", async () => {
            const start = await runThanosComponent(compactor({ ...D.retention, raw: "1d" }));
            assert.equal(start.running, false);
            assert.match(
                start.log,
                /raw resolution must be higher than the minimum block size after which 5m resolution downsampling will occur \(40 hours\)/,
            );
        });

        it("objstore configs with a misspelt key or no directory", async () => {
            const s3 = renderObjstoreConfig(
                existingObjstoreConfig({
                    bucket: "b",
                    endpoint: "s3.eu-west-1.amazonaws.com",
                    region: "eu-west-1",
                    accessKey: "a",
                    secretKey: "s",
                    insecure: false,
                }),
            );
            const typo = await thanos([
                "tools",
                "bucket",
                "ls",
                `--objstore.config-file=${objstoreFile("typo.yml", s3.replace("bucket:", "bucket_name:"))}`,
            ]);
            assert.notEqual(typo.code, 0);
            assert.match(typo.stderr, /field bucket_name not found in type s3\.Config/);
            const short = await thanos(["tools", "bucket", "ls", `--objstore.config-file=${objstoreFile("short.yml", s3)}`]);
            assert.match(short.stderr, /Bucket name cannot be shorter than 3 characters/);
            assert.equal(s3ListingFailedOnlyRemotely(short.stderr), false, "a bucket name S3 refuses is not taken for a network failure");
            const noDir = await thanos([
                "tools",
                "bucket",
                "ls",
                `--objstore.config-file=${objstoreFile("nodir.yml", "type: FILESYSTEM\nconfig: {}\n")}`,
            ]);
            assert.notEqual(noDir.code, 0);
            assert.match(noDir.stderr, /missing directory for filesystem bucket/);
        });
    });

    describe("objstore configs", () => {
        it("filesystem (dev): thanos tools bucket ls and verify succeed", async () => {
            const file = objstoreFile("fs.yml", filesystemObjstore(join(dir, "bucket")));
            for (const sub of ["ls", "verify"]) {
                const r = await thanos(["tools", "bucket", sub, `--objstore.config-file=${file}`]);
                assert.equal(r.code, 0, `${sub}: ${r.stderr}`);
            }
        });

        const s3Configs: Array<[string, string]> = [
            [
                "existing bucket with keys",
                renderObjstoreConfig(
                    existingObjstoreConfig({
                        bucket: "gray-release-metrics",
                        endpoint: "s3.eu-west-1.amazonaws.com",
                        region: "eu-west-1",
                        accessKey: "AKIAEXAMPLE",
                        secretKey: "example",
                        insecure: false,
                    }),
                ),
            ],
            ["AWS through IRSA, SSE-S3", renderObjstoreConfig(awsObjstoreConfig({ bucket: "gray-release-metrics", region: "eu-west-1" }))],
            [
                "AWS through IRSA, SSE-KMS",
                renderObjstoreConfig(
                    awsObjstoreConfig({
                        bucket: "gray-release-metrics",
                        region: "eu-west-1",
                        kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    }),
                ),
            ],
        ];
        for (const [name, text] of s3Configs) {
            it(`S3 (${name}): parsed, validated and made into a client by Thanos; only listing the example bucket fails`, async () => {
                const r = await thanos(
                    ["tools", "bucket", "ls", `--objstore.config-file=${objstoreFile(`${name.replace(/\W+/g, "-")}.yml`, text)}`],
                    { timeoutMs: 120_000 },
                );
                assert.notEqual(r.code, 0, "the example bucket and keys cannot be listed");
                assert.ok(s3ListingFailedOnlyRemotely(r.stderr), r.stderr);
            });
        }
    });

    describe("component flags: each component starts and serves /-/healthy", () => {
        const components: Array<[string, () => string[]]> = [
            ["store", () => storeArgs("/var/thanos/store")],
            ["compactor (default retention)", () => compactor()],
            ["compactor (exactly the downsampling delays)", () => compactor({ raw: "40h", fiveMinutes: "10d", oneHour: "30d" })],
            ["compactor (keep 1h resolution forever)", () => compactor({ raw: "45d", fiveMinutes: "180d", oneHour: "0d" })],
            ["query", query],
            ["query-frontend", frontend],
            ["ruler", ruler],
        ];
        for (const [name, args] of components) {
            it(name, async () => {
                const start = await runThanosComponent(args(), { POD_NAME: "thanos-rule-0" });
                assert.ok(start.running, `thanos ${start.args.join(" ")}\n${start.log}`);
            });
        }
    });
});
