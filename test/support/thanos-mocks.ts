/**
 * Helpers for the Thanos tests on top of the shared mock runtime: secret-aware access to recorded inputs and a
 * settle that waits for chained registrations (bucket → ARN → policy) to finish.
 */
import { recorded } from "./pulumi-mocks";

// Pulumi's wire markers for a secret value; the mock monitor keeps them in recorded inputs.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Whether a secret wrapper occurs anywhere in the value: what makes the provider warn when it renders YAML. */
export function containsSecretValue(value: unknown): boolean {
    if (isSecretValue(value)) return true;
    return typeof value === "object" && value !== null && Object.values(value).some(containsSecretValue);
}

/** The value with every secret wrapper removed, at any depth. */
export function plain<T = unknown>(value: unknown): T {
    if (isSecretValue(value)) return plain((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map((v) => plain(v)) as T;
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T;
    }
    return value as T;
}

/** Waits until no new resource has been registered for several event-loop turns. */
export async function settleAll(): Promise<void> {
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 2000 && stable < 25; i++) {
        await new Promise((r) => setImmediate(r));
        const now = recorded().length;
        stable = now === last ? stable + 1 : 0;
        last = now;
    }
}
