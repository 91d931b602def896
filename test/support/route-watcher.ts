/**
 * Cluster watcher for the cluster suites: samples the API server every `intervalMs` (never two samples at
 * once) and feeds {@link RouteAuditor}. A sample lists pods, Services, Deployments, VirtualServices and
 * DestinationRules cluster-wide in parallel; an Istio list answering 404 (CRD not installed / version not
 * served) counts as no objects. A sample that fails otherwise is counted in `errors`, never thrown.
 */
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { parse as parseYaml } from "yaml";
import {
    type AuditReport,
    type ClusterSnapshot,
    type DeploymentShape,
    type DestinationRuleShape,
    type PodShape,
    RouteAuditor,
    type SampleResult,
    type ServiceShape,
    type VirtualServiceShape,
} from "./route-audit";

export type { AuditReport } from "./route-audit";

/** Authenticated GETs against the API server; resolves with the parsed JSON body. */
export interface KubeReader {
    /**
     * `path` is absolute, e.g. `/api/v1/pods`. A non-2xx answer must reject, with the HTTP status in
     * `status` or `statusCode` (or resolve with a `kind: Status` object carrying `code`), so 404 is recognised.
     */
    get<T>(path: string): Promise<T>;
}

/** A non-2xx answer of the API server. */
export class KubeHttpError extends Error {
    constructor(
        readonly status: number,
        readonly path: string,
        body: string,
    ) {
        super(`GET ${path}: HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ""}`);
        this.name = "KubeHttpError";
    }
}

interface KubeList<T> {
    kind?: string;
    code?: number;
    items?: T[] | null;
}

function isNotFound(e: unknown): boolean {
    if (typeof e !== "object" || e === null) return false;
    const o = e as { status?: unknown; statusCode?: unknown; code?: unknown; response?: { statusCode?: unknown } };
    return o.status === 404 || o.statusCode === 404 || o.code === 404 || o.response?.statusCode === 404;
}

async function list<T>(client: KubeReader, path: string): Promise<T[]> {
    const body = await client.get<KubeList<T>>(path);
    if (body?.kind === "Status") {
        throw Object.assign(new Error(`GET ${path}: Status ${String(body.code)}`), { status: body.code });
    }
    return body?.items ?? [];
}

const ISTIO_VERSIONS = ["v1", "v1beta1"] as const;

/** Lists an Istio kind with whichever version is served; remembers the one that answered. */
class IstioLister {
    private preferred: (typeof ISTIO_VERSIONS)[number] = "v1";

    constructor(
        private readonly client: KubeReader,
        private readonly plural: string,
    ) {}

    async list<T>(): Promise<T[]> {
        const order = this.preferred === "v1" ? ISTIO_VERSIONS : ([...ISTIO_VERSIONS].reverse() as (typeof ISTIO_VERSIONS)[number][]);
        for (const version of order) {
            try {
                const items = await list<T>(this.client, `/apis/networking.istio.io/${version}/${this.plural}`);
                this.preferred = version;
                return items;
            } catch (e) {
                if (!isNotFound(e)) throw e;
            }
        }
        return [];
    }
}

/** Reads one snapshot: the five lists in parallel. */
export function snapshotReader(client: KubeReader): () => Promise<ClusterSnapshot> {
    const vs = new IstioLister(client, "virtualservices");
    const dr = new IstioLister(client, "destinationrules");
    return async () => {
        const [pods, services, deployments, virtualServices, destinationRules] = await Promise.all([
            list<PodShape>(client, "/api/v1/pods"),
            list<ServiceShape>(client, "/api/v1/services"),
            list<DeploymentShape>(client, "/apis/apps/v1/deployments"),
            vs.list<VirtualServiceShape>(),
            dr.list<DestinationRuleShape>(),
        ]);
        return { pods, services, deployments, virtualServices, destinationRules };
    };
}

export interface RouteWatcherOptions {
    /** Time between sample starts, ms (default 200). A slow sample delays the next one; they never overlap. */
    intervalMs?: number;
    /** Called after each successful sample (exceptions are ignored). */
    onSample?: (result: SampleResult, snapshot: ClusterSnapshot) => void;
    /** Called for each failed sample (exceptions are ignored). */
    onError?: (error: unknown) => void;
}

export interface RouteWatcher {
    /** Stops sampling, waits for a sample in flight, and returns the final report. */
    stop(): Promise<AuditReport>;
    /** The report so far. */
    current(): AuditReport;
}

