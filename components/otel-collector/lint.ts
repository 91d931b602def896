/**
 * Structural checks of a rendered collector configuration: the mistakes the collector itself would only report
 * at start-up, in a pod, after the deployment. This is not a substitute for `otelcol validate`; it checks the
 * rules this package relies on.
 */
import type { CollectorConfig, PipelineConfig } from "./model";

function defined(section: object, id: string): boolean {
    return Object.hasOwn(section, id);
}

/** Problems found in `config`, one sentence each; empty when it is sound. */
export function lintCollectorConfig(config: CollectorConfig): string[] {
    const problems: string[] = [];
    const pipelines = Object.entries(config.service.pipelines).filter((entry): entry is [string, PipelineConfig] => entry[1] !== undefined);
    if (pipelines.length === 0) problems.push("service.pipelines is empty");

    for (const ext of config.service.extensions) {
        if (!defined(config.extensions, ext)) problems.push(`service.extensions: ${ext} is not defined`);
    }

    const connectorsAsExporter = new Set<string>();
    const connectorsAsReceiver = new Set<string>();
    for (const [name, p] of pipelines) {
        if (p.receivers.length === 0) problems.push(`pipeline ${name} has no receivers`);
        if (p.exporters.length === 0) problems.push(`pipeline ${name} has no exporters`);
        if (p.processors[0] !== "memory_limiter") {
            problems.push(`pipeline ${name}: memory_limiter must be the first processor`);
        }
        if (new Set(p.processors).size !== p.processors.length) problems.push(`pipeline ${name} repeats a processor`);
        for (const r of p.receivers) {
            if (defined(config.connectors, r)) connectorsAsReceiver.add(r);
            else if (!defined(config.receivers, r)) problems.push(`pipeline ${name}: receiver ${r} is not defined`);
        }
        for (const proc of p.processors) {
            if (!defined(config.processors, proc)) problems.push(`pipeline ${name}: processor ${proc} is not defined`);
        }
        for (const e of p.exporters) {
            if (defined(config.connectors, e)) connectorsAsExporter.add(e);
            else if (!defined(config.exporters, e)) problems.push(`pipeline ${name}: exporter ${e} is not defined`);
        }
    }
    for (const c of Object.keys(config.connectors)) {
        // A connector used on one side only makes the collector refuse to start.
        if (connectorsAsExporter.has(c) !== connectorsAsReceiver.has(c)) {
            problems.push(`connector ${c} must be both an exporter of one pipeline and a receiver of another`);
        }
    }
    return problems;
}
