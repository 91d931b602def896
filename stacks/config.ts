/**
 * The stack configuration (`stacks/Pulumi.<stack>.yaml`, namespace `gray-release`): a composition of the
 * components' own schemas, parsed once into a typed {@link StackConfig} before any resource is registered. Every
 * problem of every part is reported at once, at the path the user wrote (`services[0].routing.optInHeaders[0].name`).
 */
import { z } from "zod";
import { canaryRoutingArgsSchema, laneDefinitionSchema, type PlainCanaryRoutingArgs } from "../components/canary-routing";
import { canaryWorkloadArgsSchema, type PlainCanaryWorkloadArgs } from "../components/canary-workload";
import { dnsLabel } from "../components/common/k8s-names";
import { formatPath, InvalidArgsError, valueAt } from "../components/common/validation";
import { featureFlagsArgsSchema, type ResolvedFeatureFlagsArgs } from "../components/feature-flags";
import { grayNamespaceArgsSchema, type PlainGrayNamespaceArgs } from "../components/gray-namespace";
import { agentPodSelector, otelCollectorArgsSchema, type PlainOtelCollectorArgs } from "../components/otel-collector";
import { type CanaryRulesArgs, type PlainSloRulesArgs, sloRulesArgsSchema } from "../components/slo-rules";
import { type PlainThanosArgs, type ResolvedThanosArgs, thanosArgsSchema, thanosUrls } from "../components/thanos";
import { type ProgressionConfig, type ProgressionConfigInput, progressionConfigSchema, versionLabels } from "../progression/config";
import { customChecksSchema } from "../progression/custom-checks";
import { analysisSignals } from "../progression/signals";
import { sloCanaryArgs } from "./canary-service";
import { type FlagRollout, flagProgressionInput, flagRolloutSchema, rolloutProblems, type ServiceFeatureFlags } from "./flag-rollouts";

/**
 * Keys of each part the program fills itself, from the service's own keys or from the decision of the update; a
 * value written for one of them in the stack config is refused rather than silently overridden.
 */
const MANAGED = {
    routing: ["service", "namespace", "canaryWeight", "canaryAvailable"],
    workload: [
        "service",
        "namespace",
        "stableImage",
        "canaryImage",
        "stableVersionLabel",
        "canaryVersionLabel",
        "canaryWeight",
        "canaryReplicas",
        "latencyBuckets",
    ],
    slo: ["service"],
    featureFlags: ["namespace"],
    progression: ["service", "environment", "namespace", "stableImage", "canaryImage", "flag"],
} as const;

/** Routing settings as the stack config holds them (the component's args less the keys the program fills). */
export type ServiceRouting = Omit<PlainCanaryRoutingArgs, (typeof MANAGED.routing)[number]>;
/** Workload settings as the stack config holds them. */
export type ServiceWorkload = Omit<PlainCanaryWorkloadArgs, (typeof MANAGED.workload)[number]>;
/** SloRules settings as the stack config holds them (`namespace` defaults to the service's). */
export type ServiceSlo = Omit<PlainSloRulesArgs, (typeof MANAGED.slo)[number] | "namespace"> & { namespace?: string };
/** Progression settings as the stack config holds them. */
export type ServiceProgression = Omit<ProgressionConfigInput, (typeof MANAGED.progression)[number]>;

/** A part of a service or of the platform: an object whose keys the component's schema checks (see below). */
const part = <T>(what: string) =>
    z.custom<T>((v) => v !== null && typeof v === "object" && !Array.isArray(v), { message: `must be an object of ${what} settings` });

