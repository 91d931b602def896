/**
 * Checks of the user's own (`analysis.checks`, and the stack-wide `gray-release:analysisChecks`): a PromQL template
 * with placeholders, a threshold and a direction (or a comparison with the same query for stable), and what a
 * breach does: `rollback` (the verdict fails), `pause` (the canary holds and never advances until the check clears,
 * without counting toward `inconclusiveBeforeFail`) or `warn` (recorded only). The queries ride in the one batched
 * query of the analysis (queries.ts), as measurements `custom:<name>` and `custom:<name>:stable`.
 *
 * Unknown data is never a pass: a query that returns no series, several series or a non-finite value makes a
 * `rollback`/`pause` check `inconclusive` (a `warn` check records it as `warn`).
 *
 * This file imports nothing of config.ts or queries.ts (both import it), so the schema and the rendering take plain
 * values.
 */
import { z } from "zod";
import { toPromQLRange } from "./duration";
import { LATENCY_BUCKETS_MEASURE, MEASURE_NAMES, STABLE_LATENCY_BUCKETS_MEASURE } from "./measures";
import type { CheckResult } from "./verdict";

/** The placeholders a query may use, `{{name}}`. */
export const CUSTOM_PLACEHOLDERS = ["service", "namespace", "version", "canaryVersion", "stableVersion", "window"] as const;
/** One placeholder name. */
export type CustomPlaceholder = (typeof CUSTOM_PLACEHOLDERS)[number];

/** Prefix of the `measure` label (and of the check name in a verdict) of a custom check. */
export const CUSTOM_PREFIX = "custom:";
/** Suffix of the `measure` label of a compared check's stable side. */
export const STABLE_SUFFIX = ":stable";

/**
 * Names of the built-in measurements and checks: a custom check may not take one, so a verdict or a dashboard never
 * shows two things under one name.
 */
