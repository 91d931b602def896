import { strict as assert } from "node:assert";
import {
    PrometheusProvider,
    analyzeService,
    analyzeServices,
    decide,
    parseProgressionConfig,
    type ProgressionConfig,
} from "../../stacks/progression";
import { FAST_LATENCY as FAST, istioSeries } from "../support/istio-traffic";
import { type RunningPrometheus, type SyntheticSeries, startBackfilledPrometheus } from "../support/prometheus";

// One hour of 15 s samples ending ten minutes ago (well inside retention, clear of the head block).
const STEP_S = 15;
const END_S = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - 600;
const START_S = END_S - 3600;
const AT = new Date(END_S * 1000);

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
const stable = (workload: string, rps = 20): SyntheticSeries[] => versionSeries(workload, { version: "1.0.0", rps, errorRatio: healthy, latency: FAST });

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
    ];
}

function configFor(service: string, url: string): ProgressionConfig {
    return parseProgressionConfig({
        service,
        environment: "prod",
        stableVersion: `registry.local/${service}:1.0.0`,
        canaryVersion: `registry.local/${service}:1.1.0`,
        analysis: { prometheusUrl: url, window: "5m", minRequestCount: 100 },
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
        assert.equal(v.verdict, "pass", v.reason);
        assert.ok(Math.abs((v.measured.canaryErrorRate ?? 0) - 0.002) < 1e-4);
        assert.ok((v.measured.canaryRequests ?? 0) > 500);
        assert.ok((v.measured.canaryP95Ms ?? 0) > 90 && (v.measured.canaryP95Ms ?? 0) < 110, `p95 ${v.measured.canaryP95Ms}`);
        assert.equal(v.thresholds.maxErrorRate, 0.008);
    });

    it("fails the 0.2 % → 12.7 % canary and the decision rolls it back to 0 in the same update", async () => {
        const config = configFor("bad", prom?.url ?? "");
        const v = await analyzeService(config, provider(), AT);
        assert.equal(v.verdict, "fail", v.reason);
        assert.ok((v.measured.canaryErrorRate ?? 0) > 0.12);
        const started = decide(undefined, config, undefined, new Date(AT.getTime() - 3_600_000)).state;
        const d = decide(started, config, v, AT);
        assert.equal(d.action, "rollback");
        assert.equal(d.state.weight, 0);
        assert.equal(d.routing.canaryWeight, 0);
    });

    it("calls a low-traffic canary inconclusive", async () => {
        const v = await analyse("lowtraffic");
        assert.equal(v.verdict, "inconclusive", v.reason);
        assert.match(v.reason, /too little canary traffic/);
    });

    it("calls a canary without any series inconclusive, not pass", async () => {
        const v = await analyse("nodata");
        assert.equal(v.verdict, "inconclusive", v.reason);
        assert.equal(v.measured.canaryRequests, 0);
    });

    it("fails a slow canary on p95 and a restarting one on restarts", async () => {
        const slow = await analyse("slow");
        assert.equal(slow.verdict, "fail", slow.reason);
        assert.match(slow.reason, /p95/);
        const restarting = await analyse("restarting");
        assert.equal(restarting.verdict, "fail", restarting.reason);
        assert.match(restarting.reason, /restarts/);
    });

    it("fails a canary that is within the absolute gates but significantly worse than stable", async () => {
        const v = await analyse("subtle");
        assert.equal(v.verdict, "fail", v.reason);
        assert.ok((v.measured.canaryErrorRate ?? 1) < 0.008);
        assert.ok((v.measured.errorRateDelta ?? 1) < 0.003);
        assert.match(v.reason, /comparison/);
    });

    it("analyses every service with a single HTTP round trip", async () => {
        const p = provider();
        const services = ["healthy", "bad", "lowtraffic", "nodata", "slow", "restarting", "subtle"];
        const verdicts = await analyzeServices(services.map((s) => configFor(s, prom?.url ?? "")), p, AT);
        assert.equal(p.roundTrips, 1);
        assert.deepEqual(
            services.map((s) => verdicts.get(s)?.verdict),
            ["pass", "fail", "inconclusive", "inconclusive", "fail", "fail", "fail"],
        );
    });
});
