/** The message of the InvalidArgsError a stack config is refused with (failing the test when it is accepted). */
import { strict as assert } from "node:assert";
import { InvalidArgsError } from "../../components/common";
import { parseStackConfig } from "../../stacks/config";

export function stackConfigProblems(raw: Record<string, unknown>, stack = "dev"): string {
    try {
        parseStackConfig(stack, raw);
    } catch (e) {
        assert.ok(e instanceof InvalidArgsError, String(e));
        return e.message;
    }
    assert.fail("accepted");
}
