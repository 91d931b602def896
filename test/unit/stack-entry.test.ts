/**
 * The program's entry point (stacks/entry.js, Pulumi.yaml `main` with `typescript: false`) is start-up time of every
 * `pulumi up` and `pulumi preview`: it transpiles with esbuild, cached, and never loads the TypeScript compiler.
 * Each case starts a fresh Node process on a copy of the entry with a stand-in stacks/index.ts.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

const REPO = path.resolve(__dirname, "..", "..");

// The error is thrown on line 7 of the source; the type-only lines above it vanish from esbuild's output.
const STAND_IN = `import { helper } from "./helper";

interface Shape {
    n: number;
}
const shape: Shape = { n: helper() };
export = (() => { throw new Error(\`stand-in \${shape.n}\`); })();
`;

const PROBE = `
require("source-map-support/register");
const loaded = (s) => Object.keys(require.cache).some((k) => k.includes(s));
let stack = "";
try { require("./stacks/entry.js"); } catch (e) { stack = e.stack; }
console.log(JSON.stringify({ stack, esbuild: loaded("esbuild/lib/main.js"), typescript: loaded("typescript/lib/typescript.js") }));
`;

describe("program entry point (stacks/entry.js)", function () {
    this.timeout(60_000);
    let dir: string;
    let cacheDir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-stack-entry-"));
        cacheDir = path.join(dir, "transpile-cache");
        fs.mkdirSync(path.join(dir, "stacks"));
        fs.copyFileSync(path.join(REPO, "stacks", "entry.js"), path.join(dir, "stacks", "entry.js"));
        fs.writeFileSync(path.join(dir, "stacks", "index.ts"), STAND_IN);
        fs.writeFileSync(path.join(dir, "stacks", "helper.ts"), "export const helper = (): number => 42;\n");
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (): { stack: string; esbuild: boolean; typescript: boolean } =>
        JSON.parse(
            execFileSync(process.execPath, ["-e", PROBE], {
                cwd: dir,
                env: { ...process.env, GRAY_RELEASE_PROGRAM_CACHE_DIR: cacheDir },
                encoding: "utf8",
            }),
        );

    it("Pulumi.yaml runs it, without Pulumi's ts-node", () => {
        const project = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8"));
        assert.equal(project.main, "stacks/entry.js");
        assert.equal(project.runtime?.options?.typescript, false);
    });

    it("transpiles with esbuild, never the TypeScript compiler, and stack traces name the .ts lines", () => {
        const first = run();
        assert.equal(first.esbuild, true);
        assert.equal(first.typescript, false);
        assert.match(first.stack, /^Error: stand-in 42\n/);
        assert.match(first.stack, new RegExp(`${path.join("stacks", "index.ts").replace(/\./g, "\\.")}:7:`), first.stack);
        assert.equal(fs.readdirSync(cacheDir).length, 2, "one cache entry per file");
    });

    it("an unchanged program starts from the cache, without esbuild", () => {
        const again = run();
        assert.equal(again.esbuild, false);
        assert.equal(again.typescript, false);
        assert.match(again.stack, /^Error: stand-in 42\n/);
    });
});
