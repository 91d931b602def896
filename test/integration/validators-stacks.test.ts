/**
 * The six sample stacks (platform-dev, dev, platform-staging, staging, platform-prod, prod), rendered by the real
 * Pulumi engine into a throwaway copy of the project, and every artifact checked by the program that consumes it:
 *
 *  - every rendered object through istioctl's `validate` (Istio objects by Istio's validation code; Services and
 *    Deployments by istioctl's own checks), and each environment (platform + services) through `istioctl analyze`;
 *  - every collector config through `otelcol validate` of a collector with our components (ocb), and the collector
 *    started on it (the gateway until every component runs, the agent until every component is created);
 *  - every dashboard panel query through promtool's parser, and every PrometheusRule through `promtool check rules`;
 *  - every Thanos objstore config through `thanos tools bucket`, and every Thanos component started with its
 *    rendered flags until it serves `/-/healthy`.
 *
 * Validators: test/support/validators.ts (toolchain/validators/build.sh).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { createTempProject, type TempProject } from "../support/engine";
import { checkRules } from "../support/prometheus";
import { renderedObjects } from "../support/rendered";
import {
    checkPromql,
    containerEnv,
    dashboardQueries,
    filesystemObjstore,
    istioAnalyze,
    istioAnalyzeWithKube,
    istioProblems,
    istioValidateObjects,
    type KubeObject,
    otelcolStart,
    otelcolValidate,
    podsOf,
    requireValidatorsDir,
    runThanosComponent,
    s3ListingFailedOnlyRemotely,
    thanos,
} from "../support/validators";

const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
const STACKS = ENVIRONMENTS.flatMap((e) => [`platform-${e}`, e]);

interface Container {
    name: string;
    image?: string;
    args?: string[];
    env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
}
interface Workload extends KubeObject {
    spec: {
        template: {
            spec: { containers: Container[]; volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }> };
        };
    };
}
interface ConfigMapOrSecret extends KubeObject {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
}

const ISTIO_GROUPS = /\.istio\.io\//;

describe("the sample stacks' rendered artifacts, checked by their real consumers", function () {
    this.timeout(30 * 60 * 1000);
    let project: TempProject;
    const rendered = new Map<string, KubeObject[]>();

    before(async () => {
        await requireValidatorsDir();
        project = createTempProject("gray-release-validators-");
        for (const name of STACKS) {
            const stack = await project.stack(name);
            const up = await stack.up({ onOutput: () => undefined });
            assert.equal(up.summary.result, "succeeded", `pulumi up ${name}`);
            rendered.set(name, renderedObjects(project.renderedDir(name)) as KubeObject[]);
        }
    });
    after(() => project?.dispose());

    const all = (): KubeObject[] => STACKS.flatMap((s) => rendered.get(s) ?? []);
    const ofKind = (kind: string): KubeObject[] => all().filter((o) => o.kind === kind);

    it("Istio: istioctl validate accepts every rendered object of every stack, without warnings", async () => {
        const objects = all();
        const verdicts = await istioValidateObjects(objects);
        const istio = verdicts.filter((v) => v.istio);
        const kinds = new Set(istio.map((v) => v.kind));
        for (const k of ["VirtualService", "DestinationRule", "PeerAuthentication"]) assert.ok(kinds.has(k), `${k} rendered and checked`);
        assert.equal(
            istio.length,
            objects.filter((o) => ISTIO_GROUPS.test(o.apiVersion ?? "")).length,
            "every Istio object is checked by Istio's validation",
        );
        // istioctl's note that a Deployment lacks the app/version labels of Istio's telemetry matters for workloads in
        // the mesh (sidecar injected), not for Thanos and the collectors, which run outside it.
        const meshed = (i: number): boolean => {
            const template = (objects[i]!["spec"] as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
            return template?.metadata?.annotations?.["sidecar.istio.io/inject"] === "true";
        };
        const relevant = verdicts.map((v, i) =>
            v.output && !meshed(i) && /may not provide Istio metrics and telemetry labels/.test(v.output) ? { ...v, output: undefined } : v,
        );
        assert.ok(
            verdicts.some((v, i) => v.kind === "Deployment" && meshed(i)),
            "the canary Deployments are checked",
        );
        assert.deepEqual(istioProblems(relevant), []);
    });

    for (const env of ENVIRONMENTS) {
        it(`Istio: istioctl analyze of the ${env} environment (platform-${env} + ${env}), offline and with its Kubernetes objects and pods, reports no error or warning`, async () => {
            const objects = [...(rendered.get(`platform-${env}`) ?? []), ...(rendered.get(env) ?? [])];
            assert.deepEqual(
                (await istioAnalyze(objects)).filter((m) => m.level !== "Info"),
                [],
            );
            // The same analyzers with the Services, Namespaces and the Pods the Deployments would run: every
            // VirtualService host has a Service (and port), every DestinationRule subset selects pods.
            const withKube = await istioAnalyzeWithKube([...objects, ...podsOf(objects)]);
            assert.deepEqual(
                withKube.filter((m) => m.level !== "Info"),
                [],
            );
        });
    }

    /** `otelcol validate`, then the collector started on it: the gateway until ready, the agent until its components exist. */
    async function assertCollectorAccepts(what: string, config: string, env: Record<string, string>, tier: "agent" | "gateway"): Promise<void> {
        const r = await otelcolValidate(config, env);
        assert.equal(r.code, 0, `${what}: ${r.stderr}`);
        const start = await otelcolStart(config, env, tier === "gateway" ? "ready" : "created");
        assert.ok(tier === "gateway" ? start.ready : start.created, `${what}: the collector did not start on it:\n${start.log}`);
    }

    it("OpenTelemetry Collector: every agent and gateway config passes otelcol validate, and the collector starts on it", async () => {
        let checked = 0;
        for (const stack of STACKS) {
            const objects = rendered.get(stack) ?? [];
            const workloads = objects.filter((o): o is Workload => o.kind === "DaemonSet" || o.kind === "Deployment");
            for (const cm of objects.filter((o) => o.kind === "ConfigMap") as ConfigMapOrSecret[]) {
                const config = cm.data?.["config.yaml"];
                if (config === undefined) continue;
                const workload = workloads.find((w) => w.spec.template.spec.volumes?.some((v) => v.configMap?.name === cm.metadata?.name));
                assert.ok(workload, `${stack}: a workload mounts ConfigMap ${cm.metadata?.name}`);
                await assertCollectorAccepts(
                    `${stack} ${cm.metadata?.name}`,
                    config,
                    containerEnv(workload.spec.template.spec.containers[0]?.env),
                    workload.kind === "DaemonSet" ? "agent" : "gateway",
                );
                checked++;
            }
            for (const cr of objects.filter((o) => o.kind === "OpenTelemetryCollector")) {
                const spec = cr["spec"] as { mode: string; config: unknown; env?: Container["env"] };
                const tier = spec.mode === "daemonset" ? "agent" : "gateway";
                await assertCollectorAccepts(
                    `${stack} OpenTelemetryCollector ${cr.metadata?.name}`,
                    stringify(spec.config, { lineWidth: 0 }),
                    containerEnv(spec.env),
                    tier,
                );
                checked++;
            }
        }
        assert.equal(checked, 6, "an agent and a gateway config per platform stack");
    });

    it("Prometheus: every dashboard panel query parses (promtool), and every PrometheusRule passes promtool check rules", async () => {
        const queries = ofKind("ConfigMap")
            .filter((cm) => cm.metadata?.labels?.["grafana_dashboard"] !== undefined)
            .flatMap((cm) => Object.values((cm as ConfigMapOrSecret).data ?? {}).flatMap((json) => dashboardQueries(JSON.parse(json))));
        assert.ok(queries.length >= 3 * 10, `dashboard queries found (${queries.length})`);
        const errors = await checkPromql(queries.map((q) => q.promql));
        assert.deepEqual(
            errors.map((e) => `${queries[e.index]!.where}: ${e.message}`),
            [],
        );

        const rules = ofKind("PrometheusRule");
        assert.equal(rules.length, 3, "one PrometheusRule per services stack");
        const dir = mkdtempSync(join(tmpdir(), "stack-rules-"));
        try {
            const files = rules.map((r, i) => {
                const file = join(dir, `${r.metadata?.namespace}-${r.metadata?.name}-${i}.yaml`);
                writeFileSync(file, stringify({ groups: (r["spec"] as { groups: unknown }).groups }, { lineWidth: 0 }));
                return file;
            });
            const r = await checkRules(...files);
            assert.match(r.stdout, /SUCCESS/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("Thanos", () => {
        // dev's filesystem config holds no credential and is a ConfigMap; the S3 configs of staging and prod are Secrets.
        const OBJSTORE_KIND = { dev: "ConfigMap", staging: "Secret", prod: "Secret" } as const;
        const objstores = (): Array<[string, string]> =>
            ENVIRONMENTS.map((env) => {
                const objects = (rendered.get(`platform-${env}`) ?? []).filter((o) => o.metadata?.name === "thanos-objstore");
                assert.deepEqual(
                    objects.map((o) => o.kind),
                    [OBJSTORE_KIND[env]],
                    `platform-${env} renders thanos-objstore as a ${OBJSTORE_KIND[env]}`,
                );
                const holder = objects[0] as ConfigMapOrSecret;
                // A Secret's data is base64 (stringData is plain); a ConfigMap's data is plain.
                const text =
                    holder.stringData?.["objstore.yml"] ??
                    (holder.kind === "Secret"
                        ? Buffer.from(holder.data?.["objstore.yml"] ?? "", "base64").toString("utf8")
                        : holder.data?.["objstore.yml"]);
                assert.ok(text, `platform-${env}: thanos-objstore has an objstore.yml`);
                return [env, text];
            });

        it("every bucket user mounts the rendered thanos-objstore Secret or ConfigMap", () => {
            for (const env of ENVIRONMENTS) {
                const objects = rendered.get(`platform-${env}`) ?? [];
                const users = (objects.filter((o) => o.kind === "StatefulSet") as Workload[]).filter((w) =>
                    /^thanos-(store|compactor|ruler)$/.test(w.metadata?.name ?? ""),
                );
                assert.ok(users.length >= 2, `platform-${env}: store and compactor rendered`);
                for (const w of users) {
                    const volume = w.spec.template.spec.volumes?.find((v) => v.name === "objstore");
                    const ref = OBJSTORE_KIND[env] === "ConfigMap" ? volume?.configMap?.name : volume?.secret?.secretName;
                    assert.equal(ref, "thanos-objstore", `platform-${env} ${w.metadata?.name}: ${JSON.stringify(volume)}`);
                }
            }
        });

        it("every objstore config is accepted by Thanos' objstore client (thanos tools bucket ls)", async () => {
            const dir = mkdtempSync(join(tmpdir(), "thanos-objstore-"));
            try {
                for (const [env, text] of objstores()) {
                    const config = parse(text) as { type: string; config: Record<string, unknown> };
                    const file = join(dir, `${env}.yml`);
                    if (config.type === "FILESYSTEM") {
                        // The pod's mount path, moved into a temp dir: a real bucket Thanos lists and verifies.
                        writeFileSync(file, filesystemObjstore(join(dir, `${env}-bucket`)));
                        const ls = await thanos(["tools", "bucket", "ls", `--objstore.config-file=${file}`]);
                        assert.equal(ls.code, 0, `${env}: ${ls.stderr}`);
                        const verify = await thanos(["tools", "bucket", "verify", `--objstore.config-file=${file}`]);
                        assert.equal(verify.code, 0, `${env}: ${verify.stderr}`);
                    } else {
                        // S3: Thanos parses and validates the config and builds its client; the sample bucket and keys
                        // are examples, so the listing itself fails (on the network here), and nothing before it.
                        writeFileSync(file, text);
                        const ls = await thanos(["tools", "bucket", "ls", `--objstore.config-file=${file}`], { timeoutMs: 120_000 });
                        assert.ok(s3ListingFailedOnlyRemotely(ls.stderr), `${env}: ${ls.stderr}`);
                    }
                }
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        });

        it("every Thanos component starts with its rendered flags and serves /-/healthy", async () => {
            let checked = 0;
            for (const env of ENVIRONMENTS) {
                const workloads = (rendered.get(`platform-${env}`) ?? []).filter(
                    (o): o is Workload => (o.kind === "Deployment" || o.kind === "StatefulSet") && o.metadata?.namespace === "monitoring",
                );
                for (const w of workloads) {
                    for (const c of w.spec.template.spec.containers.filter((x) => /thanos/.test(x.image ?? ""))) {
                        const start = await runThanosComponent(c.args ?? [], { POD_NAME: `${w.metadata?.name}-0`, ...containerEnv(c.env) });
                        assert.ok(start.running, `platform-${env} ${w.kind}/${w.metadata?.name}: thanos ${start.args.join(" ")}\n${start.log}`);
                        checked++;
                    }
                }
            }
            assert.ok(checked >= 3 * 4, `store, compactor, query and query-frontend of each environment (${checked})`);
        });
    });
});
