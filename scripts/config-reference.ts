/**
 * Generates docs/configuration.md, the reference of every stack config key, by walking the zod schemas.
 *
 *   npx ts-node --transpile-only scripts/config-reference.ts           # (re)writes docs/configuration.md
 *   npx ts-node --transpile-only scripts/config-reference.ts --check   # exits 1 when the file is stale
 *   npm run docs:config
 *
 * Everything comes from `z.toJSONSchema(schema, { io: "input" })`: structure, types, defaults, required-ness (input
 * side, so a key with a default may be omitted) and descriptions (a schema's `.meta({ description })`). Only what no
 * schema can know is written here: the sections and their intros, the keys the stack program fills itself (MANAGED,
 * checked against the schemas) and the secret keys read outside the validated object.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import {
    canaryRoutingArgsSchema,
    canaryWorkloadArgsSchema,
    featureFlagsArgsSchema,
    grayNamespaceArgsSchema,
    otelCollectorArgsSchema,
    sloRulesArgsSchema,
    thanosArgsSchema,
} from "../components";
import { progressionConfigSchema } from "../progression/config";
import { stackConfigSchema } from "../stacks/config";
import { flagRolloutSchema } from "../stacks/flag-rollouts";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const OUTPUT = path.join(REPO_ROOT, "docs", "configuration.md");

interface Section {
    /** Heading; the anchor is the last word of the prefix. */
    name: string;
    /** Where the keys sit in a stack config ("" for the top level). */
    prefix: string;
    /** The schema under its exported name: `{ fooArgsSchema }`. */
    schema: Record<string, z.ZodType>;
    /** The component whose args these keys are (its args type is `<component>Args`). */
    component?: string;
}

const SECTIONS: Section[] = [
    { name: "Stack config", prefix: "", schema: { stackConfigSchema } },
    { name: "Progression", prefix: "services[].progression", schema: { progressionConfigSchema } },
    { name: "Routing", prefix: "services[].routing", schema: { canaryRoutingArgsSchema }, component: "CanaryRouting" },
    { name: "Workload", prefix: "services[].workload", schema: { canaryWorkloadArgsSchema }, component: "CanaryWorkload" },
    { name: "SLO rules", prefix: "services[].slo", schema: { sloRulesArgsSchema }, component: "SloRules" },
    { name: "Feature flags", prefix: "services[].featureFlags", schema: { featureFlagsArgsSchema }, component: "FeatureFlags" },
    { name: "Flag rollouts", prefix: "services[].featureFlags.rollouts[]", schema: { flagRolloutSchema } },
    { name: "Gray namespaces", prefix: "platform.namespaces[]", schema: { grayNamespaceArgsSchema }, component: "GrayNamespace" },
    { name: "Thanos", prefix: "platform.thanos", schema: { thanosArgsSchema }, component: "Thanos" },
    { name: "OpenTelemetry collectors", prefix: "platform.otel", schema: { otelCollectorArgsSchema }, component: "OtelCollector" },
];
const anchor = (s: Section): string => /(\w+)(\[\])?$/.exec(s.prefix)?.[1] ?? "stack";
const title = (s: Section): string => `${s.name} (\`${s.prefix || "gray-release:*"}\`)`;

/** The first paragraph of each section, by anchor. */
const INTROS: Record<string, string> = {
    stack: "Top-level keys of `stacks/Pulumi.<stack>.yaml`, each written as `gray-release:<key>` (e.g. `gray-release:services`). The whole object is validated before any resource is registered.",
    progression:
        "How a service's canary moves: steps, pacing, SLO analysis, verdict semantics and manual controls. The same object is `parseProgressionConfig()`'s input in `gray-release/progression`.",
    routing: "Istio VirtualService and DestinationRule of the service: opt-in headers, allowlist, path prefixes, mirroring, resilience.",
    workload: "The stable and canary Deployments and the Service selecting both.",
    slo: "SLO recording and burn-rate alerting rules, canary-versus-stable rules and the Grafana dashboard of the service.",
    featureFlags:
        "The service's feature flags in flagd's format (a ConfigMap flagd reads), their approvals, and the Istio Telemetry that labels requests with the variant that served them. `rollouts` is the stack's own key (next section). See docs/feature-flags.md.",
    rollouts:
        "Flag variants rolled out to a growing share of users, one step per update on the service's analysis; each is a release of its own, kept under `<service>/flag/<key>`. The rest of its progression settings are the service's (`services[].progression`), without step gates or custom checks.",
    namespaces: "One entry per gray namespace: labels, quotas, network policies, mTLS, shared and isolated backing services, layered config.",
    thanos: "Long-window SLO storage: Thanos sidecar, store, compactor, query (and optionally query-frontend and ruler) with object storage.",
    otel: "Agent and gateway collectors: W3C + B3 propagation, tail sampling that keeps every canary trace, span metrics.",
};

