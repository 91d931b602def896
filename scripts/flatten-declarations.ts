/**
 * Rewrites the emitted declarations (dist/**\/*.d.ts) so that none names zod.
 *
 *   npx ts-node --transpile-only scripts/flatten-declarations.ts [dist]     # run by `npm run build` after tsc
 *
 * Why: zod 4's own .d.ts compile only with `esModuleInterop` or `skipLibCheck` (its locales `export =`), and
 * Pulumi's TypeScript templates set neither; a consumer that reached zod through our types got ~40 errors. The
 * schemas stay the single source of every config shape: this step writes down, with the compiler's own checker,
 * the types they infer.
 *  - a type that names zod (`z.input<typeof s>`, `Omit<z.output<typeof s>, "x"> & {...}`) becomes the plain type
 *    it stands for;
 *  - a schema value (`declare const s: z.ZodObject<...>`) becomes `Schema<Input, Output>` when exported
 *    (components/common/schema-types.ts) and is dropped when not (only the types above used it);
 *  - a generic over a schema (`S extends z.ZodType`, `z.output<S>`) uses `Schema`/`SchemaOutput`; `z.ZodError`
 *    becomes `SchemaError`.
 * Fails (exit 1, naming file and text) if a reference to zod is left.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const DIST = path.resolve(process.argv[2] ?? path.join(__dirname, "..", "dist"));
const SCHEMA_TYPES = path.join(DIST, "components", "common", "schema-types");
const ZOD_REFERENCE = /from "zod"|import\("zod"|\bz\.[A-Za-z$]/;

function declarationFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return declarationFiles(full);
        return e.name.endsWith(".d.ts") ? [full] : [];
    });
}

interface Edit {
    start: number;
    end: number;
    text: string;
}

const PRINT_FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias;

function flatten(program: ts.Program, file: ts.SourceFile): { text: string; helpers: Set<string> } {
    const checker = program.getTypeChecker();
    const edits: Edit[] = [];
    const helpers = new Set<string>();
    const zodAlias = zodNamespace(file);

    const namesZod = (node: ts.Node): boolean => {
        let found = false;
        const visit = (n: ts.Node): void => {
            if (found) return;
            if (ts.isIdentifier(n) && n.text === zodAlias && (ts.isQualifiedName(n.parent) || ts.isPropertyAccessExpression(n.parent))) {
                found = true;
                return;
            }
            ts.forEachChild(n, visit);
        };
        visit(node);
        return found;
    };

    /** `_zod.input`/`_zod.output` of a zod schema type, or undefined for a type that is not a schema. */
    const schemaTypes = (type: ts.Type): { input: ts.Type; output: ts.Type } | undefined => {
        const internals = type.getProperty("_zod");
        if (!internals) return undefined;
        const internalsType = checker.getTypeOfSymbol(internals);
        const input = internalsType.getProperty("input");
        const output = internalsType.getProperty("output");
        if (!input || !output) return undefined;
        return { input: checker.getTypeOfSymbol(input), output: checker.getTypeOfSymbol(output) };
    };

    const print = (type: ts.Type, at: ts.Node): string => checker.typeToString(type, at, PRINT_FLAGS);

    const hasTypeParameter = (node: ts.Node): boolean => {
        let found = false;
        const visit = (n: ts.Node): void => {
            if (found) return;
            if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName)) {
                const t = checker.getTypeAtLocation(n);
                if (t.flags & ts.TypeFlags.TypeParameter) found = true;
            }
            ts.forEachChild(n, visit);
        };
        visit(node);
        return found;
    };

    /** The zod-free text of a type node that names zod. */
    const rewriteType = (node: ts.TypeNode): string => {
        if (ts.isTypeReferenceNode(node) && ts.isQualifiedName(node.typeName) && ts.isIdentifier(node.typeName.left)) {
            const name = node.typeName.right.text;
            const arg = node.typeArguments?.[0];
            if (node.typeName.left.text === zodAlias && arg && hasTypeParameter(arg)) {
                if (name === "input") return helper("SchemaInput", `<${rewriteChild(arg)}>`);
                if (name === "output" || name === "infer") return helper("SchemaOutput", `<${rewriteChild(arg)}>`);
            }
            if (node.typeName.left.text === zodAlias && /^Zod(Type|TypeAny)$/.test(name) && !arg) return helper("Schema", "<unknown, unknown>");
            if (node.typeName.left.text === zodAlias && name === "ZodError") return helper("SchemaError", "");
        }
        if (hasTypeParameter(node)) {
            // Generic: rewrite the parts that name zod, keep the rest as written.
            return rewriteChildren(node);
        }
        const type = checker.getTypeFromTypeNode(node);
        const schema = schemaTypes(type);
        if (schema) return helper("Schema", `<${print(schema.input, node)}, ${print(schema.output, node)}>`);
        return print(type, node);
    };

    const rewriteChild = (node: ts.TypeNode): string => (namesZod(node) ? rewriteType(node) : node.getText(file));

    /** The node's text with each maximal zod-naming type node inside it rewritten. */
    const rewriteChildren = (node: ts.Node): string => {
        const inner: Edit[] = [];
        const visit = (n: ts.Node): void => {
            if (n !== node && ts.isTypeNode(n) && namesZod(n)) {
                inner.push({ start: n.getStart(file), end: n.getEnd(), text: rewriteType(n) });
                return;
            }
            ts.forEachChild(n, visit);
        };
        visit(node);
        return applyEdits(node.getText(file), inner, node.getStart(file));
    };

    const helper = (name: string, suffix: string): string => {
        helpers.add(name);
        return `${name}${suffix}`;
    };

    for (const statement of file.statements) {
        if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text === "zod") {
            edits.push({ start: statement.getFullStart(), end: statement.getEnd(), text: "" });
            continue;
        }
        if (!namesZod(statement)) continue;
        if (ts.isVariableStatement(statement)) {
            const exported = statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
            if (!exported) {
                // Internal schemas only fed the inferred types, which are written out now.
                edits.push({ start: statement.getFullStart(), end: statement.getEnd(), text: "" });
                continue;
            }
        }
        const visit = (n: ts.Node): void => {
            if (ts.isTypeNode(n) && namesZod(n)) {
                edits.push({ start: n.getStart(file), end: n.getEnd(), text: rewriteType(n) });
                return;
            }
            ts.forEachChild(n, visit);
        };
        visit(statement);
    }
    return { text: applyEdits(file.text, edits, 0), helpers };
}

