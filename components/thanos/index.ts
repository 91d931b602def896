// Public API of the Thanos component: the component, its argument types, and the pure builders policies reuse.

export { durationMs, isDuration } from "../common/duration";
export * from "./args";
export * from "./config";
export * from "./defaults";
export {
    bucketUsers,
    buildThanosObjects,
    type DeploymentValues,
    labelsOf,
    objstoreConfigRef,
    ruleFilesChecksum,
    rulerReplicaLabel,
    selectorOf,
    type ThanosObject,
    thanosNames,
    thanosUrls,
} from "./manifests";
export { type StorageType, ThanosObjectStorage, type ThanosObjectStorageArgs } from "./storage";
export { IRSA_ROLE_ANNOTATION, parseThanosArgs, STORAGE_TYPE_LABEL, Thanos, validateThanosArgs } from "./thanos";
