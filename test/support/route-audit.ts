/**
 * Route audit: the pure core of the cluster watcher (no I/O). Given one snapshot of the cluster it lists every
 * VirtualService destination that can carry traffic and whether it has a Ready endpoint; fed a series of
 * timestamped snapshots, {@link RouteAuditor} sums the route-seconds without a ready endpoint and tracks
 * Deployments that were deleted or replaced (new UID).
 *
 * Istio semantics assumed (see {@link auditSnapshot}):
 * - A route with a single destination sends it all traffic whatever its weight; in a route with several,
 *   a destination with weight 0 or no weight gets nothing (Envoy drops 0-weight clusters).
 * - `mirror` carries traffic unless `mirrorPercentage.value` (or the deprecated `mirrorPercent`) is 0; the
 *   newer `mirrors[]` list is read the same way with its `percentage`.
 * - Host names: `svc` is relative to the VirtualService's namespace, `svc.ns` and `svc.ns.svc[.<domain>]`
 *   name a Service directly. Anything else (external hosts, wildcards) has no Service: broken.
 * - A subset is looked up in the DestinationRules for the host in the VirtualService's namespace first, then
 *   the Service's namespace (exact hosts before wildcard ones); the first rule that defines it wins.
 */

/** The metadata fields read. */
export interface ObjectMeta {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Readonly<Record<string, string>> | null;
    deletionTimestamp?: string | null;
}

export interface PodCondition {
    type?: string;
    status?: string;
}

export interface PodShape {
    metadata: ObjectMeta;
    status?: { conditions?: ReadonlyArray<PodCondition> | null } | null;
}

export interface ServiceShape {
    metadata: ObjectMeta;
    spec?: { selector?: Readonly<Record<string, string>> | null } | null;
}

export interface DestinationShape {
    host?: string;
    subset?: string;
}

export interface HttpRouteShape {
    name?: string;
    route?: ReadonlyArray<{ destination?: DestinationShape | null; weight?: number | null }> | null;
    mirror?: DestinationShape | null;
    mirrorPercentage?: { value?: number | null } | null;
    /** Deprecated integer form of `mirrorPercentage`. */
    mirrorPercent?: number | null;
    mirrors?: ReadonlyArray<{ destination?: DestinationShape | null; percentage?: { value?: number | null } | null }> | null;
}

export interface VirtualServiceShape {
    metadata: ObjectMeta;
    spec?: { http?: ReadonlyArray<HttpRouteShape> | null } | null;
}

export interface DestinationRuleShape {
    metadata: ObjectMeta;
    spec?: {
        host?: string;
        subsets?: ReadonlyArray<{ name?: string; labels?: Readonly<Record<string, string>> | null }> | null;
    } | null;
}

export interface DeploymentShape {
    metadata: ObjectMeta;
}

/** Everything one sample reads, cluster-wide. */
export interface ClusterSnapshot {
    virtualServices: ReadonlyArray<VirtualServiceShape>;
    destinationRules: ReadonlyArray<DestinationRuleShape>;
    services: ReadonlyArray<ServiceShape>;
    pods: ReadonlyArray<PodShape>;
    deployments: ReadonlyArray<DeploymentShape>;
}

/** Why a destination cannot be served. */
export type BrokenReason =
    /** The host is not a cluster Service name (external, wildcard or malformed). */
    | "unresolvable-host"
    /** No Service of that name in that namespace. */
    | "service-not-found"
    /** The Service has no selector, so no pod backs it. */
    | "service-without-selector"
    /** The destination names a subset but no DestinationRule covers the host. */
    | "destination-rule-not-found"
    /** DestinationRules cover the host but none defines the subset. */
    | "subset-not-found"
    /** Everything resolves but no Ready, non-terminating pod matches. */
    | "no-ready-pods"
    /** A multi-destination route whose weights are all 0: it matches requests and sends them nowhere. */
    | "no-weighted-destination";

