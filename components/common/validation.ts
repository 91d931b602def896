import type { z } from "zod";

/**
 * Thrown when a component's or a stack's input does not match its schema. The message names every offending
 * key path and the value found there, so the fix is obvious from the error alone.
 */
export class InvalidArgsError extends Error {
    constructor(
        /** What was being validated, e.g. `CanaryRouting "checkout"`. */
        public readonly subject: string,
        /** One entry per problem: the dotted key path, the value found and what was expected. */
        public readonly problems: ReadonlyArray<{ path: string; value: unknown; message: string }>,
    ) {
        super(`${subject}: invalid input\n` + problems.map((p) => `  - ${p.path || "(root)"} = ${describeValue(p.value)}: ${p.message}`).join("\n"));
        this.name = "InvalidArgsError";
    }
}

function describeValue(value: unknown): string {
    if (value === undefined) return "undefined";
    try {
        const s = JSON.stringify(value);
        return s.length > 120 ? `${s.slice(0, 117)}...` : s;
    } catch {
        return String(value);
    }
}

/**
 * A key path as the user writes it in YAML or TypeScript: `services[0].routing.optInHeaders[1].name`; keys that
 * are not identifiers are quoted (`labels["gray-release.io/track"]`).
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
    return path
        .map((key, i) => {
            if (typeof key === "number") return `[${key}]`;
            const name = String(key);
            if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) return i === 0 ? name : `.${name}`;
            return `[${JSON.stringify(name)}]`;
        })
        .join("");
}

/** The value at `path` in `input` (what an issue of that path is about), or undefined. */
export function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
    let cur: unknown = input;
    for (const key of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[key];
    }
    return cur;
}

/**
 * Parses `input` with `schema`, returning the parsed (defaulted) value or throwing an {@link InvalidArgsError}
 * that lists every problem with its key path and offending value.
 */
export function parseArgs<S extends z.ZodType>(subject: string, schema: S, input: unknown): z.output<S> {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    throw new InvalidArgsError(
        subject,
        result.error.issues.map((issue) => ({
            path: formatPath(issue.path),
            value: valueAt(input, issue.path),
            message: issue.message,
        })),
    );
}
