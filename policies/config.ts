/**
 * Policy configuration and per-environment enforcement.
 *
 * @pulumi/policy fixes the enforcement level per *policy* (pack default, policy default, or the
 * `enforcementLevel` given in the policy-pack config); `reportViolation` has no per-call level. To be
 * advisory in dev and mandatory in prod *within one pack*, every rule is registered twice:
 *
 *   <rule>            enforcementLevel "mandatory": reports violations of resources whose environment
 *                     resolves to level "mandatory";
 *   <rule>-advisory   enforcementLevel "advisory":  reports violations of resources whose environment
 *                     resolves to level "advisory".
 *
 * A resource in an environment whose level is "disabled" is reported by neither. The environment of a
 * resource is resolved (first hit wins) from: policy config `environment`; stack tag
 * `gray-release:environment`; a rule-specific hint (the CanaryRelease `environment` prop); the stack
 * name in the URN (`urn:pulumi:<stack>::...`, matched on its tokens, with aliases such as
 * production→prod, stg→staging); policy config `defaultEnvironment` (default "prod": fail closed).
 * The level of an environment comes from policy config `environments` (default dev=advisory,
 * staging=mandatory, prod=mandatory, "*" = mandatory).
 *
 * Config of the `-advisory` twin: the twin runs right after its primary for the same resource and uses
 * the primary's config (so configure only `<rule>`); if the primary is disabled the twin uses its own.
 */
import type {
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ENVIRONMENT_STACK_TAG } from "./contracts";

export type EnvLevel = "advisory" | "mandatory" | "disabled";
export const ENV_LEVELS: readonly EnvLevel[] = ["advisory", "mandatory", "disabled"];

export interface CommonConfig {
    /** Force the environment of every resource (e.g. in a pipeline: "prod"). */
    environment?: string;
    /** Environment used when nothing else resolves one. */
    defaultEnvironment: string;
    /** Environment name → enforcement level; "*" is the fallback. */
    environments: Record<string, EnvLevel>;
}

export const COMMON_DEFAULTS: CommonConfig = {
    defaultEnvironment: "prod",
    environments: { dev: "advisory", staging: "mandatory", prod: "mandatory", "*": "mandatory" },
};

export const COMMON_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    environment: {
        type: "string",
        description: "Force the environment name for every resource (overrides stack tag and stack name).",
    },
    defaultEnvironment: {
        type: "string",
        default: COMMON_DEFAULTS.defaultEnvironment,
        description: "Environment assumed when none can be resolved (fail closed: prod).",
    },
    environments: {
        type: "object",
        description: "Environment name → enforcement level (advisory|mandatory|disabled); '*' is the fallback.",
        additionalProperties: { type: "string", enum: [...ENV_LEVELS] },
        default: COMMON_DEFAULTS.environments,
    },
};

const ALIASES: Record<string, string> = {
    production: "prod",
    prd: "prod",
    live: "prod",
    stage: "staging",
    stg: "staging",
    preprod: "staging",
    "pre-prod": "staging",
    development: "dev",
    develop: "dev",
    local: "dev",
    test: "dev",
    sandbox: "dev",
};

/** Stack name of a URN `urn:pulumi:<stack>::<project>::<type>::<name>`, or undefined. */
export function stackOfUrn(urn: string | undefined): string | undefined {
    if (!urn) return undefined;
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    return m ? m[1] : undefined;
}

/**
 * Maps a stack or environment name onto a known environment: exact name, alias, or the right-most
 * token (split on non-alphanumerics) that is a known name or alias ("payments-prod" → "prod").
 */
export function normalizeEnvironment(name: string | undefined, known: readonly string[]): string | undefined {
    if (!name) return undefined;
    const n = name.toLowerCase();
    const isKnown = (s: string) => known.includes(s);
    if (isKnown(n)) return n;
    if (ALIASES[n] !== undefined && isKnown(ALIASES[n]!)) return ALIASES[n];
    const tokens = n.split(/[^a-z0-9]+/).filter((t) => t.length > 0);
    for (let i = tokens.length - 1; i >= 0; i--) {
        const t = tokens[i]!;
        if (isKnown(t)) return t;
        const a = ALIASES[t];
        if (a !== undefined && isKnown(a)) return a;
    }
    return undefined;
}