/** One service under canary release in this stack. */
const serviceSchema = z
    .object({
        name: dnsLabel.meta({ description: "Service name (the Kubernetes Service, Istio destination workload and SLO service label)." }),
        namespace: dnsLabel.meta({ description: "Namespace the service runs in: usually one of the stack's gray namespaces." }),
        stableImage: z.string().min(1).meta({ description: "Image serving as stable, pinned by tag or digest." }),
        canaryImage: z.string().min(1).meta({ description: "Image being rolled out, pinned by tag or digest." }),
        progression: part<ServiceProgression>("progression").meta({
            description: "Progression settings (steps, minIntervalBetweenSteps, analysis, semantics, controls): see Progression.",
        }),
        routing: part<ServiceRouting>("CanaryRouting")
            .optional()
            .meta({ description: "CanaryRouting settings (opt-in headers, allowlist, mirroring, sticky sessions, ...): see CanaryRouting." }),
        workload: part<ServiceWorkload>("CanaryWorkload")
            .optional()
            .meta({ description: "CanaryWorkload settings (replicas, ports, resources, env): see CanaryWorkload." }),
        slo: part<ServiceSlo>("SloRules").meta({ description: "SloRules settings (slos, runbookUrl, canary thresholds, dashboard): see SloRules." }),
        featureFlags: part<ServiceFeatureFlags>("FeatureFlags").optional().meta({
            description:
                "The service's feature flags (FeatureFlags settings: flags, approvals, configMapName, ...) and `rollouts`: flag variants rolled out to a growing share of users, one step per update on the service's analysis, as a canary. See docs/feature-flags.md.",
        }),
        release: z
            .object({
                owner: z
                    .string()
                    .min(1)
                    .optional()
                    .meta({ description: "The named SLO owner of the service's releases (a person or team, e.g. `team-checkout`)." }),
                riskAssessment: z.string().min(1).optional().meta({
                    description:
                        "Where the risk assessment of the current release is (DB changes, third-party compatibility, rollback steps), e.g. a URL.",
                }),
                core: z
                    .boolean()
                    .default(false)
                    .meta({ description: "A core service: the policy pack allows it one canary start per core interval (default biweekly)." }),
            })
            .strict()
            .prefault({})
            .meta({ description: "Who answers for a release and how often the service may release (the policy pack checks both)." }),
    })
    .strict();

/** Shared parts of the environment: gray namespaces, Thanos, OpenTelemetry collectors. */
const platformSchema = z
    .object({
        namespaces: z
            .array(part<PlainGrayNamespaceArgs>("GrayNamespace"))
            .default([])
            .meta({ description: "GrayNamespace args, one per gray namespace." }),
        thanos: part<PlainThanosArgs>("Thanos").optional().meta({ description: "Thanos args; omit to use an existing metrics stack." }),
        otel: part<PlainOtelCollectorArgs>("OtelCollector")
            .optional()
            .meta({ description: "OtelCollector args; omit to use an existing collector." }),
    })
    .strict();

/**
 * What a stack owns. `platform`: the shared parts of one environment (gray namespaces, Thanos, collectors), for
 * the platform team. `services`: canary releases of services, consuming a platform stack's outputs through a
 * StackReference, for service teams. `all`: both in one stack, for a single team or a demo.
 */
export const STACK_ROLES = ["all", "platform", "services"] as const;

const stackRoleSchema = {
    role: z.enum(STACK_ROLES).default("all").meta({ description: "What this stack owns: `all` (default), `platform` or `services`." }),
    platformStack: z.string().min(1).optional().meta({
        description:
            "The platform stack a `services` stack builds on: a stack name of this project (`platform-dev`) or a fully qualified `org/project/stack`.",
    }),
};

export const stackConfigSchema = z
    .object({
        environment: z
            .string()
            .regex(/^[a-z][a-z0-9-]*$/, { message: "must be a lowercase name like dev or prod" })
            .meta({ description: "Environment name (dev, staging, prod); gates what the policy pack and the progression allow." }),
        ...stackRoleSchema,
        platform: platformSchema.prefault({}).meta({ description: "Shared platform components." }),
        services: z.array(serviceSchema).default([]).meta({ description: "Services under canary release." }),
        lanes: z.array(laneDefinitionSchema).default([]).meta({
            description:
                "Lanes across the stack's services: a request marked with a lane (header `x-gray-lane: <name>` or baggage `gray-lane=<name>`) meets the canary of every service whose `routing.lanes.canaryIn` names the lane, and stable elsewhere. Every service gets a route per lane. See docs/lanes.md.",
        }),
        analysisChecks: customChecksSchema.meta({
            description:
                "Custom analysis checks of every service of the stack (same shape as `progression.analysis.checks`), added after each service's own; a service's check of the same name replaces the stack's. See docs/custom-checks.md.",
        }),
        renderDir: z.string().min(1).optional().meta({
            description:
                "Without `gray-release:kubeconfig`: the folder the Kubernetes provider renders YAML into, relative to the project (the folder of `Pulumi.yaml`) or absolute. Default `rendered/<stack>`.",
        }),
        dashboardNamespace: z
            .union([dnsLabel, z.literal(false)])
            .default("monitoring")
            .meta({
                description:
                    "Namespace of the shared canary dashboards (ConfigMaps labelled for the Grafana sidecar, one dashboard per service); `false` creates none.",
            }),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        if (cfg.role === "services" && cfg.platformStack === undefined) {
            ctx.addIssue({ code: "custom", path: ["platformStack"], message: "a services stack needs platformStack" });
        }
        if (cfg.role !== "services" && cfg.platformStack !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["platformStack"],
                message: `only a services stack reads a platform stack (role is "${cfg.role}")`,
            });
        }
        if (cfg.role === "platform" && cfg.services.length > 0) {
            ctx.addIssue({ code: "custom", path: ["services"], message: "a platform stack has no services: put them in a services stack" });
        }
        const p = cfg.platform;
        if (cfg.role === "services" && (p.namespaces.length > 0 || p.thanos !== undefined || p.otel !== undefined)) {
            ctx.addIssue({ code: "custom", path: ["platform"], message: "a services stack uses its platform stack's parts: move them there" });
        }
        const seen = new Set<string>();
        cfg.services.forEach((s, i) => {
            if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["services", i, "name"], message: `duplicate service "${s.name}"` });
            seen.add(s.name);
        });
    });

