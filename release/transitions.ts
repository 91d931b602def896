/**
 * The events of one update: each service's state before and after it compared, and the `releases` output of the
 * update read for the why and the verdict's checks. Pure.
 */
import type { ProgressionState } from "../progression";
import type { EventCheck, ServiceEvent, ServiceEventKind } from "./events";

/** One service of the `releases` stack output (progression/release-summary.ts), as read back. */
export interface ReleaseOutput {
    weight: number;
    previousWeight: number;
    status: string;
    action: string;
    reason: string;
    canaryImage: string;
    lastVerdict?: {
        verdict: string;
        reason: string;
        checks: Array<{ name: string; outcome: string; measured: number | null; threshold: number | null }>;
    };
}

const VERDICTS = ["pass", "fail", "inconclusive", "error"] as const;
type Verdict = (typeof VERDICTS)[number];
const asVerdict = (v: string | null | undefined): Verdict | undefined => VERDICTS.find((k) => k === v);

/**
 * The checks of the verdict: the update's own list when it reported one (it has each check's outcome); otherwise the
 * state's last history record, which keeps what was measured and the thresholds in force.
 */
export function checksOf(release: ReleaseOutput | undefined, state: ProgressionState | undefined): EventCheck[] {
    const listed = release?.lastVerdict?.checks;
    if (listed !== undefined && listed.length > 0) {
        return listed.map((c) => ({
            name: c.name,
            outcome: c.outcome === "pass" || c.outcome === "fail" ? c.outcome : "inconclusive",
            measured: c.measured,
            ...(c.threshold !== null ? { threshold: c.threshold } : {}),
        }));
    }
    const record = state?.history.at(-1);
    if (record?.thresholds == null) return [];
    const measured = record.measured ?? {};
    return Object.entries(record.thresholds).map(([name, threshold]) => ({
        name,
        outcome: record.verdict === "pass" ? "pass" : record.verdict === "fail" ? "fail" : "inconclusive",
        measured: measured[name] ?? null,
        threshold,
    }));
}

/** Holds in a row at the end of the history. */
export function holdStreak(state: ProgressionState): number {
    let n = 0;
    for (let i = state.history.length - 1; i >= 0 && state.history[i]?.action === "hold"; i--) n++;
    return n;
}

/** The kind of event an update's action was, or undefined when it is not worth an event (none, pause). */
export function eventKind(previous: ProgressionState | undefined, next: ProgressionState, action: string): ServiceEventKind | undefined {
    switch (action) {
        case "start":
            return "start";
        case "advance":
            return "advance";
        case "promote":
            return "promote";
        case "rollback":
            return next.status === "failed" ? "fail" : "rollback";
        case "hold":
            // A hold is news when it was recorded with a verdict that is not a pass, or when it resumed a pause.
            return next.history.at(-1)?.verdict !== "pass" || previous?.status === "paused" ? "hold" : undefined;
        default:
            return undefined;
    }
}

/** The events of one update, one per service that moved (in the order of `after`). */
export function transitionEvents(
    stack: string,
    before: Record<string, ProgressionState | undefined>,
    after: Record<string, ProgressionState>,
    releases: Record<string, ReleaseOutput>,
    at: Date,
): ServiceEvent[] {
    const events: ServiceEvent[] = [];
    for (const [service, next] of Object.entries(after)) {
        const previous = before[service];
        const release = releases[service];
        // An update that did not record a decision for this service (terminal rollouts) moved nothing.
        const recorded =
            previous === undefined ||
            previous.canaryImage !== next.canaryImage ||
            next.history.length !== previous.history.length ||
            next.history.at(-1)?.at !== previous.history.at(-1)?.at;
        if (!recorded) continue;
        const action = release?.action ?? next.history.at(-1)?.action ?? "none";
        const kind = eventKind(previous, next, action);
        if (kind === undefined) continue;
        const verdict = asVerdict(release?.lastVerdict?.verdict ?? next.history.at(-1)?.verdict);
        const fromWeight = previous !== undefined && previous.canaryImage === next.canaryImage ? previous.weight : (release?.previousWeight ?? 0);
        events.push({
            kind,
            stack,
            service,
            canaryImage: next.canaryImage,
            fromWeight,
            toWeight: next.weight,
            ...(verdict !== undefined ? { verdict } : {}),
            reason: release?.reason ?? next.history.at(-1)?.reason ?? "",
            checks: checksOf(release, next),
            ...(kind === "hold" ? { holdStreak: holdStreak(next) } : {}),
            at: at.toISOString(),
        });
    }
    return events;
}
