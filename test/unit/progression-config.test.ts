import { strict as assert } from "node:assert";
import fc from "fast-check";
import { InvalidArgsError } from "../../components/common/validation";
import {
    defaultVersionLabel,
    isPinnedImage,
    parseDuration,
    parseProgressionConfig,
    resolveSteps,
    toPromQLRange,
    versionLabels,
} from "../../progression/internal";

const minimal = {
    service: "checkout",
    environment: "prod",
    stableImage: "ghcr.io/acme/checkout:1.0.0",
    canaryImage: "ghcr.io/acme/checkout:1.1.0",
    analysis: { prometheusUrl: "http://prometheus:9090" },
};

function problemsOf(input: unknown): string[] {
    try {
        parseProgressionConfig(input);
    } catch (err) {
        assert.ok(err instanceof InvalidArgsError);
        return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
}

describe("parseDuration", () => {
    it("parses single and compound durations", () => {
        assert.equal(parseDuration("30m"), 1_800_000);
        assert.equal(parseDuration("5m"), 300_000);
        assert.equal(parseDuration("45s"), 45_000);
        assert.equal(parseDuration("1h30m"), 5_400_000);
        assert.equal(parseDuration("500ms"), 500);
        assert.equal(parseDuration("2d"), 172_800_000);
        assert.equal(parseDuration("1w"), 604_800_000);
        assert.equal(parseDuration("0s"), 0);
    });
    it("rejects malformed durations", () => {
        for (const bad of ["", "30", "m", "-5m", "1.5h", "5 m", "30m1h", "1m1m", "5x", " 5m", "5M"]) {
            assert.equal(parseDuration(bad), undefined, bad);
        }
    });
    it("round-trips every well-formed h/m/s combination", () => {
        fc.assert(
            fc.property(fc.nat(48), fc.nat(59), fc.nat(59), (h, m, s) => {
                const text = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
                assert.equal(parseDuration(text), ((h * 60 + m) * 60 + s) * 1000);
            }),
        );
    });
    it("renders PromQL ranges in whole seconds, never shorter", () => {
        assert.equal(toPromQLRange(300_000), "300s");
        assert.equal(toPromQLRange(1500), "2s");
        assert.equal(toPromQLRange(0), "1s");
    });
});

describe("isPinnedImage", () => {
    it("accepts tags other than latest and digests", () => {
        for (const ok of [
            "app:1.2.3",
            "ghcr.io/acme/app:v2",
            "localhost:5000/app:1",
            `app@sha256:${"a".repeat(64)}`,
            `app:latest@sha256:${"b".repeat(64)}`,
        ]) {
            assert.ok(isPinnedImage(ok), ok);
        }
    });
    it("rejects latest, missing tags, registry ports mistaken for tags and malformed references", () => {
        for (const bad of ["app", "app:latest", "localhost:5000/app", "app:", "app@sha256:xyz", "", "app:1.0 ", ":1.0", "app:bad/tag"]) {
            assert.ok(!isPinnedImage(bad), bad);
        }
    });
    it("derives the Istio version label from the tag or the digest", () => {
        assert.equal(defaultVersionLabel("app:1.4.2"), "1.4.2");
        assert.equal(defaultVersionLabel(`app@sha256:${"0123456789ab".repeat(5)}abcd`), "0123456789ab");
    });
});

describe("resolveSteps", () => {
    it("keeps explicit lists and expands linear specs, ending at 100", () => {
        assert.deepEqual(resolveSteps([5, 10, 25, 50, 100]), [5, 10, 25, 50, 100]);
        assert.deepEqual(resolveSteps({ start: 5, increment: 5, max: 20 }), [5, 10, 15, 20, 100]);
        assert.deepEqual(resolveSteps({ start: 20, increment: 40, max: 100 }), [20, 60, 100]);
        assert.deepEqual(resolveSteps({ start: 50, increment: 50, max: 100 }), [50, 100]);
    });
    it("always yields a strictly increasing list ending at 100", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 100 }),
                fc.integer({ min: 1, max: 100 }),
                fc.integer({ min: 1, max: 100 }),
                (start, increment, extra) => {
                    const steps = resolveSteps({ start, increment, max: Math.min(100, start + extra) });
                    assert.equal(steps[steps.length - 1], 100);
                    for (const [i, w] of steps.entries()) if (i > 0) assert.ok(w > (steps[i - 1] ?? 0));
                },
            ),
        );
    });
});

