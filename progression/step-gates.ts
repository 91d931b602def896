/**
 * Gates per step: a condition the canary must meet, at one given step, before it may advance from it. The one
 * condition today is the brief's L3 rule, "with 1 % canary traffic, SLO attainment ≥ 99.9 % for 5 consecutive
 * minutes": the canary's success ratio meets the objective in each of the last N consecutive windows of length W.
 *
 * A gate never fails a canary: not met (or not measurable) it holds the canary where it is, as an `inconclusive`
 * verdict does, and only the regular checks can roll it back (a canary held too long is rolled back by
 * `semantics.inconclusiveBeforeFail` / `maxTimeAtStep`). Its measurements ride in the same batched query.
 */
import { z } from "zod";
import { parseDuration, toPromQLRange } from "./duration";
import type { AnalysisVerdict, CheckResult, VerdictKind } from "./verdict";

const GATE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const windowLengthMs = z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < 10_000 || ms % 1000 !== 0) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not a duration of whole seconds of at least 10s, like "1m"` });
        return z.NEVER;
    }
    return ms;
});

const sloAttainmentSchema = z
    .object({
        objective: z
            .number()
            .lt(100, "must be under 100 %")
            .refine((v) => v >= 50, {
                error: (issue) => `a percentage is expected (99.9 for 99.9 %), got ${String(issue.input)}`,
            })
            .meta({ description: "Success ratio in percent that the canary must reach in every window (the brief's L3: 99.9)." }),
        windows: z
            .number()
            .int()
            .min(1)
            .max(60)
            .default(5)
            .meta({ description: "How many consecutive windows, ending at the evaluation, must each meet the objective." }),
        windowLength: windowLengthMs
            .prefault("1m")
            .meta({ description: "Length of one window (whole seconds, at least 10s; at least two scrape intervals)." }),
        minRequestsPerWindow: z.number().int().min(1).default(1).meta({
            description:
                "Canary requests a window needs to count: a window with fewer (no traffic) is not met, so the gate holds rather than passing on silence.",
        }),
    })
    .strict();

/** Schema of one gate (`gates[]`). */
export const stepGateSchema = z
    .object({
        name: z
            .string()
            .regex(GATE_NAME, "must be a DNS-1123 label (lowercase letters, digits, '-')")
            .optional()
            .meta({ description: "Name in the verdict's checks (`gate:<name>`); default `step-<atStep>` or `weight-<atWeight>`." }),
        atStep: z
            .number()
            .int()
            .min(0)
            .optional()
            .meta({ description: "Index into `steps` (0 = the first step) at which the gate holds the canary." }),
        atWeight: z
            .number()
            .int()
            .min(1)
            .max(99)
            .optional()
            .meta({ description: "Canary weight (one of `steps`) at which the gate holds the canary; instead of `atStep`." }),
        sloAttainment: sloAttainmentSchema.meta({
            description:
                "The canary's success ratio (1 − errors/requests, errors as `analysis.selectors.errorCodes`) must meet `objective` in each of the last `windows` windows of `windowLength`.",
        }),
    })
    .strict()
    .superRefine((g, ctx) => {
        if ((g.atStep === undefined) === (g.atWeight === undefined)) {
            ctx.addIssue({ code: "custom", path: ["atStep"], message: "set exactly one of atStep and atWeight" });
        }
    })
    .transform((g) => ({ ...g, name: g.name ?? (g.atStep !== undefined ? `step-${g.atStep}` : `weight-${g.atWeight}`) }));

/** Schema of `gates`: every gate of one service. */
export const stepGatesSchema = z.array(stepGateSchema).default([]).meta({
    description:
        'Conditions a canary must meet at a given step before it may advance from it (e.g. the brief\'s L3: `[{ atStep: 0, sloAttainment: { objective: 99.9, windows: 5, windowLength: "1m" } }]`). A gate not met holds the canary (reported as check `gate:<name>`); it never rolls it back by itself.',
});

/** One gate after validation and defaults. */
export type StepGate = z.output<typeof stepGateSchema>;

/** Where a canary stands: the state's step index and weight. */
export interface StepPosition {
    readonly stepIndex: number;
    readonly weight: number;
}

/**
 * Problems of `gates` against the resolved `steps`, with the index of the gate and the key they concern. A gate at
 * the last step could never hold anything (a pass there promotes), so it is refused like an unknown step.
 */
export function stepGateProblems(
    gates: ReadonlyArray<StepGate>,
    steps: ReadonlyArray<number>,
): Array<{ index: number; key: string; message: string }> {
    const problems: Array<{ index: number; key: string; message: string }> = [];
    const seen = new Set<string>();
    gates.forEach((g, index) => {
        if (g.atStep !== undefined && g.atStep > steps.length - 2) {
            problems.push({
                index,
                key: "atStep",
                message: `atStep ${g.atStep} is not a step the canary advances from (steps are ${JSON.stringify(steps)}; the last one promotes)`,
            });
        }
        if (g.atWeight !== undefined && !steps.slice(0, -1).includes(g.atWeight)) {
            problems.push({
                index,
                key: "atWeight",
                message: `atWeight ${g.atWeight} is not one of the steps ${JSON.stringify(steps.slice(0, -1))}`,
            });
        }
        if (seen.has(g.name)) problems.push({ index, key: "name", message: `gate name "${g.name}" is used twice` });
        seen.add(g.name);
    });
    return problems;
}

/**
 * The gates that hold a canary at `position`. Without a position (an analysis outside a rollout, e.g. a dry run)
 * every gate applies: a gate can only hold, so applying one too many is the safe error.
 */
export function gatesAt(gates: ReadonlyArray<StepGate>, position: StepPosition | undefined): StepGate[] {
    if (position === undefined) return [...gates];
    return gates.filter((g) => (g.atStep !== undefined ? g.atStep === position.stepIndex : g.atWeight === position.weight));
}

/** What the batched query answers for one gate. */
export interface StepGateMeasurement {
    /** Lowest success ratio (0..1) among the windows that had traffic; NaN when none had. */
    readonly attainment?: number | undefined;
    /** Windows (of the last N) with at least `minRequestsPerWindow` canary requests. */
    readonly windows?: number | undefined;
}

/** Names of a gate's two measurements (values of the `measure` label; the gate's name is in the `gate` label). */
export const STEP_GATE_MEASURES = { attainment: "stepGateAttainment", windows: "stepGateWindows" } as const;

/**
 * The two PromQL expressions of one gate, over the canary's request counter selected by `canary`.
 *
 * Subquery semantics: `expr[R:W]` evaluates `expr` at the multiples of W (absolute, since the epoch) inside the
 * range. Prometheus 2.x includes the range's start (`[t−R, t]`), 3.x excludes it (`(t−R, t]`); with R = N·W − 1 ms
 * both hold exactly the N aligned points in `(t − N·W, t]` (3.x loses one only when t is 1 ms before a multiple of W,
 * which the window count then reports as inconclusive). Each point's `rate(…[W])` covers the W before it, so
 * the N points cover N consecutive whole windows, the last ending at the latest multiple of W before t.
 * A window without traffic gives 0/0 = NaN (or no point), which `min_over_time` skips; the window count is
 * therefore measured separately, and the gate is met only when all N windows had traffic.
 */
export function stepGateQueries(gate: StepGate, canary: string, requestsMetric: string, errorCodes: string): { attainment: string; windows: string } {
    const a = gate.sloAttainment;
    const w = toPromQLRange(a.windowLength);
    const sub = `[${a.windows * a.windowLength - 1}ms:${w}]`;
    const errors = `${canary}, response_code=~"${errorCodes.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    const ratio = `1 - (sum(rate(${requestsMetric}{${errors}}[${w}])) or vector(0)) / sum(rate(${requestsMetric}{${canary}}[${w}]))`;
    return {
        attainment: `min_over_time((${ratio})${sub}) or vector(NaN)`,
        windows: `count_over_time((sum(increase(${requestsMetric}{${canary}}[${w}])) >= ${a.minRequestsPerWindow})${sub}) or vector(0)`,
    };
}

