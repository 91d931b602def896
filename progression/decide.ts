/**
 * The rollout decision: given the previous state, the configuration, the latest analysis verdict and the
 * time, what is the next state. Pure and total (never throws), so it is property-tested exhaustively and a
 * `pulumi preview` shows exactly what the `up` will do.
 *
 * Rules, in order of precedence:
 * 1. A canary version different from the state's starts a new rollout at the first step, immediately and
 *    without analysis: there is no canary traffic to analyse yet, and the first step is the smallest
 *    exposure the operator configured. Every later step needs a `pass`.
 * 2. `promoted`, `rolledBack` and `failed` rollouts never move again until the canary version changes.
 * 3. Manual controls: abort → weight 0 now; promote → canary becomes stable (held while an enforced release window is
 *    closed); pause → hold, status paused.
 * 4. Verdicts: fail → rollback after `failuresBeforeRollback` consecutive fails (status rolledBack);
 *    error → hold, rollback after `errorsBeforeFail` consecutive errors (status failed);
 *    inconclusive → hold, rollback after `inconclusiveBeforeFail` in a row (status failed), except a verdict `held`
 *    by a custom `pause` check, which holds without counting; no verdict → hold;
 *    pass → one step up, but only after `minIntervalBetweenSteps` since
 *    the last transition. A pass that reaches the last step (100) promotes.
 */
import { gatesEnforced, maxTimeAtStep, type ProgressionConfig } from "./config";
import { releaseTerms } from "./flag-release";
import { isWithinAnyWindow } from "./release-window";
import { resolveStableImage } from "./stable";
import { type DecisionAction, type DecisionRecord, HISTORY_LIMIT, type ProgressionState, STABLE_HISTORY_LIMIT, STATE_SCHEMA_VERSION } from "./state";
import { type AnalysisVerdict, NOTHING_MEASURED } from "./verdict";

/** How traffic should be routed after a decision. */
export interface Routing {
    /** Image that receives the non-canary share; after promotion this is the promoted canary. */
    readonly stableImage: string;
    /** Image that receives `canaryWeight` percent. */
    readonly canaryImage: string;
    /** Canary share in percent; 0 after rollback and after promotion (the canary *is* stable then). */
    readonly canaryWeight: number;
}

/** Outcome of {@link decide}. */
export interface Decision {
    /** The state to persist for the next run. */
    readonly state: ProgressionState;
    /** What this run does. */
    readonly action: DecisionAction;
    /** Why, in one line. */
    readonly reason: string;
    /** What the next `pulumi up` will do, in words, for the operator. */
    readonly nextAction: string;
    /** Traffic split to apply. */
    readonly routing: Routing;
    /**
     * Set when the configuration would silently downgrade stable (see `resolveStableImage`): the decision then
     * changes nothing, and the program refuses the update with this message before any resource changes.
     */
    readonly refusal?: string;
    /** A note about the stable image (kept from a promotion, or changed on purpose), for the release summary. */
    readonly stableNote?: string;
}

/** What the decision needs to know besides the service's own state: its earlier starts, for the cadence. */
export interface DecisionContext {
    /** ISO 8601 instants of this service's earlier canary starts in this stack (the `releaseStarts` output). */
    readonly recentStarts?: ReadonlyArray<string>;
    /** A core service (`release.core`): one start per `cadence.coreIntervalDays`. */
    readonly core?: boolean;
}

/** Reason prefix of a hold by the release window: time at a step is counted from the last such hold. */
const WINDOW_HOLD = "held by the release window";
const DAY_MS = 86_400_000;

