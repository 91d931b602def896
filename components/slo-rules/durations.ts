/**
 * SLO windows are restricted to one unit (`30s`, `5m`, `1h`, `3d`, `1w`): they become parts of recording-rule
 * names (`slo:sli_errors:rate5m`), where "1h30m" would read badly. Their value uses the package-wide grammar.
 */
export { durationSeconds } from "../common/duration";

/** Regex of the accepted single-unit syntax. */
export const DURATION_PATTERN = /^([1-9][0-9]*)(s|m|h|d|w)$/;

/** True when `duration` is a valid single-unit duration. */
export function isSingleUnitDuration(duration: string): boolean {
    return DURATION_PATTERN.test(duration);
}
