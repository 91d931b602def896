/**
 * What a CanaryRelease record releases: an image canary, or a flag rollout (the record's `flag`: a variant of a
 * feature flag rolled out to `weight` percent of users against the flag's default variant, identities
 * `flag:<key>=<variant>@<revision>` and `flag:<key>=<defaultVariant>` in `canaryImage` / `stableImage`). The gates
 * judge both alike; this file holds what differs: the key a release is kept under and the words of the messages.
 */
import { flagReleaseKey } from "../../progression/flag-release";
import type { CanaryReleaseRecord } from "../contracts";

/** The flag release of a record. */
export type RecordFlag = NonNullable<CanaryReleaseRecord["flag"]>;

/**
 * Whether raw CanaryRelease props (valid or not) are a flag rollout's: they carry a `flag` object. Stack rules that
 * look records up by service use it so a service's flag rollout never stands in for its image canary.
 */
export function isFlagRecordProps(props: Record<string, unknown> | undefined): boolean {
    const flag = props?.["flag"];
    return flag !== null && typeof flag === "object" && !Array.isArray(flag);
}

/**
 * The key the record's release is kept under, as the stack outputs `releaseStates`, `promotions` and
 * `releaseStarts` key it: the service, or `<service>/flag/<key>` for a flag rollout.
 */
export function releaseKeyOf(rec: Pick<CanaryReleaseRecord, "service" | "flag">): string {
    return rec.flag === undefined ? rec.service : flagReleaseKey(rec.service, rec.flag.key);
}

/** "flag rollout new-pricing=on of 'checkout'". */
export function flagRolloutName(service: string, flag: Pick<RecordFlag, "key" | "variant">): string {
    return `flag rollout ${flag.key}=${flag.variant} of '${service}'`;
}

/** The record's subject in a message: the flag rollout's name, or `image` (the words the image rule used). */
export function subjectOf(rec: Pick<CanaryReleaseRecord, "service" | "flag">, image: string): string {
    return rec.flag === undefined ? image : flagRolloutName(rec.service, rec.flag);
}

/** What the weight of a record measures, for messages: a share of traffic, or of users for a flag rollout. */
export function exposureUnit(rec: Pick<CanaryReleaseRecord, "flag">): string {
    return rec.flag === undefined ? "traffic" : "users";
}
