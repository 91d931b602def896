export * from "./args";
export * from "./defaults";
export * from "./spec";
export * from "./canary-workload";
export * from "./replicas";
