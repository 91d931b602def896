/**
 * Dependency rules: what a canary needs around it (routing targets, namespace baseline, telemetry,
 * long-term metrics, promotion order between environments, pinned images).
 */
import type { PolicyResource } from "@pulumi/policy";
import { knownEnvironments, normalizeEnvironment, type Rule, type RuleContext, type RuleReport, violation } from "./config";
import {
    type CanaryReleaseRecord,
    canaryReleaseOf,
    isDestinationRule,
    isNamespace,
    isNetworkPolicy,
    isPeerAuthentication,
    isResourceQuota,
    isStatefulSet,
    isVirtualService,
    T,
    thanosView,
    WORKLOAD_TYPES,
} from "./contracts";
import { listDelays, parseDuration } from "./lib/durations";
import { isIncrease, isNewCanary, isPromotion, isRollbackOrAbort, raisesExposure } from "./lib/gates";
import { ancestors, descendants, indexByUrn, k8sName, k8sNamespace } from "./lib/graph";
import { checkImage, containerLabel, containersOf, destinationsOf, normalizeHost } from "./lib/k8s";
import { flagRolloutName, isFlagRecordProps, releaseKeyOf } from "./lib/release";
import { findProjectDir, prefetchUpstreamPromotions, readUpstreamPromotions } from "./lib/upstream";

const r = (x: { name: string; urn: string }) => ({ name: x.name, urn: x.urn });

// ---------------------------------------------------------------------------------------------------------
// VirtualService → DestinationRule subsets
// ---------------------------------------------------------------------------------------------------------

