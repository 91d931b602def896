/**
 * What every sink says about an event, independent of the chat tool: a title, a severity, the facts (stack,
 * service, image, weight, verdict, reason) and one line per check with the measured value against its threshold.
 * The per-sink formatters (slack.ts, feishu.ts, wecom.ts) lay these out in their tool's message format.
 */
import { isFlagIdentity } from "../../progression/flag-release";
import type { EventCheck, ReleaseEvent, ServiceEvent } from "../events";

/** How alarming an event is; each sink maps it to its colours. */
export type Severity = "info" | "good" | "warning" | "danger";

/** Every event kind, service and driver ones: what a sink's `events` filter may list. */
export const EVENT_KINDS = ["start", "advance", "hold", "rollback", "promote", "fail", "refused", "error", "finished"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** How many checks a message lists at most (chat tools limit message sizes); the rest are counted. */
export const MAX_CHECKS = 20;

export function isServiceEvent(event: ReleaseEvent): event is ServiceEvent {
    return "service" in event;
}

export function severityOf(event: ReleaseEvent): Severity {
    switch (event.kind) {
        case "rollback":
        case "fail":
        case "refused":
        case "error":
            return "danger";
        case "hold":
            return "warning";
        case "promote":
        case "finished":
            return "good";
        default:
            return "info";
    }
}

function ordinal(n: number): string {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13) return `${n}th`;
    return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

/** One line that says what happened, e.g. `prod/checkout rolled back: canary weight 20 % → 0 %`. */
export function titleOf(event: ReleaseEvent): string {
    if (!isServiceEvent(event)) {
        switch (event.kind) {
            case "refused":
                return `${event.stack}: update refused by the policy pack`;
            case "error":
                return `${event.stack}: release driver error`;
            case "finished":
                return `${event.stack}: release driver finished`;
        }
    }
    const who = `${event.stack}/${event.service}`;
    const share = isFlagIdentity(event.canaryImage) ? "share of users" : "canary weight";
    const weights = `${share} ${formatNumber(event.fromWeight)} % → ${formatNumber(event.toWeight)} %`;
    switch (event.kind) {
        case "start":
            return `${who}: rollout started, ${weights}`;
        case "advance":
            return `${who} advanced: ${weights}`;
        case "hold":
            return `${who} held at ${formatNumber(event.toWeight)} %${event.holdStreak ? ` (${ordinal(event.holdStreak)} hold in a row)` : ""}`;
        case "rollback":
            return `${who} rolled back: ${weights}`;
        case "promote":
            return `${who} promoted`;
        case "fail":
            return `${who} failed`;
    }
}

/** A number as people read it: at most 4 significant digits, no float noise, no exponent for usual values. */
export function formatNumber(n: number): string {
    if (!Number.isFinite(n)) return String(n);
    if (n === 0) return "0";
    const abs = Math.abs(n);
    if (abs >= 1e-4 && abs < 1e9) return String(Number(n.toPrecision(4)));
    return n.toPrecision(4);
}

/** The facts of an event as label/value pairs, in the order messages show them. */
export function factsOf(event: ReleaseEvent): Array<[string, string]> {
    if (!isServiceEvent(event)) return [["Stack", event.stack]];
    const facts: Array<[string, string]> = [
        ["Stack", event.stack],
        ["Service", event.service],
        isFlagIdentity(event.canaryImage) ? ["Flag rollout", event.canaryImage] : ["Canary image", event.canaryImage],
        ["Weight", `${formatNumber(event.fromWeight)} % → ${formatNumber(event.toWeight)} %`],
    ];
    if (event.verdict) facts.push(["Verdict", event.verdict]);
    if (event.holdStreak !== undefined) facts.push(["Holds in a row", String(event.holdStreak)]);
    return facts;
}

/** What the event says in words: the program's reason, or the driver's message. */
export function messageOf(event: ReleaseEvent): string {
    return isServiceEvent(event) ? event.reason : event.message;
}

const OUTCOME_MARK: Record<EventCheck["outcome"], string> = { pass: "✅", fail: "❌", inconclusive: "❔" };

/** A check in one line: `❌ errorRate fail: measured 0.127, threshold 0.008 (canary 12.7 % errors)`. */
export function checkLine(check: EventCheck): string {
    const measured = check.measured === null ? "nothing measured" : `measured ${formatNumber(check.measured)}`;
    const threshold = check.threshold === undefined ? "" : `, threshold ${formatNumber(check.threshold)}`;
    const detail = check.detail ? ` (${check.detail})` : "";
    return `${OUTCOME_MARK[check.outcome]} ${check.name} ${check.outcome}: ${measured}${threshold}${detail}`;
}

/** The checks of a service event, failing ones first, at most MAX_CHECKS lines plus a count of the rest. */
export function checkLines(event: ReleaseEvent, max = MAX_CHECKS): string[] {
    if (!isServiceEvent(event) || event.checks.length === 0) return [];
    const rank: Record<EventCheck["outcome"], number> = { fail: 0, inconclusive: 1, pass: 2 };
    const sorted = [...event.checks].sort((a, b) => rank[a.outcome] - rank[b.outcome]);
    const lines = sorted.slice(0, max).map(checkLine);
    if (sorted.length > max) lines.push(`… and ${sorted.length - max} more checks`);
    return lines;
}

/** Cuts a string to at most `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
    return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
