/**
 * The rendered collector configurations, checked against the typed model (components/otel-collector/model.ts).
 *
 * No `otelcol` / `otelcol-contrib` binary is available in this environment (no internet to fetch one), so
 * `otelcol validate --config` is NOT run here. These tests check the structural rules the package relies on;
 * they do not prove the collector accepts the file. Run `otelcol-contrib validate` in CI where the binary exists.
 */
import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { parse } from "yaml";
import { parseArgs } from "../../components/common";
import {
    buildAgentConfig,
    buildGatewayConfig,
    type CollectorConfig,
    collectorConfigYaml,
    goMemLimit,
    lintCollectorConfig,
    type OtelCollectorArgs,
    otelCollectorArgsSchema,
    type PipelineConfig,
    parseMemoryQuantity,
    planCollectors,
    type TailSamplingPolicy,
} from "../../components/otel-collector";

const base: OtelCollectorArgs = {
    namespace: "observability",
    traces: { endpoint: "tempo-distributor.tracing:4317", insecure: true },
    metrics: { remoteWriteUrl: "http://prometheus.monitoring:9090/api/v1/write" },
};

const parsed = (extra: Partial<OtelCollectorArgs> = {}) => parseArgs("OtelCollector test", otelCollectorArgsSchema, { ...base, ...extra });

function pipelines(config: CollectorConfig): Array<[string, PipelineConfig]> {
    return Object.entries(config.service.pipelines).filter((e): e is [string, PipelineConfig] => e[1] !== undefined);
}

function has(section: object, id: string): boolean {
    return Object.hasOwn(section, id);
}

/** The assertions every rendered configuration must pass, written independently of lintCollectorConfig. */
function assertSound(config: CollectorConfig): void {
    assert.ok(pipelines(config).length > 0);
    for (const [name, p] of pipelines(config)) {
        assert.equal(p.processors[0], "memory_limiter", `${name}: memory_limiter first`);
        for (const r of p.receivers) assert.ok(has(config.receivers, r) || has(config.connectors, r), `${name}: receiver ${r}`);
        for (const x of p.processors) assert.ok(has(config.processors, x), `${name}: processor ${x}`);
        for (const e of p.exporters) assert.ok(has(config.exporters, e) || has(config.connectors, e), `${name}: exporter ${e}`);
    }
    for (const ext of config.service.extensions) assert.ok(has(config.extensions, ext));
    assert.deepEqual(lintCollectorConfig(config), []);
}

function policy<T extends TailSamplingPolicy["type"]>(config: CollectorConfig, type: T): Array<Extract<TailSamplingPolicy, { type: T }>> {
    const policies = config.processors.tail_sampling?.policies ?? [];
    return policies.filter((p): p is Extract<TailSamplingPolicy, { type: T }> => p.type === type);
}

