import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { InvalidArgsError } from "../../components/common/validation";
import { reportableError } from "../../stacks/program-error";

// A frame @pulumi/pulumi's source maps produce: a file right under the scope's folder. Node 20.20's
// util.inspect(err, { colors: true }) loops on it (nodejs/node#64011).
const PULUMI_FRAME = "    at async Stack.initializeAndRegisterOutputs (/repo/node_modules/@pulumi/resource.ts:1600:22)";

describe("stacks/program-error: the error the program leaves with", () => {
    it("a configuration error: a RunError with the message only, no stack frames", () => {
        const err = new InvalidArgsError('stack "dev" config (gray-release:*)', [
            { path: "services[0].routing.mirrorPercent", value: 250, message: "must be at most 100" },
        ]);
        err.stack = `${err.stack}\n${PULUMI_FRAME}`;
        const reported = reportableError(err);
        assert.ok(pulumi.RunError.isInstance(reported));
        assert.equal(reported.message, err.message);
        assert.ok(!reported.stack?.includes("\n    at "), reported.stack);
    });

    it("any other error keeps its stack as text of the message, and inspects at once", () => {
        const err = new Error("boom");
        err.stack = `Error: boom\n${PULUMI_FRAME}`;
        const reported = reportableError(err);
        assert.ok(reported.message.includes("boom") && reported.message.includes("@pulumi/resource.ts:1600:22"));
        const started = Date.now();
        const text = inspect(reported, { colors: true });
        assert.ok(Date.now() - started < 1000, "util.inspect with colors returns at once");
        assert.ok(text.includes("boom"));
    });

    it("a RunError keeps its message; a thrown non-Error is stringified", () => {
        assert.equal(reportableError(new pulumi.RunError("stop")).message, "stop");
        assert.equal(reportableError("just a string").message, "just a string");
    });
});
