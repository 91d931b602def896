// Public API of the CanaryRouting component.

export {
    type AllowlistArgs,
    allowlistSchema,
    type CanaryRoutingArgs,
    type ConnectionPoolArgs,
    canaryRoutingArgsSchema,
    canaryRoutingInputFields,
    connectionPoolSchema,
    type HeaderMatch,
    headerMatchSchema,
    type OutlierDetectionArgs,
    outlierDetectionSchema,
    type PlainCanaryRoutingArgs,
    type ResolvedCanaryRoutingArgs,
    type RetryArgs,
    resolveCanaryRoutingArgs,
    retrySchema,
    type StickySessionArgs,
    type SubsetLabelsArgs,
    stickySessionSchema,
    subsetLabelsSchema,
} from "./args";
export { CanaryRouting } from "./canary-routing";
export * as canaryRoutingDefaults from "./defaults";
export { CANARY_SUBSET, MESH_GATEWAY, STABLE_SUBSET } from "./defaults";
export { buildDestinationRule, buildDestinationRuleSpec, type DestinationRuleSpec } from "./destination-rule";
export {
    canaryServesLane,
    type LaneDefinition,
    laneDefinitionSchema,
    laneHeaders,
    laneMatchHeaders,
    laneRouteName,
    type ServiceLanes,
    type ServiceLanesArgs,
    serviceLanesSchema,
} from "./lanes";
export { alternationRegex, escapeRe2, re2Problem } from "./re2";
export {
    buildCanaryRoutes,
    buildVirtualService,
    buildVirtualServiceSpec,
    buildWeightedRoute,
    type HttpMatch,
    type HttpRoute,
    ROUTE_NAMES,
    scopeOptInMatches,
    type VirtualServiceSpec,
} from "./virtual-service";
export { type SplitWeights, splitWeights } from "./weights";
