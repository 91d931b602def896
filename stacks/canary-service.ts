/**
 * `gray-release:index:CanaryService`: one service's canary release as the stack program declares it once its
 * decision is recorded: workload → routing → rules, in the order that never routes a request to a pod that is not
 * there. It is the seam where another router (the Gateway API) would plug in beside CanaryRouting.
 */
import * as pulumi from "@pulumi/pulumi";
import { CanaryRouting } from "../components/canary-routing";
import { CanaryWorkload } from "../components/canary-workload";
import type { CanarySignals } from "../components/common/canary-signals";
import { type CanaryRulesArgs, SloRules, type SloRulesSpec } from "../components/slo-rules";
import type { Decision, ProgressionConfig, ProgressionState } from "../progression";
import { versionLabels } from "../progression/config";
import { analysisSignals } from "../progression/signals";
import type { CanaryRelease } from "./canary-release";
import type { ServiceConfig } from "./config";

export interface CanaryServiceArgs {
    /** The service as configured (parsed stack config). */
    service: ServiceConfig;
    /** The decision of this update. */
    decision: Decision;
    /** The state of the previous update, if any: a canary's pods go one update after its routes. */
    previousState: ProgressionState | undefined;
    /** The record of the decision, already registered: nothing of the service changes before the pack saw it. */
    record: CanaryRelease;
    /** Environment variables of the platform's collectors for every workload (OTLP endpoint, propagators). */
    workloadEnv: Record<string, string>;
    /** What every part waits for besides the record, e.g. the service's GrayNamespace. */
    after?: pulumi.Resource[];
    /**
     * A flag rollout of the service that gives its variant to users in this update: while the image canary serves no
     * traffic, the canary alert compares the flag's variants instead of the image versions (see {@link sloCanaryFor}).
     */
    liveFlagRollout?: ProgressionConfig;
}

/**
 * What the service's canary alert (SloRules `canary`) compares in this update: the image canary while its routes
 * serve, else a live flag rollout (requests served its variant against the default), else the image versions as
 * before (disabled once they are the same). One SloRules per service, so one comparison at a time.
 */
export function sloCanaryFor(
    written: CanaryRulesArgs | undefined,
    image: { labels: { stable: string; canary: string }; signals: CanarySignals; serving: boolean },
    flag: ProgressionConfig | undefined,
): CanaryRulesArgs {
    if (flag !== undefined && !(image.serving && image.labels.stable !== image.labels.canary)) {
        return sloCanaryArgs(written, versionLabels(flag), analysisSignals(flag));
    }
    return sloCanaryArgs(written, image.labels, image.signals);
}

/** Whether a rollout state has routes naming the canary subset (and so needs canary pods). */
export function canaryServes(state: Pick<ProgressionState, "status"> | undefined): boolean {
    return state !== undefined && (state.status === "progressing" || state.status === "paused");
}

/**
 * The traffic share the canary's pods must be sized for in this update, or undefined when it needs none. Pods
 * follow routes up at once (the routes wait for them) but down only one update later: the routes of the previous
 * update may still be in the proxies while this one moves them away, so its pods stay until the next update.
 */
export function canarySizingWeight(previous: ProgressionState | undefined, next: ProgressionState): number | undefined {
    const shares = [previous, next].filter(canaryServes).map((st) => st!.weight);
    return shares.length === 0 ? undefined : Math.max(...shares);
}

/**
 * The canary part of a service's SloRules args: the version labels the workload and the analysis use, and, given
 * the gate's signals (`analysisSignals` of its progression config), the gate's requests, failures and error-rate
 * delta threshold, so the P1 alert watches what the gate rolls back on. The user's own `slo.canary` keys win. Once
 * promoted, stable and canary are the same version and there is nothing to compare until the next canary. The
 * stack config check and the program both call it, so they agree.
 */
export function sloCanaryArgs(
    canary: CanaryRulesArgs | undefined,
    labels: { stable: string; canary: string },
    gate?: CanarySignals,
): CanaryRulesArgs {
    if (labels.stable === labels.canary) return { ...canary, enabled: false };
    const fromGate: CanaryRulesArgs =
        gate === undefined
            ? {}
            : {
                  requestsMetric: gate.requestsMetric,
                  errorMatchers: gate.errorMatchers,
                  ...(gate.latencyBucketMetric.endsWith("_bucket") ? { latencyHistogram: gate.latencyBucketMetric.slice(0, -"_bucket".length) } : {}),
                  canaryMatchers: gate.canary,
                  stableMatchers: gate.stable,
                  maxErrorRateDelta: gate.maxErrorRateDelta,
                  // The gate's restart signal, unless the user described the canary's restarts for the alert.
                  ...(canary?.restarts === undefined ? { restarts: { metric: gate.restartsMetric }, restartsMatchers: gate.restarts } : {}),
              };
    return { stableVersionLabel: labels.stable, canaryVersionLabel: labels.canary, ...fromGate, ...canary };
}