/** Keys the stack program fills itself (a value written for them is ignored), and from what. */
const fromName = "from `services[].name`";
const fromNamespace = "from `services[].namespace`";
const fromStableImage = "from `services[].stableImage` (after a promotion, the promoted image)";
const fromCanaryImage = "from `services[].canaryImage`";
const MANAGED: Record<string, string> = {
    "services[].progression.service": fromName,
    "services[].progression.environment": "from `environment`",
    "services[].progression.namespace": fromNamespace,
    "services[].progression.stableImage": fromStableImage,
    "services[].progression.canaryImage": fromCanaryImage,
    "services[].progression.flag":
        "from each of `services[].featureFlags.rollouts`, a release of its own; the service's own progression is its image canary",
    "services[].routing.service": fromName,
    "services[].routing.namespace": fromNamespace,
    "services[].routing.canaryWeight": "the weight the progression decided for this update",
    "services[].routing.canaryAvailable": "false once the canary has no pods to serve (rolled back, failed or promoted)",
    "services[].workload.service": fromName,
    "services[].workload.namespace": fromNamespace,
    "services[].workload.stableImage": fromStableImage,
    "services[].workload.canaryImage": fromCanaryImage,
    "services[].workload.stableVersionLabel": "the stable version label chosen by the progression",
    "services[].workload.canaryVersionLabel": "the canary version label chosen by the progression",
    "services[].workload.latencyBuckets": "`services[].slo.latencyBuckets`: one list for the sidecars and the SLO thresholds",
    "services[].workload.canaryWeight":
        "the larger of this update's and the previous update's canary share: pods follow routes up at once and down one update later",
    "services[].slo.service": fromName,
    "services[].featureFlags.namespace": fromNamespace,
    "platform.thanos.storage.accessKey": "with `storage.type: existing`, from the secret `gray-release:thanosAccessKey`",
    "platform.thanos.storage.secretKey": "with `storage.type: existing`, from the secret `gray-release:thanosSecretKey`",
};

/**
 * Keys a component requires that the stack program fills when the stack config omits them (parseStackConfig), and
 * from what: optional in a stack. test/unit/stack-config-docs.test.ts checks that the program does fill them.
 */
export const STACK_DEFAULTS: Record<string, string> = {
    "services[].progression.analysis.prometheusUrl":
        "the platform stack's Thanos Query (`platformStack`), else this stack's own (`platform.thanos`); required in a stack with neither",
    "services[].slo.namespace": "`services[].namespace`",
};

/** Config keys outside the validated object, read directly by the program (all secrets). */
const SECRET_KEYS: Record<string, string> = {
    kubeconfig:
        'Kubeconfig of the target cluster. Without it the Kubernetes provider renders YAML to `rendered/<stack>/` of the project (or `renderDir`) and talks to no cluster. Set with `pulumi config set --secret gray-release:kubeconfig "$(cat ~/.kube/config)"`.',
    thanosAccessKey: "Access key of `existing` Thanos object storage (required when `platform.thanos.storage.type` is `existing`).",
    thanosSecretKey: "Secret key of `existing` Thanos object storage (required when `platform.thanos.storage.type` is `existing`).",
};

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema document, read key by key.
type Json = Record<string, any>;

interface Row {
    /** Path in the stack config, with `[]` for array items and `<key>` for map values. */
    key: string;
    type: string;
    required: boolean;
    default?: unknown;
    description?: string;
    /** The union members (e.g. `with type: "aws"`) the key belongs to, when not all of them have it. */
    variants?: Set<string>;
}

/** The schema a `$ref` (to `$defs`, e.g. of a recursive schema) points at, merged with the referring keys. */
function deref(root: Json, s: Json): Json {
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref ?? "")?.[1];
    if (name === undefined) return s;
    const { $ref: _, ...rest } = s;
    return { ...root.$defs[name], ...rest };
}

const alternatives = (s: Json): Json[] | undefined => s.anyOf ?? s.oneOf;
const isObject = (s: Json): boolean => s.type === "object" || s.properties !== undefined;
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
const cell = (text: string): string => text.replace(/\s*\r?\n\s*/g, " ").replace(/(?<!\\)\|/g, "\\|");
const join = (prefix: string, key: string): string => (prefix ? `${prefix}.${key}` : key);
const usable = (n: unknown): n is number => typeof n === "number" && Math.abs(n) < Number.MAX_SAFE_INTEGER;

/** ` 0..100`, or the bounds that apply, e.g. ` (>0, ≤1)`. */
function range(s: Json): string {
    if (usable(s.minimum) && usable(s.maximum)) return ` ${s.minimum}..${s.maximum}`;
    const bounds = [
        ["≥", s.minimum],
        [">", s.exclusiveMinimum],
        ["≤", s.maximum],
        ["<", s.exclusiveMaximum],
    ].filter(([, n]) => usable(n));
    return bounds.length > 0 ? ` (${bounds.map(([op, n]) => `${op}${n}`).join(", ")})` : "";
}

