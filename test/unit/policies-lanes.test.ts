/**
 * The pack's lane and reachability rules, on the VirtualServices and DestinationRules CanaryRouting really renders:
 * every lane of the stack is routed by every service, and no route leads to a subset whose Deployments are at zero.
 */
import { strict as assert } from "node:assert";
import { buildDestinationRule, buildVirtualService, type CanaryRoutingArgs, resolveCanaryRoutingArgs } from "../../components/canary-routing";
import { T } from "../../policies/contracts";
import { type ResourceSpec, runStack } from "../support/policy-harness";

const LANES = [{ name: "gray" }, { name: "blue" }];

function routing(service: string, over: Partial<CanaryRoutingArgs> = {}): ResourceSpec[] {
    const a = resolveCanaryRoutingArgs({ service, namespace: "shop", canaryWeight: 5, ...over });
    const vs = buildVirtualService(a);
    const dr = buildDestinationRule(a);
    return [
        {
            type: T.virtualService,
            name: `${service}-vs`,
            stack: "prod",
            props: { apiVersion: vs.apiVersion, kind: vs.kind, metadata: vs.metadata, spec: vs.spec },
        },
        { type: T.destinationRule, name: `${service}-dr`, stack: "prod", props: { ...dr } },
    ];
}

/** The Service and the two Deployments of a service, labelled as CanaryWorkload labels them. */
function pods(service: string, canaryReplicas: number): ResourceSpec[] {
    const deployment = (track: string, replicas: number): ResourceSpec => ({
        type: T.deployment,
        name: `${service}-${track}`,
        stack: "prod",
        props: {
            metadata: { name: `${service}-${track}`, namespace: "shop" },
            spec: { replicas, template: { metadata: { labels: { app: service, "gray-release.io/track": track } } } },
        },
    });
    return [
        {
            type: T.service,
            name: `${service}-svc`,
            stack: "prod",
            props: { metadata: { name: service, namespace: "shop" }, spec: { selector: { app: service } } },
        },
        deployment("stable", 3),
        deployment("canary", canaryReplicas),
    ];
}

// Both rules follow the pack's common levels (advisory in dev, mandatory in prod): prod here.
describe("policies: lanes-on-every-service and routes-reach-pods (stack)", () => {
    it("passes a stack whose services all route the stack's lanes", async () => {
        const specs = [
            ...routing("front", { lanes: { definitions: LANES } }),
            ...routing("cart", { lanes: { definitions: LANES, canaryIn: ["gray"] } }),
        ];
        assert.deepEqual((await runStack("lanes-on-every-service", specs)).violations, []);
    });

    it("names the service that lacks a lane the others route", async () => {
        const specs = [
            ...routing("front", { lanes: { definitions: [{ name: "gray" }] } }),
            ...routing("cart", { lanes: { definitions: LANES, canaryIn: ["gray"] } }),
        ];
        const { violations } = await runStack("lanes-on-every-service", specs);
        assert.equal(violations.length, 1, JSON.stringify(violations));
        assert.match(violations[0]!.message, /VirtualService front has no route for lane 'blue', which cart route/);
        assert.match(violations[0]!.message, /field spec\.http/);
    });

    it("refuses a lane route to a canary whose Deployment is at 0 replicas, and passes it with pods", async () => {
        // Routing that claims the canary has pods, while the workload has none: a program wired by hand.
        const lane = routing("cart", { canaryWeight: 0, lanes: { definitions: LANES, canaryIn: ["gray"] } });
        const refused = await runStack("routes-reach-pods", [...lane, ...pods("cart", 0)]);
        const messages = refused.violations.map((v) => v.message);
        assert.ok(
            messages.some((m) =>
                /route 'lane-gray' sends requests to subset 'canary' of cart\.shop\.svc\.cluster\.local, whose Deployment cart-canary has 0 replicas/.test(
                    m,
                ),
            ),
            messages.join("\n"),
        );
        assert.ok(
            messages.some((m) => /route 'canary-opt-in'/.test(m)),
            "the opt-in route too",
        );
        assert.ok(!messages.some((m) => /route 'weighted'/.test(m)), "a split share of 0 carries nothing");
        assert.deepEqual((await runStack("routes-reach-pods", [...lane, ...pods("cart", 1)])).violations, []);
    });

    it("passes what CanaryRouting renders once the canary has no pods (canaryAvailable: false)", async () => {
        const specs = [
            ...routing("cart", { canaryWeight: 0, canaryAvailable: false, lanes: { definitions: LANES, canaryIn: ["gray"] } }),
            ...pods("cart", 0),
        ];
        assert.deepEqual((await runStack("routes-reach-pods", specs)).violations, []);
    });
});
