/** The FeatureFlags component: a thin Pulumi wrapper around the flagd builder of this folder. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "../common/validation";
import { type FlagdConfiguration, flagdConfiguration, loadIntoFlagd } from "./flagd";
import { type FeatureFlagsArgs, featureFlagsArgsSchema, type ResolvedFeatureFlagsArgs } from "./schema";
import { type TelemetrySpec, variantTelemetrySpec } from "./variant-metrics";

/** Type token of the component (the policy pack reads its inputs: `namespace`, `flags`, `approvals`). */
export const FEATURE_FLAGS_TYPE = "gray-release:index:FeatureFlags";

/** Parses FeatureFlags' arguments (errors name the key path and the value). */
export function resolveFeatureFlagsArgs(args: FeatureFlagsArgs, subject = "FeatureFlags"): ResolvedFeatureFlagsArgs {
    return parseArgs(subject, featureFlagsArgsSchema, args);
}

/** The OpenFeature Operator's FeatureFlag resource (core.openfeature.dev/v1beta1): its spec is flagd's flag file. */
export interface FeatureFlagResourceSpec {
    flagSpec: { flags: FlagdConfiguration["flags"] };
}

/**
 * Feature flags of one service and environment, in flagd's format: a ConfigMap a flagd sidecar or service reads
 * (`flagd start --uri file:/etc/flagd/flags.flagd.json` with the ConfigMap mounted there; flagd reloads it when
 * the file changes), and optionally the OpenFeature Operator's `FeatureFlag` resource. Targeting is written in the
 * package's terms (allowlist, canary version, lane, fractional share) and the file is loaded into flagd's own
 * engine before anything is created: a configuration flagd would refuse or partly skip fails the update. With
 * `variantMetrics`, an Istio `Telemetry` labels the service's request metrics with the variant that served each request.
 */
export class FeatureFlags extends pulumi.ComponentResource {
    /** The flag file, as flagd reads it. */
    public readonly configuration: pulumi.Output<FlagdConfiguration>;
    /** Name of the ConfigMap holding the flag file. */
    public readonly configMapName: pulumi.Output<string>;

    constructor(name: string, args: FeatureFlagsArgs, opts?: pulumi.ComponentResourceOptions) {
        const subject = `FeatureFlags "${name}"`;
        const a = resolveFeatureFlagsArgs(args, subject);
        const configuration = flagdConfiguration(a.flags);
        loadIntoFlagd(configuration, subject);

        // The inputs are what the policy pack sees: the flags as flagd reads them and their approvals.
        super(FEATURE_FLAGS_TYPE, name, { namespace: a.namespace, flags: configuration.flags, approvals: a.approvals }, opts);
        const labels = { "app.kubernetes.io/managed-by": "gray-release", "app.kubernetes.io/component": "feature-flags" };
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-flags`,
            {
                metadata: { name: a.configMapName, namespace: a.namespace, labels },
                data: { [a.fileName]: `${JSON.stringify(configuration, null, 2)}\n` },
            },
            { parent: this },
        );
        if (a.featureFlagResource) {
            const spec: FeatureFlagResourceSpec = { flagSpec: { flags: configuration.flags } };
            new k8s.apiextensions.CustomResource(
                `${name}-featureflag`,
                {
                    apiVersion: "core.openfeature.dev/v1beta1",
                    kind: "FeatureFlag",
                    metadata: { name: a.configMapName, namespace: a.namespace, labels },
                    spec,
                },
                { parent: this },
            );
        }
        const metrics = a.variantMetrics;
        if (metrics !== undefined && metrics !== false) {
            // Only labels the server side's metrics of these pods: the comparison a flag rollout's analysis reads.
            const spec: TelemetrySpec = variantTelemetrySpec(metrics.podLabels, metrics.flags ?? a.flags.map((f) => f.key), metrics.headerPrefix);
            new k8s.apiextensions.CustomResource(
                `${name}-variant-metrics`,
                {
                    apiVersion: "telemetry.istio.io/v1",
                    kind: "Telemetry",
                    metadata: { name: `${a.configMapName}-variants`, namespace: a.namespace, labels },
                    spec,
                },
                { parent: this },
            );
        }
        this.configuration = pulumi.output(configuration);
        this.configMapName = configMap.metadata.name;
        this.registerOutputs({ configuration: this.configuration, configMapName: this.configMapName });
    }
}
