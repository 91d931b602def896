/**
 * The collector configurations, checked by the OpenTelemetry Collector itself: `otelcol-gray validate --config`,
 * a collector built by the OpenTelemetry Collector Builder (toolchain/validators/otelcol/manifest.yaml) with exactly
 * the components the configs use, at v0.115.0 (the closest release the proxy serves to the 0.114.0 image we
 * deploy). `validate` unmarshals every component's config with the component's own factory and runs its
 * `Validate()`, then checks the pipelines' wiring: what `otelcol-contrib validate` does.
 *
 * Negative controls prove a config the collector refuses fails here with the collector's message. The configs of
 * the sample stacks are checked in validators-stacks.test.ts.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { stringify } from "yaml";
import { parseArgs } from "../../components/common";
import {
    type CollectorConfig,
    collectorConfigYaml,
    type OtelCollectorArgs,
    otelCollectorArgsSchema,
    planCollectors,
} from "../../components/otel-collector";
import { containerEnv, otelcolStart, otelcolValidate, requireValidatorsDir } from "../support/validators";

const base: OtelCollectorArgs = {
    namespace: "observability",
    traces: { endpoint: "tempo-distributor.tracing:4317", insecure: true },
    metrics: { remoteWriteUrl: "http://prometheus.monitoring:9090/api/v1/write" },
};

function plan(extra: Partial<OtelCollectorArgs> = {}) {
    return planCollectors(parseArgs("OtelCollector test", otelCollectorArgsSchema, { ...base, ...extra }));
}

/**
 * `otelcol validate`, then the collector started on the config: the gateway until every component runs ("Everything
 * is ready"); the agent until every component is created (starting its k8sattributes processor needs a Kubernetes
 * API, and its load-balancing exporter the gateway's DNS name).
 */
async function assertValid(what: string, yaml: string, env: Record<string, string>, tier: "agent" | "gateway"): Promise<void> {
    const r = await otelcolValidate(yaml, env);
    assert.equal(r.code, 0, `${what}: otelcol validate refused it:\n${r.stderr}\n${r.stdout}\n--- config ---\n${yaml}`);
    const start = await otelcolStart(yaml, env, tier === "gateway" ? "ready" : "created");
    assert.ok(tier === "gateway" ? start.ready : start.created, `${what}: the collector did not start on it:\n${start.log}\n--- config ---\n${yaml}`);
}

async function assertRefused(yaml: string, message: RegExp): Promise<string> {
    const r = await otelcolValidate(yaml);
    assert.notEqual(r.code, 0, `the collector accepted a broken config:\n${yaml}`);
    assert.match(`${r.stderr}\n${r.stdout}`, message);
    return r.stderr;
}

function mutate(config: CollectorConfig, f: (c: Record<string, any>) => void): string {
    const copy = structuredClone(config) as unknown as Record<string, any>;
    f(copy);
    return stringify(copy, { lineWidth: 0, aliasDuplicateObjects: false });
}

const VARIANTS: ReadonlyArray<[string, Partial<OtelCollectorArgs>]> = [
    ["defaults", {}],
    [
        "every option set",
        {
            resourceAttributes: { "k8s.cluster.name": "prod-eu", "deployment.environment": "prod" },
            agent: { podLabelAttributes: { "deployment.track": "gray-release.io/track", "app.version": "version" } },
            sampling: {
                canaryVersions: ["v2.3.0", "v2.3.1"],
                canaryAttributes: [{ key: "x-canary", values: ["true", "v2"] }],
                latencyThresholdMs: 300,
                probabilisticPercent: 2.5,
                decisionWaitSeconds: 20,
                numTraces: 100000,
                expectedNewTracesPerSec: 500,
            },
            spanMetrics: { extraDimensions: ["http.route", "http.method"], histogramBucketsMs: [5, 50, 500, 5000], flushIntervalSeconds: 30 },
        },
    ],
    ["canary versions only", { sampling: { canaryVersions: ["v2.3.0"], canaryAttributes: [] } }],
    ["operator mode", { mode: "operator" }],
    ["TLS to the traces backend", { traces: { endpoint: "https://tempo.example.com:443", insecure: false } }],
];

