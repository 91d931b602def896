/**
 * The Thanos component: long-term storage and a global query layer for the Prometheus that watches canaries, so
 * 7- and 28-day SLO windows can be evaluated at all (Prometheus itself keeps only days of data).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError, parseArgs } from "../common";
import { type ParsedInputArgs, parseInputArgs } from "../common/inputs";
import { type PlainThanosArgs, type ResolvedThanosArgs, type ThanosArgs, thanosArgsSchema, thanosInputFields } from "./args";
import {
    bucketExpiryProblems,
    type ObjstoreConfigRef,
    type PrometheusThanosSpecPatch,
    prometheusThanosSpecPatch,
    type Retention,
    retentionProblems,
} from "./config";
import { bucketUsers, buildThanosObjects, objstoreConfigRef, type ThanosObject, thanosUrls } from "./manifests";
import { type StorageType, ThanosObjectStorage } from "./storage";

export { STORAGE_TYPE_LABEL } from "./manifests";

/** Annotation IRSA reads to decide which role a ServiceAccount's pods assume. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/** Validates plain `args` (and `name`, which prefixes every Kubernetes name) without creating anything. */
export function validateThanosArgs(name: string, args: PlainThanosArgs): ResolvedThanosArgs {
    const subject = checkName(name);
    return checkRetention(subject, parseArgs(subject, thanosArgsSchema, args));
}

/**
 * {@link validateThanosArgs} for the component's args: the plain values checked now, the Inputs of
 * {@link thanosInputFields} when they resolve (see `parseInputArgs`).
 */
export function parseThanosArgs(name: string, args: ThanosArgs): ParsedInputArgs<ResolvedThanosArgs> {
    const subject = checkName(name);
    const parsed = parseInputArgs(subject, thanosArgsSchema, args, thanosInputFields);
    // No Input is part of the retention or the storage, so the stand-ins cannot change this check.
    checkRetention(subject, parsed.shape);
    return parsed;
}

function checkName(name: string): string {
    const subject = `Thanos "${name}"`;
    // Longest suffix is "-query-frontend" (15 chars); Kubernetes names are DNS labels of at most 63.
    if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
        throw new InvalidArgsError(subject, [{ path: "name", value: name, message: "expected a DNS-1123 label of at most 40 characters" }]);
    }
    return subject;
}

function checkRetention(subject: string, parsed: ResolvedThanosArgs): ResolvedThanosArgs {
    const problems = [
        ...retentionProblems(parsed.retention, parsed.longestSloWindow),
        ...(parsed.storage.type === "aws" ? bucketExpiryProblems(parsed.storage.expireAfterDays, parsed.retention) : []),
    ];
    if (problems.length > 0) throw new InvalidArgsError(subject, problems);
    return parsed;
}

