/** Every default of CanaryWorkload, in one place. */
export const canaryWorkloadDefaults = {
    versionLabel: "version",
    stableReplicas: 2,
    canaryReplicas: 1,
    minCanaryReplicas: 1,
    maxCanaryReplicas: 1000,
    containerPort: 8080,
    servicePort: 80,
    healthPath: "/healthz",
    resources: { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "500m", memoryLimit: "256Mi" },
    /** Writable scratch space: the root filesystem is read-only. */
    tmpSizeLimit: "64Mi",
} as const;
