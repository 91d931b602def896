/**
 * The CanaryRelease record: what the canary program decided for one service in one update, as the policy pack
 * reads it. The engine owns the contract (its actions, statuses and verdicts are the engine's own); the stack
 * program writes it as the inputs and outputs of a `gray-release:index:CanaryRelease` component and the policies
 * read it back with {@link parseCanaryRelease}. The schema is the only description of its shape.
 */
import { z } from "zod";
import { formatPath, valueAt } from "../components/common/validation";
import { DECISION_ACTIONS, ROLLOUT_STATUSES } from "./state";
import type { VerdictKind } from "./verdict";

/** Type token of the component whose inputs and outputs are the record. */
export const CANARY_RELEASE_TYPE = "gray-release:index:CanaryRelease";

/** A verdict, or `none` when the update used no analysis. */
export const RECORD_VERDICTS = ["pass", "fail", "inconclusive", "error", "none"] as const satisfies readonly (VerdictKind | "none")[];

const text = z.string({ error: "must be a non-empty string" }).min(1, "must be a non-empty string");
const count = z.number({ error: "must be a number" }).refine(Number.isFinite, "must be a number");
const instant = z.string().refine((t) => Number.isFinite(Date.parse(t)), "must be an ISO-8601 instant");

export const canaryReleaseRecordSchema = z.object({
    service: text.meta({ description: "Service name." }),
    environment: text.meta({ description: "Environment of the stack (dev, staging, prod)." }),
    canaryImage: text.meta({ description: "The image under rollout." }),
    stableImage: z.string().default("").meta({ description: "The image serving as stable after this update." }),
    previousWeight: count.meta({ description: "Canary weight (percent of traffic) before this update." }),
    weight: count.meta({ description: "Canary weight after this update." }),
    stepIndex: z.number().int().default(-1).meta({ description: "Index of `weight` in `steps`; -1 at weight 0." }),
    steps: z.array(count, { error: "must be an array of numbers" }).meta({ description: "The configured weight ladder, e.g. [5, 10, 25, 50, 100]." }),
    status: z.enum(ROLLOUT_STATUSES).meta({ description: "Where the rollout stands after this update." }),
    verdict: z.enum(RECORD_VERDICTS).default("none").meta({ description: "The analysis verdict this update used." }),
    skipAnalysis: z.boolean().default(false).meta({ description: "Whether analysis was skipped (dev only)." }),
    action: z.enum(DECISION_ACTIONS).meta({ description: "What the decision did." }),
    evaluatedAt: instant.meta({ description: "When the decision was taken (ISO 8601)." }),
    namespace: text.optional().meta({ description: "Namespace of the service." }),
    owner: text.optional().meta({ description: "The named SLO owner answering for this release." }),
    riskAssessment: text.optional().meta({ description: "Where the release's risk assessment is." }),
    core: z.boolean().optional().meta({ description: "A core service, released at most once per core interval." }),
    recentStarts: z.array(instant).optional().meta({ description: "This service's earlier canary starts in this stack, oldest first." }),
    previousStableImage: text.optional().meta({ description: "The image stable ran before this update." }),
    formerStableImages: z.array(text).optional().meta({ description: "Images that served as stable before `previousStableImage`, newest last." }),
    flag: z.object({ key: text, variant: text, defaultVariant: text, revision: text }).optional().meta({
        description:
            "Set for a flag rollout: the flag, the variant rolled out to `weight` percent of users (every user once `status` is promoted, when `weight` is 0 as for a promoted image canary: the variant is then the stable side), the default everyone else gets, and the rollout's revision. `canaryImage` and `stableImage` then hold the release identities `flag:<key>=<variant>@<revision>` and `flag:<key>=<defaultVariant>`.",
    }),
});

/** The record as written (defaults may be omitted). */
export type CanaryReleaseRecordInput = z.input<typeof canaryReleaseRecordSchema>;
/** The record as read, defaults applied. */
export type CanaryReleaseRecord = z.output<typeof canaryReleaseRecordSchema>;

export type ParseResult<V> = { ok: true; value: V } | { ok: false; problems: string[] };

/** Lists every problem of a zod result as `'key' message (got value)`. */
export function contractProblems(error: z.ZodError, input: unknown): string[] {
    return error.issues.map((issue) => `'${formatPath(issue.path)}' ${issue.message} (got ${JSON.stringify(valueAt(input, issue.path))})`);
}

/** Parses a CanaryRelease record (a component's inputs or outputs); lists every contract problem. */
export function parseCanaryRelease(props: Record<string, unknown> | undefined): ParseResult<CanaryReleaseRecord> {
    const result = canaryReleaseRecordSchema.safeParse(props ?? {});
    return result.success ? { ok: true, value: result.data } : { ok: false, problems: contractProblems(result.error, props ?? {}) };
}

/** The stack output in which the canary program lists, per service, the images it promoted. */
export const PROMOTIONS_OUTPUT = "promotions";

export const promotionSchema = z.object({
    /** The promoted image. */
    image: text,
    /** When it was promoted (ISO 8601). */
    at: z.string({ error: "must be a string" }),
});

/** One promotion of the {@link PROMOTIONS_OUTPUT} output. */
export type PromotionRecord = z.output<typeof promotionSchema>;
/** The {@link PROMOTIONS_OUTPUT} stack output: service → promotions, newest last. */
export type PromotionsOutput = Record<string, PromotionRecord[]>;

/** Outputs written before `version` (an image) was renamed `image` read as if written today. */
const renamed = (p: unknown): unknown => {
    if (p === null || typeof p !== "object" || Array.isArray(p)) return p;
    const { version, ...rest } = p as Record<string, unknown>;
    return version !== undefined && rest["image"] === undefined ? { ...rest, image: version } : p;
};

const promotionsSchema = z.record(z.string(), z.array(z.preprocess(renamed, promotionSchema), { error: "must be an array" }), {
    error: "expected an object service → [{ image, at }]",
});

/** Parses the promotions output of a stack; lists every contract problem. */
export function parsePromotionsOutput(value: unknown): ParseResult<PromotionsOutput> {
    const result = promotionsSchema.safeParse(value);
    return result.success ? { ok: true, value: result.data } : { ok: false, problems: contractProblems(result.error, value) };
}
