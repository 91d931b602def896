/**
 * Burn-rate arithmetic.
 *
 * The burn rate `b` of an SLO is its error ratio divided by its error budget (`1 - objective`): at `b = 1` the
 * budget lasts exactly the SLO window `W`. Burning at `b` for an alert window `w` consumes the budget fraction
 *
 *     f = b * w / W          so the alert threshold for "f of the budget gone within w" is   b = f * W / w.
 *
 * The SRE-workbook factors are this formula for W = 30d: 2 % in 1h → 0.02 * 720h / 1h = 14.4, 5 % in 6h → 6,
 * 10 % in 1d → 3, 10 % in 3d → 1. For another window keep the *fractions* and recompute: a 7d SLO pages at
 * 0.02 * 168h / 1h = 3.36 (i.e. 14.4 * 7/30, not 14.4 * 30/7). Factors below `minBurnRate` (default 1) are
 * raised to it, because a burn below 1 never exhausts the budget within the window and alerting on it is noise.
 */
import { durationSeconds } from "./durations";

/** Rounds away binary floating-point noise (0.02 * 720 = 14.399999999999999 → 14.4). */
export function roundFactor(x: number): number {
    return Number(x.toPrecision(12));
}

/**
 * Burn factor that consumes `budgetFraction` of the error budget of an SLO over `sloWindow` within
 * `alertWindow`: `budgetFraction * sloWindow / alertWindow`, floored at `minBurnRate`.
 */
export function burnRateFactor(budgetFraction: number, sloWindow: string, alertWindow: string, minBurnRate = 0): number {
    const raw = (budgetFraction * durationSeconds(sloWindow)) / durationSeconds(alertWindow);
    return roundFactor(Math.max(minBurnRate, raw));
}

/** Budget fraction consumed by burning at `factor` for `alertWindow` of an SLO over `sloWindow` (the inverse). */
export function budgetConsumed(factor: number, sloWindow: string, alertWindow: string): number {
    return roundFactor((factor * durationSeconds(alertWindow)) / durationSeconds(sloWindow));
}
