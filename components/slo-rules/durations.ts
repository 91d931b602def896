/** Prometheus durations restricted to one unit (`30s`, `5m`, `1h`, `3d`, `1w`), which is all the rules need. */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;

/** Regex of the accepted duration syntax. */
export const DURATION_PATTERN = /^([1-9][0-9]*)(s|m|h|d|w)$/;

/** Seconds in a duration such as `5m` or `30d`; throws on anything else. */
export function durationSeconds(duration: string): number {
    const m = DURATION_PATTERN.exec(duration);
    if (!m || m[1] === undefined || m[2] === undefined) throw new Error(`invalid duration "${duration}"`);
    return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** True when `duration` is a valid single-unit Prometheus duration. */
export function isDuration(duration: string): boolean {
    return DURATION_PATTERN.test(duration);
}