export const virtualServiceSubsetsDefined: Rule<{}> = {
    kind: "stack",
    name: "virtualservice-subsets-defined",
    description: "Every VirtualService route that names a subset targets a subset defined by the DestinationRule of that host.",
    severity: "critical",
    defaults: {},
    validate(args, _ctx, report) {
        const subsetsByHost = new Map<string, { subsets: Set<string>; rules: string[] }>();
        for (const dr of args.resources.filter((x) => isDestinationRule(x.type))) {
            const host = dr.props?.["spec"]?.["host"];
            if (typeof host !== "string") continue;
            const key = normalizeHost(host, k8sNamespace(dr));
            const entry = subsetsByHost.get(key) ?? { subsets: new Set<string>(), rules: [] };
            const subsets = dr.props?.["spec"]?.["subsets"];
            if (Array.isArray(subsets)) for (const s of subsets) if (typeof s?.["name"] === "string") entry.subsets.add(s["name"]);
            entry.rules.push(k8sName(dr));
            subsetsByHost.set(key, entry);
        }
        for (const vs of args.resources.filter((x) => isVirtualService(x.type))) {
            for (const d of destinationsOf(vs.props?.["spec"])) {
                if (d.subset === undefined) continue;
                const key = normalizeHost(d.host, k8sNamespace(vs));
                const entry = subsetsByHost.get(key);
                if (!entry) {
                    report(
                        violation({
                            problem: `route to host '${d.host}' (${key}) uses subset '${d.subset}' but no DestinationRule in this stack defines host '${key}'`,
                            resource: r(vs),
                            field: `${d.path}.subset`,
                            fix: `add a DestinationRule with spec.host '${d.host}' defining subset '${d.subset}' (labels version: <version>), or remove the subset`,
                        }),
                        { urn: vs.urn },
                    );
                } else if (!entry.subsets.has(d.subset)) {
                    report(
                        violation({
                            problem: `route to host '${d.host}' uses subset '${d.subset}', which DestinationRule ${entry.rules.join(", ")} does not define (defined: ${[...entry.subsets].join(", ") || "none"})`,
                            resource: r(vs),
                            field: `${d.path}.subset`,
                            fix: `add subset '${d.subset}' to the DestinationRule's spec.subsets or route to one of: ${[...entry.subsets].join(", ") || "(define subsets first)"}`,
                        }),
                        { urn: vs.urn },
                    );
                }
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// Gray namespace baseline
// ---------------------------------------------------------------------------------------------------------

interface GrayNsConfig {
    requireEgressDeny: boolean;
    requiredQuotaKeys: string[];
}

function isEmptySelector(sel: unknown): boolean {
    if (sel === undefined || sel === null) return true;
    if (typeof sel !== "object") return false;
    const s = sel as Record<string, unknown>;
    const ml = s["matchLabels"] as Record<string, unknown> | undefined;
    const me = s["matchExpressions"] as unknown[] | undefined;
    return (!ml || Object.keys(ml).length === 0) && (!me || me.length === 0);
}

/** Default deny for a direction: selects all pods, lists the policy type, allows nothing. */
export function isDefaultDeny(spec: Record<string, any> | undefined, direction: "Ingress" | "Egress"): boolean {
    if (!spec || !isEmptySelector(spec["podSelector"])) return false;
    const types: unknown = spec["policyTypes"];
    const listed = Array.isArray(types) ? types.includes(direction) : direction === "Ingress";
    const rules = spec[direction === "Ingress" ? "ingress" : "egress"];
    return listed && (rules === undefined || rules === null || (Array.isArray(rules) && rules.length === 0));
}

export const grayNamespaceBaseline: Rule<GrayNsConfig> = {
    kind: "stack",
    name: "gray-namespace-baseline",
    description: "A gray namespace has the sidecar-injection label, namespace-wide STRICT mTLS, a default-deny NetworkPolicy and a ResourceQuota.",
    severity: "high",
    defaults: { requireEgressDeny: false, requiredQuotaKeys: [] },
    configProperties: {
        requireEgressDeny: { type: "boolean", default: false, description: "Also require default-deny egress." },
        requiredQuotaKeys: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Keys that the ResourceQuota spec.hard must set (e.g. limits.cpu, limits.memory, pods).",
        },
    },
    validate(args, ctx, report) {
        const byUrn = indexByUrn(args.resources);
        for (const gns of args.resources.filter((x) => x.type === T.grayNamespace)) {
            const kids = descendants(gns, args.resources, byUrn);
            const nsRes = kids.find((k) => isNamespace(k.type));
            const nsName = nsRes ? k8sName(nsRes) : String(gns.props?.["namespaceName"] ?? gns.props?.["name"] ?? gns.name);
            const fail = (problem: string, field: string, fix: string, res: PolicyResource = gns) =>
                report(violation({ problem: `gray namespace '${nsName}': ${problem}`, resource: r(res), field, fix }), { urn: res.urn });

            if (!nsRes) {
                fail("no Namespace child", "children", "create the kubernetes:core/v1:Namespace as a child of the GrayNamespace component");
            } else {
                const labels: Record<string, unknown> = nsRes.props?.["metadata"]?.["labels"] ?? {};
                const injected =
                    labels["istio-injection"] === "enabled" || (typeof labels["istio.io/rev"] === "string" && labels["istio.io/rev"] !== "");
                if (!injected) {
                    fail(
                        "sidecar injection is not enabled",
                        "metadata.labels['istio-injection']",
                        "label the namespace istio-injection: enabled (or istio.io/rev: <revision>)",
                        nsRes,
                    );
                }
            }
            const strict = kids
                .filter((k) => isPeerAuthentication(k.type))
                .some((pa) => pa.props?.["spec"]?.["mtls"]?.["mode"] === "STRICT" && isEmptySelector(pa.props?.["spec"]?.["selector"]));
            if (!strict) {
                fail(
                    "no namespace-wide STRICT mTLS",
                    "PeerAuthentication spec.mtls.mode",
                    "add a PeerAuthentication (security.istio.io) without selector and spec.mtls.mode: STRICT as a child",
                );
            }
            const nps = kids.filter((k) => isNetworkPolicy(k.type)).map((np) => np.props?.["spec"]);
            if (!nps.some((s) => isDefaultDeny(s, "Ingress"))) {
                fail(
                    "no default-deny ingress NetworkPolicy",
                    "NetworkPolicy spec",
                    "add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] and no ingress rules, then allow needed traffic explicitly",
                );
            }
            if (ctx.config.requireEgressDeny && !nps.some((s) => isDefaultDeny(s, "Egress"))) {
                fail(
                    "no default-deny egress NetworkPolicy",
                    "NetworkPolicy spec",
                    "add a NetworkPolicy with podSelector: {}, policyTypes: [Egress] and no egress rules",
                );
            }
            const quotas = kids.filter((k) => isResourceQuota(k.type));
            const hard = quotas.map((q) => (q.props?.["spec"]?.["hard"] ?? {}) as Record<string, unknown>);
            if (!hard.some((h) => Object.keys(h).length > 0)) {
                fail(
                    "no ResourceQuota with spec.hard limits",
                    "ResourceQuota spec.hard",
                    "add a ResourceQuota child with spec.hard (e.g. requests.cpu, limits.memory, pods)",
                );
            } else {
                const missing = ctx.config.requiredQuotaKeys.filter((k) => !hard.some((h) => h[k] !== undefined));
                if (missing.length > 0) {
                    fail(`ResourceQuota does not set ${missing.join(", ")}`, "ResourceQuota spec.hard", `set ${missing.join(", ")} in spec.hard`);
                }
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// OpenTelemetry coverage of canary namespaces
// ---------------------------------------------------------------------------------------------------------

/**
 * The OtelCollector agent is a DaemonSet on every node that accepts telemetry from every pod, so a collector
 * reaches every namespace unless it declares `watchedNamespaces` (then: its own namespace, the listed ones, or all
 * with "*").
 */
export const canaryNamespaceOtelCoverage: Rule<{}> = {
    kind: "stack",
    name: "canary-namespace-otel-coverage",
    description:
        "The namespace of every canary service is reached by an OpenTelemetry collector: a collector covers every namespace unless it declares watchedNamespaces (then its own namespace and the listed ones, '*' = all).",
    severity: "medium",
    defaults: {},
    validate(args, _ctx, report) {
        const byUrn = indexByUrn(args.resources);
        const collectorOf = (props: Record<string, unknown> | undefined) => {
            const declared = props?.["watchedNamespaces"];
            return {
                ns: props?.["namespace"] as string | undefined,
                // Not declared (absent / not a list): the DaemonSet agent reaches every namespace.
                watched: Array.isArray(declared) ? (declared.filter((n) => typeof n === "string") as string[]) : undefined,
            };
        };
        const collectors = [
            ...args.resources.filter((x) => x.type === T.otelCollector).map((c) => collectorOf(c.props)),
            // A services stack's collectors live in its platform stack, recorded by its PlatformReference.
            ...args.resources
                .filter((x) => x.type === T.platformReference)
                .flatMap((p) => (Array.isArray(p.props?.["collectors"]) ? (p.props["collectors"] as Array<Record<string, unknown>>) : []))
                .map(collectorOf),
        ];
        const covered = (ns: string) =>
            collectors.some((c) => c.watched === undefined || c.ns === ns || c.watched.includes(ns) || c.watched.includes("*"));
        const describe = (c: { ns: string | undefined; watched: string[] | undefined }) =>
            `${c.ns ?? "?"}[${c.watched === undefined ? "*" : c.watched.join(",")}]`;
        const check = (owner: PolicyResource, ns: string, what: string) => {
            if (covered(ns)) return;
            report(
                violation({
                    problem: `${what} runs in namespace '${ns}', which no OpenTelemetry collector reaches (collectors: ${collectors.map(describe).join("; ") || "none"})`,
                    resource: r(owner),
                    field: "metadata.namespace",
                    fix:
                        collectors.length === 0
                            ? `deploy an OtelCollector (it covers every namespace unless it declares watchedNamespaces)`
                            : `add '${ns}' to an OtelCollector's watchedNamespaces (or remove the declaration: an undeclared collector covers every namespace), or deploy a collector in '${ns}'`,
                }),
                { urn: owner.urn },
            );
        };
        for (const routing of args.resources.filter((x) => x.type === T.canaryRouting)) {
            const namespaces = new Set<string>();
            for (const k of descendants(routing, args.resources, byUrn)) {
                if (isVirtualService(k.type) || isDestinationRule(k.type)) namespaces.add(k8sNamespace(k) ?? "default");
            }
            for (const ns of namespaces) check(routing, ns, `canary routing '${routing.name}'`);
        }
        for (const rel of args.resources.filter((x) => x.type === T.canaryRelease)) {
            const ns = rel.props?.["namespace"];
            if (typeof ns !== "string" || !ns) continue;
            const service = String(rel.props?.["service"] ?? rel.name);
            const flag = rel.props?.["flag"];
            const flagged = isFlagRecordProps(rel.props) && typeof flag["key"] === "string" && typeof flag["variant"] === "string";
            check(rel, ns, flagged ? flagRolloutName(service, { key: flag["key"], variant: flag["variant"] }) : `canary '${service}'`);
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// Thanos
// ---------------------------------------------------------------------------------------------------------

interface RetentionConfig {
    longestSloWindow: string;
    downsampleDelays: string[];
}

export const thanosRetentionCoversSlo: Rule<RetentionConfig> = {
    kind: "stack",
    name: "thanos-retention-covers-slo-window",
    description: "Thanos raw retention is at least the longest SLO window and at least every downsampling delay.",
    severity: "high",
    defaults: { longestSloWindow: "7d", downsampleDelays: ["40h"] },
    configProperties: {
        longestSloWindow: {
            type: "string",
            default: "7d",
            description: "Longest SLO window, used when the Thanos component does not report longestSloWindow.",
        },
        downsampleDelays: {
            type: "array",
            items: { type: "string" },
            default: ["40h"],
            description: "Downsampling delays, used when the Thanos component does not report downsampleDelays (Thanos: raw→5m after 40h).",
        },
    },
    validate(args, ctx, report) {
        for (const th of args.resources.filter((x) => x.type === T.thanos)) {
            const v = thanosView(th.props);
            const rep = (problem: string, field: string, fix: string) => report(violation({ problem, resource: r(th), field, fix }), { urn: th.urn });
            if (v.rawRetention === undefined) {
                rep(
                    "Thanos component reports no rawRetention, so its retention cannot be checked",
                    "rawRetention",
                    "register rawRetention (compactor --retention.resolution-raw) among the component outputs",
                );
                continue;
            }
            let raw: number;
            try {
                raw = parseDuration(v.rawRetention);
            } catch (e) {
                rep(`rawRetention is not a duration: ${(e as Error).message}`, "rawRetention", "use a duration such as 30d");
                continue;
            }
            if (raw === 0) continue; // 0d = keep raw data forever
            const window = v.longestSloWindow ?? ctx.config.longestSloWindow;
            const delays = v.downsampleDelays !== undefined ? listDelays(v.downsampleDelays) : listDelays(ctx.config.downsampleDelays);
            const checks = [{ label: "longestSloWindow", value: String(window) }, ...delays];
            for (const c of checks) {
                let need: number;
                try {
                    need = parseDuration(c.value);
                } catch (e) {
                    rep(`${c.label} is not a duration: ${(e as Error).message}`, c.label, "use a duration such as 40h or 28d");
                    continue;
                }
                if (raw < need) {
                    rep(
                        `raw retention ${v.rawRetention} is shorter than ${c.label} ${c.value}` +
                            (c.label === "longestSloWindow"
                                ? " (SLO attainment cannot be computed from raw data over its window)"
                                : " (raw blocks would be deleted before they are downsampled)"),
                        "rawRetention",
                        `set rawRetention to at least ${c.value} (or "0d" to keep raw data forever)`,
                    );
                }
            }
        }
    },
};

export const thanosSingleCompactorPerBucket: Rule<{}> = {
    kind: "stack",
    name: "thanos-single-compactor-per-bucket",
    description: "Exactly one Thanos compactor (one StatefulSet, one replica) runs per object-store bucket.",
    severity: "critical",
    defaults: {},
    validate(args, _ctx, report) {
        const byUrn = indexByUrn(args.resources);
        const byBucket = new Map<string, PolicyResource[]>();
        for (const ss of args.resources.filter((x) => isStatefulSet(x.type))) {
            if (!/compactor/i.test(k8sName(ss)) && !/compactor/i.test(ss.name)) continue;
            const thanos = ancestors(ss, byUrn).find((a) => a.type === T.thanos);
            const bucket = (thanos ? thanosView(thanos.props).bucket : undefined) ?? `(unknown bucket of ${ss.name})`;
            byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), ss]);
            const replicas = ss.props?.["spec"]?.["replicas"];
            if (typeof replicas === "number" && replicas > 1) {
                report(
                    violation({
                        problem: `Thanos compactor runs ${replicas} replicas on bucket '${bucket}'; concurrent compactors corrupt or duplicate blocks`,
                        resource: r(ss),
                        field: "spec.replicas",
                        fix: "set spec.replicas: 1",
                    }),
                    { urn: ss.urn },
                );
            }
        }
        for (const [bucket, list] of byBucket) {
            if (list.length <= 1) continue;
            for (const ss of list.slice(1)) {
                report(
                    violation({
                        problem: `bucket '${bucket}' has ${list.length} Thanos compactors (${list.map((x) => x.name).join(", ")})`,
                        resource: r(ss),
                        field: "metadata.name",
                        fix: `keep one compactor for bucket '${bucket}' (e.g. ${list[0]!.name}) and disable the others (Thanos compactor enabled: false)`,
                    }),
                    { urn: ss.urn },
                );
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------------------
// Promotion order between environments
// ---------------------------------------------------------------------------------------------------------

interface PromotionConfig {
    upstreamStacks: Record<string, string>;
    upstreamTimeoutSeconds: number;
}

/** Project directory the CLI runs in: the nearest Pulumi.yaml above this file (the pack's cwd is policies/). */
let projectDir: string | undefined;
function projectDirectory(): string {
    projectDir ??= findProjectDir(__dirname) ?? process.cwd();
    return projectDir;
}

/** The root resource of every stack; the engine analyses it first, as soon as the program starts. */
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** Upstream stack of an environment (keys matched case-insensitively), or undefined. */
export function upstreamOf(upstreamStacks: Record<string, string>, env: string): string | undefined {
    const hit = Object.entries(upstreamStacks ?? {}).find(([k]) => k.toLowerCase() === env.toLowerCase());
    return hit && typeof hit[1] === "string" && hit[1].length > 0 ? hit[1] : undefined;
}

/**
 * A version reaches an environment only after its upstream environment promoted it. The upstream's canary program
 * exports the stack output `promotions` (release key → [{ image, at }]); this rule reads it with the Pulumi CLI, once
 * per pack run (see lib/upstream.ts). Gated, in an environment that has an upstream in `upstreamStacks`:
 *  - an image canary: a new canary (action 'start', or 0% → >0%) and a manual 'promote' of a version that never ran
 *    here (0% → 0%); the upstream must list its `canaryImage` under the service;
 *  - a flag rollout (the record has `flag`): every update that gives the variant to more users (a start, any rise of
 *    the share, a promotion), since a flag's share can jump without a new version to notice; the upstream must list
 *    its identity `flag:<key>=<variant>@<revision>` under `<service>/flag/<key>` (never under the service, where
 *    the image promotions are).
 */
export const promotionOrder: Rule<PromotionConfig> = {
    kind: "resource",
    name: "promotion-order",
    description:
        "A canary version may start (or be promoted outright) in an environment only after the upstream environment's stack promoted the same service and version (its 'promotions' stack output; upstreamStacks, default prod ← staging); a flag rollout may start, rise or be promoted only after the upstream promoted the same flag variant and revision (listed under <service>/flag/<key>).",
    severity: "critical",
    defaults: { upstreamStacks: { prod: "staging" }, upstreamTimeoutSeconds: 60 },
    configProperties: {
        upstreamStacks: {
            type: "object",
            additionalProperties: { type: "string" },
            default: { prod: "staging" },
            description:
                'Environment → name of the upstream stack whose \'promotions\' output must list the version first (e.g. {staging: "dev", prod: "staging"}; a fully qualified org/project/stack works too). Replaces the default map.',
        },
        upstreamTimeoutSeconds: {
            type: "number",
            minimum: 1,
            default: 60,
            description: "Timeout of 'pulumi stack output promotions --json --stack <upstream>'.",
        },
    },
    async validate(args, ctx, report) {
        const readOptions = () => ({ cwd: projectDirectory(), timeoutMs: Math.max(1, ctx.config.upstreamTimeoutSeconds) * 1000 });
        if (args.type === ROOT_STACK_TYPE) {
            // Seconds before the program declares its CanaryRelease records: read the upstream now, off the
            // engine's critical path. Only the stack's environment is known here, so the read may go unused.
            const upstream = upstreamOf(ctx.config.upstreamStacks, ctx.environmentOf(args.urn));
            if (upstream !== undefined) prefetchUpstreamPromotions(upstream, readOptions());
            return;
        }
        const rec = canaryReleaseOf(args);
        if (!rec) return;
        if (rec.flag !== undefined) return flagPromotionOrder(rec, rec.flag, args, ctx, report, readOptions);
        if (isRollbackOrAbort(rec)) return;
        const manualPromote = String(rec.action).toLowerCase() === "promote";
        if (!isNewCanary(rec) && !manualPromote) return;
        const env = ctx.environmentOf(args.urn, rec.environment);
        const upstream = upstreamOf(ctx.config.upstreamStacks, env);
        if (upstream === undefined) return;
        const at = { environment: env };
        const what = manualPromote && !isNewCanary(rec) ? "is promoted" : "starts";
        const read = await readUpstreamPromotions(upstream, readOptions());
        if (!read.ok) {
            report(
                violation({
                    problem: `canary '${rec.service}' version ${rec.canaryImage} ${what} in ${env}, but the promotions of upstream stack '${upstream}' cannot be read to verify it was promoted there first: ${read.error}`,
                    resource: r(args),
                    field: "canaryImage",
                    fix: `run the canary program on stack '${upstream}' in this backend until it promotes ${rec.canaryImage} (it then exports the 'promotions' output), or fix policy config promotion-order.upstreamStacks`,
                }),
                at,
            );
            return;
        }
        const list = read.promotions[rec.service] ?? [];
        if (list.some((p) => p.image === rec.canaryImage)) return;
        const known = list.map((p) => p.image);
        report(
            violation({
                problem: `canary '${rec.service}' version ${rec.canaryImage} ${what} in ${env} but upstream stack '${upstream}' has not promoted it (its promotions of '${rec.service}': ${known.length > 0 ? known.slice(-5).join(", ") : "none"})`,
                resource: r(args),
                field: "canaryImage",
                fix: `finish the ${rec.canaryImage} canary on stack '${upstream}' through promotion first, then start it in ${env}`,
            }),
            at,
        );
    },
};

/** The environment a stack name stands for ("staging", "acme/shop/stg-eu" → staging), or the stack name itself. */
function environmentOfStack(cfg: Parameters<typeof knownEnvironments>[0], stack: string): string {
    return normalizeEnvironment(stack, knownEnvironments(cfg)) ?? stack;
}

/** promotion-order for a flag rollout's record: any update giving the variant to more users needs the upstream's promotion. */
async function flagPromotionOrder(
    rec: CanaryReleaseRecord,
    flag: NonNullable<CanaryReleaseRecord["flag"]>,
    args: { name: string; urn: string },
    ctx: RuleContext<PromotionConfig>,
    report: RuleReport,
    readOptions: () => { cwd: string; timeoutMs: number },
): Promise<void> {
    if (!raisesExposure(rec)) return;
    const env = ctx.environmentOf(args.urn, rec.environment);
    const upstream = upstreamOf(ctx.config.upstreamStacks, env);
    if (upstream === undefined) return;
    const at = { environment: env };
    const key = releaseKeyOf(rec);
    const name = flagRolloutName(rec.service, flag);
    const what = isPromotion(rec)
        ? `is promoted (${rec.previousWeight}% → 100% of users)`
        : isNewCanary(rec)
          ? `starts (${rec.previousWeight}% → ${rec.weight}% of users)`
          : isIncrease(rec)
            ? `rises ${rec.previousWeight}% → ${rec.weight}% of users`
            : "moves";
    const upstreamEnv = environmentOfStack(ctx.config, upstream);
    const runFirst = `run it in ${upstreamEnv} first: roll out flag ${flag.key} variant '${flag.variant}' with revision ${flag.revision} (featureFlags.rollouts of service '${rec.service}') on stack '${upstream}' until it is promoted there, so that stack lists ${rec.canaryImage} under '${key}' in its 'promotions' output; then roll it out in ${env}`;
    const read = await readUpstreamPromotions(upstream, readOptions());
    if (!read.ok) {
        report(
            violation({
                problem: `${name} (${rec.canaryImage}) ${what} in ${env}, but the promotions of upstream stack '${upstream}' cannot be read to verify it ran in ${upstreamEnv} first: ${read.error}`,
                resource: r(args),
                field: "flag",
                fix: `${runFirst}; or fix policy config promotion-order.upstreamStacks`,
            }),
            at,
        );
        return;
    }
    const list = read.promotions[key] ?? [];
    if (list.some((p) => p.image === rec.canaryImage)) return;
    const known = list.map((p) => p.image);
    report(
        violation({
            problem: `${name} (${rec.canaryImage}) ${what} in ${env} but upstream stack '${upstream}' (${upstreamEnv}) has not promoted it (its promotions of '${key}': ${known.length > 0 ? known.slice(-5).join(", ") : "none"})`,
            resource: r(args),
            field: "flag",
            fix: runFirst,
        }),
        at,
    );
}

// ---------------------------------------------------------------------------------------------------------
// Pinned images
// ---------------------------------------------------------------------------------------------------------

interface ImageConfig {
    requireDigestIn: string[];
}

export const imagesPinned: Rule<ImageConfig> = {
    kind: "resource",
    name: "images-pinned",
    description: "Workload images are pinned: never 'latest' or untagged; pinned by digest in the listed environments (prod).",
    severity: "high",
    defaults: { requireDigestIn: ["prod"] },
    configProperties: {
        requireDigestIn: {
            type: "array",
            items: { type: "string" },
            default: ["prod"],
            description: "Environments where images must be pinned by @sha256 digest.",
        },
    },
    validate(args, ctx, report) {
        if (!WORKLOAD_TYPES.includes(args.type)) return;
        const env = ctx.environmentOf(args.urn);
        const requireDigest = ctx.config.requireDigestIn.map((e) => e.toLowerCase()).includes(env.toLowerCase());
        for (const c of containersOf(args.type, args.props)) {
            const res = checkImage(c.container["image"], requireDigest);
            if (res.ok) continue;
            report(
                violation({
                    problem: `${containerLabel(c)}: ${res.problem}`,
                    resource: r(args),
                    field: `${c.path}.image`,
                    fix: res.fix ?? "pin the image",
                }),
                { environment: env },
            );
        }
    },
};

export const dependencyRules: Rule[] = [
    virtualServiceSubsetsDefined,
    grayNamespaceBaseline,
    canaryNamespaceOtelCoverage,
    thanosRetentionCoversSlo,
    thanosSingleCompactorPerBucket,
    promotionOrder,
    imagesPinned,
];
