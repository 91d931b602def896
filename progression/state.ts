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

/** Where a rollout stands. `promoted`, `rolledBack` and `failed` are terminal for their canary version. */
export type RolloutStatus = "progressing" | "paused" | "promoted" | "rolledBack" | "failed";

/** What a decision did. */
export type DecisionAction = "advance" | "hold" | "rollback" | "promote" | "start" | "pause" | "none";

/** One past decision, kept for audit and dashboards. */
export interface DecisionRecord {
    /** When the decision was taken (ISO 8601). */
    readonly at: string;
    /** What it did. */
    readonly action: DecisionAction;
    /** Verdict it was based on, or null when no analysis was used. */
    readonly verdict: VerdictKind | null;
    /** Canary weight after the decision. */
    readonly weight: number;
    /** Why. */
    readonly reason: string;
    /** Measured values of the analysis, when there was one. */
    readonly measured: Readonly<Record<string, number | null>> | null;
    /** Thresholds in force, when there was an analysis. */
    readonly thresholds: Readonly<Record<string, number>> | null;
}

/** The persisted state of one service's rollout. */
export interface ProgressionState {
    /** Layout version, always {@link STATE_SCHEMA_VERSION}. */
    readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
    /** The canary image this rollout is about; a different configured canary starts a new rollout. */
    readonly canaryImage: string;
    /** Index into the configured steps of the current weight; -1 when the canary has no weighted traffic. */
    readonly stepIndex: number;
    /** Canary traffic weight in percent (0 after rollback; 100 when promoted). */
    readonly weight: number;
    /** Where the rollout stands. */
    readonly status: RolloutStatus;
    /** Last time weight or status changed (ISO 8601); steps wait `minIntervalBetweenSteps` from here. */
    readonly lastTransitionAt: string;
    /** The last {@link HISTORY_LIMIT} decisions, oldest first. */
    readonly history: ReadonlyArray<DecisionRecord>;
    /** `fail` verdicts since the last `pass`. */
    readonly consecutiveFailures: number;
    /** `error` verdicts in a row. */
    readonly consecutiveErrors: number;
    /** `inconclusive` verdicts since the last `pass` or `fail`. */
    readonly consecutiveInconclusive: number;
    /**
     * The image the stable Deployment runs after this decision: the configured `stableImage` until a promotion,
     * then the promoted canary until the configuration names another on purpose (see `resolveStableImage`).
     * Absent in states written before it existed.
     */
    readonly stableImage?: string;
    /** Images that served as stable before `stableImage`, newest last (at most {@link STABLE_HISTORY_LIMIT}). */
    readonly formerStableImages?: ReadonlyArray<string>;
}

/** How many former stable images the state remembers. */
export const STABLE_HISTORY_LIMIT = 20;

const count = z.number().int().min(0);
const isoTime = z.iso.datetime({ offset: true });

const recordSchema = z.object({
    at: isoTime,
    action: z.enum(["advance", "hold", "rollback", "promote", "start", "pause", "none"]),
    verdict: z.enum(["pass", "fail", "inconclusive", "error"]).nullable(),
    weight: z.number().min(0).max(100),
    reason: z.string(),
    measured: z.record(z.string(), z.number().nullable()).nullable(),
    thresholds: z.record(z.string(), z.number()).nullable(),
});

const stateSchema = z
    .object({
        schemaVersion: z.literal(STATE_SCHEMA_VERSION),
        canaryImage: z.string().min(1),
        stepIndex: z.number().int().min(-1),
        weight: z.number().min(0).max(100),
        status: z.enum(["progressing", "paused", "promoted", "rolledBack", "failed"]),
        lastTransitionAt: isoTime,
        history: z.array(recordSchema).max(HISTORY_LIMIT),
        consecutiveFailures: count,
        consecutiveErrors: count,
        consecutiveInconclusive: count,
        stableImage: z.string().min(1).optional(),
        formerStableImages: z.array(z.string().min(1)).max(STABLE_HISTORY_LIMIT).optional(),
    })
    .refine((s) => (s.status === "rolledBack" || s.status === "failed" ? s.weight === 0 : true), {
        message: "a rolled back or failed rollout must have weight 0",
        path: ["weight"],
    })
    .refine((s) => (s.stepIndex === -1) === (s.weight === 0), { message: "stepIndex -1 exactly when weight is 0", path: ["stepIndex"] });

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
    if (result.success) return { state: result.data as ProgressionState, warning: undefined };
    const first = result.error.issues[0];
    const where = first ? `${first.path.map(String).join(".") || "(root)"}: ${first.message}` : "unknown problem";
    return { state: undefined, warning: `previous progression state is unusable (${where}); starting a fresh rollout` };
}
