import { strict as assert } from "node:assert";
import { parseAllDocuments } from "yaml";
import { createTempProject, readRendered, TempProject } from "../support/engine";

interface K8sObject {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
    spec?: { http?: Array<{ name?: string; route?: Array<{ destination?: { subset?: string }; weight?: number }> }> };
}

function renderedObjects(dir: string): K8sObject[] {
    const out: K8sObject[] = [];
    for (const text of readRendered(dir).values()) {
        for (const doc of parseAllDocuments(text)) {
            const obj = doc.toJS() as K8sObject | null;
            if (obj?.kind) out.push(obj);
        }
    }
    return out;
}

function splitWeights(objects: K8sObject[], service: string): Record<string, number> {
    const vs = objects.find((o) => o.kind === "VirtualService" && o.metadata?.name === service);
    assert.ok(vs, `VirtualService ${service} rendered`);
    const weighted = vs.spec?.http?.at(-1);
    const weights: Record<string, number> = {};
    for (const r of weighted?.route ?? []) weights[r.destination?.subset ?? "?"] = r.weight ?? 100;
    return weights;
}

describe("real engine: the dev environment (platform-dev, then dev; render mode)", function () {
    this.timeout(15 * 60 * 1000);
    let project: TempProject;

    before(() => {
        project = createTempProject();
    });
    after(() => project?.dispose());

    it("renders the whole dev environment, and a second up holds the canary while metrics are unreachable", async () => {
        const platform = await project.stack("platform-dev");
        const platformUp = await platform.up({ onOutput: () => undefined });
        assert.equal(platformUp.summary.result, "succeeded");
        const platformKinds = new Set(renderedObjects(project.renderedDir("platform-dev")).map((o) => o.kind));
        for (const kind of ["Namespace", "NetworkPolicy", "PeerAuthentication", "ResourceQuota", "StatefulSet", "DaemonSet"]) {
            assert.ok(platformKinds.has(kind), `platform-dev renders a ${kind} (rendered: ${[...platformKinds].join(", ")})`);
        }

        const stack = await project.stack("dev");
        const first = await stack.up({ onOutput: () => undefined });
        assert.equal(first.summary.result, "succeeded");
        assert.ok((first.summary.resourceChanges?.["create"] ?? 0) > 5, "the first up creates the services stack");

        const objects = renderedObjects(project.renderedDir("dev"));
        const kinds = new Set(objects.map((o) => o.kind));
        for (const kind of ["Service", "VirtualService", "DestinationRule", "Deployment", "PrometheusRule", "ConfigMap"]) {
            assert.ok(kinds.has(kind), `a ${kind} is rendered (rendered: ${[...kinds].join(", ")})`);
        }
        assert.deepEqual(splitWeights(objects, "checkout"), { stable: 95, canary: 5 }, "a new canary starts at 5 %");
        const releases = first.outputs["releases"]?.value as Record<string, { action: string; weight: number }>;
        assert.equal(releases["checkout"]?.action, "start");

        const second = await stack.up({ onOutput: () => undefined });
        assert.equal(second.summary.result, "succeeded");
        assert.equal(second.summary.resourceChanges?.["create"] ?? 0, 0, "nothing is created twice");
        assert.equal(second.summary.resourceChanges?.["delete"] ?? 0, 0, "nothing is deleted");
        const held = second.outputs["releases"]?.value as Record<string, { action: string; weight: number; lastVerdict?: { verdict: string } }>;
        assert.equal(held["checkout"]?.action, "hold", "an unreachable metrics source never advances the canary");
        assert.equal(held["checkout"]?.lastVerdict?.verdict, "error");
        assert.deepEqual(splitWeights(renderedObjects(project.renderedDir("dev")), "checkout"), { stable: 95, canary: 5 });
    });
});
