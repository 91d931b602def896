/**
 * The Thanos component: long-term storage and a global query layer for the Prometheus that watches canaries, so
 * 7- and 28-day SLO windows can be evaluated at all (Prometheus itself keeps only days of data).
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    InvalidArgsError,
    parseArgs,
    resources,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    type ResourceSpec,
} from "../common";
import { thanosArgsSchema, type ResolvedThanosArgs, type ThanosArgs } from "./args";
import {
    bucketExpiryProblems,
    compactorArgs,
    grpcSrvEndpoint,
    prometheusThanosSpecPatch,
    queryArgs,
    queryFrontendArgs,
    retentionProblems,
    rulerArgs,
    storeArgs,
    type PrometheusThanosSpecPatch,
    type Retention,
} from "./config";
import { GRPC_PORT, HTTP_PORT, OBJSTORE_MOUNT_DIR, OBJSTORE_SECRET_KEY, THANOS_DEFAULTS } from "./defaults";
import { ThanosObjectStorage, type StorageType } from "./storage";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Annotation IRSA reads to decide which role a ServiceAccount's pods assume. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";
/** Label on every object carrying the storage type, so admission/policy checks can see it without outputs. */
export const STORAGE_TYPE_LABEL = "thanos.gray-release.io/storage-type";

/** Validates `args` (and `name`, which prefixes every Kubernetes name) without creating anything. */
export function validateThanosArgs(name: string, args: ThanosArgs): ResolvedThanosArgs {
    const subject = `Thanos "${name}"`;
    // Longest suffix is "-query-frontend" (15 chars); Kubernetes names are DNS labels of at most 63.
    if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
        throw new InvalidArgsError(subject, [
            { path: "name", value: name, message: "expected a DNS-1123 label of at most 40 characters" },
        ]);
    }
    const parsed = parseArgs(subject, thanosArgsSchema, args);
    const problems = [
        ...retentionProblems(parsed.retention, parsed.longestSloWindow),
        ...(parsed.storage.type === "aws" ? bucketExpiryProblems(parsed.storage.expireAfterDays, parsed.retention) : []),
    ];
    if (problems.length > 0) throw new InvalidArgsError(subject, problems);
    return parsed;
}

/** Thanos Store, Query, Query Frontend, Compactor and optionally Ruler, plus the sidecar's objstore Secret. */
export class Thanos extends pulumi.ComponentResource {
    /** Thanos Query's Prometheus HTTP API, e.g. `http://thanos-query.monitoring.svc:10902`; canary analysis uses it. */
    public readonly queryUrl: pulumi.Output<string>;
    /** Query Frontend (split + cached) URL; prefer it for dashboards and long range queries. */
    public readonly queryFrontendUrl: pulumi.Output<string>;
    /** Bucket name; undefined for `filesystem`. */
    public readonly bucketName: pulumi.Output<string | undefined>;
    /** IRSA role ARN; only for `aws`. */
    public readonly roleArn: pulumi.Output<string | undefined>;
    /** `aws`, `existing` or `filesystem`; the policy pack refuses `filesystem` in production. */
    public readonly storageType: pulumi.Output<StorageType>;
    /** Raw-resolution retention the compactor enforces, e.g. `45d`. */
    public readonly rawRetention: pulumi.Output<string>;
    /** All three retentions the compactor enforces. */
    public readonly retention: pulumi.Output<Retention>;
    /** Name of the objstore Secret (in the Prometheus namespace and in the Thanos namespace). */
    public readonly objstoreSecretName: pulumi.Output<string>;
    /** Key of `objstore.yml` inside that Secret. */
    public readonly objstoreSecretKey: pulumi.Output<string>;
    /**
     * The `objstore.yml` contents, always a secret output (it carries the access keys for `existing` storage);
     * for wiring a sidecar the component does not manage, e.g. in another cluster.
     */
    public readonly objstoreConfig: pulumi.Output<string>;
    /** Fragment to merge into the `Prometheus` resource's `spec` to enable the sidecar with this storage. */
    public readonly prometheusThanosSpec: pulumi.Output<PrometheusThanosSpecPatch>;
    /** Annotations the Prometheus ServiceAccount needs (the IRSA role for `aws`, otherwise none). */
    public readonly prometheusServiceAccountAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ThanosArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate first: a rejected configuration must leave nothing half-created.
        const a = validateThanosArgs(name, args);
        super("gray-release:index:Thanos", name, {}, opts);

