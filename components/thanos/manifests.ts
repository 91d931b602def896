/**
 * Pure builders of every Kubernetes object the {@link Thanos} component creates: functions from resolved args to
 * typed manifests, in the order the component registers them. Nothing here creates a resource; the two values
 * only known at deployment (the rendered `objstore.yml` and the IRSA annotations) are passed in and placed
 * as they are, so tests can pass plain values.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type ResourceSpec, resources, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../common";
import type { ResolvedThanosArgs } from "./args";
import {
    compactorArgs,
    grpcSrvEndpoint,
    type ObjstoreConfigRef,
    objstoreConfigKind,
    queryArgs,
    queryFrontendArgs,
    rulerArgs,
    storeArgs,
} from "./config";
import { GRPC_PORT, HTTP_PORT, OBJSTORE_KEY, OBJSTORE_MOUNT_DIR, THANOS_DEFAULTS } from "./defaults";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type PersistentVolumeClaim = k8s.types.input.core.v1.PersistentVolumeClaim;
type Labels = Record<string, string>;

/** Label on every object carrying the storage type, so admission/policy checks can see it without outputs. */
export const STORAGE_TYPE_LABEL = "thanos.gray-release.io/storage-type";

/** One object to create: its Pulumi resource name, its kind and its arguments. */
export type ThanosObject =
    | { kind: "Secret"; name: string; args: k8s.core.v1.SecretArgs }
    | { kind: "ServiceAccount"; name: string; args: k8s.core.v1.ServiceAccountArgs }
    | { kind: "Service"; name: string; args: k8s.core.v1.ServiceArgs }
    | { kind: "ConfigMap"; name: string; args: k8s.core.v1.ConfigMapArgs }
    | { kind: "StatefulSet"; name: string; args: k8s.apps.v1.StatefulSetArgs }
    | { kind: "Deployment"; name: string; args: k8s.apps.v1.DeploymentArgs }
    | { kind: "PodDisruptionBudget"; name: string; args: k8s.policy.v1.PodDisruptionBudgetArgs };

/** Values known only at deployment, placed into the manifests unchanged. */
export interface DeploymentValues {
    /** The rendered `objstore.yml` (in the component a secret output, except for `filesystem` storage). */
    objstoreYaml: pulumi.Input<string>;
    /** Annotations of the ServiceAccounts that use the bucket (the IRSA role for `aws`). */
    bucketUserAnnotations: pulumi.Input<Labels>;
}

/** Kubernetes names of the component's objects; every one is prefixed with the component name. */
export function thanosNames(name: string) {
    return {
        objstore: `${name}-objstore`,
        query: `${name}-query`,
        queryFrontend: `${name}-query-frontend`,
        store: `${name}-store`,
        compactor: `${name}-compactor`,
        ruler: `${name}-ruler`,
        rules: `${name}-rules`,
    };
}

/** The Secret or ConfigMap every bucket user reads `objstore.yml` from (see {@link objstoreConfigKind}). */
export function objstoreConfigRef(name: string, a: ResolvedThanosArgs): ObjstoreConfigRef {
    return { kind: objstoreConfigKind(a.storage.type), name: thanosNames(name).objstore, key: OBJSTORE_KEY };
}

/** The ServiceAccounts that touch the bucket and so get credentials; no other component does. */
export function bucketUsers(name: string, a: ResolvedThanosArgs): Array<{ namespace: string; name: string }> {
    const names = thanosNames(name);
    return [
        { namespace: a.prometheus.namespace, name: a.prometheus.serviceAccountName },
        { namespace: a.namespace, name: names.store },
        { namespace: a.namespace, name: names.compactor },
        ...(a.ruler !== undefined ? [{ namespace: a.namespace, name: names.ruler }] : []),
    ];
}