/**
 * What a decided step means for the service's components: the values to spread into CanaryRouting, CanaryWorkload
 * and SloRules' `canary` args. The stack program and {@link decideCanaryStep} both use it, so a program composed by
 * hand sizes, routes and compares exactly as `runStack` does.
 */
export interface StepInputs {
    /** For CanaryRouting: the weight of the split, and whether any route may name the canary subset. */
    routing: { canaryWeight: number; canaryAvailable: boolean };
    /**
     * For CanaryWorkload: the images and version labels, and the canary's size: `canaryWeight` while routes may
     * name it (this update's or the previous one's, whichever is larger), else `canaryReplicas: 0`.
     */
    workload: {
        stableImage: string;
        canaryImage: string;
        stableVersionLabel: string;
        canaryVersionLabel: string;
        canaryWeight?: number;
        canaryReplicas?: number;
    };
    /** For SloRules `canary`: the labels to compare, or `enabled: false` once stable and canary are the same version. */
    sloCanary: CanaryRulesArgs;
}

/** The component inputs of a decided step (see {@link StepInputs}). */
export function stepInputs(config: ProgressionConfig, previousState: ProgressionState | undefined, decision: Decision): StepInputs {
    const { routing } = decision;
    const labels = versionLabels({ ...config, stableImage: routing.stableImage });
    const sizing = canarySizingWeight(previousState, decision.state);
    return {
        routing: { canaryWeight: routing.canaryWeight, canaryAvailable: canaryServes(decision.state) },
        workload: {
            stableImage: routing.stableImage,
            canaryImage: config.canaryImage,
            stableVersionLabel: labels.stable,
            canaryVersionLabel: labels.canary,
            ...(sizing === undefined ? { canaryReplicas: 0 } : { canaryWeight: sizing }),
        },
        sloCanary: sloCanaryArgs(undefined, labels),
    };
}

export class CanaryService extends pulumi.ComponentResource {
    /** The SLO spec of the service, for the stack's shared dashboards. */
    public readonly sloSpec: SloRulesSpec;

    constructor(name: string, args: CanaryServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gray-release:index:CanaryService", name, {}, opts);
        const { service: s, decision } = args;
        const inputs = stepInputs(s.progression, args.previousState, decision);
        // Children were declared at the top level before this component existed: the aliases keep their URNs.
        const child = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };
        const after = args.after ?? [];

        // The workload first (a new canary or more canary pods become Available, stable rolls to a promoted image
        // with no pod unavailable; in cluster mode the provider awaits each rollout to the end, as CanaryWorkload's
        // rolloutAwaitAnnotations tell it), then the routes: dependsOn the component waits for its Deployments. A
        // rolled-back, failed or promoted canary loses its routes in this update and its pods in the next.
        const workload = s.workload;
        const pods = new CanaryWorkload(
            s.name,
            {
                ...workload,
                service: s.name,
                namespace: s.namespace,
                ...inputs.workload,
                // One bucket list for the sidecars and the SLO thresholds (SloRules refuses a threshold not in it).
                latencyBuckets: s.slo.latencyBuckets,
                env: { ...args.workloadEnv, ...workload.env },
            },
            { ...child, dependsOn: [...after, args.record] },
        );
        new CanaryRouting(
            s.name,
            { ...s.routing, service: s.name, namespace: s.namespace, ...inputs.routing },
            { ...child, dependsOn: [...after, args.record, pods] },
        );
        // The canary rules compare the same version labels the workloads use (see sloCanaryArgs). The dashboard goes
        // to the stack's shared dashboard ConfigMaps instead of one ConfigMap per service.
        const slo = s.slo;
        this.sloSpec = new SloRules(
            s.name,
            {
                namespace: s.namespace,
                ...slo,
                service: s.name,
                canary: sloCanaryFor(
                    slo.canary,
                    {
                        labels: { stable: inputs.workload.stableVersionLabel, canary: inputs.workload.canaryVersionLabel },
                        signals: analysisSignals({ ...s.progression, stableImage: decision.routing.stableImage }),
                        serving: inputs.routing.canaryAvailable,
                    },
                    args.liveFlagRollout,
                ),
                dashboard: { ...slo.dashboard, enabled: false },
            },
            { ...child, dependsOn: [...after, args.record] },
        ).spec;
        this.registerOutputs({});
    }
}
