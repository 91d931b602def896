/**
 * docs/configuration.md is generated from the zod schemas (scripts/config-reference.ts). This keeps it from
 * drifting: a schema change without `npm run docs:config` fails here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { configReference, generateConfigReference, OUTPUT } from "../../scripts/config-reference";

describe("configuration reference (docs/configuration.md)", function () {
    this.timeout(120_000);
    let generated: string;
    let undocumented: string[];

    before(() => {
        ({ text: generated, undocumented } = configReference());
    });

    it("is up to date with the schemas (regenerate with `npm run docs:config`)", () => {
        assert.ok(fs.existsSync(OUTPUT), "docs/configuration.md exists: run `npm run docs:config`");
        const current = fs.readFileSync(OUTPUT, "utf8");
        if (current !== generated) {
            const a = current.split("\n");
            const b = generated.split("\n");
            const i = a.findIndex((line, n) => line !== b[n]);
            assert.fail(
                `docs/configuration.md is out of date: run \`npm run docs:config\`.\n` +
                    `first difference at line ${i + 1}:\n  file:      ${a[i] ?? "<end>"}\n  generated: ${b[i] ?? "<end>"}`,
            );
        }
    });

    it("is deterministic", () => {
        assert.equal(generateConfigReference(), generated);
    });

    const row = (key: string): string => {
        const line = generated.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
        assert.ok(line, `a row for ${key}`);
        return line;
    };

    it("documents the known keys with their types, defaults and required-ness", () => {
        assert.match(row("services[].name"), /\*\*required\*\*/);
        // Required by the component, filled by the stack when left out (STACK_DEFAULTS): not required in a stack.
        assert.doesNotMatch(row("services[].progression.analysis.prometheusUrl"), /\*\*required\*\*/);
        assert.match(row("services[].progression.analysis.prometheusUrl"), /In a stack, defaults to the platform stack's Thanos Query/);
        assert.doesNotMatch(row("services[].slo.namespace"), /\*\*required\*\*/);
        assert.match(row("services[].progression.minIntervalBetweenSteps"), /`"30m"`/);
        assert.match(row("services[].progression.steps"), /`\[5,10,25,50,100\]`/);
        assert.match(row("services[].routing.canaryWeight"), /integer 0\.\.100.*Set by the stack program/);
        assert.match(row("platform.thanos.storage.bucket"), /with `type: "existing"`/);
        for (const key of [
            "environment",
            "services",
            "services[].name",
            "platform.namespaces",
            "platform.otel.namespace",
            "services[].slo.slos[].objective",
            "services[].workload.canaryReplicas",
            "platform.namespaces[].name",
        ]) {
            row(key);
        }
        assert.ok(generated.includes("`gray-release:kubeconfig`"), "the secret keys are listed");
        const keys = generated.split("\n").flatMap((l) => /^\| `([^`]+)` \|/.exec(l)?.[1] ?? []);
        assert.deepEqual(
            keys.filter((k, i) => keys.indexOf(k) !== i),
            [],
            "each key is documented once",
        );
    });

    it("takes descriptions from the schemas' metadata", () => {
        assert.match(row("services[].progression.analysis.prometheusUrl"), /Prometheus HTTP API/);
        assert.match(row("services[].routing.allowlist.ids"), /user ids/);
    });

    // LEAD (issue #13): fails until every schema carries its descriptions (`.meta({ description })`); it lists the
    // user-facing keys (all but the ones the stack program fills) that still have none.
    it("gives every user-facing key a description", () => {
        assert.ok(undocumented.length === 0, `${undocumented.length} keys without a description:\n  ${undocumented.join("\n  ")}`);
    });
});
