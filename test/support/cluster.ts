/**
 * A local Kubernetes control plane for integration tests, with no container runtime: etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler as real processes on 127.0.0.1, and kwok playing the kubelets of a
 * few fake Nodes (pods are scheduled, get IPs, become Running and Ready; nothing is pulled or run).
 *
 * The binaries, the upstream CRDs (Istio, prometheus-operator, OpenTelemetry collector) and kwok's stage files
 * come from `toolchain/cluster/build.sh` (built from Go modules, cached outside git). `scripts/test.sh` runs it
 * and exports its output directory as `GRAY_RELEASE_CLUSTER_DIR`; without that variable the first
 * `startCluster()` runs the script itself (a cold build takes ~16 minutes on 2 cores, a warm one under a second).
 *
 *  - `startCluster({ readinessDelaySeconds })`: starts everything on free ports in a fresh temp dir, waits until
 *    the API is healthy, the Nodes are Ready and untainted, the `default` ServiceAccount exists and the CRDs are
 *    Established and serving, and returns a {@link LocalCluster} (~9 s on 2 cores; ~15 s with every CRD).
 *  - `clusterAvailable()`: whether the binaries are (or can be) built; `requireClusterDir()` throws a clear error.
 *
 * Authentication: a static bearer token (user `gray-release-admin`, group `system:masters`), authorization RBAC.
 * TLS: the API server's self-signed serving certificate (with its CA), trusted through the kubeconfig.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { freePort } from "./free-port";

const REPO_ROOT = resolve(__dirname, "..", "..");
/** Environment variable naming a built cluster toolchain directory (with bin/, crds/, stages/). */
export const CLUSTER_DIR_ENV = "GRAY_RELEASE_CLUSTER_DIR";
const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;
/** A component of the local cluster. */
export type Binary = (typeof BINARIES)[number];
const ADMIN_USER = "gray-release-admin";
/** Annotation kwok selects the Nodes it manages by (`--manage-nodes-with-annotation-selector`). */
export const FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node";

/**
 * prometheus-operator CRDs left out by default: the operator's own workloads, which this project never creates,
 * with ~4 MB of schema that would double the cluster's startup time (the API server builds each CRD's storage and
 * OpenAPI). PrometheusRule, ServiceMonitor, PodMonitor and Probe, every Istio CRD and the OpenTelemetryCollector
 * CRD are installed.
 */
export const HEAVY_UNUSED_CRDS: readonly string[] = [
    "alertmanagerconfigs.monitoring.coreos.com",
    "alertmanagers.monitoring.coreos.com",
    "prometheusagents.monitoring.coreos.com",
    "prometheuses.monitoring.coreos.com",
    "scrapeconfigs.monitoring.coreos.com",
    "thanosrulers.monitoring.coreos.com",
];

/** The default CRD selection of {@link startCluster}: every CRD of crds/ but {@link HEAVY_UNUSED_CRDS}. */
export const DEFAULT_CRD_FILTER = (name: string): boolean => !HEAVY_UNUSED_CRDS.includes(name);

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
    /** Seconds between a pod becoming Running (with its IP) and Ready. Default 0. */
    readinessDelaySeconds?: number;
    /** Number of fake Nodes. Default 3. */
    nodes?: number;
    /** Install the CRDs of the toolchain's crds/ directory (Istio, prometheus-operator, OpenTelemetry). Default true. */
    installCrds?: boolean;
    /**
     * Install only the CRDs whose name (e.g. `virtualservices.networking.istio.io`) passes. Default
     * {@link DEFAULT_CRD_FILTER}; `() => true` installs every CRD of crds/.
     */
    crdFilter?: (name: string) => boolean;
    /** Extra command-line flags per component (appended, so they override ours). */
    extraArgs?: Partial<Record<Binary, string[]>>;
    /** How long to wait for the whole cluster. Default 90000 ms. */
    readyTimeoutMs?: number;
}

