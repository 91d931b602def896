/**
 * Lanes: a request marked with a lane (a header, e.g. `x-gray-lane: gray`, or a W3C baggage member
 * `gray-lane=gray`) meets, at every service of the stack, the canary of that service when its canary serves the lane
 * and has pods, and stable otherwise; so a tester who enters the lane at the front reaches the canaries of the
 * services it calls along the whole chain. Envoy does not copy inbound headers to outbound calls: carrying the marker
 * across a hop is the application's part (OpenTelemetry baggage propagation or forwarding the header).
 *
 * The lane routes come first in the VirtualService. Traffic outside every lane is split exactly as without lanes;
 * only the lane headers are removed from it, so a client outside the mesh cannot enter a lane by sending the header
 * itself (lane matches follow the same gateway rule as opt-in headers: mesh only, unless `optInThroughGateways`
 * and then with the trusted gateway header).
 */
import { z } from "zod";
import { dnsLabel } from "../common/k8s-names";
import { escapeRe2 } from "./re2";

/** An HTTP header name as Istio matches it (lowercase token). */
const headerName = z.string().regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, "must be a lowercase HTTP header name");
/** A W3C baggage key (an RFC 7230 token). */
const baggageKey = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be a baggage key (an HTTP token)");

/** One lane of the stack and how a request is marked with it. */
export const laneDefinitionSchema = z
    .object({
        name: dnsLabel.meta({ description: "The lane's name, the marker's value (e.g. `gray`)." }),
        header: headerName.default("x-gray-lane").meta({ description: "Header whose value names the lane; set on requests entering the lane." }),
        baggageKey: baggageKey
            .nullable()
            .default("gray-lane")
            .meta({ description: "W3C baggage member `<key>=<lane>` that marks the lane as well (null: the header only)." }),
    })
    .strict();

/** The lanes as a service's routing sees them: every lane of the stack, which its canary serves, which its opt-in enters. */
export const serviceLanesSchema = z
    .object({
        definitions: z
            .array(laneDefinitionSchema)
            .default([])
            .superRefine((lanes, ctx) => {
                const seen = new Set<string>();
                lanes.forEach((l, i) => {
                    if (seen.has(l.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicates lane "${l.name}"` });
                    seen.add(l.name);
                });
            })
            .meta({ description: "Every lane of the stack: each service gets a route per lane, to its canary or to stable." }),
        canaryIn: z.array(dnsLabel).default([]).meta({ description: "Lanes whose requests this service's canary serves (when it has pods)." }),
        enter: dnsLabel.optional().meta({
            description: "Lane that this service's opt-in and allowlist routes put requests into (sets the lane header), for a front service.",
        }),
    })
    .strict()
    .superRefine((l, ctx) => {
        const names = l.definitions.map((d) => d.name);
        l.canaryIn.forEach((lane, i) => {
            if (!names.includes(lane))
                ctx.addIssue({ code: "custom", path: ["canaryIn", i], message: `names no lane of the stack (${names.join(", ") || "none"})` });
        });
        if (l.enter !== undefined && !names.includes(l.enter))
            ctx.addIssue({ code: "custom", path: ["enter"], message: `names no lane of the stack (${names.join(", ") || "none"})` });
    });

export type LaneDefinition = z.output<typeof laneDefinitionSchema>;
export type ServiceLanesArgs = z.input<typeof serviceLanesSchema>;
export type ServiceLanes = z.output<typeof serviceLanesSchema>;

/** Name of a lane's route in the VirtualService. */
export const laneRouteName = (lane: string): string => `lane-${lane}`;

/**
 * The header matches that put a request in `lane`: the header with the lane's name, or a baggage member
 * `<key>=<lane>` anywhere in the `baggage` header (RE2, full-string: members are comma-separated, properties follow
 * `;`, optional whitespace around `=`).
 */
export function laneMatchHeaders(lane: LaneDefinition): Array<Record<string, { exact: string } | { regex: string }>> {
    const matches: Array<Record<string, { exact: string } | { regex: string }>> = [{ [lane.header]: { exact: lane.name } }];
    if (lane.baggageKey !== null) {
        const member = `[ \\t]*${escapeRe2(lane.baggageKey)}[ \\t]*=[ \\t]*${escapeRe2(lane.name)}[ \\t]*(;[^,]*)?`;
        matches.push({ baggage: { regex: `^(.*,)?${member}(,.*)?$` } });
    }
    return matches;
}

/** The lane headers, once each, to remove from traffic outside every lane. */
export function laneHeaders(lanes: ServiceLanes): string[] {
    return [...new Set(lanes.definitions.map((l) => l.header))];
}

/** Whether this service's canary serves `lane`. */
export function canaryServesLane(lanes: ServiceLanes, lane: string): boolean {
    return lanes.canaryIn.includes(lane);
}
