/**
 * Args that take `pulumi.Input`s where a value can come from another resource (a namespace name, a URL, an image
 * digest), with the zod schema still the single source of their shape. Each component names those key paths once,
 * in an {@link InputFields} table; the Args type is derived from the schema's input with {@link WithInputs}, and
 * {@link parseInputArgs} validates the plain values before anything is created and the others when they resolve,
 * with the same errors (key path and value) either way.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { parseArgs } from "./validation";

/** The first segment of a dotted key path (`"telemetry"` of `"telemetry.namespace"`). */
type Head<P extends string> = P extends `${infer H}.${string}` ? H : P;
/** What follows `H.` in the dotted paths `P`, for the ones starting with `H`. */
type Rest<P extends string, H extends string> = P extends `${H}.${infer R}` ? R : never;

/**
 * `T` (a schema's input type) with the values at the dotted key paths `P` also accepted as a `pulumi.Input`
 * (an Output of another resource, or a Promise). Optional keys stay optional; unions (e.g. a field that is an
 * object or undefined) are mapped member by member. Paths go through objects only, not into arrays or records.
 */
export type WithInputs<T, P extends string> = T extends readonly unknown[]
    ? T
    : T extends object
      ? {
            [K in keyof T]: K extends P
                ? pulumi.Input<Exclude<T[K], undefined>> | Extract<T[K], undefined>
                : K extends Head<P>
                  ? WithInputs<T[K], Rest<P, K & string>>
                  : T[K];
        }
      : T;

/**
 * The key paths of a component's args that take a `pulumi.Input`, each with a stand-in: a short value the schema
 * accepts at that path. While an Input is pending, the plain values are checked (and the component's object set
 * decided) with the stand-in in its place; the stand-in never reaches an object, since every object is built
 * from the args parsed once the Inputs have resolved.
 */
export type InputFields<P extends string = string> = { readonly [K in P]: unknown };

/** The dotted key paths an {@link InputFields} table names. */
export type InputPaths<F extends InputFields> = keyof F & string;

/** What {@link parseInputArgs} returns. */
export interface ParsedInputArgs<R> {
    /**
     * The parsed args (defaults filled in) once every Input has resolved: what each object is built from, so
     * Pulumi sees which resources an object depends on. It fails, with the schema's error naming the key path
     * and the resolved value, when an Input resolves to a value the schema refuses.
     */
    resolved: pulumi.Output<pulumi.Unwrap<R>>;
    /**
     * The args parsed now, with a stand-in (see {@link InputFields}) for each Input that has not resolved yet. Only
     * for what must be known before anything is created (which objects exist, their Pulumi names); never read a
     * value of an Input-capable path from it. Equal to the resolved args when every Input is a plain value.
     */
    shape: R;
    /** Whether every Input-capable path held a plain value (then `shape` is the real thing, checked in full). */
    allPlain: boolean;
}

/** Whether `value` is an Output or a Promise, i.e. known only later. */
export function isPending(value: unknown): boolean {
    return (
        pulumi.Output.isInstance(value) || (typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function")
    );
}

/**
 * Parses `input` with `schema` where the key paths of `fields` may hold Inputs. Plain values (and Inputs given
 * as plain values) are validated at once, throwing the same {@link InvalidArgsError} as {@link parseArgs} before
 * anything is created; the values that arrive as Outputs or Promises are validated, together with the rest, when
 * they resolve, and the error of that parse fails every object built from {@link ParsedInputArgs.resolved}.
 */
export function parseInputArgs<S extends z.ZodType>(subject: string, schema: S, input: unknown, fields: InputFields): ParsedInputArgs<z.output<S>> {
    const pending = Object.keys(fields).filter((path) => isPending(valueAtPath(input, path)));
    if (pending.length === 0) {
        const parsed = parseArgs(subject, schema, input);
        return { resolved: pulumi.output(parsed) as pulumi.Output<pulumi.Unwrap<z.output<S>>>, shape: parsed, allPlain: true };
    }
    const shape = parseArgs(
        subject,
        schema,
        withValues(
            input,
            pending,
            pending.map((path) => fields[path]),
        ),
    );
    const resolved = pulumi
        .all(pending.map((path) => valueAtPath(input, path) as pulumi.Input<unknown>))
        .apply((values) => pulumi.output(parseArgs(subject, schema, withValues(input, pending, values))));
    return { resolved: resolved as pulumi.Output<pulumi.Unwrap<z.output<S>>>, shape, allPlain: false };
}

function valueAtPath(input: unknown, path: string): unknown {
    let cur: unknown = input;
    for (const key of path.split(".")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[key];
    }
    return cur;
}

/** A copy of `input` with `values[i]` at `paths[i]`; the objects on the way are copied, the rest is shared. */
function withValues(input: unknown, paths: ReadonlyArray<string>, values: ReadonlyArray<unknown>): unknown {
    const root = { ...(input as Record<string, unknown>) };
    paths.forEach((path, i) => {
        const keys = path.split(".");
        let cur = root;
        keys.slice(0, -1).forEach((key) => {
            cur[key] = { ...(cur[key] as Record<string, unknown>) };
            cur = cur[key] as Record<string, unknown>;
        });
        cur[keys[keys.length - 1]!] = values[i];
    });
    return root;
}