/** Options of {@link LocalCluster.request}. */
export interface RequestOptions {
    /** Content type of the body. Default `application/json`; `PATCH` defaults to `application/merge-patch+json`. */
    contentType?: string;
    /** Query parameters. */
    query?: Record<string, string | number | boolean>;
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        /** HTTP status code. */
        readonly status: number,
        /** The parsed body (usually a `Status` object) or the raw text. */
        readonly body: unknown,
    ) {
        const msg =
            typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
                ? (body as { message: string }).message
                : String(body);
        super(`${method} ${path}: HTTP ${status}: ${msg}`);
        this.name = "KubeApiError";
    }
}

/** Loopback ports the cluster listens on. */
export interface ClusterPorts {
    /** etcd client port. */
    etcd: number;
    /** etcd peer port. */
    etcdPeer: number;
    /** kube-apiserver secure port. */
    apiserver: number;
    /** kwok's own server (healthz/metrics). */
    kwok: number;
}

/** A running local cluster. */
export interface LocalCluster {
    /** kubeconfig YAML: server URL, CA data and the admin token (context `gray-release-local`). */
    kubeconfig: string;
    /** The same kubeconfig written in the cluster's temp dir. */
    kubeconfigPath: string;
    /** API server URL, `https://127.0.0.1:<port>`. */
    server: string;
    /** PEM CA bundle that verifies the API server. */
    caPem: string;
    /** Bearer token of the admin user (group `system:masters`). */
    token: string;
    /** Ports in use. */
    ports: ClusterPorts;
    /** Names of the fake Nodes. */
    nodeNames: string[];
    /** The toolchain directory used (bin/, crds/, stages/). */
    toolchainDir: string;
    /** The cluster's temp dir (state, certificates, kubeconfig, logs/); removed by `stop()`. */
    dir: string;
    /** Milliseconds from the first process start to ready. */
    startupMs: number;
    /** Milliseconds from the start to each startup milestone (`apiserver`, `crdsApplied`, `nodesReady`, `ready`). */
    startupPhasesMs: Record<string, number>;
    /**
     * One API call: `path` is absolute (`/api/v1/namespaces`), `body` is sent as JSON. Resolves with the parsed
     * answer; throws {@link KubeApiError} on a non-2xx status.
     */
    request<T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
    /** Server-side apply of `obj` at `path` (the object's own URL), with field manager `fieldManager`, forced. */
    apply<T = unknown>(path: string, obj: unknown, fieldManager?: string): Promise<T>;
    /** The last `lines` lines of a component's log. */
    logs(component: Binary, lines?: number): string;
    /** Stops every process (SIGTERM, SIGKILL after a timeout, waiting for each to exit) and removes `dir`. */
    stop(): Promise<void>;
}

let builtDir: Promise<string> | undefined;

function isToolchainDir(dir: string): boolean {
    return BINARIES.every((b) => existsSync(join(dir, "bin", b))) && existsSync(join(dir, "stages"));
}

/**
 * The cluster toolchain directory: `$GRAY_RELEASE_CLUSTER_DIR`, else the output of `toolchain/cluster/build.sh`
 * (run once per process; its progress goes to stderr). Throws a clear error when the binaries cannot be built.
 */
export function requireClusterDir(): Promise<string> {
    const fromEnv = process.env[CLUSTER_DIR_ENV];
    if (fromEnv) {
        if (!isToolchainDir(fromEnv)) {
            return Promise.reject(new Error(`${CLUSTER_DIR_ENV}=${fromEnv} has no bin/{${BINARIES.join(",")}} and stages/`));
        }
        return Promise.resolve(fromEnv);
    }
    builtDir ??= new Promise<string>((ok, fail) => {
        const script = join(REPO_ROOT, "toolchain", "cluster", "build.sh");
        const child = execFile("bash", [script], { maxBuffer: 1024 * 1024 }, (err, stdout) => {
            const dir = stdout.trim().split("\n").pop() ?? "";
            if (err || !isToolchainDir(dir)) {
                fail(
                    new Error(
                        `the local Kubernetes control plane could not be built (bash toolchain/cluster/build.sh ` +
                            `failed${err ? `: ${err.message}` : ""}); it needs Go and the Go module proxy. ` +
                            `Set ${CLUSTER_DIR_ENV} to a built toolchain directory to skip the build.`,
                    ),
                );
            } else {
                ok(dir);
            }
        });
        child.stderr?.pipe(process.stderr);
    });
    return builtDir;
}

