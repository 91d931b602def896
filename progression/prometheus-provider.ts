/**
 * {@link MetricsProvider} over the Prometheus HTTP API (`/api/v1/query`), which Thanos Query serves too.
 * Queries go by POST (a batched query for many services is far longer than a safe URL), every attempt has
 * its own timeout, and only network errors and 5xx are retried: a 4xx will not get better, and retrying a
 * timeout would multiply the time a rollback decision waits. Each query asks Thanos for `partial_response=false`
 * (Prometheus ignores it): a store that fails then fails the query instead of silently thinning the data. Sample
 * timestamps and the answer's `warnings` are passed on for the analysis to judge.
 */
import retry from "async-retry";
import { z } from "zod";
import type { InstantSample, MetricsProvider, QueryOutcome } from "./metrics-provider";

/** Options of {@link PrometheusProvider}. */
export interface PrometheusProviderOptions {
    /** Base URL, e.g. `http://prometheus:9090` or `https://thanos.example/query` (any path prefix is kept). */
    readonly baseUrl: string;
    /** Per-attempt timeout in ms (default 10 000). */
    readonly timeoutMs?: number;
    /** Retries after a network error or 5xx (default 2). */
    readonly retries?: number;
    /** First retry delay in ms, doubled per retry (default 200). */
    readonly minRetryDelayMs?: number;
}

const sampleValue = z.tuple([z.number(), z.string()]);

const responseSchema = z.discriminatedUnion("status", [
    z.object({
        status: z.literal("success"),
        warnings: z.array(z.string()).optional(),
        data: z.object({
            resultType: z.literal("vector"),
            result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })),
        }),
    }),
    z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string().optional() }),
]);

/** Marks failures that retrying cannot fix, so async-retry stops at once. */
class PermanentError extends Error {}

/** Queries Prometheus (or Thanos Query) over HTTP; counts round trips for benchmarks and tests. */
export class PrometheusProvider implements MetricsProvider {
    /** HTTP requests sent so far, retries included. */
    public roundTrips = 0;
    private readonly endpoint: string;
    private readonly timeoutMs: number;
    private readonly retries: number;
    private readonly minRetryDelayMs: number;

    constructor(options: PrometheusProviderOptions) {
        this.endpoint = `${options.baseUrl.replace(/\/+$/, "")}/api/v1/query`;
        this.timeoutMs = options.timeoutMs ?? 10_000;
        this.retries = options.retries ?? 2;
        this.minRetryDelayMs = options.minRetryDelayMs ?? 200;
    }

    /** Evaluates `promql` at `time`; resolves with an error outcome instead of rejecting. */
    async query(promql: string, time: Date): Promise<QueryOutcome> {
        const body = new URLSearchParams({ query: promql, time: (time.getTime() / 1000).toFixed(3), partial_response: "false" });
        try {
            const json = await retry(
                async (bail) => {
                    try {
                        return await this.attempt(body);
                    } catch (err) {
                        if (!(err instanceof PermanentError)) throw err;
                        bail(err);
                        return undefined;
                    }
                },
                { retries: this.retries, minTimeout: this.minRetryDelayMs, factor: 2, randomize: false },
            );
            return interpret(json);
        } catch (err) {
            return { ok: false, error: describe(err, this.timeoutMs) };
        }
    }

    private async attempt(body: URLSearchParams): Promise<unknown> {
        this.roundTrips++;
        let response: Response;
        let text: string;
        try {
            response = await fetch(this.endpoint, {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
                body,
                signal: AbortSignal.timeout(this.timeoutMs),
            });
            text = await response.text();
        } catch (err) {
            if (isTimeout(err)) throw new PermanentError(`timeout after ${this.timeoutMs} ms`);
            throw err; // network error: retried
        }
        if (response.status >= 500) throw new Error(`HTTP ${response.status} ${snippet(text)}`);
        let json: unknown;
        try {
            json = JSON.parse(text);
        } catch {
            throw new PermanentError(`HTTP ${response.status} with a body that is not JSON: ${snippet(text)}`);
        }
        // Prometheus answers 400/422 with a JSON error body; let interpret() report its message.
        if (response.status >= 400 && !(typeof json === "object" && json !== null && "status" in json)) {
            throw new PermanentError(`HTTP ${response.status} ${snippet(text)}`);
        }
        return json;
    }
}

function interpret(json: unknown): QueryOutcome {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: `unexpected response shape at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "?"}` };
    }
    if (parsed.data.status === "error") {
        const error = `Prometheus error ${parsed.data.errorType ?? ""}: ${parsed.data.error ?? ""}`.trim();
        return parsed.data.errorType === "bad_data" ? { ok: false, error, queryRefused: true } : { ok: false, error };
    }
    const samples: InstantSample[] = [];
    for (const r of parsed.data.data.result) samples.push({ labels: r.metric, value: parseSampleValue(r.value[1]), timestamp: r.value[0] * 1000 });
    const warnings = parsed.data.warnings ?? [];
    return warnings.length > 0 ? { ok: true, samples, warnings } : { ok: true, samples };
}

/** Prometheus encodes sample values as strings, with `NaN`, `+Inf` and `-Inf` for the special values. */
export function parseSampleValue(text: string): number {
    if (text === "+Inf" || text === "Inf") return Infinity;
    if (text === "-Inf") return -Infinity;
    if (text.trim() === "") return NaN;
    return Number(text);
}

function isTimeout(err: unknown): boolean {
    return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function describe(err: unknown, timeoutMs: number): string {
    if (isTimeout(err)) return `timeout after ${timeoutMs} ms`;
    if (err instanceof Error) {
        const cause = (err as Error & { cause?: unknown }).cause;
        const detail = cause instanceof Error ? `: ${cause.message}` : "";
        return `${err.message}${detail}`;
    }
    return String(err);
}

function snippet(text: string): string {
    const oneLine = text.replace(/\s+/g, " ").trim();
    return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}
