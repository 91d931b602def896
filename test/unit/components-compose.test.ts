/**
 * Components composed the way a platform team writes its own program: one component's outputs passed as another's
 * args. The objects must hold the resolved values, be registered as depending on the resources those values came
 * from, and an Output resolving to a value the schema refuses must fail with the key path and value, creating none
 * of the objects built from it.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { CanaryRouting, CanaryWorkload, GrayNamespace, InvalidArgsError, OtelCollector, SloRules, Thanos } from "../../components";
import { dependenciesOf, recordDependencies, resetDependencies } from "../support/pulumi-dependencies";
import { installMocks, ofType, outputValue, type RecordedResource, recorded, resetRecorded } from "../support/pulumi-mocks";
import { settleAll } from "../support/thanos-mocks";

installMocks();

type Meta = { name: string; namespace: string };
const meta = (r: RecordedResource | undefined): Meta => {
    assert.ok(r, "the object was created");
    return r.inputs["metadata"] as Meta;
};
const byName = (type: string, name: string) => ofType(type).find((r) => r.name === name);

/** The error an Output failed with (the internal promise every Output has), or undefined when it resolved. */
async function failureOf(output: pulumi.Output<unknown>): Promise<unknown> {
    return (output as unknown as { promise(): Promise<unknown> }).promise().then(
        () => undefined,
        (err: unknown) => err,
    );
}

const workloadArgs = {
    service: "checkout",
    stableImage: "registry.example.com/checkout:1.4.0",
    canaryImage: "registry.example.com/checkout:1.5.0",
    stableVersionLabel: "1.4.0",
    canaryVersionLabel: "1.5.0",
};
const otelArgs = {
    namespace: "observability",
    traces: { endpoint: "tempo.tracing:4317", insecure: true },
    metrics: { remoteWriteUrl: "http://prometheus.monitoring:9090/api/v1/write" },
};

