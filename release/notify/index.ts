/**
 * Notification sinks of the release driver: a generic JSON webhook, Slack, Feishu/Lark and WeCom, each an
 * EventSink with its own queue and retries (delivery.ts), built from the `notifications` config (config.ts).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { EventSink } from "../events";
import { type NotificationTarget, resolveNotifications, type SecretSources } from "./config";
import { type DeliveryOptions, HttpSink, type SinkFormat } from "./delivery";
import { classifyFeishu, feishuRequest } from "./feishu";
import type { EventKind } from "./format";
import { jsonWebhookRequest } from "./json-webhook";
import { slackRequest } from "./slack";
import { classifyWecom, wecomRequest } from "./wecom";

export type { NotificationArgs, NotificationsArgs, NotificationTarget, ResolvedNotificationArgs, SecretSources } from "./config";
export { isLoopbackUrl, notificationSchema, notificationsSchema, resolveNotifications, secretConfigValues } from "./config";
export type { DeliveryOptions, HttpAnswer, HttpRequest, Outcome, SinkFormat } from "./delivery";
export { backoffMs, classifyHttp, DEFAULT_DELIVERY, HttpSink, parseRetryAfter } from "./delivery";
export { classifyFeishu, feishuSign, formatFeishu } from "./feishu";
export { checkLine, EVENT_KINDS, type EventKind, formatNumber, titleOf } from "./format";
export { formatJsonWebhook, jsonWebhookSignature } from "./json-webhook";
export { formatSlack } from "./slack";
export { classifyWecom, formatWecom } from "./wecom";

function formatOf(target: NotificationTarget): SinkFormat {
    const { url, secret } = target;
    switch (target.type) {
        case "webhook":
            return { request: (event) => jsonWebhookRequest(event, url, secret) };
        case "slack":
            return { request: (event) => slackRequest(event, url) };
        case "feishu":
            return { request: (event) => feishuRequest(event, url, secret), classify: classifyFeishu };
        case "wecom":
            return { request: (event) => wecomRequest(event, url), classify: classifyWecom };
    }
}

/** The sink of one resolved target. */
export function sinkOf(target: NotificationTarget, delivery: Partial<DeliveryOptions> = {}): HttpSink {
    const kinds = target.events ? new Set<EventKind>(target.events) : undefined;
    return new HttpSink(target.name, formatOf(target), delivery, kinds);
}

/**
 * The sinks of a `notifications` config, for the driver's CLI: validates it, looks up each URL and secret in the
 * environment (`env:NAME`) or the stack's Pulumi secrets (`secret:KEY`, `options.pulumiSecrets`: pass
 * `secretConfigValues(await stack.getAllConfig())`), and builds one
 * queued, retrying sink per entry. Throws InvalidArgsError when the config is wrong or a reference finds nothing.
 */
export function sinksFromConfig(
    config: unknown,
    env: SecretSources["env"],
    options: { pulumiSecrets?: SecretSources["pulumiSecrets"]; delivery?: Partial<DeliveryOptions> } = {},
): EventSink[] {
    const sources: SecretSources = options.pulumiSecrets ? { env, pulumiSecrets: options.pulumiSecrets } : { env };
    return resolveNotifications(config, sources).map((target) => sinkOf(target, options.delivery));
}

/**
 * Reads a notifications file (YAML or JSON, as `--notify FILE` names it): a mapping with a `notifications` list
 * (docs/examples/notifications.yaml), or the list itself. Returns the list for sinksFromConfig.
 */
export function readNotificationsFile(path: string): unknown {
    const doc: unknown = parse(readFileSync(path, "utf8"));
    if (doc !== null && typeof doc === "object" && !Array.isArray(doc) && "notifications" in doc)
        return (doc as { notifications: unknown }).notifications;
    return doc;
}
