import { strict as assert } from "node:assert";
import { z } from "zod";
import { InvalidArgsError, parseArgs } from "../../components/common";

describe("parseArgs", () => {
    const schema = z.object({ name: z.string().min(1), weight: z.number().int().min(0).max(100) }).strict();

    it("returns the parsed value when the input is valid", () => {
        assert.deepEqual(parseArgs("Thing", schema, { name: "a", weight: 5 }), { name: "a", weight: 5 });
    });

    it("names every offending key and its value", () => {
        assert.throws(
            () => parseArgs('Thing "x"', schema, { name: "", weight: 140 }),
            (err: unknown) => {
                assert.ok(err instanceof InvalidArgsError);
                assert.match(err.message, /Thing "x": invalid input/);
                assert.match(err.message, /name = "": /);
                assert.match(err.message, /weight = 140: /);
                assert.equal(err.problems.length, 2);
                return true;
            },
        );
    });

    it("reports unknown keys", () => {
        assert.throws(() => parseArgs("Thing", schema, { name: "a", weight: 1, wieght: 2 }), /wieght/);
    });
});
