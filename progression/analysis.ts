/**
 * Canary analysis: one batched instant query for all services, then the pure evaluation. Never throws —
 * whatever goes wrong becomes an `error` verdict with the reason, which `decide` turns into a hold (and,
 * when it persists, a rollback).
 *
 * Before any number is judged, the answer itself must be trustworthy: complete (no partial-response warning from
 * Thanos Query, every measurement present) and current (every sample stamped within `maxSampleAge` of the
 * evaluation time).
 */
import { type ProgressionConfig, releaseKey } from "./config";
import { evaluateMeasurements } from "./evaluate";
import type { InstantSample, MetricsProvider } from "./metrics-provider";
import { batchedQuery, MEASURE_LABEL, measurementsByService, missingMeasurements, SERVICE_LABEL } from "./queries";
import { gatesAt, type StepPosition, stepGateCheck, withStepGates } from "./step-gates";
import { type AnalysisVerdict, errorVerdict } from "./verdict";

/**
 * Whether a warning of the answer is a PromQL annotation about the query (Prometheus ≥ 2.46 prefixes them
 * `PromQL warning:` / `PromQL info:`) rather than a sign of missing data. Anything else — a Thanos store that
 * failed or timed out under partial response, a failed remote read — means the answer may be partial.
 */
export function isQueryAnnotation(warning: string): boolean {
    return /^PromQL (warning|info):/i.test(warning.trim());
}

/**
 * The sample of `samples` (those of one service) stamped furthest from `time`, when that is more than
 * `maxSampleAgeMs` away, described for a verdict; undefined when all are current or unstamped.
 */
export function staleSample(samples: ReadonlyArray<InstantSample>, time: Date, maxSampleAgeMs: number): string | undefined {
    let worst: { sample: InstantSample; offset: number } | undefined;
    for (const sample of samples) {
        if (sample.timestamp === undefined) continue;
        const offset = time.getTime() - sample.timestamp;
        if (!Number.isFinite(offset)) return `metrics answer has a sample stamped ${sample.timestamp}, not a time`;
        if (Math.abs(offset) > maxSampleAgeMs && (worst === undefined || Math.abs(offset) > Math.abs(worst.offset))) worst = { sample, offset };
    }
    if (worst === undefined) return undefined;
    const measure = worst.sample.labels[MEASURE_LABEL] ?? "?";
    const stamped = new Date(worst.sample.timestamp ?? 0).toISOString();
    const seconds = Math.round(Math.abs(worst.offset) / 100) / 10;
    return worst.offset > 0
        ? `stale metrics answer: sample ${measure} is stamped ${stamped}, ${seconds} s before the evaluation time (maxSampleAge ${maxSampleAgeMs / 1000} s); the source is frozen or lagging`
        : `implausible metrics answer: sample ${measure} is stamped ${stamped}, ${seconds} s after the evaluation time (maxSampleAge ${maxSampleAgeMs / 1000} s)`;
}

/**
 * Analyses every service in `configs` at `time` with a single query to `provider` and returns their
 * verdicts keyed by release (service name, or `<service>/flag/<key>` for a flag rollout). Services should share one metrics backend; group them per backend
 * otherwise. `positions` (per service, where its canary stands) selects the step gates that apply; a service
 * without one is held to all its gates.
 */
export async function analyzeServices(
    configs: ReadonlyArray<ProgressionConfig>,
    provider: MetricsProvider,
    time: Date,
    positions?: ReadonlyMap<string, StepPosition>,
): Promise<Map<string, AnalysisVerdict>> {
    const verdicts = new Map<string, AnalysisVerdict>();
    if (configs.length === 0) return verdicts;
    const failAll = (reason: string) => {
        for (const c of configs) verdicts.set(releaseKey(c), errorVerdict(reason, c.analysis.thresholds, time));
        return verdicts;
    };
    try {
        const outcome = await provider.query(batchedQuery(configs, positions), time);
        if (!outcome.ok && outcome.queryRefused === true && configs.length > 1) {
            // One release's query (a custom check Prometheus cannot type) must not hold every release on the endpoint:
            // ask again one release at a time, so only the release whose query is refused gets the error.
            for (const c of configs) {
                for (const [key, verdict] of await analyzeServices([c], provider, time, positions)) verdicts.set(key, verdict);
            }
            return verdicts;
        }
        if (!outcome.ok) return failAll(`metrics query failed: ${outcome.error}`);
        const warnings = outcome.warnings ?? [];
        const partial = warnings.filter((w) => !isQueryAnnotation(w));
        if (partial.length > 0) {
            return failAll(
                `partial metrics answer: the source reported ${partial.length} warning(s): ${partial.map((w) => JSON.stringify(w)).join("; ")}; partial data never passes`,
            );
        }
        const byService = measurementsByService(outcome.samples);
        if (typeof byService === "string") return failAll(`malformed metrics response: ${byService}`);
        const samplesOf = new Map<string, InstantSample[]>();
        for (const s of outcome.samples) {
            const service = s.labels[SERVICE_LABEL];
            if (service !== undefined) samplesOf.set(service, [...(samplesOf.get(service) ?? []), s]);
        }
        const notes = warnings.length > 0 ? `; the metrics source noted: ${warnings.map((w) => JSON.stringify(w)).join("; ")}` : "";
        for (const c of configs) {
            const key = releaseKey(c);
            const m = byService.get(key);
            const thresholds = c.analysis.thresholds;
            let verdict: AnalysisVerdict;
            if (m === undefined) {
                verdict = errorVerdict("metrics response has no measurements for this service", thresholds, time);
            } else {
                const stale = staleSample(samplesOf.get(key) ?? [], time, c.analysis.maxSampleAge);
                const missing = missingMeasurements(m);
                verdict =
                    stale !== undefined
                        ? errorVerdict(stale, thresholds, time)
                        : missing.length > 0
                          ? errorVerdict(`measurement ${missing.join(", ")} missing from the response`, thresholds, time)
                          : withStepGates(
                                evaluateMeasurements(m, c.analysis, time),
                                gatesAt(c.gates, positions?.get(key)).map((g) => stepGateCheck(g, m.stepGates?.[g.name])),
                            );
            }
            verdicts.set(key, notes === "" ? verdict : { ...verdict, reason: `${verdict.reason}${notes}` });
        }
        return verdicts;
    } catch (err) {
        // A provider that breaks its contract (rejects) must still not break the update.
        return failAll(`analysis failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
    }
}

/** Analyses one service; see {@link analyzeServices}. */
export async function analyzeService(config: ProgressionConfig, provider: MetricsProvider, time: Date): Promise<AnalysisVerdict> {
    const verdicts = await analyzeServices([config], provider, time);
    return verdicts.get(releaseKey(config)) ?? errorVerdict("no verdict produced", config.analysis.thresholds, time);
}
