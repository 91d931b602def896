/**
 * Layered configuration of a gray namespace: base → environment → gray fragment → namespace overrides →
 * isolation suffixes. Pure, so the stacks and the tests can compute exactly what a namespace will receive.
 */
import { InvalidArgsError } from "../common/validation";

/** A tree of configuration values: every leaf is a string, as ConfigMap data must be. */
export interface ConfigTree {
    [key: string]: string | ConfigTree;
}

/** Dotted key path of the gray switch inside the layered configuration. */
export const GRAY_SWITCH_KEY = "gray.enabled";

/** Inputs to {@link layerConfig}. */
export interface LayeredConfigInput {
    /** Values every environment starts from. */
    base?: ConfigTree;
    /** Values of the environment (e.g. `staging`), merged over `base`. */
    environment?: ConfigTree;
    /** Values of the gray variant, merged over the environment only when the gray switch is on. */
    gray?: ConfigTree;
    /**
     * The gray switch. When omitted, the switch is read from `gray.enabled` of base → environment
     * (the string `"true"` turns it on), so a shared config repository can flip it without code changes.
     */
    grayEnabled?: boolean;
    /** Values that belong to this namespace alone, merged last, whatever the gray switch says. */
    overrides?: ConfigTree;
    /**
     * Dotted key paths whose values get `isolationSuffix` appended, e.g. `kafka.topics.payment` turning
     * `payment-events` into `payment-events-gray`. Applied whatever the gray switch says: the namespace runs
     * its own consumers, which must never join the stable topic's consumer group.
     */
    isolate?: ReadonlyArray<string>;
    /** Suffix appended to isolated values; never appended twice. */
    isolationSuffix: string;
}

/** What {@link layerConfig} produced. */
export interface LayeredConfig {
    /** The merged tree. */
    tree: ConfigTree;
    /** The tree flattened to dotted keys, ready for ConfigMap `data`; always holds `gray.enabled`. */
    data: Record<string, string>;
    /** Whether the gray fragment was applied. */
    grayApplied: boolean;
}

function isTree(value: string | ConfigTree | undefined): value is ConfigTree {
    return typeof value === "object" && value !== null;
}

/**
 * Deep-merges `over` into `under` without mutating either. Maps merge key by key; anything else in `over`
 * (a string replacing a map or a map replacing a string) wins outright, as a later layer should.
 */
export function deepMerge(under: ConfigTree, over: ConfigTree): ConfigTree {
    const out: ConfigTree = { ...under };
    for (const [key, value] of Object.entries(over)) {
        const existing = out[key];
        out[key] = isTree(existing) && isTree(value) ? deepMerge(existing, value) : cloneValue(value);
    }
    return out;
}

function cloneValue(value: string | ConfigTree): string | ConfigTree {
    return isTree(value) ? deepMerge({}, value) : value;
}

/** Flattens a tree to `a.b.c` keys; an empty map leaves no key. */
export function flattenConfig(tree: ConfigTree, prefix = ""): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(tree)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (isTree(value)) Object.assign(out, flattenConfig(value, path));
        else out[path] = value;
    }
    return out;
}

function lookup(tree: ConfigTree, path: string): string | ConfigTree | undefined {
    let cur: string | ConfigTree | undefined = tree;
    for (const key of path.split(".")) {
        if (!isTree(cur)) return undefined;
        cur = cur[key];
    }
    return cur;
}

function setPath(tree: ConfigTree, path: string, value: string): ConfigTree {
    const [head, ...rest] = path.split(".");
    if (head === undefined) return tree;
    if (rest.length === 0) return { ...tree, [head]: value };
    const child = tree[head];
    return { ...tree, [head]: setPath(isTree(child) ? child : {}, rest.join("."), value) };
}

/** ConfigMap keys are limited to 253 characters. */
const MAX_CONFIGMAP_KEY = 253;

/**
 * Computes the configuration of a gray namespace. Throws {@link InvalidArgsError} (naming the key path and
 * value) when an isolated key is missing or is a map, or when a flattened key is too long for a ConfigMap.
 */
export function layerConfig(input: LayeredConfigInput, subject = "layered config"): LayeredConfig {
    const envTree = deepMerge(input.base ?? {}, input.environment ?? {});
    const grayApplied = input.grayEnabled ?? lookup(envTree, GRAY_SWITCH_KEY) === "true";
    let tree = grayApplied ? deepMerge(envTree, input.gray ?? {}) : envTree;
    tree = deepMerge(tree, input.overrides ?? {});

    const problems: Array<{ path: string; value: unknown; message: string }> = [];
    (input.isolate ?? []).forEach((path, i) => {
        const value = lookup(tree, path);
        if (typeof value !== "string") {
            problems.push({
                path: `config.isolate[${i}]`,
                value: path,
                message: value === undefined ? "no such key in the layered configuration" : "names a map; only string values can be isolated",
            });
            return;
        }
        if (!value.endsWith(input.isolationSuffix)) tree = setPath(tree, path, value + input.isolationSuffix);
    });

    // Written last so applications read the switch that was actually applied, not a layer's opinion of it.
    tree = setPath(tree, GRAY_SWITCH_KEY, String(grayApplied));
    const data = flattenConfig(tree);
    for (const key of Object.keys(data)) {
        if (key.length > MAX_CONFIGMAP_KEY) {
            problems.push({ path: "config", value: key, message: `flattened key longer than ${MAX_CONFIGMAP_KEY}` });
        }
    }
    if (problems.length > 0) throw new InvalidArgsError(subject, problems);
    return { tree, data, grayApplied };
}
