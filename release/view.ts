/**
 * What the driver prints. Pure functions from state to lines: the live view redrawn on a terminal at each tick, and
 * one plain line per event for CI logs.
 */
import type { EventCheck, ReleaseEvent } from "./events";

/** One service as the live view shows it. */
export interface ServiceRow {
    service: string;
    /** 1-based step, or undefined without canary traffic. */
    step: number | undefined;
    steps: number;
    weight: number;
    status: string;
    /** The verdict of the latest check (an analysis without update), if one ran. */
    verdict?: string | undefined;
    checks: EventCheck[];
    /** What the program would do now, in words. */
    reason: string;
    /** When the next step may happen (ms), if the canary is healthy and waits for its interval. */
    nextStepAt?: number | undefined;
}

/** Everything the live view shows. */
export interface ViewState {
    stack: string;
    now: number;
    rows: ServiceRow[];
    /** When the next check runs (ms); undefined while an update runs. */
    nextCheckAt?: number | undefined;
    /** Set while `pulumi up` runs: why. */
    updating?: string | undefined;
    /** The last few events, newest last. */
    recent: string[];
    /** A notice (e.g. "Ctrl-C: the update finishes first"). */
    notice?: string | undefined;
}

/** A duration in ms as `1h02m`, `4m05s`, `12s`. */
export function formatDuration(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
    if (m > 0) return `${m}m${String(sec).padStart(2, "0")}s`;
    return `${sec}s`;
}

/** A weight bar of `width` cells, e.g. `[###.......]`. */
export function weightBar(weight: number, width = 20): string {
    const filled = Math.round((Math.min(100, Math.max(0, weight)) / 100) * width);
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

const RANK: Record<string, number> = { fail: 0, inconclusive: 1, pass: 2 };

/** The check that matters most: a failing one before an inconclusive one before a passing one; the first among equals. */
export function worstCheck(checks: ReadonlyArray<EventCheck>): EventCheck | undefined {
    let worst: EventCheck | undefined;
    for (const c of checks) if (worst === undefined || (RANK[c.outcome] ?? 1) < (RANK[worst.outcome] ?? 1)) worst = c;
    return worst;
}

const num = (v: number): string => (Number.isInteger(v) ? String(v) : Math.abs(v) < 1 ? v.toPrecision(3) : v.toFixed(2));

/** `errorRate 0.127 > 0.008 (fail)`. */
export function describeCheck(c: EventCheck): string {
    const measured = c.measured === null ? "n/a" : num(c.measured);
    const cmp = c.threshold === undefined ? "" : ` ${c.outcome === "fail" ? ">" : "≤"} ${num(c.threshold)}`;
    return `${c.name} ${measured}${cmp} (${c.outcome})`;
}

/** The lines of the live view. */
export function renderView(v: ViewState): string[] {
    const lines = [`gray-release release ${v.stack}`];
    const width = Math.max(7, ...v.rows.map((r) => r.service.length));
    for (const r of v.rows) {
        const step = r.step === undefined ? "-" : `${r.step}/${r.steps}`;
        const weight = `${String(r.weight).padStart(3)}%`;
        const worst = worstCheck(r.checks);
        const verdict = r.verdict === undefined ? "no verdict yet" : `${r.verdict}${worst ? `: ${describeCheck(worst)}` : ""}`;
        const next =
            r.status !== "progressing"
                ? ""
                : r.nextStepAt !== undefined && r.nextStepAt > v.now
                  ? ` · next step in ${formatDuration(r.nextStepAt - v.now)}`
                  : "";
        lines.push(`  ${r.service.padEnd(width)}  step ${step.padEnd(5)} ${weightBar(r.weight)} ${weight}  ${r.status.padEnd(11)} ${verdict}${next}`);
    }
    if (v.updating !== undefined) lines.push(`  pulumi up running: ${v.updating}`);
    else if (v.nextCheckAt !== undefined) lines.push(`  next check in ${formatDuration(v.nextCheckAt - v.now)}`);
    if (v.notice !== undefined) lines.push(`  ${v.notice}`);
    if (v.recent.length > 0) lines.push("  recent:", ...v.recent.map((l) => `    ${l}`));
    return lines;
}

/** One plain line per event (CI logs), e.g. `2026-…Z prod checkout ROLLBACK 25% → 0%: canary unhealthy … [errorRate 0.127 > 0.008 (fail)]`. */
export function eventLine(e: ReleaseEvent): string {
    if (!("service" in e)) return `${e.at} ${e.stack} ${e.kind.toUpperCase()}: ${e.message}`;
    const worst = worstCheck(e.checks);
    const streak = e.kind === "hold" && e.holdStreak !== undefined ? ` (hold ${e.holdStreak} in a row)` : "";
    const checks = worst === undefined ? "" : ` [${describeCheck(worst)}]`;
    return `${e.at} ${e.stack} ${e.service} ${e.kind.toUpperCase()} ${e.fromWeight}% → ${e.toWeight}%${streak}: ${e.reason}${checks}`;
}
