/**
 * The real consumers' validators of what gray-release generates, built from Go modules by
 * `toolchain/validators/build.sh` (cached outside git; `scripts/test.sh` runs it and exports its output directory as
 * `GRAY_RELEASE_VALIDATORS_DIR`; without that variable the first call runs the script itself).
 *
 *  - Istio (`bin/istio-validator`, istioctl's own `validate` and `analyze` commands from istio.io/istio):
 *    `istioValidateObjects(objects)` runs `istioctl validate` on each object, all in one process, and returns one
 *    verdict per object; `istioctlValidate(file)` is the plain command; `istioAnalyze(objects)` is
 *    `istioctl analyze --use-kube=false -A -o json` (the cross-object analyzers: subsets, hosts, Services ...).
 *  - OpenTelemetry Collector (`bin/otelcol-gray`, built by the OpenTelemetry Collector Builder with exactly our
 *    components): `otelcolValidate(yaml)` runs `otelcol-gray validate --config`.
 *  - Prometheus (Debian's promtool): `checkPromql(exprs)` parses every expression with promtool (`check rules` on a
 *    generated rule file, one recording rule per expression) and maps each error back to its expression;
 *    `dashboardQueries(dashboard)` collects every panel and annotation query, Grafana variables substituted.
 *  - Thanos (`bin/thanos`, github.com/thanos-io/thanos/cmd/thanos): `thanos(args)` runs it;
 *    `startThanosComponent(args)` starts a component and reports whether it got past its flags and configuration.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { promtool } from "./prometheus";

const REPO_ROOT = resolve(__dirname, "..", "..");
/** Environment variable naming a built validators directory (with bin/ and versions.json). */
export const VALIDATORS_DIR_ENV = "GRAY_RELEASE_VALIDATORS_DIR";
const BINARIES = ["istio-validator", "otelcol-gray", "thanos"] as const;
/** A validator binary. */
export type ValidatorBinary = (typeof BINARIES)[number];

function isValidatorsDir(dir: string): boolean {
    return dir !== "" && BINARIES.every((b) => existsSync(join(dir, "bin", b))) && existsSync(join(dir, "versions.json"));
}

let builtDir: Promise<string> | undefined;

/**
 * The validators directory: `$GRAY_RELEASE_VALIDATORS_DIR`, else the output of `toolchain/validators/build.sh` (run
 * once per process; its progress goes to stderr). Throws a clear error when the validators cannot be built.
 */
