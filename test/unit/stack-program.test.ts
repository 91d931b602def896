import { strict as assert } from "node:assert";
import { decide, describeRelease, describeState, parseProgressionConfig, summaryLine } from "../../progression";
import { sloCanaryArgs } from "../../stacks/canary-service";
import type { PlatformFacts } from "../../stacks/platform-outputs";
import { canarySizingWeight, planStack, recordPromotion } from "../../stacks/program";

const service = {
    name: "checkout",
    namespace: "dev-gray",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    progression: { analysis: { prometheusUrl: "http://127.0.0.1:9090" } },
    slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
};

const platform: PlatformFacts = {
    environment: "dev",
    namespaces: ["dev-gray"],
    thanosQueryUrl: "http://thanos-query.monitoring.svc:10902",
    collectors: [],
};

describe("planStack: the whole stack config is validated before any resource", () => {
    it("accepts the dev-like config", () => {
        const { config, services } = planStack("dev", { environment: "dev", services: [service] });
        assert.equal(config.role, "all");
        assert.equal(services[0]?.progression.steps.join(","), "5,10,25,50,100");
    });

    it("names the offending key and value of a service's progression", () => {
        assert.throws(
            () =>
                planStack("dev", {
                    environment: "dev",
                    services: [{ ...service, progression: { ...service.progression, minIntervalBetweenSteps: "soon" } }],
                }),
            /minIntervalBetweenSteps = "soon"/,
        );
    });

    it("names an unknown top-level key", () => {
        assert.throws(() => planStack("dev", { environment: "dev", servces: [] }), /servces/);
    });

    it("refuses skipAnalysis outside dev", () => {
        const s = { ...service, progression: { ...service.progression, controls: { skipAnalysis: true } } };
        assert.throws(() => planStack("prod", { environment: "prod", services: [s] }), /controls\.skipAnalysis/);
    });

    it("refuses an unpinned canary image", () => {
        assert.throws(
            () => planStack("dev", { environment: "dev", services: [{ ...service, canaryImage: "registry.example.com/shop/checkout:latest" }] }),
            /canaryImage = "registry.example.com\/shop\/checkout:latest"/,
        );
    });

    it("refuses bad routing and SLO settings with their paths", () => {
        assert.throws(
            () => planStack("dev", { environment: "dev", services: [{ ...service, routing: { mirrorPercent: 250 } }] }),
            /mirrorPercent = 250/,
        );
        assert.throws(
            () =>
                planStack("dev", { environment: "dev", services: [{ ...service, slo: { ...service.slo, slos: [{ name: "a", objective: 120 }] } }] }),
            /objective = 120/,
        );
    });

    it("refuses a latency threshold its pods do not report, and takes it with slo.latencyBuckets, which the workload gets too", () => {
        const latency = (threshold: number) => ({ ...service.slo, slos: [{ name: "latency", objective: 99, sli: { kind: "latency", threshold } }] });
        assert.throws(
            () => planStack("dev", { environment: "dev", services: [{ ...service, slo: latency(300) }] }),
            /services\[0\]\.slo\.slos\[0\]\.sli\.threshold = 300: threshold 300 is not a bucket bound/,
        );
        const { services } = planStack("dev", {
            environment: "dev",
            services: [{ ...service, slo: { ...latency(300), latencyBuckets: [100, 300, 1000] } }],
        });
        assert.deepEqual(services[0]!.slo.latencyBuckets, [100, 300, 1000]);
        assert.throws(
            () => planStack("dev", { environment: "dev", services: [{ ...service, workload: { latencyBuckets: [300] } }] }),
            /services\[0\]\.workload\.latencyBuckets = \[300\]: set by the stack program/,
        );
    });

    it("gives the SLO canary rules the version labels of the pods, and none to compare once both run one version", () => {
        assert.deepEqual(sloCanaryArgs(undefined, { stable: "1.4.0", canary: "1.5.0" }), {
            stableVersionLabel: "1.4.0",
            canaryVersionLabel: "1.5.0",
        });
        assert.deepEqual(sloCanaryArgs({ for: "5m" }, { stable: "1.5.0", canary: "1.5.0" }), { for: "5m", enabled: false });
        // The stack config check gives them too: same images (after a promotion) are no error.
        assert.doesNotThrow(() => planStack("dev", { environment: "dev", services: [{ ...service, canaryImage: service.stableImage }] }));
    });

    it("requires a platform stack for a services stack, and no platform parts in it", () => {
        assert.throws(() => planStack("dev", { environment: "dev", role: "services", services: [service] }), /platformStack/);
        assert.throws(
            () =>
                planStack("dev", { environment: "dev", role: "services", platformStack: "platform-dev", platform: { namespaces: [{ name: "x" }] } }),
            /platform = .*move them there/s,
        );
        assert.throws(() => planStack("dev", { environment: "dev", role: "platform", services: [service] }), /a platform stack has no services/);
    });

    it("defaults the analysis source to the platform's Thanos Query and checks namespaces and environment", () => {
        const noUrl = { ...service, progression: {} };
        const raw = { environment: "dev", role: "services", platformStack: "platform-dev", services: [noUrl] };
        const { services } = planStack("dev", raw, platform);
        assert.equal(services[0]?.progression.analysis.prometheusUrl, platform.thanosQueryUrl);
        assert.throws(
            () => planStack("dev", { ...raw, services: [{ ...noUrl, namespace: "elsewhere" }] }, platform),
            /services\[0\]\.namespace = "elsewhere": not a gray namespace of platform stack "platform-dev"/,
        );
        assert.throws(
            () => planStack("dev", { ...raw, environment: "prod" }, platform),
            /environment = "prod": platform stack "platform-dev" is of environment "dev"/,
        );
    });
});

