/**
 * A flag rollout as a release: the subject of a progression is either a pair of images (the canary image against
 * the stable one) or one variant of a feature flag against the flag's default variant. The engine keeps one state
 * layout for both; what differs is said here: the release's identity (what starting a new rollout means), the key
 * its state and verdict are kept under, the words of its decisions, and which traffic the analysis compares.
 */
import { z } from "zod";
import { FLAG_KEY, FLAG_KEY_RULE, VARIANT_NAME, VARIANT_NAME_RULE } from "../components/common/flag-names";

export { FLAG_KEY, flagVariantLabel, VARIANT_NAME } from "../components/common/flag-names";

/** Revision of a flag rollout: a new one starts the rollout again at its first step. */
export const flagRevisionSchema = z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "must be letters, digits, '_', '.' or '-'")
    .default("1")
    .meta({
        description:
            "Revision of the rollout. A rolled-back, failed or promoted rollout stays where it is until the revision (or the variant) changes: set a new one to start again at the first step.",
    });

/** The flag release of a progression: which variant of which flag is rolled out against which default. */
export const flagReleaseSchema = z
    .object({
        key: z.string().regex(FLAG_KEY, FLAG_KEY_RULE).meta({ description: "The flag's key." }),
        variant: z.string().regex(VARIANT_NAME, VARIANT_NAME_RULE).meta({ description: "The variant rolled out to a growing share of users." }),
        defaultVariant: z
            .string()
            .regex(VARIANT_NAME, VARIANT_NAME_RULE)
            .meta({ description: "The variant everyone else gets: the flag's stable side." }),
        revision: flagRevisionSchema,
    })
    .strict()
    .refine((f) => f.variant !== f.defaultVariant, { message: "must differ from defaultVariant", path: ["variant"] });

/** A flag release, defaults applied. */
export type FlagRelease = z.output<typeof flagReleaseSchema>;

/** The release identity of a flag's rolled-out variant: a new identity starts a new rollout, as a new canary image does. */
export function flagCanaryIdentity(flag: FlagRelease): string {
    return `flag:${flag.key}=${flag.variant}@${flag.revision}`;
}

/** Whether a release identity (a state's or an event's `canaryImage`) is a flag rollout's rather than an image. */
export function isFlagIdentity(identity: string): boolean {
    return identity.startsWith("flag:");
}

/** The release identity of a flag's default variant: the stable side of its rollout. */
export function flagStableIdentity(flag: Pick<FlagRelease, "key" | "defaultVariant">): string {
    return `flag:${flag.key}=${flag.defaultVariant}`;
}

/** The key a flag rollout's state, verdict, summary and record are kept under: beside its service's, never the same. */
export function flagReleaseKey(service: string, key: string): string {
    return `${service}/flag/${key}`;
}

/**
 * The share of users a flag rollout gives its variant in a state (or a record of one): its weight while it progresses
 * or is paused, every user once promoted (a promoted release's weight is 0: the variant is then the stable side), none
 * once rolled back or failed. The program writes this share into the flag file and the policy pack checks it there,
 * so both read it here. Undefined when the weight is not a number.
 */
export function flagShare(state: { readonly status?: unknown; readonly weight?: unknown }): number | undefined {
    if (state.status === "promoted") return 100;
    if (flagRolloutOff(state)) return 0;
    return typeof state.weight === "number" && Number.isFinite(state.weight) ? state.weight : undefined;
}

/** Whether a flag rollout in this state is off: rolled back or failed, its variant served to nobody. */
export function flagRolloutOff(state: { readonly status?: unknown }): boolean {
    return state.status === "rolledBack" || state.status === "failed";
}

/** What a release is, in the words of its decisions. */
export interface ReleaseTerms {
    /** The thing rolled out, e.g. "canary version" or "flag rollout". */
    readonly subject: string;
    /** How the user starts another rollout. */
    readonly restart: string;
    /** What the analysis judges, e.g. "the canary" or "users served new-pricing=on". */
    readonly analysed: string;
    /** What a promotion makes of it. */
    readonly promoted: string;
    /** What the last step does, for the next action. */
    readonly promote: string;
}

const IMAGE_TERMS: ReleaseTerms = {
    subject: "canary version",
    restart: "set a new canaryImage",
    analysed: "the canary",
    promoted: "canary promoted",
    promote: "promote the canary",
};

/** The words of a release's decisions. */
export function releaseTerms(flag: FlagRelease | undefined): ReleaseTerms {
    if (flag === undefined) return IMAGE_TERMS;
    return {
        subject: `rollout of flag ${flag.key}=${flag.variant}`,
        restart: `set a new revision on the rollout of flag ${flag.key}`,
        analysed: `users served ${flag.key}=${flag.variant}`,
        promoted: `flag ${flag.key}=${flag.variant} promoted to every user`,
        promote: "promote to every user",
    };
}
