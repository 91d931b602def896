import { parseDuration as parsePrometheusDuration } from "../../components/common/duration";

/**
 * Milliseconds of a duration prop as resources carry it: a Prometheus duration string ("40h", "7d", "1h30m"),
 * "0" for zero, or a bare number of seconds. Throws on anything else, with the value in the message.
 */
export function parseDuration(s: string | number): number {
    if (typeof s === "number") {
        if (!Number.isFinite(s) || s < 0) throw new Error(`invalid duration ${s}`);
        return s * 1000;
    }
    const t = String(s).trim();
    if (t === "0") return 0;
    const ms = parsePrometheusDuration(t);
    if (ms === undefined) throw new Error(`invalid duration '${s}' (expected e.g. 40h, 7d, 1h30m)`);
    return ms;
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