/** The environments a name can resolve to: dev, staging, prod and every key of `environments`. */
export function knownEnvironments(cfg: CommonConfig): string[] {
    const names = new Set<string>(["dev", "staging", "prod"]);
    for (const k of Object.keys(cfg.environments ?? {})) if (k !== "*") names.add(k.toLowerCase());
    return [...names];
}

export function resolveEnvironment(
    cfg: CommonConfig,
    opts: { urn?: string | undefined; hint?: string | undefined; stackTags?: ReadonlyMap<string, string> | undefined },
): string {
    const known = knownEnvironments(cfg);
    if (cfg.environment) return normalizeEnvironment(cfg.environment, known) ?? cfg.environment;
    const tag = opts.stackTags?.get(ENVIRONMENT_STACK_TAG);
    if (tag) return normalizeEnvironment(tag, known) ?? tag;
    if (opts.hint) return normalizeEnvironment(opts.hint, known) ?? opts.hint;
    const fromStack = normalizeEnvironment(stackOfUrn(opts.urn), known);
    if (fromStack) return fromStack;
    return cfg.defaultEnvironment;
}

export function levelOfEnvironment(cfg: CommonConfig, env: string): EnvLevel {
    const envs = cfg.environments ?? {};
    return envs[env] ?? envs["*"] ?? "mandatory";
}

/** Shallow merge of user config over defaults, ignoring undefined values and the engine's enforcementLevel. */
export function mergeConfig<C extends object>(defaults: C, user: Record<string, unknown> | undefined): C {
    const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [k, v] of Object.entries(user ?? {})) {
        if (k === "enforcementLevel" || v === undefined || v === null) continue;
        out[k] = v;
    }
    return out as C;
}

// ---------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------

/** "<name> (<urn>)" */
export function where(r: { name: string; urn: string }): string {
    return `${r.name} (${r.urn})`;
}

/** Every violation message says what is wrong, where (resource and field) and how to fix it. */
export function violation(p: { problem: string; resource: { name: string; urn: string }; field?: string; fix: string }): string {
    const loc = `resource ${where(p.resource)}` + (p.field ? `, field ${p.field}` : "");
    return `${p.problem}. Where: ${loc}. Fix: ${p.fix}`;
}

// ---------------------------------------------------------------------------------------------------------
// Rule definition → two policy variants
// ---------------------------------------------------------------------------------------------------------

export type FullConfig<C> = C & CommonConfig;

export interface RuleContext<C> {
    config: FullConfig<C>;
    /** Environment of a resource (by URN, with an optional hint such as the CanaryRelease environment). */
    environmentOf(urn: string | undefined, hint?: string): string;
}

/** Reports a violation; `urn` defaults to the validated resource (resource rules); `environment` overrides the resolved one. */
export type RuleReport = (message: string, at?: { urn?: string; environment?: string }) => void;

interface RuleBase<C> {
    name: string;
    description: string;
    severity: "low" | "medium" | "high" | "critical";
    remediationSteps?: string;
    defaults: C;
    configProperties?: Record<string, PolicyConfigJSONSchema>;
    /**
     * Rule-specific defaults of the per-environment levels, merged over COMMON_DEFAULTS.environments (and under
     * the user's `environments`), e.g. release-window: `{ staging: "advisory" }`.
     */
    environmentDefaults?: Record<string, EnvLevel>;
}

/** Default levels per environment of a rule: the common ones with the rule's own over them. */
export function defaultEnvironmentsOf(rule: Pick<RuleBase<unknown>, "environmentDefaults">): Record<string, EnvLevel> {
    return { ...COMMON_DEFAULTS.environments, ...(rule.environmentDefaults ?? {}) };
}

export interface ResourceRule<C> extends RuleBase<C> {
    kind: "resource";
    validate(args: ResourceValidationArgs, ctx: RuleContext<C>, report: RuleReport): void | Promise<void>;
}

