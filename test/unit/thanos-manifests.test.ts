import { strict as assert } from "node:assert";
import {
    bucketUsers,
    buildThanosObjects,
    objstoreConfigKind,
    objstoreConfigRef,
    type PlainThanosArgs,
    ruleFilesChecksum,
    rulerReplicaLabel,
    type ThanosObject,
    thanosUrls,
    validateThanosArgs,
} from "../../components/thanos";

const RULES = "groups:\n  - name: slo\n    rules:\n      - record: x\n        expr: vector(1)\n";
const RULER = { ruler: { ruleFiles: { "slo.yaml": RULES } } };
const EXISTING = { type: "existing", bucket: "b-1", endpoint: "minio:9000", region: "x", accessKey: "a", secretKey: "s" } as const;
const values = { objstoreYaml: "type: FILESYSTEM", bucketUserAnnotations: { "eks.amazonaws.com/role-arn": "arn:role" } };

function resolve(extra: Partial<PlainThanosArgs> = {}) {
    return validateThanosArgs("thanos", {
        namespace: "thanos",
        prometheus: { namespace: "monitoring", serviceAccountName: "prometheus-k8s" },
        storage: { type: "filesystem" },
        longestSloWindow: "30d",
        ...extra,
    });
}

const summary = (objects: ThanosObject[]) => objects.map((o) => `${o.kind} ${o.name}`);
function find<K extends ThanosObject["kind"]>(objects: ThanosObject[], kind: K, name: string): Extract<ThanosObject, { kind: K }> {
    const o = objects.find((x) => x.kind === kind && x.name === name);
    assert.ok(o, `${kind} ${name} built; got ${summary(objects).join(", ")}`);
    return o as Extract<ThanosObject, { kind: K }>;
}
// The builders' arguments are plain values here (no outputs were passed in), so they can be read directly.
const plain = <T>(value: unknown): T => value as T;
type PodSpec = { volumes: Array<Record<string, unknown>>; containers: Array<{ args: string[] }> };
const podSpecOf = (o: ThanosObject) =>
    plain<{ spec: { template: { spec: PodSpec; metadata: { annotations: Record<string, string> } } } }>(o.args).spec.template;