/** Whether the cluster binaries are available (building them if needed); never throws. */
export async function clusterAvailable(): Promise<boolean> {
    try {
        await requireClusterDir();
        return true;
    } catch {
        return false;
    }
}

/** Whether nothing listens on 127.0.0.1:`port` (a listener can be opened on it). */
export function portFree(port: number): Promise<boolean> {
    return new Promise((ok) => {
        const srv = createServer();
        srv.once("error", () => ok(false));
        srv.listen(port, "127.0.0.1", () => srv.close(() => ok(true)));
    });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
    return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
    if (exited(child)) return Promise.resolve(true);
    return new Promise((ok) => {
        const t = setTimeout(() => ok(false), ms);
        child.once("exit", () => {
            clearTimeout(t);
            ok(true);
        });
    });
}

async function terminate(child: ChildProcess, graceMs = 10000): Promise<void> {
    if (exited(child)) return;
    child.kill("SIGTERM");
    if (!(await waitExit(child, graceMs))) {
        child.kill("SIGKILL");
        await waitExit(child, 10000);
    }
}

function tail(file: string, lines: number): string {
    try {
        return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return "";
    }
}

// Children still running when the test process exits (a crashed suite) are killed with it.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
    running.add(child);
    child.once("exit", () => running.delete(child));
    if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once("exit", () => {
            for (const c of running) c.kill("SIGKILL");
        });
    }
}

/** kwok Stage documents: upstream node stages and pod deletion/completion, plus our Running → Ready split. */
function stageDocs(stagesDir: string, readinessDelayMs: number): string {
    const upstream = ["node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-delete.yaml", "pod-complete.yaml"];
    const docs = upstream.map((f) => readFileSync(join(stagesDir, f), "utf8").trim());
    const notDeleted = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
    const notReady = {
        key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
        operator: "NotIn",
        values: ["True"],
    };
    const ips = `{{ $hostIPs := NodeIPsWith .spec.nodeName }}
{{ with $hostIPs }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
{{ with $podIPs }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}`;
    const containers = (ready: boolean) => `containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: ${ready}
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $started | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  {{ if eq .restartPolicy "Always" }}
  started: true
  state:
    running:
      startedAt: {{ $started | Quote }}
  {{ else }}
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $started | Quote }}
      reason: Completed
      startedAt: {{ $started | Quote }}
  {{ end }}
{{ end }}`;
    // Pending → Running: IPs, containers started, Ready=False until the next stage.
    const podRunning = {
        apiVersion: "kwok.x-k8s.io/v1alpha1",
        kind: "Stage",
        metadata: { name: "pod-running" },
        spec: {
            resourceRef: { apiGroup: "v1", kind: "Pod" },
            selector: {
                matchExpressions: [
                    notDeleted,
                    { key: ".status.phase", operator: "In", values: ["Pending"] },
                    notReady,
                    { key: ".spec.nodeName", operator: "Exists" },
                ],
            },
            next: {
                statusTemplate: `{{ $now := Now }}
{{ $started := $now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: PodReadyToStartContainers
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
${containers(false)}
${ips}
phase: Running
startTime: {{ $now | Quote }}
`,
            },
        },
    };
    // Running, not Ready → Ready after the configured delay.
    const podReady = {
        apiVersion: "kwok.x-k8s.io/v1alpha1",
        kind: "Stage",
        metadata: { name: "pod-ready" },
        spec: {
            resourceRef: { apiGroup: "v1", kind: "Pod" },
            selector: {
                matchExpressions: [notDeleted, { key: ".status.phase", operator: "In", values: ["Running"] }, notReady],
            },
            ...(readinessDelayMs > 0 ? { delay: { durationMilliseconds: readinessDelayMs } } : {}),
            next: {
                statusTemplate: `{{ $now := Now }}
{{ $started := or .status.startTime $now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: ContainersReady
{{ range .spec.readinessGates }}
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: {{ .conditionType | Quote }}
{{ end }}
${containers(true)}
`,
            },
        },
    };
    return `${[...docs, stringify(podRunning).trim(), stringify(podReady).trim()].join("\n---\n")}\n`;
}

