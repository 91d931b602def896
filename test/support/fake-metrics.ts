/**
 * A Prometheus HTTP API of our own on 127.0.0.1, for tests that need answers a real Prometheus will not give on
 * demand: plausible-looking but wrong numbers, stale stamps, Thanos partial-response warnings.
 *
 *  - `FakeMetricsServer`: one server; each base path (`/healthy`, `/partial`, ...) has its own `Route`, which gets
 *    the query, the evaluation time and the services the batched query asks about, and returns the JSON answer.
 *    Every request is recorded (path and form fields).
 *  - `answerFor(services, time, options)`: a well-formed batched answer (every measurement of every service, and
 *    the canary latency histogram's buckets), stamped at the evaluation time unless told otherwise.
 *  - `HEALTHY`: the measurements of a healthy canary against a healthy stable (0.2 % errors each, enough traffic
 *    in the pass window to show it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LATENCY_BUCKETS_MEASURE, MEASURE_NAMES, type MeasureName } from "../../progression/internal";

/** A value per measurement, as Prometheus would encode it ("NaN", "+Inf" allowed). */
export type MeasureValues = Partial<Record<MeasureName, string>>;

/** Per-service values of an answer; `buckets` are `le` bounds → cumulative rates ({} = none). */
export interface ServiceAnswer {
    readonly values: MeasureValues;
    readonly buckets?: Readonly<Record<string, string>>;
}

/** Istio-like bucket bounds (ms) with cumulative request rates: p95 ≈ 98 ms, p99 ≈ 229 ms. */
export const HEALTHY_BUCKETS: Readonly<Record<string, string>> = {
    "5": "0.15",
    "10": "0.45",
    "25": "1.2",
    "50": "2.1",
    "100": "2.88",
    "250": "2.985",
    "500": "3",
    "1000": "3",
    "+Inf": "3",
};

/** A healthy canary (0.2 %) against a healthy stable (0.2 %), with fresh data and three stable replicas. */
export const HEALTHY: Readonly<Record<MeasureName, string>> = {
    canaryRequests: "1000",
    canaryErrors: "2",
    stableRequests: "20000",
    stableErrors: "40",
    canaryP95Ms: "98",
    canaryP99Ms: "229",
    canaryRestarts: "0",
    passCanaryRequests: "6000",
    passCanaryErrors: "12",
    passStableRequests: "120000",
    passStableErrors: "240",
    canaryDataAgeSeconds: "7",
    stableDataAgeSeconds: "3",
    stableReplicas: "3",
};

/** Options of {@link answerFor}. */
export interface AnswerOptions {
    /** Seconds to subtract from the evaluation time in every sample's stamp (a frozen or lagging source). */
    readonly stampAgeS?: number;
    /** The answer's `warnings` (Thanos partial response, PromQL annotations). */
    readonly warnings?: ReadonlyArray<string>;
}

/** A successful batched answer for `services` at `timeS` (unix seconds). */
export function answerFor(services: Readonly<Record<string, ServiceAnswer>>, timeS: number, options: AnswerOptions = {}): unknown {
    const stamp = timeS - (options.stampAgeS ?? 0);
    const result: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
    for (const [service, answer] of Object.entries(services)) {
        for (const measure of MEASURE_NAMES) {
            const value = answer.values[measure] ?? HEALTHY[measure];
            result.push({ metric: { measure, service }, value: [stamp, value] });
        }
        for (const [le, value] of Object.entries(answer.buckets ?? HEALTHY_BUCKETS)) {
            result.push({ metric: { measure: LATENCY_BUCKETS_MEASURE, service, le }, value: [stamp, value] });
        }
    }
    return {
        status: "success",
        ...(options.warnings !== undefined ? { warnings: options.warnings } : {}),
        data: { resultType: "vector", result },
    };
}

/** What a route gets about one query. */
export interface QueryRequest {
    /** The PromQL text. */
    readonly query: string;
    /** The evaluation time (unix seconds), as sent. */
    readonly timeS: number;
    /** The services the batched query asks about (its `service` tags). */
    readonly services: ReadonlyArray<string>;
    /** Every form field sent (e.g. `partial_response`). */
    readonly form: URLSearchParams;
}

/** Answers one query: an HTTP status and a JSON body. */
export type Route = (request: QueryRequest) => { status: number; body: unknown };

/** Everything the server received. */
export interface RecordedRequest {
    readonly path: string;
    readonly form: URLSearchParams;
}

/** The services a batched query asks about, from its `service` tags. */
export function servicesOf(query: string): string[] {
    return [...new Set([...query.matchAll(/"service", "([^"]+)"/g)].map((m) => m[1] ?? ""))];
}

/** A Prometheus API on a free loopback port; `routes` by base path ("/healthy" serves "/healthy/api/v1/query"). */
export class FakeMetricsServer {
    readonly requests: RecordedRequest[] = [];
    readonly routes = new Map<string, Route>();
    url = "";
    private readonly server: Server = createServer((req, res) => this.handle(req, res));

    async start(): Promise<void> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    /** The base URL of one route. */
    urlOf(base: string): string {
        return `${this.url}${base}`;
    }

    private handle(req: IncomingMessage, res: ServerResponse): void {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://localhost");
            const form = new URLSearchParams(req.method === "POST" ? body : url.search);
            this.requests.push({ path: url.pathname, form });
            const base = url.pathname.replace(/\/api\/v1\/query$/, "");
            const route = this.routes.get(base === "" ? "/" : base);
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
            };
            if (route === undefined || !url.pathname.endsWith("/api/v1/query")) {
                send(404, { status: "error", errorType: "not_found", error: `no route for ${url.pathname}` });
                return;
            }
            const query = form.get("query") ?? "";
            const answer = route({ query, timeS: Number(form.get("time")), services: servicesOf(query), form });
            send(answer.status, answer.body);
        });
    }
}
