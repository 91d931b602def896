/**
 * Object storage for Thanos: the bucket (and its IRSA role) for `aws`, and the rendered `objstore.yml` for every
 * storage type. Split from the workloads so the AWS resources have one obvious owner in the resource tree. The AWS
 * resources themselves live in aws-storage.ts, loaded only for `aws`: `@pulumi/aws` (84 MB) and `@pulumi/random`
 * are optional peer dependencies, installed only by users of S3 storage.
 */
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../common/validation";
import type { ResolvedThanosArgs } from "./args";
import { awsObjstoreConfig, existingObjstoreConfig, filesystemObjstoreConfig, renderObjstoreConfig } from "./config";

/** The optional peer dependencies aws-storage.ts imports. */
const AWS_PACKAGES = ["@pulumi/aws", "@pulumi/random"] as const;

/**
 * aws-storage.ts, or a clear error naming the missing packages. Required lazily (not imported) so that loading the
 * package never loads `@pulumi/aws`.
 */
function loadAwsStorage(): typeof import("./aws-storage") {
    const missing = AWS_PACKAGES.filter((pkg) => {
        try {
            require.resolve(pkg);
            return false;
        } catch {
            return true;
        }
    });
    if (missing.length > 0) {
        throw new InvalidArgsError("Thanos storage", [
            {
                path: "storage.type",
                value: "aws",
                message: `needs ${missing.join(" and ")}, optional peer dependencies of gray-release installed only for S3 storage: npm install ${missing.join(" ")}`,
            },
        ]);
    }
    return require("./aws-storage") as typeof import("./aws-storage");
}

/** Storage type names, as exposed for policies. */
export type StorageType = ResolvedThanosArgs["storage"]["type"];

export interface ThanosObjectStorageArgs {
    /** Validated storage settings. */
    storage: ResolvedThanosArgs["storage"];
    /** ServiceAccounts that read or write the bucket; for `aws` they alone may assume the IRSA role. */
    serviceAccounts: ReadonlyArray<{ namespace: string; name: string }>;
}

/** Creates the bucket side of Thanos and renders the objstore configuration. */
export class ThanosObjectStorage extends pulumi.ComponentResource {
    /** `aws`, `existing` or `filesystem`; policies refuse `filesystem` in production. */
    public readonly storageType: pulumi.Output<StorageType>;
    /** Bucket name; undefined for `filesystem`. */
    public readonly bucketName: pulumi.Output<string | undefined>;
    /** ARN of the IRSA role; only for `aws`. */
    public readonly roleArn: pulumi.Output<string | undefined>;
    /**
     * Contents of `objstore.yml`: a secret output for `aws` and `existing` (it carries credentials for `existing`);
     * plain for `filesystem`, whose config is a directory path and goes into a ConfigMap.
     */
    public readonly objstoreYaml: pulumi.Output<string>;

    constructor(name: string, args: ThanosObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before registering anything: without @pulumi/aws the error comes first, not a half-made component.
        const awsStorage = args.storage.type === "aws" ? loadAwsStorage() : undefined;
        super("gray-release:index:ThanosObjectStorage", name, {}, opts);
        const storage = args.storage;
        this.storageType = pulumi.output(storage.type);

        switch (storage.type) {
            case "aws": {
                const created = awsStorage!.createAwsThanosBucket(this, name, storage, args.serviceAccounts);
                this.bucketName = created.bucket.bucket;
                this.roleArn = created.role.arn;
                const kmsKeyArn = storage.encryption.algorithm === "aws:kms" ? storage.encryption.kmsKeyArn : undefined;
                this.objstoreYaml = pulumi.secret(
                    pulumi
                        .all([created.bucket.bucket, kmsKeyArn])
                        .apply(([bucket, kms]) => renderObjstoreConfig(awsObjstoreConfig({ bucket, region: storage.region, kmsKeyArn: kms }))),
                );
                break;
            }
            case "existing": {
                this.bucketName = pulumi.output(storage.bucket);
                this.roleArn = pulumi.output(undefined);
                // Wrapped explicitly: a plain-string credential must not end up in state in clear text either.
                this.objstoreYaml = pulumi.secret(
                    pulumi.all([storage.accessKey, storage.secretKey]).apply(([accessKey, secretKey]) =>
                        renderObjstoreConfig(
                            existingObjstoreConfig({
                                bucket: storage.bucket,
                                endpoint: storage.endpoint,
                                region: storage.region,
                                accessKey,
                                secretKey,
                                insecure: storage.insecure,
                            }),
                        ),
                    ),
                );
                break;
            }
            case "filesystem": {
                this.bucketName = pulumi.output(undefined);
                this.roleArn = pulumi.output(undefined);
                this.objstoreYaml = pulumi.output(renderObjstoreConfig(filesystemObjstoreConfig(storage.directory)));
                break;
            }
        }

        this.registerOutputs({
            storageType: this.storageType,
            bucketName: this.bucketName,
            roleArn: this.roleArn,
            objstoreYaml: this.objstoreYaml,
        });
    }
}
