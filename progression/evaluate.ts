/**
 * Turns raw measurements into a verdict. Pure, so the benchmark's simulated rollouts and the real Prometheus
 * path judge canaries with exactly the same rules.
 *
 * Only what can be trusted is judged, in this order:
 * 1. Plausibility: counts finite and non-negative, errors ≤ requests, latency quantiles non-negative, ordered
 *    (p95 ≤ p99) and inside the histogram's bucket range, the newest raw samples no older than `maxSampleAge`.
 *    A violation is an `error` naming the measurement and its value: wrong data neither passes nor fails a canary.
 * 2. Traffic: fewer than `minRequestCount` canary requests is `inconclusive`.
 * 3. Baseline: without stable traffic the comparison with stable cannot run; unless `baseline: optional`, that is
 *    `inconclusive` (or `error` when stable has available replicas yet no series), never a pass on absolute
 *    thresholds alone.
 * 4. Confidence both ways. A rate check fails only when the canary is significantly above its limit, over the
 *    last `window` (a fast rollback) or over `passWindow` (sustained evidence); it passes only when the upper
 *    confidence bound of the rate over `passWindow` is within the limit and the last `window` shows no breach. In
 *    between it is `inconclusive`. The comparison with stable (worse by more than `toleratedDelta`) runs on
 *    `passWindow`, where a small but consistent difference shows.
 *    At 5 % weight a healthy 0.2 % canary shows ≥ 3 errors in 300 requests (1 %) about 2 % of the time, which a
 *    point-estimate gate would roll back; a canary at 0.95 % against a 0.8 % limit measures under the limit by
 *    chance often enough that a point-estimate pass would advance it.
 */
import type { AnalysisSettings } from "./config";
import { type CustomValues, evaluateCustomChecks } from "./custom-checks";
import { latencyVsStableChecks } from "./latency-comparison";
import { differenceBounds, oneProportionZTest, twoProportionMarginTest, wilsonBounds } from "./statistics";
import type { StepGateMeasurement } from "./step-gates";
import { type AnalysisVerdict, type CheckResult, errorVerdict, type MeasuredValues, type VerdictKind } from "./verdict";

/** One cumulative bucket of a latency histogram: its upper bound (`le`, +Infinity for the last) and value. */
export interface HistogramBucket {
    /** Upper bound in the histogram's unit (ms). */
    readonly le: number;
    /** Cumulative rate (or count) of observations at or under `le`. */
    readonly value: number;
}

/**
 * Raw measurements of one service, as read from Prometheus (undefined = series absent). The fields marked
 * optional are checked when present; the batched query always supplies them, and {@link analyzeServices}
 * treats their absence from an answer as a malformed response.
 */
export interface Measurements {
    /** Canary requests in the window. */
    readonly canaryRequests: number | undefined;
    /** Canary error responses in the window. */
    readonly canaryErrors: number | undefined;
    /** Stable requests in the window. */
    readonly stableRequests: number | undefined;
    /** Stable error responses in the window. */
    readonly stableErrors: number | undefined;
    /** Canary p95 latency in ms (NaN when the histogram had no observations). */
    readonly canaryP95Ms: number | undefined;
    /** Canary p99 latency in ms. */
    readonly canaryP99Ms: number | undefined;
    /** Canary container restarts in the window. */
    readonly canaryRestarts: number | undefined;
    /** Canary requests over the pass window; absent: the window's own counts are the pass evidence. */
    readonly passCanaryRequests?: number | undefined;
    /** Canary error responses over the pass window. */
    readonly passCanaryErrors?: number | undefined;
    /** Stable requests over the pass window. */
    readonly passStableRequests?: number | undefined;
    /** Stable error responses over the pass window. */
    readonly passStableErrors?: number | undefined;
    /** Seconds between the newest raw canary request sample and the evaluation time (NaN: no sample in the lookback). */
    readonly canaryDataAgeSeconds?: number | undefined;
    /** Seconds between the newest raw stable request sample and the evaluation time (NaN: none in the lookback). */
    readonly stableDataAgeSeconds?: number | undefined;
    /** Available replicas of the stable Deployment (NaN: the replicas metric has no series, so unknown). */
    readonly stableReplicas?: number | undefined;
    /** The buckets the latency quantiles were computed from (absent: not checked). */
    readonly canaryLatencyBuckets?: ReadonlyArray<HistogramBucket> | undefined;
    /** Values of the custom checks' queries per `measure` label (`custom:<name>`, `custom:<name>:stable`); absent: none. */
    readonly custom?: CustomValues | undefined;
    /** Stable's latency buckets over the window, for the comparison with stable (absent: not compared). */
    readonly stableLatencyBuckets?: ReadonlyArray<HistogramBucket> | undefined;
    /** Per gate name, what the batched query answered for the gates of the current step (step-gates.ts). */
    readonly stepGates?: Readonly<Record<string, StepGateMeasurement>> | undefined;
}