describe("OtelCollector configuration (pure)", () => {
    it("agent and gateway configurations are sound with defaults and with every option set", () => {
        const variants = [
            parsed(),
            parsed({
                resourceAttributes: { "k8s.cluster.name": "prod-eu" },
                agent: { podLabelAttributes: { "deployment.track": "track" } },
                sampling: { canaryVersions: ["v2.3.0"], canaryAttributes: [] },
                spanMetrics: { extraDimensions: ["http.route", "service.version"] },
            }),
        ];
        for (const args of variants) {
            assertSound(buildAgentConfig(args));
            assertSound(buildGatewayConfig(args));
        }
    });

    it("agent: OTLP grpc 4317 / http 4318, k8sattributes, traces load-balanced by traceID to the gateway headless service", () => {
        const agent = buildAgentConfig(parsed());
        assert.match(agent.receivers.otlp?.protocols.grpc?.endpoint ?? "", /:4317$/);
        assert.match(agent.receivers.otlp?.protocols.http?.endpoint ?? "", /:4318$/);
        const lb = agent.exporters.loadbalancing;
        assert.ok(lb);
        assert.equal(lb.routing_key, "traceID");
        assert.equal(lb.resolver.dns.hostname, "otel-gateway-collector-headless.observability.svc.cluster.local");
        assert.equal(lb.resolver.dns.port, "4317");
        assert.deepEqual(agent.service.pipelines.traces?.exporters, ["loadbalancing"]);
        assert.ok(agent.service.pipelines.traces?.processors.includes("k8sattributes"));
        assert.equal(agent.processors.k8sattributes?.filter?.node_from_env_var, "K8S_NODE_NAME");
        assert.ok(agent.processors.k8sattributes?.extract.metadata.includes("k8s.deployment.name"));
    });

    it("agent: the resource processor appears only when there are attributes to set", () => {
        assert.equal(buildAgentConfig(parsed()).processors.resource, undefined);
        const withAttrs = buildAgentConfig(parsed({ resourceAttributes: { "k8s.cluster.name": "prod-eu" } }));
        assert.deepEqual(withAttrs.processors.resource?.attributes, [{ key: "k8s.cluster.name", value: "prod-eu", action: "upsert" }]);
        assert.deepEqual(withAttrs.service.pipelines.traces?.processors, ["memory_limiter", "k8sattributes", "resource", "batch"]);
    });

    it("gateway: tail sampling keeps canary, errors, slow traces and a probabilistic share (defaults from the brief)", () => {
        const gw = buildGatewayConfig(parsed({ sampling: { canaryVersions: ["v2.3.0", "v2.3.1"] } }));
        const attrs = policy(gw, "string_attribute").map((p) => p.string_attribute);
        assert.deepEqual(attrs, [
            { key: "service.version", values: ["v2.3.0", "v2.3.1"] },
            { key: "deployment.track", values: ["canary"] },
        ]);
        assert.deepEqual(
            policy(gw, "status_code").map((p) => p.status_code.status_codes),
            [["ERROR"]],
        );
        assert.deepEqual(
            policy(gw, "latency").map((p) => p.latency.threshold_ms),
            [1200],
        );
        assert.deepEqual(
            policy(gw, "probabilistic").map((p) => p.probabilistic.sampling_percentage),
            [10],
        );
        const names = (gw.processors.tail_sampling?.policies ?? []).map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "policy names are unique");
        assert.deepEqual(gw.service.pipelines.traces?.processors, ["memory_limiter", "tail_sampling", "batch"]);
        assert.deepEqual(gw.service.pipelines.traces?.exporters, ["otlp"]);
        assert.equal(gw.exporters.otlp?.endpoint, "tempo-distributor.tracing:4317");
    });

    it("gateway: canary matching keys/values, latency threshold and share are configurable", () => {
        const gw = buildGatewayConfig(
            parsed({
                sampling: {
                    canaryAttributes: [{ key: "x-canary", values: ["true", "v2"] }],
                    latencyThresholdMs: 300,
                    probabilisticPercent: 2.5,
                },
            }),
        );
        assert.deepEqual(
            policy(gw, "string_attribute").map((p) => p.string_attribute),
            [{ key: "x-canary", values: ["true", "v2"] }],
        );
        assert.equal(policy(gw, "latency")[0]?.latency.threshold_ms, 300);
        assert.equal(policy(gw, "probabilistic")[0]?.probabilistic.sampling_percentage, 2.5);
    });

    it("gateway: spanmetrics sees every span (before sampling), has service.version, and is remote-written", () => {
        const gw = buildGatewayConfig(parsed({ spanMetrics: { extraDimensions: ["http.route", "service.version"] } }));
        const sm = gw.connectors.spanmetrics;
        assert.ok(sm);
        const dims = sm.dimensions.map((d) => d.name);
        assert.deepEqual(dims, ["service.version", "http.route"], "service.version once, first");
        assert.ok(sm.histogram.explicit.buckets.includes("1200ms"));
        const feeding = pipelines(gw).filter(([, p]) => p.exporters.includes("spanmetrics"));
        assert.equal(feeding.length, 1);
        assert.ok(!feeding[0]?.[1].processors.includes("tail_sampling"), "spanmetrics must not be fed sampled traces");
        const consuming = pipelines(gw).filter(([, p]) => p.receivers.includes("spanmetrics"));
        assert.equal(consuming.length, 1);
        const exporter = consuming[0]?.[1].exporters[0] ?? "";
        assert.match(exporter, /^prometheusremotewrite/);
        const prw = gw.exporters[exporter as `prometheusremotewrite/${string}`];
        assert.equal(prw?.endpoint, "http://prometheus.monitoring:9090/api/v1/write");
        assert.ok(prw?.external_labels?.["otel_gateway_pod"], "per-replica label keeps replica series apart");
    });

    it("default dimensions include service.version", () => {
        const dims = buildGatewayConfig(parsed()).connectors.spanmetrics?.dimensions.map((d) => d.name) ?? [];
        assert.ok(dims.includes("service.version"));
    });

    it("YAML round-trips to the same typed model", () => {
        const plan = planCollectors(parsed({ resourceAttributes: { "k8s.cluster.name": "prod-eu" } }));
        for (const tier of [plan.agent, plan.gateway]) {
            assert.deepEqual(parse(tier.configYaml), tier.config);
            assert.equal(collectorConfigYaml(tier.config), tier.configYaml);
            assert.ok(!tier.configYaml.includes("&"), "no YAML anchors");
        }
    });

    it("lintCollectorConfig reports a misordered or undefined processor and a one-sided connector", () => {
        const gw = buildGatewayConfig(parsed());
        const broken: CollectorConfig = {
            ...gw,
            service: {
                ...gw.service,
                pipelines: {
                    traces: { receivers: ["otlp"], processors: ["batch", "memory_limiter", "resource"], exporters: ["spanmetrics"] },
                },
            },
        };
        const problems = lintCollectorConfig(broken);
        assert.ok(problems.some((p) => /memory_limiter must be the first/.test(p)));
        assert.ok(problems.some((p) => /processor resource is not defined/.test(p)));
        assert.ok(problems.some((p) => /connector spanmetrics/.test(p)));
    });

    it("workloadEnv sets W3C + B3 propagators and the node-local agent endpoint", () => {
        const plan = planCollectors(parsed());
        assert.deepEqual(plan.workloadEnv, [
            { name: "OTEL_PROPAGATORS", value: "tracecontext,baggage,b3multi" },
            { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-agent.observability.svc.cluster.local:4317" },
            { name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: "grpc" },
        ]);
        assert.equal(plan.agentEndpoint, "otel-agent.observability.svc.cluster.local");
        assert.equal(plan.gatewayEndpoint, "otel-gateway-collector.observability.svc.cluster.local");
    });
});

describe("GOMEMLIMIT", () => {
    it("is 80 % of the memory limit in MiB", () => {
        assert.equal(goMemLimit("512Mi"), "409MiB");
        assert.equal(goMemLimit("1Gi"), "819MiB");
        assert.equal(goMemLimit("1.5Gi"), "1228MiB");
        assert.equal(goMemLimit("1G"), "762MiB");
        assert.equal(goMemLimit("536870912"), "409MiB");
        assert.throws(() => goMemLimit("lots"), /not a Kubernetes memory quantity/);
    });

    it("never exceeds the limit and is within 1 MiB of 80 % of it", () => {
        fc.assert(
            fc.property(fc.integer({ min: 64, max: 65536 }), (mi) => {
                const limitBytes = parseMemoryQuantity(`${mi}Mi`) ?? 0;
                const got = Number(goMemLimit(`${mi}Mi`).replace(/MiB$/, "")) * 2 ** 20;
                return got <= limitBytes * 0.8 && got > limitBytes * 0.8 - 2 ** 20;
            }),
        );
    });
});
