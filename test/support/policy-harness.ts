/**
 * Test harness for the gray-release policy pack: builds the argument bags @pulumi/policy passes to
 * `validateResource` / `validateStack` (see node_modules/@pulumi/policy/policy.d.ts) and collects the
 * reported violations, without the gRPC policy server.
 */
import type {
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { allPolicies } from "../../policies/all";
import { resetMirroredConfig } from "../../policies/config";
import { T } from "../../policies/contracts";
import { resetUpstreamCache, setUpstreamReader, type UpstreamRead, type UpstreamReader } from "../../policies/lib/upstream";

export const PROJECT = "gray-release";

export interface Violation {
    message: string;
    urn?: string | undefined;
}

export interface RunResult {
    violations: Violation[];
    notApplicable?: string | undefined;
}

class NotApplicable extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

export function urnOf(type: string, name: string, stack = "dev", parentTypes: string[] = []): string {
    const qualified = [...parentTypes, type].join("$");
    return `urn:pulumi:${stack}::${PROJECT}::${qualified}::${name}`;
}

function opts(parent?: string): PolicyResourceOptions {
    const o: PolicyResourceOptions = {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
    };
    if (parent) o.parent = parent;
    return o;
}

const typeOf = () => false;

export interface ResourceSpec {
    type: string;
    name: string;
    props: Record<string, any>;
    /** Stack name in the URN (default "dev"). */
    stack?: string;
    /** URN of the parent resource (stack policies link parent objects by it). */
    parent?: string;
    /** Explicit URN (otherwise built from stack/type/name). */
    urn?: string;
    /** URNs this resource depends on; per property via propertyDependencies. */
    dependsOn?: string[];
    propertyDependencies?: Record<string, string[]>;
}

export interface CallOptions {
    config?: Record<string, unknown>;
    stackTags?: Record<string, string>;
}

function tags(t?: Record<string, string>): ReadonlyMap<string, string> {
    return new Map(Object.entries(t ?? {}));
}

export function resourceArgs(spec: ResourceSpec, call: CallOptions = {}): ResourceValidationArgs {
    const urn = spec.urn ?? urnOf(spec.type, spec.name, spec.stack);
    return {
        type: spec.type,
        props: spec.props,
        urn,
        name: spec.name,
        opts: opts(spec.parent),
        stackTags: tags(call.stackTags),
        isType: typeOf,
        asType: () => undefined,
        getConfig: <T extends object>() => ({ ...(call.config ?? {}) }) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

export function stackArgs(specs: ResourceSpec[], call: CallOptions = {}): StackValidationArgs {
    const resources: PolicyResource[] = specs.map((s) => ({
        type: s.type,
        props: s.props,
        urn: s.urn ?? urnOf(s.type, s.name, s.stack),
        name: s.name,
        opts: opts(s.parent),
        dependencies: [],
        propertyDependencies: {},
        isType: typeOf,
        asType: () => undefined,
    }));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    specs.forEach((s, i) => {
        const r = resources[i]!;
        if (s.parent && byUrn.has(s.parent)) r.parent = byUrn.get(s.parent)!;
        r.dependencies = (s.dependsOn ?? []).map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
        for (const [k, us] of Object.entries(s.propertyDependencies ?? {})) {
            r.propertyDependencies[k] = us.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
        }
    });
    return {
        resources,
        stackTags: tags(call.stackTags),
        getConfig: <T extends object>() => ({ ...(call.config ?? {}) }) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

function policy(name: string) {
    const p = allPolicies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy '${name}'`);
    return p;
}

async function collect(run: (report: (message: string, urn?: string) => void) => Promise<void> | void): Promise<RunResult> {
    const violations: Violation[] = [];
    try {
        await run((message, urn) => violations.push({ message, urn }));
    } catch (e) {
        if (e instanceof NotApplicable) return { violations, notApplicable: e.reason };
        throw e;
    }
    return { violations };
}

/**
 * Replaces the Pulumi CLI reader of upstream stack outputs (promotion-order) by a table: stack name → its
 * `promotions` output, or an Error (an unreadable stack). Returns the names read, in order, to check caching.
 * Call {@link restoreUpstreamReader} afterwards.
 */
export function fakeUpstreams(table: Record<string, Record<string, Array<{ image: string; at: string }>> | Error>): string[] {
    const reads: string[] = [];
    const reader: UpstreamReader = async (stack): Promise<UpstreamRead> => {
        reads.push(stack);
        const v = table[stack];
        if (v === undefined) return { ok: false, error: `error: no stack named '${stack}' found` };
        if (v instanceof Error) return { ok: false, error: v.message };
        return { ok: true, promotions: v };
    };
    setUpstreamReader(reader);
    return reads;
}

/** Restores the real (CLI) reader of upstream stack outputs. */
export function restoreUpstreamReader(): void {
    setUpstreamReader();
}

/**
 * Runs a resource policy (by registered name, e.g. "release-window" or "release-window-advisory"). Like a fresh
 * pack process, it forgets mirrored config and cached upstream reads first.
 */
export async function runResource(name: string, spec: ResourceSpec, call: CallOptions = {}): Promise<RunResult> {
    resetMirroredConfig();
    resetUpstreamCache();
    const p = policy(name) as ResourceValidationPolicy;
    if (!p.validateResource) throw new Error(`'${name}' is not a resource policy`);
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    const args = resourceArgs(spec, call);
    return collect(async (report) => {
        for (const v of validations) await v(args, report);
    });
}

/** Runs a stack policy over the given resources. */
export async function runStack(name: string, specs: ResourceSpec[], call: CallOptions = {}): Promise<RunResult> {
    resetMirroredConfig();
    const p = policy(name) as StackValidationPolicy;
    if (!p.validateStack) throw new Error(`'${name}' is not a stack policy`);
    const args = stackArgs(specs, call);
    return collect((report) => p.validateStack(args, report));
}

/** Runs the primary and its advisory twin, returning both results (as the engine would, in order). */
export async function runBothResource(name: string, spec: ResourceSpec, call: CallOptions = {}) {
    return { mandatory: await runResource(name, spec, call), advisory: await runResource(`${name}-advisory`, spec, call) };
}
export async function runBothStack(name: string, specs: ResourceSpec[], call: CallOptions = {}) {
    return { mandatory: await runStack(name, specs, call), advisory: await runStack(`${name}-advisory`, specs, call) };
}

/** A CanaryRelease resource (default: prod, step 1% → 5% with a passing verdict). */
export function release(over: Record<string, unknown> = {}, stack = "prod"): ResourceSpec {
    const props = {
        service: "checkout",
        environment: stack,
        canaryImage: "v2.4.0",
        stableImage: "v2.3.1",
        previousWeight: 1,
        weight: 5,
        stepIndex: 1,
        steps: [1, 5, 25, 50, 100],
        status: "progressing",
        verdict: "pass",
        skipAnalysis: false,
        action: "advance",
        evaluatedAt: "2025-03-04T10:00:00Z",
        ...over,
    };
    return { type: T.canaryRelease, name: "checkout-release", props, stack };
}
