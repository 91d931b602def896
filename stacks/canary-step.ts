/**
 * `gray-release/canary-step`: one service's canary step for a Pulumi program of one's own. {@link decideCanaryStep}
 * reads what the previous update left, analyses and decides (the engine of `runStack`, progression/run.ts), and
 * records the decision as a `CanaryRelease`, the resource the policy pack's SLO gates, release windows and release
 * discipline read; it returns the inputs of the service's CanaryRouting, CanaryWorkload and SloRules and the
 * state to export. The stack program (`gray-release/stack`) takes the same steps with the same functions.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { dnsLabel } from "../components/common/k8s-names";
import { InvalidArgsError, parseArgs } from "../components/common/validation";
import { type FeatureFlag, type FeatureFlagInput, featureFlagSchema } from "../components/feature-flags";
import {
    type AnalysisVerdict,
    type Decision,
    type MetricsProvider,
    type ProgressionConfig,
    type ProgressionState,
    PrometheusProvider,
    parseState,
    progressionConfigSchema,
    runProgression,
    type ServiceProgressionInput,
} from "../progression";
import { releaseKey } from "../progression/config";
import { canaryReleaseRecordSchema, promotionSchema } from "../progression/record";
import { describeRelease, summaryLine } from "../progression/release-summary";
import { CanaryRelease, canaryReleaseArgs, type ReleaseFacts } from "./canary-release";
import { type StepInputs, stepInputs } from "./canary-service";
import { flagsAfterDecisions } from "./flag-rollouts";
import { type PreviousRelease, previousOf, readPreviousOutputs, recordPromotion, recordStart, type ServiceReleaseOutputs } from "./release-outputs";

export { CanaryRelease, type CanaryReleaseArgs, canaryReleaseArgs, type ReleaseFacts } from "./canary-release";
export type { StepInputs } from "./canary-service";
export {
    PROMOTIONS_OUTPUT,
    type PreviousRelease,
    type PromotionRecord,
    RELEASES_OUTPUT,
    type ReleaseOutputs,
    releaseOutputs,
    type ServiceReleaseOutputs,
    STARTS_OUTPUT,
    STATE_OUTPUT,
} from "./release-outputs";

const instant = z.string().refine((t) => Number.isFinite(Date.parse(t)), "must be an ISO-8601 instant");

/** Args of {@link decideCanaryStep}; the schema is the only description of their shape. */
export const canaryStepArgsSchema = z
    .object({
        progression: progressionConfigSchema.meta({
            description:
                "The service's progression config (service, environment, stableImage, canaryImage, steps, analysis, controls, ...): see Progression.",
        }),
        namespace: dnsLabel.meta({ description: "Namespace the service runs in (recorded for the policy pack)." }),
        release: canaryReleaseRecordSchema
            .pick({ owner: true, riskAssessment: true, core: true })
            .strict()
            .prefault({})
            .meta({ description: "Who answers for the release and whether the service is core (the pack's release discipline reads them)." }),
        previous: z
            .object({
                state: z.unknown().optional().meta({ description: "The state the previous update exported (object or JSON text)." }),
                starts: z.array(instant).optional().meta({ description: "Earlier canary starts of the service (ISO 8601), for the cadence." }),
                promotions: z.array(promotionSchema).optional().meta({ description: "Images the service promoted so far, newest last." }),
            })
            .strict()
            .optional()
            .meta({
                description:
                    "What the previous update left, when the program keeps it itself. Default: read back from this stack's own outputs `releaseStates`, `releaseStarts` and `promotions` (export them with `releaseOutputs`).",
            }),
        metrics: z
            .custom<MetricsProvider>((v) => typeof (v as { query?: unknown } | null)?.query === "function", {
                message: "must be a MetricsProvider (an object with a query(promql, time) method)",
            })
            .optional()
            .meta({ description: "Where the analysis queries run. Default: Prometheus' HTTP API at `progression.analysis.prometheusUrl`." }),
        now: z.date().optional().meta({ description: "The instant of the decision (default: now)." }),
    })
    .strict();

/** Args of {@link decideCanaryStep} as written. */
export type CanaryStepArgs = z.input<typeof canaryStepArgsSchema>;

/** One service's decided and recorded step. */
export interface CanaryStep extends StepInputs, ServiceReleaseOutputs {
    /** The CanaryRelease record, already taken by the engine: make the service's resources depend on it. */
    record: CanaryRelease;
    /** The decision: action, routing, next state, reason. */
    decision: Decision;
    /** The analysis verdict it used, or undefined when none was needed. */
    verdict: AnalysisVerdict | undefined;
    /** The state the previous update left, if usable. */
    previousState: ProgressionState | undefined;
    /**
     * For a flag rollout (`progression.flag`): the service's flags as this step shapes them, for FeatureFlags' `flags`
     * (the rolled-out flag's share as decided; after a rollback, its variant served to nobody). Other flags unchanged.
     */
    flags: (flags: ReadonlyArray<FeatureFlagInput>) => FeatureFlag[];
}

