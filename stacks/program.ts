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
import { InvalidArgsError } from "../components/common/validation";
import { FeatureFlags } from "../components/feature-flags";
import { GrayNamespace, type PlainGrayNamespaceArgs } from "../components/gray-namespace";
import { OtelCollector, otelCollectorArgsSchema, planCollectors } from "../components/otel-collector";
import type { SloRulesSpec } from "../components/slo-rules";
import { type PlainThanosArgs, Thanos } from "../components/thanos";
import { type ProgressionConfig, parseState, runProgression, type ServiceProgressionResult } from "../progression";
import { releaseKey } from "../progression/config";
import { describeRelease, type ReleaseSummary, summaryLine } from "../progression/release-summary";
import { CanaryRelease, canaryReleaseArgs } from "./canary-release";
import { CanaryService, canaryServes } from "./canary-service";
import { progressionInput, prometheusProviderFor, registered } from "./canary-step";
import { parseStackConfig, platformStackOf, type ServiceConfig, type StackConfig, THANOS_NAME } from "./config";
import { createDashboards } from "./dashboards";
import { flagsAfterDecisions, variantMetricsOf } from "./flag-rollouts";
import { PLATFORM_OUTPUT, type PlatformFacts, PlatformReference, parsePlatformFacts, qualifiedStackName } from "./platform-outputs";
import { reportableError } from "./program-error";
import {
    PROMOTIONS_OUTPUT,
    type PreviousOutputs,
    type PromotionRecord,
    previousOf,
    readPreviousOutputs,
    recordPromotion,
    recordStart,
    STARTS_OUTPUT,
    STATE_OUTPUT,
} from "./release-outputs";

export { canarySizingWeight } from "./canary-service";

// What the stack leaves for the next update (shared with gray-release/canary-step): stacks/release-outputs.ts.
export {
    PROMOTIONS_OUTPUT,
    type PreviousOutputs,
    type PromotionRecord,
    recordPromotion,
    recordStart,
    STARTS_OUTPUT,
    STATE_OUTPUT,
} from "./release-outputs";

/** The validated plan of a stack: its config, the platform facts its services rely on, its gray namespaces. */
export interface StackPlan {
    config: StackConfig;
    services: ServiceConfig[];
    platform: PlatformFacts;
    namespaces: PlainGrayNamespaceArgs[];
}

/**
 * Step 1, plan: reads and validates the whole stack configuration, every part by its component's schema, and
 * checks it against its platform stack. Throws one InvalidArgsError naming every key and value.
 */
export function planStack(stack: string, raw: Record<string, unknown>, platform?: PlatformFacts): StackPlan {
    // A services stack analyses against its platform's Thanos Query unless the service names a source (parseStackConfig
    // defaults a stack with Thanos of its own to that Thanos' Query).
    const config = parseStackConfig(stack, raw, platform?.thanosQueryUrl === undefined ? {} : { prometheusUrl: platform.thanosQueryUrl });
    if (platform !== undefined) checkPlatform(config, platform);
    return { config, services: config.services, platform: platform ?? ownPlatformFacts(config), namespaces: config.platform.namespaces };
}

/** A services stack must match its platform's environment and run its services in the platform's namespaces. */
function checkPlatform(config: StackConfig, platform: PlatformFacts): void {
    const problems: InvalidArgsError["problems"][number][] = [];
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
                path: `services[${i}].namespace`,
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
        const otel = otelCollectorArgsSchema.parse(config.platform.otel);
        const plan = planCollectors(otel);
        collectors.push({
            namespace: otel.namespace,
            // The agent is a DaemonSet reading every pod of its node: it reaches every namespace.
            watchedNamespaces: ["*"],
            agentEndpoint: plan.agentEndpoint,
            workloadEnv: Object.fromEntries(plan.workloadEnv.map((e) => [e.name, e.value])),
        });
    }
    return { environment: config.environment, namespaces: config.platform.namespaces.map((ns) => ns.name), collectors };
}

/** Reads and validates the platform stack's facts (services stacks only). */
async function readPlatform(raw: Record<string, unknown>): Promise<PlatformFacts | undefined> {
    const roles = platformStackOf(raw);
    if (roles?.role !== "services" || roles.platformStack === undefined) return undefined;
    const ref = new pulumi.StackReference(qualifiedStackName(roles.platformStack));
    const details = await ref.getOutputDetails(PLATFORM_OUTPUT);
    return parsePlatformFacts(roles.platformStack, details.value ?? details.secretValue);
}