        const ns = a.namespace;
        const names = {
            objstore: `${name}-objstore`,
            query: `${name}-query`,
            queryFrontend: `${name}-query-frontend`,
            store: `${name}-store`,
            compactor: `${name}-compactor`,
            ruler: `${name}-ruler`,
            rules: `${name}-rules`,
        };
        const baseLabels: Record<string, string> = {
            "app.kubernetes.io/name": "thanos",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/part-of": "gray-release",
            "app.kubernetes.io/managed-by": "pulumi",
            [STORAGE_TYPE_LABEL]: a.storage.type,
            ...a.labels,
        };
        const selectorOf = (component: string): Record<string, string> => ({
            "app.kubernetes.io/name": "thanos",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/component": component,
        });
        const labelsOf = (component: string): Record<string, string> => ({ ...baseLabels, ...selectorOf(component) });
        const parent = { parent: this };

        // Only the components that touch the bucket get credentials.
        const bucketUsers = [
            { namespace: a.prometheus.namespace, name: a.prometheus.serviceAccountName },
            { namespace: ns, name: names.store },
            { namespace: ns, name: names.compactor },
            ...(a.ruler !== undefined ? [{ namespace: ns, name: names.ruler }] : []),
        ];
        const storage = new ThanosObjectStorage(name, { storage: a.storage, serviceAccounts: bucketUsers }, parent);
        const irsaAnnotations: pulumi.Output<Record<string, string>> = storage.roleArn.apply(
            (arn): Record<string, string> => (arn !== undefined ? { [IRSA_ROLE_ANNOTATION]: arn } : {}),
        );

        // The Prometheus CR can only reference a Secret in its own namespace.
        const secretNamespaces = [...new Set([a.prometheus.namespace, ns])];
        for (const secretNs of secretNamespaces) {
            new k8s.core.v1.Secret(
                secretNs === ns ? names.objstore : `${names.objstore}-${secretNs}`,
                {
                    metadata: { name: names.objstore, namespace: secretNs, labels: labelsOf("objstore") },
                    type: "Opaque",
                    stringData: { [OBJSTORE_SECRET_KEY]: storage.objstoreYaml },
                },
                parent,
            );
        }

        const serviceAccount = (saName: string, component: string, usesBucket: boolean): k8s.core.v1.ServiceAccount =>
            new k8s.core.v1.ServiceAccount(
                saName,
                {
                    metadata: {
                        name: saName,
                        namespace: ns,
                        labels: labelsOf(component),
                        annotations: usesBucket ? irsaAnnotations : {},
                    },
                    automountServiceAccountToken: false,
                },
                parent,
            );

        // ---- shared pod building blocks -------------------------------------------------------------------
        const objstoreVolume: Volume = { name: "objstore", secret: { secretName: names.objstore } };
        const objstoreMount: VolumeMount = { name: "objstore", mountPath: OBJSTORE_MOUNT_DIR, readOnly: true };
        const bucketVolumes: Volume[] = [objstoreVolume];
        const bucketMounts: VolumeMount[] = [objstoreMount];
        if (a.storage.type === "filesystem") {
            bucketVolumes.push(
                a.storage.persistentVolumeClaimName !== undefined
                    ? { name: "bucket", persistentVolumeClaim: { claimName: a.storage.persistentVolumeClaimName } }
                    : { name: "bucket", emptyDir: {} },
            );
            bucketMounts.push({ name: "bucket", mountPath: a.storage.directory });
        }