describe("components composed through their outputs", () => {
    beforeEach(() => {
        resetRecorded();
        recordDependencies();
        resetDependencies();
    });

    it("passes GrayNamespace.namespaceName, CanaryWorkload's names and OtelCollector's environment on, with their dependencies", async () => {
        const otel = new OtelCollector("otel", otelArgs);
        const gray = new GrayNamespace("gray", { name: "staging-gray", environment: "staging", telemetry: { namespace: otel.namespace } });
        const pods = new CanaryWorkload("checkout", { ...workloadArgs, namespace: gray.namespaceName, env: otel.workloadEnvironment });
        const routing = new CanaryRouting("checkout", { service: pods.serviceName, namespace: pods.namespace, host: pods.host, canaryWeight: 5 });
        const rules = new SloRules("checkout", {
            service: "checkout",
            namespace: gray.namespaceName,
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [{ name: "availability", objective: 99.9 }],
            canary: { stableImage: workloadArgs.stableImage, canaryImage: workloadArgs.canaryImage },
        });
        await settleAll();

        for (const name of ["checkout-service", "checkout-stable", "checkout-canary"]) {
            const r = recorded().find((x) => x.name === name);
            assert.equal(meta(r).namespace, "staging-gray", name);
            assert.ok(dependenciesOf(name).includes("gray"), `${name} depends on the Namespace: ${dependenciesOf(name).join(", ")}`);
        }
        const canary = byName("kubernetes:apps/v1:Deployment", "checkout-canary")!;
        const env = (canary.inputs["spec"] as { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } }).template
            .spec.containers[0]!.env;
        assert.deepEqual(
            env.find((e) => e.name === "OTEL_EXPORTER_OTLP_ENDPOINT"),
            { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-agent.observability.svc.cluster.local:4317" },
        );
        assert.ok(dependenciesOf("checkout-canary").includes("otel-agent-node-local"), "the workload waits for the agent Service it sends to");

        const vs = byName("kubernetes:networking.istio.io/v1beta1:VirtualService", "checkout-virtual-service");
        assert.equal(meta(vs).name, "checkout");
        assert.equal(meta(vs).namespace, "staging-gray");
        const route = (vs!.inputs["spec"] as { http: Array<{ route: Array<{ destination: { host: string } }> }> }).http[0]!.route[0]!;
        assert.equal(route.destination.host, "checkout.staging-gray.svc.cluster.local");
        assert.ok(dependenciesOf("checkout-virtual-service").includes("checkout-service"), "the routes depend on the Service they name");
        assert.equal(await outputValue(routing.host), "checkout.staging-gray.svc.cluster.local");

        const rule = byName("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "checkout-rules");
        assert.equal(meta(rule).namespace, "staging-gray");
        assert.ok(dependenciesOf("checkout-rules").includes("gray"));
        assert.equal(await outputValue(rules.namespace), "staging-gray");

        const telemetry = byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", "gray-allow-telemetry-egress");
        assert.deepEqual((telemetry!.inputs["spec"] as { egress: Array<{ to: unknown[] }> }).egress[0]!.to, [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } },
        ]);
    });

    it("passes Outputs into Thanos' ruler and OtelCollector's backends", async () => {
        const rules = new SloRules("checkout", {
            service: "checkout",
            namespace: "monitoring",
            runbookUrl: "https://runbooks.example.com/checkout",
            slos: [{ name: "availability", objective: 99.9 }],
            canary: { stableImage: workloadArgs.stableImage, canaryImage: workloadArgs.canaryImage },
        });
        const alertmanager = new CanaryWorkload("alertmanager", { ...workloadArgs, service: "alertmanager", namespace: "monitoring" });
        const thanos = new Thanos("thanos", {
            namespace: "monitoring",
            prometheus: { namespace: "monitoring", serviceAccountName: "prometheus" },
            storage: { type: "filesystem" },
            longestSloWindow: "30d",
            ruler: {
                ruleFiles: rules.prometheusRuleName.apply(() => ({ "checkout.yaml": rules.ruleFileYaml })),
                alertmanagerUrls: pulumi.interpolate`http://${alertmanager.host}:9093`.apply((u) => [u]),
            },
        });
        const tempo = new CanaryWorkload("tempo", { ...workloadArgs, service: "tempo", namespace: "tracing" });
        new OtelCollector("otel", { ...otelArgs, traces: { endpoint: pulumi.interpolate`${tempo.host}:4317` } });
        await settleAll();

        const ruler = byName("kubernetes:apps/v1:StatefulSet", "thanos-ruler")!;
        const args = (ruler.inputs["spec"] as { template: { spec: { containers: Array<{ args: string[] }> } } }).template.spec.containers[0]!.args;
        assert.ok(args.includes("--alertmanagers.url=http://alertmanager.monitoring.svc.cluster.local:9093"), args.join(" "));
        assert.ok(dependenciesOf("thanos-ruler").includes("alertmanager-service"));
        const ruleFiles = byName("kubernetes:core/v1:ConfigMap", "thanos-rules")!;
        assert.deepEqual(ruleFiles.inputs["data"], { "checkout.yaml": rules.ruleFileYaml });
        assert.ok(dependenciesOf("thanos-rules").includes("checkout-rules"));
        // Thanos' own outputs are Outputs to pass on (e.g. to the canary analysis).
        assert.equal(await outputValue(thanos.queryUrl), "http://thanos-query.monitoring.svc:10902");

        const gateway = byName("kubernetes:core/v1:ConfigMap", "otel-gateway")!;
        assert.match(String((gateway.inputs["data"] as Record<string, string>)["config.yaml"]), /endpoint: tempo\.tracing\.svc\.cluster\.local:4317/);
        assert.ok(dependenciesOf("otel-gateway").includes("tempo-service"));
    });

    it("fails an Output that resolves to a bad value with its key path and value, and creates nothing from it", async () => {
        const badNamespace = pulumi.output("Staging_Gray");
        const pods = new CanaryWorkload("checkout", { ...workloadArgs, namespace: badNamespace });
        const routing = new CanaryRouting("checkout", { service: "checkout", namespace: badNamespace, canaryWeight: 5 });
        const gray = new GrayNamespace("gray", { name: "staging-gray", environment: "staging", telemetry: { namespace: pulumi.output("") } });
        await settleAll();

        const cases: Array<[pulumi.Output<unknown>, string]> = [
            [pods.serviceName, 'CanaryWorkload "checkout": invalid input\n  - namespace = "Staging_Gray": must be a DNS-1123 label'],
            [routing.virtualServiceName, 'CanaryRouting "checkout": invalid input\n  - namespace = "Staging_Gray": must be a DNS-1123 label'],
            [routing.host, 'CanaryRouting "checkout": invalid input\n  - namespace = "Staging_Gray"'],
        ];
        for (const [output, text] of cases) {
            const err = await failureOf(output);
            assert.ok(err instanceof InvalidArgsError, String(err));
            assert.ok(err.message.includes(text), err.message);
        }
        assert.deepEqual(
            recorded()
                .filter((r) => r.type.startsWith("kubernetes:"))
                .map((r) => r.name)
                .filter((n) => n.startsWith("checkout") || n === "gray-allow-telemetry-egress"),
            [],
        );
        // The objects no Input goes into are created as usual.
        assert.ok(byName("kubernetes:core/v1:Namespace", "gray"));
        assert.equal(await outputValue(gray.namespaceName), "staging-gray");
    });

    it("still refuses a bad plain value before anything is created, with the same error", () => {
        assert.throws(
            () => new CanaryWorkload("checkout", { ...workloadArgs, namespace: "Staging_Gray" }),
            (err: unknown) =>
                err instanceof InvalidArgsError &&
                err.message.startsWith('CanaryWorkload "checkout": invalid input\n  - namespace = "Staging_Gray": must be a DNS-1123 label'),
        );
        // A plain error is found while another field is still pending, too.
        assert.throws(
            () => new CanaryWorkload("checkout", { ...workloadArgs, namespace: pulumi.output("staging-gray"), stableReplicas: -1 }),
            /stableReplicas = -1/,
        );
        assert.deepEqual(recorded(), []);
    });
});