describe("OpenTelemetry Collector's own validation (otelcol validate) of the agent and gateway configs", function () {
    this.timeout(10 * 60 * 1000);
    before(async () => {
        await requireValidatorsDir();
    });

    describe("negative controls: the collector refuses broken configs with its own messages", () => {
        const { agent, gateway } = plan();

        it("refuses a misspelt tail_sampling key", async () => {
            await assertRefused(
                mutate(gateway.config, (c) => {
                    c["processors"].tail_sampling.decison_wait = "10s";
                }),
                /error reading configuration for "tail_sampling": decoding failed due to the following error\(s\):\s+'' has invalid keys: decison_wait/,
            );
        });

        it("refuses a pipeline naming a processor that is not configured", async () => {
            await assertRefused(
                mutate(agent.config, (c) => {
                    delete c["processors"].k8sattributes;
                }),
                /references processor "k8sattributes" which is not configured/,
            );
        });

        it("creation-time checks `validate` misses are caught by starting the collector: an unknown routing key", async () => {
            const yaml = mutate(agent.config, (c) => {
                c["exporters"].loadbalancing.routing_key = "traceid";
            });
            assert.equal((await otelcolValidate(yaml)).code, 0, "validate alone accepts it");
            const start = await otelcolStart(yaml, containerEnv(agent.env), "created");
            assert.equal(start.created, false);
            assert.match(
                start.log,
                /failed to create "loadbalancing" exporter for data type "traces": cannot configure loadbalancing traces exporter: unsupported routing_key: traceid/,
            );
        });

        it("... and an unknown tail-sampling policy type", async () => {
            const yaml = mutate(gateway.config, (c) => {
                c["processors"].tail_sampling.policies[0].type = "string_attributes";
            });
            assert.equal((await otelcolValidate(yaml)).code, 0, "validate alone accepts it");
            const start = await otelcolStart(yaml, containerEnv(gateway.env));
            assert.equal(start.created, false);
            assert.match(
                start.log,
                /failed to create "tail_sampling" processor, in pipeline "traces": unknown sampling policy type string_attributes/,
            );
        });

        it("refuses a memory limiter whose spike limit exceeds its limit", async () => {
            await assertRefused(
                mutate(gateway.config, (c) => {
                    c["processors"].memory_limiter.spike_limit_percentage = 90;
                }),
                /processors::memory_limiter: 'spike_limit_percentage' must be smaller than 'limit_percentage'/,
            );
        });

        it("refuses a span-metrics connector with duplicate dimensions", async () => {
            await assertRefused(
                mutate(gateway.config, (c) => {
                    c["connectors"].spanmetrics.dimensions = [{ name: "service.version" }, { name: "service.version" }];
                }),
                /connectors::spanmetrics: failed validating dimensions: duplicate dimension name service.version/,
            );
        });
    });

    describe("our builders", () => {
        for (const [name, extra] of VARIANTS) {
            it(`${name}: the agent and the gateway configs validate, and the collector starts on them`, async () => {
                const p = plan(extra);
                await assertValid(`${name} agent`, p.agent.configYaml, containerEnv(p.agent.env), "agent");
                await assertValid(`${name} gateway`, p.gateway.configYaml, containerEnv(p.gateway.env), "gateway");
            });
        }

        it("property: 25 random argument sets, both tiers validate and start", async () => {
            const attrKey = fc.stringMatching(/^[a-z][a-z0-9_.]{0,15}$/);
            const argsArb = fc.record({
                resourceAttributes: fc.dictionary(attrKey, fc.stringMatching(/^[a-z0-9-]{1,12}$/), { maxKeys: 3 }),
                sampling: fc.record({
                    canaryVersions: fc.array(fc.stringMatching(/^v[0-9]\.[0-9]{1,2}\.[0-9]{1,2}$/), { maxLength: 3 }),
                    canaryAttributes: fc.array(
                        fc.record({ key: attrKey, values: fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 3 }) }),
                        { maxLength: 2 },
                    ),
                    latencyThresholdMs: fc.integer({ min: 1, max: 60000 }),
                    probabilisticPercent: fc.double({ min: 0, max: 100, noNaN: true }),
                    decisionWaitSeconds: fc.integer({ min: 1, max: 120 }),
                }),
                spanMetrics: fc.record({
                    extraDimensions: fc.uniqueArray(attrKey, { maxLength: 4 }),
                    histogramBucketsMs: fc
                        .uniqueArray(fc.integer({ min: 1, max: 100000 }), { minLength: 1, maxLength: 8 })
                        .map((b) => b.sort((x, y) => x - y)),
                    flushIntervalSeconds: fc.integer({ min: 1, max: 300 }),
                }),
            });
            const samples = fc.sample(argsArb, { numRuns: 25, seed: 20261125 });
            for (const extra of samples) {
                let p: ReturnType<typeof plan>;
                try {
                    p = plan(extra as Partial<OtelCollectorArgs>);
                } catch {
                    continue; // refused by our own schema: never rendered
                }
                await assertValid(`agent for ${JSON.stringify(extra)}`, p.agent.configYaml, containerEnv(p.agent.env), "agent");
                await assertValid(`gateway for ${JSON.stringify(extra)}`, p.gateway.configYaml, containerEnv(p.gateway.env), "gateway");
            }
        });

        it("the rendered YAML is what the typed config says (the validator reads exactly what ships)", () => {
            const p = plan();
            assert.equal(p.agent.configYaml, collectorConfigYaml(p.agent.config));
        });
    });
});
