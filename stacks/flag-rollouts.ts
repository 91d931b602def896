/**
 * A service's feature flags in a stack (`services[].featureFlags`): the FeatureFlags component's args, plus the flag
 * rollouts the program moves one step per update on the service's analysis, as it moves an image canary. Each
 * rollout is a release of its own (progression/flag-release.ts): its state, verdict, record and summary are kept
 * under `<service>/flag/<key>`, and its decision sets the flag's fractional share in the flag file flagd reads.
 */
import { z } from "zod";
import { servicePodLabels } from "../components/canary-workload/spec";
import { FLAG_KEY, FLAG_KEY_RULE, VARIANT_NAME, VARIANT_NAME_RULE } from "../components/common/flag-names";
import {
    DEFAULT_VARIANT_HEADER_PREFIX,
    type FeatureFlag,
    type FeatureFlagInput,
    type FeatureFlagsArgs,
    type ResolvedFeatureFlagsArgs,
} from "../components/feature-flags";
import type { Decision, ProgressionConfig, ProgressionConfigInput } from "../progression";
import { flagRevisionSchema, flagRolloutOff, flagShare } from "../progression/flag-release";
import type { ServiceConfig } from "./config";

/** One flag rollout: a variant of one of the service's flags, to a growing share of users. */
export const flagRolloutSchema = z
    .object({
        flag: z.string().regex(FLAG_KEY, FLAG_KEY_RULE).meta({ description: "Key of the flag (one of `featureFlags.flags`)." }),
        variant: z.string().regex(VARIANT_NAME, VARIANT_NAME_RULE).meta({
            description: "The variant rolled out: the share of users getting it follows `steps`; everyone else gets the flag's `defaultVariant`.",
        }),
        revision: flagRevisionSchema,
        steps: z.unknown().optional().meta({
            description: "Shares of users in percent (as `progression.steps`); default the service's `progression.steps`.",
        }),
        minIntervalBetweenSteps: z.string().optional().meta({ description: "As `progression.minIntervalBetweenSteps`; default the service's." }),
        controls: z.record(z.string(), z.unknown()).optional().meta({
            description: "Manual overrides of this rollout (`pause`, `abort`, `promote`, `skipAnalysis` in dev), as `progression.controls`.",
        }),
    })
    .strict();

/** A flag rollout as written. */
export type FlagRolloutInput = z.input<typeof flagRolloutSchema>;
/** A flag rollout, defaults applied. */
export type FlagRollout = z.output<typeof flagRolloutSchema>;

/** `services[].featureFlags`: FeatureFlags' args (the program sets `namespace`) and the rollouts. */
export type ServiceFeatureFlags = Omit<FeatureFlagsArgs, "namespace"> & { rollouts?: FlagRolloutInput[] };

/** Problems of the rollouts against the flags they name, at their key path under `featureFlags` (pure). */
export function rolloutProblems(
    flags: ReadonlyArray<FeatureFlagInput>,
    rollouts: ReadonlyArray<FlagRollout>,
): Array<{ path: (string | number)[]; message: string }> {
    const problems: Array<{ path: (string | number)[]; message: string }> = [];
    const seen = new Set<string>();
    rollouts.forEach((r, i) => {
        const flag = flags.find((f) => f.key === r.flag);
        if (seen.has(r.flag)) problems.push({ path: ["rollouts", i, "flag"], message: `flag "${r.flag}" has another rollout: one at a time` });
        seen.add(r.flag);
        if (flag === undefined) {
            problems.push({
                path: ["rollouts", i, "flag"],
                message: `no such flag in featureFlags.flags (${flags.map((f) => f.key).join(", ") || "none"})`,
            });
            return;
        }
        const variants = Object.keys(flag.variants ?? {});
        if (!variants.includes(r.variant))
            problems.push({ path: ["rollouts", i, "variant"], message: `must be one of flag "${r.flag}"'s variants (${variants.join(", ")})` });
        else if (r.variant === flag.defaultVariant)
            problems.push({
                path: ["rollouts", i, "variant"],
                message: `is the flag's defaultVariant: a rollout moves users from the default to another variant`,
            });
        const index = flags.indexOf(flag);
        if (flag.targeting?.fraction !== undefined)
            problems.push({
                path: ["flags", index, "targeting", "fraction"],
                message: `flag "${r.flag}" is rolled out by featureFlags.rollouts[${i}], which sets its share: remove the fixed fraction`,
            });
        if (flag.state === "DISABLED")
            problems.push({
                path: ["flags", index, "state"],
                message: `flag "${r.flag}" is rolled out by featureFlags.rollouts[${i}]: a DISABLED flag serves only its default`,
            });
    });
    return problems;
}

