/**
 * Routes that lead somewhere: every lane of the stack is routed by every service of the stack (a service without the
 * lane's route would send lane traffic through its weighted split, to a canary that is not in the lane), and no route
 * of a VirtualService leads to a subset whose Deployments are all scaled to zero (a lane, opt-in or weighted route to
 * a canary without pods: requests fail with 503 "no healthy upstream").
 */
import type { PolicyResource } from "@pulumi/policy";
import { laneRouteName } from "../components/canary-routing/lanes";
import { type Rule, violation } from "./config";
import { isDestinationRule, isVirtualService, T } from "./contracts";
import { k8sName, k8sNamespace } from "./lib/graph";
import { normalizeHost } from "./lib/k8s";

const r = (x: { name: string; urn: string }) => ({ name: x.name, urn: x.urn });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const LANE_PREFIX = laneRouteName("");
const MANAGED_BY = "app.kubernetes.io/managed-by";

/** The lanes a VirtualService routes (its HTTP routes named `lane-<lane>`). */
export function lanesOf(vs: PolicyResource): string[] {
    const http = vs.props?.["spec"]?.["http"];
    if (!Array.isArray(http)) return [];
    return http.flatMap((route) => {
        const name = isObject(route) ? route["name"] : undefined;
        return typeof name === "string" && name.startsWith(LANE_PREFIX) ? [name.slice(LANE_PREFIX.length)] : [];
    });
}

export const lanesOnEveryService: Rule<Record<string, never>> = {
    kind: "stack",
    name: "lanes-on-every-service",
    description:
        "Every lane routed in the stack is routed by every gray-release VirtualService of the stack (to the canary when it serves the lane, stable otherwise), so a request in a lane never falls into another service's weighted split.",
    severity: "high",
    defaults: {},
    validate(args, _ctx, report) {
        const services = args.resources.filter(
            (res) => isVirtualService(res.type) && (res.props?.["metadata"]?.["labels"]?.[MANAGED_BY] === "gray-release" || lanesOf(res).length > 0),
        );
        const all = [...new Set(services.flatMap(lanesOf))].sort();
        for (const vs of services) {
            const has = new Set(lanesOf(vs));
            const missing = all.filter((lane) => !has.has(lane));
            if (missing.length === 0) continue;
            const who = services.filter((other) => missing.some((lane) => lanesOf(other).includes(lane))).map(k8sName);
            report(
                violation({
                    problem: `VirtualService ${k8sName(vs)} has no route for lane ${missing.map((l) => `'${l}'`).join(", ")}, which ${[...new Set(who)].join(", ")} route: requests in the lane would take its weighted split`,
                    resource: r(vs),
                    field: "spec.http",
                    fix: "give every service of the stack the stack's lanes (gray-release:lanes; CanaryRouting lanes.definitions), with lanes.canaryIn naming those its canary serves",
                }),
                { urn: vs.urn },
            );
        }
    },
};

/** Replicas a Deployment asks for: `spec.replicas`, 1 when absent (Kubernetes' default; an autoscaler sets it later). */
function replicasOf(deployment: PolicyResource): number {
    const replicas = deployment.props?.["spec"]?.["replicas"];
    return typeof replicas === "number" ? replicas : 1;
}

function podLabelsOf(deployment: PolicyResource): Record<string, unknown> {
    const labels = deployment.props?.["spec"]?.["template"]?.["metadata"]?.["labels"];
    return isObject(labels) ? labels : {};
}

const selects = (selector: Record<string, unknown>, labels: Record<string, unknown>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

export const routesReachPods: Rule<Record<string, never>> = {
    kind: "stack",
    name: "routes-reach-pods",
    description:
        "No VirtualService route (lane, opt-in, path or weighted share) leads to a subset whose Deployments in the stack are all scaled to zero: every request routed to a version must find a pod of it.",
    severity: "critical",
    defaults: {},
    validate(args, _ctx, report) {
        const services = new Map<string, Record<string, unknown>>();
        for (const svc of args.resources.filter((x) => x.type === T.service)) {
            const selector = svc.props?.["spec"]?.["selector"];
            if (isObject(selector)) services.set(normalizeHost(k8sName(svc), k8sNamespace(svc)), selector);
        }
        const subsets = new Map<string, Record<string, unknown>>();
        for (const dr of args.resources.filter((x) => isDestinationRule(x.type))) {
            const host = dr.props?.["spec"]?.["host"];
            const list = dr.props?.["spec"]?.["subsets"];
            if (typeof host !== "string" || !Array.isArray(list)) continue;
            for (const s of list)
                if (isObject(s) && typeof s["name"] === "string" && isObject(s["labels"]))
                    subsets.set(`${normalizeHost(host, k8sNamespace(dr))}#${s["name"]}`, s["labels"]);
        }
        const deployments = args.resources.filter((x) => x.type === T.deployment);
        for (const vs of args.resources.filter((x) => isVirtualService(x.type))) {
            const http = vs.props?.["spec"]?.["http"];
            if (!Array.isArray(http)) continue;
            http.forEach((route: unknown, i: number) => {
                if (!isObject(route) || !Array.isArray(route["route"])) return;
                const dests = route["route"].filter(isObject);
                dests.forEach((d, j) => {
                    const dest = isObject(d["destination"]) ? d["destination"] : {};
                    // A share of 0 in a split carries nothing (Envoy drops it); a lone destination carries its route.
                    if (dests.length > 1 && !(typeof d["weight"] === "number" && d["weight"] > 0)) return;
                    if (typeof dest["host"] !== "string" || typeof dest["subset"] !== "string") return;
                    const host = normalizeHost(dest["host"], k8sNamespace(vs));
                    const selector = services.get(host);
                    const subset = subsets.get(`${host}#${dest["subset"]}`);
                    if (selector === undefined || subset === undefined) return;
                    const namespace = host.split(".")[1];
                    const pods = deployments.filter(
                        (dep) => k8sNamespace(dep) === namespace && selects({ ...selector, ...subset }, podLabelsOf(dep)),
                    );
                    // Pods from outside the stack cannot be judged; only a subset whose Deployments here are all at zero.
                    if (pods.length === 0 || pods.some((dep) => replicasOf(dep) > 0)) return;
                    report(
                        violation({
                            problem: `VirtualService ${k8sName(vs)} route '${String(route["name"] ?? i)}' sends requests to subset '${dest["subset"]}' of ${host}, whose Deployment ${pods.map(k8sName).join(", ")} has 0 replicas`,
                            resource: r(vs),
                            field: `spec.http[${i}].route[${j}].destination.subset`,
                            fix: "route to stable while the subset has no pods (CanaryRouting canaryAvailable: false), or give it replicas first",
                        }),
                        { urn: vs.urn },
                    );
                });
            });
        }
    },
};

export const laneRules: Rule[] = [lanesOnEveryService, routesReachPods];
