import { z } from "zod";
import { isPinnedImage } from "../common/image";
import { quantitySchema } from "../common/quantity";

/** Requests and limits of one container. */
export interface WorkloadResources {
    /** CPU request, e.g. `100m`. */
    cpuRequest?: string;
    /** Memory request, e.g. `128Mi`. */
    memoryRequest?: string;
    /** CPU limit, e.g. `500m`. */
    cpuLimit?: string;
    /** Memory limit, e.g. `256Mi`. */
    memoryLimit?: string;
}

/**
 * The pods of one service in a canary release: a stable and a canary Deployment behind one Service. The Istio
 * routing decides which of them gets a request; this component only runs them.
 */
export interface CanaryWorkloadArgs {
    /** Service name: names the Service and prefixes both Deployments (`<service>-stable`, `<service>-canary`). */
    service: string;
    /** Namespace to run in (usually a gray namespace). */
    namespace: string;
    /** Image of the stable version, pinned by tag or digest. */
    stableImage: string;
    /** Image of the canary version, pinned by tag or digest. */
    canaryImage: string;
    /** Value of the version label on stable pods (what the DestinationRule's `stable` subset selects). */
    stableVersion: string;
    /** Value of the version label on canary pods (what the DestinationRule's `canary` subset selects). */
    canaryVersion: string;
    /** Pod label carrying the version; Istio's metrics report it as `destination_version`. */
    versionLabel?: string;
    /** Replicas of the stable Deployment. */
    stableReplicas?: number;
    /**
     * Replicas of the canary Deployment, fixed. When set it wins over `canaryWeight`; 0 once the canary is rolled
     * back or promoted and no route names it any more. Without it and without `canaryWeight`: 1.
     */
    canaryReplicas?: number;
    /**
     * Share of traffic (0..100) the canary must be able to carry: its replicas follow it so a canary pod carries
     * what a stable pod does, `ceil(stableReplicas × w / (100 − w))` within `minCanaryReplicas`..`maxCanaryReplicas`
     * (the brief's incident was one canary pod taking a step's traffic). Ignored when `canaryReplicas` is set.
     */
    canaryWeight?: number;
    /** Fewest canary replicas while the canary serves (opt-in routes at weight 0 included); default 1. */
    minCanaryReplicas?: number;
    /** Most canary replicas the weight may ask for; default: no limit below the schema's 1000. */
    maxCanaryReplicas?: number;
    /** Container port the service listens on. */
    containerPort?: number;
    /** Service port (named `http` so Istio treats it as HTTP). */
    servicePort?: number;
    /** HTTP path of the readiness and liveness probes. */
    healthPath?: string;
    /** Container resources; defaults in defaults.ts. */
    resources?: WorkloadResources;
    /** Extra environment variables for both versions (e.g. OpenTelemetry settings from the collector). */
    env?: Record<string, string>;
}

const dns1123 = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1123 label" }).max(52);
const quantity = quantitySchema;
const labelValue = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "must be a label value" });
const image = z.string().min(1).refine(isPinnedImage, {
    message: "image must be pinned: a tag other than `latest` or a digest",
});

export const canaryWorkloadArgsSchema = z
    .object({
        service: dns1123,
        namespace: dns1123,
        stableImage: image,
        canaryImage: image,
        stableVersion: labelValue,
        canaryVersion: labelValue,
        versionLabel: z.string().min(1).optional(),
        stableReplicas: z.number().int().min(0).max(1000).optional(),
        canaryReplicas: z.number().int().min(0).max(1000).optional(),
        canaryWeight: z.number().int().min(0).max(100).optional(),
        minCanaryReplicas: z.number().int().min(1).max(1000).optional(),
        maxCanaryReplicas: z.number().int().min(1).max(1000).optional(),
        containerPort: z.number().int().min(1).max(65535).optional(),
        servicePort: z.number().int().min(1).max(65535).optional(),
        healthPath: z.string().startsWith("/").optional(),
        resources: z
            .object({ cpuRequest: quantity, memoryRequest: quantity, cpuLimit: quantity, memoryLimit: quantity })
            .partial()
            .strict()
            .optional(),
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an env var name" }), z.string()).optional(),
    })
    .strict()
    .superRefine((a, ctx) => {
        if (a.minCanaryReplicas !== undefined && a.maxCanaryReplicas !== undefined && a.maxCanaryReplicas < a.minCanaryReplicas) {
            ctx.addIssue({ code: "custom", path: ["maxCanaryReplicas"], message: `must be at least minCanaryReplicas (${a.minCanaryReplicas})` });
        }
    });
