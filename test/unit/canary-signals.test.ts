/**
 * One definition of a service's canary signals: the gate's analysis queries and SloRules' canary alert are built
 * from the same model, and in a stack the P1 alert follows the gate's threshold and selectors unless the service's
 * `slo.canary` sets its own. Rendered through the real CanaryService on Pulumi's mock runtime.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { generateRuleGroups, resolveSloRulesSpec } from "../../components/slo-rules";
import { decide } from "../../progression";
import { measurementQueries } from "../../progression/queries";
import { analysisSignals } from "../../progression/signals";
import type { CanaryRelease } from "../../stacks/canary-release";
import { CanaryService } from "../../stacks/canary-service";
import { planStack } from "../../stacks/program";
import { installMocks, ofType, resetRecorded } from "../support/pulumi-mocks";

installMocks();

const baseService = {
    name: "checkout",
    namespace: "dev-gray",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    progression: { analysis: { prometheusUrl: "http://127.0.0.1:9090" } },
    slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
};

type Rule = { alert?: string; record?: string; expr: string };
type PrometheusRuleInputs = { spec: { groups: Array<{ rules: Rule[] }> } };

/** The stack's rendered PrometheusRule of the service, through the real CanaryService. */
async function renderedRules(service: Record<string, unknown>): Promise<Rule[]> {
    resetRecorded();
    const { services } = planStack("dev", { environment: "dev", services: [service] });
    const s = services[0]!;
    const decision = decide(undefined, s.progression, undefined, new Date("2026-11-25T10:00:00Z"));
    // The record only orders the service's parts after it; any resource does for the mock runtime.
    const record = new pulumi.ComponentResource("test:index:Record", "record") as unknown as CanaryRelease;
    new CanaryService(s.name, { service: s, decision, previousState: undefined, record, workloadEnv: {} });
    await new Promise((r) => setTimeout(r, 50));
    const rule = ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0];
    assert.ok(rule, "a PrometheusRule was rendered");
    return (rule.inputs as unknown as PrometheusRuleInputs).spec.groups.flatMap((g) => g.rules);
}

const p1Expr = (rules: Rule[]): string => {
    const p1 = rules.find((r) => r.alert === "CanaryErrorRateDeltaHigh");
    assert.ok(p1, "the P1 is rendered");
    return p1.expr;
};

