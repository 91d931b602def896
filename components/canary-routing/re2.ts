/** Regex helpers for Istio string matches, which use RE2 with full-string semantics. */

/** Escapes every RE2 metacharacter, so an id such as `+8613800000000` or `a.b` matches only itself. */
export function escapeRe2(literal: string): string {
    return literal.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** One regex matching exactly one of `literals`. */
export function alternationRegex(literals: ReadonlyArray<string>): string {
    return `^(${literals.map(escapeRe2).join("|")})$`;
}

/**
 * Why `pattern` would not work as an RE2 regex, or undefined when it looks fine. JavaScript's parser is used
 * for syntax; the constructs JavaScript has and RE2 lacks (lookaround, backreferences) are refused by name.
 */
export function re2Problem(pattern: string): string | undefined {
    if (/\(\?<?[=!]/.test(pattern)) return "lookaround is not supported by RE2";
    if (/\\[1-9]|\\k</.test(pattern)) return "backreferences are not supported by RE2";
    try {
        new RegExp(pattern);
    } catch (err) {
        return `invalid regex: ${(err as Error).message}`;
    }
    return undefined;
}
