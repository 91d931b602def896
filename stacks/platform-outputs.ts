/**
 * The contract between a platform stack and the services stacks built on it: the `platform` stack output,
 * written by the platform stack and read back, validated, by every services stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { parseArgs } from "../components/common/validation";

/** Name of the stack output holding {@link PlatformFacts}. */
export const PLATFORM_OUTPUT = "platform";

export const platformFactsSchema = z
    .object({
        /** Environment of the platform stack; a services stack must be of the same environment. */
        environment: z.string().min(1),
        /** Gray namespaces the platform created. */
        namespaces: z.array(z.string().min(1)),
        /** Prometheus HTTP API of Thanos Query, the default metrics source of canary analysis. */
        thanosQueryUrl: z.string().min(1).optional(),
        /** Storage type of Thanos' object store (policies refuse `filesystem` in prod). */
        thanosStorageType: z.string().min(1).optional(),
        /** The OpenTelemetry collectors: where they run and which namespaces their agents reach. */
        collectors: z.array(
            z.object({
                namespace: z.string().min(1),
                /** Namespaces the agents collect from; `["*"]` for every namespace. */
                watchedNamespaces: z.array(z.string().min(1)),
                agentEndpoint: z.string().min(1),
                /** Environment variables services set so their traces reach the agent (propagators included). */
                workloadEnv: z.record(z.string(), z.string()),
            }),
        ),
    })
    .strict();

/** What a platform stack exports for the services stacks built on it. */
export type PlatformFacts = z.output<typeof platformFactsSchema>;

/** Validates a platform stack's `platform` output as read back; names the stack and the bad key. */
export function parsePlatformFacts(stack: string, value: unknown): PlatformFacts {
    if (value === undefined || value === null) {
        throw new pulumi.RunError(
            `platform stack "${stack}" has no output "${PLATFORM_OUTPUT}": run \`pulumi up\` on it first ` + `(or check gray-release:platformStack)`,
        );
    }
    return parseArgs(`output "${PLATFORM_OUTPUT}" of platform stack "${stack}"`, platformFactsSchema, value);
}

/** A fully qualified stack name for a StackReference, from a bare stack name of this project or a full one. */
export function qualifiedStackName(name: string): string {
    return name.includes("/") ? name : `${pulumi.getOrganization()}/${pulumi.getProject()}/${name}`;
}

/**
 * The platform facts a services stack relies on, recorded as a resource so the policy pack sees them at preview
 * time (collectors reaching the canary namespaces, the namespaces being gray namespaces).
 */
export class PlatformReference extends pulumi.ComponentResource {
    constructor(name: string, args: PlatformFacts & { platformStack: string }, opts?: pulumi.ComponentResourceOptions) {
        super("gray-release:index:PlatformReference", name, args, opts);
        this.registerOutputs({ ...args });
    }
}
