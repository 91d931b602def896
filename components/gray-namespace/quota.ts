/** ResourceQuota and LimitRange specs of a gray namespace. */
import type * as k8s from "@pulumi/kubernetes";

/** CPU and memory, both set. */
export interface CpuMemoryQuantities {
    /** CPU quantity. */
    cpu: string;
    /** Memory quantity. */
    memory: string;
}

/** ResourceQuota spec from hard limits. */
export function buildResourceQuotaSpec(hard: Record<string, string>): k8s.types.input.core.v1.ResourceQuotaSpec {
    return { hard: { ...hard } };
}

/**
 * LimitRange spec for containers. The defaults matter beyond hygiene: once the quota counts `limits.cpu`,
 * the API server rejects pods without limits, and the LimitRange is what fills them in.
 */
export function buildLimitRangeSpec(limits: {
    defaultRequest: CpuMemoryQuantities;
    default: CpuMemoryQuantities;
    max: CpuMemoryQuantities;
}): k8s.types.input.core.v1.LimitRangeSpec {
    return {
        limits: [
            {
                type: "Container",
                defaultRequest: { ...limits.defaultRequest },
                default: { ...limits.default },
                max: { ...limits.max },
            },
        ],
    };
}
