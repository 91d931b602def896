/**
 * Generates docs/configuration.md, the reference of every stack config key, from the zod schemas themselves.
 *
 *   npx ts-node --transpile-only scripts/config-reference.ts           # (re)writes docs/configuration.md
 *   npx ts-node --transpile-only scripts/config-reference.ts --check   # exits 1 when the file is stale
 *   npm run docs:config
 *
 * Structure and types, defaults and required-ness come from `z.toJSONSchema()` of each schema (input side, so
 * defaults are what a user may omit). Descriptions come, in this order, from a schema's own `.describe()`, the
 * TSDoc of the matching field of the component's `Args` interface (the source of truth for field docs), and the
 * TSDoc written on the zod object literal (read through `z.input<typeof schema>` with the TypeScript compiler
 * API, which keeps those comments).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { z } from "zod";
import {
    canaryRoutingArgsSchema,
    canaryWorkloadArgsSchema,
    grayNamespaceArgsSchema,
    otelCollectorArgsSchema,
    sloRulesArgsSchema,
    thanosArgsSchema,
} from "../components";
import { stackConfigSchema } from "../stacks/config";
import { progressionConfigSchema } from "../progression/config";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const OUTPUT = path.join(REPO_ROOT, "docs", "configuration.md");

/** How the stack program fills a key itself (a value written in the stack config for it is ignored). */
type Managed = Record<string, string>;

interface Section {
    /** Anchor and heading. */
    id: string;
    title: string;
    /** Where the keys sit in a stack config ("" for the top level). */
    prefix: string;
    schema: z.ZodType;
    /** Exported name of the schema (for the text). */
    schemaName: string;
    /** The component and its Args interface, when the keys are a component's args. */
    component?: string;
    argsInterface?: { name: string; module: string };
    /** Module and export name of the schema, for the `z.input` docs lookup. */
    schemaModule: string;
    intro: string;
    managed?: Managed;
}

