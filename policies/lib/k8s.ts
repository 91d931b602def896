/** Pure helpers over Kubernetes object props (inputs or outputs of kubernetes:* resources). */

export interface ContainerRef {
    /** e.g. spec.template.spec.containers[0] */
    path: string;
    container: Record<string, any>;
    /** Pod-level securityContext (for runAsNonRoot inheritance). */
    podSecurityContext: Record<string, any> | undefined;
}

/** Pod spec of a workload and the field path to it. */
export function podSpecOf(type: string, props: Record<string, any>): { path: string; spec: Record<string, any> } | undefined {
    const kind = type.split(":").pop();
    if (kind === "Pod") return props?.["spec"] ? { path: "spec", spec: props["spec"] } : undefined;
    if (kind === "CronJob") {
        const s = props?.["spec"]?.["jobTemplate"]?.["spec"]?.["template"]?.["spec"];
        return s ? { path: "spec.jobTemplate.spec.template.spec", spec: s } : undefined;
    }
    const s = props?.["spec"]?.["template"]?.["spec"];
    return s ? { path: "spec.template.spec", spec: s } : undefined;
}

/** All containers and initContainers of a workload. */
export function containersOf(type: string, props: Record<string, any>): ContainerRef[] {
    const pod = podSpecOf(type, props);
    if (!pod) return [];
    const out: ContainerRef[] = [];
    for (const key of ["initContainers", "containers"]) {
        const list = pod.spec[key];
        if (!Array.isArray(list)) continue;
        list.forEach((c: Record<string, any>, i: number) => {
            out.push({ path: `${pod.path}.${key}[${i}]`, container: c ?? {}, podSecurityContext: pod.spec["securityContext"] });
        });
    }
    return out;
}

export function containerLabel(c: ContainerRef): string {
    return `container '${c.container["name"] ?? "?"}' (${c.path})`;
}

/** Security-context problems of one container: each { field, problem, fix }. */
export function securityProblems(c: ContainerRef): { field: string; problem: string; fix: string }[] {
    const sc: Record<string, any> = c.container["securityContext"] ?? {};
    const psc: Record<string, any> = c.podSecurityContext ?? {};
    const f = (k: string) => `${c.path}.securityContext.${k}`;
    const out: { field: string; problem: string; fix: string }[] = [];
    const runAsNonRoot = sc["runAsNonRoot"] ?? psc["runAsNonRoot"];
    const runAsUser = sc["runAsUser"] ?? psc["runAsUser"];
    if (runAsNonRoot !== true) {
        out.push({
            field: f("runAsNonRoot"),
            problem: "may run as root (runAsNonRoot is not true)",
            fix: "set securityContext.runAsNonRoot: true (container or pod level) and a non-zero runAsUser",
        });
    }
    if (runAsUser === 0) {
        out.push({ field: f("runAsUser"), problem: "runs as UID 0 (root)", fix: "set runAsUser to a non-zero UID, e.g. 65532" });
    }
    if (sc["readOnlyRootFilesystem"] !== true) {
        out.push({
            field: f("readOnlyRootFilesystem"),
            problem: "root filesystem is writable",
            fix: "set readOnlyRootFilesystem: true and mount an emptyDir for scratch paths",
        });
    }
    if (sc["allowPrivilegeEscalation"] !== false) {
        out.push({
            field: f("allowPrivilegeEscalation"),
            problem: "privilege escalation is not disabled",
            fix: "set allowPrivilegeEscalation: false",
        });
    }
    if (sc["privileged"] === true) {
        out.push({ field: f("privileged"), problem: "container is privileged", fix: "remove privileged: true" });
    }
    const drop: unknown = sc["capabilities"]?.["drop"];
    if (!Array.isArray(drop) || !drop.some((d) => String(d).toUpperCase() === "ALL")) {
        out.push({
            field: f("capabilities.drop"),
            problem: "capabilities are not all dropped",
            fix: 'set capabilities.drop: ["ALL"] (add back only what is needed)',
        });
    }
    return out;
}

