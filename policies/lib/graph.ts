/** Helpers over the resource graph seen by stack policies. */
import type { PolicyResource } from "@pulumi/policy";

export function parentUrn(r: PolicyResource): string | undefined {
    return r.parent?.urn ?? r.opts?.parent ?? undefined;
}

/** Ancestors of a resource, nearest first (by parent object or opts.parent URN). */
export function ancestors(r: PolicyResource, byUrn: ReadonlyMap<string, PolicyResource>): PolicyResource[] {
    const out: PolicyResource[] = [];
    const seen = new Set<string>([r.urn]);
    let p = parentUrn(r);
    while (p && !seen.has(p)) {
        seen.add(p);
        const pr = byUrn.get(p);
        if (!pr) break;
        out.push(pr);
        p = parentUrn(pr);
    }
    return out;
}

export function indexByUrn(resources: readonly PolicyResource[]): Map<string, PolicyResource> {
    return new Map(resources.map((r) => [r.urn, r]));
}

/** Descendants (children, grandchildren …) of `root`. */
export function descendants(
    root: PolicyResource,
    resources: readonly PolicyResource[],
    byUrn: ReadonlyMap<string, PolicyResource>,
): PolicyResource[] {
    return resources.filter((r) => r.urn !== root.urn && ancestors(r, byUrn).some((a) => a.urn === root.urn));
}

export function k8sName(r: PolicyResource): string {
    const n = r.props?.["metadata"]?.["name"];
    return typeof n === "string" ? n : r.name;
}

export function k8sNamespace(r: PolicyResource): string | undefined {
    const n = r.props?.["metadata"]?.["namespace"];
    return typeof n === "string" && n.length > 0 ? n : undefined;
}