describe("one definition of the canary signals (gate and alert)", () => {
    it("the P1 alert follows the gate's threshold: changing maxErrorRateDelta in the stack config changes the rendered alert", async () => {
        const at = (delta: number | undefined) => ({
            ...baseService,
            progression: {
                analysis: { ...baseService.progression.analysis, ...(delta === undefined ? {} : { thresholds: { maxErrorRateDelta: delta } }) },
            },
        });
        assert.match(p1Expr(await renderedRules(at(undefined))), /canary_error_rate_delta\{service="checkout"\} > 0\.003\n/);
        assert.match(p1Expr(await renderedRules(at(0.007))), /canary_error_rate_delta\{service="checkout"\} > 0\.007\n/);
        assert.match(p1Expr(await renderedRules(at(0.0015))), /canary_error_rate_delta\{service="checkout"\} > 0\.0015\n/);
    });

    it("a threshold set on the alert itself wins over the gate's", async () => {
        const service = {
            ...baseService,
            progression: { analysis: { ...baseService.progression.analysis, thresholds: { maxErrorRateDelta: 0.007 } } },
            slo: { ...baseService.slo, canary: { maxErrorRateDelta: 0.002 } },
        };
        assert.match(p1Expr(await renderedRules(service)), /> 0\.002\n/);
    });

    it("the alert's recordings select the gate's requests and failures, with the gate's own selector strings", async () => {
        const service = {
            ...baseService,
            progression: {
                analysis: {
                    ...baseService.progression.analysis,
                    selectors: { errorCodes: "5..|429", canary: 'app="checkout", track="canary"', stable: 'app="checkout", track="stable"' },
                },
            },
        };
        const rules = await renderedRules(service);
        const { services } = planStack("dev", { environment: "dev", services: [service] });
        const gate = measurementQueries(services[0]!.progression);
        const errorSelector = 'istio_requests_total{app="checkout", track="canary", response_code=~"5..|429"}';
        assert.ok(gate.canaryErrors.includes(errorSelector), gate.canaryErrors);
        const canaryErrorRate = rules.find((r) => r.record === "canary_error_rate");
        assert.ok(canaryErrorRate?.expr.includes(errorSelector), canaryErrorRate?.expr);
        const stableErrorRate = rules.find((r) => r.record === "stable_error_rate");
        assert.ok(stableErrorRate?.expr.includes('istio_requests_total{app="checkout", track="stable", response_code=~"5..|429"}'));
    });

    it("the restart signal too: the alert's restart recording reads the gate's restart selector, unless slo.canary.restarts is set", async () => {
        const withRestarts = (restarts: string | undefined, slo: Record<string, unknown> = {}) => ({
            ...baseService,
            progression: {
                analysis: { ...baseService.progression.analysis, ...(restarts === undefined ? {} : { selectors: { restarts } }) },
            },
            slo: { ...baseService.slo, ...slo },
        });
        const recording = (rules: Rule[]) => rules.find((r) => r.record === "canary_k8s_pod_restart_total")?.expr ?? "";
        const byDefault = withRestarts(undefined);
        const { services } = planStack("dev", { environment: "dev", services: [byDefault] });
        const gate = measurementQueries(services[0]!.progression).canaryRestarts;
        const defaultSelector = 'kube_pod_container_status_restarts_total{pod=~"checkout-canary-.*"}';
        assert.ok(gate.includes(defaultSelector), gate);
        assert.equal(recording(await renderedRules(byDefault)), `sum(${defaultSelector}) or vector(0)`);
        const custom = 'namespace="dev-gray", container="app", pod=~"checkout-canary-.*"';
        assert.equal(recording(await renderedRules(withRestarts(custom))), `sum(kube_pod_container_status_restarts_total{${custom}}) or vector(0)`);
        const own = await renderedRules(withRestarts(custom, { canary: { restarts: { podRegex: "checkout-c-.*" } } }));
        assert.equal(
            recording(own),
            'sum(kube_pod_container_status_restarts_total{pod=~"checkout-c-.*"}) or vector(0)',
            "the alert's own setting wins",
        );
    });

    it("without a stack, SloRules and the gate with their defaults select the same canary requests", () => {
        const { services } = planStack("dev", { environment: "dev", services: [baseService] });
        const signals = analysisSignals(services[0]!.progression);
        const spec = resolveSloRulesSpec({
            ...baseService.slo,
            service: "checkout",
            serviceMatchers: 'reporter="destination", destination_service_name="checkout"',
            canary: { canaryVersionLabel: "1.5.0", stableVersionLabel: "1.4.0" },
        });
        assert.deepEqual(spec.canary!.signals, signals);
        const canaryGroup = generateRuleGroups(spec).find((g) => g.name === "canary-checkout")!;
        assert.ok(canaryGroup.rules.some((r) => r.expr.includes(`istio_requests_total{${signals.canary}, ${signals.errorMatchers}}`)));
    });

    it("the gate and the alert refuse the same thresholds, with the same unit", () => {
        const gate = (v: number) => () =>
            planStack("dev", {
                environment: "dev",
                services: [
                    { ...baseService, progression: { analysis: { ...baseService.progression.analysis, thresholds: { maxErrorRateDelta: v } } } },
                ],
            });
        const alert = (v: number) => () =>
            planStack("dev", { environment: "dev", services: [{ ...baseService, slo: { ...baseService.slo, canary: { maxErrorRateDelta: v } } }] });
        for (const make of [gate, alert]) {
            assert.throws(make(0.3), /maxErrorRateDelta = 0\.3: a fraction below 0\.1 is expected, not a percentage/);
            assert.throws(make(-0.001), /maxErrorRateDelta = -0\.001/);
            assert.doesNotThrow(make(0.05));
        }
    });
});
