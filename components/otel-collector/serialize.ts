/** Rendering of a typed collector configuration as the YAML file the collector reads. */
import { stringify } from "yaml";
import type { CollectorConfig } from "./model";

export function collectorConfigYaml(config: CollectorConfig): string {
    // lineWidth 0: long endpoints stay on one line; aliasDuplicateObjects false: shared sub-objects (the
    // processor list of two pipelines) are written out, not as YAML anchors some tools mishandle.
    return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
