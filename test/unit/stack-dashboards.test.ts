import { strict as assert } from "node:assert";
import { resolveSloRulesSpec } from "../../components/slo-rules";
import { DASHBOARDS_PER_CONFIGMAP, dashboardChunks } from "../../stacks/dashboards";

const spec = (service: string) =>
    resolveSloRulesSpec({
        service,
        runbookUrl: "https://runbooks.example.com/x",
        slos: [{ name: "availability", objective: 99.9 }],
        canary: { stableVersionLabel: "1.4.0", canaryVersionLabel: "1.5.0" },
    });

describe("shared canary dashboards", () => {
    it("puts one dashboard file per service into as few ConfigMaps as fit", () => {
        const specs = Array.from({ length: DASHBOARDS_PER_CONFIGMAP + 3 }, (_, i) => spec(`svc-${i}`));
        const chunks = dashboardChunks(specs);
        assert.equal(chunks.length, 2);
        assert.equal(Object.keys(chunks[0]!).length, DASHBOARDS_PER_CONFIGMAP);
        assert.deepEqual(Object.keys(chunks[1]!), ["svc-40-gray-release.json", "svc-41-gray-release.json", "svc-42-gray-release.json"]);
        const bytes = Object.values(chunks[0]!).reduce((n, json) => n + Buffer.byteLength(json), 0);
        assert.ok(bytes < 900 * 1024, `a full chunk stays under the 1 MiB ConfigMap limit (${bytes} bytes)`);
        const dashboard = JSON.parse(chunks[1]!["svc-41-gray-release.json"]!) as { uid: string; panels: unknown[] };
        assert.equal(dashboard.uid, "gray-release-svc-41");
        assert.ok(dashboard.panels.length > 0);
    });

    it("adds the lanes dashboard when the stack has lanes: calls per service and track in each lane, from the span metrics", () => {
        const lanes = {
            lanes: [
                { name: "gray", header: "x-gray-lane", baggageKey: "gray-lane" },
                { name: "blue", header: "x-team-lane", baggageKey: null },
            ],
            members: [
                { service: "front", canaryIn: [] },
                { service: "cart", canaryIn: ["gray"] },
            ],
        };
        const chunks = dashboardChunks([spec("front"), spec("cart")], "dev", lanes);
        assert.deepEqual(Object.keys(chunks[0]!), ["front-gray-release.json", "cart-gray-release.json", "lanes-gray-release.json"]);
        const dashboard = JSON.parse(chunks[0]!["lanes-gray-release.json"]!) as {
            uid: string;
            panels: Array<{ title: string; description?: string; targets?: Array<{ expr: string }> }>;
        };
        assert.equal(dashboard.uid, "gray-release-lanes-dev");
        const calls = dashboard.panels.find((p) => p.title === "Calls in lane gray, by service and track");
        assert.equal(
            calls?.targets?.[0]?.expr,
            'sum by (service_name, deployment_track) (rate(traces_span_metrics_calls_total{gray_lane="gray"}[5m]))',
        );
        assert.match(calls?.description ?? "", /Canaries serving the lane: cart/);
        // A header-only lane is split by its header's attribute.
        assert.ok(dashboard.panels.some((p) => p.targets?.some((t) => t.expr.includes('x_team_lane="blue"'))));
        assert.equal(Object.keys(dashboardChunks([spec("front")], "dev", { lanes: [], members: [] })[0]!).length, 1, "no lanes, no lanes dashboard");
    });
});
