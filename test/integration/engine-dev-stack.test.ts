import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { createTempProject, type TempProject } from "../support/engine";
import { renderedKinds, renderedObjects, splitWeights } from "../support/rendered";

describe("real engine: the dev environment (platform-dev, then dev; render mode)", function () {
    this.timeout(15 * 60 * 1000);
    let project: TempProject;

    before(() => {
        project = createTempProject();
    });
    after(() => project?.dispose());

    it("renders the whole dev environment, and a second up holds the canary while metrics are unreachable", async () => {
        const platform = await project.stack("platform-dev");
        // Every warning the engine reports (the Kubernetes provider's among them), from the preview and the up.
        const warnings: string[] = [];
        let events = 0;
        const onEvent = (e: EngineEvent): void => {
            events++;
            if (e.diagnosticEvent?.severity === "warning") warnings.push(e.diagnosticEvent.message);
        };
        const preview = await platform.preview({ onOutput: () => undefined, onEvent });
        assert.ok((preview.changeSummary["create"] ?? 0) > 5, "the preview plans the platform");
        const platformUp = await platform.up({ onOutput: () => undefined, onEvent });
        assert.equal(platformUp.summary.result, "succeeded");
        assert.ok(events > 0, "engine events were delivered");
        // Filesystem storage (platform-dev's) holds no credential: its objstore.yml is a ConfigMap, so the provider
        // has no plaintext secret to warn about when it renders YAML.
        assert.deepEqual(
            warnings.filter((w) => /secret value in plaintext/i.test(w)),
            [],
            `warnings of the platform-dev preview and up:\n${warnings.join("\n")}`,
        );
        const objstore = renderedObjects(project.renderedDir("platform-dev")).filter((o) => o.metadata?.name === "thanos-objstore");
        assert.deepEqual(objstore.map((o) => `${o.kind} ${o.metadata?.namespace}`).sort(), ["ConfigMap monitoring"]);
        const platformKinds = renderedKinds(project.renderedDir("platform-dev"));
        for (const kind of ["Namespace", "NetworkPolicy", "PeerAuthentication", "ResourceQuota", "StatefulSet", "DaemonSet"]) {
            assert.ok(platformKinds.has(kind), `platform-dev renders a ${kind} (rendered: ${[...platformKinds].join(", ")})`);
        }

        // The canary's default-deny namespace lets its telemetry out to exactly the platform's collector agents.
        const telemetry = renderedObjects(project.renderedDir("platform-dev")).find(
            (o) => o.kind === "NetworkPolicy" && o.metadata?.name === "allow-telemetry-egress",
        );
        assert.deepEqual((telemetry?.spec as { egress?: unknown } | undefined)?.egress, [
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } },
                        podSelector: {
                            matchLabels: {
                                "app.kubernetes.io/component": "opentelemetry-collector",
                                "app.kubernetes.io/instance": "observability.otel-agent",
                            },
                        },
                    },
                ],
                ports: [
                    { protocol: "TCP", port: 4317 },
                    { protocol: "TCP", port: 4318 },
                ],
            },
        ]);

        const stack = await project.stack("dev");
        const first = await stack.up({ onOutput: () => undefined });
        assert.equal(first.summary.result, "succeeded");
        assert.ok((first.summary.resourceChanges?.["create"] ?? 0) > 5, "the first up creates the services stack");

        const kinds = renderedKinds(project.renderedDir("dev"));
        for (const kind of ["Service", "VirtualService", "DestinationRule", "Deployment", "PrometheusRule", "ConfigMap"]) {
            assert.ok(kinds.has(kind), `a ${kind} is rendered (rendered: ${[...kinds].join(", ")})`);
        }
        assert.deepEqual(splitWeights(project.renderedDir("dev"), "checkout"), { stable: 95, canary: 5 }, "a new canary starts at 5 %");
        const releases = first.outputs["releases"]?.value as Record<string, { action: string; weight: number }>;
        assert.equal(releases["checkout"]?.action, "start");

        const second = await stack.up({ onOutput: () => undefined });
        assert.equal(second.summary.result, "succeeded");
        assert.equal(second.summary.resourceChanges?.["create"] ?? 0, 0, "nothing is created twice");
        assert.equal(second.summary.resourceChanges?.["delete"] ?? 0, 0, "nothing is deleted");
        const held = second.outputs["releases"]?.value as Record<string, { action: string; weight: number; lastVerdict?: { verdict: string } }>;
        assert.equal(held["checkout"]?.action, "hold", "an unreachable metrics source never advances the canary");
        assert.equal(held["checkout"]?.lastVerdict?.verdict, "error");
        assert.deepEqual(splitWeights(project.renderedDir("dev"), "checkout"), { stable: 95, canary: 5 });
    });
});
