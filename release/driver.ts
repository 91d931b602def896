/**
 * The release driver: runs a stack's canary releases to their end on Pulumi's Automation API. Every check interval
 * it reads the stack config and the previous outputs, runs the program's own analysis and decision (stacks/program.ts
 * `planStack` and `decideAll`) without an update, and runs `pulumi up` when the decision would move a canary
 * (release/schedule.ts says when). The program stays the only place that decides; the update applies its decision.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConcurrentUpdateError, LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { InvalidArgsError } from "../components/common/validation";
import { type ProgressionState, parseState, type ServiceProgressionResult } from "../progression";
import { platformStackOf } from "../stacks/config";
import { PLATFORM_OUTPUT, type PlatformFacts, parsePlatformFacts } from "../stacks/platform-outputs";
import { decideAll, type PreviousOutputs, planStack, rawStackConfig, STARTS_OUTPUT, STATE_OUTPUT, stackReleases } from "../stacks/program";
import type { DriverEvent, EventSink, ReleaseEvent, ServiceEvent } from "./events";
import { EXIT, type ExitStatus, exitStatusOf, isTerminal, type Move, nextMove, type ServiceCheck } from "./schedule";
import { type ReleaseOutput, transitionEvents } from "./transitions";
import { eventLine, renderView, type ServiceRow, type ViewState } from "./view";

/** Where the driver writes: a terminal gets the live view, anything else one line per event. */
export interface DriverOutput {
    tty: boolean;
    write(text: string): void;
}

export interface DriverOptions {
    stack: string;
    /** Folder of the project's Pulumi.yaml. */
    projectDir: string;
    checkIntervalMs: number;
    maxDurationMs: number;
    once: boolean;
    policyPacks?: string[];
    policyPackConfigs?: string[];
    /** Notification sinks: every event is handed to each (they never block the driver). */
    sinks?: EventSink[];
    output: DriverOutput;
    /** Extra environment for the engine. */
    envVars?: Record<string, string>;
    /** How often an update finding the stack locked by another update is retried, and how long apart. */
    lockRetries?: number;
    lockRetryDelayMs?: number;
    /** How often the live view is redrawn while waiting (ms). */
    redrawMs?: number;
}

/** The project to drive when none is given: the nearest Pulumi.yaml above `from`, else this package's own project. */
export function defaultProjectDir(from: string = process.cwd()): string {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) break;
    }
    for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    }
    throw new Error("no Pulumi.yaml found above the current folder: pass --project-dir");
}

const LOCKED = /currently locked|another update is currently in progress|\[409\] conflict|concurrent update/i;
const REFUSED = /\[mandatory\]|mandatory policy violation|policy violations?/i;

/** What went wrong with an update, from its error and output. */
export function classifyUpdateError(error: unknown, output: string): "locked" | "refused" | "error" {
    const text = `${error instanceof Error ? error.message : String(error)}\n${output}`;
    if (error instanceof ConcurrentUpdateError || LOCKED.test(text)) return "locked";
    if (REFUSED.test(text)) return "refused";
    return "error";
}

/** Checks in a row that may fail (reading the stack) before the driver gives up. */
const CHECK_ERRORS_TOLERATED = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

interface Checked {
    checks: ServiceCheck[];
    rows: ServiceRow[];
    states: Record<string, ProgressionState | undefined>;
}

/** One driver per stack and run. */
export class ReleaseDriver {
    private stack: Stack | undefined;
    private interrupts = 0;
    private abort: AbortController | undefined;
    private wake: (() => void) | undefined;
    private view: ViewState;
    private drawn = 0;
    /** Statuses this run moved services into. */
    private readonly changed: string[] = [];

    constructor(private readonly opts: DriverOptions) {
        this.view = { stack: opts.stack, now: Date.now(), rows: [], recent: [] };
    }

    /** Ctrl-C: the first lets a running update finish and then stops; the second cancels the update. */
    interrupt(): void {
        this.interrupts++;
        if (this.abort === undefined) {
            this.say("interrupted: stopping (no update was running)");
            this.wake?.();
            return;
        }
        if (this.interrupts === 1) {
            this.say("interrupted: the running update finishes first, then the driver stops (Ctrl-C again cancels the update)");
        } else if (this.interrupts === 2) {
            this.say("cancelling the update: the engine finishes the operations in flight and stops (no pending operation is left)");
            // SIGINT to the engine: its own graceful cancellation. A second one would kill it mid-operation: never sent.
            this.abort.abort();
            // Cloud backends also cancel on the service side; the file backend only drops its lock, which the engine still uses.
            if (!(this.opts.envVars?.["PULUMI_BACKEND_URL"] ?? process.env["PULUMI_BACKEND_URL"] ?? "").startsWith("file://")) {
                this.stack?.cancel().catch(() => undefined);
            }
        }
    }