function typeText(root: Json, raw: Json, seen: ReadonlySet<string> = new Set()): string {
    const s = deref(root, raw);
    // A recursive schema (a config tree): named, not unrolled.
    if (raw.$ref && seen.has(raw.$ref)) return isObject(s) && !s.properties ? "nested map" : "(recursive)";
    const sub = (x: Json) => typeText(root, x, raw.$ref ? new Set([...seen, raw.$ref]) : seen);
    const alt = alternatives(s);
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (Array.isArray(s.enum)) return s.enum.map((v: unknown) => JSON.stringify(v)).join(" \\| ");
    if (alt) {
        // "any" next to real types is a value JSON cannot describe (a Pulumi Output); config can only hold the others.
        const parts = [...new Set(alt.map(sub))];
        const known = parts.filter((p) => p !== "any");
        return (known.length > 0 ? known : parts).join(" \\| ");
    }
    if (Array.isArray(s.type)) return s.type.join(" \\| ");
    if (s.type === "string") return typeof s.format === "string" ? `string (${s.format})` : "string";
    if (s.type === "integer" || s.type === "number") return `${s.type}${range(s)}`;
    if (s.type === "boolean" || s.type === "null") return s.type;
    if (s.type === "array") {
        const inner = s.items ? sub(s.items) : "any";
        return /[| ]/.test(inner) ? `(${inner})[]` : `${inner}[]`;
    }
    if (s.type !== "object") return "any";
    const values = s.properties === undefined && s.additionalProperties ? s.additionalProperties : undefined;
    const v = typeof values === "object" ? sub(values) : "any";
    return values === undefined || v === "any" ? "object" : v.includes("|") ? `map of (${v})` : `map of ${v}`;
}

/** Rows of every key under `raw`, in schema order; union members' keys are merged and marked with their member. */
function collectRows(root: Json, raw: Json, prefix: string, out: Map<string, Row>, variant?: string): void {
    const s = deref(root, raw);
    const members = alternatives(s)?.map((a) => deref(root, a));
    const withRows = members?.filter((m) => isObject(m) || m.type === "array") ?? [];
    if (members && withRows.length <= 1) {
        for (const m of members) collectRows(root, m, prefix, out, variant);
    } else if (members) {
        // A discriminated union's tag: the property every member fixes to a constant.
        const props = (m: Json): Json => m.properties ?? {};
        const tag = Object.keys(props(withRows[0]!)).find((k) => withRows.every((m) => props(m)[k]?.const !== undefined));
        const label = (m: Json) => (tag ? `with ${code(`${tag}: ${JSON.stringify(props(m)[tag].const)}`)}` : `in the ${typeText(root, m)} form`);
        const labels = withRows.map(label);
        for (const [i, m] of withRows.entries()) collectRows(root, m, prefix, out, labels[i]);
        // Keys every member has need no "only with" note.
        for (const row of out.values()) {
            if (labels.every((l) => row.variants?.has(l))) row.variants = new Set([...row.variants!].filter((l) => !labels.includes(l)));
        }
    } else if (s.type === "array" && typeof s.items === "object") {
        collectRows(root, s.items, `${prefix}[]`, out, variant);
    } else if (isObject(s) && prefix.split(".").length < 12) {
        for (const [key, prop] of Object.entries<Json>(s.properties ?? {}).map(([k, p]) => [k, deref(root, p)] as const)) {
            const at = join(prefix, key);
            // Input side: a key with a default or `.optional()` is not listed as required (STACK_DEFAULTS: filled by the stack).
            const required: boolean = (s.required ?? []).includes(key) && prop.default === undefined;
            const type = typeText(root, prop);
            const row: Row = out.get(at) ?? { key: at, type, required };
            // The same key under another union member: widen the type, keep what is known.
            if (row.type !== type && !row.type.split(" \\| ").includes(type)) row.type += ` \\| ${type}`;
            row.required &&= required;
            row.default ??= prop.default;
            row.description ??= prop.description;
            if (variant !== undefined) row.variants = new Set([...(row.variants ?? []), variant]);
            out.set(at, row);
            collectRows(root, prop, at, out, variant);
        }
        const values = s.properties === undefined && typeof s.additionalProperties === "object" ? deref(root, s.additionalProperties) : {};
        if (values.properties !== undefined) collectRows(root, values, join(prefix, "<key>"), out, variant);
    }
}

const defaultText = (json: string): string => code(json.length > 80 ? `${json.slice(0, 77)}…` : json);
const TABLE_HEAD = ["| key | type | default | description |", "| --- | --- | --- | --- |"];

