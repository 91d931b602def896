/** Prometheus/Thanos style durations: "30s", "15m", "40h", "7d", "2w", "1y", "1h30m"; "0"/"0d" = 0. */
const UNIT_MS: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 7 * 86_400_000,
    y: 365 * 86_400_000,
};

/** Milliseconds of a duration string; throws on malformed input. */
export function parseDuration(s: string | number): number {
    if (typeof s === "number") {
        if (!Number.isFinite(s) || s < 0) throw new Error(`invalid duration ${s}`);
        return s * 1000; // bare numbers are seconds
    }
    const t = String(s).trim();
    if (t === "0") return 0;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
    let total = 0;
    let consumed = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) {
        if (m.index !== consumed) break;
        total += Number(m[1]) * UNIT_MS[m[2]!]!;
        consumed = m.index + m[0].length;
    }
    if (consumed !== t.length || t.length === 0) throw new Error(`invalid duration '${s}' (expected e.g. 40h, 7d, 1h30m)`);
    return total;
}

/** Flattens the Thanos `downsampleDelays` prop (string | string[] | map) into labelled durations. */
export function listDelays(v: unknown): { label: string; value: string }[] {
    if (v === undefined || v === null) return [];
    if (typeof v === "string" || typeof v === "number") return [{ label: "downsampleDelays", value: String(v) }];
    if (Array.isArray(v)) return v.map((x, i) => ({ label: `downsampleDelays[${i}]`, value: String(x) }));
    if (typeof v === "object") {
        return Object.entries(v as Record<string, unknown>).map(([k, x]) => ({ label: `downsampleDelays.${k}`, value: String(x) }));
    }
    return [];
}
