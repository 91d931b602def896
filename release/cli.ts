/**
 * `gray-release release <stack>`: the command line of the release driver. Parses the arguments, builds the
 * notification sinks, wires Ctrl-C to the driver and exits with its status (see USAGE in release/args.ts).
 */
import { type Command, parseCommand, USAGE, UsageError } from "./args";
import type { EventSink } from "./events";
import { EXIT } from "./schedule";

/**
 * The notification sinks of a run. The seam for `--notify` options (release/notify/): they are parsed into this array
 * and handed to the driver; none yet.
 */
export function buildSinks(_command: Extract<Command, { command: "release" }>): EventSink[] {
    return [];
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
    const driver = new ReleaseDriver({
        stack: command.stack,
        projectDir,
        checkIntervalMs: command.checkIntervalMs,
        maxDurationMs: command.maxDurationMs,
        once: command.once,
        policyPacks: command.policyPacks,
        policyPackConfigs: command.policyPackConfigs,
        sinks: buildSinks(command),
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

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (status) => process.exit(status),
        (e) => {
            process.stderr.write(`gray-release: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(EXIT.error);
        },
    );
}