const SECTIONS: Section[] = [
    {
        id: "stack",
        title: "Stack config (`gray-release:*`)",
        prefix: "",
        schema: stackConfigSchema,
        schemaName: "stackConfigSchema",
        schemaModule: "../stacks/config",
        intro:
            "Top-level keys of `stacks/Pulumi.<stack>.yaml`, each written as `gray-release:<key>` " +
            "(e.g. `gray-release:services`). The whole object is validated before any resource is registered.",
    },
    {
        id: "progression",
        title: "Progression (`services[].progression`)",
        prefix: "services[].progression",
        schema: progressionConfigSchema,
        schemaName: "progressionConfigSchema",
        schemaModule: "../progression/config",
        intro:
            "How a service's canary moves: steps, pacing, SLO analysis, verdict semantics and manual controls. " +
            "The same object is `parseProgressionConfig()`'s input in `gray-release/progression`.",
        managed: {
            service: "from `services[].name`",
            environment: "from `environment`",
            stableVersion: "from `services[].stableImage` (after a promotion, the promoted image)",
            canaryVersion: "from `services[].canaryImage`",
        },
    },
    {
        id: "routing",
        title: "Routing (`services[].routing`)",
        prefix: "services[].routing",
        schema: canaryRoutingArgsSchema,
        schemaName: "canaryRoutingArgsSchema",
        schemaModule: "../components/canary-routing",
        component: "CanaryRouting",
        argsInterface: { name: "CanaryRoutingArgs", module: "../components/canary-routing" },
        intro: "Istio VirtualService and DestinationRule of the service: opt-in headers, allowlist, path prefixes, mirroring, resilience.",
        managed: {
            service: "from `services[].name`",
            namespace: "from `services[].namespace`",
            canaryWeight: "the weight the progression decided for this update",
            canaryAvailable: "false once the canary has no pods to serve (rolled back, failed or promoted)",
        },
    },
    {
        id: "workload",
        title: "Workload (`services[].workload`)",
        prefix: "services[].workload",
        schema: canaryWorkloadArgsSchema,
        schemaName: "canaryWorkloadArgsSchema",
        schemaModule: "../components/canary-workload",
        component: "CanaryWorkload",
        argsInterface: { name: "CanaryWorkloadArgs", module: "../components/canary-workload" },
        intro: "The stable and canary Deployments and the Service selecting both.",
        managed: {
            service: "from `services[].name`",
            namespace: "from `services[].namespace`",
            stableImage: "from `services[].stableImage` (after a promotion, the promoted image)",
            canaryImage: "from `services[].canaryImage`",
            stableVersionLabel: "the stable version label chosen by the progression",
            canaryVersionLabel: "the canary version label chosen by the progression",
            canaryWeight:
                "the larger of this update's and the previous update's canary share: pods follow routes up at once and down one update later",
        },
    },
    {
        id: "slo",
        title: "SLO rules (`services[].slo`)",
        prefix: "services[].slo",
        schema: sloRulesArgsSchema,
        schemaName: "sloRulesArgsSchema",
        schemaModule: "../components/slo-rules",
        component: "SloRules",
        argsInterface: { name: "SloRulesArgs", module: "../components/slo-rules" },
        intro: "SLO recording and burn-rate alerting rules, canary-versus-stable rules and the Grafana dashboard of the service.",
        managed: {
            service: "from `services[].name`",
        },
    },
    {
        id: "namespaces",
        title: "Gray namespaces (`platform.namespaces[]`)",
        prefix: "platform.namespaces[]",
        schema: grayNamespaceArgsSchema,
        schemaName: "grayNamespaceArgsSchema",
        schemaModule: "../components/gray-namespace",
        component: "GrayNamespace",
        argsInterface: { name: "GrayNamespaceArgs", module: "../components/gray-namespace" },
        intro: "One entry per gray namespace: labels, quotas, network policies, mTLS, shared and isolated backing services, layered config.",
    },
    {
        id: "thanos",
        title: "Thanos (`platform.thanos`)",
        prefix: "platform.thanos",
        schema: thanosArgsSchema,
        schemaName: "thanosArgsSchema",
        schemaModule: "../components/thanos",
        component: "Thanos",
        argsInterface: { name: "ThanosArgs", module: "../components/thanos" },
        intro: "Long-window SLO storage: Thanos sidecar, store, compactor, query (and optionally query-frontend and ruler) with object storage.",
        managed: {
            "storage.accessKey": "with `storage.type: existing`, from the secret `gray-release:thanosAccessKey`",
            "storage.secretKey": "with `storage.type: existing`, from the secret `gray-release:thanosSecretKey`",
        },
    },
    {
        id: "otel",
        title: "OpenTelemetry collectors (`platform.otel`)",
        prefix: "platform.otel",
        schema: otelCollectorArgsSchema,
        schemaName: "otelCollectorArgsSchema",
        schemaModule: "../components/otel-collector",
        component: "OtelCollector",
        argsInterface: { name: "OtelCollectorArgs", module: "../components/otel-collector" },
        intro: "Agent and gateway collectors: W3C + B3 propagation, tail sampling that keeps every canary trace, span metrics.",
    },
];

/** Where a record-typed key of the stack config is documented. */
const SEE_ALSO: Record<string, string> = Object.fromEntries(
    SECTIONS.filter((s) => s.prefix !== "").map((s) => [s.prefix.replace(/\[\]$/, ""), s.id]),
);

/** Config keys outside the validated object, read directly by the program (all secrets). */
const SECRET_KEYS: Array<{ key: string; description: string }> = [
    {
        key: "kubeconfig",
        description:
            "Kubeconfig of the target cluster. Without it the Kubernetes provider renders YAML to `rendered/<stack>/` " +
            "and talks to no cluster. Set with `pulumi config set --secret gray-release:kubeconfig \"$(cat ~/.kube/config)\"`.",
    },
    { key: "thanosAccessKey", description: "Access key of `existing` Thanos object storage (required when `platform.thanos.storage.type` is `existing`)." },
    { key: "thanosSecretKey", description: "Secret key of `existing` Thanos object storage (required when `platform.thanos.storage.type` is `existing`)." },
];

