/**
 * Rollout state carried from one `pulumi up` to the next in a stack output. It is plain, versioned JSON;
 * whatever comes back is validated, and anything unusable is replaced by "no previous state" — which makes
 * the next decision start at the first (smallest) step, the safe direction — instead of failing the update.
 */
import { z } from "zod";
import type { VerdictKind } from "./verdict";

/** Version of the {@link ProgressionState} JSON layout; bump when the layout changes incompatibly. */
export const STATE_SCHEMA_VERSION = 1;

/** How many decisions the state keeps, newest last. */
export const HISTORY_LIMIT = 20;

/** How many former stable images the state remembers. */
export const STABLE_HISTORY_LIMIT = 20;

/** Where a rollout stands. `promoted`, `rolledBack` and `failed` are terminal for their canary version. */
export const ROLLOUT_STATUSES = ["progressing", "paused", "promoted", "rolledBack", "failed"] as const;
/** What a decision can do. */
export const DECISION_ACTIONS = ["advance", "hold", "rollback", "promote", "start", "pause", "none"] as const;

const count = z.number().int().min(0);
const isoTime = z.iso.datetime({ offset: true });

const recordSchema = z.object({
    at: isoTime.meta({ description: "When the decision was taken (ISO 8601)." }),
    action: z.enum(DECISION_ACTIONS).meta({ description: "What it did." }),
    verdict: z
        .enum(["pass", "fail", "inconclusive", "error"] as const satisfies readonly VerdictKind[])
        .nullable()
        .meta({ description: "Verdict it was based on, or null when no analysis was used." }),
    weight: z.number().min(0).max(100).meta({ description: "Canary weight after the decision." }),
    reason: z.string().meta({ description: "Why." }),
    measured: z.record(z.string(), z.number().nullable()).nullable().meta({ description: "Measured values of the analysis, when there was one." }),
    thresholds: z.record(z.string(), z.number()).nullable().meta({ description: "Thresholds in force, when there was an analysis." }),
});

const stateSchema = z
    .object({
        schemaVersion: z.literal(STATE_SCHEMA_VERSION).meta({ description: "Layout version." }),
        canaryImage: z
            .string()
            .min(1)
            .meta({ description: "The canary image this rollout is about; a different configured canary starts a new rollout." }),
        stepIndex: z
            .number()
            .int()
            .min(-1)
            .meta({ description: "Index into the configured steps of the current weight; -1 when the canary has no weighted traffic." }),
        weight: z.number().min(0).max(100).meta({ description: "Canary traffic weight in percent (0 after rollback; 100 when promoted)." }),
        status: z.enum(ROLLOUT_STATUSES).meta({ description: "Where the rollout stands." }),
        lastTransitionAt: isoTime.meta({
            description: "Last time weight or status changed (ISO 8601); steps wait `minIntervalBetweenSteps` from here.",
        }),
        history: z.array(recordSchema).max(HISTORY_LIMIT).meta({ description: "The last HISTORY_LIMIT decisions, oldest first." }),
        consecutiveFailures: count.meta({ description: "`fail` verdicts since the last `pass`." }),
        consecutiveErrors: count.meta({ description: "`error` verdicts in a row." }),
        consecutiveInconclusive: count.meta({ description: "`inconclusive` verdicts since the last `pass` or `fail`." }),
        stableImage: z.string().min(1).optional().meta({
            description:
                "The image the stable Deployment runs after this decision: the configured `stableImage` until a promotion, then the promoted canary until the configuration names another on purpose (see `resolveStableImage`). Absent in states written before it existed.",
        }),
        formerStableImages: z
            .array(z.string().min(1))
            .max(STABLE_HISTORY_LIMIT)
            .optional()
            .meta({ description: "Images that served as stable before `stableImage`, newest last." }),
    })
    .refine((s) => (s.status === "rolledBack" || s.status === "failed" ? s.weight === 0 : true), {
        message: "a rolled back or failed rollout must have weight 0",
        path: ["weight"],
    })
    .refine((s) => (s.stepIndex === -1) === (s.weight === 0), { message: "stepIndex -1 exactly when weight is 0", path: ["stepIndex"] });

/** Where a rollout stands. */
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
/** What a decision did. */
export type DecisionAction = (typeof DECISION_ACTIONS)[number];
/** One past decision, kept for audit and dashboards. */
export type DecisionRecord = Readonly<z.output<typeof recordSchema>>;
/** The persisted state of one service's rollout (its schema is the only description of its shape). */
export type ProgressionState = Readonly<Omit<z.output<typeof stateSchema>, "history" | "formerStableImages">> & {
    readonly history: ReadonlyArray<DecisionRecord>;
    readonly formerStableImages?: ReadonlyArray<string>;
};

/**
 * States written before the rename of `canaryVersion` (an image) to `canaryImage` read as if written today, so an
 * upgrade of the package never restarts a running rollout.
 */
function renamedFields(value: unknown): unknown {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const { canaryVersion, ...rest } = value as Record<string, unknown>;
    return canaryVersion !== undefined && rest["canaryImage"] === undefined ? { ...rest, canaryImage: canaryVersion } : value;
}

/** Result of reading back a previous state. */
export interface StateReadResult {
    /** The validated state, or undefined: treat as a fresh rollout. */
    readonly state: ProgressionState | undefined;
    /** Why the input was discarded; undefined when it was usable or simply absent. */
    readonly warning: string | undefined;
}

/**
 * Validates a state read back from a previous stack output (an object, or its JSON text). Never throws:
 * absent input gives `{ state: undefined }` without warning; garbage gives `{ state: undefined, warning }`.
 */
export function parseState(raw: unknown): StateReadResult {
    if (raw === undefined || raw === null || raw === "") return { state: undefined, warning: undefined };
    let value: unknown = raw;
    if (typeof raw === "string") {
        try {
            value = JSON.parse(raw);
        } catch {
            return { state: undefined, warning: "previous progression state is not valid JSON; starting a fresh rollout" };
        }
    }
    const result = stateSchema.safeParse(renamedFields(value));
    if (result.success) return { state: result.data, warning: undefined };
    const first = result.error.issues[0];
    const where = first ? `${first.path.map(String).join(".") || "(root)"}: ${first.message}` : "unknown problem";
    return { state: undefined, warning: `previous progression state is unusable (${where}); starting a fresh rollout` };
}