function zodNamespace(file: ts.SourceFile): string {
    for (const s of file.statements) {
        if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || s.moduleSpecifier.text !== "zod") continue;
        const bindings = s.importClause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
            const z = bindings.elements.find((e) => (e.propertyName ?? e.name).text === "z");
            if (z) return z.name.text;
        }
        if (bindings && ts.isNamespaceImport(bindings)) return bindings.name.text;
    }
    return "z";
}

function applyEdits(text: string, edits: Edit[], offset: number): string {
    let out = text;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
        out = out.slice(0, e.start - offset) + e.text + out.slice(e.end - offset);
    }
    return out;
}

function main(): void {
    const files = declarationFiles(DIST);
    const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        skipLibCheck: true,
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        target: ts.ScriptTarget.ES2022,
    });
    const rewritten = new Map<string, string>();
    for (const fileName of files) {
        const file = program.getSourceFile(fileName);
        if (!file || !ZOD_REFERENCE.test(file.text)) continue;
        const { text, helpers } = flatten(program, file);
        let out = text;
        if (helpers.size > 0) {
            let rel = path.relative(path.dirname(fileName), SCHEMA_TYPES).split(path.sep).join("/");
            if (!rel.startsWith(".")) rel = `./${rel}`;
            out = `import type { ${[...helpers].sort().join(", ")} } from "${rel}";\n${out}`;
        }
        rewritten.set(fileName, out);
    }
    const left: string[] = [];
    for (const [fileName, text] of rewritten) {
        text.split("\n").forEach((line, i) => {
            if (ZOD_REFERENCE.test(line)) left.push(`${path.relative(DIST, fileName)}:${i + 1}: ${line.trim()}`);
        });
    }
    if (left.length > 0) {
        console.error(`flatten-declarations: zod is still named in ${left.length} line(s):\n${left.slice(0, 40).join("\n")}`);
        process.exit(1);
    }
    for (const [fileName, text] of rewritten) fs.writeFileSync(fileName, text);
    console.log(`flatten-declarations: ${rewritten.size} declaration files no longer name zod`);
}

main();
