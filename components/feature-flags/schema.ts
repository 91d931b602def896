/**
 * The FeatureFlags config: flag definitions in the package's vocabulary (an allowlist of staff, the canary version,
 * a lane, a fractional share of users), turned into flagd's format by ./flagd.ts. The schema is the only
 * description of the shape; types are inferred from it.
 */
import { z } from "zod";
import { FLAG_KEY, FLAG_KEY_RULE, VARIANT_NAME, VARIANT_NAME_RULE } from "../common/flag-names";
import { dnsLabel, dnsSubdomain, labelMap, nonEmptyLabelValue } from "../common/k8s-names";

/** flagd's flag keys are free strings; ours are what an application can write in code and a log can quote. */
const flagKey = z.string().regex(FLAG_KEY, FLAG_KEY_RULE);

const variantName = z.string().regex(VARIANT_NAME, VARIANT_NAME_RULE);

/** A variant's value: flagd flags are boolean, string, number or object flags. */
const variantValue = z.union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.unknown())]);

/** The evaluation-context attribute a rule reads: the application sets it when it evaluates the flag. */
const attribute = z.string().regex(/^[$A-Za-z_][A-Za-z0-9_.$-]*$/, "must be an evaluation-context attribute name");

const allowlistSchema = z
    .object({
        attribute: attribute.default("userId").meta({ description: "Context attribute holding the user's id (or phone number)." }),
        values: z
            .array(z.string().min(1))
            .min(1, "must list at least one user")
            .meta({ description: "Users who get `variant` first (internal staff)." }),
        variant: variantName.meta({ description: "The variant they get." }),
    })
    .strict();

const canarySchema = z
    .object({
        attribute: attribute
            .default("version")
            .meta({ description: "Context attribute with the version the application runs (the workloads export it as `service.version`)." }),
        versionLabel: nonEmptyLabelValue.meta({ description: "The canary's version label value (what CanaryWorkload labels canary pods with)." }),
        variant: variantName.meta({ description: "The variant the canary version gets." }),
    })
    .strict();

const laneSchema = z
    .object({
        attribute: attribute.default("lane").meta({ description: "Context attribute with the request's lane (from the lane header or baggage)." }),
        lane: dnsLabel.meta({ description: "The lane whose requests get `variant`." }),
        variant: variantName.meta({ description: "The variant the lane gets." }),
    })
    .strict();

const fractionSchema = z
    .object({
        variant: variantName.meta({ description: "The variant a share of users gets." }),
        percent: z
            .number()
            .min(0, "must be 0..100 (a percentage)")
            .max(100, "must be 0..100 (a percentage)")
            // flagd's fractional weights are integers: the share is written in hundredths of a percent.
            .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, "must have at most two decimals (0.01 % steps)")
            .meta({ description: "Percentage of users (by `targetingKey`) that get `variant`; a user keeps it as the share grows." }),
    })
    .strict();

export const featureFlagSchema = z
    .object({
        key: flagKey.meta({ description: "The flag's key, as the application evaluates it." }),
        description: z.string().optional().meta({ description: "What the flag switches, for the flag's metadata." }),
        state: z.enum(["ENABLED", "DISABLED"]).default("ENABLED").meta({ description: "A DISABLED flag always evaluates to its default." }),
        variants: z
            .record(variantName, variantValue)
            .refine((v) => Object.keys(v).length > 0, "must define at least one variant")
            .meta({ description: "Variant name → value; all values of one type (boolean, string, number or object)." }),
        defaultVariant: variantName.meta({ description: "The variant everyone else gets." }),
        targeting: z
            .object({
                allowlist: allowlistSchema.optional().meta({ description: "Users who get a variant first (internal staff), by id." }),
                canary: canarySchema
                    .optional()
                    .meta({ description: "Requests of the canary version get a variant (the flag follows the image canary)." }),
                lane: laneSchema.optional().meta({ description: "Requests of a lane get a variant (docs/lanes.md)." }),
                fraction: fractionSchema.optional().meta({
                    description:
                        "A fixed share of users gets a variant. In a stack, a flag rolled out by `featureFlags.rollouts` has its share set by the rollout instead (and the policy pack refuses a share in prod that no rollout recorded).",
                }),
            })
            .strict()
            .default({})
            .meta({ description: "Who gets which variant, checked in this order: allowlist, canary version, lane, fraction; else the default." }),
    })
    .strict()
    .superRefine((flag, ctx) => {
        const names = Object.keys(flag.variants);
        const known = (variant: string, path: (string | number)[]) => {
            if (!names.includes(variant)) ctx.addIssue({ code: "custom", path, message: `must be one of the flag's variants (${names.join(", ")})` });
        };
        known(flag.defaultVariant, ["defaultVariant"]);
        for (const rule of ["allowlist", "canary", "lane", "fraction"] as const) {
            const variant = flag.targeting[rule]?.variant;
            if (variant !== undefined) known(variant, ["targeting", rule, "variant"]);
        }
        const types = new Set(Object.values(flag.variants).map((v) => typeof v));
        if (types.size > 1)
            ctx.addIssue({ code: "custom", path: ["variants"], message: `must all be of one type, not ${[...types].sort().join(" and ")}` });
        if (flag.targeting.fraction && flag.targeting.fraction.variant === flag.defaultVariant)
            ctx.addIssue({
                code: "custom",
                path: ["targeting", "fraction", "variant"],
                message: "must differ from defaultVariant (a share of users getting the default is no rollout)",
            });
    });

