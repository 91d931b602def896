// Public API of the GrayNamespace component.
export { GrayNamespace } from "./gray-namespace";
export {
    grayNamespaceArgsSchema,
    resolveGrayNamespaceArgs,
    type CpuMemory,
    type GrayConfigArgs,
    type GrayNamespaceArgs,
    type ResolvedGrayNamespaceArgs,
    type SharedService,
} from "./args";
export * as grayNamespaceDefaults from "./defaults";
export { buildNamespaceLabels, claimsEnvironment, isReservedLabel, LABEL_KEYS, type NamespaceLabelInput } from "./labels";
export {
    deepMerge,
    flattenConfig,
    GRAY_SWITCH_KEY,
    layerConfig,
    type ConfigTree,
    type LayeredConfig,
    type LayeredConfigInput,
} from "./layered-config";
export { buildNetworkPolicies, namespacePeer, type NamedNetworkPolicy, type NetworkPolicyInput } from "./network-policies";
export { buildPeerAuthentication } from "./peer-authentication";
export { buildLimitRangeSpec, buildResourceQuotaSpec, type CpuMemoryQuantities } from "./quota";