/**
 * Thanos args from config. Credentials of `existing` object storage never sit in the platform object: they are
 * the secret config keys `gray-release:thanosAccessKey` and `gray-release:thanosSecretKey`.
 */
function thanosArgs(args: PlainThanosArgs): PlainThanosArgs {
    if (args.storage?.type !== "existing") return args;
    const secret = (key: string) => new pulumi.Config("gray-release").requireSecret(key);
    return { ...args, storage: { ...args.storage, accessKey: secret("thanosAccessKey"), secretKey: secret("thanosSecretKey") } };
}

/** One release of a stack: a service's image canary, or one of its flag rollouts, under its key. */
export interface StackRelease {
    /** Where its state, verdict and summary are kept: the service's name, or `<service>/flag/<key>`. */
    key: string;
    service: ServiceConfig;
    config: ProgressionConfig;
}

/** Every release of the stack's services: each service's image canary, then its flag rollouts. */
export function stackReleases(services: ReadonlyArray<ServiceConfig>): StackRelease[] {
    return services.flatMap((service) => [
        { key: service.name, service, config: service.progression },
        ...service.flagRollouts.map((config) => ({ key: releaseKey(config), service, config })),
    ]);
}

/**
 * Step 3, decide: analyses and decides for every service; services sharing a metrics endpoint share one batched
 * query. A decision that would silently downgrade stable is the user's to fix: refused before any resource changes.
 */
export async function decideAll(
    stack: string,
    services: ServiceConfig[],
    previous: PreviousOutputs,
    now: Date,
): Promise<Map<string, ServiceProgressionResult>> {
    const byEndpoint = new Map<string, StackRelease[]>();
    for (const r of stackReleases(services)) {
        const url = r.config.analysis.prometheusUrl;
        byEndpoint.set(url, [...(byEndpoint.get(url) ?? []), r]);
    }
    const results = new Map<string, ServiceProgressionResult>();
    for (const group of byEndpoint.values()) {
        const provider = prometheusProviderFor(group[0]!.config);
        const inputs = group.map((r) => progressionInput(r.config, previousOf(previous, r.key), r.service.release, now));
        for (const [key, result] of await runProgression(inputs, provider, now)) results.set(key, result);
    }
    const refusals = services.flatMap((s, i) => {
        const refusal = results.get(s.name)?.decision.refusal;
        return refusal === undefined ? [] : [{ path: `services[${i}].stableImage`, value: s.stableImage, message: refusal }];
    });
    if (refusals.length > 0) throw new InvalidArgsError(`stack "${stack}" config (gray-release:*)`, refusals);
    return results;
}

/**
 * Where render mode writes a stack's YAML: `renderDir` as configured, else `rendered/<stack>`, relative to the
 * project. Absolute, because the provider plugin's working directory is the engine's choice, not the project's.
 */
export function renderDirectory(stack: string, renderDir: string | undefined, projectDir: string): string {
    return path.resolve(projectDir, renderDir ?? path.join("rendered", stack));
}

/**
 * The user's project folder (where Pulumi.yaml is), never this package's: installed, the package sits in
 * node_modules, which a reinstall replaces. Engines and mock runtimes that do not tell run the program there.
 */
function projectDirectory(): string {
    const root = typeof pulumi.runtime.getRootDirectory === "function" ? pulumi.runtime.getRootDirectory() : "";
    return root || process.cwd();
}

function kubernetesProvider(stack: string, config: StackConfig): k8s.Provider {
    const kubeconfig = new pulumi.Config("gray-release").getSecret("kubeconfig");
    if (kubeconfig !== undefined) return new k8s.Provider("cluster", { kubeconfig });
    return new k8s.Provider("render", { renderYamlToDirectory: renderDirectory(stack, config.renderDir, projectDirectory()) });
}

/** Config keys read as Pulumi secrets where they are used, never through the validated plain config. */
export const SECRET_CONFIG_KEYS = ["kubeconfig", "thanosAccessKey", "thanosSecretKey"] as const;

/**
 * Every `gray-release:*` key of the stack config, so that a misspelt key is reported rather than ignored. Values
 * of structured keys arrive as JSON text.
 */
