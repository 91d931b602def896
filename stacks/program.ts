/**
 * The canary program: composes the platform and every service's canary release for one stack, and moves each
 * canary one step per `pulumi up`, gated by SLO analysis.
 *
 * Order matters for safety: everything is validated first (a bad key fails the update before any resource is
 * registered), then the previous state is read back from this stack's own outputs, the metrics are analysed
 * and the decisions made, and only then are resources declared with the weights those decisions chose.
 */
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { resolveCanaryRoutingArgs, CanaryRouting, type CanaryRoutingArgs } from "../components/canary-routing";
import { CanaryWorkload, resolveCanaryWorkloadArgs, type CanaryWorkloadArgs } from "../components/canary-workload";
import { InvalidArgsError, parseArgs } from "../components/common/validation";
import { GrayNamespace, resolveGrayNamespaceArgs, type GrayNamespaceArgs } from "../components/gray-namespace";
import {
    agentPodSelector,
    OtelCollector,
    otelCollectorArgsSchema,
    type OtelCollectorArgs,
    planCollectors,
} from "../components/otel-collector";
import { parseSloRulesArgs, SloRules, type SloRulesArgs, type SloRulesSpec } from "../components/slo-rules";
import { Thanos, validateThanosArgs, type ThanosArgs } from "../components/thanos";
import {
    parseProgressionConfig,
    parseState,
    type ProgressionState,
    stableInForce,
    PrometheusProvider,
    type ProgressionConfig,
    runProgression,
    type ServiceProgressionResult,
    versionLabels,
} from "../progression";
import { CanaryRelease } from "./canary-release";
import { createDashboards } from "./dashboards";
import { parseStackConfig, type ServiceConfig, type StackConfig } from "./config";
import {
    parsePlatformFacts,
    PLATFORM_OUTPUT,
    type PlatformFacts,
    PlatformReference,
    qualifiedStackName,
} from "./platform-outputs";
import { describeRelease, type ReleaseSummary, summaryLine } from "./release-summary";

/** Stack output holding each service's progression state, read back by the next update. */
export const STATE_OUTPUT = "releaseStates";
/**
 * Stack output listing, per service, the canary versions this stack promoted (newest last). The next
 * environment's policy pack reads it to allow a version there only after it was promoted here.
 */
export const PROMOTIONS_OUTPUT = "promotions";
/** How many promotions per service the stack remembers. */
const PROMOTIONS_KEPT = 20;
/**
 * Stack output listing, per service, when this stack started a canary (ISO 8601, oldest first); the policy pack's
 * release-cadence rule counts them.
 */
export const STARTS_OUTPUT = "releaseStarts";
/** How long the stack remembers a start: longer than any cadence window worth configuring. */
const STARTS_KEPT_DAYS = 28;

/** One promotion recorded in {@link PROMOTIONS_OUTPUT}. */
export interface PromotionRecord {
    /** The promoted image. */
    version: string;
    /** When it was promoted (ISO 8601). */
    at: string;
}

interface PlannedService {
    config: ServiceConfig;
    progression: ProgressionConfig;
}

/** Reads and validates the whole stack configuration. Throws InvalidArgsError naming the key and value. */
export function planStack(
    stack: string,
    raw: Record<string, unknown>,
    platform?: PlatformFacts,
): { config: StackConfig; services: PlannedService[]; platform: PlatformFacts; namespaces: GrayNamespaceArgs[] } {
    const config = parseStackConfig(stack, raw);
    if (platform !== undefined) checkPlatform(config, platform);
    // Each component validates again when constructed; doing it here too means a bad key anywhere stops the
    // update before the first resource is registered.
    const namespaces = grayNamespacesOf(config);
    namespaces.forEach((ns, i) => resolveGrayNamespaceArgs(ns, `platform.namespaces[${i}] (GrayNamespace)`));
    if (config.platform.thanos) validateThanosArgs("thanos", thanosArgs(config, () => "validated-as-secret"));
    // The facts the services rely on: the platform stack's, or those of the parts this stack owns (which also
    // validates the collector args before any resource exists).
    const facts = platform ?? ownPlatformFacts(config);

    const services = config.services.map((s) => {
        const analysis = (s.progression["analysis"] ?? {}) as Record<string, unknown>;
        const defaultUrl = platform?.thanosQueryUrl;
        const progression = parseProgressionConfig({
            ...s.progression,
            // A services stack analyses against its platform's Thanos Query unless the service names a source.
            ...(analysis["prometheusUrl"] === undefined && defaultUrl !== undefined
                ? { analysis: { ...analysis, prometheusUrl: defaultUrl } }
                : {}),
            service: s.name,
            environment: config.environment,
            stableVersion: s.stableImage,
            canaryVersion: s.canaryImage,
        });
        const labels = versionLabels(progression);
        resolveCanaryRoutingArgs(routingArgs(s, 0, true), `services.${s.name}.routing`);
        resolveCanaryWorkloadArgs(workloadArgs(s, s.stableImage, labels.stable, labels.canary, 1), `services.${s.name}.workload`);
        parseSloRulesArgs(s.name, sloArgs(s, labels.stable, labels.canary));
        return { config: s, progression };
    });
    return { config, services, platform: facts, namespaces };
}