/** Decides the next rollout state. Pure: same inputs, same output; never throws. */
export function decide(
    previous: ProgressionState | undefined,
    configured: ProgressionConfig,
    verdict: AnalysisVerdict | undefined,
    now: Date,
    context: DecisionContext = {},
): Decision {
    let config = configured;
    const steps = config.steps;
    const lastIndex = steps.length - 1;
    const at = now.toISOString();
    const controls = config.controls;
    const terms = releaseTerms(config.flag);

    // 0. Which image stable runs: the promoted one stays until the config names another on purpose.
    // A flag's stable side is its default variant as configured now: there is no older build to fall back to.
    const stable =
        config.flag !== undefined
            ? { stableImage: config.stableImage, formerStableImages: [], note: undefined, refusal: undefined }
            : resolveStableImage(previous, {
                  stableImage: config.stableImage,
                  canaryImage: config.canaryImage,
                  acknowledgeDowngrade: controls.acknowledgeDowngrade,
              });
    if (stable.refusal !== undefined) {
        const held = previous ?? undefined;
        const serving = held !== undefined && (held.status === "progressing" || held.status === "paused");
        return {
            state: held ?? freshState(config, at, stable.stableImage, stable.formerStableImages),
            action: "none",
            reason: stable.refusal,
            nextAction: "nothing until the configuration is fixed",
            routing: {
                stableImage: stable.stableImage,
                canaryImage: held?.canaryImage ?? config.canaryImage,
                canaryWeight: serving ? held.weight : 0,
            },
            refusal: stable.refusal,
        };
    }
    config = { ...config, stableImage: stable.stableImage };

    // The release window and the cadence hold what the policy pack would refuse (starts, steps up), never a rollback,
    // so one service waiting for its window cannot fail the update that rolls another one back.
    const enforced = gatesEnforced(config);
    const windowClosed = (): string | undefined => {
        if (!enforced.window) return undefined;
        const w = config.releaseWindow;
        try {
            const inside = isWithinAnyWindow(w.now ?? now, w.windows, w.timeZone, w.freezeDates);
            return inside.allowed ? undefined : `${WINDOW_HOLD}: ${inside.reason}`;
        } catch (e) {
            return `${WINDOW_HOLD}: ${(e as Error).message}`;
        }
    };
    /** Milliseconds of open release window in [from, to), counted in 5-minute slices, stopping at `enough`. */
    const openWindowTime = (from: number, to: number, enough: number): number => {
        const SLICE = 5 * 60_000;
        const w = config.releaseWindow;
        let open = 0;
        for (let t = from; t < to && open < enough; t += SLICE) {
            try {
                if (isWithinAnyWindow(new Date(t), w.windows, w.timeZone, w.freezeDates).allowed) open += Math.min(SLICE, to - t);
            } catch {
                return to - from;
            }
        }
        return open;
    };
    const cadenceFull = (): string | undefined => {
        if (!enforced.cadence) return undefined;
        const t = now.getTime();
        const starts = (context.recentStarts ?? []).map((x) => Date.parse(x)).filter((x) => Number.isFinite(x) && x <= t);
        const week = starts.filter((x) => t - x < 7 * DAY_MS);
        const { maxStartsPerWeek, coreIntervalDays } = config.cadence;
        if (week.length + 1 > maxStartsPerWeek) {
            const nextFree = new Date([...week].sort((a, b) => a - b)[week.length - maxStartsPerWeek]! + 7 * DAY_MS);
            return `held by the release cadence: ${week.length} starts in the last 7 days (limit ${maxStartsPerWeek}); next start allowed from ${nextFree.toISOString()}`;
        }
        const last = Math.max(...starts, Number.NEGATIVE_INFINITY);
        if (context.core === true && t - last < coreIntervalDays * DAY_MS) {
            return `held by the release cadence: a core service starts at most every ${coreIntervalDays} days; next start allowed from ${new Date(last + coreIntervalDays * DAY_MS).toISOString()}`;
        }
        return undefined;
    };

    const finish = (
        base: ProgressionState,
        changes: Partial<Omit<ProgressionState, "schemaVersion" | "history">>,
        action: DecisionAction,
        reason: string,
        usedVerdict: AnalysisVerdict | undefined,
        record = true,
    ): Decision => {
        // A promotion makes the canary stable; otherwise stable is what the resolution chose.
        const stableAfter = action === "promote" ? config.canaryImage : config.stableImage;
        const formerAfter =
            stableAfter === config.stableImage
                ? stable.formerStableImages
                : [...stable.formerStableImages.filter((i) => i !== config.stableImage && i !== stableAfter), config.stableImage].slice(
                      -STABLE_HISTORY_LIMIT,
                  );
        const merged: ProgressionState = { ...base, ...changes, stableImage: stableAfter, formerStableImages: formerAfter };
        const transitioned = merged.weight !== base.weight || merged.status !== base.status;
        const entry: DecisionRecord = {
            at,
            action,
            verdict: usedVerdict?.kind ?? null,
            weight: merged.weight,
            reason,
            measured: usedVerdict ? { ...usedVerdict.measured } : null,
            thresholds: usedVerdict ? definedNumbers(usedVerdict.thresholds) : null,
        };
        const state: ProgressionState = {
            ...merged,
            lastTransitionAt: transitioned ? at : merged.lastTransitionAt,
            history: record ? [...base.history, entry].slice(-HISTORY_LIMIT) : base.history,
        };
        const routing: Routing =
            state.status === "promoted"
                ? { stableImage: stableAfter, canaryImage: state.canaryImage, canaryWeight: 0 }
                : { stableImage: stableAfter, canaryImage: config.canaryImage, canaryWeight: state.weight };
        const decision: Decision = { state, action, reason, nextAction: describeNext(state, config, now), routing };
        return stable.note === undefined ? decision : { ...decision, stableNote: stable.note };
    };

    // 1. A new canary version (or no usable previous state) starts a new rollout.
    if (previous === undefined || previous.canaryImage !== config.canaryImage) {
        const fresh = freshState(config, at, stable.stableImage, stable.formerStableImages);
        if (config.canaryImage === config.stableImage) {
            return finish(
                fresh,
                { status: "promoted", stepIndex: lastIndex, weight: 100 },
                "none",
                `${terms.subject} equals stable: nothing to roll out`,
                undefined,
            );
        }
        if (controls.abort) return finish(fresh, { status: "rolledBack" }, "rollback", "abort requested before the rollout started", undefined);
        if (controls.promote) {
            const closed = windowClosed();
            if (closed !== undefined)
                return finish(fresh, { status: "paused" }, "hold", `manual promotion of a new ${terms.subject} waits: ${closed}`, undefined);
            return finish(
                fresh,
                { status: "promoted", stepIndex: lastIndex, weight: 100 },
                "promote",
                `manual promotion of a new ${terms.subject}`,
                undefined,
            );
        }
        if (controls.pause) return finish(fresh, { status: "paused" }, "pause", `new ${terms.subject}, but paused before the first step`, undefined);
        const held = windowClosed() ?? cadenceFull();
        if (held !== undefined)
            return finish(fresh, { status: "paused" }, "hold", `new ${terms.subject} waits before the first step: ${held}`, undefined);
        const why = previous === undefined ? "new rollout" : `${terms.subject} changed from ${previous.canaryImage}`;
        return finish(fresh, { stepIndex: 0, weight: steps[0] ?? 100 }, "start", `${why}: starting at the first step (${steps[0]}%)`, undefined);
    }

    // 2. Terminal rollouts stay where they are; nothing is recorded so the history keeps the interesting part.
    if (previous.status === "promoted" || previous.status === "rolledBack" || previous.status === "failed") {
        return finish(
            previous,
            {},
            "none",
            `rollout of ${previous.canaryImage} is ${previous.status}; ${terms.restart} to start another`,
            undefined,
            false,
        );
    }

    // The steps may have been reconfigured mid-rollout: re-anchor on the largest step not above the current
    // weight, so a reconfiguration can only lower exposure.
    const current = realign(previous, steps);

    // 3. Manual controls.
    if (controls.abort) return rollback(current, "rolledBack", "manual abort", undefined);
    if (controls.promote) {
        // A promotion is a change of what serves all traffic: it waits for the window, as the pack's release-window rule requires.
        const closed = windowClosed();
        if (closed !== undefined) return finish(current, {}, "hold", `manual promotion at ${current.weight}% waits: ${closed}`, undefined);
        return finish(current, { status: "promoted", stepIndex: lastIndex, weight: 100 }, "promote", "manual promotion", undefined);
    }
    if (controls.pause) {
        const where = current.weight === 0 ? "before the first step" : `at ${current.weight}%`;
        return finish(current, { status: "paused" }, "pause", `paused ${where} by controls.pause`, verdict);
    }
    if (current.status === "paused") {
        if (current.stepIndex === -1) {
            const held = windowClosed() ?? cadenceFull();
            if (held !== undefined) return finish(current, {}, "hold", `waiting before the first step: ${held}`, undefined);
            return finish(
                current,
                { status: "progressing", stepIndex: 0, weight: steps[0] ?? 100 },
                "start",
                `resumed: starting at the first step (${steps[0]}%)`,
                undefined,
            );
        }
        // Resuming is a transition, so the next step again waits a full interval: the conservative reading of "paused".
        return finish(current, { status: "progressing" }, "hold", `resumed at ${current.weight}%; next step after the minimum interval`, verdict);
    }

    // 4. Verdicts; then the longest time at one step.
    const decided = byVerdict();
    if (decided.action === "hold" && current.status === "progressing" && current.stepIndex >= 0 && !decided.reason.includes(WINDOW_HOLD)) {
        // Time while the release window is closed does not count: the canary could not have moved then.
        const limit = maxTimeAtStep(config);
        const since = Date.parse(current.lastTransitionAt);
        const spent = enforced.window ? openWindowTime(since, now.getTime(), limit) : now.getTime() - since;
        if (spent >= limit) {
            const within = enforced.window ? " of open release window" : "";
            return rollback(
                current,
                "failed",
                `stuck at ${current.weight}% for ${formatHours(spent)}${within} (semantics.maxTimeAtStep ${formatHours(limit)}); last: ${decided.reason}`,
                verdict,
            );
        }
    }
    return decided;

    function byVerdict(): Decision {
        const effective: AnalysisVerdict | undefined = controls.skipAnalysis ? skippedAnalysis(verdict, now, config) : verdict;
        if (effective === undefined) return finish(current, {}, "hold", "no analysis verdict available: holding", undefined);

        switch (effective.kind) {
            case "error": {
                const errors = current.consecutiveErrors + 1;
                if (errors >= config.semantics.errorsBeforeFail) {
                    return rollback(
                        { ...current, consecutiveErrors: errors },
                        "failed",
                        `analysis failed ${errors} times in a row (${effective.reason})`,
                        effective,
                    );
                }
                return finish(
                    current,
                    { consecutiveErrors: errors },
                    "hold",
                    `analysis error ${errors}/${config.semantics.errorsBeforeFail}: ${effective.reason}`,
                    effective,
                );
            }
            case "inconclusive": {
                // A breached `pause` check (custom-checks.ts): hold until it clears; not a lack of evidence, so not counted.
                if (effective.held === true) {
                    return finish(current, { consecutiveErrors: 0 }, "hold", `held at ${current.weight}%: ${effective.reason}`, effective);
                }
                const n = current.consecutiveInconclusive + 1;
                const limit = config.semantics.inconclusiveBeforeFail;
                if (n >= limit) {
                    return rollback(
                        { ...current, consecutiveInconclusive: n, consecutiveErrors: 0 },
                        "failed",
                        `no pass earned in ${n} analyses in a row (${effective.reason})`,
                        effective,
                    );
                }
                return finish(
                    current,
                    { consecutiveInconclusive: n, consecutiveErrors: 0 },
                    "hold",
                    `inconclusive (${n}/${limit} in a row): ${effective.reason}`,
                    effective,
                );
            }
            case "fail": {
                const failures = current.consecutiveFailures + 1;
                const counters = { consecutiveFailures: failures, consecutiveErrors: 0, consecutiveInconclusive: 0 };
                if (failures >= config.semantics.failuresBeforeRollback) {
                    return rollback({ ...current, ...counters }, "rolledBack", `canary unhealthy: ${effective.reason}`, effective);
                }
                return finish(
                    current,
                    counters,
                    "hold",
                    `canary unhealthy ${failures}/${config.semantics.failuresBeforeRollback}: ${effective.reason}`,
                    effective,
                );
            }
            case "pass": {
                const counters = { consecutiveFailures: 0, consecutiveErrors: 0, consecutiveInconclusive: 0 };
                const readyAt = Date.parse(current.lastTransitionAt) + config.minIntervalBetweenSteps;
                if (now.getTime() < readyAt) {
                    return finish(current, counters, "hold", `healthy; next step allowed from ${new Date(readyAt).toISOString()}`, effective);
                }
                const nextIndex = Math.min(current.stepIndex + 1, lastIndex);
                const nextWeight = steps[nextIndex] ?? 100;
                const closed = windowClosed();
                if (closed !== undefined) return finish(current, counters, "hold", `healthy at ${current.weight}%, ${closed}`, effective);
                if (nextIndex === lastIndex) {
                    return finish(
                        current,
                        { ...counters, stepIndex: nextIndex, weight: nextWeight, status: "promoted" },
                        "promote",
                        `healthy at ${current.weight}%: reached ${nextWeight}%, ${terms.promoted}`,
                        effective,
                    );
                }
                return finish(
                    current,
                    { ...counters, stepIndex: nextIndex, weight: nextWeight },
                    "advance",
                    `healthy at ${current.weight}%: advancing to ${nextWeight}%`,
                    effective,
                );
            }
        }
    }

    function rollback(base: ProgressionState, status: "rolledBack" | "failed", reason: string, used: AnalysisVerdict | undefined): Decision {
        return finish(base, { status, stepIndex: -1, weight: 0 }, "rollback", reason, used);
    }
}

