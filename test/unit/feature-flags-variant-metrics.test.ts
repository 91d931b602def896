/**
 * The variant that served a request, in Istio's request metrics: the FeatureFlags component's Istio Telemetry adds a
 * `feature_flag_<key>` label read from the response header the service sets, and a flag rollout's analysis selects
 * on that same label. The tag's value is a CEL expression over Envoy's attributes, evaluated here by a CEL engine
 * (@bufbuild/cel) on a response as Envoy exposes it (`response.headers`, lower-cased names). Istio's own validator
 * accepts the Telemetry (test/integration/validators-stacks.test.ts renders it in the dev stack).
 */
import { strict as assert } from "node:assert";
import { run } from "@bufbuild/cel";
import { FeatureFlags, type TelemetrySpec, variantTelemetrySpec } from "../../components/feature-flags";
import { batchedQuery, parseProgressionConfig } from "../../progression/internal";
import { parseStackConfig } from "../../stacks/config";
import { variantMetricsOf } from "../../stacks/flag-rollouts";
import { installMocks, ofType, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const FLAG = { key: "new-pricing", variants: { on: true, off: false }, defaultVariant: "off" };
const response = (headers: Record<string, string>) => ({ response: new Map([["headers", new Map(Object.entries(headers))]]) });
/** Evaluates CEL; the engine returns an evaluation or syntax error as a value, thrown here. */
const evaluate = (expression: string, bindings: ReturnType<typeof response>): unknown => {
    const value = run(expression, bindings);
    if (value instanceof Error) throw value;
    return value;
};

describe("FeatureFlags variant metrics: Istio's Telemetry labels requests with the variant", () => {
    beforeEach(resetRecorded);

    it("labels the server side's request count and duration of the service's pods, from the response header", () => {
        const spec = variantTelemetrySpec({ app: "checkout" }, ["new-pricing", "beta.search"], "x-feature-flag-");
        assert.deepEqual(spec.selector, { matchLabels: { app: "checkout" } });
        const [metrics] = spec.metrics;
        assert.deepEqual(metrics?.providers, [{ name: "prometheus" }]);
        assert.deepEqual(
            metrics?.overrides.map((o) => [o.match.metric, o.match.mode, Object.keys(o.tagOverrides)]),
            [
                ["REQUEST_COUNT", "SERVER", ["feature_flag_new_pricing", "feature_flag_beta_search"]],
                ["REQUEST_DURATION", "SERVER", ["feature_flag_new_pricing", "feature_flag_beta_search"]],
            ],
        );
        // The label the analysis of a flag rollout selects is the one the Telemetry writes.
        const analysis = parseProgressionConfig({
            service: "checkout",
            environment: "dev",
            analysis: { prometheusUrl: "http://prometheus:9090" },
            flag: { key: "new-pricing", variant: "on", defaultVariant: "off" },
        });
        assert.match(batchedQuery([analysis]), /reporter="destination", destination_service_name="checkout", feature_flag_new_pricing="on"/);
    });

    it("each tag's CEL expression reads the variant from the response, and fails (Istio's `unknown`) without the header", () => {
        const spec: TelemetrySpec = variantTelemetrySpec({ app: "checkout" }, ["new-pricing"], "x-feature-flag-");
        const expression = spec.metrics[0]!.overrides[0]!.tagOverrides["feature_flag_new_pricing"]!.value;
        assert.equal(expression, "response.headers['x-feature-flag-new-pricing']");
        assert.equal(evaluate(expression, response({ "x-feature-flag-new-pricing": "on", "content-type": "application/json" })), "on");
        assert.equal(evaluate(expression, response({ "x-feature-flag-new-pricing": "off" })), "off");
        assert.throws(() => evaluate(expression, response({ "content-type": "text/plain" })), /not found: x-feature-flag-new-pricing/);
        // Negative control: the engine does refuse a broken expression.
        assert.throws(() => evaluate("response.headers['x-feature-flag-new-pricing'", response({})), /expecting/);
    });

    it("the component creates the Telemetry when asked, and refuses a flag it does not define, at its key", async () => {
        new FeatureFlags("checkout", { namespace: "dev-gray", flags: [FLAG], variantMetrics: { podLabels: { app: "checkout" } } });
        await settle();
        const [telemetry] = ofType("kubernetes:telemetry.istio.io/v1:Telemetry");
        assert.ok(telemetry, "Telemetry");
        assert.deepEqual(telemetry.inputs["metadata"], {
            name: "feature-flags-variants",
            namespace: "dev-gray",
            labels: { "app.kubernetes.io/managed-by": "gray-release", "app.kubernetes.io/component": "feature-flags" },
        });
        assert.deepEqual(telemetry.inputs["spec"], variantTelemetrySpec({ app: "checkout" }, ["new-pricing"], "x-feature-flag-"));

        resetRecorded();
        new FeatureFlags("quiet", { namespace: "dev-gray", flags: [FLAG], variantMetrics: false });
        await settle();
        assert.equal(ofType("kubernetes:telemetry.istio.io/v1:Telemetry").length, 0);

        assert.throws(
            () =>
                new FeatureFlags("bad", {
                    namespace: "dev-gray",
                    flags: [FLAG],
                    variantMetrics: { podLabels: { app: "checkout" }, flags: ["new-pricng"] },
                }),
            /variantMetrics\.flags\[0\] = "new-pricng": no such flag \(new-pricing\)/,
        );
    });

    it("in a stack: the rolled-out flags by default, on the pods CanaryWorkload labels; as written otherwise", () => {
        const service = (featureFlags: Record<string, unknown>) =>
            parseStackConfig("dev", {
                environment: "dev",
                services: [
                    {
                        name: "checkout",
                        namespace: "dev-gray",
                        stableImage: "registry.example.com/shop/checkout:1.4.0",
                        canaryImage: "registry.example.com/shop/checkout:1.5.0",
                        progression: { analysis: { prometheusUrl: "http://prometheus:9090" } },
                        featureFlags,
                        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
                    },
                ],
            }).services[0]!;
        const flags = [FLAG, { ...FLAG, key: "other" }];
        assert.deepEqual(variantMetricsOf(service({ flags, rollouts: [{ flag: "new-pricing", variant: "on" }] })), {
            podLabels: { app: "checkout" },
            flags: ["new-pricing"],
            headerPrefix: "x-feature-flag-",
        });
        assert.equal(variantMetricsOf(service({ flags })), undefined);
        assert.equal(variantMetricsOf(service({ flags, variantMetrics: false, rollouts: [{ flag: "new-pricing", variant: "on" }] })), false);
    });
});