describe("planStack: one parse of the whole config, every problem at once, at the path the user wrote", () => {
    it("reports problems of every part of every service together, in YAML paths", () => {
        const bad = {
            ...service,
            routing: { optInHeaders: [{ name: "X Canary", exact: "1" }] },
            slo: { ...service.slo, slos: [{ name: "a", objective: 0.999 }] },
            progression: { analysis: { prometheusUrl: "http://p:9090", window: "0s", sloObjective: 0.9995, thresholds: { maxErrorRate: 0.8 } } },
        };
        let message = "";
        try {
            planStack("dev", { environment: "dev", services: [service, bad] });
        } catch (e) {
            message = (e as Error).message;
        }
        assert.match(message, /services\[1\]\.routing\.optInHeaders\[0\]\.name = "X Canary"/);
        assert.match(message, /services\[1\]\.slo\.slos\[0\]\.objective = 0\.999: .*a percentage is expected: write 99\.9/);
        assert.match(message, /services\[1\]\.progression\.analysis\.window = "0s": must be longer than 0s/);
        assert.match(message, /services\[1\]\.progression\.analysis\.sloObjective = 0\.9995: a percentage is expected: write 99\.95/);
        assert.match(message, /services\[1\]\.progression\.analysis\.thresholds\.maxErrorRate = 0\.8: a fraction is expected/);
        assert.doesNotMatch(message, /services\[0\]/);
    });

    it("refuses a key the program fills, and reports an image at the service's own key once", () => {
        assert.throws(
            () => planStack("dev", { environment: "dev", services: [{ ...service, routing: { canaryWeight: 50 } }] }),
            /services\[0\]\.routing\.canaryWeight = 50: set by the stack program/,
        );
        try {
            planStack("dev", { environment: "dev", services: [{ ...service, canaryImage: "shop/checkout:latest" }] });
            assert.fail("accepted an unpinned image");
        } catch (e) {
            assert.equal((e as Error).message.match(/services\[0\]\.canaryImage = /g)?.length, 1, (e as Error).message);
        }
    });

    it("refuses the same gray namespace twice and a namespace of another environment", () => {
        const ns = { name: "dev-gray", environment: "dev" };
        assert.throws(
            () => planStack("dev", { environment: "dev", platform: { namespaces: [ns, ns, { name: "x", environment: "prod" }] } }),
            (e: Error) =>
                /platform\.namespaces\[1\]\.name = "dev-gray": the same gray namespace as platform\.namespaces\[0\]/.test(e.message) &&
                /platform\.namespaces\[2\]\.environment = "prod": a gray namespace of another environment: this stack's environment is "dev"/.test(
                    e.message,
                ),
        );
    });

    it("gives typed parts: the routing, workload and SLO settings reach the components as written", () => {
        const { services } = planStack("dev", {
            environment: "dev",
            services: [{ ...service, routing: { mirrorPercent: 5 }, workload: { stableReplicas: 3 } }],
        });
        assert.equal(services[0]?.routing.mirrorPercent, 5);
        assert.equal(services[0]?.workload.stableReplicas, 3);
        assert.equal(services[0]?.slo.slos?.[0]?.objective, 99.95);
    });
});

describe("planStack: gray namespaces of a stack that runs the collectors", () => {
    const otel = {
        namespace: "telemetry",
        traces: { endpoint: "tempo-distributor.tracing:4317", insecure: true },
        metrics: { remoteWriteUrl: "http://prometheus-operated.monitoring:9090/api/v1/write" },
    };
    const ns = { name: "dev-gray", environment: "dev" };

    it("sends each namespace's telemetry to exactly this stack's agent pods, unless the namespace configures it", () => {
        const own = { namespace: "elsewhere", ports: [4317] };
        const { namespaces } = planStack("platform-dev", {
            environment: "dev",
            role: "platform",
            platform: { namespaces: [ns, { ...ns, name: "dev-gray-2", telemetry: own }], otel },
        });
        assert.deepEqual(namespaces[0]?.telemetry, {
            namespace: "telemetry",
            podSelector: { "app.kubernetes.io/component": "opentelemetry-collector", "app.kubernetes.io/instance": "telemetry.otel-agent" },
        });
        assert.deepEqual(namespaces[1]?.telemetry, own);
    });

    it("leaves the namespace defaults alone without collectors", () => {
        const { namespaces } = planStack("platform-dev", { environment: "dev", role: "platform", platform: { namespaces: [ns] } });
        assert.equal(namespaces[0]?.telemetry, undefined);
    });
});

