// Public API of the Thanos component: the component, its argument types, and the pure builders policies reuse.
export * from "./args";
export * from "./config";
export * from "./defaults";
export { durationMs, isDuration, retentionMs } from "./duration";
export { ThanosObjectStorage, type StorageType, type ThanosObjectStorageArgs } from "./storage";
export { IRSA_ROLE_ANNOTATION, STORAGE_TYPE_LABEL, Thanos, validateThanosArgs } from "./thanos";
