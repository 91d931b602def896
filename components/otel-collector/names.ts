/**
 * Names, labels and DNS names of the collector objects. Plain mode names its objects exactly as the
 * OpenTelemetry Operator names those it creates for an `OpenTelemetryCollector` called `<base>-agent` /
 * `<base>-gateway` (`<cr>-collector`, `<cr>-collector-headless`), so the rendered collector configuration,
 * which refers to those Services, is identical in both modes.
 */
export type Tier = "agent" | "gateway";

export interface TierNames {
    /** Name of the OpenTelemetryCollector resource (operator mode) and the base of every other name. */
    instance: string;
    /** DaemonSet / Deployment name, and the ConfigMap name in plain mode. */
    workload: string;
    /** ClusterIP Service of the tier, as the operator names it. */
    service: string;
    /** Headless Service, one A record per ready pod. */
    headlessService: string;
    /** ServiceAccount the pods run as. */
    serviceAccount: string;
}

export function tierNames(baseName: string, tier: Tier): TierNames {
    const instance = `${baseName}-${tier}`;
    const workload = `${instance}-collector`;
    return {
        instance,
        workload,
        service: workload,
        headlessService: `${workload}-headless`,
        serviceAccount: workload,
    };
}

/**
 * Node-local Service the workloads send to (internalTrafficPolicy: Local). It is ours in both modes, so it must
 * not collide with the operator's `<base>-agent-collector`.
 */
export function agentNodeLocalServiceName(baseName: string): string {
    return `${baseName}-agent`;
}

export function clusterRoleName(namespace: string, baseName: string): string {
    // ClusterRoles are cluster-wide: the namespace keeps two installations from fighting over one role.
    return `${namespace}-${baseName}-k8sattributes`;
}

export function serviceDns(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.cluster.local`;
}

/**
 * Labels the operator puts on a collector's pods. Plain-mode pods carry the same ones, so one selector finds
 * the pods in either mode.
 */
export function selectorLabels(namespace: string, names: TierNames): Record<string, string> {
    return {
        "app.kubernetes.io/component": "opentelemetry-collector",
        "app.kubernetes.io/instance": `${namespace}.${names.instance}`,
    };
}

/** Labels of the agent pods, from the only two args they depend on. */
export function agentPodSelector(args: { namespace: string; baseName: string }): Record<string, string> {
    return selectorLabels(args.namespace, tierNames(args.baseName, "agent"));
}

export function podLabels(namespace: string, names: TierNames): Record<string, string> {
    return {
        ...selectorLabels(namespace, names),
        "app.kubernetes.io/name": names.workload,
        "app.kubernetes.io/part-of": "opentelemetry",
    };
}
