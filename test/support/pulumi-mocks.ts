/**
 * Pulumi's mock runtime, wired so a test can see every resource a component registered.
 *
 * Usage: call `installMocks()` once per test file (before importing the component under test is not
 * required: mocks apply to resources created after the call), build the component inside `runComponent`,
 * then inspect `recorded()`.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    /** Pulumi type token, e.g. `kubernetes:core/v1:Namespace`. */
    type: string;
    /** Logical name given to the resource. */
    name: string;
    /** Inputs as the provider would receive them (outputs resolved). */
    inputs: Record<string, unknown>;
    /** URN of the parent, when any. */
    parent?: string | undefined;
}

const created: RecordedResource[] = [];

export function installMocks(project = "gray-release", stack = "test"): void {
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
                created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
                if (args.type === "random:index/randomId:RandomId") state["hex"] = "a1b2c3d4";
                if (args.type === "random:index/randomString:RandomString") state["result"] = "x7k2q9";
                if (args.type.startsWith("aws:") && state["arn"] === undefined) {
                    state["arn"] = `arn:aws:mock:::${args.name}`;
                }
                if (args.type === "aws:s3/bucketV2:BucketV2" || args.type === "aws:s3/bucket:Bucket") {
                    state["bucket"] = state["bucket"] ?? args.name;
                    state["arn"] = `arn:aws:s3:::${String(state["bucket"])}`;
                }
                return { id: `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                if (args.token === "aws:iam/getPolicyDocument:getPolicyDocument") {
                    return { json: JSON.stringify(args.inputs) };
                }
                if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
                    return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "test" };
                }
                if (args.token === "aws:index/getPartition:getPartition") return { partition: "aws" };
                if (args.token === "aws:index/getRegion:getRegion") return { name: "eu-west-1", region: "eu-west-1" };
                return args.inputs as Record<string, unknown>;
            },
        },
        project,
        stack,
        false,
    );
}

/** Clears what earlier tests recorded. */
export function resetRecorded(): void {
    created.length = 0;
}

/** Every resource registered since the last reset. */
export function recorded(): ReadonlyArray<RecordedResource> {
    return created;
}

/** Resources of one type token. */
export function ofType(type: string): RecordedResource[] {
    return created.filter((r) => r.type === type);
}

/** Resolves a Pulumi output in a test. */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/**
 * Builds resources with `build`, then waits until the mock runtime has registered all of them, so
 * `recorded()` is complete when this resolves.
 */
export async function settle(): Promise<void> {
    // Registrations are asynchronous; a few macrotask turns let every pending one reach the mock monitor.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
