/**
 * The registered policies of the gray-release pack (each rule as primary + `-advisory` twin), without
 * starting the policy server. `index.ts` serves them; tests import from here.
 */
import type { PolicyPackArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policiesOf, type Rule } from "./config";
import { dependencyRules } from "./dependencies";
import { featureFlagRules } from "./feature-flags";
import { laneRules } from "./lanes";
import { releaseDisciplineRules } from "./release-discipline";
import { releaseRecordCoverageRules } from "./release-record-coverage";
import { releaseWindowRules } from "./release-windows";
import { securityRules } from "./security-baselines";
import { sloGateRules } from "./slo-gates";

export const PACK_NAME = "gray-release";

export const allRules: Rule[] = [
    ...sloGateRules,
    ...dependencyRules,
    ...laneRules,
    ...featureFlagRules,
    ...releaseWindowRules,
    ...releaseDisciplineRules,
    ...releaseRecordCoverageRules,
    ...securityRules,
];

export const allPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = allRules.flatMap(policiesOf);

export const packArgs: PolicyPackArgs = {
    description:
        "SLO-gated canary releases on Kubernetes + Istio: SLO gates, dependency rules, release windows and security baselines (advisory in dev, mandatory in prod).",
    displayName: "gray-release",
    enforcementLevel: "mandatory",
    tags: ["kubernetes", "istio", "canary", "slo"],
    policies: allPolicies,
};

export function policyByName(name: string): ResourceValidationPolicy | StackValidationPolicy {
    const p = allPolicies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy named '${name}' (have: ${allPolicies.map((x) => x.name).join(", ")})`);
    return p;
}
