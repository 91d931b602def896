/**
 * Configuration of the notification sinks: a `notifications` list, each entry a sink type, where its URL and
 * secret come from, and which events it wants.
 *
 * A webhook URL is a credential (whoever has a Slack, Feishu or WeCom webhook URL can post to the channel), so
 * neither `url` nor `secret` is taken from plain config. Each is a reference:
 * - `env:NAME`: the environment variable NAME of the driver's process (a CI secret, a Kubernetes Secret mounted
 *   as env);
 * - `secret:KEY`: the stack's config value KEY, which must be a Pulumi secret (`pulumi config set --secret KEY
 *   <url>`); the driver reads the stack's secret config values and hands them over (a plain value is not found);
 * - for `url` only, a literal `http://` URL on the loopback interface (127.0.0.1, [::1], localhost): a local
 *   receiver or a test, which carries no credential.
 */
import { z } from "zod";
import { InvalidArgsError, parseArgs } from "../../components/common/validation";
import { EVENT_KINDS } from "./format";

const REF = /^(env|secret):(.+)$/;

/** Whether `url` is a literal http URL on the loopback interface. */
export function isLoopbackUrl(url: string): boolean {
    try {
        const u = new URL(url);
        return u.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
    } catch {
        return false;
    }
}

const secretRef = z.string().regex(REF, {
    message: "a reference is expected, not the value itself: `env:NAME` (an environment variable) or `secret:KEY` (a Pulumi secret of the stack)",
});

/** One notification sink. */
export const notificationSchema = z
    .object({
        type: z.enum(["webhook", "slack", "feishu", "wecom"]).meta({
            description:
                "The sink: `webhook` (the event as JSON), `slack` (incoming webhook), `feishu` (Feishu/Lark custom bot, interactive card), `wecom` (WeCom group robot, markdown).",
        }),
        url: z
            .string()
            .refine((v) => REF.test(v) || isLoopbackUrl(v), {
                message:
                    "a webhook URL is a credential: write `env:NAME` or `secret:KEY` (a Pulumi secret); a literal URL is accepted only for http://127.0.0.1 (local receivers and tests)",
            })
            .meta({
                description:
                    "Where the webhook URL comes from: `env:NAME`, `secret:KEY` (a Pulumi secret of the stack), or a literal loopback `http://127.0.0.1:…` URL.",
            }),
        secret: secretRef.optional().meta({
            description:
                "The signing secret, as `env:NAME` or `secret:KEY`: Feishu's signature verification (timestamp + HMAC-SHA256), or the generic webhook's `X-Gray-Release-Signature`. Slack and WeCom have none.",
        }),
        events: z.array(z.enum(EVENT_KINDS)).min(1).optional().meta({
            description:
                "The event kinds this sink receives; every kind when absent (start, advance, hold, rollback, promote, fail, refused, error, finished).",
        }),
        name: z.string().min(1).optional().meta({ description: "The sink's name in log lines; `<type>-<index>` when absent." }),
    })
    .strict()
    .refine((n) => n.secret === undefined || n.type === "feishu" || n.type === "webhook", {
        message: "`secret` applies to feishu and webhook sinks only (Slack and WeCom webhooks are not signed)",
        path: ["secret"],
    });

/** The notification sinks of the release driver. */
export const notificationsSchema = z.array(notificationSchema).default([]).meta({ description: "Where the release driver reports each transition." });

/** A sink as written in config. */
export type NotificationArgs = z.input<typeof notificationSchema>;
/** A sink after validation. */
export type ResolvedNotificationArgs = z.output<typeof notificationSchema>;
/** The `notifications` list as written in config. */
export type NotificationsArgs = z.input<typeof notificationsSchema>;

/** A sink with its URL and secret looked up: what the sinks are built from. */
export interface NotificationTarget extends Omit<ResolvedNotificationArgs, "url" | "secret" | "name"> {
    name: string;
    url: string;
    secret?: string;
}

/** Where references are looked up. */
export interface SecretSources {
    /** The environment (usually process.env). */
    env: Readonly<Record<string, string | undefined>>;
    /**
     * The stack's secret config values, keyed as Pulumi names them (`project:key`); `secret:key` also finds
     * `<any project>:key` when only one matches.
     */
    pulumiSecrets?: Readonly<Record<string, string>>;
}

function lookUp(ref: string, sources: SecretSources): { value?: string; missing?: string } {
    const m = REF.exec(ref);
    if (!m) return { value: ref };
    const [, kind, key] = m as unknown as [string, "env" | "secret", string];
    if (kind === "env") {
        const value = sources.env[key];
        return value ? { value } : { missing: `the environment variable ${key} is not set` };
    }
    const secrets = sources.pulumiSecrets ?? {};
    if (secrets[key] !== undefined) return { value: secrets[key] };
    const matches = Object.keys(secrets).filter((k) => k.endsWith(`:${key}`));
    if (matches.length === 1) return { value: secrets[matches[0]!]! };
    return {
        missing:
            matches.length > 1
                ? `${key} names several secrets (${matches.join(", ")}): write the full key`
                : `the stack has no secret config value ${key} (set it with \`pulumi config set --secret ${key} <value>\`; a plain config value is not accepted)`,
    };
}

/**
 * Validates the `notifications` list and looks up every URL and secret. Throws InvalidArgsError naming every
 * entry whose shape is wrong or whose reference finds nothing (never printing a looked-up value).
 */
export function resolveNotifications(notifications: unknown, sources: SecretSources): NotificationTarget[] {
    const parsed = parseArgs("notifications", z.object({ notifications: notificationsSchema }), { notifications }).notifications;
    const problems: Array<{ path: string; value: unknown; message: string }> = [];
    const targets = parsed.map((n, i): NotificationTarget => {
        const url = lookUp(n.url, sources);
        if (url.missing) problems.push({ path: `notifications[${i}].url`, value: n.url, message: url.missing });
        else if (!/^https?:\/\//.test(url.value!))
            problems.push({ path: `notifications[${i}].url`, value: n.url, message: "the value found is not an http(s) URL" });
        const secret = n.secret === undefined ? undefined : lookUp(n.secret, sources);
        if (secret?.missing) problems.push({ path: `notifications[${i}].secret`, value: n.secret, message: secret.missing });
        const target: NotificationTarget = { type: n.type, name: n.name ?? `${n.type}-${i}`, url: url.value ?? "" };
        if (n.events) target.events = n.events;
        if (secret?.value) target.secret = secret.value;
        return target;
    });
    if (problems.length > 0) throw new InvalidArgsError("notifications", problems);
    return targets;
}

/**
 * The secret values of a stack's config, as `secret:KEY` references look them up: from the Automation API's
 * `stack.getAllConfig()` (`{ "project:key": { value, secret } }`), only the entries marked secret.
 */
export function secretConfigValues(config: Readonly<Record<string, { value: string; secret?: boolean }>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(config)) if (entry.secret) out[key] = entry.value;
    return out;
}