/** The check of one gate from its measurement. Pure. */
export function stepGateCheck(gate: StepGate, m: StepGateMeasurement | undefined): CheckResult {
    const a = gate.sloAttainment;
    const name = `gate:${gate.name}`;
    const span = `${a.windows} windows of ${a.windowLength / 1000}s`;
    const windows = m?.windows;
    const attainment = m?.attainment;
    if (windows === undefined || attainment === undefined) {
        return { name, outcome: "error", measured: null, threshold: a.objective, detail: "gate measurement missing from the metrics answer" };
    }
    if (!Number.isFinite(windows) || windows < 0 || windows > a.windows) {
        return { name, outcome: "error", measured: null, threshold: a.objective, detail: `implausible window count ${windows} (of ${a.windows})` };
    }
    if (windows < a.windows) {
        return {
            name,
            outcome: "inconclusive",
            measured: Number.isFinite(attainment) ? attainment * 100 : null,
            threshold: a.objective,
            detail: `not met: only ${windows} of the last ${span} had ≥ ${a.minRequestsPerWindow} canary request(s); a window without traffic does not count as met`,
        };
    }
    if (!Number.isFinite(attainment) || attainment < 0 || attainment > 1 + 1e-9) {
        return {
            name,
            outcome: "error",
            measured: null,
            threshold: a.objective,
            detail: `implausible success ratio ${attainment} with traffic in all ${span}`,
        };
    }
    const percent = attainment * 100;
    // Rounded to 1e-9 % so that 1 − 1/1000 meets 99.9 despite floating point.
    const met = Math.round(percent * 1e9) / 1e9 >= a.objective;
    return {
        name,
        outcome: met ? "pass" : "inconclusive",
        measured: percent,
        threshold: a.objective,
        detail: met
            ? `SLO attainment ≥ ${a.objective}% in each of the last ${span} (lowest ${round(percent)}%)`
            : `not met: the lowest of the last ${span} is ${round(percent)}% < ${a.objective}%; the canary holds at this step`,
    };
}

/**
 * `verdict` with the gates' checks added. A gate not met (or not measurable) turns a `pass` into `inconclusive`
 * (hold); `fail`, `error` and `inconclusive` stay what they are, since a gate can only hold.
 */
export function withStepGates(verdict: AnalysisVerdict, checks: ReadonlyArray<CheckResult>): AnalysisVerdict {
    if (checks.length === 0) return verdict;
    const holding = checks.filter((c) => c.outcome !== "pass");
    const kind: VerdictKind = verdict.kind === "pass" && holding.length > 0 ? "inconclusive" : verdict.kind;
    const reason =
        kind !== verdict.kind
            ? `inconclusive: ${holding.map((c) => `${c.name}: ${c.detail}`).join("; ")} (otherwise ${verdict.reason})`
            : verdict.reason;
    return { ...verdict, kind, reason, checks: [...verdict.checks, ...checks] };
}

function round(x: number): number {
    return Math.round(x * 1000) / 1000;
}
