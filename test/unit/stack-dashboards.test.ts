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
});
