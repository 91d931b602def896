/**
 * How the driver reads a failed update: a held stack lock, a refusal of the policy pack (exit 5, with the mandatory
 * violations and their messages in the `refused` event) or any other error. The text is the engine's own layout
 * (test/integration/release-driver.test.ts drives a real refusal through it).
 */
import { strict as assert } from "node:assert";
import { classifyUpdateError, policyLines } from "../../release/driver";

const ENGINE_OUTPUT = `Policies:
    ❌ gray-release@v0.1.0 (local: /tmp/p/policies)
        - [mandatory]  [severity: high]  release-window  (gray-release:index:CanaryRelease: checkout)
          Canary weight increases and new canaries happen only inside the release windows.
          [dev] new canary registry.example.com/shop/checkout:1.5.0 of 'checkout' (0% → 50%) outside the release window
        - [advisory]  [severity: high]  release-owner-and-risk-assessment-advisory  (gray-release:index:CanaryRelease: checkout)
          Every prod release names its owner.
          [dev] checkout has no owner

Resources:
    2 unchanged
`;

describe("release driver: failed updates", () => {
    it("classifies a policy refusal, a held lock and anything else", () => {
        assert.equal(classifyUpdateError(new Error("update failed"), ENGINE_OUTPUT), "refused");
        assert.equal(classifyUpdateError(new Error("the stack is currently locked by 1 lock(s)"), ""), "locked");
        assert.equal(classifyUpdateError(new Error("exit status 255: kube-apiserver unreachable"), "error: connection refused"), "error");
    });

    it("reports each mandatory violation with its message, not the policy's description, and counts advisory ones", () => {
        // The engine repeats the violations in its error message: each is reported once.
        const message = policyLines(ENGINE_OUTPUT, new Error(`update failed\n${ENGINE_OUTPUT}`));
        assert.equal(
            message,
            "the policy pack refused the update: release-window  (gray-release:index:CanaryRelease: checkout): " +
                "[dev] new canary registry.example.com/shop/checkout:1.5.0 of 'checkout' (0% → 50%) outside the release window (and 1 advisory)",
        );
    });

    it("falls back to the output's last lines when no violation line is found", () => {
        assert.match(policyLines("preview failed\nsomething odd", new Error("policy violations")), /something odd/);
    });
});
