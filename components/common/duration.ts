/**
 * Durations as Prometheus, Thanos and Istio config write them: "30s", "5m", "1h30m", "7d", "2w", "1y", "500ms",
 * "0d". One grammar for the whole package, the one Prometheus' model.ParseDuration accepts (units largest
 * first, each at most once), so a value accepted here is accepted by every tool it is handed to. General
 * duration libraries on npm accept far more (spaces, words, fractions) than those tools do, which is why this
 * is ours.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
    y: 31_536_000_000,
    w: 604_800_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1_000,
    ms: 1,
};

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const ORDERED_UNITS = ["y", "w", "d", "h", "m", "s", "ms"] as const;

/** Milliseconds in `text`, or `undefined` when it is not a duration of the Prometheus grammar. */
export function parseDuration(text: string): number | undefined {
    const match = text === "" ? null : DURATION_RE.exec(text);
    if (match === null) return undefined;
    let total = 0;
    ORDERED_UNITS.forEach((unit, i) => {
        const amount = match[i + 1];
        if (amount !== undefined) total += Number(amount) * (UNIT_MS[unit] ?? 0);
    });
    return Number.isSafeInteger(total) ? total : undefined;
}

/** True when `text` is a duration of the Prometheus grammar. */
export function isDuration(text: string): boolean {
    return parseDuration(text) !== undefined;
}

/** Milliseconds in `text`; throws on a malformed duration (validate with {@link isDuration} first). */
export function durationMs(text: string): number {
    const ms = parseDuration(text);
    if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 30s, 5m, 1h30m, 7d)`);
    return ms;
}

/** Seconds in `text`; throws on a malformed duration. */
export function durationSeconds(text: string): number {
    return durationMs(text) / 1000;
}

/**
 * Renders milliseconds as a PromQL range literal in whole seconds (every Prometheus version accepts them and
 * they round-trip exactly); sub-second remainders round up so a window never shrinks.
 */
export function toPromQLRange(ms: number): string {
    return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