/**
 * The progression config input of a flag rollout: the service's own (analysis, semantics, release window, cadence,
 * steps and pace unless the rollout sets them) with the flag as the release. Step gates and custom checks are the
 * image canary's (their queries select versions, not variants), so a flag rollout has neither.
 */
export function flagProgressionInput(
    serviceProgression: Record<string, unknown>,
    flag: Pick<FeatureFlagInput, "key" | "defaultVariant">,
    rollout: FlagRollout,
): Record<string, unknown> & Pick<ProgressionConfigInput, "flag"> {
    const { gates: _gates, controls: _controls, stableImage: _s, canaryImage: _c, ...rest } = serviceProgression;
    const analysis = rest["analysis"] !== null && typeof rest["analysis"] === "object" ? (rest["analysis"] as Record<string, unknown>) : undefined;
    const { checks: _checks, ...ownAnalysis } = analysis ?? {};
    return {
        ...rest,
        ...(analysis !== undefined ? { analysis: ownAnalysis } : {}),
        ...(rollout.steps !== undefined ? { steps: rollout.steps } : {}),
        ...(rollout.minIntervalBetweenSteps !== undefined ? { minIntervalBetweenSteps: rollout.minIntervalBetweenSteps } : {}),
        ...(rollout.controls !== undefined ? { controls: rollout.controls } : {}),
        flag: { key: flag.key, variant: rollout.variant, defaultVariant: flag.defaultVariant, revision: rollout.revision },
    };
}

/** A flag rollout with its validated config and this update's decision. */
export interface DecidedFlagRollout {
    config: ProgressionConfig;
    decision: Decision;
}

/**
 * The share of users a decided rollout gives its variant: the decided weight while it progresses or is paused, all
 * of them once promoted; undefined once rolled back or failed (the flag is off: see {@link flagsAfterDecisions}).
 */
export function rolloutShare(decision: Decision): number | undefined {
    return flagRolloutOff(decision.state) ? undefined : flagShare(decision.state);
}

/**
 * The flags as this update's decisions shape them (pure): a rolled-out flag gets the fractional share its decision
 * chose; a rolled-back or failed one is off, its rolled-out variant served to nobody (no share, and no allowlist,
 * canary or lane rule giving it), so everyone gets the default in the same update.
 */
export function flagsAfterDecisions(flags: ReadonlyArray<FeatureFlag>, decided: ReadonlyArray<DecidedFlagRollout>): FeatureFlag[] {
    return flags.map((flag) => {
        const rollout = decided.find((d) => d.config.flag?.key === flag.key);
        const variant = rollout?.config.flag?.variant;
        if (rollout === undefined || variant === undefined) return flag;
        const share = rolloutShare(rollout.decision);
        if (share !== undefined) return { ...flag, targeting: { ...flag.targeting, fraction: { variant, percent: share } } };
        const { allowlist, canary, lane } = flag.targeting;
        return {
            ...flag,
            targeting: {
                ...(allowlist !== undefined && allowlist.variant !== variant ? { allowlist } : {}),
                ...(canary !== undefined && canary.variant !== variant ? { canary } : {}),
                ...(lane !== undefined && lane.variant !== variant ? { lane } : {}),
            },
        };
    });
}

/**
 * The service's `variantMetrics`: as written, else, when it rolls flags out, its pods' request metrics labelled with
 * the rolled-out flags' variants, which their analysis compares.
 */
export function variantMetricsOf(service: Pick<ServiceConfig, "name" | "featureFlags" | "flagRollouts">): ResolvedFeatureFlagsArgs["variantMetrics"] {
    const written = service.featureFlags?.variantMetrics;
    if (written !== undefined || service.flagRollouts.length === 0) return written;
    return {
        podLabels: servicePodLabels(service.name),
        flags: service.flagRollouts.flatMap((c) => (c.flag === undefined ? [] : [c.flag.key])),
        headerPrefix: DEFAULT_VARIANT_HEADER_PREFIX,
    };
}
