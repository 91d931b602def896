/**
 * Inputs of {@link CanaryWorkload}: one zod schema with every description and default (named in defaults.ts), and
 * the types inferred from it (`CanaryWorkloadArgs` what callers write, `ResolvedCanaryWorkloadArgs` what the
 * builders read).
 */
import { z } from "zod";
import { defaultVersionLabel, isPinnedImage } from "../common/image";
import type { InputFields, InputPaths, WithInputs } from "../common/inputs";
import { dnsLabel, labelKey, nonEmptyLabelValue, portNumber, quantity } from "../common/k8s-names";
import { ISTIO_DEFAULT_LATENCY_BUCKETS_MS, latencyBucketsSchema } from "../common/latency-buckets";
import { parseArgs } from "../common/validation";
import { canaryWorkloadDefaults as D } from "./defaults";
import { canaryReplicasFor } from "./replicas";

const image = z.string().min(1).refine(isPinnedImage, {
    message: "image must be pinned: a tag other than `latest` or a digest",
});
const replicas = (min: number) => z.number().int().min(min).max(1000);

/** Requests and limits of one container; each field given replaces its default. */
export const workloadResourcesSchema = z
    .object({
        cpuRequest: quantity.default(D.resources.cpuRequest).meta({ description: "CPU request, e.g. `100m`." }),
        memoryRequest: quantity.default(D.resources.memoryRequest).meta({ description: "Memory request, e.g. `128Mi`." }),
        cpuLimit: quantity.default(D.resources.cpuLimit).meta({ description: "CPU limit, e.g. `500m`." }),
        memoryLimit: quantity.default(D.resources.memoryLimit).meta({ description: "Memory limit, e.g. `256Mi`." }),
    })
    .strict()
    .meta({ description: "Container resources of both versions; each field given replaces its default." });
export type WorkloadResources = z.input<typeof workloadResourcesSchema>;

/**
 * The pods of one service in a canary release: a stable and a canary Deployment behind one Service. The Istio
 * routing decides which of them gets a request; this component only runs them. Parsing fills in every default and
 * sizes the canary, so the builders take its output, {@link ResolvedCanaryWorkloadArgs}.
 */