const COUNT_KEYS = ["canaryRequests", "canaryErrors", "stableRequests", "stableErrors", "canaryRestarts"] as const;
const PASS_COUNT_KEYS = ["passCanaryRequests", "passCanaryErrors", "passStableRequests", "passStableErrors"] as const;
const ERROR_PAIRS = [
    ["canaryErrors", "canaryRequests"],
    ["stableErrors", "stableRequests"],
    ["passCanaryErrors", "passCanaryRequests"],
    ["passStableErrors", "passStableRequests"],
] as const;

/** Judges `m` against the thresholds and statistical settings in `settings`. Never throws. */
export function evaluateMeasurements(m: Measurements, settings: AnalysisSettings, at: Date): AnalysisVerdict {
    const { thresholds } = settings;
    for (const key of COUNT_KEYS) {
        const v = m[key];
        if (v === undefined) return errorVerdict(`measurement ${key} missing from the response`, thresholds, at);
        if (!Number.isFinite(v) || v < 0)
            return errorVerdict(`implausible measurement: ${key} is ${v}, not a finite non-negative count`, thresholds, at);
    }
    for (const key of PASS_COUNT_KEYS) {
        const v = m[key];
        if (v !== undefined && (!Number.isFinite(v) || v < 0))
            return errorVerdict(`implausible measurement: ${key} is ${v}, not a finite non-negative count`, thresholds, at);
    }
    const cReq = m.canaryRequests ?? 0;
    const cErr = m.canaryErrors ?? 0;
    const sReq = m.stableRequests ?? 0;
    const sErr = m.stableErrors ?? 0;
    // The pass evidence: the longer pass window when measured, else the window itself.
    const pass = {
        cReq: m.passCanaryRequests ?? cReq,
        cErr: m.passCanaryErrors ?? cErr,
        sReq: m.passStableRequests ?? sReq,
        sErr: m.passStableErrors ?? sErr,
    };
    const budget = 1 - settings.sloObjective / 100;
    const cRate = cReq > 0 ? cErr / cReq : null;
    const sRate = sReq > 0 ? sErr / sReq : null;
    const base = {
        canaryRequests: cReq,
        canaryErrors: cErr,
        stableRequests: sReq,
        stableErrors: sErr,
        canaryErrorRate: cRate,
        stableErrorRate: sRate,
        errorRateDelta: cRate !== null && sRate !== null ? cRate - sRate : null,
        burnRate: cRate !== null ? cRate / budget : null,
        canaryP95Ms: finiteOrNull(m.canaryP95Ms),
        canaryP99Ms: finiteOrNull(m.canaryP99Ms),
        canaryRestarts: m.canaryRestarts ?? 0,
        comparisonPValue: null,
        passCanaryRequests: pass.cReq,
        passCanaryErrors: pass.cErr,
        passStableRequests: pass.sReq,
        passStableErrors: pass.sErr,
        canaryErrorRateUpper: null,
        errorRateDeltaUpper: null,
        canaryDataAgeSeconds: finiteOrNull(m.canaryDataAgeSeconds),
        stableDataAgeSeconds: finiteOrNull(m.stableDataAgeSeconds),
        stableReplicas: finiteOrNull(m.stableReplicas),
    } satisfies MeasuredValues;

    const implausible = plausibilityProblem(m, settings);
    if (implausible !== undefined) return errorVerdict(implausible, thresholds, at, base);

    if (cReq < settings.minRequestCount) {
        return {
            kind: "inconclusive",
            reason: `too little canary traffic: ${cReq} requests in the window, need ${settings.minRequestCount}`,
            measured: base,
            thresholds,
            checks: [],
            evaluatedAt: at.toISOString(),
        };
    }
    // With traffic present the latency histogram must answer; NaN here means the query or the metric is broken.
    if (base.canaryP95Ms === null || base.canaryP99Ms === null) {
        return errorVerdict(`canary latency quantiles are ${m.canaryP95Ms}/${m.canaryP99Ms} despite ${cReq} requests`, thresholds, at, base);
    }

    const confidence = settings.statisticalTest.confidence;
    const alpha = 1 - confidence;
    const checks: CheckResult[] = [];
    const rate = cErr / cReq;
    const errorRateCheck = rateCheck(
        "errorRate",
        { errors: cErr, requests: cReq },
        { errors: pass.cErr, requests: pass.cReq },
        thresholds.maxErrorRate,
        confidence,
    );
    checks.push(errorRateCheck.check);
    if (thresholds.maxBurnRate !== undefined) {
        const limitRate = Math.min(1, thresholds.maxBurnRate * budget);
        const c = rateCheck(
            "burnRate",
            { errors: cErr, requests: cReq },
            { errors: pass.cErr, requests: pass.cReq },
            limitRate,
            confidence,
            (r) => `${round(r / budget)}× budget`,
        );
        checks.push({ ...c.check, measured: rate / budget, threshold: thresholds.maxBurnRate });
    }
    let comparisonPValue: number | null = null;
    let deltaUpper: number | null = null;
    if (sReq >= settings.minRequestCount && sRate !== null) {
        const delta = rate - sRate;
        const limit = thresholds.maxErrorRateDelta;
        const t = twoProportionMarginTest(cErr, cReq, sErr, sReq, limit);
        const passBounds = differenceBounds(pass.cErr, pass.cReq, pass.sErr, pass.sReq, confidence);
        deltaUpper = passBounds.upper;
        const bound = `upper ${pctConf(confidence)} bound ${pct(deltaUpper)} over ${pass.cReq} canary / ${pass.sReq} stable requests in the pass window`;
        if (delta > limit && t.pValue < alpha) {
            checks.push({
                name: "errorRateDelta",
                outcome: "fail",
                measured: delta,
                threshold: limit,
                detail: `delta ${pct(delta)} > ${pct(limit)} (p=${fmtP(t.pValue)})`,
            });
        } else if (passBounds.lower > limit) {
            checks.push({
                name: "errorRateDelta",
                outcome: "fail",
                measured: delta,
                threshold: limit,
                detail: `delta over the pass window > ${pct(limit)} (lower ${pctConf(confidence)} bound ${pct(passBounds.lower)} over ${pass.cReq} canary / ${pass.sReq} stable requests)`,
            });
        } else if (delta <= limit && deltaUpper <= limit) {
            checks.push({
                name: "errorRateDelta",
                outcome: "pass",
                measured: delta,
                threshold: limit,
                detail: `delta ${pct(delta)} ≤ ${pct(limit)}, ${bound} ≤ ${pct(limit)}`,
            });
        } else {
            checks.push({
                name: "errorRateDelta",
                outcome: "inconclusive",
                measured: delta,
                threshold: limit,
                detail:
                    delta > limit
                        ? `delta ${pct(delta)} > ${pct(limit)} (p=${fmtP(t.pValue)}, not yet significant)`
                        : `delta ${pct(delta)} ≤ ${pct(limit)} but the ${bound} is above ${pct(limit)}: not yet shown within the limit`,
            });
        }
        if (settings.statisticalTest.enabled) {
            // On the pass window: a canary slightly but consistently worse than stable shows over time, not in 5 minutes.
            const margin = settings.statisticalTest.toleratedDelta;
            const c = twoProportionMarginTest(pass.cErr, pass.cReq, pass.sErr, pass.sReq, margin);
            comparisonPValue = c.pValue;
            const worse = c.pValue < alpha;
            checks.push({
                name: "comparison",
                outcome: worse ? "fail" : "pass",
                measured: c.pValue,
                threshold: alpha,
                detail:
                    `canary ${pct(pass.cErr / Math.max(pass.cReq, 1))} vs stable ${pct(pass.sErr / Math.max(pass.sReq, 1))} over the pass window: ` +
                    `one-sided p=${fmtP(c.pValue)} that canary is worse by more than ${pct(margin)}`,
            });
        }
    } else {
        const detail = `stable has ${sReq} requests (< ${settings.minRequestCount}); no comparison possible`;
        if (settings.baseline === "required") checks.push(baselineCheck(sReq, m.stableReplicas, settings.minRequestCount));
        checks.push({ name: "errorRateDelta", outcome: "skipped", measured: null, threshold: thresholds.maxErrorRateDelta, detail });
        if (settings.statisticalTest.enabled) checks.push({ name: "comparison", outcome: "skipped", measured: null, threshold: alpha, detail });
    }
    checks.push(atMost("p95", base.canaryP95Ms, thresholds.maxP95Ms, "ms"));
    checks.push(atMost("p99", base.canaryP99Ms, thresholds.maxP99Ms, "ms"));
    checks.push(...latencyVsStableChecks(m, settings));
    checks.push(atMost("restarts", base.canaryRestarts, thresholds.maxRestarts, ""));
    checks.push(...evaluateCustomChecks(settings.checks ?? [], m.custom));

    // A breach is acted on whatever else is uncertain; then an analysis that cannot be trusted; then missing evidence.
    const found: VerdictKind = (["fail", "error", "inconclusive"] as const).find((k) => checks.some((c) => c.outcome === k)) ?? "pass";
    // Only a breached `pause` check between the canary and a pass: a hold that is not a lack of evidence (see `held`).
    const held = found === "pass" && checks.some((c) => c.outcome === "hold");
    const verdict: VerdictKind = held ? "inconclusive" : found;
    const notable = checks.filter((c) => c.outcome === (held ? "hold" : verdict));
    const warned = checks.filter((c) => c.outcome === "warn");
    const warnings = warned.length > 0 ? `; warnings: ${warned.map((c) => `${c.name}: ${c.detail}`).join("; ")}` : "";
    const reason =
        verdict === "pass"
            ? `all ${notable.length} checks passed (canary error rate ${pct(rate)}, upper ${pctConf(confidence)} bound ${pct(errorRateCheck.upper)} over ${pass.cReq} requests; p95 ${round(base.canaryP95Ms)} ms; ${cReq} requests in the window)${warnings}`
            : held
              ? `held by a pause check: ${notable.map((c) => `${c.name}: ${c.detail}`).join("; ")}${warnings}`
              : `${verdict}: ${notable.map((c) => `${c.name}: ${c.detail}`).join("; ")}${warnings}`;
    return {
        ...(held ? { held: true as const } : {}),
        kind: verdict,
        reason,
        measured: { ...base, comparisonPValue, canaryErrorRateUpper: errorRateCheck.upper, errorRateDeltaUpper: deltaUpper },
        thresholds,
        checks,
        evaluatedAt: at.toISOString(),
    };
}