describe("parseProgressionConfig", () => {
    it("applies the brief's defaults", () => {
        const c = parseProgressionConfig(minimal);
        assert.deepEqual(c.steps, [5, 10, 25, 50, 100]);
        assert.equal(c.minIntervalBetweenSteps, 30 * 60_000);
        assert.equal(c.analysis.window, 5 * 60_000);
        assert.equal(c.analysis.thresholds.maxErrorRate, 0.008);
        assert.equal(c.analysis.thresholds.maxP95Ms, 200);
        assert.equal(c.analysis.thresholds.maxErrorRateDelta, 0.003);
        assert.equal(c.analysis.statisticalTest.confidence, 0.99);
        assert.equal(c.semantics.failuresBeforeRollback, 1);
        assert.equal(c.semantics.errorsBeforeFail, 3);
        assert.equal(c.semantics.onInconclusive, "hold");
        assert.deepEqual(c.controls, { pause: false, abort: false, promote: false, skipAnalysis: false, acknowledgeDowngrade: false });
        assert.deepEqual(versionLabels(c), { canary: "1.1.0", stable: "1.0.0" });
    });

    it("defaults what the gate trusts: a 30 m pass window, 1 m sample age, a required baseline", () => {
        const a = parseProgressionConfig(minimal).analysis;
        assert.equal(a.passWindow, 30 * 60_000);
        assert.equal(a.maxSampleAge, 60_000);
        assert.equal(a.baseline, "required");
        assert.equal(a.selectors.replicasMetric, "kube_deployment_status_replicas_available");
        assert.equal(a.selectors.stableReplicas, undefined);
        const custom = parseProgressionConfig({
            ...minimal,
            analysis: { ...minimal.analysis, passWindow: "1h", maxSampleAge: "45s", baseline: "optional" },
        }).analysis;
        assert.deepEqual([custom.passWindow, custom.maxSampleAge, custom.baseline], [3_600_000, 45_000, "optional"]);
    });

    it("rejects a pass window shorter than the window, a bad sample age and an unknown baseline mode", () => {
        const problems = problemsOf({ ...minimal, analysis: { ...minimal.analysis, window: "10m", passWindow: "5m" } }).join("\n");
        assert.match(problems, /^analysis\.passWindow: .*passWindow \(300s\) must be at least window \(600s\)/m);
        assert.ok(
            problemsOf({ ...minimal, analysis: { ...minimal.analysis, maxSampleAge: "soon" } }).some((p) => p.startsWith("analysis.maxSampleAge")),
        );
        assert.ok(
            problemsOf({ ...minimal, analysis: { ...minimal.analysis, baseline: "sometimes" } }).some((p) => p.startsWith("analysis.baseline")),
        );
    });

    it("accepts a linear step spec", () => {
        assert.deepEqual(parseProgressionConfig({ ...minimal, steps: { start: 5, increment: 5, max: 15 } }).steps, [5, 10, 15, 100]);
    });

    it("names every bad key and value", () => {
        const problems = problemsOf({
            ...minimal,
            canaryImage: "app:latest",
            stableImage: "app",
            steps: [5, 5, 50],
            minIntervalBetweenSteps: "half an hour",
            analysis: { prometheusUrl: "not a url", window: "5", thresholds: { maxErrorRate: 2 } },
        });
        const joined = problems.join("\n");
        for (const path of [
            "canaryImage",
            "stableImage",
            "steps",
            "minIntervalBetweenSteps",
            "analysis.prometheusUrl",
            "analysis.window",
            "analysis.thresholds.maxErrorRate",
        ]) {
            assert.match(joined, new RegExp(`^${path.replace(/\./g, "\\.")}: `, "m"), `${path} in\n${joined}`);
        }
        assert.match(joined, /must be pinned/);
        assert.match(joined, /strictly increase/);
        assert.match(joined, /last weight must be 100/);
    });

    it("allows skipAnalysis only in dev", () => {
        assert.equal(parseProgressionConfig({ ...minimal, environment: "dev", controls: { skipAnalysis: true } }).controls.skipAnalysis, true);
        assert.throws(
            () => parseProgressionConfig({ ...minimal, environment: "prod", controls: { skipAnalysis: true } }),
            (err: unknown) =>
                err instanceof InvalidArgsError && /controls\.skipAnalysis = true: .*only allowed when environment is "dev"/.test(err.message),
        );
    });

    it("rejects abort together with promote, and unknown keys", () => {
        assert.ok(problemsOf({ ...minimal, controls: { abort: true, promote: true } }).some((p) => p.startsWith("controls.promote")));
        assert.ok(problemsOf({ ...minimal, stepz: [5, 100] }).some((p) => /stepz/.test(p)));
    });

    it("rejects linear specs whose max is below start", () => {
        assert.ok(problemsOf({ ...minimal, steps: { start: 50, increment: 5, max: 10 } }).some((p) => p.startsWith("steps")));
    });
});
