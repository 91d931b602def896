/**
 * The gate's canary signals: a service's progression config as the shared {@link CanarySignals} model, the one the
 * analysis queries are built from and the one the stack program hands to SloRules' canary alert.
 */
import { type CanarySignals, defaultCanaryRestartMatchers, defaultTrackMatchers, errorCodeMatchers } from "../components/common/canary-signals";
import { type ProgressionConfig, versionLabels } from "./config";

/** The canary signals of one service as its analysis measures them. */
export function analysisSignals(config: ProgressionConfig): CanarySignals {
    const s = config.analysis.selectors;
    const labels = versionLabels(config);
    return {
        requestsMetric: s.requestsMetric,
        errorMatchers: errorCodeMatchers(s.errorCodes),
        latencyBucketMetric: s.latencyBucketMetric,
        canary: s.canary ?? defaultTrackMatchers(config.service, labels.canary),
        stable: s.stable ?? defaultTrackMatchers(config.service, labels.stable),
        maxErrorRateDelta: config.analysis.thresholds.maxErrorRateDelta,
        restartsMetric: s.restartsMetric,
        restarts: s.restarts ?? defaultCanaryRestartMatchers(config.service),
    };
}
