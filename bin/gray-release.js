#!/usr/bin/env node
// The `gray-release` command. Runs the compiled CLI (dist/release/cli.js) of an installed package, or the TypeScript
// source through ts-node in a checkout of the repository.
//
// The CLI runs in its own process group: a Ctrl-C in the terminal reaches only this launcher, which hands it to the
// driver. The `pulumi` engine the driver runs never sees the terminal's signal, so a first Ctrl-C lets the running
// update finish and only a second one cancels it (through the driver, gracefully).
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const compiled = path.join(root, "dist", "release", "cli.js");
const source = path.join(root, "release", "cli.ts");
const args = process.argv.slice(2);
let command;
if (fs.existsSync(source)) {
    command = [require.resolve("ts-node/dist/bin.js", { paths: [root] }), "--transpile-only", source, ...args];
} else if (fs.existsSync(compiled)) {
    command = [compiled, ...args];
} else {
    process.stderr.write(`gray-release: neither ${compiled} nor ${source} exists (run npm run build)\n`);
    process.exit(1);
}
const child = spawn(process.execPath, command, { stdio: "inherit", detached: process.platform !== "win32" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
