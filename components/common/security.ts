/**
 * Security defaults shared by every workload the package creates: non-root, read-only root filesystem, no
 * privilege escalation, all capabilities dropped, RuntimeDefault seccomp. They satisfy the Pod Security
 * Standards `restricted` profile, which the gray namespaces enforce.
 */
import type * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/** A non-root UID/GID outside the range of system accounts. */
export const NON_ROOT_UID = 65532;

export function restrictedPodSecurityContext(uid: number = NON_ROOT_UID): PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function restrictedContainerSecurityContext(): SecurityContext {
    return {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Requests and limits for a container; the limits are what the namespace quota counts. */
export interface ResourceSpec {
    /** CPU request, e.g. `100m`. */
    cpuRequest: string;
    /** Memory request, e.g. `128Mi`. */
    memoryRequest: string;
    /** CPU limit, e.g. `500m`. */
    cpuLimit: string;
    /** Memory limit, e.g. `256Mi`. */
    memoryLimit: string;
}

export function resources(spec: ResourceSpec): ResourceRequirements {
    return {
        requests: { cpu: spec.cpuRequest, memory: spec.memoryRequest },
        limits: { cpu: spec.cpuLimit, memory: spec.memoryLimit },
    };
}