// ---------------------------------------------------------------- TSDoc lookup (TypeScript compiler API)

interface TypeDocs {
    /** Docs of a key path, from the Args interface, then from the schema's z.input type. */
    lookup(section: Section, segments: string[]): { doc?: string; defaultTag?: string };
    /** Top-level keys of the Args interface (type text and doc), for keys only the interface has. */
    interfaceKeys(section: Section): Array<{ key: string; type: string; optional: boolean }>;
}

function cleanDoc(text: string): string {
    return text
        .replace(/\{@link\s+([^}\s|]+)(?:\s*\|\s*([^}]+))?\s*\}/g, (_m, target: string, label?: string) => `\`${(label ?? target).trim()}\``)
        .replace(/\s*\n\s*/g, " ")
        .trim();
}

function createTypeDocs(): TypeDocs {
    const virtualFile = path.join(REPO_ROOT, "scripts", "__config_reference_types__.ts");
    const lines = ['import type { z } from "zod";'];
    SECTIONS.forEach((s, i) => {
        lines.push(`import { ${s.schemaName} as schema${i} } from ${JSON.stringify(s.schemaModule)};`);
        lines.push(`export type Input${i} = z.input<typeof schema${i}>;`);
        if (s.argsInterface) {
            lines.push(`import type { ${s.argsInterface.name} as Args${i} } from ${JSON.stringify(s.argsInterface.module)};`);
            lines.push(`export type Iface${i} = Args${i};`);
        }
    });
    const text = lines.join("\n") + "\n";
    const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.getSourceFile = (file, lang, ...rest) => (path.resolve(file) === virtualFile ? ts.createSourceFile(file, text, lang, true) : getSourceFile(file, lang, ...rest));
    host.fileExists = (file) => path.resolve(file) === virtualFile || fileExists(file);
    const program = ts.createProgram([virtualFile], options, host);
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(virtualFile);
    if (!source) throw new Error("config-reference: could not create the type lookup program");
    const aliases = new Map<string, ts.Type>();
    for (const st of source.statements) {
        if (ts.isTypeAliasDeclaration(st)) aliases.set(st.name.text, checker.getTypeAtLocation(st.name));
    }

    const propertyOf = (type: ts.Type, name: string): ts.Symbol | undefined => {
        const t = checker.getNonNullableType(type);
        const direct = checker.getPropertyOfType(t, name);
        if (direct) return direct;
        if (t.isUnion()) {
            for (const member of t.types) {
                const p = checker.getPropertyOfType(member, name);
                if (p) return p;
            }
        }
        return undefined;
    };
    const elementOf = (type: ts.Type): ts.Type | undefined => {
        const t = checker.getNonNullableType(type);
        const members = t.isUnion() ? t.types : [t];
        for (const m of members) {
            const el = checker.getIndexTypeOfType(m, ts.IndexKind.Number);
            if (el) return el;
        }
        return undefined;
    };
    const valueOf = (type: ts.Type): ts.Type | undefined => {
        const t = checker.getNonNullableType(type);
        const members = t.isUnion() ? t.types : [t];
        for (const m of members) {
            const v = checker.getIndexTypeOfType(m, ts.IndexKind.String);
            if (v) return v;
        }
        return undefined;
    };

    const walk = (root: ts.Type | undefined, segments: string[]): { doc?: string; defaultTag?: string } | undefined => {
        let type: ts.Type | undefined = root;
        let symbol: ts.Symbol | undefined;
        for (const seg of segments) {
            if (!type) return undefined;
            if (seg === "[]") {
                type = elementOf(type);
                symbol = undefined;
            } else if (seg === "<key>") {
                type = valueOf(type);
                symbol = undefined;
            } else {
                symbol = propertyOf(type, seg);
                if (!symbol) return undefined;
                type = checker.getTypeOfSymbol(symbol);
            }
        }
        if (!symbol) return undefined;
        const doc = cleanDoc(ts.displayPartsToString(symbol.getDocumentationComment(checker)));
        const tag = symbol.getJsDocTags(checker).find((t) => t.name === "default" || t.name === "defaultValue");
        const defaultTag = tag?.text ? cleanDoc(ts.displayPartsToString(tag.text)) : undefined;
        return { ...(doc ? { doc } : {}), ...(defaultTag ? { defaultTag } : {}) };
    };

    return {
        lookup(section, segments) {
            const i = SECTIONS.indexOf(section);
            const fromInterface = walk(aliases.get(`Iface${i}`), segments);
            const fromSchema = walk(aliases.get(`Input${i}`), segments);
            return {
                doc: fromInterface?.doc ?? fromSchema?.doc,
                defaultTag: fromInterface?.defaultTag ?? fromSchema?.defaultTag,
            } as { doc?: string; defaultTag?: string };
        },
        interfaceKeys(section) {
            const i = SECTIONS.indexOf(section);
            const iface = aliases.get(`Iface${i}`);
            if (!iface) return [];
            return checker.getPropertiesOfType(iface).map((p) => ({
                key: p.name,
                type: checker.typeToString(checker.getNonNullableType(checker.getTypeOfSymbol(p)), undefined, ts.TypeFormatFlags.NoTruncation),
                optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
            }));
        },
    };
}

