import { strict as assert } from "node:assert";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { analyzeService, MEASURE_NAMES, PrometheusProvider, parseProgressionConfig, runProgression } from "../../progression/internal";
import { answerFor, HEALTHY as HEALTHY_VALUES, type MeasureValues } from "../support/fake-metrics";

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

/** A fake Prometheus on 127.0.0.1 whose behaviour each test chooses; counts requests. */
class FakePrometheus {
    requests = 0;
    handler: Handler = (_req, res) => res.end();
    private readonly server: Server = createServer((req, res) => {
        this.requests++;
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
            (req as IncomingMessage & { form?: URLSearchParams }).form = new URLSearchParams(body);
            this.handler(req, res, this.requests);
        });
    });
    url = "";
    async start(): Promise<void> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }
    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}

const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
};

/** A well-formed answer for service "checkout" with the given values per measure, stamped at the evaluation time. */
function vectorAnswer(values: MeasureValues, timeS = Date.now() / 1000) {
    return answerFor({ checkout: { values } }, timeS) as {
        status: string;
        data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
}

const HEALTHY = HEALTHY_VALUES;

describe("progression analysis under backend faults (fake Prometheus)", () => {
    const fake = new FakePrometheus();
    before(() => fake.start());
    after(() => fake.stop());
    beforeEach(() => {
        fake.requests = 0;
    });

    const config = () =>
        parseProgressionConfig({
            service: "checkout",
            environment: "prod",
            stableImage: "app:1.0.0",
            canaryImage: "app:1.1.0",
            analysis: { prometheusUrl: fake.url },
        });
    const provider = (timeoutMs = 2000) => new PrometheusProvider({ baseUrl: fake.url, timeoutMs, retries: 2, minRetryDelayMs: 10 });

    async function expectError(pattern: RegExp, timeoutMs?: number) {
        const v = await analyzeService(config(), provider(timeoutMs), new Date());
        assert.equal(v.kind, "error", v.reason);
        assert.match(v.reason, pattern);
        return v;
    }

    it("passes a well-formed healthy answer (sanity check of the fake)", async () => {
        fake.handler = (_q, res) => json(res, 200, vectorAnswer(HEALTHY));
        const v = await analyzeService(config(), provider(), new Date());
        assert.equal(v.kind, "pass", v.reason);
        assert.equal(fake.requests, 1);
    });

    it("asks Thanos not to answer with partial data, and reads the sample stamps and warnings", async () => {
        let form = new URLSearchParams();
        fake.handler = (req, res) => {
            form = (req as IncomingMessage & { form?: URLSearchParams }).form ?? form;
            json(res, 200, { ...vectorAnswer(HEALTHY, 1_700_000_000), warnings: ["No StoreAPIs matched for this query"] });
        };
        const outcome = await provider().query("up", new Date(1_700_000_000_000));
        assert.equal(form.get("partial_response"), "false");
        assert.equal(form.get("time"), "1700000000.000");
        assert.ok(outcome.ok);
        assert.equal(outcome.samples[0]?.timestamp, 1_700_000_000_000);
        assert.deepEqual(outcome.warnings, ["No StoreAPIs matched for this query"]);
    });

    it("reports a stale answer (stamped an hour before the evaluation time) as an error naming its age", async () => {
        fake.handler = (_q, res) => json(res, 200, vectorAnswer(HEALTHY, Date.now() / 1000 - 3600));
        await expectError(/stale metrics answer: sample \w+ is stamped .*, 3600(\.\d)? s before the evaluation time/);
    });

    it("reports a Thanos partial response, and never passes it", async () => {
        fake.handler = (_q, res) =>
            json(res, 200, { ...vectorAnswer(HEALTHY), warnings: ["receive series from store 10.0.0.7:10901: context deadline exceeded"] });
        await expectError(/partial metrics answer: .*context deadline exceeded.*partial data never passes/);
    });

    it("turns a timeout into an error verdict without retrying", async () => {
        fake.handler = () => undefined; // never answers
        const started = Date.now();
        await expectError(/timeout after 300 ms/, 300);
        assert.ok(Date.now() - started < 2000);
        assert.equal(fake.requests, 1);
    });

    it("retries 5xx a bounded number of times, then reports an error", async () => {
        fake.handler = (_q, res) => json(res, 503, "upstream overloaded");
        await expectError(/HTTP 503/);
        assert.equal(fake.requests, 3);
    });

    it("recovers when a retry succeeds", async () => {
        fake.handler = (_q, res, attempt) => (attempt === 1 ? json(res, 500, "boom") : json(res, 200, vectorAnswer(HEALTHY)));
        const p = provider();
        const v = await analyzeService(config(), p, new Date());
        assert.equal(v.kind, "pass", v.reason);
        assert.equal(p.roundTrips, 2);
    });

    it("does not retry a 400 and reports Prometheus' own message", async () => {
        fake.handler = (_q, res) => json(res, 400, { status: "error", errorType: "bad_data", error: "parse error at char 3" });
        await expectError(/bad_data: parse error/);
        assert.equal(fake.requests, 1);
    });

    it("reports garbage (non-JSON) bodies", async () => {
        fake.handler = (_q, res) => {
            res.writeHead(200, { "content-type": "text/html" });
            res.end("<html>login required</html>");
        };
        await expectError(/not JSON/);
    });

    it("reports NaN measurements", async () => {
        fake.handler = (_q, res) => json(res, 200, vectorAnswer(Object.fromEntries(MEASURE_NAMES.map((m) => [m, "NaN"]))));
        await expectError(/NaN/);
    });

    it("reports NaN latency despite traffic", async () => {
        fake.handler = (_q, res) => json(res, 200, vectorAnswer({ ...HEALTHY, canaryP95Ms: "NaN" }));
        await expectError(/latency/);
    });

    it("reports wrong shapes: a matrix, missing fields, missing measurements, duplicates", async () => {
        const shapes: unknown[] = [
            { status: "success", data: { resultType: "matrix", result: [] } },
            { status: "success", data: { result: [] } },
            { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: "1" }] } },
            { status: "success", data: { resultType: "vector", result: [] } },
            vectorAnswer({ ...HEALTHY, canaryErrors: "+Inf" }),
            {
                status: "success",
                data: {
                    resultType: "vector",
                    result: [...vectorAnswer(HEALTHY).data.result, { metric: { measure: "canaryErrors", service: "checkout" }, value: [1, "3"] }],
                },
            },
            [],
            null,
        ];
        for (const shape of shapes) {
            fake.handler = (_q, res) => json(res, 200, shape === null ? "null" : shape);
            const v = await analyzeService(config(), provider(), new Date());
            assert.equal(v.kind, "error", `${JSON.stringify(shape)} → ${v.kind}: ${v.reason}`);
        }
    });

    it("reports a refused connection after retries", async () => {
        const v = await analyzeService(
            config(),
            new PrometheusProvider({ baseUrl: "http://127.0.0.1:1", retries: 1, minRetryDelayMs: 5 }),
            new Date(),
        );
        assert.equal(v.kind, "error");
        assert.match(v.reason, /fetch failed|ECONNREFUSED/);
    });

    it("turns a provider that rejects (breaking its contract) into an error verdict", async () => {
        const v = await analyzeService(config(), { query: () => Promise.reject(new Error("kaput")) }, new Date());
        assert.equal(v.kind, "error");
        assert.match(v.reason, /kaput/);
    });

    it("holds (never advances) a progressing rollout when the backend is down, and fails it after 3 errors", async () => {
        fake.handler = (_q, res) => json(res, 500, "down");
        const cfg = { ...config(), minIntervalBetweenSteps: 0 };
        let state: unknown;
        const actions: string[] = [];
        const weights: number[] = [];
        for (let i = 0; i < 4; i++) {
            const results = await runProgression([{ config: cfg, previousState: state }], provider(), new Date(Date.UTC(2025, 0, 1, 10, i)));
            const r = results.get("checkout");
            assert.ok(r);
            actions.push(r.decision.action);
            weights.push(r.decision.state.weight);
            state = JSON.parse(JSON.stringify(r.decision.state));
        }
        assert.deepEqual(actions, ["start", "hold", "hold", "rollback"]);
        assert.deepEqual(weights, [5, 5, 5, 0]);
        assert.equal((state as { status: string }).status, "failed");
    });
});
