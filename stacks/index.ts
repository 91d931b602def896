import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const stack = pulumi.getStack();
const provider = new k8s.Provider("render", { renderYamlToDirectory: `rendered/${stack}` });
const ns = new k8s.core.v1.Namespace("probe", { metadata: { name: "probe" } }, { provider });
export const namespace = ns.metadata.name;
