/**
 * Slack incoming webhooks: a message with a plain `text` (the notification and fallback) and Block Kit blocks:
 * a header, the facts as fields, the reason, the checks with measured values and thresholds, and the time.
 * Slack answers 200 `ok`, 4xx for a wrong or revoked webhook (not retried), 429 with Retry-After when rate limited.
 */
import type { ReleaseEvent } from "../events";
import type { HttpRequest } from "./delivery";
import { checkLines, factsOf, messageOf, type Severity, severityOf, titleOf, truncate } from "./format";

const EMOJI: Record<Severity, string> = { info: ":arrow_forward:", good: ":white_check_mark:", warning: ":warning:", danger: ":rotating_light:" };

/** Escapes Slack's mrkdwn control characters. */
export function slackEscape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The Slack message of an event (Block Kit limits: header 150 characters, a section's text 3000, a field 2000). */
export function formatSlack(event: ReleaseEvent): { text: string; blocks: unknown[] } {
    const title = titleOf(event);
    const blocks: unknown[] = [
        { type: "header", text: { type: "plain_text", text: truncate(`${title}`, 150), emoji: true } },
        {
            type: "section",
            fields: factsOf(event).map(([label, value]) => ({ type: "mrkdwn", text: truncate(`*${label}*\n${slackEscape(value)}`, 2000) })),
        },
        { type: "section", text: { type: "mrkdwn", text: truncate(slackEscape(messageOf(event)) || " ", 3000) } },
    ];
    const checks = checkLines(event);
    if (checks.length > 0) {
        blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(`*Checks*\n${checks.map(slackEscape).join("\n")}`, 3000) } });
    }
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `gray-release · ${event.at}` }] });
    return { text: `${EMOJI[severityOf(event)]} ${slackEscape(title)}`, blocks };
}

export function slackRequest(event: ReleaseEvent, url: string): HttpRequest {
    return { url, body: JSON.stringify(formatSlack(event)) };
}
