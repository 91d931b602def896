import { strict as assert } from "node:assert";
import fc from "fast-check";
import { type ConfigTree, deepMerge, flattenConfig, layerConfig } from "../../components/gray-namespace";

describe("layerConfig", () => {
    const base: ConfigTree = {
        kafka: { brokers: "kafka:9092", topics: { payment: "payment-events", audit: "audit" } },
        redis: { url: "redis://redis.staging:6379" },
        log: { level: "info" },
    };
    const environment: ConfigTree = { log: { level: "debug" }, db: { host: "db.staging" } };
    const gray: ConfigTree = { feature: { newCheckout: "on" }, log: { level: "trace" } };

    it("layers base → environment → gray when the switch is on", () => {
        const r = layerConfig({ base, environment, gray, grayEnabled: true, isolationSuffix: "-gray" });
        assert.equal(r.grayApplied, true);
        assert.equal(r.data["log.level"], "trace");
        assert.equal(r.data["feature.newCheckout"], "on");
        assert.equal(r.data["db.host"], "db.staging");
        assert.equal(r.data["redis.url"], "redis://redis.staging:6379");
        assert.equal(r.data["gray.enabled"], "true");
    });

    it("leaves the gray fragment out when the switch is off", () => {
        const r = layerConfig({ base, environment, gray, grayEnabled: false, isolationSuffix: "-gray" });
        assert.equal(r.grayApplied, false);
        assert.equal(r.data["log.level"], "debug");
        assert.equal(r.data["feature.newCheckout"], undefined);
        assert.equal(r.data["gray.enabled"], "false");
    });

    it("reads the switch from gray.enabled of base → environment when not given", () => {
        assert.equal(layerConfig({ base, environment: { gray: { enabled: "true" } }, gray, isolationSuffix: "-gray" }).grayApplied, true);
        assert.equal(
            layerConfig({ base: { gray: { enabled: "true" } }, environment: { gray: { enabled: "false" } }, gray, isolationSuffix: "-gray" })
                .grayApplied,
            false,
        );
        assert.equal(layerConfig({ base, gray, isolationSuffix: "-gray" }).grayApplied, false);
        // The gray fragment cannot switch itself on.
        assert.equal(layerConfig({ base, gray: { gray: { enabled: "true" } }, isolationSuffix: "-gray" }).grayApplied, false);
    });

    it("isolates listed keys with the suffix, once, and applies namespace overrides last", () => {
        const r = layerConfig({
            base,
            gray: { kafka: { topics: { audit: "audit-gray" } } },
            grayEnabled: true,
            overrides: { redis: { db: "2" }, log: { level: "warn" } },
            isolate: ["kafka.topics.payment", "kafka.topics.audit"],
            isolationSuffix: "-gray",
        });
        assert.equal(r.data["kafka.topics.payment"], "payment-events-gray");
        assert.equal(r.data["kafka.topics.audit"], "audit-gray");
        assert.equal(r.data["redis.db"], "2");
        assert.equal(r.data["log.level"], "warn");
        assert.equal(
            base["kafka"] && (base["kafka"] as ConfigTree)["topics"] && ((base["kafka"] as ConfigTree)["topics"] as ConfigTree)["payment"],
            "payment-events",
            "inputs are not mutated",
        );
    });

    it("isolates even with the switch off: the namespace's consumers are its own", () => {
        const r = layerConfig({ base, grayEnabled: false, isolate: ["kafka.topics.payment"], isolationSuffix: "-canary" });
        assert.equal(r.data["kafka.topics.payment"], "payment-events-canary");
    });

    it("lets a later layer replace a map by a string and a string by a map", () => {
        assert.deepEqual(deepMerge({ a: { b: "1" } }, { a: "2" }), { a: "2" });
        assert.deepEqual(deepMerge({ a: "2" }, { a: { b: "1" } }), { a: { b: "1" } });
    });

    /** Paths of every map inside a tree (an empty map in a later layer still replaces a string). */
    function mapPaths(t: ConfigTree, prefix = ""): string[] {
        return Object.entries(t).flatMap(([k, v]) => {
            const p = prefix ? `${prefix}.${k}` : k;
            return typeof v === "string" ? [] : [p, ...mapPaths(v, p)];
        });
    }

    const key = fc.stringMatching(/^[a-z]{1,3}$/);
    const tree: fc.Arbitrary<ConfigTree> = fc.letrec<{ t: ConfigTree }>((tie) => ({
        t: fc.dictionary(key, fc.oneof({ depthSize: "small" }, fc.string({ maxLength: 4 }), tie("t")), { maxKeys: 4 }),
    })).t;

    it("merging: the later layer wins on every leaf it sets, the earlier one survives elsewhere", () => {
        fc.assert(
            fc.property(tree, tree, (under, over) => {
                const merged = flattenConfig(deepMerge(under, over));
                const o = flattenConfig(over);
                for (const [k, v] of Object.entries(o)) assert.equal(merged[k], v);
                for (const [k, v] of Object.entries(flattenConfig(under))) {
                    // Survives unless the later layer set this key or one of its prefixes/descendants.
                    const touched =
                        Object.keys(o).some((ok) => ok === k || k.startsWith(`${ok}.`) || ok.startsWith(`${k}.`)) || mapPaths(over).includes(k);
                    if (!touched) assert.equal(merged[k], v);
                }
            }),
        );
    });

    it("merging is idempotent and the empty tree is neutral", () => {
        fc.assert(
            fc.property(tree, (t) => {
                assert.deepEqual(deepMerge(t, t), deepMerge({}, t));
                assert.deepEqual(flattenConfig(deepMerge(t, {})), flattenConfig(t));
            }),
        );
    });
});