/**
 * The gray namespaces' args as configured (not yet validated); when this stack runs the collectors, a namespace
 * that does not configure `telemetry` sends its telemetry to exactly this stack's agent pods.
 */
function grayNamespacesOf(config: StackConfig): GrayNamespaceArgs[] {
    const otel = config.platform.otel
        ? parseArgs("platform.otel (OtelCollector)", otelCollectorArgsSchema, config.platform.otel)
        : undefined;
    const telemetry = otel && { namespace: otel.namespace, podSelector: agentPodSelector(otel) };
    return config.platform.namespaces.map((ns) => {
        const plain = typeof ns === "object" && ns !== null && !Array.isArray(ns);
        return (telemetry && plain && !("telemetry" in ns) ? { ...ns, telemetry } : ns) as unknown as GrayNamespaceArgs;
    });
}

/** A services stack must match its platform's environment and run its services in the platform's namespaces. */
function checkPlatform(config: StackConfig, platform: PlatformFacts): void {
    const problems: Array<{ path: string; value: unknown; message: string }> = [];
    if (platform.environment !== config.environment) {
        problems.push({
            path: "environment",
            value: config.environment,
            message: `platform stack "${config.platformStack}" is of environment "${platform.environment}"`,
        });
    }
    config.services.forEach((s, i) => {
        if (!platform.namespaces.includes(s.namespace)) {
            problems.push({
                path: `services.${i}.namespace`,
                value: s.namespace,
                message: `not a gray namespace of platform stack "${config.platformStack}" (it has: ${platform.namespaces.join(", ") || "none"})`,
            });
        }
    });
    if (problems.length > 0) throw new InvalidArgsError("stack config (gray-release:*) does not fit its platform", problems);
}

/** The platform facts of a stack that owns its platform parts (role `platform` or `all`). */
function ownPlatformFacts(config: StackConfig): PlatformFacts {
    const collectors: PlatformFacts["collectors"] = [];
    if (config.platform.otel) {
        const parsed = parseArgs("platform.otel (OtelCollector)", otelCollectorArgsSchema, config.platform.otel);
        const plan = planCollectors(parsed);
        collectors.push({
            namespace: parsed.namespace,
            // The agent is a DaemonSet reading every pod of its node: it reaches every namespace.
            watchedNamespaces: ["*"],
            agentEndpoint: plan.agentEndpoint,
            workloadEnv: Object.fromEntries(plan.workloadEnv.map((e) => [e.name, e.value])),
        });
    }
    return {
        environment: config.environment,
        namespaces: config.platform.namespaces.map((ns) => String((ns as { name?: unknown }).name)),
        collectors,
    };
}

/** Reads and validates the platform stack's facts (services stacks only). */
async function readPlatform(config: StackConfig): Promise<PlatformFacts | undefined> {
    if (config.role !== "services" || config.platformStack === undefined) return undefined;
    const name = qualifiedStackName(config.platformStack);
    const ref = new pulumi.StackReference(name);
    const details = await ref.getOutputDetails(PLATFORM_OUTPUT);
    return parsePlatformFacts(config.platformStack, details.value ?? details.secretValue);
}

/**
 * Thanos args from config. Credentials of `existing` object storage never sit in the platform object: they are
 * the secret config keys `gray-release:thanosAccessKey` and `gray-release:thanosSecretKey`.
 */
function thanosArgs(config: StackConfig, secret: (key: string) => string | pulumi.Output<string>): ThanosArgs {
    const args = config.platform.thanos as unknown as ThanosArgs;
    if (args.storage?.type !== "existing") return args;
    return { ...args, storage: { ...args.storage, accessKey: secret("thanosAccessKey"), secretKey: secret("thanosSecretKey") } };
}

