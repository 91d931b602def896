/**
 * Canary traffic needs its CanaryRelease record. The SLO gates, release windows and release discipline read only
 * the record; a program that composes CanaryRouting (or writes an Istio VirtualService) by hand and routes canary
 * traffic without one would pass every one of them unseen. This stack rule finds the routing and says so.
 *
 * The same holds for a flag's share of users: a FeatureFlags configuration whose fractional targeting gives a
 * variant to a share of users must owe that share to a flag rollout, whose CanaryRelease record the gates check
 * step by step (`feature-flag-share-has-release-record`).
 */
import type { PolicyResource } from "@pulumi/policy";
import { CANARY_SUBSET } from "../components/canary-routing/defaults";
import { FEATURE_FLAGS_TYPE } from "../components/feature-flags/feature-flags";
import { flagShare } from "../progression/flag-release";
import { type Rule, violation } from "./config";
import { isVirtualService, T } from "./contracts";
import { nonDefaultShares, type VariantShare } from "./lib/flagd";
import { descendants, indexByUrn, k8sNamespace } from "./lib/graph";
import { isFlagRecordProps } from "./lib/release";

/** One place of a stack that sends requests to a canary. */
export interface CanaryRoute {
    /** Service the traffic is for: the destination host's short name, or the CanaryRouting's VirtualService name. */
    service: string;
    /** Namespace of that service, when the host or the resource says. */
    namespace: string | undefined;
    /** Other names the service goes by here (the VirtualService's own name). */
    aliases: string[];
    /** The canary's share of the route, in percent. */
    weight: number;
    /** What routes it, for the message: "VirtualService checkout route 'weighted'" or "CanaryRouting checkout". */
    via: string;
    resource: PolicyResource;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * Service and namespace of a destination host: `checkout`, `checkout.shop` and `checkout.shop.svc[.cluster.local]`
 * name a Service of the mesh; another FQDN names only its first label, without a namespace.
 */
export function serviceOfHost(host: string, namespace: string | undefined): { service: string; namespace: string | undefined } | undefined {
    if (host === "" || host.startsWith("*")) return undefined;
    const labels = host.split(".");
    const inMesh = labels.length === 2 || labels[2] === "svc";
    return { service: labels[0]!, namespace: labels.length === 1 ? namespace : inMesh ? labels[1] : undefined };
}

/**
 * The canary share of one destination: its weight. A lone destination without one takes its route's whole share,
 * counted only on a route without `match`: requests a route selects (opt-in headers, allowlisted users, paths)
 * reach the canary on purpose, as CanaryRouting's opt-in routes do at weight 0, not as a share of the traffic.
 */
function shareOf(route: Record<string, unknown>, destination: Record<string, unknown>, destinations: number): number {
    const weight = destination["weight"];
    if (typeof weight === "number") return weight;
    const selective = Array.isArray(route["match"]) && route["match"].length > 0;
    return destinations === 1 && !selective ? 100 : 0;
}

/** Routes of a VirtualService (HTTP, TCP and TLS) that send a share of all traffic above 0 to subset `canary`. */
export function canaryRoutesOfVirtualService(res: PolicyResource): CanaryRoute[] {
    const props = res.props ?? {};
    const metadata = isObject(props["metadata"]) ? props["metadata"] : {};
    const spec = isObject(props["spec"]) ? props["spec"] : {};
    const vsName = text(metadata["name"]) ?? res.name;
    const vsNamespace = text(metadata["namespace"]);
    const out: CanaryRoute[] = [];
    for (const kind of ["http", "tcp", "tls"]) {
        const routes = spec[kind];
        if (!Array.isArray(routes)) continue;
        for (const route of routes) {
            const destinations = isObject(route) && Array.isArray(route["route"]) ? route["route"].filter(isObject) : [];
            for (const d of destinations) {
                const dest = isObject(d["destination"]) ? d["destination"] : {};
                const weight = shareOf(route, d, destinations.length);
                if (dest["subset"] !== CANARY_SUBSET || !(weight > 0)) continue;
                const host = serviceOfHost(text(dest["host"]) ?? vsName, vsNamespace);
                out.push({
                    service: host?.service ?? vsName,
                    namespace: host?.namespace ?? vsNamespace,
                    aliases: [vsName],
                    weight,
                    via: `VirtualService ${vsName}${text(route["name"]) === undefined ? "" : ` route '${route["name"]}'`}`,
                    resource: res,
                });
            }
        }
    }
    return out;
}

/** A CanaryRouting component whose outputs split a share above 0 to the canary. */
export function canaryRouteOfComponent(res: PolicyResource): CanaryRoute | undefined {
    const props = res.props ?? {};
    const weight = props["canaryWeight"];
    if (typeof weight !== "number" || !(weight > 0)) return undefined;
    const vsName = text(props["virtualServiceName"]);
    const host = text(props["host"]) === undefined ? undefined : serviceOfHost(text(props["host"])!, undefined);
    const service = vsName ?? host?.service ?? res.name;
    return {
        service,
        namespace: host?.namespace,
        aliases: [vsName, host?.service].filter((n): n is string => n !== undefined),
        weight,
        via: `CanaryRouting ${res.name}`,
        resource: res,
    };
}

/** Every place of the stack that routes canary traffic. */
export function canaryRoutesOf(resources: readonly PolicyResource[]): CanaryRoute[] {
    return resources.flatMap((res) => {
        if (res.type === T.canaryRouting) return canaryRouteOfComponent(res) ?? [];
        return isVirtualService(res.type) ? canaryRoutesOfVirtualService(res) : [];
    });
}

/**
 * Service and namespace of each image-canary CanaryRelease record of the stack, valid or not (the validity rule
 * reports the rest). A flag rollout's record (it carries `flag`) is about users given a flag variant, not about the
 * service's canary subset: it never covers the service's canary traffic.
 */
function recordsOf(resources: readonly PolicyResource[]): Array<{ service: string; namespace: string | undefined }> {
    return resources
        .filter((res) => res.type === T.canaryRelease && !isFlagRecordProps(res.props))
        .flatMap((res) => {
            const service = text(res.props?.["service"]);
            return service === undefined ? [] : [{ service, namespace: text(res.props?.["namespace"]) }];
        });
}

/** Service, namespace and name of each flag rollout's CanaryRelease record, for the message. */
function flagRecordsOf(resources: readonly PolicyResource[]): Array<{ service: string; namespace: string | undefined; name: string }> {
    return resources
        .filter((res) => res.type === T.canaryRelease && isFlagRecordProps(res.props))
        .flatMap((res) => {
            const service = text(res.props?.["service"]);
            return service === undefined ? [] : [{ service, namespace: text(res.props?.["namespace"]), name: res.name }];
        });
}

/** Whether a record is about the service a route sends canary traffic to. */
function covers(record: { service: string; namespace: string | undefined }, route: CanaryRoute): boolean {
    if (record.service !== route.service && !route.aliases.includes(record.service)) return false;
    return record.namespace === undefined || route.namespace === undefined || record.namespace === route.namespace;
}

export const canaryRoutingHasReleaseRecord: Rule<{}> = {
    kind: "stack",
    name: "canary-routing-has-release-record",
    description:
        "A stack that routes canary traffic (a CanaryRouting with canaryWeight > 0, or a VirtualService route to subset 'canary' with weight > 0) has a CanaryRelease record of that service's image canary (a flag rollout's record does not count), the record the SLO gates, release windows and release discipline check. Mandatory in prod, advisory elsewhere by default.",
    severity: "high",
    defaults: {},
    // The gates it restores are production's; elsewhere a hand-made canary is worth a warning, not a refusal.
    environmentDefaults: { staging: "advisory", "*": "advisory" },
    validate(args, _ctx, report) {
        const records = recordsOf(args.resources);
        const flagRecords = flagRecordsOf(args.resources);
        const uncovered = new Map<string, CanaryRoute[]>();
        for (const route of canaryRoutesOf(args.resources)) {
            if (records.some((rec) => covers(rec, route))) continue;
            const key = `${route.namespace ?? ""}/${route.service}`;
            uncovered.set(key, [...(uncovered.get(key) ?? []), route]);
        }
        for (const routes of uncovered.values()) {
            // The component the user wrote first, then the objects it rendered; one message per service.
            const sorted = [...routes].sort((a, b) => Number(b.resource.type === T.canaryRouting) - Number(a.resource.type === T.canaryRouting));
            const first = sorted[0]!;
            const ns = first.namespace === undefined ? "" : ` (namespace ${first.namespace})`;
            const how = [...new Set(sorted.map((r) => `${r.via} sends ${r.weight}% to subset '${CANARY_SUBSET}'`))].join("; ");
            const flagged = flagRecords.filter((rec) => covers(rec, first)).map((rec) => rec.name);
            const flagNote =
                flagged.length === 0
                    ? ""
                    : ` (its flag rollout record${flagged.length > 1 ? "s" : ""} ${flagged.join(", ")} ${flagged.length > 1 ? "do" : "does"} not count: a flag rollout gives users a flag variant and routes no traffic to the canary subset)`;
            report(
                violation({
                    problem: `canary traffic of service '${first.service}'${ns} is routed (${how}) but the stack has no CanaryRelease record for '${first.service}'${flagNote}, so no SLO gate, release window or release-discipline rule checks this step`,
                    resource: { name: first.resource.name, urn: first.resource.urn },
                    field: first.resource.type === T.canaryRouting ? "canaryWeight" : "spec",
                    fix: `decide the step with decideCanaryStep("${first.service}", { namespace, progression, release }) from "gray-release/canary-step" and pass its routing (step.routing) to the routing, so the decision is recorded before the traffic moves (runStack records every service itself); or set the canary weight to 0`,
                }),
                { urn: first.resource.urn },
            );
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// Flag shares
// ---------------------------------------------------------------------------------------------------------

/** A flag rollout's CanaryRelease record as this rule needs it, read leniently (the validity rule reports broken ones). */
export interface FlagRolloutRecord {
    name: string;
    service: string;
    namespace: string | undefined;
    key: string;
    variant: string;
    /** The share of users the record says the variant has now: its weight, 100 once promoted, 0 once rolled back or failed. */
    share: number | undefined;
    status: string | undefined;
}

/** The flag rollouts recorded in the stack. */
export function flagRolloutRecordsOf(resources: readonly PolicyResource[]): FlagRolloutRecord[] {
    return resources
        .filter((res) => res.type === T.canaryRelease && isFlagRecordProps(res.props))
        .flatMap((res) => {
            const props = res.props ?? {};
            const flag = props["flag"] as Record<string, unknown>;
            const service = text(props["service"]);
            const key = text(flag["key"]);
            const variant = text(flag["variant"]);
            if (service === undefined || key === undefined || variant === undefined) return [];
            const status = text(props["status"]);
            return [{ name: res.name, service, namespace: text(props["namespace"]), key, variant, share: flagShare(props), status }];
        });
}

/** One flag of a FeatureFlags resource, in flagd's format. */
interface FlagdFlagView {
    key: string;
    state: unknown;
    defaultVariant: string | undefined;
    targeting: unknown;
}

/**
 * The flags of a FeatureFlags resource in flagd's format: its inputs carry them as `flags`, its outputs (what stack
 * policies see) as `configuration.flags`; shared evaluators come with the flag file (`$evaluators`).
 */
export function flagdFlagsOf(props: Record<string, unknown> | undefined): { flags: FlagdFlagView[]; evaluators: Record<string, unknown> } {
    const p = props ?? {};
    const configuration = isObject(p["configuration"]) ? p["configuration"] : {};
    const flags = isObject(p["flags"]) ? p["flags"] : isObject(configuration["flags"]) ? configuration["flags"] : {};
    const evaluators = isObject(configuration["$evaluators"]) ? configuration["$evaluators"] : isObject(p["$evaluators"]) ? p["$evaluators"] : {};
    return {
        flags: Object.entries(flags).flatMap(([key, flag]) =>
            isObject(flag) ? [{ key, state: flag["state"], defaultVariant: text(flag["defaultVariant"]), targeting: flag["targeting"] }] : [],
        ),
        evaluators,
    };
}

/** Namespace of a FeatureFlags resource: its `namespace` input, else that of the ConfigMap (or FeatureFlag) it created. */
function namespaceOfFlags(res: PolicyResource, resources: readonly PolicyResource[], byUrn: ReadonlyMap<string, PolicyResource>): string | undefined {
    const own = text(res.props?.["namespace"]);
    if (own !== undefined) return own;
    for (const child of descendants(res, resources, byUrn)) {
        const ns = k8sNamespace(child);
        if (ns !== undefined) return ns;
    }
    return undefined;
}

const sameNamespace = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a === b;
const pct = (n: number) => `${Number(n.toFixed(2))}%`;

/** What is wrong with one share, or undefined when a flag rollout's record accounts for it. */
export function shareProblem(
    share: VariantShare,
    records: readonly FlagRolloutRecord[],
): { problem: string; fix: "rollout" | "leave" | "literal" } | undefined {
    const variant = share.variant;
    if (variant === undefined || share.percent === undefined) {
        return {
            problem: `${variant === undefined ? "a variant chosen at evaluation time" : `variant '${variant}'`} gets ${share.percent === undefined ? "a share computed at evaluation time" : `${pct(share.percent)} of users`} (${share.path}), which the pack cannot check against a flag rollout's record`,
            fix: "literal",
        };
    }
    const own = records.find((rec) => rec.variant === variant);
    if (own === undefined) {
        const others = records.map((rec) => `'${rec.variant}' (record ${rec.name})`);
        return {
            problem: `variant '${variant}' gets a fixed ${pct(share.percent)} of users (${share.path}) with no flag rollout of that variant recorded in the stack${others.length > 0 ? ` (the flag's recorded rollout is of ${others.join(", ")})` : ""}, so no SLO gate, release window, staging-first or release-discipline rule checks that share`,
            fix: "rollout",
        };
    }
    if (own.share !== undefined && Math.abs(own.share - share.percent) < 0.005) return undefined;
    const recorded =
        own.share === undefined
            ? "a share it does not say (its weight is unreadable)"
            : own.status === "rolledBack" || own.status === "failed"
              ? `0% (status ${own.status}: nobody may get the variant)`
              : `${pct(own.share)}${own.status === "promoted" ? " (promoted)" : ""}`;
    return {
        problem: `variant '${variant}' gets ${pct(share.percent)} of users (${share.path}) but its flag rollout (record ${own.name}) is at ${recorded}`,
        fix: "leave",
    };
}

export const featureFlagShareHasReleaseRecord: Rule<Record<string, never>> = {
    kind: "stack",
    name: "feature-flag-share-has-release-record",
    description:
        "A FeatureFlags configuration that gives a variant other than the flag's default to a fractional share of users (flagd `fractional`, at any depth of the targeting) owes it to a flag rollout: the stack has that flag's rollout record (a CanaryRelease with `flag`) of the same namespace, flag and variant, and the share equals the record's (its weight; 100 once promoted; 0 once rolled back or failed). A fixed share written by hand bypasses the SLO gates, release windows and staging-first rule. Allowlist, canary-version and lane rules are no shares. Mandatory in prod, advisory elsewhere by default.",
    severity: "high",
    defaults: {},
    // The gates it restores are production's; elsewhere a hand-set share is worth a warning, not a refusal.
    environmentDefaults: { staging: "advisory", "*": "advisory" },
    validate(args, _ctx, report) {
        const records = flagRolloutRecordsOf(args.resources);
        const byUrn = indexByUrn(args.resources);
        for (const res of args.resources.filter((x) => x.type === FEATURE_FLAGS_TYPE)) {
            const namespace = namespaceOfFlags(res, args.resources, byUrn);
            const { flags, evaluators } = flagdFlagsOf(res.props);
            const ns = namespace === undefined ? "" : ` (namespace ${namespace})`;
            for (const flag of flags) {
                // A DISABLED flag serves its default to everyone, whatever its targeting says.
                if (flag.state === "DISABLED" || flag.defaultVariant === undefined) continue;
                const ofFlag = records.filter((rec) => rec.key === flag.key && sameNamespace(rec.namespace, namespace));
                for (const share of nonDefaultShares(flag.targeting, flag.defaultVariant, evaluators, `flags.${flag.key}.targeting`)) {
                    const found = shareProblem(share, ofFlag);
                    if (found === undefined) continue;
                    const rollout = `featureFlags.rollouts: [{ flag: "${flag.key}", variant: "${share.variant ?? "<variant>"}" }] of the service in the stack config (gray-release:services)`;
                    const fix =
                        found.fix === "rollout"
                            ? `remove the fixed share (targeting.fraction) and roll the variant out with ${rollout}: the program then moves the share one step per update on the SLO analysis and records each step for the pack; staff allowlists, canary-version and lane rules need no record`
                            : found.fix === "leave"
                              ? `leave the share to the rollout: remove the fixed share (targeting.fraction) of flag '${flag.key}'; the program writes the share its decision recorded`
                              : `write the share with literal variant names and integer weights (flagd fractional [[variant, weight], ...]), or better, roll the variant out with ${rollout}`;
                    report(
                        violation({
                            problem: `flag '${flag.key}' of FeatureFlags ${res.name}${ns}: ${found.problem}`,
                            resource: { name: res.name, urn: res.urn },
                            field: share.path,
                            fix,
                        }),
                        { urn: res.urn },
                    );
                }
            }
        }
    },
};

export const releaseRecordCoverageRules: Rule[] = [canaryRoutingHasReleaseRecord, featureFlagShareHasReleaseRecord];
