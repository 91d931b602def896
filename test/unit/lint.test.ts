/**
 * Formatting, import order and lint rules (biome.jsonc) are part of the test run: this runs `biome ci` over the
 * repo and fails listing every problem as `file:line: rule: message`. `npm run format` fixes formatting and
 * import order; `npm run lint` shows the full diagnostics.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

describe("formatting and lint (biome ci)", function () {
    this.timeout(120_000);

    it("finds no formatting, import-order or lint errors", () => {
        const biome = require.resolve("@biomejs/biome/bin/biome");
        const run = spawnSync(process.execPath, [biome, "ci", "--reporter=github", "--max-diagnostics=none", "--colors=off", "."], {
            cwd: REPO,
            encoding: "utf8",
        });
        assert.equal(run.error, undefined, `biome could not be started: ${run.error?.message}`);
        if (run.status === 0) return;
        // GitHub reporter lines: ::error title=<rule>,file=<path>,line=<n>,…::<message>
        const problems = [...run.stdout.matchAll(/^::error title=([^,]+),file=([^,]+),line=(\d+)[^:]*::(.*)$/gm)].map(
            ([, rule, file, line, message]) => `${path.relative(REPO, file!)}:${line}: ${rule}: ${message}`,
        );
        const shown = problems.length > 0 ? problems : [run.stdout, run.stderr].filter(Boolean);
        assert.fail(`biome ci found ${problems.length} errors (run \`npm run format\`, then \`npm run lint\`):\n  ${shown.join("\n  ")}`);
    });
});
