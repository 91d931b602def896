import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
    type AnalysisVerdict,
    decide,
    HISTORY_LIMIT,
    NOTHING_MEASURED,
    type ProgressionConfig,
    type ProgressionState,
    parseProgressionConfig,
    parseState,
    type VerdictKind,
} from "../../progression/internal";

const T0 = Date.UTC(2025, 2, 3, 9, 0);

interface Event {
    readonly verdict: VerdictKind | undefined;
    readonly advanceMs: number;
    readonly newVersion: boolean;
    readonly pause: boolean;
    readonly abort: boolean;
    readonly promote: boolean;
    readonly skipAnalysis: boolean;
    /** The config's stableImage: left at the first image (stale after a promotion), updated, or a new one. */
    readonly stableConfig: "stale" | "updated" | "new";
    readonly acknowledgeDowngrade: boolean;
}

/** What the test knows of stable, independently of the code under test. */
interface StableModel {
    inForce: string;
    former: Set<string>;
    hotfixes: number;
}

const rare = (p: number) => fc.integer({ min: 0, max: 999 }).map((n) => n < p * 1000);

const eventArb: fc.Arbitrary<Event> = fc.record({
    verdict: fc.constantFrom<VerdictKind | undefined>("pass", "pass", "pass", "fail", "inconclusive", "error", undefined),
    advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 90 * 60_000 })),
    newVersion: rare(0.05),
    pause: rare(0.08),
    abort: rare(0.03),
    promote: rare(0.03),
    skipAnalysis: rare(0.1),
    stableConfig: fc.constantFrom<"stale" | "updated" | "new">("stale", "stale", "updated", "updated", "updated", "new"),
    acknowledgeDowngrade: rare(0.1),
});

const stepsArb = fc.oneof(
    fc.constant([5, 10, 25, 50, 100]),
    fc.constant([1, 5, 25, 50, 100]),
    fc.constant([100]),
    fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 6 }).map((ws) => [...ws.sort((a, b) => a - b), 100]),
);

