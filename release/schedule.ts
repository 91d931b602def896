/**
 * When the release driver runs `pulumi up`. Pure: from each service's previous state and the decision the program
 * would take now (computed without an update) to run-now / wait / done, and the exit status. The program stays
 * the only place that decides what happens to a canary; this only chooses when to let it.
 */
import type { Decision, ProgressionState } from "../progression";

/** Exit statuses of `gray-release release` (documented in the CLI's help and the README). */
export const EXIT = {
    /** Every service promoted (or, with `--once`, nothing went wrong in this run). */
    ok: 0,
    /** The driver failed: bad arguments, an unreadable stack, an update that failed, the stack lock held by another update. */
    error: 1,
    /** A service was rolled back (its canary was unhealthy). */
    rolledBack: 3,
    /** A service failed (analysis errors or inconclusive verdicts up to their limit; rolled back to 0 too). */
    failed: 4,
    /** The policy pack refused the update. */
    refused: 5,
    /** `--max-duration` reached with services still progressing. */
    maxDuration: 6,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** What the driver knows about one service at a check. */
export interface ServiceCheck {
    service: string;
    /** The state the last update left (undefined: never rolled out). */
    previous: ProgressionState | undefined;
    /** What the program would decide now. */
    decision: Pick<Decision, "action" | "state" | "reason" | "refusal">;
    /** The verdict the decision would use, if an analysis ran. */
    verdict?: "pass" | "fail" | "inconclusive" | "error" | undefined;
    /** `minIntervalBetweenSteps` of the service, in ms. */
    minIntervalMs: number;
}

/** Why one service wants an update now, most urgent first. */
export type Urgency = "rollback" | "step" | "failing" | "record" | "refused";

/** The driver's next move. */
export type Move =
    | { kind: "run"; urgency: Urgency; services: string[]; reason: string }
    | { kind: "wait"; reason: string; nextStepAt?: number }
    | { kind: "done"; status: ExitStatus; reason: string };

const TERMINAL: ReadonlyArray<string> = ["promoted", "rolledBack", "failed"];

/** True when the rollout of this state is over for its canary image. */
export const isTerminal = (status: string | undefined): boolean => status !== undefined && TERMINAL.includes(status);

/**
 * Why one service needs an update now, or undefined when it can wait:
 * - `rollback`: the decision rolls back (status rolledBack or failed): at once;
 * - `step`: the decision changes weight or status (start, advance, promote, pause, resume): at once;
 * - `failing`: a `fail` verdict held only because `failuresBeforeRollback` is not reached yet: at once, since only
 *   an update counts it;
 * - `record`: any other hold (inconclusive, error, healthy but early) whose last record is older than
 *   `minIntervalBetweenSteps`: an update records it as the scheduled update would have, so the inconclusive and error
 *   counters advance at the pace they were designed for, not at every check;
 * - `refused`: the program refuses the configuration: the update reports why (and fails).
 */
export function urgencyOf(c: ServiceCheck, now: number): Urgency | undefined {
    const { previous, decision } = c;
    if (decision.refusal !== undefined) return "refused";
    if (decision.action === "none") return undefined;
    if (
        decision.action === "rollback" ||
        (isTerminal(decision.state.status) && decision.state.status !== "promoted" && !isTerminal(previous?.status))
    )
        return "rollback";
    const changed = previous === undefined || previous.weight !== decision.state.weight || previous.status !== decision.state.status;
    if (changed || decision.action === "start" || decision.action === "advance" || decision.action === "promote") return "step";
    if (decision.action === "hold" && c.verdict === "fail") return "failing";
    const last = previous.history.at(-1)?.at ?? previous.lastTransitionAt;
    if (decision.action === "hold" && now - Date.parse(last) >= c.minIntervalMs) return "record";
    return undefined;
}

const URGENCY_ORDER: ReadonlyArray<Urgency> = ["rollback", "failing", "step", "refused", "record"];

/** The exit status of stack states: any failed → 4, any rolled back → 3, else 0. */
export function statusOf(states: ReadonlyArray<string | undefined>): ExitStatus {
    if (states.includes("failed")) return EXIT.failed;
    if (states.includes("rolledBack")) return EXIT.rolledBack;
    return EXIT.ok;
}

/** The next move at a check. `now` in ms. */
export function nextMove(checks: ReadonlyArray<ServiceCheck>, now: number): Move {
    if (checks.length === 0) return { kind: "done", status: EXIT.ok, reason: "the stack has no services" };
    const wanting = checks.map((c) => ({ c, u: urgencyOf(c, now) })).filter((x): x is { c: ServiceCheck; u: Urgency } => x.u !== undefined);
    if (wanting.length > 0) {
        const top = URGENCY_ORDER.find((u) => wanting.some((w) => w.u === u)) ?? "step";
        const services = wanting.filter((w) => w.u === top).map((w) => w.c.service);
        const why = wanting.find((w) => w.u === top)?.c.decision.reason ?? "";
        return { kind: "run", urgency: top, services, reason: `${services.join(", ")}: ${why}` };
    }
    // Nothing to do: either every rollout is over for its canary, or they wait.
    if (checks.every((c) => c.decision.action === "none" && isTerminal(c.previous?.status))) {
        const status = statusOf(checks.map((c) => c.previous?.status));
        return { kind: "done", status, reason: checks.map((c) => `${c.service} ${c.previous?.status}`).join(", ") };
    }
    const nextStepAt = checks
        .filter((c) => c.previous !== undefined && c.previous.status === "progressing" && c.verdict === "pass")
        .map((c) => Date.parse(c.previous!.lastTransitionAt) + c.minIntervalMs)
        .reduce<number | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
    const waiting = checks.filter((c) => !isTerminal(c.previous?.status));
    const reason = waiting.map((c) => `${c.service}: ${c.decision.reason}`).join("; ");
    return nextStepAt === undefined ? { kind: "wait", reason } : { kind: "wait", reason, nextStepAt };
}

/**
 * The exit status of a finished run. `outcomes` are the statuses the services ended in; `changedStatuses` the
 * statuses this run moved services into (for `--once`, which reports only what it did).
 */
export function exitStatusOf(
    end: "done" | "maxDuration" | "once",
    finalStatuses: ReadonlyArray<string | undefined>,
    changedStatuses: ReadonlyArray<string>,
): ExitStatus {
    if (end === "once") return statusOf(changedStatuses);
    if (end === "maxDuration") {
        const worst = statusOf(finalStatuses);
        return worst !== EXIT.ok ? worst : finalStatuses.every((s) => isTerminal(s)) ? EXIT.ok : EXIT.maxDuration;
    }
    return statusOf(finalStatuses);
}
