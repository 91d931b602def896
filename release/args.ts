/** The command line of `gray-release`, parsed without side effects. */
import { parseDuration } from "../components/common/duration";

/** `gray-release release <stack> …` */
export interface ReleaseCommand {
    command: "release";
    stack: string;
    /** The Pulumi project (folder of Pulumi.yaml); undefined: this package's own project. */
    projectDir: string | undefined;
    checkIntervalMs: number;
    maxDurationMs: number;
    once: boolean;
    /** Policy packs to run with every update (`--policy-pack DIR`, repeatable). */
    policyPacks: string[];
    /** Their config files (`--policy-pack-config FILE`, repeatable, in the same order). */
    policyPackConfigs: string[];
    /** A notifications file (`--notify FILE`: a `notifications` list, docs/examples/notifications.yaml). */
    notify: string | undefined;
}

/** `gray-release serve-webhook <stack> …`: Alertmanager's canary alerts run the stack's update at once. */
export interface ServeWebhookCommand extends Omit<ReleaseCommand, "command" | "once" | "checkIntervalMs" | "maxDurationMs"> {
    command: "serve-webhook";
    port: number;
    host: string;
}

export type Command = ReleaseCommand | ServeWebhookCommand | { command: "help"; text: string };

export const DEFAULT_CHECK_INTERVAL = "15s";
export const DEFAULT_MAX_DURATION = "2h";

export const DEFAULT_WEBHOOK_PORT = 9095;

export const USAGE = `Usage: gray-release release <stack> [options]
       gray-release serve-webhook <stack> [--port 9095] [--host 127.0.0.1] [--project-dir DIR] [--policy-pack DIR] [--notify FILE]

Runs the stack's canary releases to their end: every check interval it runs the program's analysis without an
update, and runs \`pulumi up\` at once when a verdict would roll a canary back, or when a step is due.

Options:
  --project-dir DIR          Pulumi project to drive (default: the nearest Pulumi.yaml
                             above the current folder, else this package's project)
  --check-interval DURATION  time between two analyses (default ${DEFAULT_CHECK_INTERVAL})
  --max-duration DURATION    stop after this long (default ${DEFAULT_MAX_DURATION})
  --once                     at most one update, then exit (for a cron or CI schedule)
  --policy-pack DIR          run the update with this policy pack (repeatable)
  --policy-pack-config FILE  its config (repeatable, in the same order)
  --notify FILE              send every transition to the sinks of this notifications file
  -h, --help                 this help

serve-webhook: an Alertmanager webhook receiver. A firing canary alert of SloRules (CanaryErrorRateDeltaHigh) for a
service runs one check of the stack at once and the update it calls for (as release --once). The bearer token, when
set, is GRAY_RELEASE_WEBHOOK_TOKEN. --host 0.0.0.0 makes it reachable from Alertmanager in a cluster.

Durations: 30s, 5m, 1h30m (Prometheus grammar).

Exit status:
  0  every service promoted; with --once: the run rolled nothing back (services may still be progressing)
  1  driver error: bad arguments, unreadable stack, failed update, stack lock held by another update
  3  a service was rolled back (unhealthy canary)
  4  a service failed (analysis errors or inconclusive verdicts up to their limit)
  5  the policy pack refused the update
  6  --max-duration reached with services still progressing
A rollback or failure outranks the others (4 over 3 over 6).`;

/** Thrown on a bad command line; the CLI prints it with the usage and exits 1. */
export class UsageError extends Error {}

function duration(flag: string, text: string | undefined): number {
    if (text === undefined) throw new UsageError(`${flag} needs a value`);
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) throw new UsageError(`${flag}: "${text}" is not a positive duration like 15s, 5m or 1h30m`);
    return ms;
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommand(argv: ReadonlyArray<string>): Command {
    if (argv.length === 0 || argv.includes("-h") || argv.includes("--help") || argv[0] === "help") return { command: "help", text: USAGE };
    const [command, ...rest] = argv;
    if (command !== "release" && command !== "serve-webhook") throw new UsageError(`unknown command "${command}" (known: release, serve-webhook)`);
    let port = DEFAULT_WEBHOOK_PORT;
    let host = "127.0.0.1";
    const out: ReleaseCommand = {
        command: "release",
        stack: "",
        projectDir: undefined,
        checkIntervalMs: duration("--check-interval", DEFAULT_CHECK_INTERVAL),
        maxDurationMs: duration("--max-duration", DEFAULT_MAX_DURATION),
        once: false,
        policyPacks: [],
        policyPackConfigs: [],
        notify: undefined,
    };
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i]!;
        const [flag, inline] =
            arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = (): string | undefined => inline ?? rest[++i];
        switch (flag) {
            case "--project-dir": {
                const v = value();
                if (v === undefined || v === "") throw new UsageError("--project-dir needs a folder");
                out.projectDir = v;
                break;
            }
            case "--check-interval":
                out.checkIntervalMs = duration(flag, value());
                break;
            case "--max-duration":
                out.maxDurationMs = duration(flag, value());
                break;
            case "--once":
                if (inline !== undefined) throw new UsageError("--once takes no value");
                out.once = true;
                break;
            case "--policy-pack":
            case "--policy-pack-config": {
                const v = value();
                if (v === undefined || v === "") throw new UsageError(`${flag} needs a path`);
                (flag === "--policy-pack" ? out.policyPacks : out.policyPackConfigs).push(v);
                break;
            }
            case "--notify": {
                const v = value();
                if (v === undefined || v === "") throw new UsageError("--notify needs a file");
                out.notify = v;
                break;
            }
            case "--port":
            case "--host": {
                if (command !== "serve-webhook") throw new UsageError(`${flag} is an option of serve-webhook`);
                const v = value();
                if (flag === "--host") {
                    if (v === undefined || v === "") throw new UsageError("--host needs an address");
                    host = v;
                } else {
                    const n = Number(v);
                    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: "${v}" is not a port number`);
                    port = n;
                }
                break;
            }
            default:
                if (flag.startsWith("-")) throw new UsageError(`unknown option ${flag}`);
                positional.push(arg);
        }
    }
    if (positional.length !== 1)
        throw new UsageError(
            positional.length === 0 ? "which stack? e.g. gray-release release prod" : `one stack only, got: ${positional.join(" ")}`,
        );
    out.stack = positional[0]!;
    if (out.policyPackConfigs.length > out.policyPacks.length) throw new UsageError("--policy-pack-config without its --policy-pack");
    if (command === "serve-webhook") {
        if (out.once || argv.some((a) => a.startsWith("--check-interval") || a.startsWith("--max-duration")))
            throw new UsageError("serve-webhook runs one check per alert: --once, --check-interval and --max-duration do not apply");
        const { once: _once, checkIntervalMs: _c, maxDurationMs: _m, command: _r, ...common } = out;
        return { ...common, command: "serve-webhook", port, host };
    }
    return out;
}