/** One traffic-carrying destination of one VirtualService route. */
export interface RouteFinding {
    /** Stable identity across samples: VirtualService, route, kind, host and subset. */
    key: string;
    /** `namespace/name` of the VirtualService. */
    virtualService: string;
    /** The HTTP route's name, or `http[<index>]` when unnamed. */
    route: string;
    routeIndex: number;
    /** `route`: a weighted destination; `mirror`: a shadow destination. */
    kind: "route" | "mirror";
    /** Index within `route[]` (or `mirrors[]`); -1 for `mirror` and for a route-level finding. */
    destinationIndex: number;
    host: string;
    subset?: string;
    /** Weight (route) or mirror percentage. */
    weight: number;
    /** `namespace/name` of the resolved Service, when found. */
    service?: string;
    readyPods: number;
    ok: boolean;
    reason?: BrokenReason;
}

export interface DeploymentChange {
    change: "replaced" | "deleted";
    namespace: string;
    name: string;
    previousUid: string | undefined;
    /** The new UID (replaced only). */
    uid?: string;
}

/** `name` + `namespace` of a Service a host names, relative to `namespace`; undefined when it names none. */
export function resolveHost(host: string, namespace: string): { name: string; namespace: string } | undefined {
    const h = host.trim().toLowerCase().replace(/\.$/, "");
    const parts = h.split(".");
    if (h === "" || parts.some((p) => p === "" || p.includes("*"))) return undefined;
    const [name, ns, svc] = parts as [string, string | undefined, string | undefined];
    if (parts.length === 1) return { name, namespace };
    if (parts.length === 2 && ns !== undefined) return { name, namespace: ns };
    if (ns !== undefined && svc === "svc") return { name, namespace: ns };
    return undefined;
}

/** Whether a DestinationRule host (relative to its namespace) covers the Service; "exact", "wildcard" or no. */
function drCovers(drHost: string, drNamespace: string, svc: { name: string; namespace: string }): "exact" | "wildcard" | undefined {
    const h = drHost.trim().toLowerCase().replace(/\.$/, "");
    if (h === "*") return "wildcard";
    if (h.startsWith("*.")) {
        const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
        return fqdn.endsWith(h.slice(1)) ? "wildcard" : undefined;
    }
    const r = resolveHost(h, drNamespace);
    return r !== undefined && r.name === svc.name && r.namespace === svc.namespace ? "exact" : undefined;
}