function routingArgs(s: ServiceConfig, weight: number, canaryAvailable: boolean): CanaryRoutingArgs {
    return {
        ...(s.routing as Partial<CanaryRoutingArgs>),
        service: s.name,
        namespace: s.namespace,
        canaryWeight: weight,
        canaryAvailable,
    };
}

/** Whether a rollout state has routes naming the canary subset (and so needs canary pods). */
function canaryServes(state: Pick<ProgressionState, "status"> | undefined): boolean {
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

/** Workload args; the canary is sized for `canaryWeight`, or runs no pods when it is undefined. */
function workloadArgs(
    s: ServiceConfig,
    stableImage: string,
    stableLabel: string,
    canaryLabel: string,
    canaryWeight: number | undefined,
): CanaryWorkloadArgs {
    const extra = s.workload as Partial<CanaryWorkloadArgs> | undefined;
    return {
        ...extra,
        service: s.name,
        namespace: s.namespace,
        stableImage,
        canaryImage: s.canaryImage,
        stableVersion: stableLabel,
        canaryVersion: canaryLabel,
        ...(canaryWeight === undefined ? { canaryReplicas: 0 } : { canaryWeight }),
    };
}

/**
 * SloRules args: the canary rules compare the same version labels the routing and the workloads use. The
 * dashboard goes to the stack's shared dashboard ConfigMaps instead of one ConfigMap per service.
 */
function sloArgs(s: ServiceConfig, stableLabel: string, canaryLabel: string): SloRulesArgs {
    const extra = s.slo as Partial<SloRulesArgs>;
    return {
        namespace: s.namespace,
        ...extra,
        service: s.name,
        // Once promoted, stable and canary are the same version: there is no canary to compare until the next one.
        canary:
            stableLabel === canaryLabel
                ? { ...extra.canary, enabled: false }
                : { stableVersion: stableLabel, canaryVersion: canaryLabel, ...extra.canary },
        dashboard: { ...extra.dashboard, enabled: false },
    } as SloRulesArgs;
}

interface PreviousOutputs {
    states: Record<string, unknown>;
    promotions: Record<string, PromotionRecord[]>;
    starts: Record<string, string[]>;
}

/** The previous update's outputs of this stack, read through a StackReference to itself. */
async function readPreviousOutputs(): Promise<PreviousOutputs> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const read = async (name: string): Promise<Record<string, unknown>> => {
        const details = await self.getOutputDetails(name);
        const value = details.value ?? details.secretValue;
        return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    };
    const promotions: Record<string, PromotionRecord[]> = {};
    for (const [service, list] of Object.entries(await read(PROMOTIONS_OUTPUT))) {
        if (!Array.isArray(list)) continue;
        promotions[service] = list.filter(
            (p): p is PromotionRecord =>
                typeof p === "object" && p !== null && typeof p.version === "string" && typeof p.at === "string",
        );
    }
    const starts: Record<string, string[]> = {};
    for (const [service, list] of Object.entries(await read(STARTS_OUTPUT))) {
        if (Array.isArray(list)) starts[service] = list.filter((t): t is string => typeof t === "string" && Number.isFinite(Date.parse(t)));
    }
    return { states: await read(STATE_OUTPUT), promotions, starts };
}

/** The service's canary starts to remember after this update: the recent ones, plus this one if it started. */
export function recordStart(previous: ReadonlyArray<string>, action: string, now: Date): string[] {
    const since = now.getTime() - STARTS_KEPT_DAYS * 24 * 60 * 60 * 1000;
    const kept = previous.filter((t) => Date.parse(t) >= since);
    return action === "start" ? [...kept, now.toISOString()] : kept;
}

/** Appends a promotion when this update promoted the service's canary. */
export function recordPromotion(
    previous: ReadonlyArray<PromotionRecord>,
    action: string,
    version: string,
    at: string,
): PromotionRecord[] {
    if (action !== "promote" || previous.some((p) => p.version === version)) return [...previous];
    return [...previous, { version, at }].slice(-PROMOTIONS_KEPT);
}

