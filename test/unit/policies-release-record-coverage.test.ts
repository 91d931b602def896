import { strict as assert } from "node:assert";
import { buildDestinationRule, buildVirtualService, resolveCanaryRoutingArgs } from "../../components/canary-routing";
import { T } from "../../policies/contracts";
import { serviceOfHost } from "../../policies/release-record-coverage";
import { type ResourceSpec, release, runBothStack, runStack, urnOf } from "../support/policy-harness";

const RULE = "canary-routing-has-release-record";
const VS_TYPE = "kubernetes:networking.istio.io/v1:VirtualService";

/** The VirtualService and DestinationRule CanaryRouting renders for these args, as the engine would show them. */
function routing(over: Record<string, unknown> = {}, stack = "prod"): ResourceSpec[] {
    const a = resolveCanaryRoutingArgs({ service: "checkout", namespace: "shop-gray", canaryWeight: 5, ...over });
    const vs = buildVirtualService(a);
    const dr = buildDestinationRule(a);
    return [
        {
            type: VS_TYPE,
            name: "checkout-virtual-service",
            stack,
            props: { apiVersion: vs.apiVersion, kind: vs.kind, metadata: vs.metadata, spec: vs.spec },
        },
        { type: "kubernetes:networking.istio.io/v1:DestinationRule", name: "checkout-destination-rule", stack, props: { ...dr } },
    ];
}

/** A CanaryRouting component as stack policies see it: its registered outputs. */
function component(canaryWeight: number, stack = "prod"): ResourceSpec {
    return {
        type: T.canaryRouting,
        name: "checkout",
        stack,
        props: {
            virtualServiceName: "checkout",
            destinationRuleName: "checkout",
            host: "checkout.shop-gray.svc.cluster.local",
            canaryWeight,
            stableWeight: 100 - canaryWeight,
        },
    };
}

const recordOf = (over: Record<string, unknown> = {}, stack = "prod") => release({ namespace: "shop-gray", ...over }, stack);

