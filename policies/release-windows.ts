/**
 * Release windows: no weight increase, no new canary and no promotion outside the configured windows or on freeze
 * dates, for image canaries and flag rollouts alike. Rollbacks and aborts are always allowed.
 */

import { DEFAULT_WINDOW, isWithinAnyWindow, type ReleaseWindow } from "../progression/release-window";
import { type Rule, violation } from "./config";
import { canaryReleaseOf } from "./contracts";
import { isNewCanary, isPromotion, raisesExposure } from "./lib/gates";
import { flagRolloutName } from "./lib/release";

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
        "Canary weight increases, new canaries and promotions (of an image canary or a flag rollout) happen only inside the release windows (default weekdays 09:00-17:00) and never on freeze dates; rollbacks and aborts are always allowed. Mandatory in prod, advisory in dev and staging by default.",
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
        if (!rec || !raisesExposure(rec)) return;
        const promotion = isPromotion(rec);
        const fresh = !promotion && isNewCanary(rec);
        const cfg = ctx.config;
        const now = cfg.now ?? new Date().toISOString();
        const decision = isWithinAnyWindow(now, cfg.windows, cfg.timeZone, cfg.freezeDates);
        if (decision.allowed) return;
        const windows = cfg.windows.map((w) => `days ${w.days.join(",")} ${w.start}-${w.end}`).join(" | ");
        const flag = rec.flag;
        const what = flag
            ? `${promotion ? "promotion of " : fresh ? "new " : "share increase of "}${flagRolloutName(rec.service, flag)} (${rec.previousWeight}% → ${promotion ? 100 : rec.weight}% of users)`
            : promotion
              ? `promotion of canary ${rec.canaryImage} of '${rec.service}' (${rec.previousWeight}% → all traffic)`
              : `${fresh ? `new canary ${rec.canaryImage}` : "canary weight increase"} of '${rec.service}' (${rec.previousWeight}% → ${rec.weight}%)`;
        const keep = promotion
            ? `the rollout at ${rec.previousWeight}% (do not promote yet)`
            : `the ${flag ? "share" : "weight"} at ${rec.previousWeight}%`;
        report(
            violation({
                problem: `${what} outside the release window: ${decision.reason} (now ${decision.local})`,
                resource: { name: args.name, urn: args.urn },
                field: promotion ? "action" : "weight",
                fix: `keep ${keep} and run the step inside a release window (${windows}, ${cfg.timeZone}); rollbacks and aborts remain allowed`,
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

export const releaseWindowRules: Rule[] = [releaseWindow];
