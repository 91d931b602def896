/**
 * The track of a pod: `stable` or `canary`. It is the stable identity of a CanaryWorkload's pods: Deployment
 * selectors and the DestinationRule subsets select on it, never on the version, so a new version is a rolling
 * update of the same Deployment (selectors are immutable) and a subset keeps its ready pods while its version
 * changes underneath (promotion).
 */
export const TRACK_LABEL = "gray-release.io/track";

/** The two tracks of a canary release. */
export type Track = "stable" | "canary";

/** Pod labels selecting one track (what the DestinationRule subsets use by default). */
export function trackSelector(track: Track): Record<string, string> {
    return { [TRACK_LABEL]: track };
}
