/**
 * `gray-release release <stack>`: the command line of the release driver. Parses the arguments, builds the
 * notification sinks, wires Ctrl-C to the driver and exits with its status (see USAGE in release/args.ts).
 */
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { type Command, parseCommand, type ReleaseCommand, type ServeWebhookCommand, USAGE, UsageError } from "./args";
import type { EventSink } from "./events";
import { readNotificationsFile, secretConfigValues, sinksFromConfig } from "./notify";
import { EXIT } from "./schedule";

/**
 * The notification sinks of a run: those of the `--notify` file, their URLs and secrets looked up in the environment
 * (`env:NAME`) or the stack's Pulumi secrets (`secret:KEY`).
 */
export async function buildSinks(command: Pick<ReleaseCommand, "notify" | "stack">, projectDir: string): Promise<EventSink[]> {
    if (command.notify === undefined) return [];
    const config = readNotificationsFile(path.resolve(command.notify));
    const stack = await LocalWorkspace.selectStack({ stackName: command.stack, workDir: projectDir });
    return sinksFromConfig(config, process.env, { pulumiSecrets: secretConfigValues(await stack.getAllConfig()) });
}

export async function main(argv: ReadonlyArray<string>): Promise<number> {
    let command: Command;
    try {
        command = parseCommand(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`gray-release: ${e.message}\n\n${USAGE}\n`);
        return EXIT.error;
    }
    if (command.command === "help") {
        process.stdout.write(`${command.text}\n`);
        return EXIT.ok;
    }
    // Loaded only now: the driver brings the program and its Pulumi providers, seconds to load.
    const { defaultProjectDir, ReleaseDriver } = require("./driver") as typeof import("./driver");
    let projectDir: string;
    try {
        projectDir = command.projectDir ?? defaultProjectDir();
    } catch (e) {
        process.stderr.write(`gray-release: ${(e as Error).message}\n`);
        return EXIT.error;
    }
    let sinks: EventSink[];
    try {
        sinks = await buildSinks(command, projectDir);
    } catch (e) {
        process.stderr.write(`gray-release: --notify: ${(e as Error).message}\n`);
        return EXIT.error;
    }
    if (command.command === "serve-webhook") return serve(command, projectDir, sinks);
    const driver = new ReleaseDriver({
        stack: command.stack,
        projectDir,
        checkIntervalMs: command.checkIntervalMs,
        maxDurationMs: command.maxDurationMs,
        once: command.once,
        policyPacks: command.policyPacks,
        policyPackConfigs: command.policyPackConfigs,
        sinks,
        output: { tty: process.stdout.isTTY === true, write: (t) => process.stdout.write(t) },
    });
    const onSignal = () => driver.interrupt();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
        return await driver.run();
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

/**
 * `serve-webhook`: each firing canary alert runs one check of the stack and the update it calls for (the program
 * decides: a failing canary is rolled back), as `release --once` does. Runs until SIGINT or SIGTERM.
 */
async function serve(command: ServeWebhookCommand, projectDir: string, sinks: EventSink[]): Promise<number> {
    const { ReleaseDriver } = require("./driver") as typeof import("./driver");
    const { serveWebhook } = require("./webhook") as typeof import("./webhook");
    const token = process.env["GRAY_RELEASE_WEBHOOK_TOKEN"];
    const server = await serveWebhook({
        port: command.port,
        host: command.host,
        ...(token ? { token } : {}),
        onTrigger: async (service) => {
            process.stdout.write(`alert for ${service}: checking stack ${command.stack} now\n`);
            const driver = new ReleaseDriver({
                stack: command.stack,
                projectDir,
                checkIntervalMs: 1000,
                maxDurationMs: 10 * 60_000,
                once: true,
                policyPacks: command.policyPacks,
                policyPackConfigs: command.policyPackConfigs,
                sinks,
                output: { tty: false, write: (t) => process.stdout.write(t) },
            });
            const status = await driver.run();
            process.stdout.write(`alert for ${service}: done (exit status ${status})\n`);
        },
    });
    process.stdout.write(`listening on ${server.url} for Alertmanager (stack ${command.stack})\n`);
    await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
    });
    await server.close();
    await Promise.all(sinks.map((s) => s.flush()));
    return EXIT.ok;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (status) => process.exit(status),
        (e) => {
            process.stderr.write(`gray-release: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(EXIT.error);
        },
    );
}
