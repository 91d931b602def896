/**
 * Reading flagd flag definitions (https://flagd.dev/reference/flag-definitions/) for the pack, without evaluating
 * them: which variants a flag's targeting hands out by `fractional` share, and how large each share is.
 *
 * `fractional` as flagd's engine (`@openfeature/flagd-core`) evaluates it: its arguments are an optional bucketing
 * value first (a string, or an expression that evaluates to one), then buckets `[variant, weight?]`; a weight is a
 * non-negative integer (negative clamps to 0, absent means 1) and a bucket's share is its weight over the sum of all
 * weights. A malformed bucket list (an entry that is not an array, a weight that is not an integer, a variant that is
 * not a string, number, boolean or null) makes the whole `fractional` evaluate to null, and so does a sum of weights
 * of 0 or above 2^31-1: the request then gets the flag's default variant. `fractional` may sit anywhere in the
 * JsonLogic (typically the whole targeting, or a result branch of `if` after allowlist, canary and lane rules), and
 * `{"$ref": name}` refers to the flag file's shared `$evaluators`.
 */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** flagd refuses a sum of weights above Math.MaxInt32. */
const MAX_WEIGHT = 2_147_483_647;

/** One bucket of a `fractional`. */
export interface FractionBucket {
    /** The variant: its name; null hands out no variant (the default); undefined when computed at evaluation time. */
    variant: string | null | undefined;
    /** Percent (0..100) of the requests reaching this `fractional`; undefined when a weight is computed at evaluation time. */
    percent: number | undefined;
}

/** One `fractional` of a targeting rule. */
export interface Fractional {
    /** Where it is, from the targeting: e.g. `targeting.if[6].fractional`. */
    path: string;
    /** Its buckets; empty when flagd would evaluate it to null (malformed, or no weight at all). */
    buckets: FractionBucket[];
}

function bucketsOf(value: unknown): FractionBucket[] {
    if (!Array.isArray(value) || value.length === 0) return [];
    // A first argument that is no bucket (a string, or an expression evaluating to one) is the bucketing value.
    const first = value[0];
    const entries = typeof first === "string" || isObject(first) ? value.slice(1) : value;
    const raw: Array<{ variant: string | null | undefined; weight: number | undefined }> = [];
    for (const entry of entries) {
        // An expression in place of a bucket evaluates to one: neither its variant nor its weight is known here.
        if (isObject(entry)) {
            raw.push({ variant: undefined, weight: undefined });
            continue;
        }
        if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return [];
        const [v, w] = entry as unknown[];
        let variant: string | null | undefined;
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") variant = String(v);
        else if (v === null || v === undefined) variant = null;
        else if (isObject(v)) variant = undefined;
        else return [];
        let weight: number | undefined;
        if (entry.length < 2) weight = 1;
        else if (typeof w === "number") {
            if (!Number.isInteger(w)) return [];
            weight = Math.max(0, w);
        } else if (isObject(w)) weight = undefined;
        else return [];
        raw.push({ variant, weight });
    }
    if (raw.some((b) => b.weight === undefined)) return raw.map((b) => ({ variant: b.variant, percent: undefined }));
    const total = raw.reduce((sum, b) => sum + b.weight!, 0);
    if (total === 0 || total > MAX_WEIGHT) return [];
    return raw.map((b) => ({ variant: b.variant, percent: (b.weight! * 100) / total }));
}

/**
 * Every `fractional` of a targeting rule (pure; never throws, whatever the input). `evaluators` are the flag file's
 * `$evaluators`, for `{"$ref": name}`; a reference to an unknown evaluator (or a cycle) is not followed.
 */
export function fractionalsOf(targeting: unknown, evaluators: Record<string, unknown> = {}, root = "targeting"): Fractional[] {
    const out: Fractional[] = [];
    const walk = (node: unknown, path: string, refs: ReadonlySet<string>): void => {
        if (Array.isArray(node)) {
            for (const [i, item] of node.entries()) walk(item, `${path}[${i}]`, refs);
            return;
        }
        if (!isObject(node)) return;
        for (const [op, arg] of Object.entries(node)) {
            const at = `${path}.${op}`;
            if (op === "fractional") out.push({ path: at, buckets: bucketsOf(arg) });
            else if (op === "$ref" && typeof arg === "string") {
                if (!refs.has(arg) && Object.hasOwn(evaluators, arg)) walk(evaluators[arg], `$evaluators.${arg}`, new Set([...refs, arg]));
            } else walk(arg, at, refs);
        }
    };
    walk(targeting, root, new Set());
    return out;
}

/** A share of users a flag's targeting hands a variant other than its default. */
export interface VariantShare {
    /** The `fractional` it comes from. */
    path: string;
    /** The variant's name, or undefined when computed at evaluation time. */
    variant: string | undefined;
    /** Percent of the requests reaching that `fractional` (0 < percent ≤ 100), or undefined when computed at evaluation time. */
    percent: number | undefined;
}

/**
 * The shares of a flag's `fractional` rules that give a variant other than `defaultVariant` to some users: per
 * `fractional`, each such variant once (its buckets summed), when its share is above 0 or cannot be known here.
 * Rules that pick users by attribute (allowlists, the canary version, lanes) are no shares and are not listed.
 */
export function nonDefaultShares(
    targeting: unknown,
    defaultVariant: string,
    evaluators: Record<string, unknown> = {},
    root = "targeting",
): VariantShare[] {
    const out: VariantShare[] = [];
    for (const f of fractionalsOf(targeting, evaluators, root)) {
        const byVariant = new Map<string | undefined, number | undefined>();
        for (const b of f.buckets) {
            if (b.variant === null || b.variant === defaultVariant) continue;
            const seen = byVariant.has(b.variant);
            const sum = byVariant.get(b.variant);
            byVariant.set(b.variant, b.percent === undefined || (seen && sum === undefined) ? undefined : (sum ?? 0) + b.percent);
        }
        for (const [variant, percent] of byVariant) {
            if (percent !== undefined && !(percent > 0)) continue;
            out.push({ path: f.path, variant, percent });
        }
    }
    return out;
}
