/**
 * A canary is only meaningful if "the canary" names one immutable build: `:latest` (or no tag at all, which
 * means `latest`) can change under a running rollout, so analysis would judge one build and promote another.
 */

/** The parts of an image reference that matter for pinning. */
export interface ImageReference {
    /** Registry and repository, e.g. `ghcr.io/acme/checkout`. */
    readonly repository: string;
    /** The tag, if any, e.g. `1.4.2`. */
    readonly tag: string | undefined;
    /** The content digest, if any, e.g. `sha256:4f1c...`. */
    readonly digest: string | undefined;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits `repo[:tag][@digest]`; returns `undefined` when the text is not a well-formed image reference. */
export function parseImageReference(image: string): ImageReference | undefined {
    if (image.length === 0 || /\s/.test(image)) return undefined;
    const at = image.indexOf("@");
    const beforeDigest = at >= 0 ? image.slice(0, at) : image;
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    if (digest !== undefined && !DIGEST.test(digest)) return undefined;
    // A colon after the last slash separates the tag; one before it is a registry port (`host:5000/app`).
    const lastSlash = beforeDigest.lastIndexOf("/");
    const colon = beforeDigest.indexOf(":", lastSlash + 1);
    const repository = colon >= 0 ? beforeDigest.slice(0, colon) : beforeDigest;
    const tag = colon >= 0 ? beforeDigest.slice(colon + 1) : undefined;
    if (repository.length === 0 || repository.endsWith("/")) return undefined;
    if (tag !== undefined && !TAG.test(tag)) return undefined;
    return { repository, tag, digest };
}

/**
 * True when `image` names one immutable build: it carries a digest, or a tag other than `latest`.
 * `app`, `app:latest` and malformed references are not pinned.
 */
export function isPinnedImage(image: string): boolean {
    const ref = parseImageReference(image);
    if (ref === undefined) return false;
    if (ref.digest !== undefined) return true;
    return ref.tag !== undefined && ref.tag !== "latest";
}

/**
 * The value Istio reports as `destination_version` by default for a pinned image: its tag, or, for a
 * digest-only reference, the first 12 hex digits of the digest (label values cannot contain `:`).
 */
export function defaultVersionLabel(image: string): string {
    const ref = parseImageReference(image);
    if (ref?.tag !== undefined && ref.tag !== "latest") return ref.tag;
    const hex = ref?.digest?.split(":")[1];
    return hex !== undefined ? hex.slice(0, 12) : image;
}