/**
 * The first reason `m` cannot be a true measurement, naming the measurement and its value, or undefined. Counts
 * have already been checked to be finite and non-negative.
 */
export function plausibilityProblem(m: Measurements, settings: Pick<AnalysisSettings, "maxSampleAge">): string | undefined {
    for (const [errorsKey, requestsKey] of ERROR_PAIRS) {
        const errors = m[errorsKey];
        const requests = m[requestsKey];
        // Both are sums of the same counters' increases, so errors ≤ requests holds exactly up to rounding.
        if (errors !== undefined && requests !== undefined && errors > requests * (1 + 1e-9) + 1e-9) {
            return `implausible measurement: ${errorsKey} is ${round(errors)}, more than ${requestsKey} (${round(requests)}); errors are a subset of requests`;
        }
    }
    const tolerance = settings.maxSampleAge / 1000;
    for (const [ageKey, requestsKey] of [
        ["canaryDataAgeSeconds", "canaryRequests"],
        ["stableDataAgeSeconds", "stableRequests"],
    ] as const) {
        const age = m[ageKey];
        const requests = m[requestsKey] ?? 0;
        if (age === undefined) continue;
        if (Number.isNaN(age)) {
            if (requests > 0) {
                return `stale data: ${ageKey} has no sample in the lookback although ${requestsKey} is ${round(requests)}: the source stopped receiving samples`;
            }
            continue;
        }
        if (!Number.isFinite(age)) return `implausible measurement: ${ageKey} is ${age}`;
        if (age > tolerance) {
            return `stale data: the newest ${requestsKey === "canaryRequests" ? "canary" : "stable"} request sample is ${round(age)} s old (${ageKey} ${round(age)} > maxSampleAge ${tolerance} s): the metrics source is lagging or frozen`;
        }
        if (age < -tolerance)
            return `implausible measurement: ${ageKey} is ${round(age)}, a sample ${round(-age)} s in the future of the evaluation time`;
    }
    const replicas = m.stableReplicas;
    if (replicas !== undefined && !Number.isNaN(replicas) && !(Number.isFinite(replicas) && replicas >= 0)) {
        return `implausible measurement: stableReplicas is ${replicas}, not a finite non-negative count`;
    }
    const quantiles = [
        ["canaryP95Ms", m.canaryP95Ms],
        ["canaryP99Ms", m.canaryP99Ms],
    ] as const;
    for (const [key, v] of quantiles) {
        if (v === undefined || Number.isNaN(v)) continue;
        if (!Number.isFinite(v)) return `implausible measurement: ${key} is ${v} ms`;
        if (v < 0) return `implausible measurement: ${key} is ${round(v)} ms; a latency cannot be negative`;
    }
    const p95 = m.canaryP95Ms;
    const p99 = m.canaryP99Ms;
    if (p95 !== undefined && p99 !== undefined && Number.isFinite(p95) && Number.isFinite(p99) && p95 > p99 * (1 + 1e-9)) {
        return `implausible measurement: canaryP95Ms (${round(p95)} ms) is above canaryP99Ms (${round(p99)} ms); quantiles must be ordered`;
    }
    const buckets = m.canaryLatencyBuckets;
    const finiteQuantiles = quantiles.filter(([, v]) => v !== undefined && Number.isFinite(v)) as Array<readonly [string, number]>;
    if (buckets !== undefined && finiteQuantiles.length > 0) {
        const bounds = buckets.map((b) => b.le).filter((le) => Number.isFinite(le));
        if (bounds.length === 0) {
            const [key, v] = finiteQuantiles[0]!;
            return `implausible measurement: ${key} is ${round(v)} ms but the latency histogram has no finite buckets`;
        }
        // histogram_quantile interpolates from 0 in the lowest bucket and never returns more than the highest finite bound.
        const low = Math.min(0, ...bounds);
        const high = Math.max(...bounds);
        for (const [key, v] of finiteQuantiles) {
            if (v < low - 1e-9 || v > high * (1 + 1e-9)) {
                return `implausible measurement: ${key} is ${round(v)} ms, outside the latency histogram's bucket range ${round(low)}–${round(high)} ms`;
            }
        }
    }
    return undefined;
}

