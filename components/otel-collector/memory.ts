/**
 * Kubernetes memory quantities and the Go soft memory limit derived from them. Without GOMEMLIMIT the Go
 * runtime only collects garbage when the heap doubles, so a collector under load is OOM-killed before the
 * memory_limiter processor gets a chance to push back.
 */
import { parseQuantity } from "../common/quantity";
import { GOMEMLIMIT_RATIO } from "./defaults";

/** Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1.5Gi`, `1e9`), or `undefined` when it is not one. */
export function parseMemoryQuantity(quantity: string): number | undefined {
    // Millibytes are valid quantity syntax but never a memory size anyone means.
    return quantity.endsWith("m") ? undefined : parseQuantity(quantity);
}

/** True when `quantity` is a Kubernetes CPU quantity (`250m`, `1`, `0.5`). */
export function isCpuQuantity(quantity: string): boolean {
    return /^([0-9]+m|[0-9]+(\.[0-9]+)?|\.[0-9]+)$/.test(quantity) && !/^0+(\.0+)?m?$/.test(quantity);
}

/**
 * GOMEMLIMIT for a container with the given memory limit: {@link GOMEMLIMIT_RATIO} of it, in whole MiB (the
 * unit Go parses), e.g. `512Mi` -> `409MiB`. Throws on a string that is not a memory quantity.
 */
export function goMemLimit(memoryLimit: string, ratio: number = GOMEMLIMIT_RATIO): string {
    const bytes = parseMemoryQuantity(memoryLimit);
    if (bytes === undefined) throw new Error(`not a Kubernetes memory quantity: ${JSON.stringify(memoryLimit)}`);
    return `${Math.floor((bytes * ratio) / 2 ** 20)}MiB`;
}
