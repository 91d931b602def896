/**
 * Release windows: no weight increase and no new canary outside the configured windows or on freeze
 * dates. Rollbacks and aborts are always allowed.
 */

import { DEFAULT_WINDOW, isWithinAnyWindow, type ReleaseWindow } from "../progression/release-window";
import { type Rule, violation } from "./config";
import { canaryReleaseOf } from "./contracts";
import { isIncrease, isNewCanary, isRollbackOrAbort } from "./lib/gates";

export interface ReleaseWindowConfig {
    /** IANA time zone the windows are expressed in. */
    timeZone: string;
    /** Allowed windows; default weekdays 09:00–17:00. */
    windows: ReleaseWindow[];
    /** Local dates (YYYY-MM-DD) or inclusive ranges (YYYY-MM-DD/YYYY-MM-DD) with no releases. */
    freezeDates: string[];
    /** Override of "now" (ISO-8601), for tests and rehearsals. */
    now?: string;
}

export const releaseWindow: Rule<ReleaseWindowConfig> = {
    kind: "resource",
    name: "release-window",
    description:
        "Canary weight increases and new canaries happen only inside the release windows (default weekdays 09:00-17:00) and never on freeze dates; rollbacks and aborts are always allowed. Mandatory in prod, advisory in dev and staging by default.",
    severity: "high",
    defaults: { timeZone: "UTC", windows: [DEFAULT_WINDOW], freezeDates: [] },
    // Release windows are production discipline: staging rehearses at any hour (reported as advisory there), so
    // a staging canary can be promoted before prod's window opens. `environments: { staging: "mandatory" }` restores it.
    environmentDefaults: { staging: "advisory" },
    configProperties: {
        timeZone: { type: "string", default: "UTC", description: "IANA time zone of the windows, e.g. Asia/Shanghai, Europe/Berlin." },
        windows: {
            type: "array",
            default: [DEFAULT_WINDOW],
            description: "Release windows: [{ days: ISO weekdays 1=Mon..7=Sun, start: HH:mm, end: HH:mm }].",
            items: {
                type: "object",
                properties: {
                    days: { type: "array", items: { type: "integer", minimum: 1, maximum: 7 } },
                    start: { type: "string", pattern: "^\\d{1,2}:\\d{2}$" },
                    end: { type: "string", pattern: "^\\d{1,2}:\\d{2}$" },
                },
                required: ["days", "start", "end"],
            },
        },
        freezeDates: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Freeze dates in the window's time zone: YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD (public holidays, change freezes).",
        },
        now: { type: "string", description: "Override of the current instant (ISO-8601) for testing." },
    },
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec) return;
        if (isRollbackOrAbort(rec)) return;
        const increase = isIncrease(rec);
        const fresh = isNewCanary(rec);
        if (!increase && !fresh) return;
        const cfg = ctx.config;
        const now = cfg.now ?? new Date().toISOString();
        const decision = isWithinAnyWindow(now, cfg.windows, cfg.timeZone, cfg.freezeDates);
        if (decision.allowed) return;
        const windows = cfg.windows.map((w) => `days ${w.days.join(",")} ${w.start}-${w.end}`).join(" | ");
        report(
            violation({
                problem: `${fresh ? `new canary ${rec.canaryImage}` : "canary weight increase"} of '${rec.service}' (${rec.previousWeight}% → ${rec.weight}%) outside the release window: ${decision.reason} (now ${decision.local})`,
                resource: { name: args.name, urn: args.urn },
                field: "weight",
                fix: `keep the weight at ${rec.previousWeight}% and run the step inside a release window (${windows}, ${cfg.timeZone}); rollbacks and aborts remain allowed`,
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

export const releaseWindowRules: Rule[] = [releaseWindow];
