import { strict as assert } from "node:assert";
import {
    analyzeService,
    analyzeServices,
    decide,
    type ProgressionConfig,
    PrometheusProvider,
    parseProgressionConfig,
} from "../../progression/internal";
import { FAST_LATENCY as FAST, istioSeries } from "../support/istio-traffic";
import { backfilledHour, type RunningPrometheus, type SyntheticSeries, startBackfilledPrometheus } from "../support/prometheus";

const { STEP_S, END_S, START_S, AT } = backfilledHour();

// p95 ≈ 400 ms: over the 200 ms gate (cumulative share per DURATION_BUCKETS bound).
const SLOW = [0.01, 0.02, 0.05, 0.1, 0.3, 0.7, 0.98, 1, 1];

interface VersionTraffic {
    readonly version: string;
    readonly rps: number;
    /** Error ratio as a function of time (unix seconds). */
    readonly errorRatio: (t: number) => number;
    readonly latency: ReadonlyArray<number>;
}

function versionSeries(service: string, v: VersionTraffic): SyntheticSeries[] {
    return istioSeries({ service, ...v }, START_S, END_S, STEP_S);
}

function restarts(workload: string, perHour: number): SyntheticSeries {
    const points: Array<[number, number]> = [];
    for (let t = START_S; t <= END_S; t += STEP_S) points.push([t, Math.floor(((t - START_S) / 3600) * perHour)]);
    return { name: "kube_pod_container_status_restarts_total", labels: { pod: `${workload}-canary-7d9f8`, container: workload }, samples: points };
}

const healthy = (t: number) => (t >= 0 ? 0.002 : 0);
const stable = (workload: string, rps = 20): SyntheticSeries[] =>
    versionSeries(workload, { version: "1.0.0", rps, errorRatio: healthy, latency: FAST });

function scenarioSeries(): SyntheticSeries[] {
    return [
        ...stable("healthy"),
        ...versionSeries("healthy", { version: "1.1.0", rps: 2, errorRatio: healthy, latency: FAST }),
        restarts("healthy", 0),
        // The incident from the brief: 0.2 % failures jumping to 12.7 % at the last traffic step.
        ...stable("bad"),
        ...versionSeries("bad", { version: "1.1.0", rps: 2, errorRatio: (t) => (t > END_S - 600 ? 0.127 : 0.002), latency: FAST }),
        ...stable("lowtraffic"),
        ...versionSeries("lowtraffic", { version: "1.1.0", rps: 0.05, errorRatio: healthy, latency: FAST }),
        ...stable("slow"),
        ...versionSeries("slow", { version: "1.1.0", rps: 2, errorRatio: healthy, latency: SLOW }),
        ...stable("restarting"),
        ...versionSeries("restarting", { version: "1.1.0", rps: 2, errorRatio: healthy, latency: FAST }),
        restarts("restarting", 60),
        // "subtle": 0.48 % errors, within the 0.8 % and Δ 0.3 % gates, but on a busy service (12 000 canary
        // requests in 5 minutes) clearly worse than stable's 0.2 %.
        ...stable("subtle", 200),
        ...versionSeries("subtle", { version: "1.1.0", rps: 40, errorRatio: () => 0.0048, latency: FAST }),
        // "nobaseline": the stable pods report under another version label than the configured one (1.0.0), so
        // the analysis finds no stable series; kube-state-metrics says stable has three available replicas.
        ...versionSeries("nobaseline", { version: "1.0.0-renamed", rps: 20, errorRatio: healthy, latency: FAST }),
        ...versionSeries("nobaseline", { version: "1.1.0", rps: 2, errorRatio: healthy, latency: FAST }),
        replicas("nobaseline-stable", 3),
        // "scaleddown": no stable series and a stable Deployment with 0 available replicas.
        ...versionSeries("scaleddown", { version: "1.1.0", rps: 2, errorRatio: healthy, latency: FAST }),
        replicas("scaleddown-stable", 0),
        // "nearlimit": 0.7 % errors against stable's 0.5 %: every point estimate within its limit (0.8 %, Δ 0.3 %),
        // but 3 600 requests in the pass window cannot show it: the upper bounds are above the limits.
        ...versionSeries("nearlimit", { version: "1.0.0", rps: 20, errorRatio: () => 0.005, latency: FAST }),
        ...versionSeries("nearlimit", { version: "1.1.0", rps: 2, errorRatio: () => 0.007, latency: FAST }),
    ];
}

function replicas(deployment: string, n: number): SyntheticSeries {
    const points: Array<[number, number]> = [];
    for (let t = START_S; t <= END_S; t += STEP_S) points.push([t, n]);
    return { name: "kube_deployment_status_replicas_available", labels: { deployment, namespace: "prod" }, samples: points };
}

function configFor(service: string, url: string): ProgressionConfig {
    return parseProgressionConfig({
        service,
        environment: "prod",
        stableImage: `registry.local/${service}:1.0.0`,
        canaryImage: `registry.local/${service}:1.1.0`,
        analysis: { prometheusUrl: url, window: "5m", minRequestCount: 100 },
        // Analysis, not the clock: the decisions here are not held by prod's release window.
        releaseWindow: { enforce: false },
    });
}

