/**
 * Flag definitions → flagd's flag configuration (https://flagd.dev/reference/flag-definitions/), checked by flagd's
 * own evaluation engine (`@openfeature/flagd-core`, the engine of the flagd providers' in-process mode), so what the
 * ConfigMap holds is what flagd loads.
 */
import { FlagdCore } from "@openfeature/flagd-core";
import type { FeatureFlag } from "./schema";

/** The JSON schema flagd validates flag files against. */
export const FLAGD_SCHEMA_URL = "https://flagd.dev/schema/v0/flags.json";

/** A JsonLogic expression, as flagd's targeting takes it. */
export type JsonLogic = { [operator: string]: unknown };

/** One flag as flagd reads it. */
export interface FlagdFlag {
    state: "ENABLED" | "DISABLED";
    variants: Record<string, unknown>;
    defaultVariant: string;
    targeting?: JsonLogic;
    metadata?: Record<string, string>;
}

/** A flagd flag file. */
export interface FlagdConfiguration {
    $schema: string;
    flags: Record<string, FlagdFlag>;
}

/** flagd's fractional weights are integers: a share is written in hundredths of a percent. */
const FRACTION_SCALE = 100;

/**
 * The flag's targeting: the rules in order (allowlist, canary version, lane), then the fractional share of the rest;
 * a request no rule matches gets the default variant (flagd's answer to a targeting that returns null).
 * `fractional` buckets by flag key and `targetingKey`, and lists the rolled-out variant first, so a user who has it
 * at 10 % keeps it at 25 %.
 */
export function flagdTargeting(flag: FeatureFlag): JsonLogic | undefined {
    const t = flag.targeting;
    const branches: unknown[] = [];
    if (t.allowlist) branches.push({ in: [{ var: t.allowlist.attribute }, t.allowlist.values] }, t.allowlist.variant);
    if (t.canary) branches.push({ "==": [{ var: t.canary.attribute }, t.canary.versionLabel] }, t.canary.variant);
    if (t.lane) branches.push({ "==": [{ var: t.lane.attribute }, t.lane.lane] }, t.lane.variant);
    let rest: JsonLogic | undefined;
    if (t.fraction) {
        const share = Math.round(t.fraction.percent * FRACTION_SCALE);
        rest = {
            fractional: [
                [t.fraction.variant, share],
                [flag.defaultVariant, 100 * FRACTION_SCALE - share],
            ],
        };
    }
    if (branches.length === 0) return rest;
    return { if: rest === undefined ? branches : [...branches, rest] };
}

/** The flagd flag file of these flags. */
export function flagdConfiguration(flags: ReadonlyArray<FeatureFlag>): FlagdConfiguration {
    const out: Record<string, FlagdFlag> = {};
    for (const flag of flags) {
        const targeting = flagdTargeting(flag);
        out[flag.key] = {
            state: flag.state,
            variants: flag.variants,
            defaultVariant: flag.defaultVariant,
            ...(targeting ? { targeting } : {}),
            ...(flag.description ? { metadata: { description: flag.description } } : {}),
        };
    }
    return { $schema: FLAGD_SCHEMA_URL, flags: out };
}

/** flagd refused the flag file: its own words. */
export class FlagdConfigurationError extends Error {
    constructor(
        subject: string,
        readonly problems: string[],
    ) {
        super(`${subject}: flagd refuses the flag configuration: ${problems.join("; ")}`);
        this.name = "FlagdConfigurationError";
    }
}

/**
 * Loads the flag file into flagd's engine: a file it refuses, or a targeting rule it would skip (flagd only logs a
 * warning and serves the default), is an error here. Returns the engine, loaded, for evaluation.
 */
export function loadIntoFlagd(configuration: FlagdConfiguration | string, subject = "FeatureFlags"): FlagdCore {
    const problems: string[] = [];
    const log = (...args: unknown[]) => problems.push(args.map(String).join(" "));
    const core = new FlagdCore(undefined, { error: log, warn: log, info: () => undefined, debug: () => undefined });
    const text = typeof configuration === "string" ? configuration : JSON.stringify(configuration);
    try {
        core.setConfigurations(text);
    } catch (e) {
        problems.unshift((e as Error).message);
    }
    if (problems.length > 0) throw new FlagdConfigurationError(subject, problems);
    return core;
}