interface HttpResult {
    status: number;
    text: string;
}

function httpCall(
    server: string,
    ca: string,
    token: string,
    method: string,
    path: string,
    body: string | undefined,
    contentType: string,
    timeoutMs = 30000,
): Promise<HttpResult> {
    return new Promise((ok, fail) => {
        const url = new URL(path, server);
        const req = httpsRequest(
            url,
            {
                method,
                ca,
                headers: {
                    Authorization: `Bearer ${token}`,
                    Accept: "application/json",
                    ...(body !== undefined ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) } : {}),
                },
                timeout: timeoutMs,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
                res.on("error", fail);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
        req.on("error", fail);
        if (body !== undefined) req.write(body);
        req.end();
    });
}

interface Condition {
    type: string;
    status: string;
}
interface ObjectList<T> {
    items: T[];
}
interface NodeObject {
    metadata: { name: string };
    spec?: { taints?: Array<{ key: string; effect: string }> };
    status?: { conditions?: Condition[] };
}
/** A CustomResourceDefinition as read from the toolchain (only the fields used here are typed). */
export interface CrdDocument {
    kind: "CustomResourceDefinition";
    metadata: { name: string };
    spec?: { group?: string; names?: { plural?: string }; versions?: Array<{ name: string; storage?: boolean }> };
}

function isCrd(obj: unknown): obj is CrdDocument {
    if (typeof obj !== "object" || obj === null) return false;
    const o = obj as { kind?: unknown; metadata?: { name?: unknown } };
    return o.kind === "CustomResourceDefinition" && typeof o.metadata?.name === "string";
}

const crdCache = new Map<string, CrdDocument[]>();

/**
 * The CRDs of a toolchain directory: crds.json (the build's JSON conversion, fast to load), else every YAML file
 * of crds/ (several seconds of YAML parsing). Cached per process.
 */
export function loadCrds(toolchainDir: string): CrdDocument[] {
    const cached = crdCache.get(toolchainDir);
    if (cached) return cached;
    let crds: CrdDocument[];
    const json = join(toolchainDir, "crds.json");
    if (existsSync(json)) {
        const parsed: unknown = JSON.parse(readFileSync(json, "utf8"));
        crds = Array.isArray(parsed) ? parsed.filter(isCrd) : [];
    } else {
        const dir = join(toolchainDir, "crds");
        const files = existsSync(dir)
            ? readdirSync(dir)
                  .filter((f) => /\.ya?ml$/.test(f))
                  .sort()
            : [];
        crds = files.flatMap((f) =>
            parseAllDocuments(readFileSync(join(dir, f), "utf8"))
                .map((d) => d.toJS() as unknown)
                .filter(isCrd),
        );
    }
    crdCache.set(toolchainDir, crds);
    return crds;
}
interface CrdObject {
    metadata: { name: string };
    status?: { conditions?: Condition[] };
}

