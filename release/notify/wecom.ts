/**
 * WeCom (企业微信) group robots: `msgtype: "markdown"`, whose content may use WeCom's colours
 * (`<font color="warning|info|comment">`) and is limited to 4096 bytes of UTF-8 (longer content is cut at a
 * line). The key is part of the webhook URL; there is no signature. WeCom answers HTTP 200 with `{"errcode": 0}`
 * on success; 45009 (API frequency limit) and -1 (system busy) are retried, any other errcode is given up.
 */
import type { ReleaseEvent } from "../events";
import { classifyHttp, type HttpAnswer, type HttpRequest, type Outcome } from "./delivery";
import { checkLines, factsOf, messageOf, type Severity, severityOf, titleOf } from "./format";

const COLOR: Record<Severity, string> = { info: "info", good: "info", warning: "warning", danger: "warning" };

/** WeCom's limit on markdown content, in bytes of UTF-8. */
export const WECOM_MAX_BYTES = 4096;

/** WeCom's errcodes worth retrying: 45009 frequency limit, -1 system busy. */
export const WECOM_RETRY_CODES: ReadonlySet<number> = new Set([45009, -1]);

/** Cuts text at line ends so that it fits `maxBytes` of UTF-8, with a marker when something was cut. */
export function fitBytes(text: string, maxBytes: number): string {
    if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
    const marker = "\n…";
    const lines = text.split("\n");
    let out = "";
    for (const line of lines) {
        const next = out ? `${out}\n${line}` : line;
        if (Buffer.byteLength(next + marker, "utf8") > maxBytes) break;
        out = next;
    }
    if (!out) {
        // A single overlong line: cut by characters.
        let chars = Array.from(text);
        while (chars.length > 0 && Buffer.byteLength(chars.join("") + marker, "utf8") > maxBytes)
            chars = chars.slice(0, Math.floor(chars.length * 0.9));
        out = chars.join("");
    }
    return out + marker;
}

export function formatWecom(event: ReleaseEvent): { msgtype: "markdown"; markdown: { content: string } } {
    const lines = [`## <font color="${COLOR[severityOf(event)]}">${titleOf(event)}</font>`];
    for (const [label, value] of factsOf(event)) lines.push(`> ${label}: <font color="comment">${value}</font>`);
    lines.push("", messageOf(event));
    const checks = checkLines(event);
    if (checks.length > 0) lines.push("", "**Checks**", ...checks);
    lines.push("", `<font color="comment">gray-release · ${event.at}</font>`);
    return { msgtype: "markdown", markdown: { content: fitBytes(lines.join("\n"), WECOM_MAX_BYTES) } };
}

export function classifyWecom(answer: HttpAnswer): Outcome {
    const http = classifyHttp(answer);
    if (http.kind !== "ok") return http;
    let errcode: unknown;
    let errmsg: unknown;
    try {
        ({ errcode, errmsg } = JSON.parse(answer.body));
    } catch {
        errcode = undefined;
    }
    if (errcode === 0) return { kind: "ok" };
    const reason = `WeCom errcode ${String(errcode ?? "missing")}${typeof errmsg === "string" ? `: ${errmsg}` : ""}`;
    if (typeof errcode === "number" && WECOM_RETRY_CODES.has(errcode)) return { kind: "retry", reason };
    return { kind: "give-up", reason };
}

export function wecomRequest(event: ReleaseEvent, url: string): HttpRequest {
    return { url, body: JSON.stringify(formatWecom(event)) };
}
