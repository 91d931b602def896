// Public API of the CanaryRouting component.
export { CanaryRouting } from "./canary-routing";
export {
    allowlistSchema,
    canaryRoutingArgsSchema,
    connectionPoolSchema,
    headerMatchSchema,
    outlierDetectionSchema,
    resolveCanaryRoutingArgs,
    retrySchema,
    stickySessionSchema,
    subsetLabelsSchema,
    type AllowlistArgs,
    type CanaryRoutingArgs,
    type ConnectionPoolArgs,
    type HeaderMatch,
    type OutlierDetectionArgs,
    type ResolvedCanaryRoutingArgs,
    type RetryArgs,
    type StickySessionArgs,
    type SubsetLabelsArgs,
} from "./args";
export * as canaryRoutingDefaults from "./defaults";
export { CANARY_SUBSET, MESH_GATEWAY, STABLE_SUBSET } from "./defaults";
export { buildDestinationRule, buildDestinationRuleSpec, type DestinationRuleSpec } from "./destination-rule";
export { alternationRegex, escapeRe2, re2Problem } from "./re2";
export {
    buildCanaryRoutes,
    buildVirtualService,
    buildVirtualServiceSpec,
    buildWeightedRoute,
    ROUTE_NAMES,
    scopeOptInMatches,
    type HttpMatch,
    type HttpRoute,
    type VirtualServiceSpec,
} from "./virtual-service";
export { splitWeights, type SplitWeights } from "./weights";
