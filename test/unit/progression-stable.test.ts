import { strict as assert } from "node:assert";
import { decide, type ProgressionState, parseProgressionConfig, parseState, resolveStableImage } from "../../progression";
import { verdictOf } from "../support/decisions";

const T0 = Date.UTC(2026, 2, 3, 9, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const IMG = (v: string) => `registry.example.com/shop/checkout:${v}`;

function config(stable: string, canary: string, acknowledgeDowngrade = false) {
    return parseProgressionConfig({
        service: "checkout",
        environment: "prod",
        stableImage: IMG(stable),
        canaryImage: IMG(canary),
        steps: [50, 100],
        minIntervalBetweenSteps: "0s",
        analysis: { prometheusUrl: "http://prom:9090" },
        controls: { acknowledgeDowngrade },
        releaseWindow: { enforce: false },
    });
}

/** checkout 1.5.0 promoted over 1.4.0, as in the issue. */
function promoted150(): ProgressionState {
    const c = config("1.4.0", "1.5.0");
    const started = decide(undefined, c, undefined, at(0));
    const done = decide(started.state, c, verdictOf("pass", c), at(1));
    assert.equal(done.action, "promote");
    assert.equal(done.routing.stableImage, IMG("1.5.0"));
    return done.state;
}

describe("stable image after a promotion (no silent downgrade)", () => {
    it("records the promoted image as stable and the replaced one as former", () => {
        const s = promoted150();
        assert.equal(s.stableImage, IMG("1.5.0"));
        assert.deepEqual(s.formerStableImages, [IMG("1.4.0")]);
    });

    it("keeps the promoted image while the config still describes the finished release", () => {
        const d = decide(promoted150(), config("1.4.0", "1.5.0"), undefined, at(2));
        assert.equal(d.action, "none");
        assert.equal(d.refusal, undefined);
        assert.equal(d.routing.stableImage, IMG("1.5.0"));
        assert.match(d.stableNote ?? "", /stableImage still names .*1\.4\.0; stable runs .*1\.5\.0/);
    });

    it("refuses a new canary against the pre-promotion stable, saying what runs and how to fix it", () => {
        const prev = promoted150();
        const d = decide(prev, config("1.4.0", "1.6.0"), undefined, at(2));
        assert.equal(d.action, "none");
        assert.deepEqual(d.state, prev, "nothing changes");
        assert.equal(d.routing.stableImage, IMG("1.5.0"));
        assert.equal(d.routing.canaryWeight, 0);
        assert.match(d.refusal ?? "", /stable runs registry\.example\.com\/shop\/checkout:1\.5\.0/);
        assert.match(d.refusal ?? "", /Set stableImage to "registry\.example\.com\/shop\/checkout:1\.5\.0"/);
        assert.match(d.refusal ?? "", /progression\.controls\.acknowledgeDowngrade: true/);
    });

    it("starts the new canary against the promoted stable once the config names it", () => {
        const d = decide(promoted150(), config("1.5.0", "1.6.0"), undefined, at(2));
        assert.equal(d.action, "start");
        assert.equal(d.routing.stableImage, IMG("1.5.0"));
        assert.equal(d.state.stableImage, IMG("1.5.0"));
    });

    it("downgrades only when acknowledged, and remembers what it replaced", () => {
        const d = decide(promoted150(), config("1.4.0", "1.6.0", true), undefined, at(2));
        assert.equal(d.refusal, undefined);
        assert.equal(d.routing.stableImage, IMG("1.4.0"));
        assert.deepEqual(d.state.formerStableImages, [IMG("1.5.0")]);
        assert.match(d.stableNote ?? "", /downgraded from .*1\.5\.0 to .*1\.4\.0/);
    });

    it("takes an image never run as stable as a deliberate change", () => {
        const r = resolveStableImage(promoted150(), { stableImage: IMG("1.5.1"), canaryImage: IMG("1.6.0"), acknowledgeDowngrade: false });
        assert.equal(r.refusal, undefined);
        assert.equal(r.stableImage, IMG("1.5.1"));
        assert.deepEqual(r.formerStableImages, [IMG("1.4.0"), IMG("1.5.0")]);
    });

    it("reads a promoted state written before stableImage was recorded", () => {
        const { stableImage: _s, formerStableImages: _f, ...old } = promoted150();
        const r = resolveStableImage(old as ProgressionState, { stableImage: IMG("1.4.0"), canaryImage: IMG("1.6.0"), acknowledgeDowngrade: false });
        assert.equal(r.stableImage, IMG("1.5.0"));
        assert.match(r.refusal ?? "", /stable runs .*1\.5\.0/);
    });

    it("reads a state written before canaryVersion was renamed canaryImage, so an upgrade keeps the rollout", () => {
        const { canaryImage, ...rest } = promoted150();
        const read = parseState(JSON.stringify({ ...rest, canaryVersion: canaryImage }));
        assert.equal(read.warning, undefined);
        assert.equal(read.state?.canaryImage, IMG("1.5.0"));
        assert.equal(read.state?.status, "promoted");
    });
});
