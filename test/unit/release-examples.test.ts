import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ALERT_NAMES } from "../../components/slo-rules/generator";
import { readNotificationsFile, resolveNotifications } from "../../release/notify";

const EXAMPLES = join(__dirname, "..", "..", "docs", "examples");
const load = (file: string) => parse(readFileSync(join(EXAMPLES, file), "utf8"));

describe("docs/examples (release driver)", function () {
    it("every example parses as YAML", function () {
        const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));
        assert.ok(files.length >= 4, files.join(", "));
        for (const f of files) assert.doesNotThrow(() => parse(readFileSync(join(EXAMPLES, f), "utf8"), { strict: true, uniqueKeys: true }), f);
    });

    it("the GitHub Actions workflow runs `gray-release release prod --once` with the policy pack on a schedule, one at a time", function () {
        const wf = load("github-actions-release.yml");
        assert.ok(wf.on.schedule[0].cron);
        assert.equal(wf.concurrency["cancel-in-progress"], false);
        const run: string = wf.jobs.release.steps.find((s: { name?: string }) => s.name?.startsWith("gray-release")).run;
        assert.match(run, /^npx gray-release release prod --once --policy-pack policies --policy-pack-config \S+ --notify notifications.yaml$/);
    });

    it("the GitLab CI job runs it from a pipeline schedule, one at a time", function () {
        const job = load("gitlab-ci-release.yml")["release-prod"];
        assert.ok(job.resource_group);
        assert.match(job.rules[0].if, /CI_PIPELINE_SOURCE == "schedule"/);
        assert.ok(job.script.some((l: string) => /^npx gray-release release prod --once --policy-pack policies /.test(l)));
    });

    it("the Alertmanager route sends the canary P1 alert of SloRules to the driver's webhook", function () {
        const am = load("alertmanager.yml");
        const route = am.route.routes[0];
        assert.equal(route.receiver, "gray-release-driver");
        assert.deepEqual(route.matchers, [`alertname = "${ALERT_NAMES.canaryP1}"`]);
        assert.ok(route.group_by.includes("service"));
        const receiver = am.receivers.find((r: { name: string }) => r.name === "gray-release-driver");
        assert.equal(receiver.webhook_configs[0].send_resolved, false);
        assert.equal(receiver.webhook_configs[0].http_config.authorization.type, "Bearer");
    });

    it("the notifications example is a valid `notifications` list", function () {
        const env = {
            SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x",
            FEISHU_WEBHOOK_URL: "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            FEISHU_SECRET: "s",
            INCIDENT_WEBHOOK_URL: "https://incidents.example.com/hook",
            INCIDENT_WEBHOOK_SECRET: "t",
        };
        const targets = resolveNotifications(readNotificationsFile(join(EXAMPLES, "notifications.yaml")), {
            env,
            pulumiSecrets: { "gray-release:wecomWebhookUrl": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" },
        });
        assert.deepEqual(
            targets.map((t) => t.type),
            ["slack", "feishu", "wecom", "webhook"],
        );
    });
});
