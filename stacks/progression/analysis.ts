/**
 * Canary analysis: one batched instant query for all services, then the pure evaluation. Never throws —
 * whatever goes wrong becomes an `error` verdict with the reason, which `decide` turns into a hold (and,
 * when it persists, a rollback).
 */
import type { ProgressionConfig } from "./config";
import { evaluateMeasurements } from "./evaluate";
import type { MetricsProvider } from "./metrics-provider";
import { batchedQuery, measurementsByService } from "./queries";
import { type AnalysisVerdict, errorVerdict } from "./verdict";

/**
 * Analyses every service in `configs` at `time` with a single query to `provider` and returns their
 * verdicts keyed by service name. Services should share one metrics backend; group them per backend
 * otherwise.
 */
export async function analyzeServices(
    configs: ReadonlyArray<ProgressionConfig>,
    provider: MetricsProvider,
    time: Date,
): Promise<Map<string, AnalysisVerdict>> {
    const verdicts = new Map<string, AnalysisVerdict>();
    if (configs.length === 0) return verdicts;
    const failAll = (reason: string) => {
        for (const c of configs) verdicts.set(c.service, errorVerdict(reason, c.analysis.thresholds, time));
        return verdicts;
    };
    try {
        const outcome = await provider.query(batchedQuery(configs), time);
        if (!outcome.ok) return failAll(`metrics query failed: ${outcome.error}`);
        const byService = measurementsByService(outcome.samples);
        if (typeof byService === "string") return failAll(`malformed metrics response: ${byService}`);
        for (const c of configs) {
            const m = byService.get(c.service);
            verdicts.set(
                c.service,
                m === undefined
                    ? errorVerdict("metrics response has no measurements for this service", c.analysis.thresholds, time)
                    : evaluateMeasurements(m, c.analysis, time),
            );
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
    return verdicts.get(config.service) ?? errorVerdict("no verdict produced", config.analysis.thresholds, time);
}
