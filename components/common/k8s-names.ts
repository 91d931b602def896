/**
 * Kubernetes naming rules and the package's duration grammar as zod schemas, once for every component, so a bad
 * name fails validation with its key path instead of failing at apply time.
 */
import { z } from "zod";
import { isDuration } from "./duration";
import { parseQuantity, quantitySchema } from "./quantity";

/** RFC 1123 label: namespace and most object names. */
export const dnsLabel = z
    .string()
    .max(63, "must be at most 63 characters")
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lowercase alphanumerics and '-')");

/** RFC 1123 subdomain: ConfigMap names and similar. */
export const dnsSubdomain = z
    .string()
    .max(253, "must be at most 253 characters")
    .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        "must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.')",
    );

/** Label key: optional DNS prefix, then a name of at most 63 characters. */
export const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "must be a label key ([prefix/]name, name at most 63 alphanumerics, '-', '_', '.')",
    );

/** A lowercase DNS name (Istio hosts), optionally a `*.` wildcard. */
export const hostName = z
    .string()
    .max(253, "must be at most 253 characters")
    .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase DNS name, optionally starting with '*.'");

/** Label value: at most 63 characters, alphanumerics at both ends (may be empty; see {@link nonEmptyLabelValue}). */
export const labelValue = z
    .string()
    .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, "must be a label value (at most 63 alphanumerics, '-', '_', '.')");

/** A label value that must not be empty (a version label, a selector value). */
export const nonEmptyLabelValue = labelValue.min(1, "must not be empty");

/** A duration of the package's grammar (components/common/duration.ts), e.g. `30s`, `5m`, `1h30m`, `7d`. */
export const durationString = z.string().refine(isDuration, { message: 'must be a duration such as "30s", "5m", "1h30m" or "7d"' });

/** A label map; bad keys are reported by name (a record key schema would only say "Invalid key in record"). */
export const labelMap = z.record(z.string(), labelValue).superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
        const result = labelKey.safeParse(key);
        if (!result.success)
            ctx.addIssue({ code: "custom", path: [key], message: `key ${JSON.stringify(key)} ${result.error.issues[0]?.message ?? "is invalid"}` });
    }
});

/** A TCP/UDP port number. */
export const portNumber = z.number().int("must be an integer").min(1, "must be 1..65535").max(65535, "must be 1..65535");

/** A resource quantity such as `500m`, `2`, `512Mi`. */
export const quantity = quantitySchema;

/** The numeric value of a quantity already accepted by {@link quantity}. */
export function quantityValue(q: string): number {
    return parseQuantity(q) ?? Number.NaN;
}
