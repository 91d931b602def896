import { strict as assert } from "node:assert";
import { ALERT_NAMES } from "../../components/slo-rules/generator";
import { type AlertmanagerAlert, serveWebhook, triggersOf, type WebhookServer } from "../../release/webhook";

/**
 * Alertmanager's webhook payload as its documentation gives it (version 4): every top-level field and every
 * alert field, with the labels SloRules puts on its canary P1 alert (components/slo-rules/generator.ts).
 */
function payload(alerts: Array<{ status: "firing" | "resolved"; labels: Record<string, string> }>) {
    return {
        version: "4",
        groupKey: '{}/{alertname=~"^(?:CanaryErrorRateDeltaHigh)$"}:{alertname="CanaryErrorRateDeltaHigh", service="checkout"}',
        truncatedAlerts: 0,
        status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
        receiver: "gray-release-driver",
        groupLabels: { alertname: ALERT_NAMES.canaryP1, service: "checkout" },
        commonLabels: { alertname: ALERT_NAMES.canaryP1, priority: "P1", severity: "page" },
        commonAnnotations: {},
        externalURL: "http://alertmanager.monitoring:9093",
        alerts: alerts.map((a, i) => ({
            status: a.status,
            labels: a.labels,
            annotations: {
                summary: `${a.labels["service"]}: canary error rate exceeds stable by 12.5%`,
                description: "The canary's error rate is more than 2 percentage points above the stable version's ...",
                runbook_url: "https://runbooks.example.com/canary",
            },
            startsAt: "2026-12-01T14:00:03.123456789Z",
            endsAt: a.status === "firing" ? "0001-01-01T00:00:00Z" : "2026-12-01T14:05:03.123Z",
            generatorURL: "http://prometheus.monitoring:9090/graph?g0.expr=canary_error_rate_delta%7Bservice%3D%22checkout%22%7D&g0.tab=1",
            fingerprint: `5c7c2a9c0b5e8f1${i}`,
        })),
    };
}

const canary = (service: string, status: "firing" | "resolved" = "firing") => ({
    status,
    labels: { alertname: ALERT_NAMES.canaryP1, severity: "page", priority: "P1", service, team: "payments" },
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
}

describe("release/webhook (Alertmanager receiver)", function () {
    this.timeout(20000);
    let server: WebhookServer | undefined;
    let logs: string[];
    afterEach(async function () {
        await server?.close();
        server = undefined;
    });

    it("picks the firing canary P1 alerts with a service label, once per service", function () {
        const { triggers, ignored } = triggersOf(
            payload([
                canary("checkout"),
                canary("checkout"),
                canary("cart", "resolved"),
                { status: "firing", labels: { alertname: "SLOErrorBudgetBurn", service: "cart" } },
                { status: "firing", labels: { alertname: ALERT_NAMES.canaryP1 } },
            ]),
            ALERT_NAMES.canaryP1,
        );
        assert.deepEqual(
            triggers.map((t) => t.service),
            ["checkout"],
        );
        assert.deepEqual(ignored, [
            "CanaryErrorRateDeltaHigh for cart: resolved",
            "SLOErrorBudgetBurn (firing): not CanaryErrorRateDeltaHigh",
            "CanaryErrorRateDeltaHigh: no service label",
        ]);
    });

    it("calls onTrigger at once for a firing canary alert in Alertmanager's payload, deduplicated while it runs", async function () {
        logs = [];
        const calls: Array<{ service: string; alert: AlertmanagerAlert; at: number }> = [];
        let finish: () => void = () => undefined;
        const done = new Promise<void>((resolve) => {
            finish = resolve;
        });
        server = await serveWebhook({
            port: 0,
            onTrigger: async (service, alert) => {
                calls.push({ service, alert, at: Date.now() });
                await done;
            },
            log: (l) => logs.push(l),
        });
        const sent = Date.now();
        const first = await post(server.url, payload([canary("checkout")]));
        assert.equal(first.status, 200);
        assert.deepEqual(first.body, { triggered: ["checkout"], deduplicated: [], ignored: 0 });
        assert.equal(calls.length, 1);
        assert.ok(calls[0]!.at - sent < 500);
        assert.equal(calls[0]!.alert.labels["alertname"], ALERT_NAMES.canaryP1);
        assert.equal(calls[0]!.alert.fingerprint, "5c7c2a9c0b5e8f10");
        assert.deepEqual(server.running(), ["checkout"]);

        // Alertmanager resends the group (repeat_interval, a second Alertmanager of an HA pair): deduplicated.
        const again = await post(server.url, payload([canary("checkout"), canary("cart")]));
        assert.deepEqual(again.body, { triggered: ["cart"], deduplicated: ["checkout"], ignored: 0 });
        assert.deepEqual(
            calls.map((c) => c.service),
            ["checkout", "cart"],
        );
        finish();
        await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(server.running(), []);
        // Once the update is done, a new firing alert triggers again.
        const later = await post(server.url, payload([canary("checkout")]));
        assert.deepEqual(later.body, { triggered: ["checkout"], deduplicated: [], ignored: 0 });
        assert.match(logs.join("\n"), /CanaryErrorRateDeltaHigh firing for checkout: an update for it is already running \(deduplicated\)/);
    });

    it("ignores other alerts with a log line, and survives a failing trigger", async function () {
        logs = [];
        let calls = 0;
        server = await serveWebhook({
            port: 0,
            onTrigger: () => {
                calls++;
                throw new Error("stack is locked");
            },
            log: (l) => logs.push(l),
        });
        const r = await post(
            server.url,
            payload([
                canary("checkout", "resolved"),
                { status: "firing", labels: { alertname: "SLOErrorBudgetBurn", service: "checkout", slo: "availability" } },
            ]),
        );
        assert.deepEqual(r.body, { triggered: [], deduplicated: [], ignored: 2 });
        assert.equal(calls, 0);
        assert.match(logs.join("\n"), /serve-webhook: ignored SLOErrorBudgetBurn \(firing\): not CanaryErrorRateDeltaHigh/);
        assert.match(logs.join("\n"), /serve-webhook: ignored CanaryErrorRateDeltaHigh for checkout: resolved/);

        await post(server.url, payload([canary("checkout")]));
        await new Promise((res) => setTimeout(res, 20));
        assert.equal(calls, 1);
        assert.match(logs.join("\n"), /update for checkout failed: stack is locked/);
        assert.deepEqual(server.running(), []);
    });

    it("checks the bearer token, the method and the payload's shape", async function () {
        let calls = 0;
        server = await serveWebhook({ port: 0, token: "t0k3n", onTrigger: () => void calls++, log: () => undefined });
        assert.equal((await post(server.url, payload([canary("checkout")]))).status, 401);
        assert.equal((await post(server.url, payload([canary("checkout")]), { authorization: "Bearer wrong" })).status, 401);
        assert.equal(calls, 0);
        const ok = await post(server.url, payload([canary("checkout")]), { authorization: "Bearer t0k3n" });
        assert.equal(ok.status, 200);
        assert.equal(calls, 1);
        assert.equal((await post(server.url, "not json", { authorization: "Bearer t0k3n" })).status, 400);
        assert.equal((await post(server.url, { alerts: "none" }, { authorization: "Bearer t0k3n" })).status, 400);
        assert.equal((await fetch(server.url, { method: "PUT" })).status, 405);
        assert.equal((await fetch(`${server.url}healthz`)).status, 200);
    });
});
