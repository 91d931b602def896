/** Running the real engine with a policy pack, and reading its verdicts from the output. */
import type { Stack } from "@pulumi/pulumi/automation";

export interface PolicyRun {
    ok: boolean;
    /** Everything the engine printed, plus the error message when it failed. */
    text: string;
}

/** `pulumi preview` with the packs and their configs; a refusal is a result, not an exception. */
export async function previewWithPacks(stack: Stack, policyPacks: string[], policyPackConfigs: string[]): Promise<PolicyRun> {
    let out = "";
    try {
        await stack.preview({ policyPacks, policyPackConfigs, onOutput: (s) => (out += s) });
        return { ok: true, text: out };
    } catch (e) {
        return { ok: false, text: `${out}\n${(e as Error).message}` };
    }
}

/** The engine's lines of mandatory violations. */
export const mandatoryLines = (text: string): string[] => text.split("\n").filter((l) => /- \[mandatory\]/.test(l));

/** Names of the mandatory policies violated, sorted (the error message repeats the output, hence the set). */
export const mandatoryPolicies = (text: string): string[] =>
    [...new Set(mandatoryLines(text).map((l) => l.replace(/^.*\]\s+(\S+)\s+\(.*$/, "$1")))].sort();

/** The engine's lines of advisory violations. */
export const advisoryLines = (text: string): string[] => text.split("\n").filter((l) => /- \[advisory\]/.test(l));

/** Names of the advisory policies violated, sorted. */
export const advisoryPolicies = (text: string): string[] =>
    [...new Set(advisoryLines(text).map((l) => l.replace(/^.*\]\s+(\S+)\s+\(.*$/, "$1")))].sort();

/** The distinct message lines (`[<env>] …`) of the violations, as the engine printed them, trimmed. */
export const violationMessages = (text: string): string[] => [
    ...new Set(
        text
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => /^\[(dev|staging|prod)\] /.test(l)),
    ),
];
