/**
 * Prometheus/Thanos duration strings ("30d", "1d12h", "0d"). Thanos reads retention flags with this grammar, so
 * validating with the same grammar means a value accepted here is accepted by the compactor.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
    ms: 1,
    s: 1_000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
    y: 31_536_000_000,
};

/** Units must appear largest first and at most once, as in Prometheus' model.ParseDuration. */
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const ORDERED_UNITS = ["y", "w", "d", "h", "m", "s", "ms"] as const;

export function isDuration(value: string): boolean {
    return value !== "" && DURATION_RE.test(value);
}

/** Milliseconds in `value`; throws on a malformed duration (validate with {@link isDuration} first). */
export function durationMs(value: string): number {
    const match = DURATION_RE.exec(value);
    if (value === "" || match === null) throw new Error(`not a duration: ${JSON.stringify(value)}`);
    let total = 0;
    ORDERED_UNITS.forEach((unit, i) => {
        const amount = match[i + 1];
        if (amount !== undefined) total += Number(amount) * (UNIT_MS[unit] ?? 0);
    });
    return total;
}

/**
 * Thanos treats a retention of zero as "keep forever"; comparisons must then treat it as infinitely long rather
 * than as the shortest possible value.
 */
export function retentionMs(value: string): number {
    const ms = durationMs(value);
    return ms === 0 ? Number.POSITIVE_INFINITY : ms;
}