const scenarioArb = fc.record({
    steps: stepsArb,
    failuresBeforeRollback: fc.integer({ min: 1, max: 3 }),
    errorsBeforeFail: fc.integer({ min: 1, max: 4 }),
    inconclusiveBeforeFail: fc.integer({ min: 1, max: 6 }),
    minIntervalMin: fc.integer({ min: 0, max: 60 }),
    dev: fc.boolean(),
    events: fc.array(eventArb, { minLength: 1, maxLength: 40 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

const FIRST_STABLE = "app:1.0.0";

function stableConfigOf(e: Event, model: StableModel): string {
    if (e.stableConfig === "stale") return FIRST_STABLE;
    if (e.stableConfig === "updated") return model.inForce;
    return `app:3.0.${model.hotfixes + 1}`;
}

function configFor(s: Scenario, e: Event, version: number, stableImage = FIRST_STABLE): ProgressionConfig {
    return parseProgressionConfig({
        service: "checkout",
        environment: s.dev ? "dev" : "prod",
        stableImage,
        canaryImage: `app:2.0.${version}`,
        steps: s.steps,
        minIntervalBetweenSteps: `${s.minIntervalMin}m`,
        analysis: { prometheusUrl: "http://prom:9090" },
        // The model does not follow the clock of release windows, cadence and time at a step: their own tests do.
        releaseWindow: { enforce: false },
        cadence: { enforce: false },
        semantics: {
            maxTimeAtStep: "1000d",
            failuresBeforeRollback: s.failuresBeforeRollback,
            errorsBeforeFail: s.errorsBeforeFail,
            inconclusiveBeforeFail: s.inconclusiveBeforeFail,
        },
        // abort and promote are mutually exclusive in the schema
        controls: {
            pause: e.pause,
            abort: e.abort,
            promote: e.promote && !e.abort,
            skipAnalysis: s.dev && e.skipAnalysis,
            acknowledgeDowngrade: e.acknowledgeDowngrade,
        },
    });
}

function verdict(kind: VerdictKind, config: ProgressionConfig): AnalysisVerdict {
    return {
        kind,
        reason: kind,
        measured: NOTHING_MEASURED,
        thresholds: config.analysis.thresholds,
        checks: [],
        evaluatedAt: new Date(T0).toISOString(),
    };
}

function deepFreeze<T>(o: T): T {
    if (o !== null && typeof o === "object") {
        Object.freeze(o);
        for (const v of Object.values(o)) deepFreeze(v);
    }
    return o;
}

function checkStep(
    prev: ProgressionState | undefined,
    config: ProgressionConfig,
    e: Event,
    now: Date,
    model: StableModel = { inForce: config.stableImage, former: new Set(), hotfixes: 0 },
): ProgressionState {
    const v = e.verdict === undefined ? undefined : verdict(e.verdict, config);
    if (prev) deepFreeze(prev); // decide must not mutate its input
    const d = decide(prev, config, v, now);
    assert.deepEqual(decide(prev, config, v, now), d, "decide is deterministic");
    const s = d.state;

    // Stable: the promoted image stays until the config names another on purpose; an older one is refused
    // unless acknowledged; a promotion makes the canary stable. Never a silent downgrade.
    const wanted = config.stableImage;
    if (prev === undefined) model.inForce = wanted; // the first update takes the configured stable as it is
    const older = wanted !== model.inForce && model.former.has(wanted);
    if (older && config.canaryImage !== model.inForce && !config.controls.acknowledgeDowngrade) {
        assert.ok(d.refusal !== undefined, `a downgrade of stable from ${model.inForce} to ${wanted} must be refused`);
        assert.equal(d.action, "none");
        assert.equal(d.routing.stableImage, model.inForce);
        if (prev) assert.deepEqual(s, prev, "a refused decision changes nothing");
        return prev ?? s;
    }
    assert.equal(d.refusal, undefined, d.refusal);
    const before = older && config.canaryImage === model.inForce ? model.inForce : wanted;
    const after = d.action === "promote" ? config.canaryImage : before;
    assert.equal(d.routing.stableImage, after, "stable after the decision");
    assert.equal(s.stableImage, after);
    for (const next of [before, after]) {
        if (next === model.inForce) continue;
        model.former.add(model.inForce);
        model.inForce = next;
    }
    model.former.delete(model.inForce);
    config = { ...config, stableImage: before };
    const steps = config.steps;
    const last = steps.length - 1;
    const c = config.controls;

    // The state is valid, serialisable JSON that reads back identically.
    const back = parseState(JSON.parse(JSON.stringify(s)));
    assert.equal(back.warning, undefined, back.warning);
    assert.deepEqual(back.state, s);
    assert.ok(s.history.length <= HISTORY_LIMIT);
    assert.equal(s.canaryImage, config.canaryImage);

    // Weight is always 0 or a configured step, never above the last; stepIndex agrees with it.
    assert.ok(s.weight === 0 || steps.includes(s.weight), `weight ${s.weight} not in ${steps}`);
    assert.ok(s.weight <= 100);
    if (s.stepIndex >= 0) assert.equal(steps[s.stepIndex], s.weight);
    else assert.equal(s.weight, 0);
    if (s.status === "promoted") {
        assert.equal(s.weight, 100);
        assert.deepEqual(d.routing, { stableImage: after, canaryImage: s.canaryImage, canaryWeight: 0 });
    } else {
        assert.equal(d.routing.canaryWeight, s.weight);
    }

    // Rollback always lands at 0, with a terminal status.
    if (d.action === "rollback") assert.ok(s.weight === 0 && (s.status === "rolledBack" || s.status === "failed"));
    if (s.status === "rolledBack" || s.status === "failed") assert.equal(s.weight, 0);

    const newRollout = prev === undefined || prev.canaryImage !== config.canaryImage;
    if (newRollout) {
        if (config.canaryImage !== config.stableImage && !c.abort && !c.promote && !c.pause) {
            assert.equal(d.action, "start");
            assert.equal(s.weight, steps[0]);
            assert.equal(s.stepIndex, 0);
        }
        return s;
    }

    // Terminal rollouts never move until the version changes.
    if (prev.status === "promoted" || prev.status === "rolledBack" || prev.status === "failed") {
        assert.equal(d.action, "none");
        const { stableImage: _a, formerStableImages: _b, ...rest } = s;
        const { stableImage: _c, formerStableImages: _d, ...prevRest } = prev;
        assert.deepEqual(rest, prevRest);
        return s;
    }

    if (c.abort) {
        assert.equal(d.action, "rollback");
        assert.equal(s.weight, 0);
        return s;
    }
    if (c.promote) {
        assert.equal(s.status, "promoted");
        return s;
    }
    if (c.pause) {
        assert.equal(d.action, "pause");
        assert.equal(s.status, "paused");
        assert.ok(s.weight <= prev.weight);
        return s;
    }

    // Automatic progression: never skips a step, never rises without a pass (or a dev skip), never early.
    const prevIndex = steps[prev.stepIndex] === prev.weight ? prev.stepIndex : steps.filter((w) => w <= prev.weight).length - 1;
    if (s.weight > prev.weight) {
        if (prev.weight === 0) {
            assert.equal(d.action, "start");
            assert.equal(s.weight, steps[0]);
        } else {
            assert.ok(d.action === "advance" || d.action === "promote", d.action);
            assert.equal(s.stepIndex, Math.max(prevIndex, 0) + 1, "exactly one step");
            assert.ok(e.verdict === "pass" || c.skipAnalysis, `rose on ${e.verdict}`);
            assert.ok(now.getTime() - Date.parse(prev.lastTransitionAt) >= config.minIntervalBetweenSteps, "rose before the interval");
            assert.equal(s.status, s.stepIndex === last ? "promoted" : "progressing");
        }
    }
    const effective = c.skipAnalysis ? "pass" : e.verdict;
    if (prev.status === "progressing") {
        if (effective === "fail") {
            assert.ok(d.action === "rollback" || d.action === "hold");
            assert.equal(d.action === "rollback", prev.consecutiveFailures + 1 >= config.semantics.failuresBeforeRollback);
            if (d.action === "rollback") assert.equal(s.status, "rolledBack");
        }
        if (effective === "error") {
            assert.equal(d.action === "rollback", prev.consecutiveErrors + 1 >= config.semantics.errorsBeforeFail);
            if (d.action === "rollback") assert.equal(s.status, "failed");
            else assert.equal(d.action, "hold");
        }
        if (effective === "inconclusive") {
            assert.equal(d.action === "rollback", prev.consecutiveInconclusive + 1 >= config.semantics.inconclusiveBeforeFail);
            if (d.action === "rollback") assert.equal(s.status, "failed");
            else assert.equal(d.action, "hold");
        }
        if (effective === undefined) assert.equal(d.action, "hold");
        if (effective !== "pass") assert.ok(s.weight <= prev.weight, "never advances on anything but pass");
    }
    return s;
}

describe("decide (properties over random rollouts)", () => {
    it("keeps every invariant over thousands of random sequences", function () {
        // 3000 sequences of up to a few dozen parsed configs and decisions: about 15 s on a loaded 2-core machine.
        this.timeout(240_000);
        fc.assert(
            fc.property(scenarioArb, (scenario) => {
                let state: ProgressionState | undefined;
                let version = 0;
                let time = T0;
                const model: StableModel = { inForce: FIRST_STABLE, former: new Set(), hotfixes: 0 };
                for (const e of scenario.events) {
                    time += e.advanceMs;
                    if (e.newVersion) version++;
                    const stable = stableConfigOf(e, model);
                    if (e.stableConfig === "new") model.hotfixes++;
                    state = checkStep(state, configFor(scenario, e, version, stable), e, new Date(time), model);
                }
            }),
            { numRuns: 3000 },
        );
    });

    it("always promotes a steadily passing canary in exactly steps−1 advances", () => {
        fc.assert(
            fc.property(stepsArb, fc.integer({ min: 0, max: 60 }), (steps, minutes) => {
                const cfg = parseProgressionConfig({
                    service: "svc",
                    environment: "prod",
                    stableImage: "app:1",
                    canaryImage: "app:2",
                    steps,
                    minIntervalBetweenSteps: `${minutes}m`,
                    analysis: { prometheusUrl: "http://prom:9090" },
                    releaseWindow: { enforce: false },
                });
                let s = decide(undefined, cfg, undefined, new Date(T0)).state;
                let moves = 0;
                for (let i = 1; i <= steps.length + 2; i++) {
                    const d = decide(s, cfg, verdict("pass", cfg), new Date(T0 + i * minutes * 60_000));
                    if (d.action === "advance" || d.action === "promote") moves++;
                    s = d.state;
                }
                assert.equal(s.status, "promoted");
                assert.equal(moves, steps.length - 1 === 0 ? 1 : steps.length - 1);
            }),
        );
    });
});
