/**
 * The dependencies Pulumi sends to the engine with each registration, as the mock runtime receives them: what a
 * test checks to see that an Output passed between components carries its resource along.
 */
import * as pulumi from "@pulumi/pulumi";

interface RegisterRequest {
    getName(): string;
    getDependenciesList(): string[];
}

const seen = new Map<string, string[]>();
let patched: unknown;

/** Starts recording on the current mock monitor (`installMocks` replaces it, so call this after that, e.g. in `beforeEach`). */
export function recordDependencies(): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: unknown): unknown } | undefined;
    if (monitor === undefined || patched === monitor) return;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        seen.set(req.getName(), req.getDependenciesList());
        return register(req, cb);
    };
    patched = monitor;
}

/** Forgets what was recorded. */
export function resetDependencies(): void {
    seen.clear();
}

/** The logical names of the resources the resource named `name` was registered as depending on. */
export function dependenciesOf(name: string): string[] {
    return (seen.get(name) ?? []).map((urn) => urn.slice(urn.lastIndexOf("::") + 2));
}
