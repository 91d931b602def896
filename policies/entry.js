// Entry point the engine loads (package.json "main"). Everything here is start-up time of the pack's Node process,
// and the engine starts the program only once the pack is up, so every millisecond lands on `pulumi preview`.
//
// 1. The pack's .ts files are transpiled by esbuild, not type-checked by the ts-node that @pulumi/pulumi's
//    run-policy-pack registers (a full TypeScript program of the pack: about two seconds of a 2-core machine).
//    The output is cached by content hash under node_modules/.cache (or $GRAY_RELEASE_POLICY_CACHE_DIR), so an
//    unchanged pack starts without esbuild.
//    The pack's types are checked by `tsc --noEmit` in the test suite, not here.
// 2. @pulumi/policy loads all of @pulumi/pulumi, whose closure serializer requires @npmcli/arborist eagerly.
//    A policy pack never serializes a closure, so that module is loaded on first use instead. Measured on a
//    2-core machine (2026-12, warm transpile cache, median of 11-15 interleaved runs): loading the pack takes
//    700 ms of CPU with the stand-in and 1,000 ms without (wall time 0.95 s against 1.47 s at load 4; 1.4 s
//    against 2.2 s at load 8), so the stand-in saves about 300 ms of CPU and half a second of every preview.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

deferModuleUntilUsed("@npmcli/arborist", closureSerializerDir());
installTypeScriptLoader();

module.exports = require("./index.ts");

/** Where @pulumi/policy's @pulumi/pulumi resolves its own dependencies from, or undefined. */
function closureSerializerDir() {
    try {
        const policyDir = path.dirname(require.resolve("@pulumi/policy/package.json"));
        const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [policyDir] }));
        return path.join(pulumiDir, "runtime", "closure");
    } catch {
        return undefined;
    }
}

/**
 * Puts a stand-in for module `request` (as resolved from `fromDir`) into the require cache; the real module is
 * loaded the first time the stand-in is read, called or constructed. `__esModule` answers true without loading,
 * so TypeScript's `__importStar` keeps the stand-in instead of copying its keys; `default` then answers what
 * `__importDefault` would have made of the real module.
 */
function deferModuleUntilUsed(request, fromDir) {
    if (!fromDir) return;
    let file;
    try {
        file = require.resolve(request, { paths: [fromDir] });
    } catch {
        return;
    }
    if (require.cache[file]) return;
    let real;
    const load = () => {
        if (real === undefined) {
            if (require.cache[file] && require.cache[file].exports === standIn) delete require.cache[file];
            real = require(file);
        }
        return real;
    };
    const standIn = new Proxy(function deferred() {}, {
        get: (_t, prop) => {
            if (prop === "__esModule") return true;
            const m = load();
            return prop === "default" && !m?.__esModule ? m : Reflect.get(m, prop);
        },
        has: (_t, prop) => prop in load(),
        apply: (_t, self, args) => Reflect.apply(load(), self, args),
        construct: (_t, args, newTarget) => Reflect.construct(load(), args, newTarget === standIn ? load() : newTarget),
    });
    const m = new (require("node:module"))(file, module);
    m.filename = file;
    m.paths = [];
    m.exports = standIn;
    m.loaded = true;
    require.cache[file] = m;
}

function installTypeScriptLoader() {
    const options = { loader: "ts", format: "cjs", target: "node20", sourcemap: "inline" };
    let esbuild;
    let cacheDir;
    let salt;
    try {
        const esbuildDir = path.dirname(require.resolve("esbuild/package.json"));
        salt = `${require("esbuild/package.json").version}\0${JSON.stringify(options)}`;
        cacheDir = process.env.GRAY_RELEASE_POLICY_CACHE_DIR || path.join(path.dirname(esbuildDir), ".cache", "gray-release-policies");
    } catch {
        cacheDir = undefined;
    }
    require.extensions[".ts"] = (mod, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        // Keyed by the path inside the pack, not the absolute one, so copies of the pack share their entries.
        const sourcefile = path.relative(__dirname, filename);
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
            code = esbuild.transformSync(source, { ...options, sourcefile }).code;
            if (cached) writeQuietly(cached, code);
        }
        mod._compile(code, filename);
    };
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
