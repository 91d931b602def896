export * from "./duration";
export * from "./image";
export * from "./k8s-names";
export * from "./network-peer";
export * from "./quantity";
export * from "./security";
export * from "./track";
export * from "./validation";
