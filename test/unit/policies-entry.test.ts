/**
 * The pack's entry point (policies/entry.js) is start-up time on every `pulumi preview`: it defers
 * @npmcli/arborist and caches esbuild's output. Each case starts a fresh Node process on a copy of the pack,
 * because both effects live in the module cache of that process.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

interface Probe {
    rules: number;
    arboristLoaded: boolean;
    esbuildLoaded: boolean;
    probe: string | null;
    arboristInstance: boolean;
    arboristLoadedAfterUse: boolean;
    sameClass: boolean;
    defaultImport: boolean;
}

const PROBE_SCRIPT = `
const path = require("path");
const loaded = (s) => Object.keys(require.cache).some((k) => k.includes(s));
const pack = require("./policies/entry.js");
const out = {
    rules: pack.allRules.length,
    arboristLoaded: loaded("@npmcli/arborist/lib/arborist"),
    esbuildLoaded: loaded(path.join("esbuild", "lib", "main.js")),
    probe: globalThis.__grayReleaseProbe ?? null,
};
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [path.dirname(require.resolve("@pulumi/policy/package.json"))] }));
const closureDir = path.join(pulumiDir, "runtime", "closure");
const arborist = require(require.resolve("@npmcli/arborist", { paths: [closureDir] }));
const instance = new arborist.Arborist({ path: process.cwd() });
out.arboristInstance = typeof instance.loadActual === "function";
out.arboristLoadedAfterUse = loaded("@npmcli/arborist/lib/arborist");
out.sameClass = instance instanceof require(require.resolve("@npmcli/arborist", { paths: [closureDir] })).Arborist;
// What TypeScript's default import of a CommonJS module would see through the stand-in.
out.defaultImport = arborist.default === require(require.resolve("@npmcli/arborist", { paths: [closureDir] }));
console.log(JSON.stringify(out));
`;

describe("policy pack entry point (policies/entry.js)", function () {
    this.timeout(60_000);
    let dir: string;
    let cacheDir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "gray-release-entry-"));
        cacheDir = path.join(dir, "transpile-cache");
        // The pack shares a few pure modules with the components (one duration grammar).
        for (const d of ["policies", "progression", "components"]) fs.cpSync(path.join(REPO, d), path.join(dir, d), { recursive: true });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const start = (): Probe => {
        const out = execFileSync(process.execPath, ["-e", PROBE_SCRIPT], {
            cwd: dir,
            env: { ...process.env, GRAY_RELEASE_POLICY_CACHE_DIR: cacheDir, GRAY_RELEASE_POLICY_SERVE: "0" },
            encoding: "utf8",
        });
        return JSON.parse(out.trim().split("\n").pop()!) as Probe;
    };

    it("loads the pack without @npmcli/arborist, and the stand-in loads the real module on first use", () => {
        const p = start();
        assert.ok(p.rules > 0);
        assert.equal(p.arboristLoaded, false, "@npmcli/arborist is loaded at start-up");
        assert.equal(p.arboristInstance, true, "the stand-in does not construct a working Arborist");
        assert.equal(p.arboristLoadedAfterUse, true);
        assert.equal(p.sameClass, true, "after first use, require() returns the real module");
        assert.equal(p.defaultImport, true, "a default import of the stand-in is the real module");
    });

    it("transpiles each pack file once: an unchanged pack starts without esbuild, an edited file is transpiled again", () => {
        fs.rmSync(cacheDir, { recursive: true, force: true });
        assert.equal(start().esbuildLoaded, true, "an empty cache needs esbuild");
        const entries = fs.readdirSync(cacheDir).length;
        assert.ok(entries >= 10, `only ${entries} cached files`);
        assert.equal(start().esbuildLoaded, false, "a warm cache still loaded esbuild");

        const mark = `edit-${process.pid}-${Date.now()}`;
        fs.appendFileSync(
            path.join(dir, "policies", "all.ts"),
            `\n(globalThis as { __grayReleaseProbe?: string }).__grayReleaseProbe = "${mark}";\n`,
        );
        const edited = start();
        assert.equal(edited.esbuildLoaded, true, "the edited file was served from the cache");
        assert.equal(edited.probe, mark);
        assert.equal(fs.readdirSync(cacheDir).length, entries + 1, "only the edited file is transpiled again");
        const again = start();
        assert.deepEqual([again.esbuildLoaded, again.probe], [false, mark]);
    });

    it("starts (transpiling every time) when the cache directory cannot be written", () => {
        fs.rmSync(cacheDir, { recursive: true, force: true });
        fs.writeFileSync(cacheDir, "a file where the cache directory should be");
        try {
            const p = start();
            assert.ok(p.rules > 0);
            assert.equal(p.esbuildLoaded, true);
        } finally {
            fs.rmSync(cacheDir, { force: true });
        }
    });
});