/**
 * Starts a local control plane (see the file comment) and waits until it is ready. On failure every process is
 * stopped, the temp dir removed, and the error carries the tail of the component logs.
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<LocalCluster> {
    const toolchainDir = await requireClusterDir();
    const bin = (b: Binary) => join(toolchainDir, "bin", b);
    const dir = mkdtempSync(join(tmpdir(), "gray-release-cluster-"));
    const logsDir = join(dir, "logs");
    const pki = join(dir, "pki");
    mkdirSync(logsDir);
    mkdirSync(pki);
    const logFile = (b: Binary) => join(logsDir, `${b}.log`);
    const children = new Map<Binary, ChildProcess>();
    const started = Date.now();
    const phases: Record<string, number> = {};
    const mark = (phase: string) => (phases[phase] ??= Date.now() - started);
    const deadline = started + (opts.readyTimeoutMs ?? 90000);

    const stopAll = async () => {
        // Node agents and controllers first, then the API server, then its storage; each waited for.
        await Promise.all(
            (["kwok", "kube-scheduler", "kube-controller-manager"] as const).map((b) => {
                const c = children.get(b);
                return c ? terminate(c) : Promise.resolve();
            }),
        );
        for (const b of ["kube-apiserver", "etcd"] as const) {
            const c = children.get(b);
            if (c) await terminate(c, b === "etcd" ? 10000 : 20000);
        }
    };
    const fail = async (what: string): Promise<never> => {
        // Components that exited first: their last lines usually say why.
        const logs = [...children.keys()]
            .sort((a, b) => Number(exited(children.get(b) as ChildProcess)) - Number(exited(children.get(a) as ChildProcess)))
            .map((b) => `--- ${b}${exited(children.get(b) as ChildProcess) ? " (exited)" : ""} ---\n${tail(logFile(b), 25)}`)
            .join("\n");
        await stopAll();
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`local cluster: ${what}\n${logs}`);
    };
    const launch = (b: Binary, args: string[]) => {
        const fd = openSync(logFile(b), "a");
        const child = spawn(bin(b), [...args, ...(opts.extraArgs?.[b] ?? [])], { cwd: dir, stdio: ["ignore", fd, fd] });
        closeSync(fd);
        track(child);
        children.set(b, child);
    };
    const anyExited = () => [...children.entries()].find(([, c]) => exited(c))?.[0];

    try {
        const ports: ClusterPorts = {
            etcd: await freePort(),
            etcdPeer: await freePort(),
            apiserver: await freePort(),
            kwok: await freePort(),
        };
        const server = `https://127.0.0.1:${ports.apiserver}`;
        const token = randomBytes(24).toString("hex");
        writeFileSync(join(pki, "tokens.csv"), `${token},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, { mode: 0o600 });
        const sa = generateKeyPairSync("rsa", {
            modulusLength: 2048,
            publicKeyEncoding: { type: "spki", format: "pem" },
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
        });
        writeFileSync(join(pki, "sa.key"), sa.privateKey, { mode: 0o600 });
        writeFileSync(join(pki, "sa.pub"), sa.publicKey);

        const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
        const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
        launch("etcd", [
            "--name=local",
            `--data-dir=${join(dir, "etcd")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`,
            `--initial-advertise-peer-urls=${peerUrl}`,
            `--initial-cluster=local=${peerUrl}`,
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]);
        launch("kube-apiserver", [
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${ports.apiserver}`,
            // No --tls-cert-file: the API server writes a self-signed serving certificate (and its CA) here.
            `--cert-dir=${pki}`,
            `--token-auth-file=${join(pki, "tokens.csv")}`,
            "--authorization-mode=RBAC",
            `--service-account-key-file=${join(pki, "sa.pub")}`,
            `--service-account-signing-key-file=${join(pki, "sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            // The default reconciler refuses a loopback address for the `kubernetes` Service's endpoints.
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--v=1",
        ]);

        // The API server's certificate file holds its serving certificate and the CA that signed it.
        const certFile = join(pki, "apiserver.crt");
        while (!existsSync(certFile) || readFileSync(certFile, "utf8").split("END CERTIFICATE").length < 3) {
            if (anyExited()) return await fail(`${anyExited()} exited during startup`);
            if (Date.now() > deadline) return await fail("the API server wrote no serving certificate");
            await sleep(100);
        }
        await sleep(50);
        const caPem = readFileSync(certFile, "utf8");
        const kubeconfig = stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    name: "gray-release-local",
                    cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
                },
            ],
            users: [{ name: ADMIN_USER, user: { token } }],
            contexts: [{ name: "gray-release-local", context: { cluster: "gray-release-local", user: ADMIN_USER } }],
            "current-context": "gray-release-local",
            preferences: {},
        });
        const kubeconfigPath = join(dir, "kubeconfig");
        writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

        const call = (method: string, path: string, body?: string, contentType = "application/json") =>
            httpCall(server, caPem, token, method, path, body, contentType);
        const request = async <T>(method: string, path: string, body?: unknown, options: RequestOptions = {}) => {
            let p = path;
            if (options.query) {
                const qs = new URLSearchParams(Object.entries(options.query).map(([k, v]) => [k, String(v)] as [string, string])).toString();
                p += (p.includes("?") ? "&" : "?") + qs;
            }
            const contentType = options.contentType ?? (method.toUpperCase() === "PATCH" ? "application/merge-patch+json" : "application/json");
            const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
            const res = await call(method.toUpperCase(), p, payload, contentType);
            let parsed: unknown = res.text;
            try {
                parsed = res.text === "" ? undefined : JSON.parse(res.text);
            } catch {
                // keep the text
            }
            if (res.status < 200 || res.status >= 300) throw new KubeApiError(method.toUpperCase(), p, res.status, parsed);
            return parsed as T;
        };
        const apply = <T>(path: string, obj: unknown, fieldManager = "gray-release-test") =>
            request<T>("PATCH", path, obj, {
                contentType: "application/apply-patch+yaml",
                query: { fieldManager, force: true },
            });

        // API server healthy (readyz covers etcd, RBAC bootstrap roles, the default namespace's creation).
        for (;;) {
            const dead = anyExited();
            if (dead) return await fail(`${dead} exited during startup`);
            if (Date.now() > deadline) return await fail("the API server did not become ready");
            try {
                const r = await call("GET", "/readyz");
                if (r.status === 200) {
                    mark("apiserver");
                    break;
                }
            } catch {
                // not listening yet
            }
            await sleep(200);
        }

        const componentKubeconfig = ["--kubeconfig", kubeconfigPath];
        launch("kube-controller-manager", [
            ...componentKubeconfig,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            "--secure-port=0",
            "--leader-elect=false",
            "--controllers=*",
            `--service-account-private-key-file=${join(pki, "sa.key")}`,
            `--root-ca-file=${certFile}`,
            "--use-service-account-credentials=false",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allocate-node-cidrs=false",
            "--concurrent-deployment-syncs=10",
            "--concurrent-replicaset-syncs=10",
            "--v=1",
        ]);
        launch("kube-scheduler", [
            ...componentKubeconfig,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            "--secure-port=0",
            "--leader-elect=false",
            "--v=1",
        ]);
        const stagesFile = join(dir, "kwok.yaml");
        const readinessDelayMs = Math.max(0, Math.round((opts.readinessDelaySeconds ?? 0) * 1000));
        writeFileSync(stagesFile, stageDocs(join(toolchainDir, "stages"), readinessDelayMs));
        launch("kwok", [
            ...componentKubeconfig,
            `--config=${stagesFile}`,
            "--manage-all-nodes=false",
            `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}=fake`,
            "--cidr=10.244.0.0/16",
            "--node-ip=10.0.0.1",
            `--server-address=127.0.0.1:${ports.kwok}`,
            "--node-lease-duration-seconds=40",
        ]);

        const nodeNames = Array.from({ length: opts.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
        for (const name of nodeNames) {
            // A plain create keeps the status (as a kubelet's registration does); kwok initializes the rest.
            await request("POST", "/api/v1/nodes", {
                apiVersion: "v1",
                kind: "Node",
                metadata: {
                    name,
                    annotations: { [FAKE_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
                    labels: {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node-role.kubernetes.io/agent": "",
                        type: "kwok",
                        "topology.kubernetes.io/zone": `zone-${String.fromCharCode(97 + (nodeNames.indexOf(name) % 3))}`,
                    },
                },
                status: {
                    allocatable: { cpu: "32", memory: "128Gi", pods: "250", "ephemeral-storage": "500Gi" },
                    capacity: { cpu: "32", memory: "128Gi", pods: "250", "ephemeral-storage": "500Gi" },
                    phase: "Running",
                },
            });
        }

        // CRDs: server-side apply of every CustomResourceDefinition in crds/.
        const crdNames: string[] = [];
        // One list URL per CRD (its storage version): Established comes before its storage serves (HTTP 429
        // "storage is (re)initializing" meanwhile), so readiness also waits for each list to answer.
        const crdListPaths = new Map<string, string>();
        if (opts.installCrds ?? true) {
            const crds = loadCrds(toolchainDir).filter((c) => (opts.crdFilter ?? DEFAULT_CRD_FILTER)(c.metadata.name));
            for (const crd of crds) {
                crdNames.push(crd.metadata.name);
                const version = (crd.spec?.versions ?? []).find((v) => v.storage)?.name;
                if (crd.spec?.group && crd.spec.names?.plural && version) {
                    const path = `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}?limit=1`;
                    crdListPaths.set(crd.metadata.name, path);
                }
            }
            await Promise.all(crds.map((crd) => apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd)));
        }

        mark("crdsApplied");
        const isTrue = (conds: Condition[] | undefined, type: string) => (conds ?? []).some((c) => c.type === type && c.status === "True");
        let waitingFor = "";
        for (;;) {
            const dead = anyExited();
            if (dead) return await fail(`${dead} exited during startup`);
            if (Date.now() > deadline) return await fail(`not ready in time: waiting for ${waitingFor}`);
            try {
                const nodes = await request<ObjectList<NodeObject>>("GET", "/api/v1/nodes");
                const notReady = nodeNames.filter((n) => {
                    const node = nodes.items.find((x) => x.metadata.name === n);
                    return (
                        !node ||
                        !isTrue(node.status?.conditions, "Ready") ||
                        (node.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/"))
                    );
                });
                if (notReady.length === 0) mark("nodesReady");
                if (notReady.length > 0) {
                    waitingFor = `nodes ${notReady.join(", ")} Ready and untainted`;
                } else {
                    const sas = await request<ObjectList<{ metadata: { name: string } }>>("GET", "/api/v1/namespaces/default/serviceaccounts");
                    if (!sas.items.some((s) => s.metadata.name === "default")) {
                        waitingFor = "the default ServiceAccount";
                    } else {
                        const crds = await request<ObjectList<CrdObject>>("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
                        const pending = crdNames.filter(
                            (n) => !isTrue(crds.items.find((c) => c.metadata.name === n)?.status?.conditions, "Established"),
                        );
                        if (pending.length > 0) {
                            waitingFor = `CRDs ${pending.join(", ")} Established`;
                        } else {
                            const unserved: string[] = [];
                            await Promise.all(
                                [...crdListPaths].map(async ([name, path]) => {
                                    if ((await call("GET", path)).status !== 200) unserved.push(name);
                                }),
                            );
                            if (unserved.length === 0) break;
                            waitingFor = `the storage of CRDs ${unserved.sort().join(", ")}`;
                        }
                    }
                }
            } catch (err) {
                waitingFor = `the API (${(err as Error).message})`;
            }
            await sleep(250);
        }

        let stopped: Promise<void> | undefined;
        return {
            kubeconfig,
            kubeconfigPath,
            server,
            caPem,
            token,
            ports,
            nodeNames,
            toolchainDir,
            dir,
            startupMs: mark("ready"),
            startupPhasesMs: phases,
            request,
            apply,
            logs: (component, lines = 50) => tail(logFile(component), lines),
            stop: () =>
                (stopped ??= (async () => {
                    await stopAll();
                    rmSync(dir, { recursive: true, force: true });
                })()),
        };
    } catch (err) {
        if (existsSync(dir)) return await fail((err as Error).message);
        throw err;
    }
}