describe("policies: canary-routing-has-release-record (stack)", () => {
    it("refuses in prod a canary routed at 5 % by CanaryRouting with no CanaryRelease, once, naming the service and the call to use", async () => {
        const { mandatory, advisory } = await runBothStack(RULE, [component(5), ...routing()]);
        assert.equal(advisory.violations.length, 0);
        assert.equal(mandatory.violations.length, 1, JSON.stringify(mandatory.violations));
        const v = mandatory.violations[0]!;
        assert.equal(v.urn, urnOf(T.canaryRouting, "checkout", "prod"), "reported on the component the user wrote");
        assert.match(v.message, /^\[prod\] canary traffic of service 'checkout' \(namespace shop-gray\) is routed/);
        assert.match(v.message, /CanaryRouting checkout sends 5% to subset 'canary'/);
        assert.match(v.message, /VirtualService checkout route 'weighted' sends 5% to subset 'canary'/);
        assert.match(v.message, /no CanaryRelease record for 'checkout'/);
        assert.match(v.message, /field canaryWeight/);
        assert.match(v.message, /decideCanaryStep\("checkout", .*"gray-release\/canary-step"/);
    });

    it("passes the same routing with the service's record, valid or not (the validity rule reports a broken one)", async () => {
        assert.deepEqual((await runStack(RULE, [recordOf(), component(5), ...routing()])).violations, []);
        assert.deepEqual((await runStack(RULE, [recordOf({ weight: "5" }), ...routing()])).violations, []);
        assert.deepEqual((await runStack(RULE, [release({}, "prod"), ...routing()])).violations, [], "a record without a namespace covers it");
    });

    it("is not covered by another service's record or the same service's record of another namespace", async () => {
        for (const other of [recordOf({ service: "payments" }), recordOf({ namespace: "other-gray" })]) {
            const { violations } = await runStack(RULE, [other, ...routing()]);
            assert.equal(violations.length, 1, JSON.stringify(other.props));
        }
    });

    it("sees a raw VirtualService of any API version: a weighted split, or a catch-all route to the canary alone", async () => {
        const raw: ResourceSpec = {
            type: "kubernetes:networking.istio.io/v1beta1:VirtualService",
            name: "hand-made",
            stack: "prod",
            props: {
                metadata: { name: "reviews-routes", namespace: "books" },
                spec: {
                    hosts: ["reviews"],
                    http: [
                        { match: [{ headers: { "x-canary": { exact: "true" } } }], route: [{ destination: { host: "reviews", subset: "canary" } }] },
                        { route: [{ destination: { host: "reviews", subset: "canary" } }] },
                    ],
                },
            },
        };
        const { violations } = await runStack(RULE, [raw]);
        assert.equal(violations.length, 1);
        assert.match(violations[0]!.message, /service 'reviews' \(namespace books\)/);
        assert.match(violations[0]!.message, /VirtualService reviews-routes sends 100% to subset 'canary'/);
        assert.match(violations[0]!.message, /field spec/);
        const covered = await runStack(RULE, [raw, recordOf({ service: "reviews", namespace: "books" })]);
        assert.deepEqual(covered.violations, []);
        const byName = await runStack(RULE, [raw, recordOf({ service: "reviews-routes", namespace: "books" })]);
        assert.deepEqual(byName.violations, [], "a record named after the VirtualService covers it too");
    });

    it("ignores routing that sends the canary no share of traffic: weight 0 (opt-in routes stay), canary unavailable, weight 0 in a split, a mirror", async () => {
        assert.deepEqual((await runStack(RULE, [component(0), ...routing({ canaryWeight: 0 })])).violations, []);
        assert.deepEqual((await runStack(RULE, routing({ canaryWeight: 0, canaryAvailable: false }))).violations, []);
        const zero: ResourceSpec = {
            type: VS_TYPE,
            name: "zero",
            stack: "prod",
            props: {
                metadata: { name: "checkout", namespace: "shop-gray" },
                spec: {
                    http: [
                        {
                            route: [
                                { destination: { host: "checkout", subset: "stable" }, weight: 100 },
                                { destination: { host: "checkout", subset: "canary" }, weight: 0 },
                            ],
                            mirror: { host: "checkout", subset: "canary" },
                        },
                    ],
                },
            },
        };
        assert.deepEqual((await runStack(RULE, [zero])).violations, []);
    });

    it("is advisory in dev and staging, mandatory in prod and in an unresolved environment", async () => {
        for (const stack of ["dev", "staging"]) {
            const { mandatory, advisory } = await runBothStack(RULE, routing({}, stack));
            assert.equal(mandatory.violations.length, 0, stack);
            assert.equal(advisory.violations.length, 1, stack);
            assert.match(advisory.violations[0]!.message, new RegExp(`^\\[${stack}\\] `));
        }
        const unresolved = await runBothStack(RULE, routing({}, "team-x"));
        assert.equal(unresolved.mandatory.violations.length, 1, "no environment resolves: prod (fail closed)");
        const tagged = await runBothStack(RULE, routing({}, "team-x"), { stackTags: { "gray-release:environment": "prod" } });
        assert.equal(tagged.mandatory.violations.length, 1);
    });

    it("reads the service and namespace of a destination host", () => {
        assert.deepEqual(serviceOfHost("checkout", "shop"), { service: "checkout", namespace: "shop" });
        assert.deepEqual(serviceOfHost("checkout.shop-gray", undefined), { service: "checkout", namespace: "shop-gray" });
        assert.deepEqual(serviceOfHost("checkout.shop-gray.svc.cluster.local", "x"), { service: "checkout", namespace: "shop-gray" });
        assert.deepEqual(serviceOfHost("api.example.com", "x"), { service: "api", namespace: undefined });
        assert.equal(serviceOfHost("*.example.com", undefined), undefined);
    });
});