        const container = (opts: {
            name: string;
            args: string[];
            resources: ResourceSpec;
            grpc: boolean;
            volumeMounts?: VolumeMount[];
            env?: Container["env"];
        }): Container => ({
            name: opts.name,
            image: a.image,
            imagePullPolicy: "IfNotPresent",
            args: opts.args,
            ports: [
                { name: "http", containerPort: HTTP_PORT, protocol: "TCP" },
                ...(opts.grpc ? [{ name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" }] : []),
            ],
            env: opts.env,
            resources: resources(opts.resources),
            securityContext: restrictedContainerSecurityContext(),
            readinessProbe: { httpGet: { path: "/-/ready", port: "http" }, periodSeconds: 10, failureThreshold: 6 },
            livenessProbe: { httpGet: { path: "/-/healthy", port: "http" }, periodSeconds: 30, failureThreshold: 4 },
            volumeMounts: opts.volumeMounts ?? [],
            terminationMessagePolicy: "FallbackToLogsOnError",
        });

        const podTemplate = (opts: {
            component: string;
            serviceAccountName: string;
            container: Container;
            volumes?: Volume[];
            annotations?: Record<string, string>;
        }): k8s.types.input.core.v1.PodTemplateSpec => ({
            metadata: { labels: labelsOf(opts.component), annotations: opts.annotations ?? {} },
            spec: {
                serviceAccountName: opts.serviceAccountName,
                // Thanos never calls the Kubernetes API; IRSA mounts its own projected token.
                automountServiceAccountToken: false,
                securityContext: restrictedPodSecurityContext(),
                containers: [opts.container],
                volumes: opts.volumes ?? [],
                topologySpreadConstraints: [
                    {
                        maxSkew: 1,
                        topologyKey: "kubernetes.io/hostname",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: selectorOf(opts.component) },
                    },
                ],
            },
        });

        const dataClaim = (size: string, storageClassName: string | undefined): k8s.types.input.core.v1.PersistentVolumeClaim => ({
            metadata: { name: "data" },
            spec: {
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: size } },
                ...(storageClassName !== undefined ? { storageClassName } : {}),
            },
        });

        const service = (
            svcName: string,
            component: string,
            ports: Array<"http" | "grpc">,
            headless: boolean,
        ): k8s.core.v1.Service =>
            new k8s.core.v1.Service(
                svcName,
                {
                    metadata: { name: svcName, namespace: ns, labels: labelsOf(component) },
                    spec: {
                        // Headless so DNS SRV returns every pod and Query fans out to each store replica.
                        ...(headless ? { clusterIP: "None" } : {}),
                        selector: selectorOf(component),
                        ports: ports.map((p) => ({
                            name: p,
                            port: p === "http" ? HTTP_PORT : GRPC_PORT,
                            targetPort: p,
                            protocol: "TCP",
                        })),
                    },
                },
                parent,
            );