describe("progression analysis against a real Prometheus", function () {
    let prom: RunningPrometheus | undefined;

    before(async function () {
        prom = await startBackfilledPrometheus(scenarioSeries());
    });

    after(async () => {
        await prom?.stop();
    });

    const provider = () => new PrometheusProvider({ baseUrl: prom?.url ?? "", timeoutMs: 10_000 });
    const analyse = (service: string) => analyzeService(configFor(service, prom?.url ?? ""), provider(), AT);

    it("passes a healthy canary, with its measurements in the verdict", async () => {
        const v = await analyse("healthy");
        assert.equal(v.kind, "pass", v.reason);
        assert.ok(Math.abs((v.measured.canaryErrorRate ?? 0) - 0.002) < 1e-4);
        assert.ok((v.measured.canaryRequests ?? 0) > 500);
        assert.ok((v.measured.canaryP95Ms ?? 0) > 90 && (v.measured.canaryP95Ms ?? 0) < 110, `p95 ${v.measured.canaryP95Ms}`);
        assert.equal(v.thresholds.maxErrorRate, 0.008);
    });

    it("fails the 0.2 % → 12.7 % canary and the decision rolls it back to 0 in the same update", async () => {
        const config = configFor("bad", prom?.url ?? "");
        const v = await analyzeService(config, provider(), AT);
        assert.equal(v.kind, "fail", v.reason);
        assert.ok((v.measured.canaryErrorRate ?? 0) > 0.12);
        const started = decide(undefined, config, undefined, new Date(AT.getTime() - 3_600_000)).state;
        const d = decide(started, config, v, AT);
        assert.equal(d.action, "rollback");
        assert.equal(d.state.weight, 0);
        assert.equal(d.routing.canaryWeight, 0);
    });

    it("calls a low-traffic canary inconclusive", async () => {
        const v = await analyse("lowtraffic");
        assert.equal(v.kind, "inconclusive", v.reason);
        assert.match(v.reason, /too little canary traffic/);
    });

    it("calls a canary without any series inconclusive, not pass", async () => {
        const v = await analyse("nodata");
        assert.equal(v.kind, "inconclusive", v.reason);
        assert.equal(v.measured.canaryRequests, 0);
    });

    it("fails a slow canary on p95 and a restarting one on restarts", async () => {
        const slow = await analyse("slow");
        assert.equal(slow.kind, "fail", slow.reason);
        assert.match(slow.reason, /p95/);
        const restarting = await analyse("restarting");
        assert.equal(restarting.kind, "fail", restarting.reason);
        assert.match(restarting.reason, /restarts/);
    });

    it("fails a canary that is within the absolute gates but significantly worse than stable", async () => {
        const v = await analyse("subtle");
        assert.equal(v.kind, "fail", v.reason);
        assert.ok((v.measured.canaryErrorRate ?? 1) < 0.008);
        assert.ok((v.measured.errorRateDelta ?? 1) < 0.003);
        assert.match(v.reason, /comparison/);
    });

    it("measures the pass window, the data age from the samples' own stamps, and the stable replicas", async () => {
        const v = await analyzeService(configFor("healthy", prom?.url ?? ""), provider(), new Date(AT.getTime() + 30_000));
        assert.equal(v.kind, "pass", v.reason);
        // The newest sample is at END_S: 30 s old at AT + 30 s (timestamp() of a selector is the sample's own stamp).
        assert.equal(v.measured.canaryDataAgeSeconds, 30);
        assert.equal(v.measured.stableDataAgeSeconds, 30);
        assert.ok(
            (v.measured.passCanaryRequests ?? 0) > 5 * (v.measured.canaryRequests ?? 0),
            `pass window ${v.measured.passCanaryRequests} vs window ${v.measured.canaryRequests}`,
        );
        assert.equal(v.measured.stableReplicas, null, "no kube-state-metrics series for this one: unknown");
        assert.ok((v.measured.canaryErrorRateUpper ?? 1) < 0.008);
    });

    it("calls data that stopped arriving two minutes ago stale: an error naming the age", async () => {
        const v = await analyzeService(configFor("healthy", prom?.url ?? ""), provider(), new Date(AT.getTime() + 120_000));
        assert.equal(v.kind, "error", v.reason);
        assert.match(v.reason, /stale data: the newest canary request sample is 120 s old \(canaryDataAgeSeconds 120 > maxSampleAge 60 s\)/);
    });

    it("does not pass a canary without a stable baseline: inconclusive when stable is scaled down, error when it has replicas", async () => {
        const scaledDown = await analyse("scaleddown");
        assert.equal(scaledDown.kind, "inconclusive", scaledDown.reason);
        assert.match(scaledDown.reason, /no stable baseline: stableRequests is 0 .*0 available replicas/);
        const mislabelled = await analyse("nobaseline");
        assert.equal(mislabelled.kind, "error", mislabelled.reason);
        assert.match(mislabelled.reason, /stable has 3 available replicas but stableRequests is 0/);
    });

    it("holds a canary whose point estimates are within the limits but not shown to be", async () => {
        const v = await analyse("nearlimit");
        assert.equal(v.kind, "inconclusive", v.reason);
        assert.ok((v.measured.canaryErrorRate ?? 1) < 0.008);
        assert.ok((v.measured.canaryErrorRateUpper ?? 0) > 0.008, `upper bound ${v.measured.canaryErrorRateUpper}`);
        assert.match(v.reason, /not yet shown/);
    });

    it("analyses every service with a single HTTP round trip", async () => {
        const p = provider();
        const services = ["healthy", "bad", "lowtraffic", "nodata", "slow", "restarting", "subtle", "nobaseline", "scaleddown", "nearlimit"];
        const verdicts = await analyzeServices(
            services.map((s) => configFor(s, prom?.url ?? "")),
            p,
            AT,
        );
        assert.equal(p.roundTrips, 1);
        assert.deepEqual(
            services.map((s) => verdicts.get(s)?.kind),
            ["pass", "fail", "inconclusive", "inconclusive", "fail", "fail", "fail", "error", "inconclusive", "inconclusive"],
        );
    });
});
