/**
 * Lanes through a chain of three services (front → cart → pricing) applied to a real API server (the local control
 * plane of test/support/cluster.ts: kwok makes the pods Ready, each READINESS_DELAY_S after it starts, as a slow
 * service would) by the real engine, from one stack config with
 * `gray-release:lanes` and the three services in one gray namespace. First only cart has a canary in lane `gray`;
 * then front and pricing start canaries too (cart untouched); then cart's canary is aborted.
 *
 * After each update, for every lane (its header and its baggage member), for the front's opt-in and allowlist and
 * for traffic outside lanes: the VirtualServices are read back from the API server, the request is followed hop by
 * hop with Istio's route semantics (test/support/istio-routes.ts), and at each hop the route must lead to the subset
 * the config says, whose pods are Ready (test/support/route-audit.ts) and run the image that subset stands for.
 * A watcher samples the cluster every 200 ms the whole time: 0 route-seconds without a ready endpoint, no
 * Deployment replaced or deleted.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import type { VirtualServiceSpec } from "../../components/canary-routing";
import { type LocalCluster, startCluster } from "../support/cluster";

/** Pods become Ready this long after they start: a lane route that ran ahead of its pods would show in the watcher. */
const READINESS_DELAY_S = 8;

import { createTempProject, type TempProject } from "../support/engine";
import { followChain, type Hop, type MeshRequest } from "../support/istio-routes";
import { type AuditReport, auditSnapshot, type ClusterSnapshot } from "../support/route-audit";
import { kubeReaderFromKubeconfig, type RouteWatcher, snapshotReader, startRouteWatcher } from "../support/route-watcher";

const STACK = "lanes";
const NAMESPACE = "shop-gray";
const CHAIN = ["front", "cart", "pricing"] as const;
type ServiceName = (typeof CHAIN)[number];
const image = (svc: ServiceName, version: string) => `registry.example.com/shop/${svc}:${version}`;

/** Two lanes: `gray` with the default markers (header `x-gray-lane`, baggage `gray-lane`), `blue` by its own header only. */
const LANES = [{ name: "gray" }, { name: "blue", header: "x-team-lane", baggageKey: null }];

/** One service of the stack config; `canary` equal to `stable` is a service without a canary (nothing to roll out). */
function service(name: ServiceName, versions: { stable: string; canary: string }, lanes: { canaryIn: string[]; enter?: string }, abort = false) {
    return {
        name,
        namespace: NAMESPACE,
        stableImage: image(name, versions.stable),
        canaryImage: image(name, versions.canary),
        progression: {
            steps: [5, 10, 25, 50, 100],
            // Canaries stay at their first step for the whole test: no analysis needed (nothing listens there).
            minIntervalBetweenSteps: "30m",
            analysis: { prometheusUrl: "http://127.0.0.1:9", timeout: "1s", retries: 0 },
            ...(abort ? { controls: { abort: true } } : {}),
        },
        routing: {
            optInHeaders: [{ name: "x-canary", exact: "true" }],
            ...(name === "front" ? { allowlist: { header: "x-user-id", ids: ["staff-001", "staff-002"] } } : {}),
            lanes,
        },
        release: { owner: `team-${name}`, riskAssessment: `https://wiki.example.com/${name}/risk` },
        slo: { runbookUrl: `https://runbooks.example.com/${name}`, slos: [{ name: "availability", objective: 99.9, window: "7d" }] },
    };
}

/** Lanes of each service: every service names its lanes from the start, a canary joins them when it starts. */
const LANES_OF: Record<ServiceName, { canaryIn: string[]; enter?: string }> = {
    front: { canaryIn: ["gray"], enter: "gray" },
    cart: { canaryIn: ["gray"] },
    pricing: { canaryIn: ["gray", "blue"] },
};

function writeStackConfig(project: TempProject, services: unknown[]): void {
    const file = path.join(project.dir, "stacks", `Pulumi.${STACK}.yaml`);
    const doc = (fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) : {}) as { config?: Record<string, unknown> };
    doc.config = {
        ...doc.config,
        "gray-release:environment": "dev",
        "gray-release:role": "all",
        "gray-release:platform": { namespaces: [{ name: NAMESPACE, environment: "dev", zone: "local" }] },
        "gray-release:dashboardNamespace": false,
        "gray-release:lanes": LANES,
        "gray-release:services": services,
    };
    fs.writeFileSync(file, stringify(doc));
}

interface Release {
    weight: number;
    status: string;
    action: string;
    reason: string;
}

interface DeploymentStatus {
    spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
    status?: { readyReplicas?: number };
}

/** What a request should meet at each hop: a subset, or `split` for the weighted route of a canary at its step. */
type Expected = [string, string, string];

interface Case {
    what: string;
    request: MeshRequest;
    expected: Expected;
}

