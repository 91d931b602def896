import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const stack = pulumi.getStack();
// Absolute, because the provider plugin's working directory is the engine's choice, not the project root.
const renderDir = path.resolve(__dirname, "..", "rendered", stack);
const provider = new k8s.Provider("render", { renderYamlToDirectory: renderDir });
const ns = new k8s.core.v1.Namespace("probe", { metadata: { name: "probe" } }, { provider });
export const namespace = ns.metadata.name;