/** A service after parsing: its parts checked by their components' schemas, progression resolved. */
export type ServiceConfig = Omit<z.output<typeof serviceSchema>, "progression" | "routing" | "workload" | "slo" | "featureFlags"> & {
    progression: ProgressionConfig;
    routing: ServiceRouting;
    workload: ServiceWorkload;
    slo: ServiceSlo;
    /** The FeatureFlags args of the service (namespace set), when it has flags. */
    featureFlags: ResolvedFeatureFlagsArgs | undefined;
    /** One progression config per flag rollout (`featureFlags.rollouts`), each a release of its own. */
    flagRollouts: ProgressionConfig[];
};

/** The whole stack configuration after parsing. */
export type StackConfig = Omit<z.output<typeof stackConfigSchema>, "services"> & { services: ServiceConfig[] };

/** Name of the stack's own Thanos component (role `all` or `platform`), which its Query URL derives from. */
export const THANOS_NAME = "thanos";

/** What the stack knows before parsing that the parts need: the platform's Thanos Query and agent pods. */
export interface StackContext {
    /** The stack's lanes (`gray-release:lanes`), as raw values: every service's routing gets them. */
    lanes?: unknown;
    /**
     * Default `analysis.prometheusUrl` of every service (a services stack: its platform's Thanos Query). Without it,
     * a stack with Thanos of its own (`platform.thanos`) defaults to that Thanos' Query.
     */
    prometheusUrl?: string;
    /** The stack-wide custom checks (`gray-release:analysisChecks`), as raw values: merged into every service's. */
    analysisChecks?: unknown;
}

type Problem = InvalidArgsError["problems"][number];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Problems of `schema` on `input`, at `where` + the key path within, values shown as the user wrote them. A problem
 * of a key the program filled (`injected`) is reported at the key of the service it came from.
 */
function checkPart(
    schema: z.ZodType,
    input: unknown,
    where: ReadonlyArray<PropertyKey>,
    written: unknown,
    injected: Readonly<Record<string, { path: ReadonlyArray<PropertyKey>; value: unknown }>> = {},
): { problems: Problem[]; data: unknown } {
    const result = schema.safeParse(input);
    if (result.success) return { problems: [], data: result.data };
    return {
        data: undefined,
        problems: result.error.issues.map((issue) => {
            const from = typeof issue.path[0] === "string" ? injected[issue.path[0]] : undefined;
            if (from !== undefined) return { path: formatPath(from.path), value: from.value, message: issue.message };
            return { path: formatPath([...where, ...issue.path]), value: valueAt(written, issue.path), message: issue.message };
        }),
    };
}

function managedProblems(part: keyof typeof MANAGED, written: unknown, where: ReadonlyArray<PropertyKey>): Problem[] {
    if (!isObject(written)) return [];
    return MANAGED[part]
        .filter((key) => key in written)
        .map((key) => ({
            path: formatPath([...where, key]),
            value: written[key],
            message: `set by the stack program (from the service's own keys or the decision of the update); remove it`,
        }));
}

/**
 * Validates the raw `gray-release:*` config values of a stack: the stack's own keys and every component part, all
 * problems at once. Throws {@link InvalidArgsError} naming each key path as written and its value.
 */
