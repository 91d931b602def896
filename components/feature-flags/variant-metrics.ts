/**
 * Which variant served a request, in Istio's own request metrics: an Istio `Telemetry` (telemetry.istio.io/v1) on the
 * service's pods adds a label per flag to `istio_requests_total` and the request-duration histogram reported by the
 * server side (`reporter="destination"`), read from a response header the service sets when it evaluates the flag.
 * The analysis of a flag rollout compares the requests of the two variants on exactly those labels
 * (progression/flag-release.ts `flagVariantLabel`), so the service's only part is the header.
 */
import { flagVariantLabel } from "../common/flag-names";

/** Istio's Telemetry spec, the part this package writes. */
export interface TelemetrySpec {
    selector: { matchLabels: Record<string, string> };
    metrics: Array<{
        providers: Array<{ name: string }>;
        overrides: Array<{
            match: { metric: "REQUEST_COUNT" | "REQUEST_DURATION"; mode: "SERVER" };
            tagOverrides: Record<string, { operation: "UPSERT"; value: string }>;
        }>;
    }>;
}

/** The response header that tells which variant of flag `key` served a request: `x-feature-flag-<key>` by default. */
export function variantHeader(key: string, prefix: string): string {
    return `${prefix}${key}`.toLowerCase();
}

/**
 * The Telemetry that labels the service's server-side request metrics with the variant of each flag. A response
 * without the header (the request did not evaluate the flag) gets Istio's `unknown`, on neither side of a comparison.
 */
export function variantTelemetrySpec(podLabels: Record<string, string>, flagKeys: ReadonlyArray<string>, headerPrefix: string): TelemetrySpec {
    const tags = Object.fromEntries(
        flagKeys.map((key) => [
            flagVariantLabel(key),
            { operation: "UPSERT" as const, value: `response.headers['${variantHeader(key, headerPrefix)}']` },
        ]),
    );
    return {
        selector: { matchLabels: { ...podLabels } },
        metrics: [
            {
                providers: [{ name: "prometheus" }],
                overrides: (["REQUEST_COUNT", "REQUEST_DURATION"] as const).map((metric) => ({
                    match: { metric, mode: "SERVER" as const },
                    tagOverrides: tags,
                })),
            },
        ],
    };
}