export function requireValidatorsDir(): Promise<string> {
    const fromEnv = process.env[VALIDATORS_DIR_ENV];
    if (fromEnv) {
        if (!isValidatorsDir(fromEnv)) {
            return Promise.reject(new Error(`${VALIDATORS_DIR_ENV}=${fromEnv} has no bin/{${BINARIES.join(",")}} and versions.json`));
        }
        return Promise.resolve(fromEnv);
    }
    builtDir ??= new Promise<string>((ok, fail) => {
        const script = join(REPO_ROOT, "toolchain", "validators", "build.sh");
        const child = execFile("bash", [script], { maxBuffer: 1024 * 1024 }, (err, stdout) => {
            const dir = stdout.trim().split("\n").pop() ?? "";
            if (err || !isValidatorsDir(dir)) {
                fail(
                    new Error(
                        `the validators could not be built (bash toolchain/validators/build.sh failed${err ? `: ${err.message}` : ""}); ` +
                            `they need Go and the Go module proxy. Set ${VALIDATORS_DIR_ENV} to a built directory to skip the build.`,
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

/** Path of a validator binary (building the validators if needed). */
export async function validatorBin(name: ValidatorBinary): Promise<string> {
    return join(await requireValidatorsDir(), "bin", name);
}

/** Result of a finished process. */
export interface RunResult {
    /** Exit code (0 = success; -1 = killed by the timeout). */
    code: number;
    /** Standard output. */
    stdout: string;
    /** Standard error. */
    stderr: string;
}

/** Runs `bin args`, feeding `input` on stdin; resolves with its output whatever the exit code. */
export function run(
    bin: string,
    args: string[],
    opts: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
    return new Promise((ok, fail) => {
        const child = spawn(bin, args, {
            cwd: opts.cwd,
            env: { ...process.env, ...opts.env },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
        child.on("error", fail);
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            ok({ code: code ?? -1, stdout, stderr });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/** Plain JSON of a typed model (`@kubernetes-models` objects serialise through `toJSON`). */
export function plain<T = Record<string, unknown>>(obj: unknown): T {
    return JSON.parse(JSON.stringify(obj)) as T;
}

/** A Kubernetes-style object. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
    [key: string]: unknown;
}

/** Multi-document YAML of objects (each written as JSON, which is YAML). */
export function documents(objects: ReadonlyArray<unknown>): string {
    return `${objects.map((o) => JSON.stringify(o)).join("\n---\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Istio

/** What `istioctl validate` said about one object. */
export interface IstioVerdict {
    index: number;
    apiVersion: string;
    kind: string;
    namespace: string;
    name: string;
    /** An Istio kind, validated by Istio's validation code (otherwise istioctl checks Services and Deployments only). */
    istio: boolean;
    /** istioctl validate returned no error. */
    valid: boolean;
    /** istioctl's error, e.g. `1 error occurred:\n\t* VirtualService/ns/name: weight -1 < 0`. */
    error?: string;
    /** istioctl's warnings for the object. */
    warnings?: string;
    /** Anything else istioctl printed (e.g. its note on a Deployment without Istio's telemetry labels). */
    output?: string;
}

/** `istioctl validate` on each object, in one process; one verdict per object, in order. */
export async function istioValidateObjects(objects: ReadonlyArray<unknown>): Promise<IstioVerdict[]> {
    if (objects.length === 0) return [];
    const r = await run(await validatorBin("istio-validator"), ["objects"], { input: documents(objects) });
    if (r.code !== 0) throw new Error(`istio-validator objects failed (exit ${r.code}):\n${r.stderr}`);
    const verdicts = JSON.parse(r.stdout) as IstioVerdict[];
    if (verdicts.length !== objects.length) {
        throw new Error(`istio-validator returned ${verdicts.length} verdicts for ${objects.length} objects`);
    }
    return verdicts;
}

/** The verdicts that are not clean: an error, istioctl warnings, or any other note istioctl printed. */
export function istioProblems(verdicts: ReadonlyArray<IstioVerdict>): string[] {
    return verdicts
        .filter((v) => !v.valid || v.warnings || v.output)
        .map((v) => `${v.kind}/${v.namespace}/${v.name}: ${[v.error, v.warnings, v.output].filter(Boolean).join(" | ")}`);
}

/** Plain `istioctl validate -f <file>`. */
export async function istioctlValidate(file: string): Promise<RunResult> {
    return run(await validatorBin("istio-validator"), ["validate", "-f", file]);
}

/** One message of `istioctl analyze -o json`. */
export interface IstioAnalysisMessage {
    code: string;
    level: "Error" | "Warning" | "Info";
    message: string;
    origin?: string;
    reference?: string;
    documentationUrl: string;
}

/**
 * `istioctl analyze --use-kube=false --all-namespaces -o json` on the objects (and files), offline: the cross-object
 * analyzers over exactly these objects plus the defaults istioctl assumes without a cluster.
 */
export async function istioAnalyze(objects: ReadonlyArray<unknown>, files: string[] = []): Promise<IstioAnalysisMessage[]> {
    const dir = mkdtempSync(join(tmpdir(), "istio-analyze-"));
    try {
        const args = ["analyze", "--use-kube=false", "--all-namespaces", "-o", "json", "--color=false", ...files];
        if (objects.length > 0) {
            const file = join(dir, "objects.yaml");
            writeFileSync(file, documents(objects));
            args.push(file);
        }
        const r = await run(await validatorBin("istio-validator"), args);
        if (r.code !== 0) throw new Error(`istioctl analyze failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
        if (/Error\(s\) adding files/.test(r.stderr)) throw new Error(`istioctl analyze could not read the objects:\n${r.stderr}`);
        const text = r.stdout.trim();
        return text === "" || text === "[]" ? [] : (JSON.parse(text) as IstioAnalysisMessage[]);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * The same analyzers on the objects read as a cluster would hold them, Kubernetes objects (Services, Namespaces ...)
 * included: `istio-validator analyze-with-kube`. Offline, `istioctl analyze --use-kube=false` drops those, so it
 * cannot report a VirtualService host without a Service; this can.
 */
export async function istioAnalyzeWithKube(objects: ReadonlyArray<unknown>): Promise<IstioAnalysisMessage[]> {
    const dir = mkdtempSync(join(tmpdir(), "istio-analyze-"));
    try {
        const file = join(dir, "objects.yaml");
        writeFileSync(file, documents(objects));
        const r = await run(await validatorBin("istio-validator"), ["analyze-with-kube", file]);
        if (r.code !== 0) throw new Error(`istio-validator analyze-with-kube failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
        return JSON.parse(r.stdout) as IstioAnalysisMessage[];
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * The Pods a cluster would run for rendered Deployments / StatefulSets / DaemonSets (one each, from the pod template,
 * with the sidecar Istio injects when the template asks for it), so the analyzers can check that every
 * DestinationRule subset selects pods: a render has workloads, never pods.
 */
export function podsOf(workloads: ReadonlyArray<KubeObject>): KubeObject[] {
    return workloads
        .filter((w) => w.kind === "Deployment" || w.kind === "StatefulSet" || w.kind === "DaemonSet")
        .map((w) => {
            const template = (
                w["spec"] as {
                    template?: {
                        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
                        spec?: { containers?: unknown[] };
                    };
                }
            ).template;
            const annotations = template?.metadata?.annotations ?? {};
            const injected = annotations["sidecar.istio.io/inject"] === "true" || template?.metadata?.labels?.["sidecar.istio.io/inject"] === "true";
            return {
                apiVersion: "v1",
                kind: "Pod",
                metadata: {
                    name: `${w.metadata?.name}-0`,
                    namespace: w.metadata?.namespace ?? "default",
                    labels: { ...template?.metadata?.labels },
                    annotations: { ...annotations, ...(injected ? { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' } : {}) },
                },
                spec: {
                    ...template?.spec,
                    containers: [
                        ...(template?.spec?.containers ?? []),
                        ...(injected ? [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.30.0" }] : []),
                    ],
                },
            };
        });
}

// ---------------------------------------------------------------------------------------------------------------
// OpenTelemetry Collector

/**
 * Environment the collector configs read (`${env:...}`), with realistic values: the pod IP, node and pod names the
 * Kubernetes downward API gives the containers.
 */
export const COLLECTOR_ENV: Readonly<Record<string, string>> = {
    POD_IP: "10.0.3.17",
    POD_NAME: "otel-gateway-6d5f7c9b8-x2x7q",
    K8S_NODE_NAME: "node-a",
    K8S_POD_NAME: "otel-agent-x2x7q",
    K8S_NAMESPACE: "observability",
};

/** Values the Kubernetes downward API gives for the `fieldRef` paths our containers use. */
const FIELD_VALUES: Readonly<Record<string, string>> = {
    "status.podIP": COLLECTOR_ENV["POD_IP"]!,
    "spec.nodeName": COLLECTOR_ENV["K8S_NODE_NAME"]!,
    "metadata.name": COLLECTOR_ENV["POD_NAME"]!,
    "metadata.namespace": COLLECTOR_ENV["K8S_NAMESPACE"]!,
};

/** A container's environment as Kubernetes sets it (literal values and downward-API `fieldRef`s). */
export function containerEnv(
    env: ReadonlyArray<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }> | undefined,
): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of env ?? []) {
        const field = e.valueFrom?.fieldRef?.fieldPath;
        out[e.name] = e.value ?? (field !== undefined ? (FIELD_VALUES[field] ?? "") : "");
    }
    return out;
}

/** `otelcol-gray validate --config <file>` on a collector configuration (YAML text). */
export async function otelcolValidate(configYaml: string, env: Record<string, string> = {}): Promise<RunResult> {
    const dir = mkdtempSync(join(tmpdir(), "otelcol-validate-"));
    try {
        const file = join(dir, "config.yaml");
        writeFileSync(file, configYaml);
        return await run(await validatorBin("otelcol-gray"), ["validate", `--config=${file}`], {
            env: { ...COLLECTOR_ENV, ...env },
            timeoutMs: 60_000,
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** What became of a collector started by {@link otelcolStart}. */
export interface CollectorStart {
    /** Every component was created from its config (the collector got to "Starting otelcol-gray..."). */
    created: boolean;
    /** The collector reported "Everything is ready" (every component started). */
    ready: boolean;
    /** Exit code when it stopped by itself. */
    code?: number;
    /** Its log. */
    log: string;
}

/**
 * Runs the collector on a configuration: `validate` checks each component's config, but some are refused only when
 * the component is created (an unknown tail-sampling policy type, a load-balancing routing key ...), so this starts
 * `otelcol-gray --config <file>` and waits until every component is created (`until: "created"`) or started
 * (`until: "ready"`), or until it exits. `${env:POD_IP}` is a loopback address of its own (127.x.y.z), so its
 * listeners never collide with another test's; the collector's own metrics endpoint (not set by our configs, default
 * localhost:8888) is moved there too by a second `--config` file, as the pod's network namespace would separate it.
 */
export async function otelcolStart(
    configYaml: string,
    env: Record<string, string> = {},
    until: "created" | "ready" = "ready",
    timeoutMs = 60_000,
): Promise<CollectorStart> {
    const dir = mkdtempSync(join(tmpdir(), "otelcol-start-"));
    const podIp = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const file = join(dir, "config.yaml");
    const telemetry = join(dir, "telemetry.yaml");
    writeFileSync(file, configYaml);
    writeFileSync(telemetry, stringify({ service: { telemetry: { metrics: { address: `${podIp}:8888` } } } }));
    const child = spawn(await validatorBin("otelcol-gray"), [`--config=${file}`, `--config=${telemetry}`], {
        env: { ...process.env, ...COLLECTOR_ENV, ...env, POD_IP: podIp },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    const exited = new Promise<number>((ok) => {
        child.on("close", (c) => ok(c ?? -1));
        child.on("error", (err) => {
            log += `\n${err.message}`;
            ok(-1);
        });
    });
    let code: number | undefined;
    void exited.then((c) => (code = c));
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((ok) => {
        const onData = (d: string): void => {
            log += d;
            if (until === "created" ? /Starting otelcol-gray\.\.\./.test(log) : /Everything is ready/.test(log)) ok();
        };
        child.stdout.setEncoding("utf8").on("data", onData);
        child.stderr.setEncoding("utf8").on("data", onData);
        void exited.then(() => ok());
        timer = setTimeout(ok, timeoutMs);
    });
    try {
        await done;
        return {
            created: /Starting otelcol-gray\.\.\./.test(log),
            ready: /Everything is ready/.test(log),
            ...(code !== undefined ? { code } : {}),
            log,
        };
    } finally {
        clearTimeout(timer);
        if (code === undefined) {
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// PromQL

/** Values of Grafana's built-in and template variables, for parsing a dashboard query as Prometheus will see it. */
export const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
    __rate_interval: "1m",
    __interval: "30s",
    __interval_ms: "30000",
    __range: "6h",
    __range_s: "21600",
    __range_ms: "21600000",
    datasource: "prometheus",
};

/** Substitutes `$var`, `${var}` and `[[var]]` as Grafana does before sending a query. */
export function substituteGrafanaVariables(expr: string, values: Readonly<Record<string, string>> = GRAFANA_VARIABLES): string {
    return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (all, a?: string, b?: string, c?: string) => {
        const name = (a ?? b ?? c)!;
        const value = values[name];
        if (value === undefined) throw new Error(`dashboard query uses the unknown variable ${all}: ${expr}`);
        return value;
    });
}

/** A dashboard query and where it comes from. */
export interface DashboardQuery {
    /** Dashboard title, panel title and refId (or the annotation's name). */
    where: string;
    /** The query as written in the dashboard. */
    expr: string;
    /** The query with Grafana variables substituted: what Prometheus receives. */
    promql: string;
}

interface DashboardLike {
    title?: string;
    panels?: Array<{ title?: string; targets?: Array<{ expr?: string; refId?: string }>; panels?: unknown[] }>;
    annotations?: { list?: Array<{ name?: string; expr?: string }> };
    templating?: { list?: Array<{ name?: string; current?: { value?: unknown } }> };
}

/** Every panel and annotation query of a Grafana dashboard (nested row panels included). */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
    const d = dashboard as DashboardLike;
    const values: Record<string, string> = { ...GRAFANA_VARIABLES };
    for (const v of d.templating?.list ?? []) {
        const cur = v.current?.value;
        if (v.name && typeof cur === "string") values[v.name] = cur;
    }
    const out: DashboardQuery[] = [];
    const walk = (panels: DashboardLike["panels"]): void => {
        for (const p of panels ?? []) {
            for (const t of p.targets ?? []) {
                if (typeof t.expr === "string") {
                    out.push({ where: `${d.title} / ${p.title} / ${t.refId}`, expr: t.expr, promql: substituteGrafanaVariables(t.expr, values) });
                }
            }
            walk(p.panels as DashboardLike["panels"]);
        }
    };
    walk(d.panels);
    for (const a of d.annotations?.list ?? []) {
        if (typeof a.expr === "string") {
            out.push({ where: `${d.title} / annotation ${a.name}`, expr: a.expr, promql: substituteGrafanaVariables(a.expr, values) });
        }
    }
    return out;
}

/** An expression promtool refused, with promtool's message. */
export interface PromqlError {
    index: number;
    expr: string;
    message: string;
}

/**
 * Parses every expression with Prometheus' own parser: promtool `check rules` on a generated rule file holding each
 * expression as a recording rule (`record: promql_check_<i>`). Returns the refused ones with promtool's message.
 */
export async function checkPromql(exprs: ReadonlyArray<string>): Promise<PromqlError[]> {
    if (exprs.length === 0) return [];
    const dir = mkdtempSync(join(tmpdir(), "promql-check-"));
    try {
        const file = join(dir, "queries.rules.yaml");
        writeFileSync(
            file,
            stringify(
                { groups: [{ name: "promql-check", rules: exprs.map((expr, i) => ({ record: `promql_check_${i}`, expr })) }] },
                { lineWidth: 0 },
            ),
        );
        const r = await promtool(["check", "rules", file]);
        if (r.code === 0) return [];
        const out = `${r.stdout}\n${r.stderr}`;
        const errors: PromqlError[] = [];
        for (const line of out.split("\n")) {
            const m = /"promql_check_(\d+)"/.exec(line) ?? /promql_check_(\d+)/.exec(line);
            if (m) {
                const index = Number(m[1]);
                errors.push({ index, expr: exprs[index]!, message: line.trim() });
            }
        }
        if (errors.length === 0) throw new Error(`promtool check rules failed without naming an expression:\n${out}`);
        return errors;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Thanos

/** Runs `thanos args`. */
export async function thanos(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
    return run(await validatorBin("thanos"), args, { timeoutMs: opts.timeoutMs ?? 60_000, cwd: opts.cwd });
}

/**
 * For `thanos tools bucket ls` on an S3 config that cannot list here: whether Thanos accepted the config itself (it
 * parsed it, validated it and built the client: no "parsing config YAML file" / "create S3 client" / bucket-name
 * error) and failed only while listing the bucket ("BaseFetcher: iter bucket"), on the network or on S3's answer.
 */
export function s3ListingFailedOnlyRemotely(stderr: string): boolean {
    return /BaseFetcher: iter bucket/.test(stderr) && !/parsing config YAML file|create S3 client|Bucket name (cannot|contains)/.test(stderr);
}

/** What became of a Thanos component started by {@link startThanosComponent}. */
export interface ThanosStart {
    /** It was still running, with its HTTP server serving `/-/healthy`, when we stopped it. */
    running: boolean;
    /** Exit code when it stopped by itself. */
    code?: number;
    /** Its log (stderr + stdout). */
    log: string;
}

/**
 * Starts `thanos <args>` and waits until its HTTP server answers `/-/healthy` on `httpAddress` (it got past flag
 * parsing and its own configuration checks, and runs) or until it exits (refused), at most `timeoutMs`.
 */
export async function startThanosComponent(args: string[], httpAddress: string, timeoutMs = 60_000): Promise<ThanosStart> {
    const bin = await validatorBin("thanos");
    const child: ChildProcess = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (log += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
    const exited = new Promise<number>((ok) => {
        child.on("close", (code) => ok(code ?? -1));
        child.on("error", (err) => {
            log += `\n${err.message}`;
            ok(-1);
        });
    });
    let exitCode: number | undefined;
    void exited.then((c) => (exitCode = c));
    const deadline = Date.now() + timeoutMs;
    try {
        while (Date.now() < deadline && exitCode === undefined) {
            try {
                const res = await fetch(`http://${httpAddress}/-/healthy`, { signal: AbortSignal.timeout(1000) });
                if (res.ok) return { running: true, log };
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        if (exitCode === undefined) return { running: false, log: `${log}\n(timed out after ${timeoutMs} ms)` };
        return { running: false, code: exitCode, log };
    } finally {
        if (exitCode === undefined) {
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await exited;
            clearTimeout(killer);
        }
    }
}

/** A free loopback port. */
export function freeLoopbackAddress(): Promise<string> {
    return new Promise((ok, fail) => {
        const srv = createServer();
        srv.unref();
        srv.on("error", fail);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            if (addr === null || typeof addr === "string") return fail(new Error("no port"));
            srv.close(() => ok(`127.0.0.1:${addr.port}`));
        });
    });
}

/** An objstore config of Thanos' filesystem provider, bucket in `directory`. */
export function filesystemObjstore(directory: string): string {
    return stringify({ type: "FILESYSTEM", config: { directory } });
}

/**
 * Runs a Thanos component with the flags we render, as it would run in its pod, on this machine: only what is
 * the pod's own (its listen addresses, its data dir, the mounted objstore file, the rules dir) is moved to
 * loopback ports and a temp dir; every other flag is passed unchanged. The objstore is a filesystem bucket (the
 * rendered objstore configs are checked on their own, with `thanos tools bucket`). `$(VAR)` references are expanded
 * from `env` as Kubernetes does. The component must get past its flags and configuration and serve `/-/healthy`.
 */
export async function runThanosComponent(args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<ThanosStart & { args: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), "thanos-component-"));
    try {
        mkdirSync(join(dir, "bucket"));
        mkdirSync(join(dir, "rules"));
        writeFileSync(join(dir, "objstore.yml"), filesystemObjstore(join(dir, "bucket")));
        let http = "";
        const local: string[] = [];
        for (const arg of args) {
            const [flag, ...rest] = arg.split("=");
            const value = rest.join("=");
            const expanded = value.replace(/\$\((\w+)\)/g, (all, name: string) => env[name] ?? all);
            if (flag === "--http-address") {
                http = await freeLoopbackAddress();
                local.push(`${flag}=${http}`);
            } else if (flag === "--grpc-address") local.push(`${flag}=${await freeLoopbackAddress()}`);
            else if (flag === "--data-dir") local.push(`${flag}=${join(dir, "data")}`);
            else if (flag === "--objstore.config-file") local.push(`${flag}=${join(dir, "objstore.yml")}`);
            else if (flag === "--rule-file") local.push(`${flag}=${join(dir, "rules", "*")}`);
            else local.push(rest.length > 0 ? `${flag}=${expanded}` : arg);
        }
        if (http === "") throw new Error(`no --http-address in ${args.join(" ")}`);
        return { ...(await startThanosComponent(local, http)), args: local };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