function formatHours(ms: number): string {
    const hours = ms / 3_600_000;
    return hours >= 1 ? `${Number(hours.toFixed(1))}h` : `${Math.round(ms / 60_000)}m`;
}

function realign(state: ProgressionState, steps: ReadonlyArray<number>): ProgressionState {
    if (state.stepIndex === -1 || steps[state.stepIndex] === state.weight) return state;
    let index = -1;
    steps.forEach((w, i) => {
        if (w <= state.weight) index = i;
    });
    if (index === -1) index = 0;
    return { ...state, stepIndex: index, weight: steps[index] ?? 100 };
}

// skipAnalysis turns whatever was measured (if anything) into a pass, keeping the measurements for the record.
function skippedAnalysis(verdict: AnalysisVerdict | undefined, now: Date, config: ProgressionConfig): AnalysisVerdict {
    return {
        kind: "pass",
        reason: "analysis skipped (controls.skipAnalysis, dev only)",
        measured: verdict?.measured ?? NOTHING_MEASURED,
        thresholds: verdict?.thresholds ?? config.analysis.thresholds,
        checks: [],
        evaluatedAt: now.toISOString(),
    };
}

function definedNumbers(o: object): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(o)) if (typeof v === "number") out[k] = v;
    return out;
}

function freshState(config: ProgressionConfig, at: string, stableImage: string, former: ReadonlyArray<string>): ProgressionState {
    return {
        schemaVersion: STATE_SCHEMA_VERSION,
        canaryImage: config.canaryImage,
        stepIndex: -1,
        weight: 0,
        status: "progressing",
        lastTransitionAt: at,
        history: [],
        consecutiveFailures: 0,
        consecutiveErrors: 0,
        consecutiveInconclusive: 0,
        stableImage,
        formerStableImages: former,
    };
}

