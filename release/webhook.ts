/**
 * `gray-release serve-webhook`: an Alertmanager webhook receiver that turns a firing canary alert of SloRules into
 * an immediate update of the service's stack, so a canary that turns bad between the driver's checks is rolled back
 * as soon as Prometheus sees it.
 *
 * Alertmanager POSTs its webhook payload (version 4: `alerts[]` each with `status`, `labels`, `annotations`,
 * `startsAt`, `endsAt`, `generatorURL`, `fingerprint`) to the receiver's URL. An alert that is `firing`, named
 * `CanaryErrorRateDeltaHigh` (ALERT_NAMES.canaryP1) and carries a `service` label calls `onTrigger(service, alert)`
 * at once; while that service's trigger runs, further alerts for it are deduplicated (the running update judges
 * the canary anyway). Any other alert (resolved, another name, no service) is ignored with a log line. The answer
 * is sent without waiting for the trigger (Alertmanager would otherwise time out and resend).
 *
 * With a token, every POST must carry `Authorization: Bearer <token>` (Alertmanager: `http_config.authorization`);
 * otherwise 401. `GET /healthz` answers 200 for probes.
 */
import { timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ALERT_NAMES } from "../components/slo-rules/generator";

/** One alert of Alertmanager's webhook payload. */
export const alertmanagerAlertSchema = z
    .object({
        status: z.string().meta({ description: "`firing` or `resolved`." }),
        labels: z.record(z.string(), z.string()).meta({ description: "The alert's labels, `alertname` included." }),
        annotations: z.record(z.string(), z.string()).optional(),
        startsAt: z.string().optional(),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().optional(),
    })
    .loose();

/** Alertmanager's webhook payload (version 4); fields this receiver does not read are kept as they come. */
export const alertmanagerPayloadSchema = z
    .object({
        version: z.string().optional(),
        groupKey: z.string().optional(),
        truncatedAlerts: z.number().optional(),
        status: z.string().optional(),
        receiver: z.string().optional(),
        groupLabels: z.record(z.string(), z.string()).optional(),
        commonLabels: z.record(z.string(), z.string()).optional(),
        commonAnnotations: z.record(z.string(), z.string()).optional(),
        externalURL: z.string().optional(),
        alerts: z.array(alertmanagerAlertSchema),
    })
    .loose();

export type AlertmanagerAlert = z.output<typeof alertmanagerAlertSchema>;
export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;

export interface ServeWebhookOptions {
    /** Port to listen on; 0 picks a free one (see the handle's `port`). */
    port: number;
    /** Address to listen on (default 127.0.0.1; `0.0.0.0` to be reachable from Alertmanager in a cluster). */
    host?: string;
    /** Runs the immediate update of the service's stack; its promise ends the deduplication window. */
    onTrigger: (service: string, alert: AlertmanagerAlert) => Promise<void> | void;
    /** When set, POSTs must carry `Authorization: Bearer <token>`. */
    token?: string;
    /** The alert that triggers (default ALERT_NAMES.canaryP1, the canary P1 alert of SloRules). */
    alertName?: string;
    /** Where each decision is logged (default: standard error). */
    log?: (line: string) => void;
    /** Largest request body accepted, in bytes (default 1 MiB). */
    maxBodyBytes?: number;
}

/** What one POST did. */
export interface WebhookResult {
    triggered: string[];
    deduplicated: string[];
    ignored: number;
}

export interface WebhookServer {
    readonly server: http.Server;
    readonly host: string;
    readonly port: number;
    /** The receiver's URL, e.g. `http://127.0.0.1:9095/`. */
    readonly url: string;
    /** Services whose trigger is running now. */
    running(): string[];
    /** Stops listening; waits for running triggers. */
    close(): Promise<void>;
}

