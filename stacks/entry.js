// Entry point of the Pulumi program (Pulumi.yaml `main`, with `typescript: false`): loads stacks/index.ts through a
// transpile-only loader instead of the ts-node that Pulumi's nodejs runtime registers for `typescript: true`.
//
// ts-node type-checks the whole program (the program's files and every .d.ts they reach, @pulumi/kubernetes'
// included) on every `pulumi up` and `pulumi preview`: most of an update's time on a 2-core machine, and it does so
// with Pulumi's compiler defaults (target ES2020), not this repository's tsconfig. Types are checked by
// `tsc --noEmit -p tsconfig.json` in `npm test`; here each .ts file is only transpiled, by esbuild, and the output
// cached by content hash under node_modules/.cache/gray-release-program (or $GRAY_RELEASE_PROGRAM_CACHE_DIR), so an
// unchanged program starts without esbuild. The same loader as policies/entry.js (the pack is its own package).
// bench/update-time.ts measures the difference side by side.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const OPTIONS = { loader: "ts", format: "cjs", target: "node20", sourcemap: "inline" };

installTypeScriptLoader();

module.exports = require("./index.ts");

function installTypeScriptLoader() {
    let esbuild;
    let cacheDir;
    let salt;
    try {
        const esbuildDir = path.dirname(require.resolve("esbuild/package.json"));
        salt = `${require("esbuild/package.json").version}\0${JSON.stringify(OPTIONS)}`;
        cacheDir = process.env.GRAY_RELEASE_PROGRAM_CACHE_DIR || path.join(path.dirname(esbuildDir), ".cache", "gray-release-program");
    } catch {
        cacheDir = undefined;
    }
    /** Transpiled code by file name, for stack traces (source-map-support reads the .ts file, not this code). */
    const compiled = new Map();
    mapStackTracesThrough(compiled);
    require.extensions[".ts"] = (mod, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        // Keyed by the path inside the project, not the absolute one, so copies of the project share their entries.
        const sourcefile = path.relative(ROOT, filename);
        const key = cacheDir && crypto.createHash("sha256").update(`${salt}\0${sourcefile}\0${source}`).digest("hex");
        const cached = key && path.join(cacheDir, `${key}.js`);
        let code;
        try {
            if (cached) code = fs.readFileSync(cached, "utf8");
        } catch {
            code = undefined;
        }
        if (code === undefined) {
            esbuild ??= require("esbuild");
            code = esbuild.transformSync(source, { ...OPTIONS, sourcefile: path.basename(filename) }).code;
            if (cached) writeQuietly(cached, code);
        }
        compiled.set(filename, code);
        mod._compile(code, filename);
    };
}

/**
 * @pulumi/pulumi's run command installs source-map-support, which looks for a file's source map in the file on
 * disk: for a .ts file that is the TypeScript source, without a map. Hand it the inline map of the transpiled code.
 */
function mapStackTracesThrough(compiled) {
    let sms;
    try {
        sms = require("source-map-support");
    } catch {
        return;
    }
    const marker = "//# sourceMappingURL=data:application/json;base64,";
    sms.install({
        retrieveSourceMap: (source) => {
            const code = compiled.get(source);
            const at = code === undefined ? -1 : code.lastIndexOf(marker);
            if (at === -1) return null;
            return { url: source, map: Buffer.from(code.slice(at + marker.length).trim(), "base64").toString("utf8") };
        },
    });
}

/** Writes atomically; a read-only or full disk only costs the next start its cache hit. */
function writeQuietly(file, text) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, file);
    } catch {
        try {
            fs.rmSync(tmp, { force: true });
        } catch {
            // nothing left to clean
        }
    }
}
