/**
 * Delivery of notifications over HTTP: one queue per sink, worked off in the background, so `notify` returns at
 * once and a slow or failing sink never delays the caller (a rollback). Each event is retried with exponential
 * backoff and jitter on network errors, timeouts, HTTP 5xx and 429 (and the chat tools' rate-limit answers),
 * within a bounded number of attempts and a bounded total time; any other answer (a 4xx: wrong URL, revoked bot,
 * bad payload) gives up at once, since repeating it cannot help. Nothing here ever throws to the caller; what was
 * given up is logged without the URL (a webhook URL is a credential).
 */
import type { EventSink, ReleaseEvent } from "../events";
import { type EventKind, formatNumber } from "./format";

/** One HTTP POST of a notification. */
export interface HttpRequest {
    url: string;
    headers?: Record<string, string>;
    /** The request body, already serialised (JSON). */
    body: string;
}

/** What an answer means for delivery. */
export type Outcome = { kind: "ok" } | { kind: "retry"; reason: string; retryAfterMs?: number } | { kind: "give-up"; reason: string };

/** An HTTP answer as the classifiers see it. */
export interface HttpAnswer {
    status: number;
    body: string;
    /** The Retry-After header, when the server sent one. */
    retryAfter?: string | null;
}

/** Retry and queue limits of a sink. The defaults suit a chat webhook; tests shorten them. */
export interface DeliveryOptions {
    /** Attempts per event, the first included (default 5). */
    maxAttempts: number;
    /** Wait before the second attempt; doubles with every attempt (default 500 ms). */
    baseDelayMs: number;
    /** Longest wait between two attempts (default 8 s). */
    maxDelayMs: number;
    /** Longest time spent on one event, waits included (default 60 s); after `flush()` also the flush's bound. */
    maxTotalMs: number;
    /** Timeout of one HTTP request (default 10 s). */
    requestTimeoutMs: number;
    /** Events waiting at most; when full the oldest is dropped, with a log line (default 100). */
    maxQueue: number;
    /** Where retries and give-ups are reported (default: standard error). */
    log: (line: string) => void;
    /** Source of jitter in [0, 1) (default Math.random); tests pin it. */
    random: () => number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
    maxAttempts: 5,
    baseDelayMs: 500,
    maxDelayMs: 8_000,
    maxTotalMs: 60_000,
    requestTimeoutMs: 10_000,
    maxQueue: 100,
    log: (line) => process.stderr.write(`${line}\n`),
    random: Math.random,
};

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
    if (!value) return undefined;
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The plain HTTP rule (the generic webhook, Slack): 2xx delivered; 429 and 5xx retried (429 after its
 * Retry-After); anything else given up.
 */
export function classifyHttp(answer: HttpAnswer): Outcome {
    const { status } = answer;
    if (status >= 200 && status < 300) return { kind: "ok" };
    const snippet = answer.body.trim().slice(0, 200);
    const reason = `HTTP ${status}${snippet ? ` ${snippet}` : ""}`;
    if (status === 429) {
        const retryAfterMs = parseRetryAfter(answer.retryAfter);
        return retryAfterMs === undefined ? { kind: "retry", reason } : { kind: "retry", reason, retryAfterMs };
    }
    if (status >= 500 && status < 600) return { kind: "retry", reason };
    return { kind: "give-up", reason };
}

/** Backoff before attempt `attempt + 1` (attempt ≥ 1): exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempt: number, options: Pick<DeliveryOptions, "baseDelayMs" | "maxDelayMs" | "random">): number {
    const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exponential / 2 + (exponential / 2) * options.random());
}

/** What a sink type contributes: how an event becomes a request, and how its answers are read. */
export interface SinkFormat {
    /** Builds the request of one attempt (called per attempt, so a signature's timestamp is fresh). */
    request(event: ReleaseEvent): HttpRequest;
    /** Reads an answer (default: classifyHttp). */
    classify?(answer: HttpAnswer): Outcome;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
    if (error instanceof Error) {
        if (error.name === "TimeoutError" || error.name === "AbortError") return "request timed out";
        const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
        if (cause?.code) return `${error.message} (${cause.code})`;
        if (cause?.message) return `${error.message} (${cause.message})`;
        return error.message;
    }
    return String(error);
}