/**
 * Thanos Store, Query, Query Frontend, Compactor and optionally Ruler, plus the sidecar's objstore Secret (a
 * ConfigMap for `filesystem` storage).
 */
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
    /**
     * The Secret, or for `filesystem` storage the ConfigMap, holding `objstore.yml` (one of that name in the
     * Prometheus namespace and in the Thanos namespace), and its key.
     */
    public readonly objstoreConfigRef: pulumi.Output<ObjstoreConfigRef>;
    /**
     * The `objstore.yml` contents, a secret output except for `filesystem` storage (it carries the access keys for
     * `existing` storage); for wiring a sidecar the component does not manage, e.g. in another cluster.
     */
    public readonly objstoreConfig: pulumi.Output<string>;
    /**
     * Fragment to merge into the `Prometheus` resource's `spec` to enable the sidecar with this storage: the Secret
     * through `thanos.objectStorageConfig`, or the ConfigMap as a volume (`volumes`, to append to your own) that
     * `thanos.volumeMounts` mounts for `thanos.objectStorageConfigFile`.
     */
    public readonly prometheusThanosSpec: pulumi.Output<PrometheusThanosSpecPatch>;
    /** Annotations the Prometheus ServiceAccount needs (the IRSA role for `aws`, otherwise none). */
    public readonly prometheusServiceAccountAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ThanosArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate first: a rejected configuration must leave nothing half-created. `a` (stand-ins for pending
        // Inputs) decides which objects exist; what they hold is built from `resolved`.
        const { resolved, shape: a } = parseThanosArgs(name, args);
        super("gray-release:index:Thanos", name, {}, opts);
        const parent = { parent: this };

        const storage = new ThanosObjectStorage(name, { storage: a.storage, serviceAccounts: bucketUsers(name, a) }, parent);
        const irsaAnnotations: pulumi.Output<Record<string, string>> = storage.roleArn.apply(
            (arn): Record<string, string> => (arn !== undefined ? { [IRSA_ROLE_ANNOTATION]: arn } : {}),
        );
        const values = { objstoreYaml: storage.objstoreYaml, bucketUserAnnotations: irsaAnnotations };
        const built = resolved.apply((r) => buildThanosObjects(name, r, values));
        buildThanosObjects(name, a, values).forEach((o, i) => {
            create(
                withArgs(
                    o,
                    built.apply((objects) => argsOf(objects, i, o)),
                ),
                parent,
            );
        });

        const urls = thanosUrls(name, a);
        const objstore = objstoreConfigRef(name, a);
        // ---- outputs ---------------------------------------------------------------------------------------
        this.queryUrl = pulumi.output(urls.query);
        this.queryFrontendUrl = pulumi.output(urls.queryFrontend);
        this.bucketName = storage.bucketName;
        this.roleArn = storage.roleArn;
        this.storageType = storage.storageType;
        this.rawRetention = pulumi.output(a.retention.raw);
        this.retention = pulumi.output({ ...a.retention });
        this.objstoreConfigRef = pulumi.output(objstore);
        this.objstoreConfig = storage.objstoreYaml;
        this.prometheusThanosSpec = pulumi.output(prometheusThanosSpecPatch({ image: a.image, objstore }));
        this.prometheusServiceAccountAnnotations = irsaAnnotations;

        this.registerOutputs({
            queryUrl: this.queryUrl,
            queryFrontendUrl: this.queryFrontendUrl,
            bucketName: this.bucketName,
            roleArn: this.roleArn,
            storageType: this.storageType,
            rawRetention: this.rawRetention,
            retention: this.retention,
            objstoreConfigRef: this.objstoreConfigRef,
            objstoreConfig: this.objstoreConfig,
            prometheusThanosSpec: this.prometheusThanosSpec,
            prometheusServiceAccountAnnotations: this.prometheusServiceAccountAnnotations,
        });
    }
}

/** The args of object `i` once the Inputs resolved; the object set depends on no Input, so it is the same. */
function argsOf(objects: ThanosObject[], i: number, expected: ThanosObject): ThanosObject["args"] {
    const o = objects[i];
    if (o === undefined || o.kind !== expected.kind || o.name !== expected.name)
        throw new Error(`Thanos object ${expected.name} is missing once the Inputs resolved`);
    return o.args;
}

/** `o` with each field of its args taken from `args` (the same kind's args, once the Inputs resolved). */
function withArgs(o: ThanosObject, args: pulumi.Output<ThanosObject["args"]>): ThanosObject {
    const fields = Object.keys(o.args).map((key) => [key, args.apply((a) => (a as Record<string, unknown>)[key])]);
    return { ...o, args: Object.fromEntries(fields) } as ThanosObject;
}

/** Registers one built object as a Kubernetes resource. */
function create(o: ThanosObject, opts: pulumi.CustomResourceOptions): void {
    switch (o.kind) {
        case "Secret":
            new k8s.core.v1.Secret(o.name, o.args, opts);
            break;
        case "ServiceAccount":
            new k8s.core.v1.ServiceAccount(o.name, o.args, opts);
            break;
        case "Service":
            new k8s.core.v1.Service(o.name, o.args, opts);
            break;
        case "ConfigMap":
            new k8s.core.v1.ConfigMap(o.name, o.args, opts);
            break;
        case "StatefulSet":
            new k8s.apps.v1.StatefulSet(o.name, o.args, opts);
            break;
        case "Deployment":
            new k8s.apps.v1.Deployment(o.name, o.args, opts);
            break;
        case "PodDisruptionBudget":
            new k8s.policy.v1.PodDisruptionBudget(o.name, o.args, opts);
            break;
    }
}
