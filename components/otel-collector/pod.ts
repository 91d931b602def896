/** Pod and container pieces both modes and both tiers share. */
import type * as k8s from "@pulumi/kubernetes";
import { HEALTH_CHECK_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "./defaults";

type ContainerPort = k8s.types.input.core.v1.ContainerPort;
type ServicePort = k8s.types.input.core.v1.ServicePort;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export const CONTAINER_NAME = "otel-collector";
export const CONFIG_DIR = "/conf";
export const CONFIG_FILE = "config.yaml";

/**
 * Keeps the collectors out of the Istio mesh they observe: their own traffic would otherwise be traced and
 * exported back to them, and the agent's per-pod-IP connections to the gateway would depend on the mesh's
 * mTLS mode.
 */
export const POD_ANNOTATIONS: Readonly<Record<string, string>> = { "sidecar.istio.io/inject": "false" };

export function containerPorts(): ContainerPort[] {
    return [
        { name: "otlp-grpc", containerPort: OTLP_GRPC_PORT, protocol: "TCP" },
        { name: "otlp-http", containerPort: OTLP_HTTP_PORT, protocol: "TCP" },
        { name: "health", containerPort: HEALTH_CHECK_PORT, protocol: "TCP" },
    ];
}

/** appProtocol tells Istio (and other L7 proxies in front of the Service) the protocol without name guessing. */
export function otlpServicePorts(): ServicePort[] {
    return [
        { name: "otlp-grpc", port: OTLP_GRPC_PORT, targetPort: OTLP_GRPC_PORT, protocol: "TCP", appProtocol: "grpc" },
        { name: "otlp-http", port: OTLP_HTTP_PORT, targetPort: OTLP_HTTP_PORT, protocol: "TCP", appProtocol: "http" },
    ];
}

/**
 * The root filesystem is read-only; a small writable /tmp covers the few components and libraries that
 * write temporary files, without making the image writable.
 */
export function tmpVolume(): Volume {
    return { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
}

export function tmpVolumeMount(): VolumeMount {
    return { name: "tmp", mountPath: "/tmp" };
}
