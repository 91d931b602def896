/**
 * Kubernetes resource quantities (`500m`, `2`, `0.5`, `512Mi`, `1G`, `1e9`): one parser for every component, so
 * what one accepts the others accept too, and so a request/limit comparison compares numbers, not strings.
 */
import { z } from "zod";

const SUFFIX: Readonly<Record<string, number>> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/** The value of a quantity in base units (cores, bytes), or `undefined` when `text` is not a quantity. */
export function parseQuantity(text: string): number | undefined {
    const m = QUANTITY.exec(text);
    if (!m) return undefined;
    const [, num, suffix, exponent] = m;
    const value = Number(num);
    if (exponent !== undefined) return value * 10 ** Number(exponent);
    return suffix === undefined ? value : value * (SUFFIX[suffix] ?? Number.NaN);
}

/** A Kubernetes quantity string. */
export const quantitySchema = z
    .string()
    .refine((q) => parseQuantity(q) !== undefined, { message: "must be a Kubernetes quantity, e.g. 500m or 512Mi" });