// ---------------------------------------------------------------- JSON Schema walk

type Json = Record<string, unknown>;

interface Row {
    /** Path relative to the section root, with `[]` for array items and `<key>` for map values. */
    segments: string[];
    type: string;
    required: boolean;
    default?: unknown;
    description?: string;
    /** The union members (e.g. `type: "aws"`) the key belongs to, when not all of them have it. */
    variants?: Set<string>;
}

function toJsonSchema(schema: z.ZodType, name: string): Json {
    try {
        return z.toJSONSchema(schema, { io: "input", unrepresentable: "any", cycles: "ref", reused: "inline" }) as Json;
    } catch (e) {
        throw new Error(`config-reference: z.toJSONSchema(${name}) failed: ${(e as Error).message}`);
    }
}

function resolveRef(root: Json, s: Json): Json {
    let cur = s;
    for (let i = 0; i < 20 && typeof cur["$ref"] === "string"; i++) {
        const ref = cur["$ref"] as string;
        const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
        const defs = m ? (root[m[1]!] as Record<string, Json> | undefined) : undefined;
        const target = m && defs ? defs[decodeURIComponent(m[2]!)] : undefined;
        if (!target) return {};
        const { $ref: _ref, ...rest } = cur;
        cur = { ...target, ...rest };
    }
    return cur;
}

function alternatives(s: Json): Json[] | undefined {
    const alt = (s["anyOf"] ?? s["oneOf"]) as Json[] | undefined;
    return Array.isArray(alt) ? alt : undefined;
}

function isObjectSchema(s: Json): boolean {
    return s["type"] === "object" || s["properties"] !== undefined;
}

function range(s: Json): string {
    const lo = s["minimum"] ?? (s["exclusiveMinimum"] !== undefined ? `>${String(s["exclusiveMinimum"])}` : undefined);
    const hi = s["maximum"] ?? (s["exclusiveMaximum"] !== undefined ? `<${String(s["exclusiveMaximum"])}` : undefined);
    const max = typeof hi === "number" && hi >= Number.MAX_SAFE_INTEGER ? undefined : hi;
    const min = typeof lo === "number" && lo <= Number.MIN_SAFE_INTEGER ? undefined : lo;
    if (min === undefined && max === undefined) return "";
    if (typeof min === "string" || typeof max === "string") {
        return ` (${[min === undefined ? undefined : typeof min === "string" ? min : `≥${min}`, max === undefined ? undefined : typeof max === "string" ? max : `≤${max}`].filter(Boolean).join(", ")})`;
    }
    if (min !== undefined && max !== undefined) return ` ${String(min)}..${String(max)}`;
    return min !== undefined ? ` ≥ ${String(min)}` : ` ≤ ${String(max)}`;
}

