export * from "./args";
export * from "./canary-workload";
export * from "./defaults";
export * from "./replicas";
export * from "./rollout-await";
export * from "./spec";