function describeNext(state: ProgressionState, config: ProgressionConfig, now: Date): string {
    const terms = releaseTerms(config.flag);
    switch (state.status) {
        case "promoted":
            return `nothing: ${state.canaryImage} is promoted and serves all traffic as stable; ${terms.restart} to start another rollout`;
        case "rolledBack":
        case "failed":
            return `nothing: the rollout of ${state.canaryImage} is ${state.status} at 0%; ${terms.restart} to start again`;
        case "paused":
            return `hold at ${state.weight}% while controls.pause is set; clear it to resume`;
        case "progressing": {
            const steps = config.steps;
            const next = steps[Math.min(state.stepIndex + 1, steps.length - 1)] ?? 100;
            const readyAt = Date.parse(state.lastTransitionAt) + config.minIntervalBetweenSteps;
            const when = readyAt > now.getTime() ? ` (not before ${new Date(readyAt).toISOString()})` : "";
            const target = next === 100 ? terms.promote : `advance to ${next}%`;
            const failLeft = config.semantics.failuresBeforeRollback - state.consecutiveFailures;
            const errLeft = config.semantics.errorsBeforeFail - state.consecutiveErrors;
            return (
                `analyse ${terms.analysed} at ${state.weight}%: pass → ${target}${when}; ` +
                `fail → ${failLeft <= 1 ? "roll back to 0%" : `hold (${failLeft} more fails roll back)`}; ` +
                `inconclusive → ${config.semantics.inconclusiveBeforeFail - state.consecutiveInconclusive <= 1 ? "roll back to 0% (failed)" : "hold"}; error → ${errLeft <= 1 ? "roll back to 0% (failed)" : `hold (${errLeft} more errors roll back)`}`
            );
        }
    }
}
