/**
 * Names of feature flags as the whole package writes them: the FeatureFlags component's flag keys and variants, the
 * engine's flag releases, and the metric label that tells which variant served a request (one place, so the label
 * Istio's Telemetry writes is the one the analysis reads).
 */

/** Flag keys: what an application can write in code and a log can quote. */
export const FLAG_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** What a flag key must be, for error messages. */
export const FLAG_KEY_RULE = "must start with a letter, then letters, digits, '_', '.' or '-' (at most 128)";

/** Variant names. */
export const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** What a variant name must be, for error messages. */
export const VARIANT_NAME_RULE = "must be a variant name (letters, digits, '_', '.', '-')";

/**
 * The Prometheus label carrying the variant of flag `key` that served a request (`feature_flag_<key>`, other
 * characters as `_`), as the FeatureFlags component's Istio Telemetry writes it and a flag rollout's analysis reads it.
 */
export function flagVariantLabel(key: string): string {
    return `feature_flag_${key.replace(/[^A-Za-z0-9_]/g, "_")}`;
}