/** Missing resource limits of one container. */
export function missingLimits(c: ContainerRef, required: readonly string[] = ["cpu", "memory"]): string[] {
    const limits: Record<string, unknown> = c.container["resources"]?.["limits"] ?? {};
    return required.filter((k) => limits[k] === undefined || limits[k] === null || limits[k] === "");
}

export interface ImageCheck {
    ok: boolean;
    problem?: string;
    fix?: string;
}

/** An image reference must carry a non-latest tag or a digest; a digest when `requireDigest`. */
export function checkImage(image: unknown, requireDigest: boolean): ImageCheck {
    if (typeof image !== "string" || image.trim() === "") {
        return { ok: false, problem: "image is missing", fix: "set an image reference pinned by digest (repo/name@sha256:<digest>)" };
    }
    const at = image.indexOf("@");
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const nameTag = at >= 0 ? image.slice(0, at) : image;
    const lastSlash = nameTag.lastIndexOf("/");
    const colon = nameTag.indexOf(":", lastSlash + 1);
    const tag = colon >= 0 ? nameTag.slice(colon + 1) : undefined;
    if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
        return { ok: false, problem: `image '${image}' has a malformed digest`, fix: "use @sha256:<64 hex digits>" };
    }
    if (digest === undefined) {
        if (tag === undefined) {
            return {
                ok: false,
                problem: `image '${image}' has no tag (implicitly 'latest')`,
                fix: requireDigest ? "pin the image by digest: name@sha256:<digest>" : "pin an immutable version tag or a digest",
            };
        }
        if (tag.toLowerCase() === "latest") {
            return {
                ok: false,
                problem: `image '${image}' uses the mutable tag 'latest'`,
                fix: requireDigest ? "pin the image by digest: name@sha256:<digest>" : "pin an immutable version tag or a digest",
            };
        }
        if (requireDigest) {
            return {
                ok: false,
                problem: `image '${image}' is pinned by tag only, a digest is required here`,
                fix: `use '${nameTag}@sha256:<digest>'`,
            };
        }
    }
    return { ok: true };
}

/** Normalises an Istio host to an FQDN using the resource's namespace for short names. */
export function normalizeHost(host: string, namespace: string | undefined): string {
    const h = host.trim().toLowerCase().replace(/\.$/, "");
    const ns = (namespace ?? "default").toLowerCase();
    if (h.includes("*")) return h;
    const parts = h.split(".");
    if (parts.length === 1) return `${h}.${ns}.svc.cluster.local`;
    if (parts.length === 2) return `${h}.svc.cluster.local`;
    if (parts.length === 3 && parts[2] === "svc") return `${h}.cluster.local`;
    return h;
}

export interface RouteDestination {
    host: string;
    subset?: string;
    path: string;
}

/** Destinations (route and mirror) of a VirtualService spec. */
export function destinationsOf(spec: Record<string, any> | undefined): RouteDestination[] {
    const out: RouteDestination[] = [];
    if (!spec) return out;
    for (const proto of ["http", "tcp", "tls"]) {
        const routes = spec[proto];
        if (!Array.isArray(routes)) continue;
        routes.forEach((r: Record<string, any>, i: number) => {
            const dests = r?.["route"];
            if (Array.isArray(dests)) {
                dests.forEach((d: Record<string, any>, j: number) => {
                    const dest = d?.["destination"];
                    if (dest && typeof dest["host"] === "string") {
                        const rd: RouteDestination = { host: dest["host"], path: `spec.${proto}[${i}].route[${j}].destination` };
                        if (typeof dest["subset"] === "string") rd.subset = dest["subset"];
                        out.push(rd);
                    }
                });
            }
            const mirror = r?.["mirror"];
            if (mirror && typeof mirror["host"] === "string") {
                const rd: RouteDestination = { host: mirror["host"], path: `spec.${proto}[${i}].mirror` };
                if (typeof mirror["subset"] === "string") rd.subset = mirror["subset"];
                out.push(rd);
            }
        });
    }
    return out;
}
