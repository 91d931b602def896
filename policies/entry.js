// Entry point the engine loads (package.json "main"). @pulumi/pulumi's run-policy-pack registers ts-node with
// full type checking, which costs about two seconds on every `pulumi preview`; the pack's types are checked by
// `tsc --noEmit` in the test suite instead, so here the TypeScript is only transpiled. A transpile-only ts-node
// registered last handles every .ts file the pack loads.
"use strict";
require("ts-node").register({ transpileOnly: true, project: require("node:path").join(__dirname, "..", "tsconfig.json") });
module.exports = require("./index.ts");
