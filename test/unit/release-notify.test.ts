import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidArgsError } from "../../components/common/validation";
import type { DriverEvent, ReleaseEvent, ServiceEvent } from "../../release/events";
import {
    backoffMs,
    checkLine,
    classifyFeishu,
    classifyHttp,
    classifyWecom,
    EVENT_KINDS,
    feishuSign,
    formatFeishu,
    formatJsonWebhook,
    formatNumber,
    formatSlack,
    formatWecom,
    HttpSink,
    jsonWebhookSignature,
    parseRetryAfter,
    resolveNotifications,
    secretConfigValues,
    sinksFromConfig,
    titleOf,
} from "../../release/notify";

const rollback: ServiceEvent = {
    kind: "rollback",
    stack: "prod",
    service: "checkout",
    canaryImage: "registry.example.com/checkout:1.4.2",
    fromWeight: 20,
    toWeight: 0,
    verdict: "fail",
    reason: "canary error rate 12.7 % exceeds the limit 0.8 %",
    checks: [
        { name: "latencyP99", outcome: "pass", measured: 0.2134567, threshold: 0.5 },
        { name: "errorRate", outcome: "fail", measured: 0.127, threshold: 0.008, detail: "canary 12.7 % errors" },
        { name: "requestVolume", outcome: "inconclusive", measured: null },
    ],
    at: "2026-12-01T14:00:00.000Z",
};
const hold: ServiceEvent = {
    ...rollback,
    kind: "hold",
    fromWeight: 5,
    toWeight: 5,
    verdict: "inconclusive",
    holdStreak: 3,
    reason: "too little traffic",
};
const refused: DriverEvent = { kind: "refused", stack: "prod", message: "release window closed for checkout", at: "2026-12-01T14:00:00.000Z" };

function event(kind: ReleaseEvent["kind"]): ReleaseEvent {
    return kind === "refused" || kind === "error" || kind === "finished" ? { ...refused, kind } : { ...rollback, kind };
}

