// Entry point the engine loads (package.json "main"). @pulumi/pulumi's run-policy-pack has registered ts-node,
// which builds a full TypeScript program of the pack on load: about two seconds of a 2-core machine on every
// `pulumi preview`. esbuild transpiles the same files in milliseconds, so the pack's .ts files are loaded through
// it instead, with Node's own module compilation (ts-node's hooks, also on .js, are not involved). The pack's
// types are checked by `tsc --noEmit` in the test suite, not here.
"use strict";
const fs = require("node:fs");
const esbuild = require("esbuild");

require.extensions[".ts"] = (module, filename) => {
    const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), {
        loader: "ts",
        format: "cjs",
        target: "node20",
        sourcefile: filename,
        sourcemap: "inline",
    });
    module._compile(code, filename);
};

module.exports = require("./index.ts");