export function parseStackConfig(stack: string, raw: Record<string, unknown>, context: StackContext = {}): StackConfig {
    const subject = `stack "${stack}" config (gray-release:*)`;
    const problems: Problem[] = [];
    const base = checkPart(stackConfigSchema, raw, [], raw);
    problems.push(...base.problems);

    const environment = typeof raw["environment"] === "string" ? raw["environment"] : undefined;
    const platform = isObject(raw["platform"]) ? raw["platform"] : {};
    const otel = isObject(platform["otel"])
        ? checkPart(otelCollectorArgsSchema, platform["otel"], ["platform", "otel"], platform["otel"])
        : undefined;
    if (otel) problems.push(...otel.problems);
    let ownQueryUrl: string | undefined;
    if (platform["thanos"] !== undefined) {
        const thanos = checkPart(thanosArgsSchema, withThanosCredentials(platform["thanos"]), ["platform", "thanos"], platform["thanos"]);
        problems.push(...thanos.problems);
        if (thanos.data !== undefined) ownQueryUrl = thanosUrls(THANOS_NAME, thanos.data as ResolvedThanosArgs).query;
    }
    // `analysis: {}`: the platform stack's Thanos Query, else the stack's own Thanos Query.
    const sources: StackContext = {
        prometheusUrl: context.prometheusUrl ?? ownQueryUrl,
        lanes: raw["lanes"] ?? [],
        analysisChecks: raw["analysisChecks"],
    };

    // A namespace that does not configure `telemetry` sends it to exactly this stack's agent pods.
    const telemetry = otel?.data && { namespace: (otel.data as { namespace: string }).namespace, podSelector: agentPodSelector(otel.data as never) };
    const namespaces = Array.isArray(platform["namespaces"]) ? platform["namespaces"] : [];
    const namespaceNames = new Map<string, number>();
    const resolvedNamespaces: PlainGrayNamespaceArgs[] = namespaces.map((ns, i) => {
        const where = ["platform", "namespaces", i];
        const args = telemetry && isObject(ns) && !("telemetry" in ns) ? { ...ns, telemetry } : ns;
        problems.push(...checkPart(grayNamespaceArgsSchema, args, where, ns).problems);
        if (isObject(ns) && typeof ns["name"] === "string") {
            const first = namespaceNames.get(ns["name"]);
            if (first !== undefined)
                problems.push({
                    path: formatPath([...where, "name"]),
                    value: ns["name"],
                    message: `the same gray namespace as platform.namespaces[${first}]`,
                });
            else namespaceNames.set(ns["name"], i);
        }
        if (isObject(ns) && environment !== undefined && typeof ns["environment"] === "string" && ns["environment"] !== environment) {
            problems.push({
                path: formatPath([...where, "environment"]),
                value: ns["environment"],
                message: `a gray namespace of another environment: this stack's environment is "${environment}"`,
            });
        }
        return args as PlainGrayNamespaceArgs;
    });

    const services = (Array.isArray(raw["services"]) ? raw["services"] : []).map((s, i) => parseService(s, i, environment, sources, problems));
    if (problems.length > 0 || !base.data) throw new InvalidArgsError(subject, problems);
    const config = base.data as z.output<typeof stackConfigSchema>;
    return {
        ...config,
        platform: { ...config.platform, namespaces: resolvedNamespaces },
        services: config.services.map((s, i) => ({ ...s, ...services[i]! })),
    };
}