export interface StackRule<C> extends RuleBase<C> {
    kind: "stack";
    validate(args: StackValidationArgs, ctx: RuleContext<C>, report: RuleReport): void | Promise<void>;
}

export type Rule<C = any> = ResourceRule<C> | StackRule<C>;

export const ADVISORY_SUFFIX = "-advisory";
const primaryConfigs = new Map<string, Record<string, unknown>>();

/** For tests: forget configs captured from primaries. */
export function resetMirroredConfig(): void {
    primaryConfigs.clear();
}

function effectiveConfig<C extends object>(rule: Rule<C>, variant: EnvLevel, own: Record<string, unknown>): FullConfig<C> {
    let user = own;
    if (variant === "mandatory") primaryConfigs.set(rule.name, own);
    else user = primaryConfigs.get(rule.name) ?? own;
    const merged = mergeConfig<FullConfig<C>>({ ...COMMON_DEFAULTS, ...rule.defaults } as FullConfig<C>, user);
    // Environments merge key by key, so `{ prod: "advisory" }` keeps the other defaults.
    merged.environments = { ...defaultEnvironmentsOf(rule), ...((user?.["environments"] as Record<string, EnvLevel>) ?? {}) };
    return merged;
}

function makeVariant<C extends object>(rule: Rule<C>, variant: "mandatory" | "advisory"): Policy {
    const name = variant === "mandatory" ? rule.name : rule.name + ADVISORY_SUFFIX;
    const base = {
        name,
        description:
            variant === "mandatory"
                ? `${rule.description} (reports resources of environments whose level is mandatory)`
                : `${rule.description} (reports resources of environments whose level is advisory)`,
        enforcementLevel: variant as EnforcementLevel,
        severity: rule.severity,
        ...(rule.remediationSteps ? { remediationSteps: rule.remediationSteps } : {}),
        // The engine fills every schema default into the config it sends, so the schema default of `environments`
        // must be this rule's own defaults, or it would override them.
        configSchema: {
            properties: {
                ...COMMON_SCHEMA,
                environments: { ...COMMON_SCHEMA["environments"]!, default: defaultEnvironmentsOf(rule) },
                ...(rule.configProperties ?? {}),
            },
        },
    };
    const makeCtx = (own: Record<string, unknown>, stackTags: ReadonlyMap<string, string> | undefined, selfUrn?: string) => {
        const config = effectiveConfig(rule, variant, own);
        const ctx: RuleContext<C> = {
            config,
            environmentOf: (urn, hint) => resolveEnvironment(config, { urn: urn ?? selfUrn, hint, stackTags }),
        };
        const filtered =
            (reportViolation: ReportViolation): RuleReport =>
            (message, at) => {
                const urn = at?.urn ?? selfUrn;
                const env = at?.environment ?? ctx.environmentOf(urn);
                if (levelOfEnvironment(config, env) !== variant) return;
                reportViolation(`[${env}] ${message}`, urn);
            };
        return { ctx, filtered };
    };
    if (rule.kind === "resource") {
        const p: ResourceValidationPolicy = {
            ...base,
            validateResource: async (args, reportViolation) => {
                const { ctx, filtered } = makeCtx(args.getConfig<Record<string, unknown>>(), args.stackTags, args.urn);
                await rule.validate(args, ctx, filtered(reportViolation));
            },
        };
        return p;
    }
    const p: StackValidationPolicy = {
        ...base,
        validateStack: async (args, reportViolation) => {
            const { ctx, filtered } = makeCtx(args.getConfig<Record<string, unknown>>(), args.stackTags);
            await rule.validate(args, ctx, filtered(reportViolation));
        },
    };
    return p;
}

/** The two registered policies of a rule: primary (mandatory) then its advisory twin. */
export function policiesOf(rule: Rule): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [makeVariant(rule, "mandatory"), makeVariant(rule, "advisory")] as (ResourceValidationPolicy | StackValidationPolicy)[];
}
