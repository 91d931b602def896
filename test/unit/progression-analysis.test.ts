/**
 * The rules analyzeServices applies to the answer as a whole, before any number is judged: partial answers,
 * stale stamps, missing measurements; with an in-memory provider (the HTTP side is in
 * test/integration/progression-faults.test.ts and progression-trust-engine.test.ts).
 */
import { strict as assert } from "node:assert";
import {
    analyzeService,
    analyzeServices,
    type InstantSample,
    isQueryAnnotation,
    type MetricsProvider,
    parseProgressionConfig,
    parseSampleValue,
    type QueryOutcome,
    staleSample,
} from "../../progression/internal";
import { type AnswerOptions, answerFor, type ServiceAnswer, servicesOf } from "../support/fake-metrics";

const AT = new Date(Date.UTC(2026, 10, 25, 10));
const config = (service = "checkout", analysis: Record<string, unknown> = {}) =>
    parseProgressionConfig({
        service,
        environment: "prod",
        stableImage: "app:1.0.0",
        canaryImage: "app:1.1.0",
        analysis: { prometheusUrl: "http://prom:9090", ...analysis },
    });

/** A provider answering like {@link answerFor} would over HTTP, per service asked. */
function provider(
    answers: (service: string) => ServiceAnswer = () => ({ values: {} }),
    options: AnswerOptions = {},
): MetricsProvider & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        query: async (promql: string, time: Date): Promise<QueryOutcome> => {
            asked.push(promql);
            const services = Object.fromEntries(servicesOf(promql).map((s) => [s, answers(s)]));
            const json = answerFor(services, time.getTime() / 1000, options) as {
                warnings?: string[];
                data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
            };
            const samples: InstantSample[] = json.data.result.map((r) => ({
                labels: r.metric,
                value: parseSampleValue(r.value[1]),
                timestamp: r.value[0] * 1000,
            }));
            return json.warnings ? { ok: true, samples, warnings: json.warnings } : { ok: true, samples };
        },
    };
}

describe("analyzeServices: trusting the answer", () => {
    it("passes a healthy answer (sanity check of the in-memory provider)", async () => {
        const v = await analyzeService(config(), provider(), AT);
        assert.equal(v.kind, "pass", v.reason);
    });

    it("turns a partial answer (Thanos store warnings) into an error for every service, quoting the warnings", async () => {
        const warning = 'receive series from Addr: 10.0.3.7:10901 LabelSets: {replica="b"}: rpc error: code = DeadlineExceeded';
        const verdicts = await analyzeServices([config("a"), config("b")], provider(undefined, { warnings: [warning] }), AT);
        for (const service of ["a", "b"]) {
            const v = verdicts.get(service);
            assert.equal(v?.kind, "error", v?.reason);
            assert.match(
                v?.reason ?? "",
                /partial metrics answer: the source reported 1 warning\(s\): .*DeadlineExceeded.*; partial data never passes/,
            );
        }
    });

    it("reports PromQL annotations in the reason without blocking the verdict", async () => {
        const v = await analyzeService(
            config(),
            provider(undefined, { warnings: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up"'] }),
            AT,
        );
        assert.equal(v.kind, "pass", v.reason);
        assert.match(v.reason, /the metrics source noted: "PromQL info: metric might not be a counter/);
    });

    it("classifies warnings", () => {
        assert.ok(isQueryAnnotation("PromQL warning: input to histogram_quantile needed to be fixed for monotonicity"));
        assert.ok(isQueryAnnotation("PromQL info: ignored histogram in rate"));
        assert.ok(!isQueryAnnotation("No StoreAPIs matched for this query"));
        assert.ok(!isQueryAnnotation("remote_read: context deadline exceeded"));
    });

    it("turns an answer stamped far from the evaluation time into an error naming its age", async () => {
        const v = await analyzeService(config(), provider(undefined, { stampAgeS: 3600 }), AT);
        assert.equal(v.kind, "error");
        assert.match(
            v.reason,
            /stale metrics answer: sample \w+ is stamped 2026-11-25T09:00:00\.000Z, 3600 s before the evaluation time \(maxSampleAge 60 s\)/,
        );
        const future = await analyzeService(config(), provider(undefined, { stampAgeS: -600 }), AT);
        assert.match(future.reason, /600 s after the evaluation time/);
        const lenient = await analyzeService(config("checkout", { maxSampleAge: "2h" }), provider(undefined, { stampAgeS: 3600 }), AT);
        assert.equal(lenient.kind, "pass", lenient.reason);
    });

    it("accepts an answer stamped within maxSampleAge, and samples without stamps", () => {
        const sample = (at: number | undefined): InstantSample => ({
            labels: { measure: "canaryRequests" },
            value: 1,
            ...(at === undefined ? {} : { timestamp: at }),
        });
        assert.equal(staleSample([sample(AT.getTime() - 59_000), sample(undefined)], AT, 60_000), undefined);
        assert.match(
            staleSample([sample(AT.getTime() - 59_000), sample(AT.getTime() - 90_500)], AT, 60_000) ?? "",
            /sample canaryRequests .* 90\.5 s before/,
        );
    });

    it("turns a measurement missing from the answer into an error naming it", async () => {
        const p: MetricsProvider = {
            query: async (promql, time) => {
                const outcome = await provider().query(promql, time);
                return outcome.ok ? { ok: true, samples: outcome.samples.filter((s) => s.labels["measure"] !== "passStableErrors") } : outcome;
            },
        };
        const v = await analyzeService(config(), p, AT);
        assert.equal(v.kind, "error");
        assert.match(v.reason, /measurement passStableErrors missing from the response/);
    });

    it("judges each service of one answer on its own: an impossible value errs only that service", async () => {
        const p = provider((s) => (s === "bad" ? { values: { canaryP95Ms: "-1" } } : { values: {} }));
        const verdicts = await analyzeServices([config("good"), config("bad")], p, AT);
        assert.equal(verdicts.get("good")?.kind, "pass", verdicts.get("good")?.reason);
        assert.equal(verdicts.get("bad")?.kind, "error");
        assert.match(verdicts.get("bad")?.reason ?? "", /canaryP95Ms is -1 ms/);
        assert.equal(p.asked.length, 1, "still one query for both");
    });

    it("a query the source refuses (bad_data) errs only the release whose query it is; a source that is down errs all", async () => {
        const healthy = provider();
        const asked: string[] = [];
        const refusing: MetricsProvider = {
            query: async (promql, time) =>
                asked.push(promql) && promql.includes("broken_metric")
                    ? { ok: false, error: 'Prometheus error bad_data: expected type range vector in call to function "rate"', queryRefused: true }
                    : healthy.query(promql, time),
        };
        const broken = config("broken", {
            checks: [{ name: "gc", query: "sum(rate(broken_metric))", threshold: 1, direction: "above", action: "warn" }],
        });
        const verdicts = await analyzeServices([config("good"), broken, config("other")], refusing, AT);
        assert.deepEqual(
            [...verdicts].map(([k, v]) => [k, v.kind]),
            [
                ["good", "pass"],
                ["broken", "error"],
                ["other", "pass"],
            ],
        );
        assert.match(verdicts.get("broken")?.reason ?? "", /metrics query failed: Prometheus error bad_data/);
        assert.equal(asked.length, 4, "the batch, then one query per release");

        const down: MetricsProvider = { query: async () => ({ ok: false, error: "fetch failed: ECONNREFUSED" }) };
        const all = await analyzeServices([config("good"), config("other")], down, AT);
        assert.deepEqual(
            [...all.values()].map((v) => v.kind),
            ["error", "error"],
        );
    });
});