        const pdb = (pdbName: string, component: string): k8s.policy.v1.PodDisruptionBudget =>
            new k8s.policy.v1.PodDisruptionBudget(
                pdbName,
                {
                    metadata: { name: pdbName, namespace: ns, labels: labelsOf(component) },
                    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(component) } },
                },
                parent,
            );

        /** The pods of a component: its container is named after it and runs as the ServiceAccount `saName`. */
        type PodOpts = { container: Omit<Parameters<typeof container>[0], "name">; volumes?: Volume[]; annotations?: Record<string, string> };
        const podsOf = (component: string, saName: string, pod: PodOpts): k8s.types.input.core.v1.PodTemplateSpec =>
            podTemplate({
                component,
                serviceAccountName: saName,
                container: container({ name: component, ...pod.container }),
                ...(pod.volumes !== undefined ? { volumes: pod.volumes } : {}),
                ...(pod.annotations !== undefined ? { annotations: pod.annotations } : {}),
            });

        /** A stateful component: its governing Service and ServiceAccount share its name; one `data` claim per pod. */
        const statefulSet = (o: {
            name: string;
            component: string;
            replicas: number;
            /** Start and stop pods together; not for the compactor, which runs alone. */
            parallel: boolean;
            pod: PodOpts;
            claim: k8s.types.input.core.v1.PersistentVolumeClaim;
        }): k8s.apps.v1.StatefulSet =>
            new k8s.apps.v1.StatefulSet(
                o.name,
                {
                    metadata: { name: o.name, namespace: ns, labels: labelsOf(o.component) },
                    spec: {
                        replicas: o.replicas,
                        serviceName: o.name,
                        ...(o.parallel ? { podManagementPolicy: "Parallel" } : {}),
                        selector: { matchLabels: selectorOf(o.component) },
                        template: podsOf(o.component, o.name, o.pod),
                        volumeClaimTemplates: [o.claim],
                    },
                },
                parent,
            );

        /** A stateless component; its ServiceAccount shares its name. */
        const deployment = (o: { name: string; component: string; replicas: number; pod: PodOpts }): k8s.apps.v1.Deployment =>
            new k8s.apps.v1.Deployment(
                o.name,
                {
                    metadata: { name: o.name, namespace: ns, labels: labelsOf(o.component) },
                    spec: {
                        replicas: o.replicas,
                        selector: { matchLabels: selectorOf(o.component) },
                        template: podsOf(o.component, o.name, o.pod),
                    },
                },
                parent,
            );

        const dnsSuffix = `${ns}.svc.${a.clusterDomain}`;

        // ---- store gateway ---------------------------------------------------------------------------------
        serviceAccount(names.store, "store", true);
        service(names.store, "store", ["grpc", "http"], true);
        statefulSet({
            name: names.store,
            component: "store",
            replicas: a.store.replicas,
            parallel: true,
            pod: {
                container: {
                    args: storeArgs("/var/thanos/store"),
                    resources: a.store.resources,
                    grpc: true,
                    volumeMounts: [...bucketMounts, { name: "data", mountPath: "/var/thanos/store" }],
                },
                volumes: bucketVolumes,
            },
            claim: dataClaim(a.store.storageSize, a.store.storageClassName),
        });
        pdb(names.store, "store");

        // ---- compactor -------------------------------------------------------------------------------------
        serviceAccount(names.compactor, "compactor", true);
        service(names.compactor, "compactor", ["http"], true);
        statefulSet({
            name: names.compactor,
            component: "compactor",
            // Exactly one: concurrent compactors on one bucket produce overlapping blocks and halt.
            replicas: 1,
            parallel: false,
            pod: {
                container: {
                    args: compactorArgs({
                        dataDir: "/var/thanos/compact",
                        retention: a.retention,
                        deleteDelay: THANOS_DEFAULTS.compactor.deleteDelay,
                        waitInterval: THANOS_DEFAULTS.compactor.waitInterval,
                    }),
                    resources: a.compactor.resources,
                    grpc: false,
                    volumeMounts: [...bucketMounts, { name: "data", mountPath: "/var/thanos/compact" }],
                },
                volumes: bucketVolumes,
            },
            claim: dataClaim(a.compactor.storageSize, a.compactor.storageClassName),
        });

        // ---- ruler (optional) ------------------------------------------------------------------------------
        if (a.ruler !== undefined) {
            const ruler = a.ruler;
            // Ruler replicas must be deduplicated by Query, so stamp them with a label Query already treats as one.
            const rulerReplicaLabel = a.query.replicaLabels.includes("replica")
                ? "replica"
                : (a.query.replicaLabels[0] ?? "replica");
            serviceAccount(names.ruler, "ruler", true);
            service(names.ruler, "ruler", ["grpc", "http"], true);
            new k8s.core.v1.ConfigMap(
                names.rules,
                { metadata: { name: names.rules, namespace: ns, labels: labelsOf("ruler") }, data: ruler.ruleFiles },
                parent,
            );
            // Thanos Ruler does not watch its rule files; a changed checksum rolls the pods instead.
            const rulesChecksum = createHash("sha256")
                .update(JSON.stringify(Object.entries(ruler.ruleFiles).sort(([x], [y]) => x.localeCompare(y))))
                .digest("hex");
            statefulSet({
                name: names.ruler,
                component: "ruler",
                replicas: ruler.replicas,
                parallel: true,
                pod: {
                    annotations: { "checksum/rules": rulesChecksum },
                    container: {
                        args: rulerArgs({
                            dataDir: "/var/thanos/rule",
                            ruleDir: "/etc/thanos/rules",
                            queryEndpoint: `dnssrv+_http._tcp.${names.query}.${dnsSuffix}`,
                            evalInterval: ruler.evalInterval,
                            tsdbRetention: THANOS_DEFAULTS.ruler.tsdbRetention,
                            alertmanagerUrls: ruler.alertmanagerUrls,
                            replicaLabel: rulerReplicaLabel,
                        }),
                        resources: ruler.resources,
                        grpc: true,
                        env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                        volumeMounts: [
                            ...bucketMounts,
                            { name: "data", mountPath: "/var/thanos/rule" },
                            { name: "rules", mountPath: "/etc/thanos/rules", readOnly: true },
                        ],
                    },
                    volumes: [...bucketVolumes, { name: "rules", configMap: { name: names.rules } }],
                },
                claim: dataClaim(ruler.storageSize, ruler.storageClassName),
            });
        }

        // ---- query -----------------------------------------------------------------------------------------
        const endpoints = [
            grpcSrvEndpoint(a.prometheus.governingServiceName, a.prometheus.namespace, a.clusterDomain),
            grpcSrvEndpoint(names.store, ns, a.clusterDomain),
            ...(a.ruler !== undefined ? [grpcSrvEndpoint(names.ruler, ns, a.clusterDomain)] : []),
        ];
        serviceAccount(names.query, "query", false);
        service(names.query, "query", ["http", "grpc"], false);
        deployment({
            name: names.query,
            component: "query",
            replicas: a.query.replicas,
            pod: { container: { args: queryArgs({ replicaLabels: a.query.replicaLabels, endpoints }), resources: a.query.resources, grpc: true } },
        });
        pdb(names.query, "query");

        // ---- query frontend --------------------------------------------------------------------------------
        serviceAccount(names.queryFrontend, "query-frontend", false);
        service(names.queryFrontend, "query-frontend", ["http"], false);
        deployment({
            name: names.queryFrontend,
            component: "query-frontend",
            replicas: a.queryFrontend.replicas,
            pod: {
                container: {
                    args: queryFrontendArgs({
                        downstreamUrl: `http://${names.query}.${dnsSuffix}:${HTTP_PORT}`,
                        splitInterval: a.queryFrontend.splitInterval,
                        cacheMaxSize: a.queryFrontend.cacheMaxSize,
                        cacheValidity: THANOS_DEFAULTS.queryFrontend.cacheValidity,
                    }),
                    resources: a.queryFrontend.resources,
                    grpc: false,
                },
            },
        });

        // ---- outputs ---------------------------------------------------------------------------------------
        this.queryUrl = pulumi.output(`http://${names.query}.${ns}.svc:${HTTP_PORT}`);
        this.queryFrontendUrl = pulumi.output(`http://${names.queryFrontend}.${ns}.svc:${HTTP_PORT}`);
        this.bucketName = storage.bucketName;
        this.roleArn = storage.roleArn;
        this.storageType = storage.storageType;
        this.rawRetention = pulumi.output(a.retention.raw);
        this.retention = pulumi.output({ ...a.retention });
        this.objstoreSecretName = pulumi.output(names.objstore);
        this.objstoreSecretKey = pulumi.output(OBJSTORE_SECRET_KEY);
        this.objstoreConfig = storage.objstoreYaml;
        this.prometheusThanosSpec = pulumi.output(
            prometheusThanosSpecPatch({ image: a.image, secretName: names.objstore, secretKey: OBJSTORE_SECRET_KEY }),
        );
        this.prometheusServiceAccountAnnotations = irsaAnnotations;

        this.registerOutputs({
            queryUrl: this.queryUrl,
            queryFrontendUrl: this.queryFrontendUrl,
            bucketName: this.bucketName,
            roleArn: this.roleArn,
            storageType: this.storageType,
            rawRetention: this.rawRetention,
            retention: this.retention,
            objstoreSecretName: this.objstoreSecretName,
            objstoreSecretKey: this.objstoreSecretKey,
            objstoreConfig: this.objstoreConfig,
            prometheusThanosSpec: this.prometheusThanosSpec,
            prometheusServiceAccountAnnotations: this.prometheusServiceAccountAnnotations,
        });
    }
}