/** The engine's input for one service: its config, what the previous update left, and the cadence context. */
export function progressionInput(config: ProgressionConfig, previous: PreviousRelease, release: ReleaseFacts, now: Date): ServiceProgressionInput {
    return {
        config,
        previousState: previous.state,
        context: { recentStarts: recordStart(previous.starts ?? [], "none", now), core: release.core ?? false },
    };
}

/** The metrics source of a service's analysis: Prometheus' HTTP API (or Thanos Query) at its `prometheusUrl`. */
export function prometheusProviderFor(config: ProgressionConfig): PrometheusProvider {
    const a = config.analysis;
    return new PrometheusProvider({ baseUrl: a.prometheusUrl, timeoutMs: a.timeout, retries: a.retries });
}

/** Resolves once the engine has registered `resource` (and so the policy pack has validated it). */
export function registered(resource: pulumi.Resource): Promise<void> {
    return new Promise((done) => resource.urn.apply(() => done()));
}

/**
 * Decides one service's canary step of this update and records it, for a Pulumi program that composes the
 * components itself:
 *
 * 1. validates the args (an `InvalidArgsError` naming each key path, e.g. `progression.analysis.prometheusUrl`,
 *    before anything is created);
 * 2. reads the previous state: `args.previous`, or this stack's own outputs as {@link releaseOutputs} exports them;
 * 3. analyses the canary's metrics when the decision needs a verdict, and decides (the engine `runStack` uses);
 * 4. registers a `CanaryRelease` record named `name`, and resolves only once the engine has taken it, so a decision
 *    the policy pack refuses stops the update before any routing or workload changes.
 *
 * Spread `step.routing` into the service's CanaryRouting args, `step.workload` into its CanaryWorkload args and
 * `step.sloCanary` into SloRules' `canary`, make them depend on `step.record`, and export
 * `releaseOutputs([step, ...])` so the next update continues from this one:
 *
 * ```ts
 * export = async () => {
 *     const step = await decideCanaryStep("checkout", { namespace: "shop-gray", progression, release: { owner: "team-checkout" } });
 *     const pods = new CanaryWorkload("checkout", { service: "checkout", namespace: "shop-gray", ...step.workload }, { dependsOn: [step.record] });
 *     new CanaryRouting("checkout", { service: "checkout", namespace: "shop-gray", ...step.routing }, { dependsOn: [step.record, pods] });
 *     return releaseOutputs([step]);
 * };
 * ```
 *
 * A flag rollout is a step too: give `progression.flag` (`{ key, variant, defaultVariant, revision }`) instead of the
 * images, name the step `<service>/flag/<key>`, and pass `step.flags(flags)` as FeatureFlags' `flags`, depending on
 * `step.record`; its state is exported under that name.
 *
 * A configuration the engine refuses (a stable image that stable ran before, without
 * `controls.acknowledgeDowngrade`) throws an `InvalidArgsError` naming `progression.stableImage`, before the record.
 */
export async function decideCanaryStep(name: string, args: CanaryStepArgs, opts?: pulumi.ComponentResourceOptions): Promise<CanaryStep> {
    const subject = `CanaryStep "${name}"`;
    const a = parseArgs(subject, canaryStepArgsSchema, args);
    const config = a.progression;
    const now = a.now ?? new Date();
    // A flag rollout's release is kept under `<service>/flag/<key>`, beside the service's image canary.
    const key = releaseKey(config);
    const previous = a.previous ?? previousOf(await readPreviousOutputs(), key);
    const input = progressionInput(config, previous, a.release, now);
    const result = (await runProgression([input], a.metrics ?? prometheusProviderFor(config), now)).get(key);
    if (result === undefined) throw new Error(`${subject}: no progression decision for "${key}"`);
    const { decision, verdict } = result;
    if (decision.refusal !== undefined) {
        throw new InvalidArgsError(subject, [{ path: "progression.stableImage", value: config.stableImage, message: decision.refusal }]);
    }
    const previousState = parseState(previous.state).state;
    const recentStarts = input.context?.recentStarts ?? [];
    const record = new CanaryRelease(
        name,
        canaryReleaseArgs({
            config,
            namespace: a.namespace,
            release: a.release,
            previousState,
            decision,
            verdict,
            recentStarts: [...recentStarts],
            now,
        }),
        opts,
    );
    await registered(record);
    const summary = describeRelease(previousState?.weight ?? 0, decision, verdict);
    pulumi.log.info(summaryLine(summary, key), record);
    return {
        ...stepInputs(config, previousState, decision),
        flags: (flags) => flagsAfterDecisions(parseArgs(`${subject} flags`, z.array(featureFlagSchema), flags), [{ config, decision }]),
        record,
        decision,
        verdict,
        previousState,
        service: key,
        state: decision.state,
        starts: recordStart(previous.starts ?? [], decision.action, now),
        promotions: recordPromotion(previous.promotions ?? [], decision.action, config.canaryImage, now.toISOString()),
        summary,
    };
}