describe("recordPromotion", () => {
    it("records a promoted image once and keeps the newest", () => {
        const first = recordPromotion([], "promote", "img:1.5.0", "2026-11-25T10:00:00Z");
        assert.deepEqual(first, [{ image: "img:1.5.0", at: "2026-11-25T10:00:00Z" }]);
        assert.deepEqual(recordPromotion(first, "promote", "img:1.5.0", "2026-11-26T10:00:00Z"), first);
        assert.deepEqual(recordPromotion(first, "advance", "img:1.6.0", "2026-11-26T10:00:00Z"), first);
        let many = first;
        for (let i = 0; i < 30; i++) many = recordPromotion(many, "promote", `img:2.${i}.0`, "2026-11-27T10:00:00Z");
        assert.equal(many.length, 20);
        assert.equal(many.at(-1)?.image, "img:2.29.0");
    });
});

describe("release summary", () => {
    it("says what moved and what happens next", () => {
        const config = parseProgressionConfig({
            service: "checkout",
            environment: "dev",
            stableImage: service.stableImage,
            canaryImage: service.canaryImage,
            analysis: { prometheusUrl: "http://127.0.0.1:9090" },
        });
        const decision = decide(undefined, config, undefined, new Date("2026-11-25T10:00:00Z"));
        const summary = describeRelease(0, decision, undefined);
        assert.equal(summary.weight, 5);
        assert.equal(summary.step, "1");
        assert.match(summaryLine(summary, "checkout"), /^checkout: started 0% → 5% \[progressing\]/);
    });

    it("describeState: the release state from the state output alone, as a composing program keeps it", () => {
        const config = parseProgressionConfig({
            service: "checkout",
            environment: "dev",
            stableImage: service.stableImage,
            canaryImage: service.canaryImage,
            analysis: { prometheusUrl: "http://127.0.0.1:9090" },
        });
        const { state } = decide(undefined, config, undefined, new Date("2026-11-25T10:00:00Z"));
        const view = describeState(JSON.parse(JSON.stringify(state)));
        assert.deepEqual(
            { weight: view?.weight, step: view?.step, status: view?.status, canaryImage: view?.canaryImage, action: view?.lastDecision?.action },
            { weight: 5, step: "1", status: "progressing", canaryImage: service.canaryImage, action: "start" },
        );
        assert.deepEqual(describeState(JSON.stringify(state)), view, "JSON text reads the same");
        assert.equal(describeState(undefined), undefined, "no release yet");
        assert.equal(describeState({ weight: "lots" }), undefined, "an unusable state is no state");
    });
});

describe("canarySizingWeight: canary pods follow routes up at once and down one update later", () => {
    const cfg = parseProgressionConfig({
        ...service.progression,
        service: "checkout",
        environment: "dev",
        stableImage: service.stableImage,
        canaryImage: service.canaryImage,
        steps: [25, 50, 100],
        minIntervalBetweenSteps: "0s",
    });
    const t = (m: number) => new Date(Date.UTC(2026, 0, 5, 10, m));
    const pass = {
        kind: "pass" as const,
        reason: "ok",
        measured: {} as never,
        thresholds: cfg.analysis.thresholds,
        checks: [],
        evaluatedAt: t(0).toISOString(),
    };

    it("sizes for the larger of the previous and the next routes, and for none once both are gone", () => {
        const start = decide(undefined, cfg, undefined, t(0));
        assert.equal(canarySizingWeight(undefined, start.state), 25, "a new canary is sized for its first step");
        const advance = decide(start.state, cfg, pass, t(1));
        assert.equal(canarySizingWeight(start.state, advance.state), 50, "pods rise with (before) the weight");
        const promote = decide(advance.state, cfg, pass, t(2));
        assert.equal(promote.state.status, "promoted");
        assert.equal(canarySizingWeight(advance.state, promote.state), 50, "the promotion's update keeps the pods the old routes need");
        const after = decide(promote.state, cfg, undefined, t(3));
        assert.equal(canarySizingWeight(promote.state, after.state), undefined, "the next update scales the canary to 0");
    });

    it("keeps a rolled-back canary's pods through the rollback update only", () => {
        const start = decide(undefined, cfg, undefined, t(0));
        const fail = decide(start.state, cfg, { ...pass, kind: "fail" }, t(1));
        assert.equal(fail.state.status, "rolledBack");
        assert.equal(canarySizingWeight(start.state, fail.state), 25);
        assert.equal(canarySizingWeight(fail.state, decide(fail.state, cfg, undefined, t(2)).state), undefined);
    });

    it("gives a canary paused before its first step (opt-in routes only) its minimum", () => {
        const paused = decide(undefined, { ...cfg, controls: { ...cfg.controls, pause: true } }, undefined, t(0));
        assert.equal(paused.state.status, "paused");
        assert.equal(canarySizingWeight(undefined, paused.state), 0);
    });
});