function typeText(root: Json, raw: Json, depth = 0, refs: ReadonlySet<string> = new Set()): string {
    const ref = typeof raw["$ref"] === "string" ? (raw["$ref"] as string) : undefined;
    if (ref !== undefined && refs.has(ref)) {
        // A recursive schema (e.g. a config tree): name it instead of unrolling it.
        const target = resolveRef(root, raw);
        return target["type"] === "object" && target["properties"] === undefined ? "nested map" : "(recursive)";
    }
    const seen = ref === undefined ? refs : new Set([...refs, ref]);
    const s = resolveRef(root, raw);
    if (depth > 8) return "…";
    const sub = (x: Json): string => typeText(root, x, depth + 1, seen);
    if (s["const"] !== undefined) return JSON.stringify(s["const"]);
    if (Array.isArray(s["enum"])) return (s["enum"] as unknown[]).map((v) => JSON.stringify(v)).join(" \\| ");
    const alt = alternatives(s);
    if (alt) {
        const parts = [...new Set(alt.map(sub))];
        // "any" next to real types is a value JSON cannot describe (a Pulumi Output); config can only hold the others.
        const known = parts.filter((p) => p !== "any");
        return (known.length > 0 ? known : parts).join(" \\| ");
    }
    const t = s["type"];
    if (Array.isArray(t)) return t.join(" \\| ");
    switch (t) {
        case "string": {
            const format = typeof s["format"] === "string" ? ` (${s["format"] as string})` : "";
            return `string${format}`;
        }
        case "integer":
        case "number":
            return `${t}${range(s)}`;
        case "boolean":
        case "null":
            return t;
        case "array": {
            const items = s["items"] as Json | undefined;
            const inner = items ? sub(items) : "any";
            return inner.includes("|") || inner.includes(" ") ? `(${inner})[]` : `${inner}[]`;
        }
        case "object": {
            const ap = s["additionalProperties"];
            if (s["properties"] === undefined && ap !== undefined && ap !== false) {
                const v = typeof ap === "object" ? sub(ap as Json) : "any";
                if (v === "any") return "object";
                return v.includes("|") ? `map of (${v})` : `map of ${v}`;
            }
            return "object";
        }
        default:
            return "any";
    }
}

/** The property every object member of a union fixes to a constant (a discriminated union's tag), if any. */
function discriminator(root: Json, members: Json[]): string | undefined {
    const objects = members.map((m) => resolveRef(root, m));
    if (!objects.every(isObjectSchema)) return undefined;
    const first = (objects[0]?.["properties"] ?? {}) as Record<string, Json>;
    return Object.keys(first).find((k) =>
        objects.every((o) => {
            const p = ((o["properties"] ?? {}) as Record<string, Json>)[k];
            return p !== undefined && resolveRef(root, p)["const"] !== undefined;
        }),
    );
}