/** Analyses and decides for every service; services sharing a metrics endpoint share one batched query. */
async function decideAll(
    services: PlannedService[],
    previous: Record<string, unknown>,
    now: Date,
): Promise<Map<string, ServiceProgressionResult>> {
    const byEndpoint = new Map<string, PlannedService[]>();
    for (const s of services) {
        const url = s.progression.analysis.prometheusUrl;
        byEndpoint.set(url, [...(byEndpoint.get(url) ?? []), s]);
    }
    const results = new Map<string, ServiceProgressionResult>();
    for (const [url, group] of byEndpoint) {
        const first = group[0]!.progression.analysis;
        const provider = new PrometheusProvider({ baseUrl: url, timeoutMs: first.timeout, retries: first.retries });
        const inputs = group.map((s) => ({ config: s.progression, previousState: previous[s.config.name] }));
        for (const [name, result] of await runProgression(inputs, provider, now)) results.set(name, result);
    }
    return results;
}

function kubernetesProvider(stack: string): k8s.Provider {
    const kubeconfig = new pulumi.Config("gray-release").getSecret("kubeconfig");
    if (kubeconfig !== undefined) return new k8s.Provider("cluster", { kubeconfig });
    // Absolute, because the provider plugin's working directory is the engine's choice, not the project root.
    const renderDir = path.resolve(__dirname, "..", "rendered", stack);
    return new k8s.Provider("render", { renderYamlToDirectory: renderDir });
}

/** Config keys read as Pulumi secrets where they are used, never through the validated plain config. */
export const SECRET_CONFIG_KEYS = ["kubeconfig", "thanosAccessKey", "thanosSecretKey"] as const;

/**
 * Every `gray-release:*` key of the stack config, so that a misspelt key is reported rather than ignored. Values
 * of structured keys arrive as JSON text.
 */
function readRawConfig(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith("gray-release:")) continue;
        const name = key.slice("gray-release:".length);
        if ((SECRET_CONFIG_KEYS as readonly string[]).includes(name)) continue;
        try {
            raw[name] = JSON.parse(text);
        } catch {
            raw[name] = text;
        }
    }
    return raw;
}

