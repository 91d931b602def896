/** Configs and synthetic verdicts for the decision tests. */
import { type AnalysisVerdict, NOTHING_MEASURED, type ProgressionConfig, parseProgressionConfig, type VerdictKind } from "../../progression/internal";

const T0 = Date.UTC(2025, 2, 3, 9, 0);

export function makeConfig(overrides: Record<string, unknown> = {}): ProgressionConfig {
    return parseProgressionConfig({
        service: "checkout",
        environment: "prod",
        stableImage: "app:1.0.0",
        canaryImage: "app:1.1.0",
        analysis: { prometheusUrl: "http://prom:9090" },
        // The release window and cadence have their own tests; here the clock of the tests is free.
        releaseWindow: { enforce: false },
        cadence: { enforce: false },
        ...overrides,
    });
}

/**
 * A flag rollout's config: checkout's flag new-pricing, variant "on" against "off", steps 1 → 5 → 25 → 50 → 100 with no
 * wait between them, the clock free (no release window or cadence).
 */
export function flagRolloutConfig(overrides: Record<string, unknown> = {}): ProgressionConfig {
    return parseProgressionConfig({
        service: "checkout",
        environment: "prod",
        steps: [1, 5, 25, 50, 100],
        minIntervalBetweenSteps: "0s",
        analysis: { prometheusUrl: "http://thanos-query.monitoring.svc:10902" },
        flag: { key: "new-pricing", variant: "on", defaultVariant: "off" },
        releaseWindow: { enforce: false },
        cadence: { enforce: false },
        ...overrides,
    });
}

export function verdictOf(kind: VerdictKind, config: ProgressionConfig = makeConfig(), at: Date = new Date(T0)): AnalysisVerdict {
    return {
        kind,
        reason: `synthetic ${kind}`,
        measured: NOTHING_MEASURED,
        thresholds: config.analysis.thresholds,
        checks: [],
        evaluatedAt: at.toISOString(),
    };
}
