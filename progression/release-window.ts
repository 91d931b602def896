/**
 * Pure release-window decisions (no policy runtime): is an instant inside a configured window, in an
 * IANA time zone, and not on a freeze date?
 */
import { DateTime, IANAZone } from "luxon";

// A type alias, not an interface: it is also a JSON value (the pack config's default), which needs an index signature.
export type ReleaseWindow = {
    /** ISO weekdays allowed: 1 = Monday … 7 = Sunday. */
    days: number[];
    /** Local start time "HH:mm" (inclusive). */
    start: string;
    /** Local end time "HH:mm" (exclusive); must be after start. */
    end: string;
};

export const DEFAULT_WINDOW: ReleaseWindow = { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };

export interface WindowDecision {
    allowed: boolean;
    /** Why not (or "inside window"); includes the local time that was evaluated. */
    reason: string;
    /** The evaluated instant in the window's time zone, ISO. */
    local: string;
}

const WEEKDAY = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function parseHHmm(s: string): number {
    const m = /^([01]?\d|2[0-4]):([0-5]\d)$/.exec(s.trim());
    if (!m) throw new Error(`invalid time of day '${s}', expected HH:mm`);
    const minutes = Number(m[1]) * 60 + Number(m[2]);
    if (minutes > 24 * 60) throw new Error(`invalid time of day '${s}'`);
    return minutes;
}

export function validateWindow(w: ReleaseWindow): string[] {
    const problems: string[] = [];
    if (!Array.isArray(w.days) || w.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
        problems.push(`days must be ISO weekdays 1..7 (got ${JSON.stringify(w.days)})`);
    }
    try {
        if (parseHHmm(w.end) <= parseHHmm(w.start)) problems.push(`end ${w.end} must be after start ${w.start}`);
    } catch (e) {
        problems.push((e as Error).message);
    }
    return problems;
}

/** Expand freeze entries "YYYY-MM-DD" or ranges "YYYY-MM-DD/YYYY-MM-DD" (inclusive) into a predicate. */
export function isFrozen(localDate: string, freezeDates: readonly string[]): string | undefined {
    for (const entry of freezeDates) {
        const [from, to] = entry.includes("/") ? (entry.split("/", 2) as [string, string]) : [entry, entry];
        if (!/^\d{4}-\d{2}-\d{2}$/.test(from.trim()) || !/^\d{4}-\d{2}-\d{2}$/.test(to.trim())) {
            throw new Error(`invalid freeze date '${entry}', expected YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD`);
        }
        // ISO dates compare lexicographically.
        if (localDate >= from.trim() && localDate <= to.trim()) return entry;
    }
    return undefined;
}

export function toDateTime(now: Date | string | DateTime): DateTime {
    if (DateTime.isDateTime(now)) return now;
    if (now instanceof Date) return DateTime.fromJSDate(now);
    const dt = DateTime.fromISO(now, { setZone: true });
    if (!dt.isValid) throw new Error(`invalid ISO instant '${now}'`);
    return dt;
}

/**
 * True when `now`, seen in time zone `tz`, falls on an allowed weekday within [start, end) and its local
 * date is not a freeze date. Throws on an unknown time zone or malformed window/freeze entries.
 */
export function isWithinReleaseWindow(
    now: Date | string | DateTime,
    window: ReleaseWindow,
    tz: string,
    freezeDates: readonly string[] = [],
): WindowDecision {
    if (!IANAZone.isValidZone(tz)) throw new Error(`unknown IANA time zone '${tz}'`);
    const problems = validateWindow(window);
    if (problems.length > 0) throw new Error(`invalid release window: ${problems.join("; ")}`);
    const local = toDateTime(now).setZone(tz);
    const iso = local.toISO() ?? String(now);
    const date = local.toISODate() ?? "";
    const frozen = isFrozen(date, freezeDates);
    if (frozen) return { allowed: false, reason: `${date} is a freeze date (${frozen}) in ${tz}`, local: iso };
    if (!window.days.includes(local.weekday)) {
        const allowed = window.days.map((d) => WEEKDAY[d]).join(",");
        return { allowed: false, reason: `${WEEKDAY[local.weekday]} ${date} is not a release day in ${tz} (allowed: ${allowed})`, local: iso };
    }
    const minutes = local.hour * 60 + local.minute;
    if (minutes < parseHHmm(window.start) || minutes >= parseHHmm(window.end)) {
        return {
            allowed: false,
            reason: `${local.toFormat("HH:mm")} ${tz} is outside the release window ${window.start}-${window.end}`,
            local: iso,
        };
    }
    return { allowed: true, reason: "inside release window", local: iso };
}

/** Allowed if any of the windows allows it (freeze dates always win). */
export function isWithinAnyWindow(
    now: Date | string | DateTime,
    windows: readonly ReleaseWindow[],
    tz: string,
    freezeDates: readonly string[] = [],
): WindowDecision {
    let last: WindowDecision | undefined;
    for (const w of windows) {
        last = isWithinReleaseWindow(now, w, tz, freezeDates);
        if (last.allowed) return last;
    }
    return last ?? { allowed: false, reason: "no release window configured", local: String(now) };
}
