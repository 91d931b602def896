import * as pulumi from "@pulumi/pulumi";
import { type AnalysisVerdict, type Decision, type ProgressionConfig, type ProgressionState, stableInForce } from "../progression";
import { CANARY_RELEASE_TYPE, type CanaryReleaseRecordInput } from "../progression/record";

/**
 * What the canary program decided for one service in this update, as the policy pack reads it: the record's
 * shape is the engine's contract (progression/record.ts), so the writer and the reader cannot drift apart.
 */
export type CanaryReleaseArgs = CanaryReleaseRecordInput & { namespace: string };

/** Who answers for a release and how often it may start, as the record carries them (`release.*` of a service). */
export type ReleaseFacts = Pick<CanaryReleaseRecordInput, "owner" | "riskAssessment" | "core">;

/**
 * `gray-release:index:CanaryRelease`: the decision of one update for one service, as a resource. A component
 * with no children whose inputs (and outputs) are the record, so the policy pack validates the decision at preview
 * time, before the routing it produces. Its SLO gates, release windows and release discipline read nothing else:
 * a stack that routes canary traffic without one is reported by the pack's `canary-routing-has-release-record`.
 * Create it with {@link decideCanaryStep} (gray-release/canary-step), which decides the step and records it.
 */
export class CanaryRelease extends pulumi.ComponentResource {
    constructor(name: string, args: CanaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // The args are sent to the engine as this component's inputs: that is what resource policies see; stack
        // policies see the outputs, hence the same record registered as outputs.
        super(CANARY_RELEASE_TYPE, name, args, opts);
        this.registerOutputs({ ...args });
    }
}

/** What a record is made of: one service's decision of this update and what it was decided from. */
export interface DecidedStep {
    /** The service's validated progression config. */
    config: ProgressionConfig;
    namespace: string;
    release: ReleaseFacts;
    /** The state the previous update left, if any usable. */
    previousState: ProgressionState | undefined;
    decision: Decision;
    verdict: AnalysisVerdict | undefined;
    /** Earlier canary starts still counted (not this one). */
    recentStarts: string[];
    now: Date;
}

/** The CanaryRelease record of a decided step: the one place that maps a decision onto the pack's contract. */
export function canaryReleaseArgs(step: DecidedStep): CanaryReleaseArgs {
    const { config, decision, previousState, release } = step;
    return {
        service: config.service,
        namespace: step.namespace,
        environment: config.environment,
        canaryImage: config.canaryImage,
        stableImage: decision.routing.stableImage,
        previousWeight: previousState?.weight ?? 0,
        weight: decision.routing.canaryWeight,
        stepIndex: decision.state.stepIndex,
        steps: [...config.steps],
        status: decision.state.status,
        verdict: step.verdict?.kind ?? "none",
        skipAnalysis: config.controls.skipAnalysis,
        action: decision.action,
        evaluatedAt: step.now.toISOString(),
        ...(release.owner !== undefined ? { owner: release.owner } : {}),
        ...(release.riskAssessment !== undefined ? { riskAssessment: release.riskAssessment } : {}),
        core: release.core ?? false,
        recentStarts: [...step.recentStarts],
        previousStableImage: stableInForce(previousState, config.stableImage),
        formerStableImages: [...(previousState?.formerStableImages ?? [])],
        ...(config.flag !== undefined ? { flag: { ...config.flag } } : {}),
    };
}
