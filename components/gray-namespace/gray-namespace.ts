/** The GrayNamespace component: a thin Pulumi wrapper around the pure builders of this folder. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type GrayNamespaceArgs, parseGrayNamespaceArgs } from "./args";
import { buildNamespaceLabels } from "./labels";
import { type LayeredConfig, layerConfig } from "./layered-config";
import { buildNetworkPolicies, type NamedNetworkPolicy } from "./network-policies";
import { buildPeerAuthentication } from "./peer-authentication";
import { buildLimitRangeSpec, buildResourceQuotaSpec } from "./quota";

/**
 * A namespace for a gray environment (e.g. `staging-gray`): labelled for environment, zone and canary,
 * sidecar-injected, Pod Security `restricted`, capped by a ResourceQuota and LimitRange, default-deny
 * networking with explicit allowances, STRICT mTLS, and a ConfigMap of layered configuration.
 *
 * Pass a Kubernetes provider through `opts.provider`; every child inherits it.
 */
export class GrayNamespace extends pulumi.ComponentResource {
    /** Name of the namespace. */
    public readonly namespaceName: pulumi.Output<string>;
    /** Labels set on the namespace. */
    public readonly labels: pulumi.Output<Record<string, string>>;
    /** Name of the layered-configuration ConfigMap, when one was requested. */
    public readonly configMapName: pulumi.Output<string | undefined>;
    /** Flattened layered configuration (what the ConfigMap holds); empty when none was requested. */
    public readonly configData: pulumi.Output<Record<string, string>>;
    /** Whether the gray fragment was applied to the configuration. */
    public readonly grayApplied: pulumi.Output<boolean>;
    /** Names of the NetworkPolicies, default deny first. */
    public readonly networkPolicyNames: pulumi.Output<string[]>;

    constructor(name: string, args: GrayNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Everything that can be wrong with the input is found before the component itself is registered.
        const subject = `GrayNamespace "${name}"`;
        // Plain values are checked now; the Input namespaces when they resolve. `a` (stand-ins for pending Inputs)
        // decides which objects exist; the NetworkPolicy specs, where the Inputs go, are built from `resolved`.
        const { resolved, shape: a } = parseGrayNamespaceArgs(args, subject);
        const layered: LayeredConfig | undefined = a.config === undefined ? undefined : layerConfig(a.config, subject);
        const labels = buildNamespaceLabels({
            environment: a.environment,
            zone: a.zone,
            canary: a.canary,
            istioRevision: a.istioRevision,
            podSecurityVersion: a.podSecurityVersion,
            extra: a.labels,
        });
        const policies = buildNetworkPolicies(a);
        const resolvedPolicies = resolved.apply(buildNetworkPolicies);

        super("gray-release:index:GrayNamespace", name, {}, opts);
        const parent = { parent: this };

        const ns = new k8s.core.v1.Namespace(name, { metadata: { name: a.name, labels } }, parent);
        // Children reference the namespace's output so they are created after it and deleted before it.
        const namespace = ns.metadata.name;
        const meta = (objectName: string) => ({ name: objectName, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } });

        if (a.resourceQuota.enabled) {
            new k8s.core.v1.ResourceQuota(
                `${name}-quota`,
                { metadata: meta("gray-quota"), spec: buildResourceQuotaSpec(a.resourceQuota.hard) },
                parent,
            );
        }
        if (a.limitRange.enabled) {
            new k8s.core.v1.LimitRange(`${name}-limits`, { metadata: meta("gray-limits"), spec: buildLimitRangeSpec(a.limitRange) }, parent);
        }
        for (const policy of policies) {
            const spec = resolvedPolicies.apply((ps) => specOf(ps, policy.name));
            new k8s.networking.v1.NetworkPolicy(`${name}-${policy.name}`, { metadata: meta(policy.name), spec }, parent);
        }

        const pa = buildPeerAuthentication(a.name, a.mtlsMode);
        new k8s.apiextensions.CustomResource(
            `${name}-peer-authentication`,
            { apiVersion: pa.apiVersion, kind: pa.kind, metadata: { ...meta("default") }, spec: pa.spec },
            parent,
        );

        let configMap: k8s.core.v1.ConfigMap | undefined;
        if (a.config !== undefined && layered !== undefined) {
            configMap = new k8s.core.v1.ConfigMap(
                `${name}-config`,
                {
                    metadata: {
                        ...meta(a.config.name),
                        annotations: { "gray-release.io/gray-applied": String(layered.grayApplied) },
                    },
                    data: layered.data,
                },
                parent,
            );
        }

        this.namespaceName = namespace;
        this.labels = pulumi.output(labels);
        this.configMapName = configMap ? configMap.metadata.name : pulumi.output(undefined);
        this.configData = pulumi.output(layered?.data ?? {});
        this.grayApplied = pulumi.output(layered?.grayApplied ?? false);
        this.networkPolicyNames = pulumi.output(policies.map((p) => p.name));
        this.registerOutputs({
            namespaceName: this.namespaceName,
            labels: this.labels,
            configMapName: this.configMapName,
            configData: this.configData,
            grayApplied: this.grayApplied,
            networkPolicyNames: this.networkPolicyNames,
        });
    }
}

/** The spec of the policy named `name`: the policy set depends on no Input, so it is the same once they resolve. */
function specOf(policies: ReadonlyArray<NamedNetworkPolicy>, name: string): NamedNetworkPolicy["spec"] {
    const policy = policies.find((p) => p.name === name);
    if (policy === undefined) throw new Error(`NetworkPolicy "${name}" is missing once the Inputs resolved`);
    return policy.spec;
}

const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
const MANAGED_BY = "gray-release";
