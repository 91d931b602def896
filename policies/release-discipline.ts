/**
 * Release discipline beyond the clock: every release (image canary or flag rollout) has a named SLO owner and a risk
 * assessment before it starts, and a release does not start more often than its SLOs can take (the field write-ups:
 * more than 3 releases a week measurably cost SLO; core services release at most biweekly).
 *
 * Cadence keys: a record's `recentStarts` are the earlier starts of its own release key (the program's
 * `releaseStarts` output keys them by release: the service for its image canary, `<service>/flag/<key>` for each
 * flag rollout), so a flag rollout's starts are counted apart from the service's image canaries and from its other
 * flags: turning a code path on by flag does not use up the image cadence of the service, and the reverse.
 */

import { type Rule, violation } from "./config";
import { canaryReleaseOf } from "./contracts";
import { isNewCanary } from "./lib/gates";
import { flagRolloutName, releaseKeyOf } from "./lib/release";

const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------------------
// Owner and risk assessment
// ---------------------------------------------------------------------------------------------------------

export const releaseOwnership: Rule<{}> = {
    kind: "resource",
    name: "release-owner-and-risk-assessment",
    description:
        "A new canary or flag rollout names its SLO owner (service release.owner) and its risk assessment (release.riskAssessment: DB changes, third-party compatibility, rollback steps) before it starts.",
    severity: "high",
    defaults: {},
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || !isNewCanary(rec)) return;
        const missing = [...(rec.owner === undefined ? ["owner"] : []), ...(rec.riskAssessment === undefined ? ["riskAssessment"] : [])];
        if (missing.length === 0) return;
        report(
            violation({
                problem: `${rec.flag ? `new ${flagRolloutName(rec.service, rec.flag)} (${rec.canaryImage})` : `new canary ${rec.canaryImage} of '${rec.service}'`} starts without ${missing.map((m) => `a release ${m === "owner" ? "SLO owner" : "risk assessment"}`).join(" and ")}`,
                resource: { name: args.name, urn: args.urn },
                field: missing.join(", "),
                fix: `set ${missing.map((m) => `release.${m}`).join(" and ")} of service '${rec.service}' in the stack config (gray-release:services): the person or team answering for the SLOs during the rollout, and a link to the assessment of DB changes, third-party compatibility and rollback steps`,
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

// ---------------------------------------------------------------------------------------------------------
// Cadence
// ---------------------------------------------------------------------------------------------------------

export interface ReleaseCadenceConfig {
    /** Most canary starts of one service in any 7 days, this one included. */
    maxStartsPerWeek: number;
    /** Days that must separate two starts of a core service. */
    coreIntervalDays: number;
    /** Override of "now" (ISO-8601), for tests and rehearsals; otherwise the record's evaluatedAt. */
    now?: string;
}

export const releaseCadence: Rule<ReleaseCadenceConfig> = {
    kind: "resource",
    name: "release-cadence",
    description:
        "A release starts at most maxStartsPerWeek times (default 3) in any 7 days, and one of a core service (release.core) at most once per coreIntervalDays (default 14). Counted per release key from the stack's own record of earlier starts: a service's image canaries under the service, each flag rollout under <service>/flag/<key>. Mandatory in prod, advisory in dev and staging by default.",
    severity: "medium",
    defaults: { maxStartsPerWeek: 3, coreIntervalDays: 14 },
    // Cadence protects production SLOs; staging rehearses as often as it needs to.
    environmentDefaults: { staging: "advisory" },
    configProperties: {
        maxStartsPerWeek: {
            type: "integer",
            minimum: 1,
            default: 3,
            description: "Most canary starts of one service in any 7 days, this one included.",
        },
        coreIntervalDays: {
            type: "number",
            minimum: 0,
            default: 14,
            description: "Days that must separate two canary starts of a core service (release.core: true).",
        },
        now: { type: "string", description: "Override of the current instant (ISO-8601) for testing." },
    },
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        if (!rec || String(rec.action).toLowerCase() !== "start") return;
        const nowText = ctx.config.now ?? rec.evaluatedAt;
        const now = Number.isFinite(Date.parse(nowText)) ? Date.parse(nowText) : Date.now();
        const starts = (rec.recentStarts ?? []).map((t) => Date.parse(t)).filter((t) => t <= now);
        const at = { environment: ctx.environmentOf(args.urn, rec.environment) };
        const resource = { name: args.name, urn: args.urn };
        const what = rec.flag
            ? `new ${flagRolloutName(rec.service, rec.flag)} (${rec.canaryImage})`
            : `new canary ${rec.canaryImage} of '${rec.service}'`;
        const counted = rec.flag ? ` (flag rollouts count under their own key '${releaseKeyOf(rec)}', apart from the service's image canaries)` : "";
        const lastWeek = starts.filter((t) => now - t < 7 * DAY_MS);
        if (lastWeek.length + 1 > ctx.config.maxStartsPerWeek) {
            const nextFree = new Date(lastWeek.sort((a, b) => a - b)[lastWeek.length - ctx.config.maxStartsPerWeek]! + 7 * DAY_MS);
            report(
                violation({
                    problem: `${what} would be its start number ${lastWeek.length + 1} in 7 days (limit ${ctx.config.maxStartsPerWeek}; earlier: ${lastWeek.map((t) => new Date(t).toISOString()).join(", ")})${counted}`,
                    resource,
                    field: "recentStarts",
                    fix: `batch the change into a later release (the next start is allowed from ${nextFree.toISOString()}), or raise release-cadence.maxStartsPerWeek`,
                }),
                at,
            );
        }
        const last = Math.max(...starts, Number.NEGATIVE_INFINITY);
        if (rec.core === true && now - last < ctx.config.coreIntervalDays * DAY_MS) {
            report(
                violation({
                    problem: `core service '${rec.service}' starts ${rec.flag ? `flag rollout ${rec.flag.key}=${rec.flag.variant} (${rec.canaryImage})` : `canary ${rec.canaryImage}`} ${((now - last) / DAY_MS).toFixed(1)} days after its previous start (${new Date(last).toISOString()}); core services release at most every ${ctx.config.coreIntervalDays} days`,
                    resource,
                    field: "core",
                    fix: `wait for the next core window (from ${new Date(last + ctx.config.coreIntervalDays * DAY_MS).toISOString()}), or change release-cadence.coreIntervalDays`,
                }),
                at,
            );
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// Stable downgrade
// ---------------------------------------------------------------------------------------------------------

export const stableDowngrade: Rule<{}> = {
    kind: "resource",
    name: "stable-downgrade",
    description:
        "Stable never goes back to an image it ran before (e.g. the one a promotion replaced): the canary program refuses it unless progression.controls.acknowledgeDowngrade is set, and this rule refuses it in staging and prod even then (advisory in dev). Images only: a flag rollout's record is not judged.",
    severity: "critical",
    defaults: {},
    validate(args, ctx, report) {
        const rec = canaryReleaseOf(args);
        // A promotion went through the gates: only a configured change of stable is a downgrade to refuse.
        // A flag rollout has no build to go back to: its stable side is the flag's default variant as configured
        // now (the engine keeps no stable history for it). After a promotion its record shows stable going from
        // the promoted identity back to the default's, which must not read as a downgrade.
        if (
            !rec ||
            rec.flag !== undefined ||
            rec.action === "promote" ||
            rec.previousStableImage === undefined ||
            rec.stableImage === rec.previousStableImage
        )
            return;
        if (!(rec.formerStableImages ?? []).includes(rec.stableImage)) return;
        report(
            violation({
                problem: `stable of '${rec.service}' would go back from ${rec.previousStableImage} to ${rec.stableImage}, an image it ran before`,
                resource: { name: args.name, urn: args.urn },
                field: "stableImage",
                fix: `set stableImage of service '${rec.service}' to "${rec.previousStableImage}" (what runs) and release the fix as a canary; a stable downgrade is refused in this environment`,
            }),
            { environment: ctx.environmentOf(args.urn, rec.environment) },
        );
    },
};

export const releaseDisciplineRules: Rule[] = [releaseOwnership, releaseCadence, stableDowngrade];