export function isPodReady(pod: PodShape): boolean {
    if (pod.metadata.deletionTimestamp) return false;
    return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function matchesLabels(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function nsOf(meta: ObjectMeta): string {
    return meta.namespace ?? "default";
}

/** Indexes of a snapshot, built once per audit. */
class SnapshotIndex {
    readonly services = new Map<string, ServiceShape>();
    readonly readyPodsByNs = new Map<string, Array<Readonly<Record<string, string>>>>();

    constructor(readonly snapshot: ClusterSnapshot) {
        for (const s of snapshot.services) this.services.set(`${nsOf(s.metadata)}/${s.metadata.name}`, s);
        for (const p of snapshot.pods) {
            if (!isPodReady(p)) continue;
            const ns = nsOf(p.metadata);
            const list = this.readyPodsByNs.get(ns) ?? [];
            list.push(p.metadata.labels ?? {});
            this.readyPodsByNs.set(ns, list);
        }
    }

    /** Subset labels, or why they cannot be found. */
    subsetLabels(
        subset: string,
        svc: { name: string; namespace: string },
        vsNamespace: string,
    ): { labels: Readonly<Record<string, string>> } | { reason: "destination-rule-not-found" | "subset-not-found" } {
        const namespaces = vsNamespace === svc.namespace ? [vsNamespace] : [vsNamespace, svc.namespace];
        const candidates: DestinationRuleShape[] = [];
        for (const ns of namespaces) {
            const inNs = this.snapshot.destinationRules.filter((dr) => nsOf(dr.metadata) === ns);
            for (const kind of ["exact", "wildcard"] as const) {
                candidates.push(...inNs.filter((dr) => drCovers(dr.spec?.host ?? "", ns, svc) === kind));
            }
        }
        if (candidates.length === 0) return { reason: "destination-rule-not-found" };
        for (const dr of candidates) {
            const found = (dr.spec?.subsets ?? []).find((s) => s.name === subset);
            if (found) return { labels: found.labels ?? {} };
        }
        return { reason: "subset-not-found" };
    }
}

interface Destination {
    kind: RouteFinding["kind"];
    destinationIndex: number;
    destination: DestinationShape;
    weight: number;
}

/** The destinations of one HTTP route that can receive traffic. */
function trafficDestinations(r: HttpRouteShape): { destinations: Destination[]; weightless: boolean } {
    const out: Destination[] = [];
    const route = r.route ?? [];
    let weightless = false;
    if (route.length === 1) {
        const only = route[0]!;
        out.push({ kind: "route", destinationIndex: 0, destination: only.destination ?? {}, weight: only.weight || 100 });
    } else if (route.length > 1) {
        route.forEach((d, i) => {
            const w = d.weight ?? 0;
            if (w > 0) out.push({ kind: "route", destinationIndex: i, destination: d.destination ?? {}, weight: w });
        });
        weightless = out.length === 0;
    }
    if (r.mirror) {
        const pct = r.mirrorPercentage?.value ?? r.mirrorPercent ?? 100;
        if (pct > 0) out.push({ kind: "mirror", destinationIndex: -1, destination: r.mirror, weight: pct });
    }
    (r.mirrors ?? []).forEach((m, i) => {
        const pct = m.percentage?.value ?? 100;
        if (m.destination && pct > 0) out.push({ kind: "mirror", destinationIndex: i, destination: m.destination, weight: pct });
    });
    return { destinations: out, weightless };
}

/** One finding per traffic-carrying destination of every HTTP route of every VirtualService. */
export function auditSnapshot(snapshot: ClusterSnapshot): RouteFinding[] {
    const index = new SnapshotIndex(snapshot);
    const findings: RouteFinding[] = [];
    for (const vs of snapshot.virtualServices) {
        const vsNs = nsOf(vs.metadata);
        const vsName = `${vsNs}/${vs.metadata.name}`;
        (vs.spec?.http ?? []).forEach((r, routeIndex) => {
            const route = r.name ?? `http[${routeIndex}]`;
            const { destinations, weightless } = trafficDestinations(r);
            if (weightless) {
                findings.push({
                    key: `${vsName}#${route}:route:`,
                    virtualService: vsName,
                    route,
                    routeIndex,
                    kind: "route",
                    destinationIndex: -1,
                    host: "",
                    weight: 0,
                    readyPods: 0,
                    ok: false,
                    reason: "no-weighted-destination",
                });
            }
            for (const d of destinations) {
                const host = d.destination.host ?? "";
                const subset = d.destination.subset || undefined;
                const finding: RouteFinding = {
                    key: `${vsName}#${route}:${d.kind}:${host}/${subset ?? ""}`,
                    virtualService: vsName,
                    route,
                    routeIndex,
                    kind: d.kind,
                    destinationIndex: d.destinationIndex,
                    host,
                    weight: d.weight,
                    readyPods: 0,
                    ok: false,
                };
                if (subset !== undefined) finding.subset = subset;
                findings.push(finding);

                const target = resolveHost(host, vsNs);
                if (target === undefined) {
                    finding.reason = "unresolvable-host";
                    continue;
                }
                const svcKey = `${target.namespace}/${target.name}`;
                const svc = index.services.get(svcKey);
                if (svc === undefined) {
                    finding.reason = "service-not-found";
                    continue;
                }
                finding.service = svcKey;
                const selector = svc.spec?.selector ?? {};
                if (Object.keys(selector).length === 0) {
                    finding.reason = "service-without-selector";
                    continue;
                }
                let subsetLabels: Readonly<Record<string, string>> = {};
                if (subset !== undefined) {
                    const s = index.subsetLabels(subset, target, vsNs);
                    if ("reason" in s) {
                        finding.reason = s.reason;
                        continue;
                    }
                    subsetLabels = s.labels;
                }
                const pods = index.readyPodsByNs.get(target.namespace) ?? [];
                finding.readyPods = pods.filter((l) => matchesLabels(l, selector) && matchesLabels(l, subsetLabels)).length;
                if (finding.readyPods > 0) finding.ok = true;
                else finding.reason = "no-ready-pods";
            }
        });
    }
    return findings;
}

/** Deployments of `prev` that are gone from `next` (deleted) or carry another UID there (replaced). */
export function compareDeployments(prev: ReadonlyArray<DeploymentShape>, next: ReadonlyArray<DeploymentShape>): DeploymentChange[] {
    const nextByKey = new Map(next.map((d) => [`${nsOf(d.metadata)}/${d.metadata.name}`, d]));
    const changes: DeploymentChange[] = [];
    for (const p of prev) {
        const namespace = nsOf(p.metadata);
        const name = p.metadata.name;
        const n = nextByKey.get(`${namespace}/${name}`);
        if (n === undefined) {
            changes.push({ change: "deleted", namespace, name, previousUid: p.metadata.uid });
        } else if (n.metadata.uid !== p.metadata.uid) {
            const c: DeploymentChange = { change: "replaced", namespace, name, previousUid: p.metadata.uid };
            if (n.metadata.uid !== undefined) c.uid = n.metadata.uid;
            changes.push(c);
        }
    }
    return changes;
}

/** One sample in which one destination had no ready endpoint. */
export interface ViolationEvent {
    /** Sample time, ms since the epoch. */
    at: number;
    /** Milliseconds charged for it. */
    intervalMs: number;
    key: string;
    virtualService: string;
    route: string;
    kind: RouteFinding["kind"];
    host: string;
    subset?: string;
    service?: string;
    reason: BrokenReason;
}

export interface DeploymentEvent {
    at: number;
    namespace: string;
    name: string;
    previousUid: string | undefined;
    uid?: string;
}

export interface AuditReport {
    /** Sum over samples and broken destinations of the interval charged to each sample. */
    routeSecondsWithoutReadyEndpoint: number;
    /** The same, per {@link RouteFinding.key}. */
    routeSecondsByDestination: Record<string, number>;
    violations: ViolationEvent[];
    deploymentsReplaced: DeploymentEvent[];
    deploymentsDeleted: DeploymentEvent[];
    /** Successful samples. */
    samples: number;
    /** Failed samples (the cluster could not be read). */
    errors: number;
    /** The last few error messages. */
    errorMessages: string[];
    /** Largest time between two consecutive successful samples. */
    maxGapMs: number;
    firstSampleAt?: number;
    lastSampleAt?: number;
    /** Traffic-carrying destinations seen in the last sample. */
    destinationsInLastSample: number;
}

/** What one sample found. */
export interface SampleResult {
    at: number;
    intervalMs: number;
    findings: RouteFinding[];
    violations: ViolationEvent[];
    deploymentChanges: DeploymentChange[];
}

export interface RouteAuditorOptions {
    /** Interval charged to the first sample, ms (default 200). */
    nominalIntervalMs?: number;
    /** Error messages kept (default 20). */
    keepErrors?: number;
}

/**
 * Accumulates samples. A destination broken at sample t_i is charged t_i − t_{i−1} (the previous successful
 * sample), or the nominal interval for the first sample.
 */
export class RouteAuditor {
    private readonly nominalIntervalMs: number;
    private readonly keepErrors: number;
    private lastAt: number | undefined;
    private firstAt: number | undefined;
    private prevDeployments: ReadonlyArray<DeploymentShape> | undefined;
    private brokenMs = 0;
    private readonly brokenMsByKey = new Map<string, number>();
    private readonly violations: ViolationEvent[] = [];
    private readonly replaced: DeploymentEvent[] = [];
    private readonly deleted: DeploymentEvent[] = [];
    private samples = 0;
    private errors = 0;
    private readonly errorMessages: string[] = [];
    private maxGapMs = 0;
    private lastDestinations = 0;

    constructor(opts: RouteAuditorOptions = {}) {
        this.nominalIntervalMs = opts.nominalIntervalMs ?? 200;
        this.keepErrors = opts.keepErrors ?? 20;
    }

    /** Feeds one snapshot taken at `atMs` (ms; the watcher uses `Date.now()`). */
    observe(snapshot: ClusterSnapshot, atMs: number): SampleResult {
        const intervalMs = this.lastAt === undefined ? this.nominalIntervalMs : Math.max(0, atMs - this.lastAt);
        if (this.lastAt !== undefined) this.maxGapMs = Math.max(this.maxGapMs, intervalMs);
        this.lastAt = atMs;
        this.firstAt ??= atMs;
        this.samples++;

        const findings = auditSnapshot(snapshot);
        this.lastDestinations = findings.length;
        const violations: ViolationEvent[] = [];
        for (const f of findings) {
            if (f.ok) continue;
            this.brokenMs += intervalMs;
            this.brokenMsByKey.set(f.key, (this.brokenMsByKey.get(f.key) ?? 0) + intervalMs);
            const v: ViolationEvent = {
                at: atMs,
                intervalMs,
                key: f.key,
                virtualService: f.virtualService,
                route: f.route,
                kind: f.kind,
                host: f.host,
                reason: f.reason ?? "no-ready-pods",
            };
            if (f.subset !== undefined) v.subset = f.subset;
            if (f.service !== undefined) v.service = f.service;
            violations.push(v);
        }
        this.violations.push(...violations);

        const deploymentChanges = this.prevDeployments === undefined ? [] : compareDeployments(this.prevDeployments, snapshot.deployments);
        this.prevDeployments = snapshot.deployments;
        for (const c of deploymentChanges) {
            const e: DeploymentEvent = { at: atMs, namespace: c.namespace, name: c.name, previousUid: c.previousUid };
            if (c.uid !== undefined) e.uid = c.uid;
            (c.change === "replaced" ? this.replaced : this.deleted).push(e);
        }
        return { at: atMs, intervalMs, findings, violations, deploymentChanges };
    }

    /** Records a sample that could not be taken. */
    recordError(atMs: number, error: unknown): void {
        this.errors++;
        const msg = error instanceof Error ? error.message : String(error);
        this.errorMessages.push(`${new Date(atMs).toISOString()} ${msg}`);
        if (this.errorMessages.length > this.keepErrors) this.errorMessages.shift();
    }

    report(): AuditReport {
        const r: AuditReport = {
            routeSecondsWithoutReadyEndpoint: this.brokenMs / 1000,
            routeSecondsByDestination: Object.fromEntries([...this.brokenMsByKey].map(([k, ms]) => [k, ms / 1000])),
            violations: this.violations.map((v) => ({ ...v })),
            deploymentsReplaced: this.replaced.map((e) => ({ ...e })),
            deploymentsDeleted: this.deleted.map((e) => ({ ...e })),
            samples: this.samples,
            errors: this.errors,
            errorMessages: [...this.errorMessages],
            maxGapMs: this.maxGapMs,
            destinationsInLastSample: this.lastDestinations,
        };
        if (this.firstAt !== undefined) r.firstSampleAt = this.firstAt;
        if (this.lastAt !== undefined) r.lastSampleAt = this.lastAt;
        return r;
    }
}