/** A sink that POSTs each event to an HTTP endpoint from its own queue. */
export class HttpSink implements EventSink {
    private readonly queue: ReleaseEvent[] = [];
    private running: Promise<void> | undefined;
    private flushDeadline: number | undefined;
    private readonly options: DeliveryOptions;
    /** Delivered and given-up counts, for tests and the driver's summary. */
    readonly stats = { delivered: 0, givenUp: 0, dropped: 0 };

    constructor(
        readonly name: string,
        private readonly format: SinkFormat,
        options: Partial<DeliveryOptions> = {},
        /** The kinds this sink wants; every kind when absent. */
        private readonly kinds?: ReadonlySet<EventKind>,
    ) {
        this.options = { ...DEFAULT_DELIVERY, ...options };
    }

    notify(event: ReleaseEvent): void {
        try {
            if (this.kinds && !this.kinds.has(event.kind)) return;
            if (this.queue.length >= this.options.maxQueue) {
                const dropped = this.queue.shift();
                this.stats.dropped++;
                this.log(`queue full (${this.options.maxQueue}): dropped the oldest event (${dropped?.kind})`);
            }
            this.queue.push(event);
            if (!this.running) {
                this.running = this.work().finally(() => {
                    this.running = undefined;
                });
            }
        } catch (error) {
            this.log(`could not queue an event: ${describeError(error)}`);
        }
    }

    async flush(): Promise<void> {
        this.flushDeadline ??= Date.now() + this.options.maxTotalMs;
        try {
            while (this.running) await this.running;
        } finally {
            this.flushDeadline = undefined;
        }
    }

    private log(line: string): void {
        try {
            this.options.log(`notify ${this.name}: ${line}`);
        } catch {
            // A broken logger must not break delivery either.
        }
    }

    private async work(): Promise<void> {
        // Yield first: the caller of notify() continues before any formatting or I/O of this sink.
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (let event = this.queue.shift(); event; event = this.queue.shift()) {
            try {
                await this.deliver(event);
            } catch (error) {
                this.stats.givenUp++;
                this.log(`gave up on ${event.kind}: ${describeError(error)}`);
            }
        }
    }

    private async deliver(event: ReleaseEvent): Promise<void> {
        const o = this.options;
        const started = Date.now();
        const deadline = () => Math.min(started + o.maxTotalMs, this.flushDeadline ?? Number.POSITIVE_INFINITY);
        const classify = this.format.classify ?? classifyHttp;
        for (let attempt = 1; ; attempt++) {
            let outcome: Outcome;
            const remaining = deadline() - Date.now();
            // A request that cannot be built will not build on a retry either: that throws to work(), which gives up.
            const request = this.format.request(event);
            try {
                const response = await fetch(request.url, {
                    method: "POST",
                    headers: { "content-type": "application/json; charset=utf-8", ...request.headers },
                    body: request.body,
                    signal: AbortSignal.timeout(Math.max(1, Math.min(o.requestTimeoutMs, remaining))),
                });
                const body = await response.text();
                outcome = classify({ status: response.status, body, retryAfter: response.headers.get("retry-after") });
            } catch (error) {
                outcome = { kind: "retry", reason: describeError(error) };
            }
            if (outcome.kind === "ok") {
                this.stats.delivered++;
                return;
            }
            if (outcome.kind === "give-up") {
                this.stats.givenUp++;
                this.log(`gave up on ${event.kind} after attempt ${attempt}: ${outcome.reason} (not retried)`);
                return;
            }
            const wait = Math.max(backoffMs(attempt, o), outcome.retryAfterMs ?? 0);
            if (attempt >= o.maxAttempts || Date.now() + wait >= deadline()) {
                this.stats.givenUp++;
                const why = attempt >= o.maxAttempts ? `${attempt} attempts` : `${formatNumber((Date.now() - started) / 1000)} s`;
                this.log(`gave up on ${event.kind} after ${why}: ${outcome.reason}`);
                return;
            }
            this.log(`attempt ${attempt}/${o.maxAttempts} for ${event.kind} failed (${outcome.reason}); retrying in ${formatNumber(wait / 1000)} s`);
            await sleep(wait);
        }
    }
}
