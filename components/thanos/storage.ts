/**
 * Object storage for Thanos: the bucket (and its IRSA role) for `aws`, and the rendered `objstore.yml` for every
 * storage type. Split from the workloads so the AWS resources have one obvious owner in the resource tree.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ResolvedThanosArgs } from "./args";
import {
    awsObjstoreConfig,
    bucketAccessPolicy,
    existingObjstoreConfig,
    filesystemObjstoreConfig,
    irsaTrustPolicy,
    kmsKeyUsePolicy,
    renderObjstoreConfig,
    tlsOnlyBucketPolicy,
} from "./config";

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
    /** Contents of `objstore.yml`; always a secret output, since for `existing` it carries credentials. */
    public readonly objstoreYaml: pulumi.Output<string>;

    constructor(name: string, args: ThanosObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gray-release:index:ThanosObjectStorage", name, {}, opts);
        const storage = args.storage;
        this.storageType = pulumi.output(storage.type);

        switch (storage.type) {
            case "aws": {
                const created = this.createAwsBucket(name, storage, args.serviceAccounts);
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
                this.objstoreYaml = pulumi.secret(renderObjstoreConfig(filesystemObjstoreConfig(storage.directory)));
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

    private createAwsBucket(
        name: string,
        storage: Extract<ResolvedThanosArgs["storage"], { type: "aws" }>,
        serviceAccounts: ReadonlyArray<{ namespace: string; name: string }>,
    ): { bucket: aws.s3.Bucket; role: aws.iam.Role } {
        const parent = { parent: this };
        const region = storage.region;
        const tags = { "app.kubernetes.io/part-of": "gray-release", ...storage.tags };

        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, parent);
        const bucket = new aws.s3.Bucket(
            `${name}-bucket`,
            {
                bucket: pulumi.interpolate`${storage.bucketNamePrefix}-${suffix.hex}`,
                forceDestroy: storage.forceDestroy,
                region,
                tags,
            },
            parent,
        );

        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            {
                bucket: bucket.id,
                region,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            parent,
        );

        const encryption = storage.encryption;
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-sse`,
            {
                bucket: bucket.id,
                region,
                rules: [
                    encryption.algorithm === "aws:kms"
                        ? {
                              applyServerSideEncryptionByDefault: {
                                  sseAlgorithm: "aws:kms",
                                  kmsMasterKeyId: encryption.kmsKeyArn,
                              },
                              // Bucket keys cut KMS request volume (and cost) by orders of magnitude for many small objects.
                              bucketKeyEnabled: true,
                          }
                        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                ],
            },
            parent,
        );

        // Applied after the public access block: S3 rejects concurrent bucket policy and PAB updates.
        new aws.s3.BucketPolicy(
            `${name}-tls-only`,
            { bucket: bucket.id, region, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
            { parent: this, dependsOn: [publicAccessBlock] },
        );

        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                region,
                rules: [
                    {
                        id: "abort-incomplete-multipart-uploads",
                        status: "Enabled",
                        filter: {},
                        abortIncompleteMultipartUpload: {
                            daysAfterInitiation: storage.abortIncompleteMultipartUploadDays,
                        },
                    },
                    ...(storage.expireAfterDays !== undefined
                        ? [
                              {
                                  id: "expire-beyond-compactor-retention",
                                  status: "Enabled",
                                  filter: {},
                                  expiration: { days: storage.expireAfterDays },
                              },
                          ]
                        : []),
                ],
            },
            parent,
        );

        const role = new aws.iam.Role(
            `${name}-irsa`,
            {
                description: "Thanos access to its block bucket (IRSA)",
                assumeRolePolicy: pulumi
                    .all([storage.oidcProviderArn, storage.oidcProviderUrl])
                    .apply(([oidcProviderArn, oidcProviderUrl]) =>
                        JSON.stringify(irsaTrustPolicy({ oidcProviderArn, oidcProviderUrl, serviceAccounts })),
                    ),
                tags,
            },
            parent,
        );

        new aws.iam.RolePolicy(
            `${name}-bucket-access`,
            { role: role.id, policy: bucket.arn.apply((arn) => JSON.stringify(bucketAccessPolicy(arn))) },
            parent,
        );

        if (encryption.algorithm === "aws:kms") {
            new aws.iam.RolePolicy(
                `${name}-kms-use`,
                {
                    role: role.id,
                    policy: pulumi.output(encryption.kmsKeyArn).apply((arn) => JSON.stringify(kmsKeyUsePolicy(arn))),
                },
                parent,
            );
        }

        return { bucket, role };
    }
}