function collectRows(root: Json, raw: Json, prefix: string[], out: Map<string, Row>, depth = 0, variant?: string): void {
    if (depth > 12) return;
    const s = resolveRef(root, raw);
    const alt = alternatives(s);
    if (alt) {
        const withRows = alt.filter((a) => {
            const m = resolveRef(root, a);
            return isObjectSchema(m) || m["type"] === "array";
        });
        if (withRows.length <= 1 || alt.length <= 1) {
            for (const a of alt) collectRows(root, a, prefix, out, depth + 1, variant);
            return;
        }
        const tag = discriminator(root, withRows);
        const labels: string[] = [];
        for (const a of withRows) {
            const m = resolveRef(root, a);
            const label = tag
                ? `with ${code(`${tag}: ${JSON.stringify(resolveRef(root, ((m["properties"] as Record<string, Json>)[tag])!)["const"])}`)}`
                : `in the ${typeText(root, m)} form`;
            labels.push(label);
            collectRows(root, a, prefix, out, depth + 1, label);
        }
        // Keys every member has need no "only with" note.
        for (const row of out.values()) {
            if (row.variants && labels.every((l) => row.variants!.has(l))) {
                for (const l of labels) row.variants.delete(l);
                if (row.variants.size === 0) delete row.variants;
            }
        }
        return;
    }
    if (s["type"] === "array" && s["items"] && typeof s["items"] === "object") {
        collectRows(root, s["items"] as Json, [...prefix, "[]"], out, depth + 1, variant);
        return;
    }
    if (!isObjectSchema(s)) return;
    const props = (s["properties"] ?? {}) as Record<string, Json>;
    const required = new Set((s["required"] ?? []) as string[]);
    for (const [key, propRaw] of Object.entries(props)) {
        const prop = resolveRef(root, propRaw);
        const segments = [...prefix, key];
        const id = segments.join("\u0000");
        const row: Row = {
            segments,
            type: typeText(root, prop),
            required: required.has(key) && prop["default"] === undefined,
            ...(prop["default"] !== undefined ? { default: prop["default"] } : {}),
            ...(typeof prop["description"] === "string" ? { description: prop["description"] as string } : {}),
            ...(variant !== undefined ? { variants: new Set([variant]) } : {}),
        };
        const existing = out.get(id);
        if (existing) {
            // The same key under another union member: widen the type, keep what is known.
            if (!existing.type.split(" \\| ").includes(row.type)) existing.type = `${existing.type} \\| ${row.type}`;
            existing.required = existing.required && row.required;
            existing.default ??= row.default;
            existing.description ??= row.description;
            if (variant !== undefined) (existing.variants ??= new Set()).add(variant);
        } else {
            out.set(id, row);
        }
        collectRows(root, prop, segments, out, depth + 1, variant);
    }
    const ap = s["additionalProperties"];
    if (s["properties"] === undefined && ap && typeof ap === "object") {
        const value = resolveRef(root, ap as Json);
        if (isObjectSchema(value) && value["properties"] !== undefined) collectRows(root, value, [...prefix, "<key>"], out, depth + 1, variant);
    }
}

// ---------------------------------------------------------------- Markdown

function cell(text: string): string {
    return text.replace(/\r?\n/g, " ").replace(/(?<!\\)\|/g, "\\|").trim();
}

