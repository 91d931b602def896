/**
 * The AWS part of Thanos storage: the S3 bucket (private, encrypted, TLS-only, with lifecycle rules) and the IRSA
 * role its ServiceAccounts assume. The only module that imports `@pulumi/aws` and `@pulumi/random`, which are
 * optional peer dependencies: `ThanosObjectStorage` loads it only for `storage.type: aws`, and it is published as
 * the subpath `gray-release/aws-storage` for a bucket of one's own.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ResolvedThanosArgs } from "./args";
import { bucketAccessPolicy, irsaTrustPolicy, kmsKeyUsePolicy, tlsOnlyBucketPolicy } from "./config";

/** Validated `storage` of type `aws` (see `ThanosArgs`). */
export type AwsBucketStorage = Extract<ResolvedThanosArgs["storage"], { type: "aws" }>;

/** What {@link createAwsThanosBucket} created. */
export interface AwsThanosBucket {
    bucket: aws.s3.Bucket;
    /** The IRSA role the ServiceAccounts assume; it alone may read and write the bucket. */
    role: aws.iam.Role;
}

/**
 * Creates the bucket and its IRSA role as children of `parent`, named after `name` (`<name>-bucket`, `<name>-irsa`,
 * ...): the names and parent `ThanosObjectStorage` has always given them, so moving this code changed no URN.
 */
export function createAwsThanosBucket(
    parent: pulumi.Resource,
    name: string,
    storage: AwsBucketStorage,
    serviceAccounts: ReadonlyArray<{ namespace: string; name: string }>,
): AwsThanosBucket {
    const opts = { parent };
    const region = storage.region;
    const tags = { "app.kubernetes.io/part-of": "gray-release", ...storage.tags };

    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, opts);
    const bucket = new aws.s3.Bucket(
        `${name}-bucket`,
        {
            bucket: pulumi.interpolate`${storage.bucketNamePrefix}-${suffix.hex}`,
            forceDestroy: storage.forceDestroy,
            region,
            tags,
        },
        opts,
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
        opts,
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
        opts,
    );

    // Applied after the public access block: S3 rejects concurrent bucket policy and PAB updates.
    new aws.s3.BucketPolicy(
        `${name}-tls-only`,
        { bucket: bucket.id, region, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
        { parent, dependsOn: [publicAccessBlock] },
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
        opts,
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
        opts,
    );

    new aws.iam.RolePolicy(
        `${name}-bucket-access`,
        { role: role.id, policy: bucket.arn.apply((arn) => JSON.stringify(bucketAccessPolicy(arn))) },
        opts,
    );

    if (encryption.algorithm === "aws:kms") {
        new aws.iam.RolePolicy(
            `${name}-kms-use`,
            {
                role: role.id,
                policy: pulumi.output(encryption.kmsKeyArn).apply((arn) => JSON.stringify(kmsKeyUsePolicy(arn))),
            },
            opts,
        );
    }

    return { bucket, role };
}
