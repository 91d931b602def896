/**
 * Feishu / Lark custom bots (群机器人): an interactive card (`msg_type: "interactive"`) with a coloured header,
 * the facts, the reason and the checks in lark_md, and the time in a note.
 *
 * Signature verification (签名校验), when the bot has a secret: the body carries `timestamp` (Unix seconds, as a
 * string; Feishu accepts it within one hour) and `sign` = Base64(HMAC-SHA256 with key `timestamp + "\n" + secret`
 * over an empty message). Feishu documents it this way (the string to sign is the key, the message is empty),
 * unlike DingTalk's scheme, which signs the same string with the secret as the key.
 *
 * Feishu answers HTTP 200 with `{"code": 0}` on success (older deployments: `{"StatusCode": 0}`), a non-zero code
 * otherwise (19021 bad signature, 19024 keyword missing, …: not retried); 9499 and 11232 are its rate limits
 * (retried like a 429), which may come with HTTP 400.
 */
import { createHmac } from "node:crypto";
import type { ReleaseEvent } from "../events";
import { classifyHttp, type HttpAnswer, type HttpRequest, type Outcome } from "./delivery";
import { checkLines, factsOf, messageOf, type Severity, severityOf, titleOf, truncate } from "./format";

const TEMPLATE: Record<Severity, string> = { info: "blue", good: "green", warning: "orange", danger: "red" };

/** Feishu's rate-limit codes: retried like HTTP 429. */
export const FEISHU_RATE_LIMIT_CODES: ReadonlySet<number> = new Set([9499, 11232]);

/** The `sign` of a signed request at `timestamp` (Unix seconds). */
export function feishuSign(secret: string, timestamp: number): string {
    return createHmac("sha256", `${timestamp}\n${secret}`).update("").digest("base64");
}

/** Escapes what lark_md would read as markup or mentions. */
function larkEscape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The card message of an event; with a secret, signed at `now`. */
export function formatFeishu(event: ReleaseEvent, options: { secret?: string; now?: number } = {}): Record<string, unknown> {
    const facts = factsOf(event)
        .map(([label, value]) => `**${label}**: ${larkEscape(value)}`)
        .join("\n");
    const elements: unknown[] = [
        { tag: "div", text: { tag: "lark_md", content: facts } },
        { tag: "div", text: { tag: "lark_md", content: truncate(larkEscape(messageOf(event)), 4000) || " " } },
    ];
    const checks = checkLines(event);
    if (checks.length > 0) {
        elements.push({ tag: "hr" }, { tag: "div", text: { tag: "lark_md", content: `**Checks**\n${checks.map(larkEscape).join("\n")}` } });
    }
    elements.push({ tag: "note", elements: [{ tag: "plain_text", content: `gray-release · ${event.at}` }] });
    const body: Record<string, unknown> = {
        msg_type: "interactive",
        card: {
            config: { wide_screen_mode: true },
            header: { title: { tag: "plain_text", content: truncate(titleOf(event), 200) }, template: TEMPLATE[severityOf(event)] },
            elements,
        },
    };
    if (options.secret) {
        const timestamp = Math.floor((options.now ?? Date.now()) / 1000);
        return { timestamp: String(timestamp), sign: feishuSign(options.secret, timestamp), ...body };
    }
    return body;
}

/** Reads Feishu's answer: the body's code decides, HTTP 429/5xx and the rate-limit codes are retried. */
export function classifyFeishu(answer: HttpAnswer): Outcome {
    let parsed: { code?: unknown; StatusCode?: unknown; msg?: unknown; StatusMessage?: unknown } | undefined;
    try {
        parsed = JSON.parse(answer.body);
    } catch {
        parsed = undefined;
    }
    const code = typeof parsed?.code === "number" ? parsed.code : typeof parsed?.StatusCode === "number" ? parsed.StatusCode : undefined;
    if (code !== undefined && FEISHU_RATE_LIMIT_CODES.has(code)) return { kind: "retry", reason: `Feishu code ${code} (rate limited)` };
    const http = classifyHttp(answer);
    if (http.kind !== "ok") return http;
    if (code === 0) return { kind: "ok" };
    const msg = parsed?.msg ?? parsed?.StatusMessage;
    return { kind: "give-up", reason: `Feishu code ${code ?? "missing"}${typeof msg === "string" ? `: ${msg}` : ""}` };
}

export function feishuRequest(event: ReleaseEvent, url: string, secret?: string, now = Date.now()): HttpRequest {
    return { url, body: JSON.stringify(formatFeishu(event, secret ? { secret, now } : { now })) };
}
