/**
 * The shared Input mechanism (components/common/inputs.ts): the Args types derived from the schemas take Inputs
 * exactly where a component says (checked by tsc through the @ts-expect-error lines), and parseInputArgs checks
 * plain values at once and pending ones when they resolve, with parseArgs' errors.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type {
    CanaryRoutingArgs,
    CanaryWorkloadArgs,
    GrayNamespaceArgs,
    OtelCollectorArgs,
    SloRulesArgs,
    ThanosArgs,
    WithInputs,
} from "../../components";
import { InvalidArgsError, parseArgs, parseInputArgs } from "../../components/common";
import { installMocks, outputValue } from "../support/pulumi-mocks";

installMocks();

const name = pulumi.output("staging-gray");
const count = pulumi.output(3);

// Type-level checks: compiled by `tsc --noEmit`, never run.
function typeChecks(): void {
    const routing: CanaryRoutingArgs = { service: name, namespace: name, host: pulumi.output("checkout.example.com"), canaryWeight: 5 };
    // @ts-expect-error an Output of the wrong type is refused
    const wrongType: CanaryRoutingArgs = { service: "checkout", namespace: count, canaryWeight: 5 };
    // @ts-expect-error a field that stays plain takes no Output (the weight is the release decision)
    const plainOnly: CanaryRoutingArgs = { service: "checkout", namespace: "staging-gray", canaryWeight: count };
    // @ts-expect-error a required Input-capable field is still required
    const missing: CanaryRoutingArgs = { service: "checkout", canaryWeight: 5 };
    const workload: CanaryWorkloadArgs = {
        service: "checkout",
        namespace: name,
        stableImage: Promise.resolve("checkout:1"),
        canaryImage: "checkout:2",
        stableVersionLabel: "1",
        canaryVersionLabel: "2",
        env: pulumi.output({ A: "b" }),
    };
    // @ts-expect-error `service` stays plain: it is the name this component gives the service
    const workloadService: CanaryWorkloadArgs = { ...workload, service: name };
    const gray: GrayNamespaceArgs = { name: "staging-gray", environment: "staging", telemetry: { namespace: name } };
    // @ts-expect-error only the nested path named takes an Input, not its siblings
    const grayPorts: GrayNamespaceArgs = { name: "staging-gray", environment: "staging", telemetry: { ports: pulumi.output([4317]) } };
    // @ts-expect-error `name` is the namespace this component creates
    const grayName: GrayNamespaceArgs = { name, environment: "staging" };
    const slo: SloRulesArgs = { service: "checkout", namespace: name, runbookUrl: "https://r.example.com", slos: [{ name: "a", objective: 99 }] };
    const otel: OtelCollectorArgs = {
        namespace: "observability",
        traces: { endpoint: pulumi.output("tempo:4317") },
        metrics: { remoteWriteUrl: pulumi.output("http://prometheus:9090/api/v1/write") },
    };
    // @ts-expect-error the collectors' namespace names every object: plain
    const otelNamespace: OtelCollectorArgs = { ...otel, namespace: name };
    const thanosRuler: NonNullable<ThanosArgs["ruler"]> = {
        ruleFiles: pulumi.output({ "a.yaml": "groups: []" }),
        alertmanagerUrls: pulumi.output([]),
    };
    // @ts-expect-error Thanos' namespace decides how many objstore Secrets exist: plain
    const thanosNamespace: ThanosArgs["namespace"] = name;
    type Nested = WithInputs<{ a: string; b?: { c: number; d: string } | undefined; e: string[] }, "a" | "b.c">;
    const nested: Nested = { a: name, b: { c: count, d: "x" }, e: ["x"] };
    // @ts-expect-error `b.d` is not an Input path
    const nestedWrong: Nested = { a: "x", b: { c: 1, d: name }, e: [] };
    void [routing, wrongType, plainOnly, missing, workload, workloadService, gray, grayPorts, grayName, slo, otel, otelNamespace];
    void [thanosRuler, thanosNamespace, nested, nestedWrong];
}

const schema = z
    .object({
        namespace: z.string().regex(/^[a-z]+$/, "must be lowercase letters"),
        backend: z.object({ url: z.url(), timeout: z.number().default(5) }).strict(),
        replicas: z.number().int().min(1, "must be at least 1"),
    })
    .strict();
const fields = { namespace: "x", "backend.url": "http://x" } as const;

async function failureOf(output: pulumi.Output<unknown>): Promise<unknown> {
    return (output as unknown as { promise(): Promise<unknown> }).promise().then(
        () => undefined,
        (err: unknown) => err,
    );
}

describe("parseInputArgs", () => {
    it("has Args types checked by tsc (see typeChecks)", () => assert.equal(typeof typeChecks, "function"));

    it("parses plain values at once, as parseArgs does", async () => {
        const input = { namespace: "gray", backend: { url: "http://tempo:4317" }, replicas: 2 };
        const parsed = parseInputArgs("Thing", schema, input, fields);
        assert.equal(parsed.allPlain, true);
        assert.deepEqual(parsed.shape, parseArgs("Thing", schema, input));
        assert.deepEqual(await outputValue(parsed.resolved), { namespace: "gray", backend: { url: "http://tempo:4317", timeout: 5 }, replicas: 2 });
    });

    it("throws the same error as parseArgs for a bad plain value, also while another value is pending", () => {
        const bad = { namespace: "Gray", backend: { url: "http://tempo:4317" }, replicas: 0 };
        const expected = (() => {
            try {
                parseArgs("Thing", schema, bad);
            } catch (err) {
                return (err as Error).message;
            }
            return "";
        })();
        assert.match(expected, /namespace = "Gray": must be lowercase letters/);
        assert.throws(
            () => parseInputArgs("Thing", schema, bad, fields),
            (err: unknown) => err instanceof InvalidArgsError && err.message === expected,
        );
        assert.throws(
            () => parseInputArgs("Thing", schema, { ...bad, namespace: pulumi.output("gray") }, fields),
            (err: unknown) => err instanceof InvalidArgsError && err.message === "Thing: invalid input\n  - replicas = 0: must be at least 1",
        );
    });

    it("resolves Outputs and Promises at nested paths, keeping the rest and its defaults", async () => {
        const parsed = parseInputArgs(
            "Thing",
            schema,
            { namespace: Promise.resolve("gray"), backend: { url: pulumi.output("http://tempo:4317") }, replicas: 2 },
            fields,
        );
        assert.equal(parsed.allPlain, false);
        assert.equal(parsed.shape.namespace, "x", "the stand-in, only for what must be known now");
        assert.deepEqual(await outputValue(parsed.resolved), { namespace: "gray", backend: { url: "http://tempo:4317", timeout: 5 }, replicas: 2 });
    });

    it("fails the resolved args with the key path and the resolved value", async () => {
        const parsed = parseInputArgs("Thing", schema, { namespace: "gray", backend: { url: pulumi.output("not a url") }, replicas: 2 }, fields);
        const err = await failureOf(parsed.resolved);
        assert.ok(err instanceof InvalidArgsError, String(err));
        assert.equal(err.message, 'Thing: invalid input\n  - backend.url = "not a url": Invalid URL');
    });

    it("keeps an Output's secretness", async () => {
        const parsed = parseInputArgs(
            "Thing",
            schema,
            { namespace: pulumi.secret("gray"), backend: { url: "http://tempo:4317" }, replicas: 2 },
            fields,
        );
        assert.equal(await (parsed.resolved as unknown as { isSecret: Promise<boolean> }).isSecret, true);
    });
});
