/**
 * The stack configuration (`stacks/Pulumi.<stack>.yaml`, namespace `gray-release`), validated as a whole before
 * any resource is registered: a bad key fails the update with its path and value, and nothing changes.
 */
import { z } from "zod";
import { parseArgs } from "../components/common/validation";

const dns1123 = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1123 label" });
const object = z.record(z.string(), z.unknown());

/** One service under canary release in this stack. */
const serviceSchema = z
    .object({
        /** Service name (the Kubernetes Service, Istio destination workload and SLO service label). */
        name: dns1123,
        /** Namespace the service runs in: usually one of the stack's gray namespaces. */
        namespace: dns1123,
        /** Image serving as stable, pinned by tag or digest. */
        stableImage: z.string().min(1),
        /** Image being rolled out, pinned by tag or digest. */
        canaryImage: z.string().min(1),
        /** Progression settings (steps, minIntervalBetweenSteps, analysis, semantics, controls). */
        progression: object,
        /** Extra CanaryRouting settings (opt-in headers, allowlist, mirroring, sticky sessions, ...). */
        routing: object.optional(),
        /** Extra CanaryWorkload settings (replicas, ports, resources, env). */
        workload: object.optional(),
        /** SloRules settings for the service (slos, runbookUrl, canary thresholds, dashboard). */
        slo: object,
        /** Who answers for a release and how often the service may release (the policy pack checks both). */
        release: z
            .object({
                /** The named SLO owner of the service's releases (a person or team, e.g. `team-checkout`). */
                owner: z.string().min(1).optional(),
                /** Where the risk assessment of the current release is (DB changes, third-party compatibility, rollback steps), e.g. a URL. */
                riskAssessment: z.string().min(1).optional(),
                /** A core service: the policy pack allows it one canary start per core interval (default biweekly). */
                core: z.boolean().default(false),
            })
            .strict()
            .prefault({}),
    })
    .strict();

/** Shared parts of the environment: gray namespaces, Thanos, OpenTelemetry collectors. */
const platformSchema = z
    .object({
        /** GrayNamespace args, one per gray namespace. */
        namespaces: z.array(object).default([]),
        /** Thanos args; omit to use an existing metrics stack. */
        thanos: object.optional(),
        /** OtelCollector args; omit to use an existing collector. */
        otel: object.optional(),
    })
    .strict();

/**
 * What a stack owns. `platform`: the shared parts of one environment (gray namespaces, Thanos, collectors), for
 * the platform team. `services`: canary releases of services, consuming a platform stack's outputs through a
 * StackReference, for service teams. `all`: both in one stack, for a single team or a demo.
 */
export const STACK_ROLES = ["all", "platform", "services"] as const;

export const stackConfigSchema = z
    .object({
        /** Environment name (dev, staging, prod); gates what the policy pack and the progression allow. */
        environment: z.string().regex(/^[a-z][a-z0-9-]*$/, { message: "must be a lowercase name like dev or prod" }),
        /** What this stack owns: `all` (default), `platform` or `services`. */
        role: z.enum(STACK_ROLES).default("all"),
        /**
         * The platform stack a `services` stack builds on: a stack name of this project (`platform-dev`) or a
         * fully qualified `org/project/stack`.
         */
        platformStack: z.string().min(1).optional(),
        /** Shared platform components. */
        platform: platformSchema.prefault({}),
        /** Services under canary release. */
        services: z.array(serviceSchema).default([]),
        /**
         * Namespace of the shared canary dashboards (ConfigMaps labelled for the Grafana sidecar, one dashboard per
         * service); `false` creates none.
         */
        dashboardNamespace: z.union([dns1123, z.literal(false)]).default("monitoring"),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        if (cfg.role === "services" && cfg.platformStack === undefined) {
            ctx.addIssue({ code: "custom", path: ["platformStack"], message: "a services stack needs platformStack" });
        }
        if (cfg.role !== "services" && cfg.platformStack !== undefined) {
            ctx.addIssue({ code: "custom", path: ["platformStack"], message: `only a services stack reads a platform stack (role is "${cfg.role}")` });
        }
        if (cfg.role === "platform" && cfg.services.length > 0) {
            ctx.addIssue({ code: "custom", path: ["services"], message: "a platform stack has no services: put them in a services stack" });
        }
        const p = cfg.platform;
        if (cfg.role === "services" && (p.namespaces.length > 0 || p.thanos !== undefined || p.otel !== undefined)) {
            ctx.addIssue({ code: "custom", path: ["platform"], message: "a services stack uses its platform stack's parts: move them there" });
        }
        const seen = new Set<string>();
        cfg.services.forEach((s, i) => {
            if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["services", i, "name"], message: `duplicate service "${s.name}"` });
            seen.add(s.name);
        });
    });

export type StackConfig = z.output<typeof stackConfigSchema>;
export type ServiceConfig = StackConfig["services"][number];

/** Validates the raw `gray-release:*` config values of a stack. */
export function parseStackConfig(stack: string, raw: Record<string, unknown>): StackConfig {
    return parseArgs(`stack "${stack}" config (gray-release:*)`, stackConfigSchema, raw);
}
