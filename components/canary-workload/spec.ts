/**
 * Pure builders of the Kubernetes objects of a CanaryWorkload, so their shape is testable without Pulumi.
 */
import type * as k8s from "@pulumi/kubernetes";
import { statsHistogramBucketsAnnotations } from "../common/latency-buckets";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../common/security";
import { TRACK_LABEL, type Track } from "../common/track";
import type { ResolvedCanaryWorkloadArgs } from "./args";
import { canaryWorkloadDefaults as D } from "./defaults";

type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;
type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;

export type { Track };

/** Labels shared by both tracks of `service`: its Service selects on these, so it reaches stable and canary pods alike. */
export function servicePodLabels(service: string): Record<string, string> {
    return { app: service };
}

/** The Service's selector: the labels both tracks share. */
export function serviceSelector(a: ResolvedCanaryWorkloadArgs): Record<string, string> {
    return servicePodLabels(a.service);
}

/**
 * The Deployment's selector: the service and the track, never the version. A selector is immutable, so one that
 * named the version would make every new canary and every promotion replace the Deployment (all its pods gone at
 * once); on the track, a new version is a rolling update.
 */
export function deploymentSelector(a: ResolvedCanaryWorkloadArgs, track: Track): Record<string, string> {
    return { ...serviceSelector(a), [TRACK_LABEL]: track };
}

/** Pod labels: the selector's, plus the version (what Istio's metrics report as `destination_version`). */
export function podLabels(a: ResolvedCanaryWorkloadArgs, track: Track): Record<string, string> {
    return {
        ...deploymentSelector(a, track),
        [a.versionLabel]: track === "stable" ? a.stableVersionLabel : a.canaryVersionLabel,
    };
}

/**
 * The container environment: the caller's variables plus the OpenTelemetry resource attributes that tell the
 * collectors which version and track a span comes from (tail sampling keeps every `deployment.track=canary`
 * trace; span metrics are split by `service.version`).
 */
export function containerEnv(a: ResolvedCanaryWorkloadArgs, track: Track): Record<string, string> {
    const version = track === "stable" ? a.stableVersionLabel : a.canaryVersionLabel;
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
        selector: { matchLabels: deploymentSelector(a, track) },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
            metadata: { labels, annotations: { "sidecar.istio.io/inject": "true", ...statsHistogramBucketsAnnotations(a.latencyBuckets) } },
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