interface Counts {
    readonly errors: number;
    readonly requests: number;
}

/**
 * Judges an error rate against `limit` both ways: `fail` when the last window is significantly above it (the
 * one-sided score test at 1 − confidence, i.e. the Wilson lower bound above the limit); `pass` when the last
 * window is not above it and the Wilson upper bound over the pass window is within it; otherwise `inconclusive`.
 */
function rateCheck(
    name: string,
    window: Counts,
    passWindow: Counts,
    limit: number,
    confidence: number,
    label: (rate: number) => string = pct,
): { check: CheckResult; upper: number } {
    const rate = window.errors / window.requests;
    const { lower: passLower, upper } = wilsonBounds(passWindow.errors, passWindow.requests, confidence);
    const bound = `upper ${pctConf(confidence)} bound ${label(upper)} over ${passWindow.requests} requests in the pass window`;
    const t = oneProportionZTest(window.errors, window.requests, limit);
    if (rate > limit && t.pValue < 1 - confidence) {
        return {
            upper,
            check: {
                name,
                outcome: "fail",
                measured: rate,
                threshold: limit,
                detail: `${label(rate)} > ${label(limit)} over ${window.requests} requests (p=${fmtP(t.pValue)})`,
            },
        };
    }
    // Sustained evidence counts against the canary too: a rate just above the limit is rarely significant on one
    // short window at a small weight, but is over the longer pass window.
    if (passLower > limit) {
        const passRate = passWindow.errors / passWindow.requests;
        return {
            upper,
            check: {
                name,
                outcome: "fail",
                measured: rate,
                threshold: limit,
                detail: `${label(passRate)} > ${label(limit)} over ${passWindow.requests} requests in the pass window (lower ${pctConf(confidence)} bound ${label(passLower)})`,
            },
        };
    }
    if (rate > limit) {
        return {
            upper,
            check: {
                name,
                outcome: "inconclusive",
                measured: rate,
                threshold: limit,
                detail: `${label(rate)} > ${label(limit)} over ${window.requests} requests (p=${fmtP(t.pValue)}, not yet significant)`,
            },
        };
    }
    if (upper <= limit) {
        return {
            upper,
            check: {
                name,
                outcome: "pass",
                measured: rate,
                threshold: limit,
                detail: `${label(rate)} ≤ ${label(limit)}, ${bound} ≤ ${label(limit)}`,
            },
        };
    }
    return {
        upper,
        check: {
            name,
            outcome: "inconclusive",
            measured: rate,
            threshold: limit,
            detail: `${label(rate)} ≤ ${label(limit)} but the ${bound} is above ${label(limit)}: not yet shown healthy`,
        },
    };
}

