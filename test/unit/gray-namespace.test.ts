import { strict as assert } from "node:assert";
import { PeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication";
import { InvalidArgsError } from "../../components/common";
import { buildPeerAuthentication, GrayNamespace, type GrayNamespaceArgs } from "../../components/gray-namespace";
import { installMocks, ofType, outputValue, recorded, resetRecorded, settle } from "../support/pulumi-mocks";

installMocks();

const base: GrayNamespaceArgs = { name: "staging-gray", environment: "staging", zone: "eu-west-1a" };

type Meta = { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type Rule = { from?: unknown[]; to?: unknown[]; ports?: Array<{ protocol: string; port: number }> };
type PolicySpec = { podSelector: object; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };

function policy(name: string): PolicySpec {
    const p = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => (r.inputs["metadata"] as Meta).name === name);
    assert.ok(p, `NetworkPolicy ${name} exists`);
    return p.inputs["spec"] as PolicySpec;
}

const nsPeer = (ns: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });

describe("GrayNamespace component", () => {
    beforeEach(resetRecorded);

    it("creates the namespace with identity, injection and pod-security labels", async () => {
        const g = new GrayNamespace("gray", { ...base, labels: { team: "payments" } });
        await settle();
        const [ns] = ofType("kubernetes:core/v1:Namespace");
        assert.ok(ns);
        const meta = ns.inputs["metadata"] as Meta;
        assert.equal(meta.name, "staging-gray");
        assert.deepEqual(meta.labels, {
            team: "payments",
            environment: "staging",
            zone: "eu-west-1a",
            canary: "true",
            "istio-injection": "enabled",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "latest",
        });
        assert.equal(await outputValue(g.namespaceName), "staging-gray");
        assert.ok(recorded().some((r) => r.type === "gray-release:index:GrayNamespace"));
    });

    it("uses istio.io/rev instead of istio-injection when a revision is given", async () => {
        new GrayNamespace("gray", { ...base, istioRevision: "1-22-3" });
        await settle();
        const labels = (ofType("kubernetes:core/v1:Namespace")[0]!.inputs["metadata"] as Meta).labels ?? {};
        assert.equal(labels["istio.io/rev"], "1-22-3");
        assert.equal(labels["istio-injection"], undefined);
    });

    it("caps the namespace with a ResourceQuota and a LimitRange, defaults merged with overrides", async () => {
        new GrayNamespace("gray", { ...base, resourceQuota: { hard: { pods: "10" } }, limitRange: { max: { cpu: "1" } } });
        await settle();
        const quota = ofType("kubernetes:core/v1:ResourceQuota")[0];
        assert.ok(quota);
        assert.equal((quota.inputs["metadata"] as Meta).namespace, "staging-gray");
        const hard = (quota.inputs["spec"] as { hard: Record<string, string> }).hard;
        assert.equal(hard["pods"], "10");
        assert.equal(hard["limits.cpu"], "8");
        assert.equal(hard["services.loadbalancers"], "0");
        const lr = ofType("kubernetes:core/v1:LimitRange")[0];
        assert.ok(lr);
        assert.deepEqual((lr.inputs["spec"] as { limits: unknown[] }).limits, [
            {
                type: "Container",
                defaultRequest: { cpu: "100m", memory: "128Mi" },
                default: { cpu: "500m", memory: "512Mi" },
                max: { cpu: "1", memory: "4Gi" },
            },
        ]);
    });

    it("can leave out the quota and the LimitRange", async () => {
        new GrayNamespace("gray", { ...base, resourceQuota: { enabled: false }, limitRange: { enabled: false } });
        await settle();
        assert.equal(ofType("kubernetes:core/v1:ResourceQuota").length, 0);
        assert.equal(ofType("kubernetes:core/v1:LimitRange").length, 0);
    });

    it("denies all traffic by default and allows exactly the namespace, DNS, mesh, monitoring, telemetry and shared services", async () => {
        const g = new GrayNamespace("gray", {
            ...base,
            sharedServices: [{ namespace: "staging", podSelector: { app: "redis" }, ports: [6379] }],
        });
        await settle();
        assert.deepEqual(await outputValue(g.networkPolicyNames), [
            "default-deny-all",
            "allow-same-namespace",
            "allow-dns-egress",
            "allow-mesh-control-plane",
            "allow-monitoring-scrape",
            "allow-telemetry-egress",
            "allow-shared-services",
        ]);
        for (const p of ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
            assert.equal((p.inputs["metadata"] as Meta).namespace, "staging-gray");
        }
        assert.deepEqual(policy("default-deny-all"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.equal(policy("default-deny-all").ingress, undefined);
        assert.deepEqual(policy("allow-same-namespace").ingress, [{ from: [{ podSelector: {} }] }]);
        assert.deepEqual(policy("allow-same-namespace").egress, [{ to: [{ podSelector: {} }] }]);
        assert.deepEqual(policy("allow-dns-egress").egress, [
            {
                to: [{ ...nsPeer("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
        assert.deepEqual(policy("allow-mesh-control-plane").egress, [
            {
                to: [nsPeer("istio-system")],
                ports: [
                    { protocol: "TCP", port: 15012 },
                    { protocol: "TCP", port: 15017 },
                ],
            },
        ]);
        assert.deepEqual(policy("allow-mesh-control-plane").ingress, [{ from: [nsPeer("istio-system")] }]);
        assert.deepEqual(policy("allow-monitoring-scrape"), {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [nsPeer("monitoring")],
                    ports: [
                        { protocol: "TCP", port: 15020 },
                        { protocol: "TCP", port: 15090 },
                    ],
                },
            ],
        });
        assert.deepEqual(policy("allow-telemetry-egress"), {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [nsPeer("observability")],
                    ports: [
                        { protocol: "TCP", port: 4317 },
                        { protocol: "TCP", port: 4318 },
                    ],
                },
            ],
        });
        assert.deepEqual(policy("allow-shared-services").egress, [
            { to: [{ ...nsPeer("staging"), podSelector: { matchLabels: { app: "redis" } } }], ports: [{ protocol: "TCP", port: 6379 }] },
        ]);
    });

    it("lets the canary reach exactly the collector agent's pods when told who they are, or not at all", async () => {
        const agent = { "app.kubernetes.io/instance": "telemetry.otel-agent" };
        new GrayNamespace("gray", { ...base, telemetry: { namespace: "telemetry", podSelector: agent, ports: [4317] } });
        await settle();
        assert.deepEqual(policy("allow-telemetry-egress").egress, [
            { to: [{ ...nsPeer("telemetry"), podSelector: { matchLabels: agent } }], ports: [{ protocol: "TCP", port: 4317 }] },
        ]);
        resetRecorded();
        const g = new GrayNamespace("gray", { ...base, telemetry: { enabled: false } });
        await settle();
        assert.ok(!(await outputValue(g.networkPolicyNames)).includes("allow-telemetry-egress"));
    });

    it("omits monitoring and shared-service allowances when not wanted", async () => {
        const g = new GrayNamespace("gray", { ...base, monitoring: { enabled: false }, mesh: { gatewayNamespaces: [] } });
        await settle();
        const names = await outputValue(g.networkPolicyNames);
        assert.ok(!names.includes("allow-monitoring-scrape"));
        assert.ok(!names.includes("allow-shared-services"));
        assert.deepEqual(policy("allow-mesh-control-plane").policyTypes, ["Egress"]);
    });

    it("enforces STRICT mTLS with a namespace-wide PeerAuthentication that passes the Istio schema", async () => {
        new GrayNamespace("gray", base);
        await settle();
        const [pa] = ofType("kubernetes:security.istio.io/v1beta1:PeerAuthentication");
        assert.ok(pa);
        assert.equal(pa.inputs["apiVersion"], "security.istio.io/v1beta1");
        assert.equal(pa.inputs["kind"], "PeerAuthentication");
        assert.equal((pa.inputs["metadata"] as Meta).name, "default");
        assert.equal((pa.inputs["metadata"] as Meta).namespace, "staging-gray");
        assert.deepEqual(pa.inputs["spec"], { mtls: { mode: "STRICT" } });
        new PeerAuthentication({
            metadata: pa.inputs["metadata"] as Meta,
            spec: pa.inputs["spec"] as { mtls: { mode: "STRICT" } },
        }).validate();
        buildPeerAuthentication("x", "PERMISSIVE").validate();
    });

    it("renders the layered configuration into a ConfigMap, isolating the topic", async () => {
        const g = new GrayNamespace("gray", {
            ...base,
            config: {
                base: { kafka: { brokers: "kafka:9092", topics: { payment: "payment-events" } }, log: { level: "info" } },
                environment: { log: { level: "debug" } },
                gray: { feature: { newCheckout: "on" } },
                grayEnabled: true,
                isolate: ["kafka.topics.payment"],
            },
        });
        await settle();
        const [cm] = ofType("kubernetes:core/v1:ConfigMap");
        assert.ok(cm);
        const meta = cm.inputs["metadata"] as Meta;
        assert.equal(meta.name, "gray-config");
        assert.equal(meta.namespace, "staging-gray");
        assert.equal(meta.annotations?.["gray-release.io/gray-applied"], "true");
        assert.deepEqual(cm.inputs["data"], {
            "kafka.brokers": "kafka:9092",
            "kafka.topics.payment": "payment-events-gray",
            "log.level": "debug",
            "feature.newCheckout": "on",
            "gray.enabled": "true",
        });
        assert.equal(await outputValue(g.grayApplied), true);
        assert.equal(await outputValue(g.configMapName), "gray-config");
    });

    it("creates no ConfigMap without config", async () => {
        const g = new GrayNamespace("gray", base);
        await settle();
        assert.equal(ofType("kubernetes:core/v1:ConfigMap").length, 0);
        assert.deepEqual(await outputValue(g.configData), {});
    });

    const rejected: Array<[string, Record<string, unknown>, RegExp]> = [
        ["an uppercase name", { name: "Staging-Gray" }, /name = "Staging-Gray": must be a DNS-1123 label/],
        ["an empty environment", { environment: "" }, /environment = "": must not be empty/],
        ["a reserved label", { labels: { canary: "false" } }, /labels\.canary = "false": is set by GrayNamespace itself/],
        [
            "the environment label set to the environment itself",
            { labels: { environment: "staging" } },
            /labels\.environment = "staging": is set by GrayNamespace itself/,
        ],
        [
            "an environment label naming another environment",
            { labels: { environment: "production" } },
            /labels\.environment = "production": names environment "production", but this namespace's environment is "staging"/,
        ],
        [
            "a prefixed environment label naming another environment",
            { labels: { "gray-release.io/environment": "production" } },
            /labels\["gray-release\.io\/environment"\] = "production": names environment "production", but this namespace's environment is "staging"/,
        ],
        ["an env label naming another environment", { labels: { env: "prod" } }, /labels\.env = "prod": names environment "prod", but/],
        [
            "a pod-security label",
            { labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
            /labels\["pod-security\.kubernetes\.io\/enforce"\] = "privileged"/,
        ],
        ["a bad label value", { labels: { team: "pay ments" } }, /labels\.team = "pay ments": must be a label value/],
        [
            "a port out of range",
            { sharedServices: [{ namespace: "staging", ports: [70000] }] },
            /sharedServices\[0\]\.ports\[0\] = 70000: must be 1\.\.65535/,
        ],
        [
            "a shared service without ports",
            { sharedServices: [{ namespace: "staging", ports: [] }] },
            /sharedServices\[0\]\.ports = \[\]: list at least one port/,
        ],
        [
            "a bad quantity",
            { resourceQuota: { hard: { "limits.cpu": "eight" } } },
            /resourceQuota\.hard\["limits\.cpu"\] = "eight": must be a Kubernetes quantity/,
        ],
        ["a bad LimitRange quantity", { limitRange: { max: { memory: "4GB" } } }, /limitRange\.max\.memory = "4GB": must be a Kubernetes quantity/],
        [
            "a default limit above the max",
            { limitRange: { max: { cpu: "250m" } } },
            /limitRange\.default\.cpu = "500m": exceeds limitRange\.max\.cpu = 250m/,
        ],
        [
            "a default request above the default limit",
            { limitRange: { defaultRequest: { memory: "1Gi" } } },
            /limitRange\.defaultRequest\.memory = "1Gi": exceeds limitRange\.default\.memory = 512Mi/,
        ],
        ["an unknown mTLS mode", { mtlsMode: "DISABLE" }, /mtlsMode = "DISABLE"/],
        ["a bad pod-security version", { podSecurityVersion: "1.30" }, /podSecurityVersion = "1\.30": must be `latest`/],
        ["a config key with a dot", { config: { base: { "kafka.topic": "x" } } }, /config\.base\["kafka\.topic"\] = "x": config keys may hold only/],
        ["a non-string config value", { config: { base: { replicas: 3 } } }, /config\.base\.replicas = 3/],
        [
            "an isolated key that does not exist",
            { config: { base: { a: "x" }, isolate: ["kafka.topic"] } },
            /config\.isolate\[0\] = "kafka\.topic": no such key/,
        ],
        [
            "an isolated key naming a map",
            { config: { base: { kafka: { topic: "x" } }, isolate: ["kafka"] } },
            /config\.isolate\[0\] = "kafka": names a map/,
        ],
        ["an unknown key", { zones: "a" }, /zones/],
    ];
    for (const [what, patch, message] of rejected) {
        it(`rejects ${what} naming key and value, creating nothing`, async () => {
            assert.throws(
                () => new GrayNamespace("gray", { ...base, ...patch } as GrayNamespaceArgs),
                (err: unknown) => {
                    assert.ok(err instanceof InvalidArgsError, `expected InvalidArgsError, got ${String(err)}`);
                    assert.match(err.message, /GrayNamespace "gray": invalid input/);
                    assert.match(err.message, message);
                    return true;
                },
            );
            await settle();
            assert.deepEqual(recorded(), []);
        });
    }
});

describe("GrayNamespace label-key errors", () => {
    beforeEach(resetRecorded);
    it("accepts a prefixed environment label that agrees with the environment", async () => {
        new GrayNamespace("gray", { ...base, labels: { "gray-release.io/environment": "staging" } });
        await settle();
        const labels = (ofType("kubernetes:core/v1:Namespace")[0]!.inputs["metadata"] as Meta).labels ?? {};
        assert.equal(labels["gray-release.io/environment"], "staging");
    });

    it("names a bad label key and says what a key must be", () => {
        assert.throws(
            () => new GrayNamespace("gray", { ...base, labels: { "bad key": "x" } }),
            /labels\["bad key"\] = "x": key "bad key" must be a label key/,
        );
    });
});