/** The parts of one service, checked by their components' schemas with the keys the program fills. */
function parseService(
    raw: unknown,
    i: number,
    environment: string | undefined,
    context: StackContext,
    problems: Problem[],
): Pick<ServiceConfig, "progression" | "routing" | "workload" | "slo" | "featureFlags" | "flagRollouts"> | undefined {
    if (!isObject(raw)) return undefined;
    const where = (part: string) => ["services", i, part];
    const at = (key: string) => ({ path: ["services", i, key], value: raw[key] });
    const own = { service: raw["name"], namespace: raw["namespace"] };
    const images = { stableImage: raw["stableImage"], canaryImage: raw["canaryImage"] };
    const fromService = { service: at("name"), namespace: at("namespace"), stableImage: at("stableImage"), canaryImage: at("canaryImage") };
    const written = isObject(raw["routing"]) ? raw["routing"] : {};
    // The lanes' definitions are the stack's (`gray-release:lanes`); a service says only which its canary serves.
    const writtenLanes = written["lanes"];
    if (isObject(writtenLanes) && writtenLanes["definitions"] !== undefined)
        problems.push({
            path: formatPath([...where("routing"), "lanes", "definitions"]),
            value: writtenLanes["definitions"],
            message: "is the stack's: define lanes in gray-release:lanes, and name the ones this canary serves in lanes.canaryIn",
        });
    const routing =
        writtenLanes === undefined || isObject(writtenLanes) ? { ...written, lanes: { ...writtenLanes, definitions: context.lanes ?? [] } } : written;
    const workload = isObject(raw["workload"]) ? raw["workload"] : {};
    const slo = isObject(raw["slo"]) ? raw["slo"] : {};
    const progression = isObject(raw["progression"]) ? raw["progression"] : {};
    for (const [name, part] of [
        ["routing", written],
        ["workload", workload],
        ["slo", slo],
        ["progression", progression],
    ] as const) {
        problems.push(...managedProblems(name, part, where(name)));
    }
    const analysis = isObject(progression["analysis"]) ? progression["analysis"] : undefined;
    const withSource =
        context.prometheusUrl !== undefined && (analysis === undefined || analysis["prometheusUrl"] === undefined)
            ? { ...progression, analysis: { ...analysis, prometheusUrl: context.prometheusUrl } }
            : progression;
    const checks = withStackChecks(withSource, context.analysisChecks);
    const parsed = checkPart(
        progressionConfigSchema,
        { ...checks.progression, ...images, service: raw["name"], environment, namespace: raw["namespace"] },
        where("progression"),
        progression,
        fromService,
    );
    // The stack's checks appended after the service's own are reported once, at gray-release:analysisChecks.
    const ownChecksPath = formatPath([...where("progression"), "analysis", "checks"]);
    parsed.problems = parsed.problems.filter((p) => {
        const m = p.path.startsWith(`${ownChecksPath}[`) ? /^\[(\d+)\]/.exec(p.path.slice(ownChecksPath.length)) : null;
        return m === null || Number(m[1]) < checks.ownCount;
    });
    const sourcePath = formatPath([...where("progression"), "analysis", "prometheusUrl"]);
    for (const p of parsed.problems) {
        if (p.path === sourcePath && p.value === undefined)
            p.message =
                "required here: this stack has no platform stack (platformStack) and no valid Thanos of its own (platform.thanos) whose Query it could default to";
    }
    // Each other part is checked as its component will receive it, with the keys the program fills.
    const labels = parsed.data ? versionLabels(parsed.data as ProgressionConfig) : { stable: "stable", canary: "canary" };
    const partProblems = [
        ...checkPart(canaryRoutingArgsSchema, { ...routing, ...own, canaryWeight: 0 }, where("routing"), written, fromService).problems,
        ...checkPart(
            canaryWorkloadArgsSchema,
            { ...workload, ...own, ...images, stableVersionLabel: labels.stable, canaryVersionLabel: labels.canary, canaryReplicas: 0 },
            where("workload"),
            workload,
            fromService,
        ).problems,
        ...checkPart(
            sloRulesArgsSchema,
            // With the version labels the program gives it (a canary part that is not an object is reported as written).
            {
                namespace: raw["namespace"],
                ...slo,
                service: raw["name"],
                canary:
                    isObject(slo["canary"]) || slo["canary"] === undefined
                        ? sloCanaryArgs(
                              slo["canary"] as CanaryRulesArgs | undefined,
                              labels,
                              parsed.data ? analysisSignals(parsed.data as ProgressionConfig) : undefined,
                          )
                        : slo["canary"],
            },
            where("slo"),
            slo,
            fromService,
        ).problems,
        ...parsed.problems,
    ];
    // A key of the service checked by several parts is reported once; a bad lane definition once, at gray-release:lanes.
    const seen = new Set(problems.map((p) => p.path));
    const definitions = formatPath([...where("routing"), "lanes", "definitions"]);
    for (const p of partProblems) if (p.path.startsWith(`${definitions}[`)) seen.add(p.path);
    const flags = parseFeatureFlags(raw, i, withSource, { environment, fromService });
    for (const p of [...partProblems, ...flags.problems]) if (!seen.has(p.path) && seen.add(p.path)) problems.push(p);
    return {
        progression: parsed.data as ProgressionConfig,
        routing: routing as ServiceRouting,
        workload: workload as ServiceWorkload,
        slo: slo as ServiceSlo,
        featureFlags: flags.args,
        flagRollouts: flags.rollouts,
    };
}

/**
 * `services[i].featureFlags`: the FeatureFlags args as the component will receive them (namespace set, each rolled-out
 * flag's share left to the decision), and each rollout's progression config, the service's own with the flag as the
 * release. Problems are reported at the keys as written: a rollout's own keys under `featureFlags.rollouts[j]`.
 */