function renderSection(section: Section, undocumented: string[]): string[] {
    const [[schemaName, schema]] = Object.entries(section.schema) as [[string, z.ZodType]];
    const root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", cycles: "ref", reused: "inline" }) as Json;
    const rows = new Map<string, Row>();
    collectRows(root, root, section.prefix, rows);
    const component = section.component
        ? `; component: ${code(section.component)} (args ${code(`${section.component}Args`)}; the same keys without the ` +
          `${code(`${section.prefix}.`)} prefix when used directly from TypeScript)`
        : "";
    const lines = [`## ${title(section)}`, "", `<a id="${anchor(section)}"></a>`, "", INTROS[anchor(section)]!, ""];
    lines.push(`Schema: ${code(schemaName)}${component}.`, "", ...TABLE_HEAD);
    // Keys of a deeper section (a component's args inside the stack config) are documented there.
    const deeper = SECTIONS.filter((o) => o.prefix.length > section.prefix.length).map((o) => o.prefix.replace(/\[\]$/, ""));
    for (const row of rows.values()) {
        const { key } = row;
        if (deeper.some((p) => key.startsWith(`${p}.`) || key.startsWith(`${p}[]`))) continue;
        const managed = MANAGED[key];
        const filled = STACK_DEFAULTS[key];
        let description = row.description ?? "";
        if (!description && !managed) undocumented.push(key);
        // A stack key holding a component's args points to the component's section.
        const see = section.prefix === "" ? SECTIONS.find((s) => s.prefix !== "" && s.prefix.replace(/\[\]$/, "") === key) : undefined;
        if (see) description = `${description} See [below](#${anchor(see)}).`.trim();
        if (managed) description = `**Set by the stack program**: ${managed}; a value given here is ignored. ${description}`.trim();
        if (filled) description = `${description} In a stack, defaults to ${filled}.`.trim();
        const only = row.variants?.size ? [...row.variants].join(" or ") : undefined;
        const required = row.required && !managed && !filled;
        const type = required ? `${row.type} (**required**${only ? ` ${only}` : ""})` : only ? `${row.type} (only ${only})` : row.type;
        const dflt = row.default === undefined ? "" : defaultText(JSON.stringify(row.default));
        lines.push(`| ${code(key)} | ${cell(type)} | ${cell(dflt)} | ${cell(description)} |`);
    }
    return [...lines, ""];
}

/** The whole Markdown document (deterministic), and the user-facing keys that have no description. */
export function configReference(): { text: string; undocumented: string[] } {
    const undocumented: string[] = [];
    const lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/config-reference.ts from the zod schemas. Do not edit: run `npm run docs:config`. -->",
        "",
        "Every key of a stack's configuration (`stacks/Pulumi.<stack>.yaml`, namespace `gray-release`). Paths use `a.b` for nested keys, `a[]` for the items of a list and `<key>` for the values of a map. Types, defaults and descriptions come from the zod schemas that validate the config; **required** marks keys without a default that must be given. Where a key has no default listed, the description says what happens when it is omitted.",
        "",
        "Sections:",
        "",
        ...SECTIONS.map((s) => `- [${title(s).replace(/`/g, "")}](#${anchor(s)})`),
        "- [Secret keys](#secrets)",
        "",
        ...SECTIONS.flatMap((s) => renderSection(s, undocumented)),
        "## Secret keys",
        "",
        '<a id="secrets"></a>',
        "",
        "Read by the program directly, outside the validated object. Set them with `pulumi config set --secret`.",
        "",
        ...TABLE_HEAD,
        ...Object.entries(SECRET_KEYS).map(([key, description]) => `| ${code(`gray-release:${key}`)} | string (secret) |  | ${cell(description)} |`),
        "",
    ];
    const stale = [...Object.keys(MANAGED), ...Object.keys(STACK_DEFAULTS)].filter((key) => !lines.some((l) => l.startsWith(`| ${code(key)} |`)));
    if (stale.length > 0) throw new Error(`config-reference: MANAGED or STACK_DEFAULTS name keys no schema has: ${stale.join(", ")}`);
    return { text: lines.join("\n"), undocumented };
}

export const generateConfigReference = (): string => configReference().text;

function main(argv: string[]): number {
    const { text, undocumented } = configReference();
    if (undocumented.length > 0) console.error(`${undocumented.length} config keys have no description (add .meta({ description }) to their schema)`);
    const relative = path.relative(REPO_ROOT, OUTPUT);
    const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, "utf8") : undefined;
    if (argv.includes("--check")) {
        if (current !== text) console.error(`${relative} is out of date: run \`npm run docs:config\``);
        return current === text ? 0 : 1;
    }
    if (current !== text) fs.writeFileSync(OUTPUT, text);
    console.log(current !== text ? `wrote ${relative}` : `${relative} is up to date`);
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
