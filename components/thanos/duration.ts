import { durationMs } from "../common/duration";

export { durationMs, isDuration } from "../common/duration";

/**
 * Thanos treats a retention of zero as "keep forever"; comparisons must then treat it as infinitely long rather
 * than as the shortest possible value.
 */
export function retentionMs(value: string): number {
    const ms = durationMs(value);
    return ms === 0 ? Number.POSITIVE_INFINITY : ms;
}
