/** The command line of `gray-release`. */
import { strict as assert } from "node:assert";
import { parseCommand, UsageError } from "../../release/args";

describe("release driver: arguments", () => {
    it("release <stack> with defaults: 15 s checks, 2 h at most, continuous", () => {
        assert.deepEqual(parseCommand(["release", "prod"]), {
            command: "release",
            stack: "prod",
            projectDir: undefined,
            checkIntervalMs: 15_000,
            maxDurationMs: 7_200_000,
            once: false,
            policyPacks: [],
            policyPackConfigs: [],
            notify: undefined,
        });
    });

    it("every option, in both spellings", () => {
        const c = parseCommand([
            "release",
            "--project-dir",
            "/p",
            "prod",
            "--check-interval=5s",
            "--max-duration",
            "1h30m",
            "--once",
            "--policy-pack",
            "policies",
            "--policy-pack-config=pack.json",
            "--notify",
            "notifications.yaml",
        ]);
        assert.deepEqual(c, {
            command: "release",
            stack: "prod",
            projectDir: "/p",
            checkIntervalMs: 5000,
            maxDurationMs: 5_400_000,
            once: true,
            policyPacks: ["policies"],
            policyPackConfigs: ["pack.json"],
            notify: "notifications.yaml",
        });
    });

    it("serve-webhook <stack>: port 9095 on loopback by default, the release options that apply", () => {
        assert.deepEqual(parseCommand(["serve-webhook", "prod"]), {
            command: "serve-webhook",
            stack: "prod",
            projectDir: undefined,
            policyPacks: [],
            policyPackConfigs: [],
            notify: undefined,
            port: 9095,
            host: "127.0.0.1",
        });
        const c = parseCommand(["serve-webhook", "prod", "--port=8080", "--host", "0.0.0.0", "--policy-pack", "policies"]);
        assert.equal(c.command === "serve-webhook" && `${c.host}:${c.port} ${c.policyPacks.join()}`, "0.0.0.0:8080 policies");
        assert.throws(() => parseCommand(["serve-webhook", "prod", "--once"]), /do not apply/);
        assert.throws(() => parseCommand(["serve-webhook", "prod", "--port", "99999"]), /not a port number/);
        assert.throws(() => parseCommand(["release", "prod", "--port", "80"]), /an option of serve-webhook/);
    });

    it("help, and clear refusals", () => {
        assert.equal(parseCommand([]).command, "help");
        assert.equal(parseCommand(["release", "--help"]).command, "help");
        const bad: Array<[string[], RegExp]> = [
            [["deploy", "prod"], /unknown command "deploy"/],
            [["release"], /which stack/],
            [["release", "a", "b"], /one stack only/],
            [["release", "prod", "--check-interval", "15"], /--check-interval: "15" is not a positive duration/],
            [["release", "prod", "--check-interval", "0s"], /not a positive duration/],
            [["release", "prod", "--max-duration"], /--max-duration needs a value/],
            [["release", "prod", "--frobnicate"], /unknown option --frobnicate/],
            [["release", "prod", "--once=yes"], /--once takes no value/],
            [["release", "prod", "--policy-pack-config", "x.json"], /without its --policy-pack/],
        ];
        for (const [argv, message] of bad)
            assert.throws(
                () => parseCommand(argv),
                (e: Error) => e instanceof UsageError && message.test(e.message),
                argv.join(" "),
            );
    });
});
