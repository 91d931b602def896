/**
 * Pure builders of the Kubernetes objects of a CanaryWorkload, so their shape is testable without Pulumi.
 */
import type * as k8s from "@pulumi/kubernetes";
import { parseArgs } from "../common/validation";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../common/security";
import { type CanaryWorkloadArgs, canaryWorkloadArgsSchema } from "./args";
import { canaryWorkloadDefaults as D } from "./defaults";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;

/** Args with every default applied. */
export type ResolvedCanaryWorkloadArgs = Required<Omit<CanaryWorkloadArgs, "resources" | "env">> & {
    resources: Required<NonNullable<CanaryWorkloadArgs["resources"]>>;
    env: Record<string, string>;
};

export function resolveCanaryWorkloadArgs(args: CanaryWorkloadArgs, subject: string): ResolvedCanaryWorkloadArgs {
    const a = parseArgs(subject, canaryWorkloadArgsSchema, args);
    return {
        ...a,
        versionLabel: a.versionLabel ?? D.versionLabel,
        stableReplicas: a.stableReplicas ?? D.stableReplicas,
        canaryReplicas: a.canaryReplicas ?? D.canaryReplicas,
        containerPort: a.containerPort ?? D.containerPort,
        servicePort: a.servicePort ?? D.servicePort,
        healthPath: a.healthPath ?? D.healthPath,
        resources: { ...D.resources, ...a.resources },
        env: a.env ?? {},
    };
}

export type Track = "stable" | "canary";

/** Labels shared by both tracks: the Service selects on these, so it reaches stable and canary pods alike. */
export function serviceSelector(a: ResolvedCanaryWorkloadArgs): Record<string, string> {
    return { app: a.service };
}

export function podLabels(a: ResolvedCanaryWorkloadArgs, track: Track): Record<string, string> {
    return {
        ...serviceSelector(a),
        [a.versionLabel]: track === "stable" ? a.stableVersion : a.canaryVersion,
        "gray-release.io/track": track,
    };
}

/**
 * The container environment: the caller's variables plus the OpenTelemetry resource attributes that tell the
 * collectors which version and track a span comes from (tail sampling keeps every `deployment.track=canary`
 * trace; span metrics are split by `service.version`).
 */
export function containerEnv(a: ResolvedCanaryWorkloadArgs, track: Track): Record<string, string> {
    const version = track === "stable" ? a.stableVersion : a.canaryVersion;
    return {
        ...a.env,
        SERVICE_VERSION: version,
        OTEL_SERVICE_NAME: a.service,
        OTEL_RESOURCE_ATTRIBUTES: `service.version=${version},deployment.track=${track}`,
    };
}

export function deploymentSpec(a: ResolvedCanaryWorkloadArgs, track: Track): DeploymentSpec {
    const labels = podLabels(a, track);
    const probe = { httpGet: { path: a.healthPath, port: "http" }, periodSeconds: 10, failureThreshold: 3 };
    return {
        replicas: track === "stable" ? a.stableReplicas : a.canaryReplicas,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
            metadata: { labels, annotations: { "sidecar.istio.io/inject": "true" } },
            spec: {
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext(),
                containers: [
                    {
                        name: a.service,
                        image: track === "stable" ? a.stableImage : a.canaryImage,
                        ports: [{ name: "http", containerPort: a.containerPort }],
                        env: Object.entries(containerEnv(a, track)).map(([name, value]) => ({ name, value })),
                        readinessProbe: probe,
                        livenessProbe: { ...probe, initialDelaySeconds: 10 },
                        resources: {
                            requests: { cpu: a.resources.cpuRequest, memory: a.resources.memoryRequest },
                            limits: { cpu: a.resources.cpuLimit, memory: a.resources.memoryLimit },
                        },
                        securityContext: restrictedContainerSecurityContext(),
                        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                    },
                ],
                volumes: [{ name: "tmp", emptyDir: { sizeLimit: D.tmpSizeLimit } }],
            },
        },
    };
}

export function serviceSpec(a: ResolvedCanaryWorkloadArgs): ServiceSpec {
    return {
        selector: serviceSelector(a),
        ports: [{ name: "http", port: a.servicePort, targetPort: "http", appProtocol: "http" }],
    };
}
