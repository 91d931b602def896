import { strict as assert } from "node:assert";
import { parseAllDocuments } from "yaml";
import { createTempProject, readRendered, TempProject } from "../support/engine";

describe("real engine: pulumi up of the dev stack (render mode)", function () {
    this.timeout(15 * 60 * 1000);
    let project: TempProject;

    before(() => {
        project = createTempProject();
    });
    after(() => project?.dispose());

    it("renders manifests on the first up and is a no-op on the second", async () => {
        const stack = await project.stack("dev");
        const first = await stack.up({ onOutput: () => undefined });
        assert.equal(first.summary.result, "succeeded");
        const created = first.summary.resourceChanges?.["create"] ?? 0;
        assert.ok(created > 0, "the first up creates resources");

        const rendered = readRendered(project.renderedDir("dev"));
        assert.ok(rendered.size > 0, "manifests are written to rendered/dev");
        const kinds = new Set<string>();
        for (const text of rendered.values()) {
            for (const doc of parseAllDocuments(text)) {
                const obj = doc.toJS() as { kind?: string } | null;
                if (obj?.kind) kinds.add(obj.kind);
            }
        }
        assert.ok(kinds.has("Namespace"), `rendered kinds: ${[...kinds].join(", ")}`);

        const second = await stack.up({ onOutput: () => undefined });
        assert.equal(second.summary.result, "succeeded");
        assert.equal(second.summary.resourceChanges?.["create"] ?? 0, 0, "nothing is created twice");
        assert.equal(second.summary.resourceChanges?.["update"] ?? 0, 0, "nothing changes without input changes");
    });
});
