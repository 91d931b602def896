/**
 * Durations in configuration are written the way Prometheus and humans write them ("30s", "5m", "1h30m").
 * A tiny parser is enough: no library handles exactly the Prometheus grammar, and we need both the
 * millisecond value (for step intervals) and a PromQL range literal (for query windows).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
    ms: 1,
    s: 1_000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
};

// Units must appear largest first and at most once, as in Prometheus ("1h30m", not "30m1h").
const UNIT_ORDER = ["w", "d", "h", "m", "s", "ms"] as const;
const PART = /(\d+)(ms|s|m|h|d|w)/y;

/**
 * Parses a duration such as `"30m"`, `"1h30m"`, `"45s"`, `"500ms"` or `"0s"` into milliseconds.
 * Returns `undefined` for anything else (empty strings, negative or fractional numbers, unknown or repeated
 * units, units out of order), so callers can produce their own error message.
 */
export function parseDuration(text: string): number | undefined {
    if (text.length === 0) return undefined;
    PART.lastIndex = 0;
    let total = 0;
    let lastUnitRank = -1;
    while (PART.lastIndex < text.length) {
        const match = PART.exec(text);
        if (match === null) return undefined;
        const [, digits, unit] = match;
        if (digits === undefined || unit === undefined) return undefined;
        const rank = UNIT_ORDER.indexOf(unit as (typeof UNIT_ORDER)[number]);
        if (rank <= lastUnitRank) return undefined;
        lastUnitRank = rank;
        const factor = UNIT_MS[unit];
        if (factor === undefined) return undefined;
        total += Number(digits) * factor;
    }
    return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * Renders milliseconds as a PromQL range literal. Whole seconds are used because every Prometheus version
 * accepts them and they round-trip exactly; sub-second remainders are rounded up so a window never shrinks.
 */
export function toPromQLRange(ms: number): string {
    return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
