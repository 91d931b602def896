/**
 * Which image stable runs. One rule a platform engineer can predict:
 *
 * - After a promotion the promoted image is stable, whatever `stableImage` still says, until the configuration
 *   names another image on purpose. Leaving `stableImage` at the pre-promotion image while the canary is still
 *   the promoted one changes nothing (the release the config describes is done).
 * - A `stableImage` that stable ran before (older than the one in force) with a new `canaryImage` is refused:
 *   that is the silent downgrade of a config nobody updated. It goes through only with
 *   `progression.controls.acknowledgeDowngrade: true`.
 * - A `stableImage` never run as stable here is a deliberate change: stable rolls to it.
 *
 * Pure; the program reports a refusal as a config error before any resource changes.
 */
import type { ProgressionState } from "./state";
import { STABLE_HISTORY_LIMIT } from "./state";

/** The configured images of one service. */
export interface ConfiguredImages {
    /** `stableImage` as configured. */
    readonly stableImage: string;
    /** `canaryImage` as configured. */
    readonly canaryImage: string;
    /** `controls.acknowledgeDowngrade`: put an older stable image back on purpose. */
    readonly acknowledgeDowngrade: boolean;
}

/** Outcome of {@link resolveStableImage}. */
export interface StableResolution {
    /** The image stable runs during this update's decision (before a promotion in it). */
    readonly stableImage: string;
    /** Images that served as stable before it, newest last. */
    readonly formerStableImages: ReadonlyArray<string>;
    /** What changed and why, for the release summary; undefined when the configured image is simply in force. */
    readonly note: string | undefined;
    /** Set when the configuration would downgrade stable without acknowledgement: a config error. */
    readonly refusal: string | undefined;
}

/** The stable image in force before this update, as the previous state says (older states: inferred). */
export function stableInForce(previous: ProgressionState | undefined, configured: string): string {
    if (previous?.stableImage !== undefined) return previous.stableImage;
    if (previous?.status === "promoted") return previous.canaryImage;
    return configured;
}

/** The former list once `replaced` gave way to `next`. */
function remember(list: ReadonlyArray<string>, replaced: string, next: string): string[] {
    return [...list.filter((i) => i !== replaced && i !== next), replaced].slice(-STABLE_HISTORY_LIMIT);
}

/** Resolves the stable image of this update from the previous state and the configuration. */
export function resolveStableImage(previous: ProgressionState | undefined, config: ConfiguredImages): StableResolution {
    const inForce = stableInForce(previous, config.stableImage);
    // A promoted state written before stableImage was recorded: the configured stable was the one before it.
    const former =
        previous?.formerStableImages ??
        (previous?.status === "promoted" && previous.stableImage === undefined && config.stableImage !== inForce ? [config.stableImage] : []);
    const keep = (note: string | undefined): StableResolution => ({ stableImage: inForce, formerStableImages: former, note, refusal: undefined });

    if (config.stableImage === inForce) return keep(undefined);
    const older = former.includes(config.stableImage);
    if (older && config.canaryImage === inForce) {
        return keep(`stableImage still names ${config.stableImage}; stable runs ${inForce} since its promotion (update stableImage to it)`);
    }
    if (older && !config.acknowledgeDowngrade) {
        return {
            ...keep(undefined),
            refusal:
                `stable runs ${inForce} (promoted or set after ${config.stableImage}); this would put ${config.stableImage} back as ` +
                `stable. Set stableImage to "${inForce}" to roll out ${config.canaryImage} against what runs, or set ` +
                `progression.controls.acknowledgeDowngrade: true to downgrade stable on purpose`,
        };
    }
    return {
        stableImage: config.stableImage,
        formerStableImages: remember(former, inForce, config.stableImage),
        note: older
            ? `stable downgraded from ${inForce} to ${config.stableImage} (controls.acknowledgeDowngrade)`
            : `stable changes from ${inForce} to ${config.stableImage} (stableImage changed)`,
        refusal: undefined,
    };
}