function readRawConfig(): Record<string, unknown> {
    return rawStackConfig(Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).map(([key, value]) => [key, { value }])));
}

/**
 * The `gray-release:*` values of a stack config as the program reads them: JSON parsed, secret keys skipped (those
 * marked secret too, as the Automation API reports them). The program and the release driver both read through it.
 */
export function rawStackConfig(config: Record<string, { value: string; secret?: boolean }>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [key, { value, secret }] of Object.entries(config)) {
        if (!key.startsWith("gray-release:")) continue;
        const name = key.slice("gray-release:".length);
        if (secret || (SECRET_CONFIG_KEYS as readonly string[]).includes(name)) continue;
        try {
            raw[name] = JSON.parse(value);
        } catch {
            raw[name] = value;
        }
    }
    return raw;
}

/** The platform parts this stack declares. */
interface DeclaredPlatform {
    namespaces: GrayNamespace[];
    thanos: Thanos | undefined;
    otel: OtelCollector | undefined;
}

/** Step 4, declare the platform: gray namespaces, Thanos, collectors (those this stack owns). */
function declarePlatform(plan: StackPlan, provider: k8s.Provider): DeclaredPlatform {
    const { config } = plan;
    const opts = { provider };
    return {
        namespaces: plan.namespaces.map((args) => new GrayNamespace(args.name, args, opts)),
        thanos: config.platform.thanos
            ? new Thanos(THANOS_NAME, thanosArgs(config.platform.thanos), { providers: { kubernetes: provider } })
            : undefined,
        otel: config.platform.otel ? new OtelCollector("otel", config.platform.otel, opts) : undefined,
    };
}

/** What the services leave in the stack outputs. */
interface DeclaredServices {
    releases: Record<string, ReleaseSummary>;
    states: Record<string, unknown>;
    promotions: Record<string, PromotionRecord[]>;
    starts: Record<string, string[]>;
    sloSpecs: SloRulesSpec[];
}

/**
 * Step 5, declare the services. Every decision is recorded first, and nothing else of the services is declared
 * until the engine has taken all records: the policy pack validates each record as it registers, so a refused
 * decision stops the update before any routing, workload or rule has changed (`pulumi up --skip-preview`
 * included), never half-way. Then each service's CanaryService: workload → routing → rules.
 */
async function declareServices(
    plan: StackPlan,
    decisions: Map<string, ServiceProgressionResult>,
    previous: PreviousOutputs,
    platform: DeclaredPlatform,
    provider: k8s.Provider,
    now: Date,
    platformFacts: PlatformFacts | undefined,
): Promise<DeclaredServices> {
    const { config } = plan;
    const out: DeclaredServices = { releases: {}, states: {}, promotions: { ...previous.promotions }, starts: { ...previous.starts }, sloSpecs: [] };
    // One record per release (each service's image canary, then its flag rollouts), all taken before anything else.
    const releases = stackReleases(plan.services).map((r) => {
        const result = decisions.get(r.key);
        if (result === undefined) throw new Error(`no progression decision for "${r.key}"`);
        const previousState = parseState(previous.states[r.key]).state;
        const record = new CanaryRelease(
            r.key,
            canaryReleaseArgs({
                config: r.config,
                namespace: r.service.namespace,
                release: r.service.release,
                previousState,
                decision: result.decision,
                verdict: result.verdict,
                recentStarts: recordStart(out.starts[r.key] ?? [], "none", now),
                now,
            }),
        );
        return { ...r, ...result, previousState, record };
    });
    await Promise.all(releases.map((r) => registered(r.record)));
    // What the services rely on, recorded only once the engine has taken every record (a refused record stops here).
    if (platformFacts !== undefined && plan.services.length > 0) {
        new PlatformReference("platform", { ...platformFacts, platformStack: plan.config.platformStack ?? "" });
    }

    const workloadEnv = plan.platform.collectors[0]?.workloadEnv ?? {};
    for (const s of plan.services) {
        const image = releases.find((r) => r.service === s && r.config.flag === undefined);
        if (image === undefined) throw new Error(`no progression decision for service "${s.name}"`);
        const rollouts = releases.filter((r) => r.service === s && r.config.flag !== undefined);
        const namespace = platform.namespaces.filter((_, i) => plan.namespaces[i]?.name === s.namespace);
        const service = new CanaryService(
            s.name,
            {
                service: s,
                decision: image.decision,
                previousState: image.previousState,
                record: image.record,
                workloadEnv,
                after: namespace,
                liveFlagRollout: rollouts.find((r) => canaryServes(r.decision.state) && r.decision.state.weight > 0)?.config,
            },
            { providers: { kubernetes: provider } },
        );
        out.sloSpecs.push(service.sloSpec);
        // The flag file after its rollouts' records: a share changes only once the pack has seen the decision that chose it.
        if (s.featureFlags !== undefined) {
            new FeatureFlags(
                s.name,
                { ...s.featureFlags, flags: flagsAfterDecisions(s.featureFlags.flags, rollouts), variantMetrics: variantMetricsOf(s) },
                { provider, dependsOn: [...namespace, ...rollouts.map((r) => r.record)] },
            );
        }
    }
    for (const r of releases) {
        const summary = describeRelease(r.previousState?.weight ?? 0, r.decision, r.verdict);
        out.releases[r.key] = summary;
        out.states[r.key] = r.decision.state;
        out.promotions[r.key] = recordPromotion(out.promotions[r.key] ?? [], r.decision.action, r.config.canaryImage, now.toISOString());
        out.starts[r.key] = recordStart(out.starts[r.key] ?? [], r.decision.action, now);
        pulumi.log.info(summaryLine(summary, r.key));
    }
    if (config.dashboardNamespace !== false && out.sloSpecs.length > 0)
        createDashboards(
            pulumi.getStack(),
            config.dashboardNamespace,
            out.sloSpecs,
            { provider },
            {
                lanes: config.lanes,
                members: config.services.map((s) => ({ service: s.name, canaryIn: s.routing.lanes?.canaryIn ?? [] })),
            },
        );
    return out;
}

