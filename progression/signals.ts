/**
 * The gate's canary signals: a service's progression config as the shared {@link CanarySignals} model, the one the
 * analysis queries are built from and the one the stack program hands to SloRules' canary alert.
 */
import {
    type CanarySignals,
    defaultCanaryRestartMatchers,
    defaultServicePodMatchers,
    defaultTrackMatchers,
    errorCodeMatchers,
} from "../components/common/canary-signals";
import { type ProgressionConfig, versionLabels } from "./config";
import { flagVariantLabel } from "./flag-release";

/**
 * The canary signals of one service as its analysis measures them. For a flag rollout the two sides are the requests
 * served the rolled-out variant and those served the default (label {@link flagVariantLabel}), and restarts are those
 * of every pod of the service: users with the flag are served by the same pods as the others.
 */
export function analysisSignals(config: ProgressionConfig): CanarySignals {
    const s = config.analysis.selectors;
    const labels = versionLabels(config);
    const track = config.flag === undefined ? undefined : flagVariantLabel(config.flag.key);
    return {
        requestsMetric: s.requestsMetric,
        errorMatchers: errorCodeMatchers(s.errorCodes),
        latencyBucketMetric: s.latencyBucketMetric,
        canary: s.canary ?? defaultTrackMatchers(config.service, labels.canary, track),
        stable: s.stable ?? defaultTrackMatchers(config.service, labels.stable, track),
        maxErrorRateDelta: config.analysis.thresholds.maxErrorRateDelta,
        restartsMetric: s.restartsMetric,
        restarts:
            s.restarts ?? (config.flag === undefined ? defaultCanaryRestartMatchers(config.service) : defaultServicePodMatchers(config.service)),
    };
}