/** Starts sampling at once. Call `stop()`: until then a timer keeps the process alive. */
export function startRouteWatcher(client: KubeReader, opts: RouteWatcherOptions = {}): RouteWatcher {
    const intervalMs = opts.intervalMs ?? 200;
    const auditor = new RouteAuditor({ nominalIntervalMs: intervalMs });
    const read = snapshotReader(client);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> | undefined;

    const sample = async (): Promise<void> => {
        const at = Date.now();
        let snapshot: ClusterSnapshot;
        try {
            snapshot = await read();
        } catch (e) {
            auditor.recordError(at, e);
            try {
                opts.onError?.(e);
            } catch {
                /* ignored */
            }
            return;
        }
        const result = auditor.observe(snapshot, at);
        try {
            opts.onSample?.(result, snapshot);
        } catch {
            /* ignored */
        }
    };

    const tick = (): void => {
        timer = undefined;
        if (stopped) return;
        const started = Date.now();
        inFlight = sample().finally(() => {
            inFlight = undefined;
            if (stopped) return;
            timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
        });
    };
    tick();

    return {
        async stop(): Promise<AuditReport> {
            stopped = true;
            if (timer !== undefined) clearTimeout(timer);
            timer = undefined;
            await inFlight;
            return auditor.report();
        },
        current: () => auditor.report(),
    };
}

// ---------------------------------------------------------------------------------------------------------
// A KubeReader from a kubeconfig.

type Obj = Record<string, unknown>;

function obj(x: unknown): Obj | undefined {
    return typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Obj) : undefined;
}

function str(x: unknown): string | undefined {
    return typeof x === "string" && x !== "" ? x : undefined;
}

function named(config: Obj, section: string, name: string | undefined, field: string): Obj {
    const entries = Array.isArray(config[section]) ? (config[section] as unknown[]) : [];
    const entry = entries.map(obj).find((e) => e !== undefined && (name === undefined || e.name === name));
    const inner = obj(entry?.[field]);
    if (inner === undefined) throw new Error(`kubeconfig: no ${section} entry ${name ?? ""} with a ${field}`);
    return inner;
}

function dataOrFile(o: Obj, key: string): Buffer | undefined {
    const data = str(o[`${key}-data`]);
    if (data !== undefined) return Buffer.from(data, "base64");
    const file = str(o[key]);
    return file !== undefined ? readFileSync(file) : undefined;
}

export interface KubeconfigReaderOptions {
    /** Context to use (default: current-context, else the first). */
    context?: string;
    /** Per-request timeout, ms (default 10000). */
    timeoutMs?: number;
}

/**
 * A {@link KubeReader} over node:https (or node:http for an `http://` server) from kubeconfig YAML: `server`
 * with `certificate-authority(-data)` or `insecure-skip-tls-verify` (and `tls-server-name`), and a `token`
 * (or `tokenFile`), `client-certificate(-data)` + `client-key(-data)`, or `username` + `password`.
 * `close()` drops its kept-alive connections.
 */
export function kubeReaderFromKubeconfig(
    kubeconfigYaml: string,
    opts: KubeconfigReaderOptions = {},
): KubeReader & { readonly server: string; close(): void } {
    const config = obj(parseYaml(kubeconfigYaml));
    if (config === undefined) throw new Error("kubeconfig: not a YAML mapping");
    const contextName = opts.context ?? str(config["current-context"]);
    const context = named(config, "contexts", contextName, "context");
    const cluster = named(config, "clusters", str(context.cluster), "cluster");
    const userName = str(context.user);
    const user = userName === undefined ? {} : named(config, "users", userName, "user");

    const server = str(cluster.server)?.replace(/\/+$/, "");
    if (server === undefined) throw new Error("kubeconfig: the cluster has no server");
    const secure = server.startsWith("https:");
    const headers: Record<string, string> = { Accept: "application/json" };
    const tokenFile = str(user.tokenFile);
    const token = str(user.token) ?? (tokenFile !== undefined ? readFileSync(tokenFile, "utf8").trim() : undefined);
    const username = str(user.username);
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (username !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${username}:${str(user.password) ?? ""}`).toString("base64")}`;
    }

    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 16 };
    if (secure) {
        const ca = dataOrFile(cluster, "certificate-authority");
        if (ca !== undefined) agentOptions.ca = ca;
        if (cluster["insecure-skip-tls-verify"] === true) agentOptions.rejectUnauthorized = false;
        const serverName = str(cluster["tls-server-name"]);
        if (serverName !== undefined) agentOptions.servername = serverName;
        const cert = dataOrFile(user, "client-certificate");
        const key = dataOrFile(user, "client-key");
        if (cert !== undefined && key !== undefined) {
            agentOptions.cert = cert;
            agentOptions.key = key;
        }
    }
    const agent = secure ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true, maxSockets: 16 });
    const request = secure ? https.request : http.request;
    const timeoutMs = opts.timeoutMs ?? 10_000;

    return {
        server,
        get<T>(path: string): Promise<T> {
            return new Promise<T>((resolve, reject) => {
                const req = request(`${server}${path}`, { method: "GET", agent, headers, timeout: timeoutMs }, (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("error", reject);
                    res.on("end", () => {
                        const body = Buffer.concat(chunks).toString("utf8");
                        const status = res.statusCode ?? 0;
                        if (status < 200 || status >= 300) {
                            reject(new KubeHttpError(status, path, body));
                            return;
                        }
                        try {
                            resolve(JSON.parse(body) as T);
                        } catch (e) {
                            reject(new Error(`GET ${path}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`));
                        }
                    });
                });
                req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
                req.on("error", reject);
                req.end();
            });
        },
        close: () => agent.destroy(),
    };
}