    /** Runs until every release ended, `maxDurationMs`, one update with `once`, or an interrupt. */
    async run(): Promise<ExitStatus> {
        const { opts } = this;
        const deadline = Date.now() + opts.maxDurationMs;
        let status: ExitStatus;
        try {
            this.stack = await LocalWorkspace.selectStack(
                { stackName: opts.stack, workDir: opts.projectDir },
                opts.envVars !== undefined ? { envVars: opts.envVars } : {},
            );
            this.line(
                `driving stack ${opts.stack} (${opts.projectDir}): a check every ${opts.checkIntervalMs / 1000}s${opts.once ? ", one update at most" : ""}`,
            );
            status = await this.loop(this.stack, deadline);
        } catch (e) {
            this.emit({ kind: "error", stack: opts.stack, message: e instanceof Error ? e.message : String(e), at: new Date().toISOString() });
            status = EXIT.error;
        }
        this.emit({ kind: "finished", stack: opts.stack, message: `exit status ${status}`, at: new Date().toISOString() });
        await this.flushSinks();
        return status;
    }

    private async loop(stack: Stack, deadline: number): Promise<ExitStatus> {
        const { opts } = this;
        let checkErrors = 0;
        for (;;) {
            if (this.interrupts > 0) return exitStatusOf("once", [], this.changed);
            let checked: Checked;
            try {
                checked = await this.check(stack);
                checkErrors = 0;
            } catch (e) {
                // A config the program refuses is final; reading the stack may fail for a moment (a busy backend).
                if (e instanceof InvalidArgsError || ++checkErrors >= CHECK_ERRORS_TOLERATED) throw e;
                this.line(`check failed (${checkErrors}/${CHECK_ERRORS_TOLERATED}), retrying at the next check: ${firstLine(e)}`);
                await this.waitUntil(Math.min(Date.now() + opts.checkIntervalMs, deadline));
                continue;
            }
            if (this.interrupts > 0) return exitStatusOf("once", [], this.changed);
            const move: Move = nextMove(checked.checks, Date.now());
            this.view = { ...this.view, rows: checked.rows, updating: undefined };
            if (move.kind === "done") {
                this.line(`done: ${move.reason}`);
                return opts.once ? exitStatusOf("once", [], this.changed) : move.status;
            }
            if (move.kind === "run") {
                const after = await this.update(stack, move, checked.states);
                if (after === "refused") return EXIT.refused;
                const finals = Object.values(after);
                if (opts.once || this.interrupts > 0) return exitStatusOf("once", [], this.changed);
                if (finals.length > 0 && finals.every((s) => isTerminal(s?.status)))
                    return exitStatusOf(
                        "done",
                        finals.map((s) => s?.status),
                        [],
                    );
            } else {
                if (opts.once) return exitStatusOf("once", [], this.changed);
                this.view = { ...this.view, notice: undefined };
                if (!opts.output.tty) this.quiet(move.reason);
            }
            if (Date.now() >= deadline) {
                this.line("--max-duration reached");
                return exitStatusOf(
                    "maxDuration",
                    Object.values(checked.states).map((s) => s?.status),
                    this.changed,
                );
            }
            await this.waitUntil(Math.min(Date.now() + opts.checkIntervalMs, deadline));
        }
    }

    /** Reads config and outputs, and runs the program's analysis and decision without an update. */
    private async check(stack: Stack): Promise<Checked> {
        const raw = rawStackConfig(await stack.getAllConfig());
        const platform = await this.platformOf(raw);
        const plan = planStack(this.opts.stack, raw, platform);
        const outputs = await stack.outputs();
        const statesValue = outputs[STATE_OUTPUT]?.value;
        const startsValue = outputs[STARTS_OUTPUT]?.value;
        const previous: PreviousOutputs = {
            states: statesValue !== null && typeof statesValue === "object" ? statesValue : {},
            promotions: {},
            // The cadence counts earlier starts, as the program does.
            starts: startsValue !== null && typeof startsValue === "object" ? startsValue : {},
        };
        const now = new Date();
        const results: Map<string, ServiceProgressionResult> = await decideAll(this.opts.stack, plan.services, previous, now);
        const checks: ServiceCheck[] = [];
        const rows: ServiceRow[] = [];
        const states: Record<string, ProgressionState | undefined> = {};
        // Every release: each service's image canary and each of its flag rollouts (`<service>/flag/<key>`).
        for (const { key, config } of stackReleases(plan.services)) {
            const result = results.get(key);
            if (result === undefined) continue;
            const state = parseState(previous.states[key]).state;
            states[key] = state;
            const verdict = result.verdict?.kind;
            checks.push({
                service: key,
                previous: state,
                decision: result.decision,
                verdict,
                minIntervalMs: config.minIntervalBetweenSteps,
            });
            const shown = state !== undefined && state.canaryImage === config.canaryImage ? state : undefined;
            rows.push({
                service: key,
                step: shown !== undefined && shown.stepIndex >= 0 ? shown.stepIndex + 1 : undefined,
                steps: config.steps.length,
                weight: shown?.weight ?? 0,
                status: shown?.status ?? "not started",
                verdict,
                checks: (result.verdict?.checks ?? []).map((c) => ({
                    name: c.name,
                    outcome: c.outcome === "pass" || c.outcome === "fail" ? c.outcome : "inconclusive",
                    measured: c.measured,
                    ...(c.threshold !== null ? { threshold: c.threshold } : {}),
                })),
                reason: result.decision.reason,
                nextStepAt:
                    shown !== undefined && verdict === "pass" ? Date.parse(shown.lastTransitionAt) + config.minIntervalBetweenSteps : undefined,
            });
        }
        return { checks, rows, states };
    }