export const canaryWorkloadArgsSchema = z
    .object({
        // At most 52 (not a label's 63), as the component always had: it prefixes the Deployment, ReplicaSet and pod
        // names derived from it (`<service>-canary-<hash>-<suffix>`).
        service: dnsLabel.max(52, "must be at most 52 characters").meta({
            description: "Service name: names the Service and prefixes both Deployments (`<service>-stable`, `<service>-canary`).",
        }),
        namespace: dnsLabel.meta({ description: "Namespace to run in (usually a gray namespace)." }),
        stableImage: image.meta({ description: "Image of the stable version, pinned by tag or digest." }),
        canaryImage: image.meta({ description: "Image of the canary version, pinned by tag or digest." }),
        stableVersionLabel: nonEmptyLabelValue.optional().meta({
            description:
                "Value of the version label on stable pods (what Istio's metrics report as `destination_version`). Default: " +
                "derived from `stableImage`, its tag or a digest's first 12 hex digits, as SloRules derives it from the same image.",
        }),
        canaryVersionLabel: nonEmptyLabelValue.optional().meta({
            description:
                "Value of the version label on canary pods (what Istio's metrics report as `destination_version`). Default: " +
                "derived from `canaryImage`, as for `stableVersionLabel`.",
        }),
        versionLabel: labelKey
            .default(D.versionLabel)
            .meta({ description: "Key of the pod label carrying the version; Istio's metrics report it as `destination_version`." }),
        stableReplicas: replicas(0).default(D.stableReplicas).meta({ description: "Replicas of the stable Deployment." }),
        canaryReplicas: replicas(0)
            .optional()
            .meta({
                description:
                    "Replicas of the canary Deployment, fixed. When set it wins over `canaryWeight`; 0 once the canary is " +
                    `rolled back or promoted and no route names it any more. Without it and without \`canaryWeight\`: ${D.canaryReplicas}.`,
            }),
        canaryWeight: z
            .number()
            .int()
            .min(0)
            .max(100)
            .optional()
            .meta({
                description:
                    "Share of traffic (a percentage 0..100) the canary must be able to carry: its replicas follow it so a " +
                    "canary pod carries what a stable pod does, `ceil(stableReplicas × w / (100 − w))` within " +
                    "`minCanaryReplicas`..`maxCanaryReplicas` (the brief's incident was one canary pod taking a step's " +
                    "traffic). Ignored when `canaryReplicas` is set.",
            }),
        minCanaryReplicas: replicas(1)
            .default(D.minCanaryReplicas)
            .meta({ description: "Fewest canary replicas while the canary serves (opt-in routes at weight 0 included)." }),
        maxCanaryReplicas: replicas(1).default(D.maxCanaryReplicas).meta({ description: "Most canary replicas the weight may ask for." }),
        containerPort: portNumber.default(D.containerPort).meta({ description: "Container port the service listens on." }),
        servicePort: portNumber.default(D.servicePort).meta({ description: "Service port (named `http` so Istio treats it as HTTP)." }),
        healthPath: z.string().startsWith("/").default(D.healthPath).meta({ description: "HTTP path of the readiness and liveness probes." }),
        resources: workloadResourcesSchema.prefault({}),
        latencyBuckets: latencyBucketsSchema
            .default(() => [...ISTIO_DEFAULT_LATENCY_BUCKETS_MS])
            .meta({
                description:
                    "Bucket bounds (ms) the sidecars of both versions report `istio_request_duration_milliseconds` with (the " +
                    "`sidecar.istio.io/statsHistogramBuckets` annotation, set only when they differ from Istio's defaults). Give " +
                    "the same list as SloRules' `latencyBuckets`, so its latency thresholds are bucket bounds. Default: Istio's own.",
            }),
        env: z
            .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an env var name" }), z.string())
            .default(() => ({}))
            .meta({ description: "Extra environment variables for both versions (e.g. OpenTelemetry settings from the collector)." }),
    })
    .strict()
    .superRefine((a, ctx) => {
        if (a.maxCanaryReplicas < a.minCanaryReplicas) {
            ctx.addIssue({ code: "custom", path: ["maxCanaryReplicas"], message: `must be at least minCanaryReplicas (${a.minCanaryReplicas})` });
        }
        for (const track of ["stable", "canary"] as const) {
            const derived = a[`${track}VersionLabel`] === undefined ? defaultVersionLabel(a[`${track}Image`]) : undefined;
            if (derived !== undefined && !nonEmptyLabelValue.safeParse(derived).success) {
                ctx.addIssue({
                    code: "custom",
                    path: [`${track}Image`],
                    message: `its version "${derived}" is not a label value (at most 63 alphanumerics, '-', '_', '.'): give ${track}VersionLabel`,
                });
            }
        }
    })
    .transform(({ canaryWeight, canaryReplicas, ...a }) => ({
        ...a,
        stableVersionLabel: a.stableVersionLabel ?? defaultVersionLabel(a.stableImage),
        canaryVersionLabel: a.canaryVersionLabel ?? defaultVersionLabel(a.canaryImage),
        canaryReplicas:
            canaryReplicas ??
            (canaryWeight === undefined
                ? D.canaryReplicas
                : canaryReplicasFor({ weight: canaryWeight, stableReplicas: a.stableReplicas, min: a.minCanaryReplicas, max: a.maxCanaryReplicas })),
    }));

/**
 * The args that take a `pulumi.Input`, with the stand-in each gets while pending (see {@link InputFields}): the
 * namespace (GrayNamespace's `namespaceName`), the images (e.g. the digest of an image a program builds) and the
 * environment (OtelCollector's `workloadEnvironment`). `service` stays plain: it is the name this component gives
 * the service, which the others take from its outputs; sizes, ports and labels are its own settings.
 */
export const canaryWorkloadInputFields = {
    namespace: "x",
    stableImage: "x:0",
    canaryImage: "x:0",
    env: {},
} as const satisfies InputFields;

/** {@link canaryWorkloadArgsSchema}'s input as plain values: what a stack config holds and `resolveCanaryWorkloadArgs` takes. */
export type PlainCanaryWorkloadArgs = z.input<typeof canaryWorkloadArgsSchema>;
/** What callers write: {@link PlainCanaryWorkloadArgs} with the {@link canaryWorkloadInputFields} also taking an Input. */
export type CanaryWorkloadArgs = WithInputs<PlainCanaryWorkloadArgs, InputPaths<typeof canaryWorkloadInputFields>>;
/** {@link CanaryWorkloadArgs} with every default applied and the canary sized: what the builders read. */
export type ResolvedCanaryWorkloadArgs = z.output<typeof canaryWorkloadArgsSchema>;

/** Validates `input` (throwing an InvalidArgsError that names each bad key and value) and fills in the defaults. */
export function resolveCanaryWorkloadArgs(input: unknown, subject = "CanaryWorkload"): ResolvedCanaryWorkloadArgs {
    return parseArgs(subject, canaryWorkloadArgsSchema, input);
}
