/** Reading the manifests the Kubernetes provider rendered (render-to-YAML mode) back as objects. */
import { parseAllDocuments } from "yaml";
import { readRendered } from "./engine";

export interface RenderedObject {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
    spec?: {
        replicas?: number;
        http?: Array<{ name?: string; route?: Array<{ destination?: { subset?: string }; weight?: number }> }>;
    };
    /** A ConfigMap's data. */
    data?: Record<string, string>;
}

/** Every object rendered under `dir`. */
export function renderedObjects(dir: string): RenderedObject[] {
    const out: RenderedObject[] = [];
    for (const text of readRendered(dir).values()) {
        for (const doc of parseAllDocuments(text)) {
            const obj = doc.toJS() as RenderedObject | null;
            if (obj?.kind) out.push(obj);
        }
    }
    return out;
}

/** The kinds rendered under `dir`. */
export function renderedKinds(dir: string): Set<string> {
    return new Set(renderedObjects(dir).map((o) => o.kind ?? ""));
}

/** Subset → weight of the weighted (last) route of a service's VirtualService; a route without weight is 100. */
export function splitWeights(dir: string, service: string): Record<string, number> {
    const vs = renderedObjects(dir).find((o) => o.kind === "VirtualService" && o.metadata?.name === service);
    if (!vs) throw new Error(`no VirtualService ${service} rendered under ${dir}`);
    const weights: Record<string, number> = {};
    for (const r of vs.spec?.http?.at(-1)?.route ?? []) weights[r.destination?.subset ?? "?"] = r.weight ?? 100;
    return weights;
}

/** `spec.replicas` of a rendered Deployment. */
export function deploymentReplicas(dir: string, name: string): number | undefined {
    return renderedObjects(dir).find((o) => o.kind === "Deployment" && o.metadata?.name === name)?.spec?.replicas;
}

/** One entry of a rendered ConfigMap's data (e.g. the flag file `flags.flagd.json` of FeatureFlags). */
export function configMapEntry(dir: string, namespace: string, name: string, key: string): string {
    const cm = renderedObjects(dir).find((o) => o.kind === "ConfigMap" && o.metadata?.name === name && o.metadata?.namespace === namespace);
    if (!cm) throw new Error(`no ConfigMap ${namespace}/${name} rendered under ${dir}`);
    const value = cm.data?.[key];
    if (value === undefined) throw new Error(`ConfigMap ${namespace}/${name} has no key ${key} (keys: ${Object.keys(cm.data ?? {}).join(", ")})`);
    return value;
}