    /** The platform facts of a services stack, from its platform stack's output. */
    private async platformOf(raw: Record<string, unknown>): Promise<PlatformFacts | undefined> {
        const roles = platformStackOf(raw);
        if (roles?.role !== "services" || roles.platformStack === undefined) return undefined;
        const platform = await LocalWorkspace.selectStack(
            { stackName: roles.platformStack, workDir: this.opts.projectDir },
            this.opts.envVars !== undefined ? { envVars: this.opts.envVars } : {},
        );
        return parsePlatformFacts(roles.platformStack, (await platform.outputs())[PLATFORM_OUTPUT]?.value);
    }

    /** Runs one update (retrying while another update holds the lock) and reports its transitions. */
    private async update(
        stack: Stack,
        move: Extract<Move, { kind: "run" }>,
        before: Record<string, ProgressionState | undefined>,
    ): Promise<Record<string, ProgressionState> | "refused"> {
        const { opts } = this;
        const retries = opts.lockRetries ?? 20;
        const delay = opts.lockRetryDelayMs ?? 5000;
        for (let attempt = 0; ; attempt++) {
            this.view = { ...this.view, updating: `${move.urgency}: ${move.reason}` };
            this.draw();
            if (!opts.output.tty) this.line(`pulumi up (${move.urgency}): ${move.reason}`);
            let output = "";
            this.abort = new AbortController();
            try {
                const result = await stack.up({
                    onOutput: (s) => {
                        output = (output + s).slice(-20000);
                    },
                    signal: this.abort.signal,
                    ...(opts.policyPacks?.length ? { policyPacks: opts.policyPacks } : {}),
                    ...(opts.policyPackConfigs?.length ? { policyPackConfigs: opts.policyPackConfigs } : {}),
                });
                this.abort = undefined;
                const at = new Date();
                const statesValue = result.outputs[STATE_OUTPUT]?.value ?? {};
                const releases = (result.outputs["releases"]?.value ?? {}) as Record<string, ReleaseOutput>;
                const after: Record<string, ProgressionState> = {};
                for (const [name, value] of Object.entries(statesValue as Record<string, unknown>)) {
                    const state = parseState(value).state;
                    if (state !== undefined) after[name] = state;
                }
                for (const e of transitionEvents(opts.stack, before, after, releases, at)) {
                    if (e.kind === "rollback") this.changed.push("rolledBack");
                    if (e.kind === "fail") this.changed.push("failed");
                    this.emit(e);
                }
                this.view = { ...this.view, updating: undefined };
                return after;
            } catch (e) {
                this.abort = undefined;
                const kind = classifyUpdateError(e, output);
                if (this.interrupts >= 2) {
                    await this.reportPending(stack);
                    throw new Error(`the update was cancelled (Ctrl-C twice)`);
                }
                if (kind === "locked" && attempt < retries) {
                    this.line(`stack ${opts.stack} is locked by another update: retrying in ${delay / 1000}s (${attempt + 1}/${retries})`);
                    await this.waitUntil(Date.now() + delay);
                    if (this.interrupts > 0) throw new Error("interrupted while waiting for the stack lock");
                    continue;
                }
                if (kind === "locked") {
                    throw new Error(
                        `another update holds the lock of stack ${opts.stack} (waited ${(retries * delay) / 1000}s): is another driver running? ${firstLine(e)}`,
                    );
                }
                if (kind === "refused") {
                    this.emit({ kind: "refused", stack: opts.stack, message: policyLines(output, e), at: new Date().toISOString() });
                    return "refused";
                }
                throw new Error(`pulumi up failed: ${tail(output, e)}`);
            }
        }
    }