function code(text: string): string {
    return "`" + text.replace(/`/g, "'") + "`";
}

function joinPath(prefix: string, segments: string[]): string {
    let out = prefix;
    for (const seg of segments) {
        if (seg === "[]") out += "[]";
        else if (seg === "<key>") out += out === "" ? "<key>" : ".<key>";
        else out += out === "" ? seg : `.${seg}`;
    }
    return out;
}

function defaultText(value: unknown): string {
    if (value === undefined) return "";
    const json = JSON.stringify(value);
    return code(json.length > 80 ? `${json.slice(0, 77)}…` : json);
}

function renderSection(section: Section, docs: TypeDocs): string {
    const root = toJsonSchema(section.schema, section.schemaName);
    const rows = new Map<string, Row>();
    collectRows(root, root, [], rows);
    // Keys the Args interface has but the schema does not (validated elsewhere by the component).
    const schemaTop = new Set([...rows.values()].filter((r) => r.segments.length === 1).map((r) => r.segments[0]!));
    for (const k of docs.interfaceKeys(section)) {
        if (schemaTop.has(k.key)) continue;
        rows.set(k.key, { segments: [k.key], type: k.type, required: !k.optional });
    }

    const lines: string[] = [];
    lines.push(`## ${section.title}`, "", `<a id="${section.id}"></a>`, "");
    lines.push(section.intro, "");
    const where: string[] = [`Schema: ${code(section.schemaName)}`];
    if (section.component) {
        where.push(
            `component: ${code(section.component)} (args ${code(section.argsInterface?.name ?? "")}; ` +
                `the same keys without the ${code(section.prefix + ".")} prefix when used directly from TypeScript)`,
        );
    }
    lines.push(where.join("; ") + ".", "");
    lines.push("| key | type | default | description |", "| --- | --- | --- | --- |");
    for (const row of rows.values()) {
        const key = joinPath(section.prefix, row.segments);
        const found = docs.lookup(section, row.segments);
        const managedNote = section.managed?.[row.segments.join(".")];
        let description = row.description ?? found.doc ?? "";
        const see = SEE_ALSO[joinPath("", row.segments)];
        if (section.prefix === "" && see) description = `${description} See [below](#${see}).`.trim();
        if (managedNote) description = `**Set by the stack program**: ${managedNote}; a value given here is ignored. ${description}`;
        const only = row.variants && row.variants.size > 0 ? [...row.variants].join(" or ") : undefined;
        const type = row.required && !managedNote ? `${row.type} (**required**${only ? ` ${only}` : ""})` : only ? `${row.type} (only ${only})` : row.type;
        const dflt = row.default !== undefined ? defaultText(row.default) : found.defaultTag ? cell(found.defaultTag) : "";
        lines.push(`| ${code(key)} | ${cell(type)} | ${cell(dflt)} | ${cell(description)} |`);
    }
    lines.push("");
    return lines.join("\n");
}

/** The whole Markdown document. Deterministic: same sources, same bytes. */
export function generateConfigReference(): string {
    const docs = createTypeDocs();
    const parts: string[] = [];
    parts.push(
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/config-reference.ts from the zod schemas and the Args TSDoc. Do not edit: run `npm run docs:config`. -->",
        "",
        "Every key of a stack's configuration (`stacks/Pulumi.<stack>.yaml`, namespace `gray-release`). Paths use " +
            "`a.b` for nested keys, `a[]` for the items of a list and `<key>` for the values of a map. Types and " +
            "defaults come from the zod schemas that validate the config; **required** marks keys without a default " +
            "that must be given. Where a key has no default listed, the description says what happens when it is " +
            "omitted (many defaults are resolved by the component rather than the schema).",
        "",
        "Sections:",
        "",
        ...SECTIONS.map((s) => `- [${s.title.replace(/`/g, "")}](#${s.id})`),
        "- [Secret keys](#secrets)",
        "",
    );
    for (const section of SECTIONS) parts.push(renderSection(section, docs));
    parts.push("## Secret keys", "", '<a id="secrets"></a>', "");
    parts.push("Read by the program directly, outside the validated object. Set them with `pulumi config set --secret`.", "");
    parts.push("| key | type | default | description |", "| --- | --- | --- | --- |");
    for (const s of SECRET_KEYS) parts.push(`| ${code(`gray-release:${s.key}`)} | string (secret) |  | ${cell(s.description)} |`);
    parts.push("");
    return parts.join("\n");
}

function main(argv: string[]): number {
    const text = generateConfigReference();
    const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, "utf8") : undefined;
    if (argv.includes("--check")) {
        if (current === text) return 0;
        console.error(`${path.relative(REPO_ROOT, OUTPUT)} is out of date: run \`npm run docs:config\``);
        return 1;
    }
    if (current !== text) {
        fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
        fs.writeFileSync(OUTPUT, text);
        console.log(`wrote ${path.relative(REPO_ROOT, OUTPUT)}`);
    } else {
        console.log(`${path.relative(REPO_ROOT, OUTPUT)} is up to date`);
    }
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
