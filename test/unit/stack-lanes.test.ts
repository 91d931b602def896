/**
 * Lanes in the stack config: `gray-release:lanes` defines them once, each service's `routing.lanes` names the lanes
 * its canary serves (and the one its opt-in enters); every service's routing gets every lane. Mistakes are reported
 * once, at the key the user wrote.
 */
import { strict as assert } from "node:assert";
import { buildVirtualServiceSpec, resolveCanaryRoutingArgs } from "../../components/canary-routing";
import { parseStackConfig } from "../../stacks/config";
import { stackConfigProblems } from "../support/stack-config";

const service = (name: string, routing?: Record<string, unknown>) => ({
    name,
    namespace: "dev-gray",
    stableImage: `registry.example.com/shop/${name}:1.4.0`,
    canaryImage: `registry.example.com/shop/${name}:1.5.0`,
    progression: { analysis: { prometheusUrl: "http://thanos-query.monitoring.svc:10902" } },
    ...(routing ? { routing } : {}),
    slo: { runbookUrl: `https://runbooks.example.com/${name}`, slos: [{ name: "availability", objective: 99.95 }] },
});

const problems = (raw: Record<string, unknown>): string => stackConfigProblems(raw);

describe("stack config: lanes", () => {
    it("gives every service's routing the stack's lanes; only cart's canary serves gray", () => {
        const config = parseStackConfig("dev", {
            environment: "dev",
            lanes: [{ name: "gray" }, { name: "blue", header: "x-team-lane", baggageKey: null }],
            services: [service("front", { lanes: { enter: "gray" } }), service("cart", { lanes: { canaryIn: ["gray"] } }), service("pricing")],
        });
        assert.deepEqual(
            config.lanes.map((l) => l.name),
            ["gray", "blue"],
        );
        const routesOf = (i: number) =>
            (
                buildVirtualServiceSpec(
                    resolveCanaryRoutingArgs({
                        ...config.services[i]!.routing,
                        service: config.services[i]!.name,
                        namespace: "dev-gray",
                        canaryWeight: 5,
                    }),
                ).http ?? []
            ).map((r) => `${r.name}→${r.route?.map((d) => d.destination?.subset).join("+")}`);
        assert.deepEqual(routesOf(0).slice(0, 2), ["lane-gray→stable", "lane-blue→stable"]);
        assert.deepEqual(routesOf(1).slice(0, 2), ["lane-gray→canary", "lane-blue→stable"]);
        assert.deepEqual(routesOf(2).slice(0, 2), ["lane-gray→stable", "lane-blue→stable"]);
    });

    it("refuses a lane the stack does not define, definitions written per service, and a bad definition once", () => {
        const message = problems({
            environment: "dev",
            lanes: [{ name: "gray" }, { name: "Blue" }],
            services: [service("cart", { lanes: { canaryIn: ["grey"], definitions: [] } }), service("pricing")],
        });
        assert.match(message, /services\[0\]\.routing\.lanes\.canaryIn\[0\] = "grey": names no lane of the stack/);
        assert.match(message, /services\[0\]\.routing\.lanes\.definitions = \[\]: is the stack's: define lanes in gray-release:lanes/);
        assert.match(message, /lanes\[1\]\.name = "Blue"/);
        assert.doesNotMatch(message, /routing\.lanes\.definitions\[/, "a bad definition is reported at gray-release:lanes only");
    });
});