    /** After a cancellation: says whether the engine left a pending operation (it should not). */
    private async reportPending(stack: Stack): Promise<void> {
        try {
            const deployment = (await stack.exportStack()).deployment as { pending_operations?: unknown[] } | undefined;
            const pending = deployment?.pending_operations?.length ?? 0;
            this.line(
                pending === 0 ? "cancelled: no pending operation left" : `cancelled: ${pending} pending operation(s) left: run \`pulumi refresh\``,
            );
        } catch (e) {
            this.line(`cancelled; the state could not be read: ${firstLine(e)}`);
        }
    }

    private emit(e: ReleaseEvent): void {
        for (const sink of this.opts.sinks ?? []) {
            try {
                sink.notify(e);
            } catch {
                // A sink must not throw; if it does, the release goes on.
            }
        }
        const text = eventLine(e);
        if (this.opts.output.tty) {
            this.view = { ...this.view, recent: [...this.view.recent, text].slice(-8) };
            this.draw();
        } else {
            this.opts.output.write(`${text}\n`);
        }
    }

    private async flushSinks(): Promise<void> {
        const sinks = this.opts.sinks ?? [];
        if (sinks.length === 0) return;
        await Promise.race([Promise.allSettled(sinks.map((s) => s.flush())), sleep(10_000)]);
    }

    private lastQuiet = "";
    /** Without a terminal, a waiting reason is printed when it changes, not at every check. */
    private quiet(reason: string): void {
        if (reason !== this.lastQuiet) this.line(`waiting: ${reason}`);
        this.lastQuiet = reason;
    }

    private say(notice: string): void {
        if (this.opts.output.tty) {
            this.view = { ...this.view, notice };
            this.draw();
        } else this.line(notice);
    }

    private line(text: string): void {
        if (this.opts.output.tty) {
            this.view = { ...this.view, recent: [...this.view.recent, text].slice(-8) };
            this.draw();
        } else this.opts.output.write(`${new Date().toISOString()} ${this.opts.stack} ${text}\n`);
    }

    /** Redraws the live view in place (terminal only). */
    private draw(): void {
        if (!this.opts.output.tty) return;
        const lines = renderView({ ...this.view, now: Date.now() });
        const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : "";
        this.opts.output.write(`${up}${lines.join("\n")}\n`);
        this.drawn = lines.length;
    }

    /** Sleeps until `at`, redrawing the countdown; an interrupt wakes it. */
    private async waitUntil(at: number): Promise<void> {
        this.view = { ...this.view, nextCheckAt: at };
        const redraw = this.opts.redrawMs ?? 1000;
        while (Date.now() < at && this.interrupts === 0) {
            this.draw();
            await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, Math.min(redraw, at - Date.now()));
                this.wake = () => {
                    clearTimeout(t);
                    resolve();
                };
            });
            this.wake = undefined;
        }
        this.view = { ...this.view, nextCheckAt: undefined };
    }
}

function firstLine(e: unknown): string {
    return (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim() !== "") ?? "";
}

function tail(output: string, e: unknown): string {
    const lines = `${output}\n${e instanceof Error ? e.message : String(e)}`.split("\n").filter((l) => l.trim() !== "");
    return lines.slice(-15).join("\n");
}

/**
 * The mandatory violations of the policy pack, each with the problem the policy wrote under it, for the `refused`
 * event (`release-window (…: checkout): [dev] new canary … outside the release window …`), without the policies'
 * descriptions. Advisory ones did not refuse
 * the update: they are counted only. The engine prints the violations twice (output and error), hence the set.
 */
export function policyLines(output: string, e: unknown): string {
    const text = `${output}\n${e instanceof Error ? e.message : String(e)}`.split("\n");
    const mandatory = new Set<string>();
    const advisory = new Set<string>();
    for (let i = 0; i < text.length; i++) {
        const head = /^(\s*)- \[(mandatory|advisory)\]\s+(?:\[severity: \w+\]\s+)?(.*)$/.exec(text[i] ?? "");
        if (!head) continue;
        const indent = head[1]?.length ?? 0;
        const body: string[] = [];
        for (let j = i + 1; j < text.length; j++) {
            const line = text[j] ?? "";
            const lead = line.length - line.trimStart().length;
            if (line.trim() === "" || lead <= indent || /^\s*- \[/.test(line)) break;
            body.push(line.trim());
        }
        // The engine writes the policy's description first, then the violation's own message.
        const entry = [head[3]?.trim(), ...(body.length > 1 ? body.slice(1) : body)].filter(Boolean).join(": ");
        (head[2] === "mandatory" ? mandatory : advisory).add(entry);
    }
    if (mandatory.size === 0) return `the policy pack refused the update: ${tail(output, e)}`;
    const more = advisory.size > 0 ? ` (and ${advisory.size} advisory)` : "";
    return `the policy pack refused the update: ${[...mandatory].join("; ")}${more}`;
}

export type { DriverEvent, ServiceEvent };
