/**
 * Kubernetes memory quantities and the Go soft memory limit derived from them. Without GOMEMLIMIT the Go
 * runtime only collects garbage when the heap doubles, so a collector under load is OOM-killed before the
 * memory_limiter processor gets a chance to push back.
 */
import { GOMEMLIMIT_RATIO } from "./defaults";

const BINARY_SUFFIX: Readonly<Record<string, number>> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/** Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1.5Gi`, `1e9`), or `undefined` when it is not one. */
export function parseMemoryQuantity(quantity: string): number | undefined {
    const m = QUANTITY.exec(quantity);
    if (!m) return undefined;
    const [, num, suffix, exponent] = m;
    const value = Number(num);
    if (exponent !== undefined) return value * 10 ** Number(exponent);
    const factor = suffix === undefined ? 1 : (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
    return factor === undefined ? undefined : value * factor;
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