function tokenMatches(header: string | undefined, token: string): boolean {
    const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
    if (!m) return false;
    const given = Buffer.from(m[1]!.trim());
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Decides, for one payload, which services to trigger; pure, so the rules are testable without a server. */
export function triggersOf(
    payload: AlertmanagerPayload,
    alertName: string,
): { triggers: Array<{ service: string; alert: AlertmanagerAlert }>; ignored: string[] } {
    const triggers: Array<{ service: string; alert: AlertmanagerAlert }> = [];
    const ignored: string[] = [];
    for (const alert of payload.alerts) {
        const name = alert.labels["alertname"] ?? "(no alertname)";
        const service = alert.labels["service"];
        if (name !== alertName) ignored.push(`${name} (${alert.status}): not ${alertName}`);
        else if (alert.status !== "firing") ignored.push(`${name} for ${service ?? "?"}: ${alert.status}`);
        else if (!service) ignored.push(`${name}: no service label`);
        else if (!triggers.some((t) => t.service === service)) triggers.push({ service, alert });
    }
    return { triggers, ignored };
}

/** Starts the receiver; resolves once it listens. */
export async function serveWebhook(options: ServeWebhookOptions): Promise<WebhookServer> {
    const host = options.host ?? "127.0.0.1";
    const alertName = options.alertName ?? ALERT_NAMES.canaryP1;
    const maxBody = options.maxBodyBytes ?? 1024 * 1024;
    const log = (line: string) => {
        try {
            (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`serve-webhook: ${line}`);
        } catch {
            // Logging must not break the receiver.
        }
    };
    const running = new Map<string, Promise<void>>();

    const trigger = (service: string, alert: AlertmanagerAlert): void => {
        log(`${alertName} firing for ${service}: triggering an update`);
        const run = (async () => {
            // One microtask later, so that the entry below exists before anything can end (a trigger that throws at once).
            await null;
            try {
                await options.onTrigger(service, alert);
                log(`update for ${service} done`);
            } catch (error) {
                log(`update for ${service} failed: ${error instanceof Error ? error.message : String(error)}`);
            } finally {
                running.delete(service);
            }
        })();
        running.set(service, run);
    };

    const handle = (payload: AlertmanagerPayload): WebhookResult => {
        const { triggers, ignored } = triggersOf(payload, alertName);
        for (const line of ignored) log(`ignored ${line}`);
        const result: WebhookResult = { triggered: [], deduplicated: [], ignored: ignored.length };
        for (const { service, alert } of triggers) {
            if (running.has(service)) {
                log(`${alertName} firing for ${service}: an update for it is already running (deduplicated)`);
                result.deduplicated.push(service);
            } else {
                trigger(service, alert);
                result.triggered.push(service);
            }
        }
        return result;
    };

    const reply = (res: http.ServerResponse, status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
    };

    const server = http.createServer((req, res) => {
        if (req.method === "GET" && (req.url === "/healthz" || req.url === "/-/healthy")) return reply(res, 200, { status: "ok" });
        if (req.method !== "POST") {
            res.setHeader("allow", "POST");
            return reply(res, 405, { error: "POST an Alertmanager webhook payload" });
        }
        if (options.token !== undefined && !tokenMatches(req.headers.authorization, options.token)) {
            log(`refused a request without the bearer token from ${req.socket.remoteAddress}`);
            return reply(res, 401, { error: "missing or wrong bearer token" });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBody) tooLarge = true;
            else chunks.push(chunk);
        });
        req.on("end", () => {
            if (tooLarge) return reply(res, 413, { error: `payload larger than ${maxBody} bytes` });
            let json: unknown;
            try {
                json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
                log("refused a body that is not JSON");
                return reply(res, 400, { error: "the body is not JSON" });
            }
            const parsed = alertmanagerPayloadSchema.safeParse(json);
            if (!parsed.success) {
                const issue = parsed.error.issues[0];
                log(`refused a payload that is not Alertmanager's: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
                return reply(res, 400, { error: "not an Alertmanager webhook payload", issues: parsed.error.issues.slice(0, 5) });
            }
            reply(res, 200, handle(parsed.data));
        });
        req.on("error", () => res.destroy());
    });

    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    const port = (server.address() as AddressInfo).port;
    const urlHost = host.includes(":") ? `[${host}]` : host;
    log(`listening on http://${urlHost}:${port}/ for ${alertName}${options.token !== undefined ? " (bearer token required)" : ""}`);
    return {
        server,
        host,
        port,
        url: `http://${urlHost}:${port}/`,
        running: () => [...running.keys()],
        close: async () => {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeIdleConnections();
            });
            await Promise.all([...running.values()]);
        },
    };
}
