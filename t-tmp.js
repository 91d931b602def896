const t0 = process.hrtime.bigint(); const ms = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0);
require("@pulumi/pulumi/cmd/run-policy-pack/run");
require("typescript"); require("ts-node");
console.log("pre", ms());
const pack = require("/work/main/policies/entry.js");
console.log("pack", ms(), Object.keys(require.cache).some(k => k.includes("@npmcli/arborist/lib/arborist")) ? "arborist LOADED" : "arborist deferred");
const cp = require("@pulumi/pulumi/runtime/closure/codePaths");
