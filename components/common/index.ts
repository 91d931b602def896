export * from "./validation";
export * from "./security";
export * from "./duration";
export * from "./quantity";
export * from "./image";
export * from "./network-peer";
export * from "./track";
export * from "./k8s-names";
