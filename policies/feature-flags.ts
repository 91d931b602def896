/**
 * Feature flags are a release lever too: a prod flag configuration needs the approvals its environment asks for
 * (the field write-ups: QA in staging; SRE and the change board in prod), recorded on the FeatureFlags component
 * (`approvals: [{ role, by, at }]`).
 */
import { FEATURE_FLAGS_TYPE } from "../components/feature-flags/feature-flags";
import { type Rule, violation } from "./config";

export interface FlagApprovalConfig {
    /** Roles that must have approved, per environment. */
    requiredRoles: Record<string, string[]>;
    /** An approval older than this many days does not count (0: any age). */
    maxAgeDays: number;
    /** Override of "now" (ISO-8601), for tests. */
    now?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const DAY_MS = 24 * 60 * 60 * 1000;

export const featureFlagsApproved: Rule<FlagApprovalConfig> = {
    kind: "resource",
    name: "feature-flags-approved",
    description:
        "A FeatureFlags configuration carries an approval (role, by, at) from every role its environment requires: by default QA in staging, SRE and the change board in prod. An approval dated in the future or older than maxAgeDays does not count.",
    severity: "high",
    defaults: { requiredRoles: { staging: ["qa"], prod: ["sre", "change-board"] }, maxAgeDays: 30 },
    configProperties: {
        requiredRoles: {
            type: "object",
            additionalProperties: { type: "array", items: { type: "string" } },
            default: { staging: ["qa"], prod: ["sre", "change-board"] },
            description: "Roles that must have approved a flag configuration, per environment.",
        },
        maxAgeDays: { type: "number", minimum: 0, default: 30, description: "An approval older than this many days does not count (0: any age)." },
        now: { type: "string", description: "Override of the current instant (ISO-8601) for testing." },
    },
    validate(args, ctx, report) {
        if (args.type !== FEATURE_FLAGS_TYPE) return;
        const environment = ctx.environmentOf(args.urn);
        const required = ctx.config.requiredRoles[environment] ?? [];
        if (required.length === 0) return;
        const now = Date.parse(ctx.config.now ?? new Date().toISOString());
        const approvals = (Array.isArray(args.props["approvals"]) ? args.props["approvals"] : []).filter(isObject);
        const valid = (a: Record<string, unknown>): boolean => {
            const at = typeof a["at"] === "string" ? Date.parse(a["at"]) : Number.NaN;
            if (!Number.isFinite(at) || at > now) return false;
            return ctx.config.maxAgeDays === 0 || now - at <= ctx.config.maxAgeDays * DAY_MS;
        };
        const approvedRoles = new Set(
            approvals.filter((a) => typeof a["by"] === "string" && a["by"] !== "" && valid(a)).map((a) => String(a["role"])),
        );
        const missing = required.filter((role) => !approvedRoles.has(role));
        if (missing.length === 0) return;
        const flags = isObject(args.props["flags"]) ? Object.keys(args.props["flags"]) : [];
        report(
            violation({
                problem: `feature flags ${flags.map((f) => `'${f}'`).join(", ") || "(none)"} of ${args.name} in ${environment} lack the approval of ${missing.join(" and ")} (an approval must name who and when, not in the future${ctx.config.maxAgeDays > 0 ? `, at most ${ctx.config.maxAgeDays} days old` : ""})`,
                resource: { name: args.name, urn: args.urn },
                field: "approvals",
                fix: `add approvals: [${missing.map((role) => `{ role: "${role}", by: "<who>", at: "<ISO-8601 instant>" }`).join(", ")}] to the FeatureFlags args once they approved`,
            }),
            { environment },
        );
    },
};

export const featureFlagRules: Rule[] = [featureFlagsApproved];
