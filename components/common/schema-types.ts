/**
 * How the published declarations show the package's zod schemas: what a schema takes and what it returns, without
 * zod's own types. zod 4's declarations compile only with `esModuleInterop` (or `skipLibCheck`), which Pulumi's
 * TypeScript templates leave off, so `npm run build` rewrites every `.d.ts` that names zod
 * (scripts/flatten-declarations.ts): inferred types become the plain types they stand for, and a schema value
 * becomes a {@link Schema}. At runtime each such value is the zod schema itself, and a zod schema is assignable to
 * {@link Schema}, so one of the user's own schemas can be passed where the package takes one (`parseArgs`).
 */

/** One problem found by a schema: where (key path) and what. */
export interface SchemaIssue {
    readonly code: string;
    readonly path: ReadonlyArray<PropertyKey>;
    readonly message: string;
}

/** What a failed parse carries (a `ZodError` at runtime). */
export interface SchemaError extends Error {
    readonly issues: ReadonlyArray<SchemaIssue>;
}

/** The result of {@link Schema.safeParse}. */
export type SchemaParseResult<Output> = { readonly success: true; readonly data: Output } | { readonly success: false; readonly error: SchemaError };

/** A schema that parses `Input` (what a user writes) into `Output` (defaults filled in, values normalised). */
export interface Schema<Input, Output = Input> {
    /** The parsed value; throws a {@link SchemaError} on invalid input. */
    parse(data: unknown): Output;
    /** The parsed value or the problems, without throwing. */
    safeParse(data: unknown): SchemaParseResult<Output>;
    /** The Standard Schema types (https://standardschema.dev), which carry the input type. */
    readonly "~standard": { readonly types?: { readonly input: Input; readonly output: Output } | undefined };
}

/** What a {@link Schema} takes. */
export type SchemaInput<S> = S extends Schema<infer Input, unknown> ? Input : never;

/** What a {@link Schema} returns. */
export type SchemaOutput<S> = S extends Schema<unknown, infer Output> ? Output : never;
