// Public API of the GrayNamespace component.

export {
    type CpuMemory,
    type GrayConfigArgs,
    type GrayNamespaceArgs,
    grayNamespaceArgsSchema,
    grayNamespaceInputFields,
    type PlainGrayNamespaceArgs,
    parseGrayNamespaceArgs,
    type ResolvedGrayNamespaceArgs,
    resolveGrayNamespaceArgs,
    type SharedService,
} from "./args";
export * as grayNamespaceDefaults from "./defaults";
export { GrayNamespace } from "./gray-namespace";
export { buildNamespaceLabels, claimsEnvironment, isReservedLabel, LABEL_KEYS, type NamespaceLabelInput } from "./labels";
export {
    type ConfigTree,
    deepMerge,
    flattenConfig,
    GRAY_SWITCH_KEY,
    type LayeredConfig,
    type LayeredConfigInput,
    layerConfig,
} from "./layered-config";
export { buildNetworkPolicies, type NamedNetworkPolicy, type NetworkPolicyInput, namespacePeer } from "./network-policies";
export { buildPeerAuthentication } from "./peer-authentication";
export { buildLimitRangeSpec, buildResourceQuotaSpec, type CpuMemoryQuantities } from "./quota";
