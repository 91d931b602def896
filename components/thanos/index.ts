// Public API of the Thanos component: the component, its argument types, and the pure builders policies reuse.
export * from "./args";
export * from "./config";
export * from "./defaults";
export { durationMs, isDuration } from "../common/duration";
export { ThanosObjectStorage, type StorageType, type ThanosObjectStorageArgs } from "./storage";
export { IRSA_ROLE_ANNOTATION, STORAGE_TYPE_LABEL, Thanos, validateThanosArgs } from "./thanos";
export {
    bucketUsers,
    buildThanosObjects,
    labelsOf,
    rulerReplicaLabel,
    ruleFilesChecksum,
    selectorOf,
    thanosNames,
    thanosUrls,
    type DeploymentValues,
    type ThanosObject,
} from "./manifests";
