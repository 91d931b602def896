/**
 * The OtelCollector component under Pulumi's mock runtime: which Kubernetes objects it registers and their
 * security-relevant fields, in plain and operator mode.
 *
 * The collector configuration is checked structurally (see otel-collector-config.test.ts); no `otelcol` /
 * `otelcol-contrib` binary is available here (no internet), so it is not validated by the collector itself.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { parseArgs } from "../../components/common";
import {
    type CollectorConfig,
    lintCollectorConfig,
    OtelCollector,
    type OtelCollectorArgs,
    otelCollectorArgsSchema,
    planCollectors,
} from "../../components/otel-collector";
import { installMocks, ofType, outputValue, type RecordedResource, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const args: OtelCollectorArgs = {
    namespace: "observability",
    traces: { endpoint: "tempo-distributor.tracing:4317", insecure: true },
    metrics: { remoteWriteUrl: "http://prometheus.monitoring:9090/api/v1/write" },
    sampling: { canaryVersions: ["v2.3.0"] },
    labels: { team: "sre" },
};

interface Container {
    name: string;
    image: string;
    env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
    resources: { limits: Record<string, string>; requests: Record<string, string> };
    securityContext: Record<string, unknown>;
    livenessProbe: { httpGet: { port: number; path: string } };
    readinessProbe: { httpGet: { port: number; path: string } };
    volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    securityContext: Record<string, unknown>;
    containers: Container[];
    volumes: Array<{ name: string; emptyDir?: unknown; configMap?: { name: string } }>;
}
interface Workload {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: {
        replicas?: number;
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec };
    };
}

const inputs = <T>(r: RecordedResource | undefined): T => {
    assert.ok(r, "resource registered");
    return r.inputs as T;
};

function only(type: string): RecordedResource {
    const all = ofType(type);
    assert.equal(all.length, 1, `exactly one ${type}`);
    return all[0] as RecordedResource;
}

function byName(type: string, name: string): RecordedResource {
    const r = ofType(type).find((x) => (x.inputs["metadata"] as { name?: string } | undefined)?.name === name);
    assert.ok(r, `${type} ${name}`);
    return r;
}

function assertHardenedPod(pod: PodSpec, memoryLimit: string, goMemLimit: string): void {
    assert.equal(pod.securityContext["runAsNonRoot"], true);
    assert.deepEqual(pod.securityContext["seccompProfile"], { type: "RuntimeDefault" });
    const c = pod.containers[0];
    assert.ok(c);
    assert.equal(c.image, "otel/opentelemetry-collector-contrib:0.114.0");
    assert.equal(c.securityContext["readOnlyRootFilesystem"], true);
    assert.equal(c.securityContext["allowPrivilegeEscalation"], false);
    assert.equal(c.securityContext["runAsNonRoot"], true);
    assert.deepEqual(c.securityContext["capabilities"], { drop: ["ALL"] });
    assert.equal(c.resources.limits["memory"], memoryLimit);
    assert.ok(c.resources.limits["cpu"]);
    assert.deepEqual(
        c.env.find((e) => e.name === "GOMEMLIMIT"),
        { name: "GOMEMLIMIT", value: goMemLimit },
    );
    assert.deepEqual(c.livenessProbe.httpGet, { path: "/", port: 13133 });
    assert.deepEqual(c.readinessProbe.httpGet, { path: "/", port: 13133 });
    assert.ok(c.volumeMounts.some((m) => m.mountPath === "/tmp"));
    assert.ok(pod.volumes.some((v) => v.name === "tmp" && v.emptyDir !== undefined));
    assert.ok(c.volumeMounts.some((m) => m.mountPath === "/conf" && m.readOnly === true));
}

describe("OtelCollector (plain mode)", () => {
    let component: OtelCollector;

    before(async () => {
        resetRecorded();
        component = new OtelCollector("otel", args);
        await settle();
    });

    it("registers the component and the plain Kubernetes objects, no operator resources", () => {
        assert.equal(only("gray-release:index:OtelCollector").name, "otel");
        assert.equal(ofType("kubernetes:apps/v1:DaemonSet").length, 1);
        assert.equal(ofType("kubernetes:apps/v1:Deployment").length, 1);
        assert.equal(ofType("kubernetes:core/v1:ConfigMap").length, 2);
        assert.equal(ofType("kubernetes:core/v1:Service").length, 3);
        assert.equal(ofType("kubernetes:core/v1:ServiceAccount").length, 2);
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 1);
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 1);
        assert.equal(ofType("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector").length, 0);
        for (const r of recorded().filter((x) => x.type.startsWith("kubernetes:"))) {
            const md = r.inputs["metadata"] as { namespace?: string; labels?: Record<string, string> };
            assert.equal(md.labels?.["team"], "sre", `${r.type} ${r.name} carries user labels`);
            if (!r.type.includes("ClusterRole")) assert.equal(md.namespace, "observability");
        }
    });

    it("agent DaemonSet: hardened, limited, GOMEMLIMIT at 80 %, probes on 13133, node name for k8sattributes", () => {
        const ds = inputs<Workload>(only("kubernetes:apps/v1:DaemonSet"));
        assert.equal(ds.metadata.name, "otel-agent-collector");
        const pod = ds.spec.template.spec;
        assertHardenedPod(pod, "512Mi", "409MiB");
        assert.equal(pod.serviceAccountName, "otel-agent-collector");
        assert.equal(pod.automountServiceAccountToken, true);
        const env = pod.containers[0]?.env ?? [];
        assert.deepEqual(env.find((e) => e.name === "K8S_NODE_NAME")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
        assert.deepEqual(env.find((e) => e.name === "POD_IP")?.valueFrom, { fieldRef: { fieldPath: "status.podIP" } });
        const labels = ds.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) assert.equal(labels[k], v);
        assert.equal(ds.spec.template.metadata.annotations["sidecar.istio.io/inject"], "false");
        assert.match(ds.spec.template.metadata.annotations["checksum/config"] ?? "", /^[0-9a-f]{64}$/);
    });

    it("gateway Deployment: replicas, hardened, 1Gi limit -> GOMEMLIMIT 819MiB, no API token", () => {
        const dep = inputs<Workload>(only("kubernetes:apps/v1:Deployment"));
        assert.equal(dep.metadata.name, "otel-gateway-collector");
        assert.equal(dep.spec.replicas, 2);
        const pod = dep.spec.template.spec;
        assertHardenedPod(pod, "1Gi", "819MiB");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.serviceAccountName, "otel-gateway-collector");
    });

    it("RBAC: read-only pods/namespaces/nodes and apps/replicasets, bound to the agent account only", () => {
        const role = inputs<{ rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }>(
            only("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"),
        );
        assert.deepEqual(role.rules, [
            { apiGroups: [""], resources: ["pods", "namespaces", "nodes"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
        ]);
        for (const rule of role.rules) {
            assert.ok(
                rule.verbs.every((v) => ["get", "list", "watch"].includes(v)),
                "read-only verbs",
            );
            assert.ok(!rule.resources.includes("*") && !rule.apiGroups.includes("*"), "no wildcards");
        }
        const binding = inputs<{ subjects: Array<{ kind: string; name: string; namespace: string }>; roleRef: { kind: string } }>(
            only("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        );
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "otel-agent-collector", namespace: "observability" }]);
        assert.equal(binding.roleRef.kind, "ClusterRole");
        const gwSa = inputs<{ automountServiceAccountToken?: boolean }>(byName("kubernetes:core/v1:ServiceAccount", "otel-gateway-collector"));
        assert.equal(gwSa.automountServiceAccountToken, false);
    });

    it("Services: node-local agent, gateway ClusterIP and headless, OTLP ports 4317/4318", () => {
        type Svc = { spec: { clusterIP?: string; internalTrafficPolicy?: string; selector: Record<string, string>; ports: Array<{ port: number }> } };
        const agentSvc = inputs<Svc>(byName("kubernetes:core/v1:Service", "otel-agent"));
        assert.equal(agentSvc.spec.internalTrafficPolicy, "Local");
        const ds = inputs<Workload>(only("kubernetes:apps/v1:DaemonSet"));
        assert.deepEqual(agentSvc.spec.selector, ds.spec.selector.matchLabels);
        const headless = inputs<Svc>(byName("kubernetes:core/v1:Service", "otel-gateway-collector-headless"));
        assert.equal(headless.spec.clusterIP, "None");
        const gw = inputs<Svc>(byName("kubernetes:core/v1:Service", "otel-gateway-collector"));
        for (const svc of [agentSvc, headless, gw])
            assert.deepEqual(
                svc.spec.ports.map((p) => p.port),
                [4317, 4318],
            );
    });

    it("ConfigMaps hold the rendered configurations, which are sound", () => {
        const plan = planCollectors(parseArgs("t", otelCollectorArgsSchema, args));
        for (const tier of [plan.agent, plan.gateway]) {
            const cm = inputs<{ data: Record<string, string> }>(byName("kubernetes:core/v1:ConfigMap", tier.names.workload));
            const yaml = cm.data["config.yaml"] ?? "";
            assert.equal(yaml, tier.configYaml);
            assert.deepEqual(lintCollectorConfig(parse(yaml) as CollectorConfig), []);
        }
    });

    it("outputs: endpoints, namespace, config YAML and the workload environment", async () => {
        assert.equal(await outputValue(component.namespace), "observability");
        assert.equal(await outputValue(component.agentEndpoint), "otel-agent.observability.svc.cluster.local");
        assert.equal(await outputValue(component.gatewayEndpoint), "otel-gateway-collector.observability.svc.cluster.local");
        assert.match(await outputValue(component.agentConfigYaml), /routing_key: traceID/);
        assert.match(await outputValue(component.gatewayConfigYaml), /tail_sampling:/);
        const env = await outputValue(component.workloadEnv);
        assert.deepEqual(
            env.find((e) => e.name === "OTEL_PROPAGATORS"),
            { name: "OTEL_PROPAGATORS", value: "tracecontext,baggage,b3multi" },
        );
        assert.equal(await outputValue(component.watchedNamespaces), undefined, "unset: every namespace");
    });

    it("NetworkPolicies: the agents take OTLP from every namespace, the gateway only from the agents; health stays open", () => {
        type Spec = { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: unknown[] };
        const agentPods = { "app.kubernetes.io/component": "opentelemetry-collector", "app.kubernetes.io/instance": "observability.otel-agent" };
        const gatewayPods = { "app.kubernetes.io/component": "opentelemetry-collector", "app.kubernetes.io/instance": "observability.otel-gateway" };
        const otlp = [
            { protocol: "TCP", port: 4317 },
            { protocol: "TCP", port: 4318 },
        ];
        const health = { ports: [{ protocol: "TCP", port: 13133 }] };
        const spec = (name: string) => byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", name).inputs["spec"] as Spec;
        assert.equal(ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").length, 2);
        assert.deepEqual(spec("otel-agent-ingress"), {
            podSelector: { matchLabels: agentPods },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: {} }], ports: otlp }, health],
        });
        assert.deepEqual(spec("otel-gateway-ingress"), {
            podSelector: { matchLabels: gatewayPods },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: { matchLabels: agentPods } }], ports: otlp }, health],
        });
        // The selectors are the pods' own labels.
        const ds = inputs<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>(only("kubernetes:apps/v1:DaemonSet"));
        for (const [k, v] of Object.entries(agentPods)) assert.equal(ds.spec.template.metadata.labels[k], v);
    });

    it("PodDisruptionBudget: one gateway replica at a time, only with two or more replicas", async () => {
        const pdb = inputs<{ metadata: { name: string }; spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }>(
            only("kubernetes:policy/v1:PodDisruptionBudget"),
        );
        assert.equal(pdb.metadata.name, "otel-gateway-collector");
        assert.equal(pdb.spec.maxUnavailable, 1);
        const gw = inputs<{ spec: { selector: { matchLabels: Record<string, string> } } }>(only("kubernetes:apps/v1:Deployment"));
        assert.deepEqual(pdb.spec.selector, gw.spec.selector);
        resetRecorded();
        new OtelCollector("otel", { ...args, gateway: { replicas: 1 }, networkPolicies: false });
        await settle();
        assert.equal(ofType("kubernetes:policy/v1:PodDisruptionBudget").length, 0);
        assert.equal(ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").length, 0);
        resetRecorded();
        new OtelCollector("otel", args);
        await settle();
    });

    it("watchedNamespaces: the component's input and output, admitted by the agents' NetworkPolicy (the agent config is unchanged)", async () => {
        const unrestricted = await outputValue(component.agentConfigYaml);
        const plainComponent = only("gray-release:index:OtelCollector");
        assert.deepEqual(plainComponent.inputs, {}, "no declaration: no inputs");
        resetRecorded();
        const restricted = new OtelCollector("otel", { ...args, watchedNamespaces: ["shop-gray", "payments-gray"] });
        await settle();
        assert.deepEqual(only("gray-release:index:OtelCollector").inputs, { watchedNamespaces: ["shop-gray", "payments-gray"] });
        assert.deepEqual(await outputValue(restricted.watchedNamespaces), ["shop-gray", "payments-gray"]);
        assert.equal(await outputValue(restricted.agentConfigYaml), unrestricted);
        const agentIngress = byName("kubernetes:networking.k8s.io/v1:NetworkPolicy", "otel-agent-ingress").inputs["spec"] as {
            ingress: Array<{ from?: unknown[] }>;
        };
        assert.deepEqual(agentIngress.ingress[0]?.from, [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop-gray" } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "payments-gray" } } },
        ]);
    });
});

describe("OtelCollector (operator mode)", () => {
    type Cr = {
        apiVersion: string;
        kind: string;
        metadata: { name: string; namespace: string };
        spec: {
            mode: string;
            image: string;
            replicas?: number;
            serviceAccount: string;
            config: CollectorConfig;
            env: Array<{ name: string; value?: string }>;
            resources: { limits: Record<string, string> };
            securityContext: Record<string, unknown>;
            podSecurityContext: Record<string, unknown>;
            volumeMounts: Array<{ mountPath: string }>;
        };
    };
    let plainConfigs: Record<string, CollectorConfig>;

    before(async () => {
        resetRecorded();
        new OtelCollector("otel", args);
        await settle();
        plainConfigs = Object.fromEntries(
            ofType("kubernetes:core/v1:ConfigMap").map((cm) => {
                const i = cm.inputs as { metadata: { name: string }; data: Record<string, string> };
                return [i.metadata.name, parse(i.data["config.yaml"] ?? "") as CollectorConfig];
            }),
        );
        resetRecorded();
        new OtelCollector("otel", { ...args, mode: "operator" });
        await settle();
    });

    it("emits two OpenTelemetryCollector CRs and no workloads or ConfigMaps of its own", () => {
        const crs = ofType("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector").map((r) => inputs<Cr>(r));
        assert.deepEqual(crs.map((c) => [c.metadata.name, c.spec.mode]).sort(), [
            ["otel-agent", "daemonset"],
            ["otel-gateway", "deployment"],
        ]);
        for (const c of crs) {
            assert.equal(c.apiVersion, "opentelemetry.io/v1beta1");
            assert.equal(c.kind, "OpenTelemetryCollector");
            assert.equal(c.metadata.namespace, "observability");
        }
        assert.equal(ofType("kubernetes:apps/v1:DaemonSet").length, 0);
        assert.equal(ofType("kubernetes:apps/v1:Deployment").length, 0);
        assert.equal(ofType("kubernetes:core/v1:ConfigMap").length, 0);
        // Only the node-local agent Service is ours; the operator creates the gateway Services.
        assert.deepEqual(
            ofType("kubernetes:core/v1:Service").map((s) => (s.inputs["metadata"] as { name: string }).name),
            ["otel-agent"],
        );
        assert.equal(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 1);
    });

    it("carries, as an object, exactly the configuration plain mode puts in its ConfigMaps", () => {
        const agent = inputs<Cr>(byName("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector", "otel-agent"));
        const gateway = inputs<Cr>(byName("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector", "otel-gateway"));
        assert.deepEqual(agent.spec.config, plainConfigs["otel-agent-collector"]);
        assert.deepEqual(gateway.spec.config, plainConfigs["otel-gateway-collector"]);
        assert.deepEqual(lintCollectorConfig(gateway.spec.config), []);
    });

    it("keeps the secure defaults, limits, GOMEMLIMIT and service accounts", () => {
        const agent = inputs<Cr>(byName("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector", "otel-agent"));
        const gateway = inputs<Cr>(byName("kubernetes:opentelemetry.io/v1beta1:OpenTelemetryCollector", "otel-gateway"));
        assert.equal(gateway.spec.replicas, 2);
        assert.equal(agent.spec.replicas, undefined);
        for (const [cr, limit, gml] of [
            [agent, "512Mi", "409MiB"],
            [gateway, "1Gi", "819MiB"],
        ] as const) {
            assert.equal(cr.spec.image, "otel/opentelemetry-collector-contrib:0.114.0");
            assert.equal(cr.spec.serviceAccount, `${cr.metadata.name}-collector`);
            assert.equal(cr.spec.resources.limits["memory"], limit);
            assert.deepEqual(
                cr.spec.env.find((e) => e.name === "GOMEMLIMIT"),
                { name: "GOMEMLIMIT", value: gml },
            );
            assert.equal(cr.spec.securityContext["readOnlyRootFilesystem"], true);
            assert.equal(cr.spec.podSecurityContext["runAsNonRoot"], true);
            assert.ok(cr.spec.volumeMounts.some((m) => m.mountPath === "/tmp"));
        }
    });
});
