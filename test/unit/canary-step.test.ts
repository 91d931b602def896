/**
 * decideCanaryStep on Pulumi's mock runtime: what a user's own program gets (the inputs of its components, the state
 * to export) and what the policy pack gets (the CanaryRelease record, registered before the call returns).
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../../components/common/validation";
import type { MetricsProvider } from "../../progression";
import { CANARY_RELEASE_TYPE, parseCanaryRelease } from "../../progression/record";
import {
    type CanaryStep,
    type CanaryStepArgs,
    decideCanaryStep,
    PROMOTIONS_OUTPUT,
    RELEASES_OUTPUT,
    releaseOutputs,
    STARTS_OUTPUT,
    STATE_OUTPUT,
} from "../../stacks/canary-step";
import { answerFor, servicesOf } from "../support/fake-metrics";
import { installMocks } from "../support/pulumi-mocks";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
/** The outputs the mock stack reference of this stack returns (what the "previous update" exported). */
let selfOutputs: Record<string, unknown> = {};

const NOW = new Date("2026-03-04T10:00:00Z");
const progression = {
    service: "checkout",
    environment: "prod",
    stableImage: "registry.example.com/shop/checkout:1.4.0",
    canaryImage: "registry.example.com/shop/checkout:1.5.0",
    analysis: { prometheusUrl: "http://thanos-query.monitoring.svc:10902" },
    releaseWindow: { enforce: false },
} satisfies CanaryStepArgs["progression"];

/** Answers every batched query with healthy measurements, and counts the queries. */
function healthyMetrics(): MetricsProvider & { queries: number } {
    const provider = {
        queries: 0,
        async query(promql: string, time: Date) {
            provider.queries++;
            const services = Object.fromEntries(servicesOf(promql).map((s) => [s, { values: {} }]));
            const body = answerFor(services, time.getTime() / 1000) as {
                data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
            };
            return {
                ok: true as const,
                samples: body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]), timestamp: r.value[0] * 1000 })),
            };
        },
    };
    return provider;
}

/** A metrics source that must not be asked (a decision that needs no verdict). */
const unasked: MetricsProvider = {
    query: async () => assert.fail("no analysis was expected"),
};

const records = () => registered.filter((r) => r.type === CANARY_RELEASE_TYPE);