/** One approval of the flag configuration: who approved it, in which role, when. */
export const flagApprovalSchema = z
    .object({
        role: z
            .string()
            .min(1)
            .meta({ description: "The approving role, as the policy pack's `feature-flags-approved` names it (e.g. `qa`, `sre`, `change-board`)." }),
        by: z.string().min(1).meta({ description: "Who approved (a person or a team)." }),
        at: z
            .string()
            .refine((t) => Number.isFinite(Date.parse(t)), "must be an ISO-8601 instant")
            .meta({ description: "When (ISO 8601)." }),
    })
    .strict();

/** The response header prefix a service tells the variant of a flag with: `x-feature-flag-<key>`. */
export const DEFAULT_VARIANT_HEADER_PREFIX = "x-feature-flag-";

/** Which flags' variants label the service's request metrics, and how the service tells. */
const variantMetricsSchema = z.union([
    z
        .object({
            podLabels: labelMap
                .refine((l) => Object.keys(l).length > 0, "must name at least one label")
                .meta({ description: "Labels of the service's pods, stable and canary (CanaryWorkload's: `{ app: <service> }`)." }),
            flags: z
                .array(flagKey)
                .min(1)
                .optional()
                .meta({ description: "Flags whose variant labels the metrics (a label each: `feature_flag_<key>`); default every flag." }),
            headerPrefix: z
                .string()
                .regex(/^[a-z0-9][a-z0-9-]*-$/, "must be a lowercase header name prefix ending in '-'")
                .default(DEFAULT_VARIANT_HEADER_PREFIX)
                .meta({
                    description:
                        "The service sets the response header `<headerPrefix><key>: <variant>` when it evaluates flag `<key>`; a response without it counts as `unknown`.",
                }),
        })
        .strict(),
    z.literal(false),
]);

export const featureFlagsArgsSchema = z
    .object({
        namespace: dnsLabel.meta({ description: "Namespace of the flag configuration (the service's, where flagd runs beside it)." }),
        configMapName: dnsSubdomain.default("feature-flags").meta({ description: "Name of the ConfigMap flagd reads." }),
        fileName: z
            .string()
            .regex(/^[-._a-zA-Z0-9]+$/, "must be a ConfigMap key")
            .default("flags.flagd.json")
            .meta({ description: "Key of the flag file in the ConfigMap (flagd: `--uri file:/etc/flagd/<fileName>`)." }),
        featureFlagResource: z
            .boolean()
            .default(false)
            .meta({ description: "Also create the OpenFeature Operator's `FeatureFlag` resource (core.openfeature.dev/v1beta1)." }),
        variantMetrics: variantMetricsSchema.optional().meta({
            description:
                "Label Istio's request metrics of the service with the variant of each flag that served the request (an Istio `Telemetry` on the service's pods, reading a response header the service sets), so an analysis can compare the variants: what a flag rollout of the stack program judges. In a stack, set for the rolled-out flags unless written here; `false` for none.",
        }),
        approvals: z.array(flagApprovalSchema).default([]).meta({
            description:
                "Approvals of this flag configuration (QA in staging; SRE and the change board in prod). The policy pack's `feature-flags-approved` requires the roles its config names for the environment.",
        }),
        flags: z
            .array(featureFlagSchema)
            .min(1, "must define at least one flag")
            .superRefine((flags, ctx) => {
                const seen = new Set<string>();
                flags.forEach((f, i) => {
                    if (seen.has(f.key)) ctx.addIssue({ code: "custom", path: [i, "key"], message: `duplicates flag "${f.key}"` });
                    seen.add(f.key);
                });
            })
            .meta({ description: "The flags." }),
    })
    .strict()
    .superRefine((args, ctx) => {
        const metrics = args.variantMetrics;
        if (metrics === undefined || metrics === false) return;
        (metrics.flags ?? []).forEach((key, i) => {
            if (!args.flags.some((f) => f.key === key))
                ctx.addIssue({
                    code: "custom",
                    path: ["variantMetrics", "flags", i],
                    message: `no such flag (${args.flags.map((f) => f.key).join(", ")})`,
                });
        });
    });

/** One flag as the user writes it. */
export type FeatureFlagInput = z.input<typeof featureFlagSchema>;
/** One flag with its defaults. */
export type FeatureFlag = z.output<typeof featureFlagSchema>;
/** One approval. */
export type FlagApproval = z.output<typeof flagApprovalSchema>;
/** FeatureFlags' arguments. */
export type FeatureFlagsArgs = z.input<typeof featureFlagsArgsSchema>;
/** FeatureFlags' arguments with their defaults. */
export type ResolvedFeatureFlagsArgs = z.output<typeof featureFlagsArgsSchema>;
