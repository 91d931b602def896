/**
 * What the docs say the stack program does, checked against the program: the README's service example parses as
 * written (its `analysis: {}` defaults to a Thanos Query), the keys docs/configuration.md calls optional in a stack
 * (STACK_DEFAULTS) are filled when left out, runStack reports a configuration error as Pulumi's RunError without a
 * JavaScript stack, and renders relative to the user's project.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { REPO_ROOT, STACK_DEFAULTS } from "../../scripts/config-reference";
import { THANOS_NAME } from "../../stacks/config";
import type { PlatformFacts } from "../../stacks/platform-outputs";
import { planStack, renderDirectory, runStack } from "../../stacks/program";
import { installMocks } from "../support/pulumi-mocks";

const OWN_THANOS_QUERY = `http://${THANOS_NAME}-query.monitoring.svc:10902`;
const ownThanos = {
    namespace: "monitoring",
    prometheus: { namespace: "monitoring", serviceAccountName: "prometheus" },
    storage: { type: "filesystem" },
    longestSloWindow: "28d",
};
const grayNamespace = { name: "dev-gray", environment: "dev" };

/** The `gray-release:services` YAML of the README's "Adding a service". */
function readmeServices(): unknown[] {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Adding a service"));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, "the README's Adding a service has a YAML example");
    const services = (parse(block) as Record<string, unknown>)["gray-release:services"];
    assert.ok(Array.isArray(services) && services.length > 0);
    return services;
}

describe("the README's service example, as written", () => {
    it("in a services stack: analyses against the platform's Thanos Query", () => {
        const platform: PlatformFacts = {
            environment: "dev",
            namespaces: ["dev-gray"],
            thanosQueryUrl: "http://q.monitoring.svc:10902",
            collectors: [],
        };
        const raw = { environment: "dev", role: "services", platformStack: "platform-dev", services: readmeServices() };
        const { services } = planStack("dev", raw, platform);
        assert.equal(services[0]?.progression.analysis.prometheusUrl, platform.thanosQueryUrl);
    });

    it("in a stack of role all with its own Thanos: analyses against that Thanos' Query", () => {
        const raw = { environment: "dev", platform: { namespaces: [grayNamespace], thanos: ownThanos }, services: readmeServices() };
        const { services } = planStack("dev", raw);
        assert.equal(services[0]?.progression.analysis.prometheusUrl, OWN_THANOS_QUERY);
    });

    it("in a stack with no Thanos to default to: a clear error at the key, not an exception", () => {
        const raw = { environment: "dev", platform: { namespaces: [grayNamespace] }, services: readmeServices() };
        assert.throws(
            () => planStack("dev", raw),
            (err: Error) =>
                /services\[0\]\.progression\.analysis\.prometheusUrl = undefined: required here: this stack has no platform stack/.test(err.message),
        );
    });
});

describe("docs/configuration.md: keys optional in a stack (STACK_DEFAULTS) are filled by the program", () => {
    const service = {
        name: "checkout",
        namespace: "dev-gray",
        stableImage: "registry.example.com/shop/checkout:1.4.0",
        canaryImage: "registry.example.com/shop/checkout:1.5.0",
        progression: { analysis: {} },
        slo: { runbookUrl: "https://runbooks.example.com/checkout", slos: [{ name: "availability", objective: 99.95 }] },
    };
    const raw = { environment: "dev", platform: { namespaces: [grayNamespace], thanos: ownThanos }, services: [service] };

    it("lists exactly the keys this test leaves out", () => {
        assert.deepEqual(Object.keys(STACK_DEFAULTS).sort(), ["services[].progression.analysis.prometheusUrl", "services[].slo.namespace"]);
    });

    it("accepts a service without them", () => {
        const { services } = planStack("dev", raw);
        assert.equal(services[0]?.progression.analysis.prometheusUrl, OWN_THANOS_QUERY);
        assert.equal(services[0]?.slo.namespace, undefined, "SloRules gets the service's namespace (stacks/canary-service.ts)");
    });

    it("a written value wins over the default", () => {
        const written = { ...service, progression: { analysis: { prometheusUrl: "http://prometheus.example:9090" } } };
        const { services } = planStack("dev", { ...raw, services: [written] });
        assert.equal(services[0]?.progression.analysis.prometheusUrl, "http://prometheus.example:9090");
    });
});

describe("renderDirectory: render mode writes into the user's project", () => {
    it("defaults to rendered/<stack> in the project", () => {
        assert.equal(renderDirectory("dev", undefined, "/home/me/infra"), "/home/me/infra/rendered/dev");
    });
    it("takes renderDir relative to the project, or absolute", () => {
        assert.equal(renderDirectory("dev", "out/manifests", "/home/me/infra"), "/home/me/infra/out/manifests");
        assert.equal(renderDirectory("dev", "/srv/yaml", "/home/me/infra"), "/srv/yaml");
    });
});

describe("runStack: a configuration error reaches the user as Pulumi reports a RunError", () => {
    before(() => installMocks("gray-release", "dev"));
    after(() => pulumi.runtime.setAllConfig({}));

    it("rejects with a RunError naming the key and value, without stack frames", async () => {
        pulumi.runtime.setAllConfig({ "gray-release:environment": "dev", "gray-release:colour": "blue" });
        const err = await runStack().then(
            () => assert.fail("runStack accepted an unknown key"),
            (e: unknown) => e,
        );
        assert.ok(pulumi.RunError.isInstance(err), `a RunError, got ${String(err)}`);
        assert.match(err.message, /stack "dev" config \(gray-release:\*\): invalid input/);
        assert.match(err.message, /colour/);
        assert.ok(!err.stack?.includes("\n    at "), err.stack);
    });
});