/** Step 6, outputs: what the next update, services stacks and the policy pack read back. */
function stackOutputs(plan: StackPlan, platform: DeclaredPlatform, services: DeclaredServices): Record<string, unknown> {
    const { config } = plan;
    const { thanos, otel } = platform;
    // What services stacks read back; Thanos' URL and storage type are the component's own outputs.
    const platformOutput = thanos
        ? pulumi
              .all([thanos.queryUrl, thanos.storageType])
              .apply(([thanosQueryUrl, thanosStorageType]) => ({ ...plan.platform, thanosQueryUrl, thanosStorageType }))
        : pulumi.output(plan.platform);
    return {
        environment: config.environment,
        role: config.role,
        ...(config.role === "services" ? {} : { [PLATFORM_OUTPUT]: platformOutput }),
        releases: services.releases,
        [STATE_OUTPUT]: services.states,
        [PROMOTIONS_OUTPUT]: services.promotions,
        [STARTS_OUTPUT]: services.starts,
        ...(thanos ? { thanosQueryUrl: thanos.queryUrl, thanosStorageType: thanos.storageType } : {}),
        ...(otel ? { otelAgentEndpoint: otel.agentEndpoint, otelGatewayEndpoint: otel.gatewayEndpoint } : {}),
        grayNamespaces: platform.namespaces.map((n) => n.namespaceName),
    };
}

/**
 * Runs the whole stack and returns its outputs, in named steps: plan → read the previous state → decide → declare
 * the platform → declare the services → outputs. A program is just `export = runStack();`: a configuration error
 * leaves as a Pulumi RunError naming each key and value, printed without a JavaScript stack (see program-error.ts).
 */
export async function runStack(now: Date = new Date()): Promise<Record<string, unknown>> {
    try {
        return await runStackSteps(now);
    } catch (err) {
        throw reportableError(err);
    }
}

async function runStackSteps(now: Date): Promise<Record<string, unknown>> {
    const stack = pulumi.getStack();
    const raw = readRawConfig();
    const platformFacts = await readPlatform(raw);
    const plan = planStack(stack, raw, platformFacts);
    const previous = await readPreviousOutputs();
    const decisions = await decideAll(stack, plan.services, previous, now);
    const provider = kubernetesProvider(stack, plan.config);
    const platform = declarePlatform(plan, provider);
    const services = await declareServices(plan, decisions, previous, platform, provider, now, platformFacts);
    return stackOutputs(plan, platform, services);
}