/** Runs the whole stack and returns its outputs. */
export async function runStack(now: Date = new Date()): Promise<Record<string, unknown>> {
    const stack = pulumi.getStack();
    const raw = readRawConfig();
    const platformFacts = await readPlatform(parseStackConfig(stack, raw));
    const { config, services, platform, namespaces: namespaceArgs } = planStack(stack, raw, platformFacts);

    const previousOutputs = await readPreviousOutputs();
    const previous = previousOutputs.states;
    const decisions = await decideAll(services, previous, now);
    // A decision that would silently downgrade stable is the user's to fix: refuse before any resource changes.
    const refusals = config.services.flatMap((s, i) => {
        const refusal = decisions.get(s.name)?.decision.refusal;
        return refusal === undefined ? [] : [{ path: `services.${i}.stableImage`, value: s.stableImage, message: refusal }];
    });
    if (refusals.length > 0) throw new InvalidArgsError(`stack "${stack}" config (gray-release:*)`, refusals);

    const provider = kubernetesProvider(stack);
    const opts = { provider };

    const namespaces = namespaceArgs.map((args, i) => new GrayNamespace(args.name ?? `gray-${i}`, args, opts));
    const thanos = config.platform.thanos
        ? new Thanos(
              "thanos",
              thanosArgs(config, (key) => new pulumi.Config("gray-release").requireSecret(key)),
              { providers: { kubernetes: provider } },
          )
        : undefined;
    const otel = config.platform.otel
        ? new OtelCollector("otel", config.platform.otel as unknown as OtelCollectorArgs, opts)
        : undefined;

    const workloadEnv = platform.collectors[0]?.workloadEnv ?? {};

    const releases: Record<string, ReleaseSummary> = {};
    const sloSpecs: SloRulesSpec[] = [];
    const states: Record<string, unknown> = {};
    const promotions: Record<string, PromotionRecord[]> = { ...previousOutputs.promotions };
    const starts: Record<string, string[]> = { ...previousOutputs.starts };
    // Every decision is recorded first, and nothing else of the services is declared until the engine has taken
    // all records: the policy pack validates each record as it registers, so a refused decision stops the update
    // before any routing, workload or rule has changed (`pulumi up --skip-preview` included), never half-way.
    const decided = services.map(({ config: s, progression }) => {
        const result = decisions.get(s.name);
        if (result === undefined) throw new Error(`no progression decision for service "${s.name}"`);
        const { decision, verdict } = result;
        const previousState = parseState(previous[s.name]).state;
        const previousWeight = previousState?.weight ?? 0;
        const previousStable = stableInForce(previousState, s.stableImage);
        const record = new CanaryRelease(s.name, {
            service: s.name,
            namespace: s.namespace,
            environment: config.environment,
            canaryVersion: progression.canaryVersion,
            stableVersion: decision.routing.stableVersion,
            previousWeight,
            weight: decision.routing.canaryWeight,
            stepIndex: decision.state.stepIndex,
            steps: [...progression.steps],
            status: decision.state.status,
            verdict: verdict?.verdict ?? "none",
            skipAnalysis: progression.controls.skipAnalysis,
            action: decision.action,
            evaluatedAt: now.toISOString(),
            ...(s.release.owner !== undefined ? { owner: s.release.owner } : {}),
            ...(s.release.riskAssessment !== undefined ? { riskAssessment: s.release.riskAssessment } : {}),
            core: s.release.core,
            recentStarts: recordStart(starts[s.name] ?? [], "none", now),
            previousStableVersion: previousStable,
            formerStableVersions: [...(previousState?.formerStableImages ?? [])],
        });
        return { s, progression, decision, verdict, previousWeight, previousState, record };
    });
    await Promise.all(decided.map((d) => new Promise((registered) => d.record.urn.apply(registered))));
    if (platformFacts !== undefined && services.length > 0) {
        new PlatformReference("platform", { ...platformFacts, platformStack: config.platformStack ?? "" });
    }

    for (const { s, progression, decision, verdict, previousWeight, previousState } of decided) {
        const routing = decision.routing;
        const labels = versionLabels({ ...progression, stableVersion: routing.stableVersion });
        const namespaceDeps = namespaces.filter(
            (_, i) => (config.platform.namespaces[i] as { name?: string }).name === s.namespace,
        );
        const svcOpts = { provider, dependsOn: namespaceDeps };

        // Ordering that never routes a request to a pod that is not there (the provider awaits each Deployment's
        // rollout in cluster mode): the workload first (a new canary or more canary pods become Available, stable
        // rolls to a promoted image with no pod unavailable), then the routes. A rolled-back, failed or promoted
        // canary loses its routes in this update and its pods in the next (canarySizingWeight).
        const sizing = canarySizingWeight(previousState, decision.state);
        const workload = workloadArgs(s, routing.stableVersion, labels.stable, labels.canary, sizing);
        const pods = new CanaryWorkload(s.name, { ...workload, env: { ...workloadEnv, ...workload.env } }, svcOpts);
        new CanaryRouting(s.name, routingArgs(s, routing.canaryWeight, canaryServes(decision.state)), {
            ...svcOpts,
            dependsOn: [...namespaceDeps, pods],
        });
        sloSpecs.push(new SloRules(s.name, sloArgs(s, labels.stable, labels.canary), svcOpts).spec);

        const summary = describeRelease(previousWeight, decision, verdict);
        releases[s.name] = summary;
        states[s.name] = decision.state;
        promotions[s.name] = recordPromotion(promotions[s.name] ?? [], decision.action, progression.canaryVersion, now.toISOString());
        starts[s.name] = recordStart(starts[s.name] ?? [], decision.action, now);
        pulumi.log.info(summaryLine(summary, s.name));
    }

    if (config.dashboardNamespace !== false && sloSpecs.length > 0) {
        createDashboards(stack, config.dashboardNamespace, sloSpecs, { provider });
    }

    // What services stacks read back; Thanos' URL and storage type are the component's own outputs.
    const platformOutput = thanos
        ? pulumi.all([thanos.queryUrl, thanos.storageType]).apply(([thanosQueryUrl, thanosStorageType]) => ({
              ...platform,
              thanosQueryUrl,
              thanosStorageType,
          }))
        : pulumi.output(platform);

    return {
        environment: config.environment,
        role: config.role,
        ...(config.role === "services" ? {} : { [PLATFORM_OUTPUT]: platformOutput }),
        releases,
        [STATE_OUTPUT]: states,
        [PROMOTIONS_OUTPUT]: promotions,
        [STARTS_OUTPUT]: starts,
        ...(thanos ? { thanosQueryUrl: thanos.queryUrl, thanosStorageType: thanos.storageType } : {}),
        ...(otel ? { otelAgentEndpoint: otel.agentEndpoint, otelGatewayEndpoint: otel.gatewayEndpoint } : {}),
        grayNamespaces: namespaces.map((n) => n.namespaceName),
    };
}
