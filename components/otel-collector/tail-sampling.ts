/**
 * The gateway's tail-sampling policies. Policies are OR-ed: a trace is kept when any of them keeps it, so the
 * probabilistic policy only decides for traces that are neither canary, nor failed, nor slow.
 */
import type { TailSamplingPolicy, TailSamplingProcessorConfig } from "./model";
import type { ParsedOtelCollectorArgs } from "./schema";

type Sampling = ParsedOtelCollectorArgs["sampling"];

export function canaryPolicies(sampling: Sampling): TailSamplingPolicy[] {
    const policies: TailSamplingPolicy[] = [];
    if (sampling.canaryVersions.length > 0) {
        policies.push({
            name: "keep-canary-version",
            type: "string_attribute",
            string_attribute: { key: "service.version", values: [...sampling.canaryVersions] },
        });
    }
    sampling.canaryAttributes.forEach((match, i) => {
        policies.push({
            name: `keep-canary-${i}-${match.key}`,
            type: "string_attribute",
            string_attribute: { key: match.key, values: [...match.values] },
        });
    });
    return policies;
}

export function tailSampling(sampling: Sampling): TailSamplingProcessorConfig {
    return {
        decision_wait: `${sampling.decisionWaitSeconds}s`,
        num_traces: sampling.numTraces,
        expected_new_traces_per_sec: sampling.expectedNewTracesPerSec,
        policies: [
            ...canaryPolicies(sampling),
            { name: "keep-errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
            { name: "keep-slow", type: "latency", latency: { threshold_ms: sampling.latencyThresholdMs } },
            {
                name: "keep-share-of-rest",
                type: "probabilistic",
                probabilistic: { sampling_percentage: sampling.probabilisticPercent },
            },
        ],
    };
}