/** The check that stands for a missing stable baseline when the comparison is required. */
function baselineCheck(stableRequests: number, stableReplicas: number | undefined, minRequestCount: number): CheckResult {
    if (stableRequests === 0 && stableReplicas !== undefined && Number.isFinite(stableReplicas) && stableReplicas > 0) {
        return {
            name: "baseline",
            outcome: "error",
            measured: stableRequests,
            threshold: minRequestCount,
            detail:
                `stable has ${stableReplicas} available replicas but stableRequests is 0: its request series is missing ` +
                `(check stableVersionLabel, selectors.stable and selectors.requestsMetric)`,
        };
    }
    const replicas = stableReplicas === undefined || Number.isNaN(stableReplicas) ? "" : `, ${stableReplicas} available replicas`;
    return {
        name: "baseline",
        outcome: "inconclusive",
        measured: stableRequests,
        threshold: minRequestCount,
        detail:
            `no stable baseline: stableRequests is ${round(stableRequests)} in the window (need ${minRequestCount}${replicas}); ` +
            `a canary does not pass on absolute thresholds alone unless analysis.baseline is "optional" (e.g. a first release)`,
    };
}

function atMost(name: string, measured: number, limit: number, unit: string): CheckResult {
    const ok = measured <= limit;
    return { name, outcome: ok ? "pass" : "fail", measured, threshold: limit, detail: `${round(measured)}${unit} ${ok ? "≤" : ">"} ${limit}${unit}` };
}

function finiteOrNull(v: number | undefined): number | null {
    return v !== undefined && Number.isFinite(v) ? v : null;
}

function pct(x: number): string {
    return `${round(x * 100)}%`;
}

function pctConf(confidence: number): string {
    return `${round(confidence * 100)}%`;
}

function round(x: number): number {
    return Math.round(x * 1000) / 1000;
}

function fmtP(p: number): string {
    return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
