/**
 * Every default of the Thanos component lives here, so a reviewer can see the whole out-of-the-box shape in one
 * file and the schema, the spec builders and the docs cannot drift apart.
 */
/** Pinned so an upstream retag can never change what runs; bump deliberately. */
export const DEFAULT_THANOS_IMAGE = "quay.io/thanos/thanos:v0.36.1";

/** Thanos' conventional ports; the sidecar the prometheus-operator injects uses the same ones. */
export const HTTP_PORT = 10902;
export const GRPC_PORT = 10901;

/** Key of the objstore configuration inside its Secret or ConfigMap, as Thanos and the prometheus-operator docs name it. */
export const OBJSTORE_KEY = "objstore.yml";

/** Where workloads (and the Prometheus sidecar, for a ConfigMap) mount the objstore Secret or ConfigMap. */
export const OBJSTORE_MOUNT_DIR = "/etc/thanos/objstore";

/**
 * Thanos downsamples raw blocks to 5m once they are 40h old, and 5m blocks to 1h once they are 10 days old.
 * Retention shorter than these delays deletes the source before the downsampled copy exists.
 */
export const DOWNSAMPLING_DELAYS = {
    rawTo5m: "40h",
    fiveMinutesTo1h: "10d",
} as const;

export const THANOS_DEFAULTS = {
    image: DEFAULT_THANOS_IMAGE,
    /** Headless Service the prometheus-operator creates for Prometheus pods; the sidecars' gRPC is found through it. */
    prometheusGoverningService: "prometheus-operated",
    clusterDomain: "cluster.local",
    logLevel: "info",
    retention: {
        /** Comfortably above a 30-day SLO window plus block-length slack. */
        raw: "45d",
        fiveMinutes: "180d",
        oneHour: "400d",
    },
    query: {
        replicas: 2,
        replicaLabels: ["prometheus_replica", "replica"],
        resources: { cpuRequest: "200m", memoryRequest: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" },
    },
    queryFrontend: {
        replicas: 2,
        splitInterval: "24h",
        cacheMaxSize: "512MB",
        cacheValidity: "0s",
        resources: { cpuRequest: "100m", memoryRequest: "256Mi", cpuLimit: "500m", memoryLimit: "768Mi" },
    },
    store: {
        replicas: 2,
        storageSize: "10Gi",
        resources: { cpuRequest: "200m", memoryRequest: "1Gi", cpuLimit: "1", memoryLimit: "2Gi" },
    },
    compactor: {
        storageSize: "50Gi",
        /** Keeps deleted blocks readable for stores that have not yet synced the deletion. */
        deleteDelay: "48h",
        waitInterval: "5m",
        resources: { cpuRequest: "200m", memoryRequest: "1Gi", cpuLimit: "1", memoryLimit: "2Gi" },
    },
    ruler: {
        replicas: 1,
        evalInterval: "30s",
        storageSize: "5Gi",
        /** Local TSDB only buffers until upload; the bucket is the long-term store. */
        tsdbRetention: "24h",
        resources: { cpuRequest: "100m", memoryRequest: "256Mi", cpuLimit: "500m", memoryLimit: "512Mi" },
    },
    aws: {
        bucketNamePrefix: "thanos",
        sseAlgorithm: "AES256",
        abortIncompleteMultipartUploadDays: 1,
        forceDestroy: false,
    },
    filesystem: {
        directory: "/var/thanos/bucket",
    },
} as const;