export const BUILT_IN_NAMES: ReadonlyArray<string> = [
    ...MEASURE_NAMES,
    LATENCY_BUCKETS_MEASURE,
    STABLE_LATENCY_BUCKETS_MEASURE,
    // The built-in checks of a verdict (evaluate.ts, latency-comparison.ts).
    "errorRate",
    "burnRate",
    "errorRateDelta",
    "comparison",
    "baseline",
    "p95",
    "p99",
    "p95VsStable",
    "p99VsStable",
    "restarts",
];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names used in `query`, in order of appearance (with repeats). */
export function placeholdersOf(query: string): string[] {
    return [...query.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

/**
 * The first bracket or quote of `query` left unbalanced, outside string literals and comments, or undefined. Not a
 * parser (the package has none; the tests use promtool): it catches the common slip at config time, where a query
 * Prometheus refuses would otherwise be an `error` verdict (a hold) of its service (analysis.ts asks per release then).
 */
export function promqlShapeProblem(query: string): string | undefined {
    const open: Array<{ char: string; at: number }> = [];
    const closing: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
    for (let i = 0; i < query.length; i++) {
        const ch = query[i]!;
        if (ch === "#") {
            while (i < query.length && query[i] !== "\n") i++;
        } else if (ch === '"' || ch === "'" || ch === "`") {
            const start = i;
            for (i++; i < query.length && query[i] !== ch; i++) if (ch !== "`" && query[i] === "\\") i++;
            if (i >= query.length) return `unterminated string starting at character ${start + 1}`;
        } else if (ch === "(" || ch === "[" || ch === "{") {
            // Placeholders ({{name}}) are not braces of the query.
            if (ch === "{" && query[i + 1] === "{") {
                const end = query.indexOf("}}", i);
                if (end !== -1) {
                    i = end + 1;
                    continue;
                }
            }
            open.push({ char: ch, at: i });
        } else if (ch === ")" || ch === "]" || ch === "}") {
            const top = open.pop();
            if (top === undefined || top.char !== closing[ch]) return `unbalanced "${ch}" at character ${i + 1}`;
        }
    }
    const left = open.pop();
    return left === undefined ? undefined : `unclosed "${left.char}" at character ${left.at + 1}`;
}

const customCheckSchema = z
    .object({
        name: z
            .string()
            .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, "must start with a letter and hold only letters, digits, _ and - (at most 63)")
            .refine((n) => !BUILT_IN_NAMES.includes(n), {
                error: (issue) => `"${String(issue.input)}" is the name of a built-in measurement or check`,
            })
            .meta({ description: "Name of the check; reported as `custom:<name>` in the verdict's checks. Unique per service." }),
        query: z
            .string()
            .min(1)
            .superRefine((query, ctx) => {
                const shape = promqlShapeProblem(query);
                if (shape !== undefined) ctx.addIssue({ code: "custom", message: `not PromQL: ${shape}` });
                for (const name of placeholdersOf(query)) {
                    if (!(CUSTOM_PLACEHOLDERS as ReadonlyArray<string>).includes(name))
                        ctx.addIssue({
                            code: "custom",
                            message: `unknown placeholder {{${name}}}: use ${CUSTOM_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`,
                        });
                }
            })
            .meta({
                description:
                    "PromQL instant query that returns ONE number (aggregate: `sum(...)`, `max(...)`, `histogram_quantile(q, sum by (le) (...))`). Placeholders: `{{service}}`, `{{namespace}}`, `{{version}}` (the version label of the side measured: the canary's, or stable's for the `compare` side), `{{canaryVersion}}`, `{{stableVersion}}`, `{{window}}` (`analysis.window` as a PromQL range, e.g. `300s`). No series, several series or NaN is unknown: the check is `inconclusive`, never a pass.",
            }),
        threshold: z.number().refine(Number.isFinite, "must be a finite number").meta({
            description: "Limit the value (or, with `compare`, the canary/stable ratio or difference) is judged against.",
        }),
        direction: z.enum(["above", "below"]).meta({
            description: "`above`: the check breaches when the value is above `threshold`; `below`: when it is below.",
        }),
        compare: z
            .object({
                against: z.literal("stable").meta({ description: "What the canary is compared with; only `stable`." }),
                mode: z.enum(["ratio", "difference"]).meta({ description: "`ratio`: canary ÷ stable; `difference`: canary − stable." }),
            })
            .strict()
            .optional()
            .meta({
                description:
                    "Run the same query for stable (`{{version}}` = the stable version label) and judge canary÷stable or canary−stable instead of the canary's value. A ratio over a stable of 0 is unknown (inconclusive).",
            }),
        action: z.enum(["rollback", "pause", "warn"]).meta({
            description:
                "What a breach does. `rollback`: the verdict is `fail` (rolled back as any failure). `pause`: the canary holds at its step and never advances until the check clears; the hold does not count toward `semantics.inconclusiveBeforeFail` (`semantics.maxTimeAtStep` still applies). `warn`: recorded in the verdict (outcome `warn`), never changes it.",
        }),
    })
    .strict();

/** One custom check as written. */
export type CustomCheckInput = z.input<typeof customCheckSchema>;
/** One custom check after validation. */
export type CustomCheck = z.output<typeof customCheckSchema>;

/** A list of custom checks with unique names; problems are reported at the duplicate's `name`. */
export const customChecksSchema = z
    .array(customCheckSchema)
    .default([])
    .superRefine((checks, ctx) => {
        const first = new Map<string, number>();
        checks.forEach((c, i) => {
            const seen = first.get(c.name);
            if (seen !== undefined)
                ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate check name "${c.name}" (also checks[${seen}])` });
            else first.set(c.name, i);
        });
    });

/** What the placeholders of one service stand for. */
export interface CustomQueryContext {
    /** `{{service}}`. */
    readonly service: string;
    /** `{{namespace}}`; undefined when the configuration does not know it (then no query may use it). */
    readonly namespace: string | undefined;
    /** `{{canaryVersion}}` (and `{{version}}` on the canary side). */
    readonly canaryVersion: string;
    /** `{{stableVersion}}` (and `{{version}}` on the stable side). */
    readonly stableVersion: string;
    /** `analysis.window` in milliseconds, for `{{window}}`. */
    readonly windowMs: number;
}

/** Escapes a value for use inside a double-quoted PromQL string, where placeholders usually sit. */
function escapeInString(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `query` with every placeholder filled for the canary (`side: "canary"`) or the stable side. */
export function renderCustomQuery(query: string, context: CustomQueryContext, side: "canary" | "stable"): string {
    const values: Record<CustomPlaceholder, string | undefined> = {
        service: context.service,
        namespace: context.namespace,
        version: side === "canary" ? context.canaryVersion : context.stableVersion,
        canaryVersion: context.canaryVersion,
        stableVersion: context.stableVersion,
        window: toPromQLRange(context.windowMs),
    };
    return query.replace(PLACEHOLDER, (whole, name: string) => {
        const value = values[name as CustomPlaceholder];
        // Validation refuses unknown and unfillable placeholders; leaving one in makes Prometheus refuse the query loudly.
        return value === undefined ? whole : escapeInString(value);
    });
}

/** The `measure` label of a check's canary (or stable) side. */
export function customMeasure(name: string, side: "canary" | "stable" = "canary"): string {
    return `${CUSTOM_PREFIX}${name}${side === "stable" ? STABLE_SUFFIX : ""}`;
}

/** Every query of `checks` for one service: `[measure, PromQL]`, the stable side after its canary side. */
export function customCheckQueries(checks: ReadonlyArray<CustomCheck>, context: CustomQueryContext): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const c of checks) {
        out.push([customMeasure(c.name), renderCustomQuery(c.query, context, "canary")]);
        if (c.compare !== undefined) out.push([customMeasure(c.name, "stable"), renderCustomQuery(c.query, context, "stable")]);
    }
    return out;
}

/**
 * Problems of checks whose queries use `{{namespace}}` when the service's namespace is unknown, as
 * `[index, message]` (reported at `checks[index].query`).
 */
export function namespaceProblems(checks: ReadonlyArray<CustomCheck>, namespace: string | undefined): Array<[number, string]> {
    if (namespace !== undefined) return [];
    const out: Array<[number, string]> = [];
    checks.forEach((c, i) => {
        if (placeholdersOf(c.query).includes("namespace"))
            out.push([i, "uses {{namespace}} but the service's namespace is not known: set `namespace` (the stack program sets it)"]);
    });
    return out;
}

/** The values returned per `measure` label (one per series; several mean the query was not aggregated). */
export type CustomValues = Readonly<Record<string, ReadonlyArray<number>>>;

type Reading = { readonly value: number } | { readonly unknown: string };

function read(values: CustomValues | undefined, measure: string, side: string): Reading {
    const found = values?.[measure] ?? [];
    if (found.length === 0) return { unknown: `no data: the ${side} query returned no series` };
    if (found.length > 1)
        return { unknown: `the ${side} query returned ${found.length} series, not one number: aggregate it (sum, max, histogram_quantile)` };
    const v = found[0]!;
    if (!Number.isFinite(v)) return { unknown: `the ${side} query returned ${v}` };
    return { value: v };
}

/** Judges every check against the values the batched query returned. Pure; never throws. */
export function evaluateCustomChecks(checks: ReadonlyArray<CustomCheck>, values: CustomValues | undefined): CheckResult[] {
    return checks.map((c) => evaluateCustomCheck(c, values));
}

function evaluateCustomCheck(c: CustomCheck, values: CustomValues | undefined): CheckResult {
    const name = `${CUSTOM_PREFIX}${c.name}`;
    const action = `action ${c.action}`;
    const unknown = (why: string): CheckResult => ({
        name,
        outcome: c.action === "warn" ? "warn" : "inconclusive",
        measured: null,
        threshold: c.threshold,
        detail: `${why}; ${action}`,
    });
    const canary = read(values, customMeasure(c.name), "canary");
    if ("unknown" in canary) return unknown(canary.unknown);
    let measured = canary.value;
    let what = `${round(canary.value)}`;
    if (c.compare !== undefined) {
        const stable = read(values, customMeasure(c.name, "stable"), "stable");
        if ("unknown" in stable) return unknown(stable.unknown);
        if (c.compare.mode === "ratio") {
            if (stable.value === 0) return unknown(`canary ${round(canary.value)} / stable 0: no ratio`);
            measured = canary.value / stable.value;
            what = `canary/stable ${round(measured)} (canary ${round(canary.value)}, stable ${round(stable.value)})`;
        } else {
            measured = canary.value - stable.value;
            what = `canary−stable ${round(measured)} (canary ${round(canary.value)}, stable ${round(stable.value)})`;
        }
    }
    const breached = c.direction === "above" ? measured > c.threshold : measured < c.threshold;
    const sign = c.direction === "above" ? (breached ? ">" : "≤") : breached ? "<" : "≥";
    const outcome = !breached ? "pass" : c.action === "rollback" ? "fail" : c.action === "pause" ? "hold" : "warn";
    return { name, outcome, measured, threshold: c.threshold, detail: `${what} ${sign} ${c.threshold}; ${action}` };
}

function round(x: number): number {
    return Math.round(x * 1000) / 1000;
}