describe("decideCanaryStep (gray-release/canary-step)", () => {
    // Its own mocks (a StackReference answering with this stack's outputs), for this file only: the other files'
    // installMocks() is put back afterwards.
    before(() => {
        pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                    if (args.type === "pulumi:pulumi:StackReference") {
                        return { id: args.name, state: { name: args.name, outputs: selfOutputs, secretOutputNames: [] } };
                    }
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: (args) => args.inputs,
            },
            "shop",
            "prod",
            false,
            "organization",
        );
    });
    beforeEach(() => {
        registered.length = 0;
    });
    after(() => installMocks());
    let first: CanaryStep;

    it("starts a new canary at the first step and registers its CanaryRelease record before returning", async () => {
        first = await decideCanaryStep("checkout", {
            progression,
            namespace: "shop-gray",
            release: { owner: "team-checkout", riskAssessment: "https://wiki.example.com/checkout-1.5" },
            previous: {},
            metrics: unasked,
            now: NOW,
        });
        assert.equal(first.decision.action, "start");
        assert.deepEqual(first.routing, { canaryWeight: 5, canaryAvailable: true });
        assert.deepEqual(first.workload, {
            stableImage: progression.stableImage,
            canaryImage: progression.canaryImage,
            stableVersionLabel: "1.4.0",
            canaryVersionLabel: "1.5.0",
            canaryWeight: 5,
        });
        assert.deepEqual(first.sloCanary, { stableVersionLabel: "1.4.0", canaryVersionLabel: "1.5.0" });
        assert.equal(first.state.weight, 5);
        assert.deepEqual(first.starts, [NOW.toISOString()]);
        assert.equal(first.summary.action, "start");

        const [record] = records();
        assert.ok(record, "the record is registered by the time the call resolves");
        assert.equal(record.name, "checkout");
        const parsed = parseCanaryRelease(record.inputs);
        assert.ok(parsed.ok, JSON.stringify(parsed));
        assert.deepEqual(
            { ...parsed.value },
            {
                service: "checkout",
                namespace: "shop-gray",
                environment: "prod",
                canaryImage: progression.canaryImage,
                stableImage: progression.stableImage,
                previousWeight: 0,
                weight: 5,
                stepIndex: 0,
                steps: [5, 10, 25, 50, 100],
                status: "progressing",
                verdict: "none",
                skipAnalysis: false,
                action: "start",
                evaluatedAt: NOW.toISOString(),
                owner: "team-checkout",
                riskAssessment: "https://wiki.example.com/checkout-1.5",
                core: false,
                recentStarts: [],
                previousStableImage: progression.stableImage,
                formerStableImages: [],
            },
        );
    });

    it("advances on a passing analysis from the state it exported, and records the verdict", async () => {
        const later = new Date(NOW.getTime() + 31 * 60 * 1000);
        const metrics = healthyMetrics();
        const step = await decideCanaryStep("checkout", {
            progression,
            namespace: "shop-gray",
            previous: { state: JSON.stringify(first.state), starts: first.starts },
            metrics,
            now: later,
        });
        assert.ok(metrics.queries > 0, "the analysis ran");
        assert.equal(step.decision.action, "advance", step.decision.reason);
        assert.equal(step.verdict?.kind, "pass");
        assert.deepEqual(step.routing, { canaryWeight: 10, canaryAvailable: true });
        const rec = parseCanaryRelease(records()[0]!.inputs);
        assert.ok(rec.ok);
        assert.equal(rec.value.previousWeight, 5);
        assert.equal(rec.value.weight, 10);
        assert.equal(rec.value.verdict, "pass");
        assert.deepEqual(rec.value.recentStarts, [NOW.toISOString()], "the earlier start, for the cadence rule");
    });

    it("reads the previous state from this stack's own outputs by default, through one StackReference", async () => {
        selfOutputs = releaseOutputs([first]) as unknown as Record<string, unknown>;
        const common = { namespace: "shop-gray", metrics: unasked, now: new Date(NOW.getTime() + 60_000) };
        const a = await decideCanaryStep("checkout", { ...common, progression: { ...progression, controls: { pause: true } } });
        const b = await decideCanaryStep("payments", { ...common, progression: { ...progression, service: "payments" } });
        assert.equal(a.previousState?.weight, first.state.weight, "checkout continues from its exported state");
        assert.equal(a.decision.action, "pause");
        assert.equal(b.previousState, undefined, "payments had none");
        assert.equal(b.decision.action, "start");
        assert.equal(registered.filter((r) => r.type === "pulumi:pulumi:StackReference").length, 1, "one read for both services");
        assert.deepEqual(
            records().map((r) => r.name),
            ["checkout", "payments"],
        );
    });

    it("a flag rollout is a step of its own: kept under <service>/flag/<key>, its share shaping the flags", async () => {
        const { stableImage: _s, canaryImage: _c, ...rest } = progression;
        const flagProgression = { ...rest, steps: [1, 5, 25, 50, 100], flag: { key: "new-pricing", variant: "on", defaultVariant: "off" } };
        const flags = [{ key: "new-pricing", variants: { on: true, off: false }, defaultVariant: "off" }];
        const common = { namespace: "shop-gray", release: { owner: "team-checkout", riskAssessment: "https://wiki.example.com/r" } };
        const start = await decideCanaryStep("checkout/flag/new-pricing", {
            ...common,
            progression: flagProgression,
            previous: {},
            metrics: unasked,
            now: NOW,
        });
        assert.equal(start.service, "checkout/flag/new-pricing");
        assert.deepEqual([start.decision.action, start.state.weight, start.state.canaryImage], ["start", 1, "flag:new-pricing=on@1"]);
        assert.deepEqual(start.flags(flags)[0]?.targeting.fraction, { variant: "on", percent: 1 });
        const rec = parseCanaryRelease(records()[0]!.inputs);
        assert.ok(rec.ok);
        assert.deepEqual(rec.value.flag, { key: "new-pricing", variant: "on", defaultVariant: "off", revision: "1" });

        // Exported under its own key, beside the service's image canary.
        const outputs = releaseOutputs([first, start]);
        assert.deepEqual(Object.keys(outputs[STATE_OUTPUT]), ["checkout", "checkout/flag/new-pricing"]);
        const next = await decideCanaryStep("checkout/flag/new-pricing", {
            ...common,
            progression: flagProgression,
            previous: { state: outputs[STATE_OUTPUT]["checkout/flag/new-pricing"], starts: outputs[STARTS_OUTPUT]["checkout/flag/new-pricing"] },
            metrics: healthyMetrics(),
            now: new Date(NOW.getTime() + 31 * 60 * 1000),
        });
        assert.equal(next.previousState?.weight, 1);
        assert.equal(next.decision.action, "advance", next.decision.reason);
        assert.deepEqual(next.flags(flags)[0]?.targeting.fraction, { variant: "on", percent: 5 });
        assert.throws(
            () => next.flags([{ ...flags[0]!, defaultVariant: "maybe" }]),
            /flags: invalid input\n {2}- \[0\]\.defaultVariant = "maybe": must be one of/,
        );
    });

    it("refuses bad args with their key paths before registering anything", async () => {
        await assert.rejects(
            decideCanaryStep("checkout", {
                progression: { ...progression, analysis: { prometheusUrl: "thanos:10902" }, steps: [50, 10] },
                namespace: "Shop_Gray",
                release: { owner: "" },
                previous: {},
            }),
            (e: unknown) => {
                assert.ok(e instanceof InvalidArgsError);
                const paths = e.problems.map((p) => p.path);
                for (const p of ["progression.analysis.prometheusUrl", "progression.steps", "namespace", "release.owner"])
                    assert.ok(paths.includes(p), `${p} in ${paths}`);
                assert.match(e.message, /^CanaryStep "checkout": invalid input/);
                return true;
            },
        );
        assert.deepEqual(registered, []);
    });

    it("refuses a configured stable downgrade as progression.stableImage, with no record", async () => {
        const promotedState = {
            ...first.state,
            status: "promoted",
            weight: 100,
            stepIndex: 4,
            stableImage: progression.canaryImage,
            formerStableImages: [progression.stableImage],
        };
        await assert.rejects(
            decideCanaryStep("checkout", {
                progression: { ...progression, canaryImage: "registry.example.com/shop/checkout:1.6.0" },
                namespace: "shop-gray",
                previous: { state: promotedState },
                metrics: unasked,
                now: NOW,
            }),
            (e: unknown) => e instanceof InvalidArgsError && e.problems[0]?.path === "progression.stableImage",
        );
        assert.deepEqual(records(), []);
    });

    it("releaseOutputs: the outputs the next update reads, one entry per service, a service listed twice refused", () => {
        const out = releaseOutputs([first]);
        assert.deepEqual(Object.keys(out).sort(), [PROMOTIONS_OUTPUT, RELEASES_OUTPUT, STARTS_OUTPUT, STATE_OUTPUT].sort());
        assert.equal(out[STATE_OUTPUT]["checkout"], first.state);
        assert.deepEqual(out[STARTS_OUTPUT]["checkout"], first.starts);
        assert.throws(() => releaseOutputs([first, first]), /"checkout" is listed twice/);
    });
});
