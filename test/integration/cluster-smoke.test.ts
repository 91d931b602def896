/**
 * The local control plane of test/support/cluster.ts (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok's fake kubelets, built by toolchain/cluster/build.sh): a Deployment becomes Available
 * with its Service's endpoints, a readiness delay is honoured, the upstream Istio CRDs validate structurally, and
 * stopping the cluster frees its ports and removes its state.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { KubeApiError, type LocalCluster, portFree, startCluster } from "../support/cluster";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Condition {
    type: string;
    status: string;
}
interface Pod {
    metadata: { name: string };
    status?: { phase?: string; podIP?: string; conditions?: Condition[] };
}
interface Deployment {
    status?: { availableReplicas?: number; conditions?: Condition[] };
}
interface EndpointSlice {
    endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
}
interface List<T> {
    items: T[];
}

const isTrue = (conds: Condition[] | undefined, type: string) => (conds ?? []).some((c) => c.type === type && c.status === "True");

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        await sleep(200);
    }
}

async function applyNamespace(cluster: LocalCluster, name: string): Promise<void> {
    await cluster.apply(`/api/v1/namespaces/${name}`, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    // The ServiceAccount admission plugin refuses pods until the controller manager created `default`.
    await waitFor(`the default ServiceAccount of ${name}`, 30_000, async () =>
        cluster.request("GET", `/api/v1/namespaces/${name}/serviceaccounts/default`),
    );
}

async function applyDeployment(cluster: LocalCluster, ns: string, name: string, replicas: number): Promise<void> {
    await cluster.apply(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, labels: { app: name } },
        spec: {
            replicas,
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: {
                    containers: [
                        {
                            name: "app",
                            image: `registry.example.com/shop/${name}:1.0.0`,
                            ports: [{ name: "http", containerPort: 8080 }],
                            readinessProbe: { httpGet: { path: "/ready", port: "http" } },
                            resources: { requests: { cpu: "100m", memory: "64Mi" } },
                        },
                    ],
                },
            },
        },
    });
}

async function assertClusterGone(cluster: LocalCluster): Promise<void> {
    for (const [name, port] of Object.entries(cluster.ports)) {
        assert.ok(await portFree(port), `port ${port} (${name}) is still in use after stop()`);
    }
    assert.ok(!existsSync(cluster.dir), `${cluster.dir} still exists after stop()`);
}

describe("local Kubernetes control plane (etcd, kube-apiserver, controllers, scheduler, kwok)", function () {
    let cluster: LocalCluster | undefined;
    const c = () => {
        if (!cluster) throw new Error("cluster not started");
        return cluster;
    };

    before(async function () {
        const t0 = Date.now();
        cluster = await startCluster();
        console.log(
            `      cluster ready in ${cluster.startupMs} ms (${Date.now() - t0} ms with the toolchain check): ` +
                JSON.stringify(cluster.startupPhasesMs),
        );
    });

    after(async () => {
        await cluster?.stop();
    });

    it("reports its real Kubernetes version, and the kubeconfig names the server, CA and token", async () => {
        const v = await c().request<{ gitVersion: string; major: string; minor: string }>("GET", "/version");
        assert.match(v.gitVersion, /^v1\.\d+\.\d+$/);
        assert.equal(`v${v.major}.${v.minor}`, v.gitVersion.replace(/\.\d+$/, ""));
        assert.match(c().kubeconfig, new RegExp(`server: ${c().server}`));
        assert.match(c().kubeconfig, /certificate-authority-data: /);
        assert.match(c().kubeconfig, new RegExp(`token: ${c().token}`));
        const nodes = await c().request<List<{ metadata: { name: string }; status?: { conditions?: Condition[] } }>>("GET", "/api/v1/nodes");
        assert.ok(nodes.items.length >= 2);
        for (const n of nodes.items) assert.ok(isTrue(n.status?.conditions, "Ready"), `${n.metadata.name} not Ready`);
    });

    it("runs a Deployment of 2 replicas to Available, with 2 ready endpoints in its Service's EndpointSlice", async () => {
        const ns = "smoke";
        await applyNamespace(c(), ns);
        await applyDeployment(c(), ns, "web", 2);
        await c().apply(`/api/v1/namespaces/${ns}/services/web`, {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: ns },
            spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
        });
        const t0 = Date.now();
        await waitFor("Deployment web Available with 2 replicas", 60_000, async () => {
            const d = await c().request<Deployment>("GET", `/apis/apps/v1/namespaces/${ns}/deployments/web`);
            return isTrue(d.status?.conditions, "Available") && d.status?.availableReplicas === 2 ? d : undefined;
        });
        const endpoints = await waitFor("2 ready endpoints", 60_000, async () => {
            const slices = await c().request<List<EndpointSlice>>("GET", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, undefined, {
                query: { labelSelector: "kubernetes.io/service-name=web" },
            });
            const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true);
            return ready.length === 2 ? ready : undefined;
        });
        console.log(`      Deployment Available and endpoints ready in ${Date.now() - t0} ms`);
        // The legacy Endpoints object too: the Pulumi Kubernetes provider's Service await logic reads it.
        await waitFor("2 addresses in Endpoints web", 30_000, async () => {
            const ep = await c().request<{ subsets?: Array<{ addresses?: Array<{ ip: string }> }> }>("GET", `/api/v1/namespaces/${ns}/endpoints/web`);
            const n = (ep.subsets ?? []).flatMap((s) => s.addresses ?? []).length;
            return n === 2 ? n : undefined;
        });
        const pods = await c().request<List<Pod>>("GET", `/api/v1/namespaces/${ns}/pods`, undefined, {
            query: { labelSelector: "app=web" },
        });
        const ips = pods.items.map((p) => p.status?.podIP).sort();
        assert.deepEqual(endpoints.flatMap((e) => e.addresses).sort(), ips);
        assert.ok(
            ips.every((ip) => typeof ip === "string" && /^10\.244\./.test(ip)),
            `pod IPs ${ips.join(", ")}`,
        );
    });

    it("validates Istio custom resources against the upstream structural schema", async () => {
        const ns = "smoke-istio";
        await applyNamespace(c(), ns);
        const path = `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`;
        await assert.rejects(
            c().request("POST", path, {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: "bad", namespace: ns },
                spec: { hosts: ["web"], http: "x" },
            }),
            (err: unknown) => {
                assert.ok(err instanceof KubeApiError, String(err));
                assert.equal(err.status, 422, err.message);
                assert.match(err.message, /spec\.http/);
                return true;
            },
        );
        const created = await c().request<{ metadata: { uid?: string } }>("POST", path, {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "good", namespace: ns },
            spec: {
                hosts: ["web"],
                http: [
                    {
                        route: [
                            { destination: { host: "web", subset: "stable" }, weight: 90 },
                            { destination: { host: "web", subset: "canary" }, weight: 10 },
                        ],
                    },
                ],
            },
        });
        assert.ok(created.metadata.uid);
        // The other CRD families are served too.
        await c().request("GET", `/apis/monitoring.coreos.com/v1/namespaces/${ns}/prometheusrules`);
        await c().request("GET", `/apis/security.istio.io/v1/namespaces/${ns}/authorizationpolicies`);
    });

    it("stops every process, frees its ports and removes its state", async function () {
        const stopped = c();
        const t0 = Date.now();
        await stopped.stop();
        console.log(`      stopped in ${Date.now() - t0} ms`);
        cluster = undefined;
        await assertClusterGone(stopped);
    });
});

describe("local Kubernetes control plane with readinessDelaySeconds 5", function () {
    let cluster: LocalCluster | undefined;

    before(async function () {
        cluster = await startCluster({ readinessDelaySeconds: 5 });
        console.log(`      cluster ready in ${cluster.startupMs} ms`);
    });

    after(async () => {
        await cluster?.stop();
    });

    it("keeps pods Running but not Ready for ~5 s, then Ready", async () => {
        if (!cluster) throw new Error("cluster not started");
        const k = cluster;
        const ns = "slow";
        await applyNamespace(k, ns);
        await applyDeployment(k, ns, "slow", 2);
        const listPods = async () =>
            (
                await k.request<List<Pod>>("GET", `/api/v1/namespaces/${ns}/pods`, undefined, {
                    query: { labelSelector: "app=slow" },
                })
            ).items;
        const running = await waitFor("2 Running pods with IPs", 60_000, async () => {
            const pods = await listPods();
            return pods.length === 2 && pods.every((p) => p.status?.phase === "Running" && p.status.podIP) ? pods : undefined;
        });
        const runningAt = Date.now();
        assert.ok(
            running.every((p) => !isTrue(p.status?.conditions, "Ready")),
            "pods were Ready as soon as Running",
        );
        let lastNotReadyAt = runningAt;
        const readyAt = await waitFor("2 Ready pods", 30_000, async () => {
            const pods = await listPods();
            if (pods.length === 2 && pods.every((p) => isTrue(p.status?.conditions, "Ready"))) return Date.now();
            lastNotReadyAt = Date.now();
            return undefined;
        });
        const notReadyFor = lastNotReadyAt - runningAt;
        const readyAfter = readyAt - runningAt;
        console.log(`      not Ready for ≥ ${notReadyFor} ms after Running, Ready after ${readyAfter} ms`);
        assert.ok(notReadyFor >= 3_500, `pods became Ready too early (${notReadyFor} ms)`);
        assert.ok(readyAfter <= 12_000, `pods became Ready too late (${readyAfter} ms)`);
        const d = await waitFor("Deployment slow Available", 30_000, async () => {
            const dep = await k.request<Deployment>("GET", `/apis/apps/v1/namespaces/${ns}/deployments/slow`);
            return isTrue(dep.status?.conditions, "Available") ? dep : undefined;
        });
        assert.equal(d.status?.availableReplicas, 2);
    });

    it("stops cleanly", async () => {
        if (!cluster) throw new Error("cluster not started");
        const stopped = cluster;
        await stopped.stop();
        cluster = undefined;
        await assertClusterGone(stopped);
    });
});