function parseFeatureFlags(
    raw: Record<string, unknown>,
    i: number,
    progression: Record<string, unknown>,
    context: { environment: string | undefined; fromService: Record<string, { path: ReadonlyArray<PropertyKey>; value: unknown }> },
): { args: ResolvedFeatureFlagsArgs | undefined; rollouts: ProgressionConfig[]; problems: Problem[] } {
    const written = raw["featureFlags"];
    if (!isObject(written)) return { args: undefined, rollouts: [], problems: [] };
    const where = ["services", i, "featureFlags"];
    const { rollouts: writtenRollouts, ...flagArgs } = written;
    const problems: Problem[] = managedProblems("featureFlags", flagArgs, where);
    const args = checkPart(featureFlagsArgsSchema, { ...flagArgs, namespace: raw["namespace"] }, where, written, context.fromService);
    problems.push(...args.problems);
    const rollouts = checkPart(z.array(flagRolloutSchema).default([]), writtenRollouts, [...where, "rollouts"], writtenRollouts);
    problems.push(...rollouts.problems);
    if (args.data === undefined || rollouts.data === undefined) return { args: undefined, rollouts: [], problems };
    const resolved = args.data as ResolvedFeatureFlagsArgs;
    const list = rollouts.data as FlagRollout[];
    for (const p of rolloutProblems(resolved.flags, list))
        problems.push({ path: formatPath([...where, ...p.path]), value: valueAt(written, p.path), message: p.message });
    const configs: ProgressionConfig[] = [];
    list.forEach((rollout, j) => {
        const flag = resolved.flags.find((f) => f.key === rollout.flag);
        if (flag === undefined) return;
        const at = (key: string) => ({ path: [...where, "rollouts", j, key], value: (rollout as Record<string, unknown>)[key] });
        const parsed = checkPart(
            progressionConfigSchema,
            {
                ...flagProgressionInput(progression, flag, rollout),
                service: raw["name"],
                environment: context.environment,
                namespace: raw["namespace"],
            },
            ["services", i, "progression"],
            progression,
            {
                ...context.fromService,
                steps: at("steps"),
                minIntervalBetweenSteps: at("minIntervalBetweenSteps"),
                controls: at("controls"),
                flag: at("variant"),
            },
        );
        // The service's own keys are reported once, by the service's parse (the caller drops repeated paths).
        problems.push(...parsed.problems);
        if (parsed.data !== undefined) configs.push(parsed.data as ProgressionConfig);
    });
    return { args: resolved, rollouts: configs, problems };
}

/**
 * `progression` with the stack's custom checks (`gray-release:analysisChecks`) appended after the service's own
 * `analysis.checks`, less those a service check of the same name replaces; `ownCount` is how many are the service's.
 * Values that are not lists are left for the schemas to report.
 */
function withStackChecks(progression: Record<string, unknown>, stackChecks: unknown): { progression: Record<string, unknown>; ownCount: number } {
    const analysis = isObject(progression["analysis"]) ? progression["analysis"] : undefined;
    const own = analysis?.["checks"];
    const ownCount = Array.isArray(own) ? own.length : Number.POSITIVE_INFINITY;
    if (!Array.isArray(stackChecks) || stackChecks.length === 0 || (own !== undefined && !Array.isArray(own))) return { progression, ownCount };
    const ownList: unknown[] = own ?? [];
    const names = new Set(ownList.map((c) => (isObject(c) ? c["name"] : undefined)));
    const added = stackChecks.filter((c) => !(isObject(c) && names.has(c["name"])));
    return { progression: { ...progression, analysis: { ...analysis, checks: [...ownList, ...added] } }, ownCount: ownList.length };
}

/**
 * Credentials of `existing` object storage never sit in the platform object: they are the secret config keys
 * `gray-release:thanosAccessKey` and `gray-release:thanosSecretKey`, read where the component is declared. For
 * validation they are stand-ins.
 */
function withThanosCredentials(thanos: unknown): unknown {
    if (!isObject(thanos) || !isObject(thanos["storage"]) || thanos["storage"]["type"] !== "existing") return thanos;
    return { ...thanos, storage: { accessKey: "validated-as-secret", secretKey: "validated-as-secret", ...thanos["storage"] } };
}

/** The two keys that say whether and which platform stack to read, before the whole config can be parsed. */
export function platformStackOf(raw: Record<string, unknown>): { role: (typeof STACK_ROLES)[number]; platformStack?: string } | undefined {
    const result = z.object(stackRoleSchema).safeParse({ role: raw["role"], platformStack: raw["platformStack"] });
    return result.success ? result.data : undefined;
}