describe("release/notify formatting", function () {
    it("titles every kind in one line naming stack, service and weights", function () {
        for (const kind of EVENT_KINDS) {
            const title = titleOf(event(kind));
            assert.match(title, /^prod/, kind);
            assert.ok(!title.includes("\n"), kind);
        }
        assert.equal(titleOf(rollback), "prod/checkout rolled back: canary weight 20 % → 0 %");
        assert.equal(titleOf(hold), "prod/checkout held at 5 % (3rd hold in a row)");
        assert.equal(titleOf({ ...hold, holdStreak: 12 }), "prod/checkout held at 5 % (12th hold in a row)");
        assert.equal(titleOf(refused), "prod: update refused by the policy pack");
    });

    it("writes a check with its measured value against its threshold", function () {
        assert.equal(checkLine(rollback.checks[1]!), "❌ errorRate fail: measured 0.127, threshold 0.008 (canary 12.7 % errors)");
        assert.equal(checkLine(rollback.checks[0]!), "✅ latencyP99 pass: measured 0.2135, threshold 0.5");
        assert.equal(checkLine(rollback.checks[2]!), "❔ requestVolume inconclusive: nothing measured");
        assert.equal(formatNumber(0.1 + 0.2), "0.3");
        assert.equal(formatNumber(1234567), "1235000");
        assert.equal(formatNumber(0.00001234), "0.00001234");
        assert.equal(formatNumber(1.5e-9), "1.500e-9");
    });

    it("generic webhook: the event itself, signed when a secret is set", function () {
        assert.deepEqual(formatJsonWebhook(rollback), rollback);
        const sig = jsonWebhookSignature("s3cret", 1700000000, '{"a":1}');
        assert.equal(sig, `sha256=${createHmac("sha256", "s3cret").update('1700000000.{"a":1}').digest("hex")}`);
    });

    it("Slack: text fallback and blocks with facts, reason and checks, failing check first", function () {
        const body = formatSlack(rollback);
        assert.match(body.text, /^:rotating_light: prod\/checkout rolled back/);
        const json = JSON.stringify(body.blocks);
        assert.match(json, /"type":"header"/);
        assert.match(json, /\*Service\*\\ncheckout/);
        assert.match(json, /canary error rate 12.7 % exceeds the limit 0.8 %/);
        const checks = (body.blocks[3] as { text: { text: string } }).text.text;
        assert.match(checks, /^\*Checks\*\n❌ errorRate fail: measured 0.127, threshold 0.008/);
        assert.ok(checks.indexOf("errorRate") < checks.indexOf("latencyP99"));
        const header = (body.blocks[0] as { text: { text: string } }).text.text;
        assert.ok(formatSlack({ ...rollback, service: "x".repeat(300) }).blocks.length > 0 && header.length <= 150);
        assert.equal((formatSlack({ ...rollback, service: "x".repeat(300) }).blocks[0] as { text: { text: string } }).text.text.length, 150);
        assert.match(JSON.stringify(formatSlack({ ...rollback, reason: "a < b & c" })), /a &lt; b &amp; c/);
        // A driver event has no checks block.
        assert.equal(formatSlack(refused).blocks.length, 4);
    });

    it("Feishu: an interactive card coloured by severity, with the checks", function () {
        const body = formatFeishu(rollback) as {
            msg_type: string;
            card: { header: { template: string; title: { content: string } }; elements: unknown[] };
        };
        assert.equal(body.msg_type, "interactive");
        assert.equal(body.card.header.template, "red");
        assert.equal(body.card.header.title.content, "prod/checkout rolled back: canary weight 20 % → 0 %");
        assert.match(JSON.stringify(body.card.elements), /errorRate fail: measured 0.127, threshold 0.008/);
        assert.equal((formatFeishu(hold) as { card: { header: { template: string } } }).card.header.template, "orange");
        assert.ok(!("sign" in body));
    });

    it("Feishu: signs as Feishu documents (key timestamp\\nsecret, empty message, Base64)", function () {
        // Computed with Feishu's Python sample: hmac.new(f"{ts}\n{secret}".encode(), digestmod=sha256), base64.
        assert.equal(feishuSign("demo-secret", 1599360473), "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=");
        const body = formatFeishu(rollback, { secret: "demo-secret", now: 1599360473_900 });
        assert.equal(body["timestamp"], "1599360473");
        assert.equal(body["sign"], "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=");
    });

    it("WeCom: markdown within 4096 bytes, cut at a line when there are many checks", function () {
        const body = formatWecom(rollback);
        assert.equal(body.msgtype, "markdown");
        assert.match(body.markdown.content, /^## <font color="warning">prod\/checkout rolled back/);
        assert.match(body.markdown.content, /❌ errorRate fail: measured 0.127, threshold 0.008/);
        const many: ServiceEvent = {
            ...rollback,
            reason: "检查失败 ".repeat(300),
            checks: Array.from({ length: 40 }, (_, i) => ({
                name: `检查${i}`,
                outcome: "fail" as const,
                measured: i,
                threshold: 1,
                detail: "很长的说明".repeat(10),
            })),
        };
        const content = formatWecom(many).markdown.content;
        assert.ok(Buffer.byteLength(content, "utf8") <= 4096, String(Buffer.byteLength(content, "utf8")));
        assert.match(content, /…$/);
    });

    it("classifies answers: 2xx ok, 429/5xx retried, other 4xx given up; Feishu and WeCom by their body codes", function () {
        assert.equal(classifyHttp({ status: 200, body: "ok" }).kind, "ok");
        assert.equal(classifyHttp({ status: 503, body: "" }).kind, "retry");
        assert.deepEqual(classifyHttp({ status: 429, body: "", retryAfter: "2" }), { kind: "retry", reason: "HTTP 429", retryAfterMs: 2000 });
        assert.equal(classifyHttp({ status: 404, body: "no_service" }).kind, "give-up");
        assert.equal(classifyHttp({ status: 400, body: "invalid_payload" }).kind, "give-up");
        assert.equal(classifyFeishu({ status: 200, body: '{"code":0,"msg":"success","data":{}}' }).kind, "ok");
        assert.equal(classifyFeishu({ status: 200, body: '{"StatusCode":0,"StatusMessage":"success"}' }).kind, "ok");
        assert.deepEqual(
            classifyFeishu({ status: 200, body: '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}' }),
            {
                kind: "give-up",
                reason: "Feishu code 19021: sign match fail or timestamp is not within one hour from current time",
            },
        );
        assert.equal(classifyFeishu({ status: 200, body: '{"code":9499,"msg":"too many request"}' }).kind, "retry");
        assert.equal(classifyFeishu({ status: 400, body: '{"code":11232,"msg":"frequency limited"}' }).kind, "retry");
        assert.equal(classifyFeishu({ status: 502, body: "bad gateway" }).kind, "retry");
        assert.equal(classifyWecom({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }).kind, "ok");
        assert.equal(classifyWecom({ status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' }).kind, "retry");
        assert.equal(classifyWecom({ status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' }).kind, "give-up");
    });

    it("backs off exponentially with jitter, capped", function () {
        const o = { baseDelayMs: 100, maxDelayMs: 1000 };
        assert.equal(backoffMs(1, { ...o, random: () => 0 }), 50);
        assert.equal(backoffMs(1, { ...o, random: () => 0.999999 }), 100);
        assert.equal(backoffMs(3, { ...o, random: () => 1 }), 400);
        assert.equal(backoffMs(10, { ...o, random: () => 1 }), 1000);
        assert.equal(parseRetryAfter("1.5"), 1500);
        assert.equal(parseRetryAfter(new Date(Date.now() + 3000).toUTCString(), Date.now()) !== undefined, true);
        assert.equal(parseRetryAfter("soon"), undefined);
    });
});

describe("release/notify config", function () {
    const env = {
        SLACK_URL: "https://hooks.slack.com/services/T0/B0/x",
        FEISHU_URL: "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
        FEISHU_SECRET: "s",
    };

    it("looks URLs and secrets up in the environment and in the stack's Pulumi secrets", function () {
        const targets = resolveNotifications(
            [
                { type: "slack", url: "env:SLACK_URL", events: ["rollback", "fail"] },
                { type: "feishu", url: "env:FEISHU_URL", secret: "env:FEISHU_SECRET" },
                { type: "wecom", url: "secret:wecomUrl", name: "oncall" },
                { type: "webhook", url: "http://127.0.0.1:9999/hook" },
            ],
            { env, pulumiSecrets: { "gray-release:wecomUrl": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" } },
        );
        assert.deepEqual(targets, [
            { type: "slack", name: "slack-0", url: env.SLACK_URL, events: ["rollback", "fail"] },
            { type: "feishu", name: "feishu-1", url: env.FEISHU_URL, secret: "s" },
            { type: "wecom", name: "oncall", url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" },
            { type: "webhook", name: "webhook-3", url: "http://127.0.0.1:9999/hook" },
        ]);
        assert.equal(sinksFromConfig([{ type: "slack", url: "env:SLACK_URL" }], env).length, 1);
        assert.deepEqual(sinksFromConfig(undefined, env), []);
        // What the driver hands over from the Automation API: secret values only, so a plain value is not found.
        const pulumiSecrets = secretConfigValues({
            "gray-release:wecomUrl": { value: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", secret: true },
            "gray-release:slackUrl": { value: "https://hooks.slack.com/services/T0/B0/x", secret: false },
        });
        assert.deepEqual(Object.keys(pulumiSecrets), ["gray-release:wecomUrl"]);
        assert.throws(
            () => resolveNotifications([{ type: "slack", url: "secret:slackUrl" }], { env, pulumiSecrets }),
            /no secret config value slackUrl/,
        );
    });

    it("refuses a literal credential, a secret where none applies, an unknown event and a reference that finds nothing", function () {
        const fails = (config: unknown, pattern: RegExp, sources: Parameters<typeof resolveNotifications>[1] = { env }) =>
            assert.throws(
                () => resolveNotifications(config, sources),
                (e: unknown) => e instanceof InvalidArgsError && pattern.test(e.message),
            );
        fails([{ type: "slack", url: "https://hooks.slack.com/services/T0/B0/x" }], /notifications\[0\]\.url = .*a webhook URL is a credential/);
        fails([{ type: "feishu", url: "env:FEISHU_URL", secret: "plain" }], /notifications\[0\]\.secret = "plain": a reference is expected/);
        fails([{ type: "slack", url: "env:SLACK_URL", secret: "env:FEISHU_SECRET" }], /secret.*applies to feishu and webhook sinks only/);
        fails([{ type: "slack", url: "env:SLACK_URL", events: ["rolledback"] }], /notifications\[0\]\.events\[0\]/);
        fails([{ type: "teams", url: "env:SLACK_URL" }], /notifications\[0\]\.type/);
        fails([{ type: "slack", url: "env:NOPE" }], /notifications\[0\]\.url = "env:NOPE": the environment variable NOPE is not set/);
        fails([{ type: "slack", url: "secret:slackUrl" }], /no secret config value slackUrl \(set it with `pulumi config set --secret slackUrl/);
        fails([{ type: "slack", url: "env:FEISHU_SECRET" }], /not an http\(s\) URL/);
        // The looked-up value never appears in an error.
        assert.throws(
            () => resolveNotifications([{ type: "slack", url: "env:SLACK_URL", secret: "env:X" }], { env }),
            (e: unknown) => e instanceof Error && !e.message.includes(env.SLACK_URL),
        );
    });
});

/** A local receiver whose answers a test scripts: each request gets the next answer (the last one repeats). */
interface Received {
    headers: http.IncomingHttpHeaders;
    body: string;
    at: number;
}
async function receiver(answers: Array<{ status: number; body?: string; delayMs?: number; headers?: Record<string, string> }>) {
    const received: Received[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => {
            body += c;
        });
        req.on("end", () => {
            const answer = answers[Math.min(received.length, answers.length - 1)]!;
            received.push({ headers: req.headers, body, at: Date.now() });
            const reply = () => {
                res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
                res.end(answer.body ?? "");
            };
            if (answer.delayMs) setTimeout(reply, answer.delayMs);
            else reply();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const close = () =>
        new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        });
    return { url, received, close };
}

const fast = { baseDelayMs: 20, maxDelayMs: 100, maxTotalMs: 5000, requestTimeoutMs: 2000, random: () => 0.5 };

describe("release/notify delivery (local HTTP receiver)", function () {
    this.timeout(20000);
    let logs: string[] = [];
    const log = (line: string) => logs.push(line);
    beforeEach(function () {
        logs = [];
    });

    it("retries a receiver that fails the first attempts (5xx, then 429 with Retry-After) and delivers once", async function () {
        const r = await receiver([{ status: 503 }, { status: 429, headers: { "retry-after": "0" } }, { status: 200, body: "ok" }]);
        try {
            const [sink] = sinksFromConfig([{ type: "slack", url: r.url }], {}, { delivery: { ...fast, log } });
            sink!.notify(rollback);
            await sink!.flush();
            assert.equal(r.received.length, 3);
            assert.deepEqual(JSON.parse(r.received[2]!.body), formatSlack(rollback));
            assert.equal(logs.length, 2, logs.join("\n"));
            assert.match(logs[0]!, /^notify slack-0: attempt 1\/5 for rollback failed \(HTTP 503\); retrying in/);
            assert.ok(!logs.join("").includes(r.url), "the URL (a credential) is never logged");
        } finally {
            await r.close();
        }
    });

    it("never retries a 4xx other than 429", async function () {
        const r = await receiver([{ status: 404, body: "no_service" }]);
        try {
            const sink = sinksFromConfig([{ type: "webhook", url: r.url }], {}, { delivery: { ...fast, log } })[0] as HttpSink;
            sink.notify(rollback);
            await sink.flush();
            assert.equal(r.received.length, 1);
            assert.deepEqual(sink.stats, { delivered: 0, givenUp: 1, dropped: 0 });
            assert.match(logs[0]!, /gave up on rollback after attempt 1: HTTP 404 no_service \(not retried\)/);
        } finally {
            await r.close();
        }
    });

    it("gives up after the bounded attempts on a refused connection, and on a receiver slower than the request timeout", async function () {
        const r = await receiver([{ status: 200 }]);
        const closedUrl = r.url;
        await r.close();
        const sink = sinksFromConfig([{ type: "wecom", url: closedUrl }], {}, { delivery: { ...fast, maxAttempts: 3, log } })[0] as HttpSink;
        sink.notify(rollback);
        await sink.flush();
        assert.equal(sink.stats.givenUp, 1);
        assert.match(logs.at(-1)!, /gave up on rollback after 3 attempts: fetch failed \(ECONNREFUSED\)/);

        const slow = await receiver([{ status: 200, body: '{"errcode":0}', delayMs: 1500 }]);
        try {
            logs = [];
            const s = sinksFromConfig(
                [{ type: "wecom", url: slow.url }],
                {},
                { delivery: { ...fast, requestTimeoutMs: 100, maxTotalMs: 600, log } },
            )[0] as HttpSink;
            const started = Date.now();
            s.notify(rollback);
            await s.flush();
            assert.ok(Date.now() - started < 1500, `bounded by maxTotalMs: ${Date.now() - started} ms`);
            assert.equal(s.stats.givenUp, 1);
            assert.match(logs.at(-1)!, /gave up on rollback after .*request timed out/);
        } finally {
            await slow.close();
        }
    });

    it("a slow sink never delays the caller nor another sink", async function () {
        const slow = await receiver([{ status: 200, delayMs: 700 }]);
        const quick = await receiver([{ status: 200 }]);
        try {
            const sinks = sinksFromConfig(
                [
                    { type: "webhook", url: slow.url },
                    { type: "webhook", url: quick.url },
                ],
                {},
                { delivery: { ...fast, log } },
            );
            const started = Date.now();
            for (const s of sinks) s.notify(rollback);
            for (const s of sinks) s.notify(hold);
            const notifyMs = Date.now() - started;
            assert.ok(notifyMs < 50, `notify returned after ${notifyMs} ms`);
            await sinks[1]!.flush();
            assert.equal(quick.received.length, 2);
            assert.equal((sinks[0] as HttpSink).stats.delivered, 0, "the quick sink delivered while the slow one still waits for its answer");
            assert.equal(slow.received.length, 1, "the slow sink works off its queue one event at a time");
            await sinks[0]!.flush();
            assert.deepEqual(
                slow.received.map((r) => JSON.parse(r.body).kind),
                ["rollback", "hold"],
                "in order",
            );
        } finally {
            await slow.close();
            await quick.close();
        }
    });

    it("signs Feishu requests and generic webhooks so the receiver can verify them; filters by event kind", async function () {
        const r = await receiver([{ status: 200, body: '{"code":0,"msg":"success"}' }]);
        try {
            const env = { FS: "feishu-secret", WH: "webhook-secret" };
            const sinks = sinksFromConfig(
                [
                    { type: "feishu", url: r.url, secret: "env:FS", events: ["rollback"] },
                    { type: "webhook", url: r.url, secret: "env:WH", events: ["hold"] },
                ],
                env,
                { delivery: { ...fast, log } },
            );
            for (const s of sinks) {
                s.notify(rollback);
                s.notify(hold);
                s.notify(refused);
            }
            await Promise.all(sinks.map((s) => s.flush()));
            assert.equal(r.received.length, 2);
            const feishu = r.received.find((x) => JSON.parse(x.body).msg_type === "interactive")!;
            const fb = JSON.parse(feishu.body);
            assert.equal(fb.sign, feishuSign("feishu-secret", Number(fb.timestamp)));
            assert.ok(Math.abs(Number(fb.timestamp) - Date.now() / 1000) < 60);
            const webhook = r.received.find((x) => x !== feishu)!;
            assert.equal(JSON.parse(webhook.body).kind, "hold");
            assert.equal(webhook.headers["x-gray-release-event"], "hold");
            assert.equal(
                webhook.headers["x-gray-release-signature"],
                jsonWebhookSignature("webhook-secret", Number(webhook.headers["x-gray-release-timestamp"]), webhook.body),
            );
            assert.equal(logs.length, 0, logs.join("\n"));
        } finally {
            await r.close();
        }
    });

    it("notify never throws: a broken formatter is logged, a full queue drops its oldest event", async function () {
        const sink = new HttpSink(
            "broken",
            {
                request: () => {
                    throw new Error("cannot format");
                },
            },
            { ...fast, maxQueue: 2, log },
        );
        sink.notify(rollback);
        sink.notify(hold);
        sink.notify(refused);
        await sink.flush();
        assert.deepEqual(sink.stats, { delivered: 0, givenUp: 2, dropped: 1 });
        assert.match(logs[0]!, /queue full \(2\): dropped the oldest event \(rollback\)/);
        assert.match(logs.join("\n"), /gave up on hold: cannot format/);
        assert.ok(!/retrying/.test(logs.join("\n")), "not retried");
    });
});
