/**
 * What the release driver reports: one event per transition of a service's rollout, or of the driver itself. The
 * driver emits them; the terminal view, the CI log lines and every notification sink consume them.
 */

/** A check of the verdict that triggered the event, with what was measured against what was allowed. */
export interface EventCheck {
    /** The check's name, e.g. `errorRate`, `latencyP99`. */
    name: string;
    /** Whether it passed, failed or could not tell. */
    outcome: "pass" | "fail" | "inconclusive";
    /** The measured value, or null when nothing was measured. */
    measured: number | null;
    /** The limit it was compared with, when it has one. */
    threshold?: number;
    /** A short human explanation. */
    detail?: string;
}

/** The kinds of transitions a service goes through. */
export type ServiceEventKind = "start" | "advance" | "hold" | "rollback" | "promote" | "fail";

/** A transition of one service's rollout, as the update that made it reported it. */
export interface ServiceEvent {
    kind: ServiceEventKind;
    /** The stack, e.g. `prod`. */
    stack: string;
    /** The service, e.g. `checkout`. */
    service: string;
    /** The image under rollout. */
    canaryImage: string;
    /** Canary weight before and after, in percent. */
    fromWeight: number;
    toWeight: number;
    /** The verdict the decision used, when there was an analysis. */
    verdict?: "pass" | "fail" | "inconclusive" | "error";
    /** Why, as the program said it. */
    reason: string;
    /** The verdict's checks. */
    checks: EventCheck[];
    /** How many holds in a row (for `hold`). */
    holdStreak?: number;
    /** When (ISO 8601). */
    at: string;
}

/** Something about the driver rather than a service: an update refused by the policy pack, an error, the end. */
export interface DriverEvent {
    kind: "refused" | "error" | "finished";
    stack: string;
    message: string;
    at: string;
}

export type ReleaseEvent = ServiceEvent | DriverEvent;

/** Where events go. `notify` must not throw and must not delay the caller: a failing sink never delays a rollback. */
export interface EventSink {
    readonly name: string;
    notify(event: ReleaseEvent): void;
    /** Waits until what was handed over has been delivered or given up (for a clean exit). */
    flush(): Promise<void>;
}