/** Requests in each lane (header and baggage), through the front's opt-in and allowlist, and outside every lane. */
function cases(expect: { gray: Expected; blue: Expected; optIn: Expected; allowlist: Expected; outside: Expected }): Case[] {
    const mesh = (headers: Record<string, string>): MeshRequest => ({ headers, via: "mesh" });
    return [
        { what: "gray lane by header", request: mesh({ "x-gray-lane": "gray" }), expected: expect.gray },
        { what: "gray lane by baggage", request: mesh({ baggage: "session=7, gray-lane=gray;ttl=60" }), expected: expect.gray },
        { what: "blue lane by header", request: mesh({ "x-team-lane": "blue" }), expected: expect.blue },
        { what: "blue header as baggage (blue has no baggage marker)", request: mesh({ baggage: "gray-lane=blue" }), expected: expect.outside },
        { what: "front opt-in header", request: mesh({ "x-canary": "true" }), expected: expect.optIn },
        { what: "front allowlist", request: mesh({ "x-user-id": "staff-002" }), expected: expect.allowlist },
        { what: "outside every lane", request: mesh({}), expected: expect.outside },
    ];
}

describe("local control plane: a lane through front → cart → pricing", function () {
    this.timeout(20 * 60 * 1000);
    let cluster: LocalCluster;
    let project: TempProject;
    let reader: ReturnType<typeof kubeReaderFromKubeconfig>;
    let stack: Stack;
    let watcher: RouteWatcher;

    before(async () => {
        cluster = await startCluster({ readinessDelaySeconds: READINESS_DELAY_S });
        project = createTempProject("gray-release-lanes-");
        reader = kubeReaderFromKubeconfig(cluster.kubeconfig);
        stack = await project.stack(STACK);
        await stack.setConfig("gray-release:kubeconfig", { value: cluster.kubeconfig, secret: true });
        watcher = startRouteWatcher(reader, { intervalMs: 200 });
    });
    after(async () => {
        await watcher?.stop();
        reader?.close();
        project?.dispose();
        await cluster?.stop();
    });

    const up = async (services: unknown[]): Promise<Record<string, Release>> => {
        writeStackConfig(project, services);
        const started = Date.now();
        const result = await stack.up({ onOutput: () => undefined });
        assert.equal(result.summary.result, "succeeded");
        console.log(`      [up in ${((Date.now() - started) / 1000).toFixed(0)} s]`);
        return result.outputs["releases"]?.value as Record<string, Release>;
    };

    const deployment = (svc: ServiceName, track: string) =>
        cluster.request<DeploymentStatus>("GET", `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${svc}-${track}`);

    /**
     * Reads the cluster once; follows every case through the VirtualServices as the API server holds them; at each
     * hop checks the subset and that each destination of the route met has Ready pods running `images[svc][subset]`.
     */
    async function checkChain(all: Case[], images: Record<ServiceName, { stable: string; canary: string }>): Promise<void> {
        const snapshot: ClusterSnapshot = await snapshotReader(reader)();
        const findings = auditSnapshot(snapshot);
        const chain = CHAIN.map((name) => {
            const vs = snapshot.virtualServices.find((v) => v.metadata.namespace === NAMESPACE && v.metadata.name === name);
            assert.ok(vs, `the VirtualService ${NAMESPACE}/${name} is in the API server`);
            return { name, spec: vs.spec as VirtualServiceSpec };
        });
        const running = new Map<string, string>();
        for (const svc of CHAIN) {
            for (const track of ["stable", "canary"]) {
                const d = await deployment(svc, track);
                running.set(`${svc}/${track}`, d.spec.template.spec.containers[0]?.image ?? "");
            }
        }
        for (const c of all) {
            const hops: Hop[] = followChain(chain, c.request);
            assert.deepEqual(
                hops.map((h) => h.subset),
                c.expected,
                `${c.what}: subsets met (routes ${hops.map((h) => h.route.name).join(" → ")})`,
            );
            hops.forEach((hop, i) => {
                const svc = CHAIN[i]!;
                const at = `${c.what}, hop ${i + 1} (${svc}, route ${hop.route.name})`;
                const dests = findings.filter((f) => f.virtualService === `${NAMESPACE}/${svc}` && f.route === hop.route.name && f.kind === "route");
                assert.ok(dests.length > 0, `${at}: the audit sees the route`);
                for (const f of dests) {
                    assert.ok(f.ok && f.readyPods > 0, `${at}: ${f.subset} has Ready pods (${f.reason ?? ""})`);
                    const subset = f.subset as "stable" | "canary";
                    assert.equal(running.get(`${svc}/${subset}`), images[svc][subset], `${at}: ${subset} runs ${images[svc][subset]}`);
                }
            });
        }
    }

    const versions = {
        front: { stable: "1.0.0", canary: "1.0.0" },
        cart: { stable: "2.0.0", canary: "2.1.0" },
        pricing: { stable: "3.0.0", canary: "3.0.0" },
    };
    const imagesOf = (v: typeof versions) =>
        Object.fromEntries(CHAIN.map((s) => [s, { stable: image(s, v[s].stable), canary: image(s, v[s].canary) }])) as Record<
            ServiceName,
            { stable: string; canary: string }
        >;
    const services = (abortCart = false) => CHAIN.map((s) => service(s, versions[s], LANES_OF[s], s === "cart" && abortCart));

    it("only cart has a canary: the gray lane meets cart's canary and stable at front and pricing, every subset with Ready pods", async () => {
        const releases = await up(services());
        assert.equal(releases["cart"]?.action, "start", releases["cart"]?.reason);
        assert.equal(releases["cart"]?.weight, 5);
        for (const s of ["front", "pricing"] as const) assert.equal(releases[s]?.action, "none", releases[s]?.reason);
        assert.equal((await deployment("front", "canary")).spec.replicas, 0, "front has no canary pods");
        assert.equal((await deployment("cart", "canary")).status?.readyReplicas, 1, "cart's canary is Ready");
        await checkChain(
            cases({
                gray: ["stable", "canary", "stable"],
                blue: ["stable", "stable", "stable"],
                // Front has no canary, yet it enters the lane (lanes.enter): its opt-in and allowlist routes lead to
                // its stable and set the lane header, so both meet cart's canary through the lane.
                optIn: ["stable", "canary", "stable"],
                allowlist: ["stable", "canary", "stable"],
                outside: ["stable", "split", "stable"],
            }),
            imagesOf(versions),
        );
    });

    it("then front and pricing start canaries (cart untouched): the gray lane meets all three canaries, front's opt-in enters it", async () => {
        versions.front.canary = "1.1.0";
        versions.pricing.canary = "3.1.0";
        const releases = await up(services());
        for (const s of ["front", "pricing"] as const) {
            assert.equal(releases[s]?.action, "start", releases[s]?.reason);
            assert.equal(releases[s]?.weight, 5);
        }
        assert.equal(releases["cart"]?.weight, 5, releases["cart"]?.reason);
        await checkChain(
            cases({
                gray: ["canary", "canary", "canary"],
                blue: ["stable", "stable", "canary"],
                optIn: ["canary", "canary", "canary"],
                // Front's allowlist enters the gray lane: cart and pricing have no allowlist, the lane takes them on.
                allowlist: ["canary", "canary", "canary"],
                outside: ["split", "split", "split"],
            }),
            imagesOf(versions),
        );
    });

    it("cart's canary aborted: its lane route goes back to stable while its pods remain; front and pricing keep theirs", async () => {
        const releases = await up(services(true));
        assert.equal(releases["cart"]?.action, "rollback", releases["cart"]?.reason);
        assert.equal((await deployment("cart", "canary")).spec.replicas, 1, "pods stay one update after their routes leave");
        await checkChain(
            cases({
                gray: ["canary", "stable", "canary"],
                blue: ["stable", "stable", "canary"],
                optIn: ["canary", "stable", "canary"],
                allowlist: ["canary", "stable", "canary"],
                outside: ["split", "stable", "split"],
            }),
            imagesOf(versions),
        );
    });

    it("the watcher saw every route with a Ready endpoint the whole time, and no Deployment replaced or deleted", async () => {
        const r: AuditReport = await watcher.stop();
        const seconds = ((r.lastSampleAt ?? 0) - (r.firstSampleAt ?? 0)) / 1000;
        const meanGap = (seconds * 1000) / Math.max(r.samples - 1, 1);
        console.log(
            `      [lanes] ${r.samples} samples over ${seconds.toFixed(0)} s (mean gap ${meanGap.toFixed(0)} ms, max ${r.maxGapMs} ms, ` +
                `${r.errors} failed), ${r.destinationsInLastSample} routed destinations at the end; route-seconds without a ready ` +
                `endpoint: ${r.routeSecondsWithoutReadyEndpoint.toFixed(2)}`,
        );
        assert.ok(r.samples > 50, `the watcher sampled (${r.samples})`);
        assert.ok(meanGap <= 500, `sampled every 500 ms or faster on average (${meanGap.toFixed(0)} ms)`);
        assert.ok(r.destinationsInLastSample >= 3 * (LANES.length + 1), "it watched every service's lane and weighted routes");
        assert.equal(r.routeSecondsWithoutReadyEndpoint, 0, `route-seconds without a ready endpoint: ${JSON.stringify(r.violations.slice(0, 5))}`);
        assert.deepEqual(r.deploymentsReplaced, [], "no Deployment replaced");
        assert.deepEqual(r.deploymentsDeleted, [], "no Deployment deleted");
    });
});
