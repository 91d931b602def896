/**
 * Entry point of the gray-release policy pack (`pulumi preview --policy-pack policies`).
 *
 * The engine runs this file through @pulumi/pulumi's cmd/run-policy-pack, which must see a gRPC port
 * printed by `new PolicyPack(...)`. A plain `require("./policies")` (tooling, smoke tests) must not start
 * a server that keeps the process alive, so the pack is served only when started by run-policy-pack, or
 * when forced with GRAY_RELEASE_POLICY_SERVE=1 (GRAY_RELEASE_POLICY_SERVE=0 never serves).
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, allRules, PACK_NAME, packArgs } from "./all";

export function startedByPolicyEngine(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
    const forced = env["GRAY_RELEASE_POLICY_SERVE"];
    if (forced === "1" || forced === "true") return true;
    if (forced === "0" || forced === "false") return false;
    return /run-policy-pack/.test(argv[1] ?? "");
}

export { allPolicies, allRules, PACK_NAME, packArgs };

if (startedByPolicyEngine()) {
    new PolicyPack(PACK_NAME, packArgs);
}
