/**
 * The generic JSON webhook: the event itself as the request body, for any receiver (an incident tool, a log
 * pipeline, a custom bot). With a secret, each request is signed so the receiver can check where it came from:
 * `X-Gray-Release-Timestamp` (Unix seconds) and `X-Gray-Release-Signature: sha256=<hex HMAC-SHA256 of
 * "<timestamp>.<body>" keyed with the secret>`, the scheme of GitHub's and Stripe's webhooks.
 */
import { createHmac } from "node:crypto";
import type { ReleaseEvent } from "../events";
import type { HttpRequest } from "./delivery";

/** The body of the generic webhook: the event, as the driver emitted it. */
export function formatJsonWebhook(event: ReleaseEvent): ReleaseEvent {
    return event;
}

/** The signature header's value for a body sent at `timestamp` (Unix seconds). */
export function jsonWebhookSignature(secret: string, timestamp: number, body: string): string {
    return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function jsonWebhookRequest(event: ReleaseEvent, url: string, secret?: string, now = Date.now()): HttpRequest {
    const body = JSON.stringify(formatJsonWebhook(event));
    const headers: Record<string, string> = { "x-gray-release-event": event.kind };
    if (secret) {
        const timestamp = Math.floor(now / 1000);
        headers["x-gray-release-timestamp"] = String(timestamp);
        headers["x-gray-release-signature"] = jsonWebhookSignature(secret, timestamp, body);
    }
    return { url, headers, body };
}
