// Public API of the gray-release components. Each concern lives in its own folder and is re-exported here.

export * from "./canary-routing";
export * from "./canary-workload";
export * from "./common";
export * from "./gray-namespace";
export * from "./otel-collector";
export * from "./slo-rules";
export * from "./thanos";