/** Selector labels of one component's pods. */
export function selectorOf(name: string, component: string): Labels {
    return { "app.kubernetes.io/name": "thanos", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": component };
}

/** Labels of one component's objects: the common ones, the caller's extra labels, then the selector labels. */
export function labelsOf(name: string, a: ResolvedThanosArgs, component: string): Labels {
    return {
        "app.kubernetes.io/name": "thanos",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/part-of": "gray-release",
        "app.kubernetes.io/managed-by": "pulumi",
        [STORAGE_TYPE_LABEL]: a.storage.type,
        ...a.labels,
        ...selectorOf(name, component),
    };
}

/** In-cluster URLs of Query and Query Frontend, e.g. `http://thanos-query.monitoring.svc:10902`. */
export function thanosUrls(name: string, a: ResolvedThanosArgs): { query: string; queryFrontend: string } {
    const names = thanosNames(name);
    return {
        query: `http://${names.query}.${a.namespace}.svc:${HTTP_PORT}`,
        queryFrontend: `http://${names.queryFrontend}.${a.namespace}.svc:${HTTP_PORT}`,
    };
}

/** The label Ruler replicas are stamped with: one Query already deduplicates by, so their series merge. */
export function rulerReplicaLabel(a: ResolvedThanosArgs): string {
    return a.query.replicaLabels.includes("replica") ? "replica" : (a.query.replicaLabels[0] ?? "replica");
}

/** Checksum of the rule files; Thanos Ruler does not watch them, so a changed checksum rolls the pods instead. */
export function ruleFilesChecksum(ruleFiles: Record<string, string>): string {
    return createHash("sha256")
        .update(JSON.stringify(Object.entries(ruleFiles).sort(([x], [y]) => x.localeCompare(y))))
        .digest("hex");
}

/** What a component's single container needs beyond the shared defaults. */
interface ContainerOpts {
    args: string[];
    resources: ResourceSpec;
    grpc: boolean;
    volumeMounts?: VolumeMount[];
    env?: Container["env"];
}

/** The pods of a component: its container is named after it and runs as the ServiceAccount of the same name. */
interface PodOpts {
    container: ContainerOpts;
    volumes?: Volume[];
    annotations?: Labels;
}

/** Builds every object of one Thanos instance, sharing name, args and the helpers below. */
class Builder {
    private readonly names: ReturnType<typeof thanosNames>;
    private readonly ns: string;

    constructor(
        private readonly name: string,
        private readonly a: ResolvedThanosArgs,
        private readonly values: DeploymentValues,
    ) {
        this.names = thanosNames(name);
        this.ns = a.namespace;
    }

    private labels(component: string): Labels {
        return labelsOf(this.name, this.a, component);
    }

    private selector(component: string): Labels {
        return selectorOf(this.name, component);
    }

    /**
     * The objstore Secret or ConfigMap; the Prometheus pods can only use one in their own namespace, so one per
     * namespace.
     */
    objstoreConfigs(): ThanosObject[] {
        const ref = objstoreConfigRef(this.name, this.a);
        const namespaces = [...new Set([this.a.prometheus.namespace, this.ns])];
        return namespaces.map((ns): ThanosObject => {
            const name = ns === this.ns ? ref.name : `${ref.name}-${ns}`;
            const metadata = { name: ref.name, namespace: ns, labels: this.labels("objstore") };
            return ref.kind === "Secret"
                ? { kind: "Secret", name, args: { metadata, type: "Opaque", stringData: { [ref.key]: this.values.objstoreYaml } } }
                : { kind: "ConfigMap", name, args: { metadata, data: { [ref.key]: this.values.objstoreYaml } } };
        });
    }

    serviceAccount(saName: string, component: string, usesBucket: boolean): ThanosObject {
        return {
            kind: "ServiceAccount",
            name: saName,
            args: {
                metadata: {
                    name: saName,
                    namespace: this.ns,
                    labels: this.labels(component),
                    annotations: usesBucket ? this.values.bucketUserAnnotations : {},
                },
                automountServiceAccountToken: false,
            },
        };
    }

    service(svcName: string, component: string, ports: Array<"http" | "grpc">, headless: boolean): ThanosObject {
        return {
            kind: "Service",
            name: svcName,
            args: {
                metadata: { name: svcName, namespace: this.ns, labels: this.labels(component) },
                spec: {
                    // Headless so DNS SRV returns every pod and Query fans out to each store replica.
                    ...(headless ? { clusterIP: "None" } : {}),
                    selector: this.selector(component),
                    ports: ports.map((p) => ({ name: p, port: p === "http" ? HTTP_PORT : GRPC_PORT, targetPort: p, protocol: "TCP" })),
                },
            },
        };
    }

    pdb(pdbName: string, component: string): ThanosObject {
        return {
            kind: "PodDisruptionBudget",
            name: pdbName,
            args: {
                metadata: { name: pdbName, namespace: this.ns, labels: this.labels(component) },
                spec: { maxUnavailable: 1, selector: { matchLabels: this.selector(component) } },
            },
        };
    }

    /** Volumes and mounts of the bucket: the objstore Secret or ConfigMap, plus the directory for `filesystem` storage. */
    bucketVolumes(): { volumes: Volume[]; mounts: VolumeMount[] } {
        const ref = objstoreConfigRef(this.name, this.a);
        const volumes: Volume[] = [
            ref.kind === "Secret" ? { name: "objstore", secret: { secretName: ref.name } } : { name: "objstore", configMap: { name: ref.name } },
        ];
        const mounts: VolumeMount[] = [{ name: "objstore", mountPath: OBJSTORE_MOUNT_DIR, readOnly: true }];
        const storage = this.a.storage;
        if (storage.type === "filesystem") {
            volumes.push(
                storage.persistentVolumeClaimName !== undefined
                    ? { name: "bucket", persistentVolumeClaim: { claimName: storage.persistentVolumeClaimName } }
                    : { name: "bucket", emptyDir: {} },
            );
            mounts.push({ name: "bucket", mountPath: storage.directory });
        }
        return { volumes, mounts };
    }

    container(name: string, o: ContainerOpts): Container {
        return {
            name,
            image: this.a.image,
            imagePullPolicy: "IfNotPresent",
            args: o.args,
            ports: [
                { name: "http", containerPort: HTTP_PORT, protocol: "TCP" },
                ...(o.grpc ? [{ name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" }] : []),
            ],
            env: o.env,
            resources: resources(o.resources),
            securityContext: restrictedContainerSecurityContext(),
            readinessProbe: { httpGet: { path: "/-/ready", port: "http" }, periodSeconds: 10, failureThreshold: 6 },
            livenessProbe: { httpGet: { path: "/-/healthy", port: "http" }, periodSeconds: 30, failureThreshold: 4 },
            volumeMounts: o.volumeMounts ?? [],
            terminationMessagePolicy: "FallbackToLogsOnError",
        };
    }

    pods(component: string, serviceAccountName: string, pod: PodOpts): PodTemplateSpec {
        return {
            metadata: { labels: this.labels(component), annotations: pod.annotations ?? {} },
            spec: {
                serviceAccountName,
                // Thanos never calls the Kubernetes API; IRSA mounts its own projected token.
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext(),
                containers: [this.container(component, pod.container)],
                volumes: pod.volumes ?? [],
                topologySpreadConstraints: [
                    {
                        maxSkew: 1,
                        topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: this.selector(component) },
                    },
                ],
            },
        };
    }

    /** A stateful component: its governing Service and ServiceAccount share its name; one `data` claim per pod. */
    statefulSet(o: {
        name: string;
        component: string;
        replicas: number;
        /** Start and stop pods together; not for the compactor, which runs alone. */
        parallel: boolean;
        pod: PodOpts;
        claim: { size: string; storageClassName: string | undefined };
    }): ThanosObject {
        const claim: PersistentVolumeClaim = {
            metadata: { name: "data" },
            spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: o.claim.size } },
                ...(o.claim.storageClassName !== undefined ? { storageClassName: o.claim.storageClassName } : {}),
            },
        };
        return {
            kind: "StatefulSet",
            name: o.name,
            args: {
                metadata: { name: o.name, namespace: this.ns, labels: this.labels(o.component) },
                spec: {
                    replicas: o.replicas,
                    serviceName: o.name,
                    ...(o.parallel ? { podManagementPolicy: "Parallel" } : {}),
                    selector: { matchLabels: this.selector(o.component) },
                    template: this.pods(o.component, o.name, o.pod),
                    volumeClaimTemplates: [claim],
                },
            },
        };
    }

    /** A stateless component; its ServiceAccount shares its name. */
    deployment(o: { name: string; component: string; replicas: number; pod: PodOpts }): ThanosObject {
        return {
            kind: "Deployment",
            name: o.name,
            args: {
                metadata: { name: o.name, namespace: this.ns, labels: this.labels(o.component) },
                spec: {
                    replicas: o.replicas,
                    selector: { matchLabels: this.selector(o.component) },
                    template: this.pods(o.component, o.name, o.pod),
                },
            },
        };
    }

    store(): ThanosObject[] {
        const { store } = this.a;
        const bucket = this.bucketVolumes();
        return [
            this.serviceAccount(this.names.store, "store", true),
            this.service(this.names.store, "store", ["grpc", "http"], true),
            this.statefulSet({
                name: this.names.store,
                component: "store",
                replicas: store.replicas,
                parallel: true,
                pod: {
                    container: {
                        args: storeArgs("/var/thanos/store"),
                        resources: store.resources,
                        grpc: true,
                        volumeMounts: [...bucket.mounts, { name: "data", mountPath: "/var/thanos/store" }],
                    },
                    volumes: bucket.volumes,
                },
                claim: { size: store.storageSize, storageClassName: store.storageClassName },
            }),
            this.pdb(this.names.store, "store"),
        ];
    }

    compactor(): ThanosObject[] {
        const { compactor } = this.a;
        const bucket = this.bucketVolumes();
        return [
            this.serviceAccount(this.names.compactor, "compactor", true),
            this.service(this.names.compactor, "compactor", ["http"], true),
            this.statefulSet({
                name: this.names.compactor,
                component: "compactor",
                // Exactly one: concurrent compactors on one bucket produce overlapping blocks and halt.
                replicas: 1,
                parallel: false,
                pod: {
                    container: {
                        args: compactorArgs({
                            dataDir: "/var/thanos/compact",
                            retention: this.a.retention,
                            deleteDelay: THANOS_DEFAULTS.compactor.deleteDelay,
                            waitInterval: THANOS_DEFAULTS.compactor.waitInterval,
                        }),
                        resources: compactor.resources,
                        grpc: false,
                        volumeMounts: [...bucket.mounts, { name: "data", mountPath: "/var/thanos/compact" }],
                    },
                    volumes: bucket.volumes,
                },
                claim: { size: compactor.storageSize, storageClassName: compactor.storageClassName },
            }),
        ];
    }

    ruler(): ThanosObject[] {
        const ruler = this.a.ruler;
        if (ruler === undefined) return [];
        const bucket = this.bucketVolumes();
        return [
            this.serviceAccount(this.names.ruler, "ruler", true),
            this.service(this.names.ruler, "ruler", ["grpc", "http"], true),
            {
                kind: "ConfigMap",
                name: this.names.rules,
                args: { metadata: { name: this.names.rules, namespace: this.ns, labels: this.labels("ruler") }, data: ruler.ruleFiles },
            },
            this.statefulSet({
                name: this.names.ruler,
                component: "ruler",
                replicas: ruler.replicas,
                parallel: true,
                pod: {
                    annotations: { "checksum/rules": ruleFilesChecksum(ruler.ruleFiles) },
                    container: {
                        args: rulerArgs({
                            dataDir: "/var/thanos/rule",
                            ruleDir: "/etc/thanos/rules",
                            queryEndpoint: `dnssrv+_http._tcp.${this.names.query}.${this.ns}.svc.${this.a.clusterDomain}`,
                            evalInterval: ruler.evalInterval,
                            tsdbRetention: THANOS_DEFAULTS.ruler.tsdbRetention,
                            alertmanagerUrls: ruler.alertmanagerUrls,
                            replicaLabel: rulerReplicaLabel(this.a),
                        }),
                        resources: ruler.resources,
                        grpc: true,
                        env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                        volumeMounts: [
                            ...bucket.mounts,
                            { name: "data", mountPath: "/var/thanos/rule" },
                            { name: "rules", mountPath: "/etc/thanos/rules", readOnly: true },
                        ],
                    },
                    volumes: [...bucket.volumes, { name: "rules", configMap: { name: this.names.rules } }],
                },
                claim: { size: ruler.storageSize, storageClassName: ruler.storageClassName },
            }),
        ];
    }

    query(): ThanosObject[] {
        const { query, clusterDomain } = this.a;
        const endpoints = [
            grpcSrvEndpoint(this.a.prometheus.governingServiceName, this.a.prometheus.namespace, clusterDomain),
            grpcSrvEndpoint(this.names.store, this.ns, clusterDomain),
            ...(this.a.ruler !== undefined ? [grpcSrvEndpoint(this.names.ruler, this.ns, clusterDomain)] : []),
        ];
        return [
            this.serviceAccount(this.names.query, "query", false),
            this.service(this.names.query, "query", ["http", "grpc"], false),
            this.deployment({
                name: this.names.query,
                component: "query",
                replicas: query.replicas,
                pod: { container: { args: queryArgs({ replicaLabels: query.replicaLabels, endpoints }), resources: query.resources, grpc: true } },
            }),
            this.pdb(this.names.query, "query"),
        ];
    }

    queryFrontend(): ThanosObject[] {
        const { queryFrontend } = this.a;
        return [
            this.serviceAccount(this.names.queryFrontend, "query-frontend", false),
            this.service(this.names.queryFrontend, "query-frontend", ["http"], false),
            this.deployment({
                name: this.names.queryFrontend,
                component: "query-frontend",
                replicas: queryFrontend.replicas,
                pod: {
                    container: {
                        args: queryFrontendArgs({
                            downstreamUrl: `http://${this.names.query}.${this.ns}.svc.${this.a.clusterDomain}:${HTTP_PORT}`,
                            splitInterval: queryFrontend.splitInterval,
                            cacheMaxSize: queryFrontend.cacheMaxSize,
                            cacheValidity: THANOS_DEFAULTS.queryFrontend.cacheValidity,
                        }),
                        resources: queryFrontend.resources,
                        grpc: false,
                    },
                },
            }),
        ];
    }
}

/**
 * Every Kubernetes object of the Thanos instance `name`, in creation order: the objstore Secrets (ConfigMaps for
 * `filesystem` storage), then Store, Compactor, the optional Ruler, Query and Query Frontend (each: ServiceAccount,
 * Service, workload, budget).
 */
export function buildThanosObjects(name: string, a: ResolvedThanosArgs, values: DeploymentValues): ThanosObject[] {
    const b = new Builder(name, a, values);
    return [...b.objstoreConfigs(), ...b.store(), ...b.compactor(), ...b.ruler(), ...b.query(), ...b.queryFrontend()];
}