describe("Thanos builders", () => {
    it("build every object in creation order, one objstore ConfigMap (filesystem) or Secret per namespace", () => {
        assert.deepEqual(summary(buildThanosObjects("thanos", resolve(), values)), [
            "ConfigMap thanos-objstore-monitoring",
            "ConfigMap thanos-objstore",
            "ServiceAccount thanos-store",
            "Service thanos-store",
            "StatefulSet thanos-store",
            "PodDisruptionBudget thanos-store",
            "ServiceAccount thanos-compactor",
            "Service thanos-compactor",
            "StatefulSet thanos-compactor",
            "ServiceAccount thanos-query",
            "Service thanos-query",
            "Deployment thanos-query",
            "PodDisruptionBudget thanos-query",
            "ServiceAccount thanos-query-frontend",
            "Service thanos-query-frontend",
            "Deployment thanos-query-frontend",
        ]);
        const objstores = (extra: Partial<PlainThanosArgs>) =>
            summary(buildThanosObjects("thanos", resolve(extra), values).filter((o) => o.name.startsWith("thanos-objstore")));
        assert.deepEqual(objstores({ namespace: "monitoring" }), ["ConfigMap thanos-objstore"]);
        assert.deepEqual(objstores({ storage: EXISTING }), ["Secret thanos-objstore-monitoring", "Secret thanos-objstore"]);
    });

    it("hold objstore.yml in a ConfigMap only for filesystem storage, whose config holds no credential", () => {
        assert.deepEqual(objstoreConfigRef("thanos", resolve()), { kind: "ConfigMap", name: "thanos-objstore", key: "objstore.yml" });
        assert.deepEqual(objstoreConfigRef("thanos", resolve({ storage: EXISTING })), {
            kind: "Secret",
            name: "thanos-objstore",
            key: "objstore.yml",
        });
        assert.equal(objstoreConfigKind("aws"), "Secret");
    });

    it("point every bucket user at that ConfigMap or Secret, read through --objstore.config-file", () => {
        const cases: Array<[Partial<PlainThanosArgs>, Record<string, unknown>]> = [
            [{}, { configMap: { name: "thanos-objstore" } }],
            [{ storage: EXISTING }, { secret: { secretName: "thanos-objstore" } }],
        ];
        for (const [extra, source] of cases) {
            const objects = buildThanosObjects("thanos", resolve({ ...RULER, ...extra }), values);
            for (const user of ["thanos-store", "thanos-compactor", "thanos-ruler"]) {
                const pod = podSpecOf(find(objects, "StatefulSet", user)).spec;
                assert.deepEqual(pod.volumes[0], { name: "objstore", ...source }, user);
                assert.ok(pod.containers[0]?.args.includes("--objstore.config-file=/etc/thanos/objstore/objstore.yml"), user);
            }
        }
    });

    it("place the deployment-time values unchanged: objstore.yml in the ConfigMaps or Secrets, IRSA annotations on bucket users only", () => {
        const objects = buildThanosObjects("thanos", resolve(RULER), values);
        for (const name of ["thanos-objstore", "thanos-objstore-monitoring"])
            assert.deepEqual(plain<{ data: unknown }>(find(objects, "ConfigMap", name).args).data, { "objstore.yml": "type: FILESYSTEM" });
        const s3 = buildThanosObjects("thanos", resolve({ storage: EXISTING }), values);
        assert.deepEqual(plain<{ stringData: unknown }>(find(s3, "Secret", "thanos-objstore").args).stringData, {
            "objstore.yml": "type: FILESYSTEM",
        });
        const annotations = (name: string) =>
            plain<{ metadata: { annotations: unknown } }>(find(objects, "ServiceAccount", name).args).metadata.annotations;
        for (const user of ["thanos-store", "thanos-compactor", "thanos-ruler"])
            assert.deepEqual(annotations(user), values.bucketUserAnnotations, user);
        for (const other of ["thanos-query", "thanos-query-frontend"]) assert.deepEqual(annotations(other), {}, other);
    });

    it("mount a filesystem bucket from the claim when one is named, from an emptyDir otherwise", () => {
        const volumes = (extra: Partial<PlainThanosArgs>) =>
            podSpecOf(find(buildThanosObjects("thanos", resolve(extra), values), "StatefulSet", "thanos-store")).spec.volumes;
        assert.deepEqual(volumes({ storage: { type: "filesystem", persistentVolumeClaimName: "bucket" } })[1], {
            name: "bucket",
            persistentVolumeClaim: { claimName: "bucket" },
        });
        assert.deepEqual(volumes({})[1], { name: "bucket", emptyDir: {} });
        assert.equal(volumes({ storage: EXISTING }).length, 1);
    });

    it("add the Ruler with its rules ConfigMap, a rules checksum, and make Query fan out to it", () => {
        const a = resolve({ ruler: { ruleFiles: { "slo.yaml": RULES } } });
        const objects = buildThanosObjects("thanos", a, values);
        assert.deepEqual(plain<{ data: unknown }>(find(objects, "ConfigMap", "thanos-rules").args).data, { "slo.yaml": RULES });
        const template = podSpecOf(find(objects, "StatefulSet", "thanos-ruler"));
        assert.equal(template.metadata.annotations["checksum/rules"], ruleFilesChecksum({ "slo.yaml": RULES }));
        const queryArgs = podSpecOf(find(objects, "Deployment", "thanos-query")).spec.containers[0]?.args ?? [];
        assert.ok(queryArgs.includes("--endpoint=dnssrv+_grpc._tcp.thanos-ruler.thanos.svc.cluster.local"), queryArgs.join(" "));
        assert.deepEqual(
            bucketUsers("thanos", a).map((u) => `${u.namespace}/${u.name}`),
            ["monitoring/prometheus-k8s", "thanos/thanos-store", "thanos/thanos-compactor", "thanos/thanos-ruler"],
        );
    });

    it("checksum rule files independently of key order, and change it with their content", () => {
        assert.equal(ruleFilesChecksum({ a: "1", b: "2" }), ruleFilesChecksum({ b: "2", a: "1" }));
        assert.notEqual(ruleFilesChecksum({ a: "1" }), ruleFilesChecksum({ a: "2" }));
    });

    it("stamp Ruler replicas with a label Query already deduplicates by", () => {
        assert.equal(rulerReplicaLabel(resolve()), "replica");
        assert.equal(rulerReplicaLabel(resolve({ query: { replicaLabels: ["cluster_replica"] } })), "cluster_replica");
        assert.equal(rulerReplicaLabel(resolve({ query: { replicaLabels: [] } })), "replica");
    });

    it("derive the in-cluster URLs from name and namespace", () => {
        assert.deepEqual(thanosUrls("lt", resolve()), {
            query: "http://lt-query.thanos.svc:10902",
            queryFrontend: "http://lt-query-frontend.thanos.svc:10902",
        });
    });
});

describe("Thanos args schema", () => {
    it("fills nested defaults from an empty object", () => {
        const a = resolve();
        assert.deepEqual(a.retention, { raw: "45d", fiveMinutes: "180d", oneHour: "400d" });
        assert.equal(a.query.replicas, 2);
        assert.equal(a.queryFrontend.splitInterval, "24h");
        assert.equal(a.store.storageSize, "10Gi");
        assert.equal(a.compactor.storageSize, "50Gi");
        assert.deepEqual(a.labels, {});
    });

    it("refuses labels Kubernetes would refuse, naming key and value", () => {
        assert.throws(() => resolve({ labels: { team: "obs team" } }), /labels\.team = "obs team": must be a label value/);
        assert.throws(() => resolve({ retention: { raw: "a month" } }), /retention\.raw = "a month": must be a duration/);
    });
});
