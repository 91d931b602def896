/**
 * What a canary program leaves in its stack outputs for the next update, and how it reads them back: each
 * service's progression state, its recent canary starts (for the cadence) and its promotions (for the next
 * environment's promotion-order rule). `runStack` and {@link decideCanaryStep} both read and write them here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProgressionState } from "../progression";
import { PROMOTIONS_OUTPUT, type PromotionRecord, parsePromotionsOutput } from "../progression/record";
import type { ReleaseSummary } from "../progression/release-summary";

/** Stack output holding each service's progression state, read back by the next update. */
export const STATE_OUTPUT = "releaseStates";
/**
 * Stack output listing, per service, when this stack started a canary (ISO 8601, oldest first); the policy pack's
 * release-cadence rule counts them.
 */
export const STARTS_OUTPUT = "releaseStarts";
/** Stack output with each service's readable release status (`pulumi stack output releases`). */
export const RELEASES_OUTPUT = "releases";
/**
 * PROMOTIONS_OUTPUT: the stack output listing, per service, the canary images this stack promoted (newest last).
 * The next environment's policy pack reads it to allow an image there only after it was promoted here.
 */
export { PROMOTIONS_OUTPUT, type PromotionRecord } from "../progression/record";

/** How many promotions per service the stack remembers. */
const PROMOTIONS_KEPT = 20;
/** How long the stack remembers a start: longer than any cadence window worth configuring. */
const STARTS_KEPT_DAYS = 28;

/** What the previous update left in this stack's outputs, for every service. */
export interface PreviousOutputs {
    states: Record<string, unknown>;
    promotions: Record<string, PromotionRecord[]>;
    starts: Record<string, string[]>;
}

/** What the previous update left for one service. */
export interface PreviousRelease {
    /** The exported progression state (object or JSON text); absent for a first release. */
    state?: unknown;
    /** Earlier canary starts (ISO 8601, oldest first). */
    starts?: readonly string[];
    /** Images promoted so far, newest last. */
    promotions?: readonly PromotionRecord[];
}

/** One service's part of the previous outputs. */
export function previousOf(outputs: PreviousOutputs, service: string): PreviousRelease {
    return { state: outputs.states[service], starts: outputs.starts[service] ?? [], promotions: outputs.promotions[service] ?? [] };
}

/** Outputs already read in this process, by stack: one StackReference per stack, however many services read them. */
const readByStack = new Map<string, Promise<PreviousOutputs>>();

/**
 * The previous update's outputs of this stack, read through a StackReference to itself (once per program run). A
 * first update reads nothing; an unreadable list is forgotten rather than failing the update.
 */
export function readPreviousOutputs(): Promise<PreviousOutputs> {
    const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    let read = readByStack.get(name);
    if (read === undefined) {
        read = readOutputs(new pulumi.StackReference(name));
        readByStack.set(name, read);
    }
    return read;
}

async function readOutputs(self: pulumi.StackReference): Promise<PreviousOutputs> {
    const read = async (name: string): Promise<Record<string, unknown>> => {
        const details = await self.getOutputDetails(name);
        const value = details.value ?? details.secretValue;
        return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    };
    const promotions: Record<string, PromotionRecord[]> = {};
    for (const [service, list] of Object.entries(await read(PROMOTIONS_OUTPUT))) {
        const parsed = parsePromotionsOutput({ [service]: list });
        if (parsed.ok) promotions[service] = parsed.value[service] ?? [];
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
export function recordPromotion(previous: ReadonlyArray<PromotionRecord>, action: string, image: string, at: string): PromotionRecord[] {
    if (action !== "promote" || previous.some((p) => p.image === image)) return [...previous];
    return [...previous, { image, at }].slice(-PROMOTIONS_KEPT);
}

/** What one service leaves for the next update. */
export interface ServiceReleaseOutputs {
    /** The key of the release: the service's name, or `<service>/flag/<key>` for a flag rollout. */
    service: string;
    /** The progression state after this update. */
    state: ProgressionState;
    /** Canary starts to remember, this one included when it started. */
    starts: string[];
    /** Promotions to remember, this one included when it promoted. */
    promotions: PromotionRecord[];
    /** The readable status of this update (`pulumi stack output releases`). */
    summary: ReleaseSummary;
}

/** The release outputs of a stack, by output name, as the next update and the policy pack read them. */
export interface ReleaseOutputs {
    [STATE_OUTPUT]: Record<string, ProgressionState>;
    [STARTS_OUTPUT]: Record<string, string[]>;
    [PROMOTIONS_OUTPUT]: Record<string, PromotionRecord[]>;
    [RELEASES_OUTPUT]: Record<string, ReleaseSummary>;
}

/**
 * The stack outputs of the given services' steps, to export from the program (`return { ...releaseOutputs(steps) }`
 * from its main function): without them the next update starts every canary again at its first step.
 */
export function releaseOutputs(services: ReadonlyArray<ServiceReleaseOutputs>): ReleaseOutputs {
    const out: ReleaseOutputs = { [STATE_OUTPUT]: {}, [STARTS_OUTPUT]: {}, [PROMOTIONS_OUTPUT]: {}, [RELEASES_OUTPUT]: {} };
    for (const s of services) {
        if (out[STATE_OUTPUT][s.service] !== undefined) throw new Error(`releaseOutputs: service "${s.service}" is listed twice`);
        out[STATE_OUTPUT][s.service] = s.state;
        out[STARTS_OUTPUT][s.service] = s.starts;
        out[PROMOTIONS_OUTPUT][s.service] = s.promotions;
        out[RELEASES_OUTPUT][s.service] = s.summary;
    }
    return out;
}
