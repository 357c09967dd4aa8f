/**
 * examples/multi-environment under the real engine: a stack's numbers from the data file its config
 * names (as the example ships), from a list in stack config (a small stack), and what a user sees
 * when a stack sets both, or its file is malformed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multiEnvironmentFiles } from "../../scripts/example-project";
import { PulumiProject } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, expectSuccess } from "./support";

describe.skipIf(!binDir)("examples/multi-environment", () => {
  let sandbox: Sandbox;
  let project: PulumiProject;
  const twilio = (n: string) => sandbox.control.twilioNumber(n)!;

  /** A stack of the example whose Pulumi.<stack>.yaml is `config` (written before init keeps its salt). */
  async function stack(name: string, config: string): Promise<void> {
    writeFileSync(join(project.dir, `Pulumi.${name}.yaml`), config);
    await project.must(["stack", "init", name]);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: demoSeed() });
    project = new PulumiProject({
      binDir,
      files: multiEnvironmentFiles(["staging"]),
      env: providerEnvironment(sandbox),
    });
    await project.must(["stack", "init", "staging"]);
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
  });

  it("staging: the numbers in numbers.staging.yaml, which its config names, are pointed at staging", async () => {
    const voiceBefore = twilio("+14155550101").voice_url;
    expectSuccess(await project.run(["up", "--yes", "--stack", "staging"]), "up staging");
    const outputs = await project.stackOutputs("staging");
    expect(Object.keys(outputs.updatedWebhooks as object).sort()).toEqual([
      "+13125550201",
      "+13125550202",
      "+14155550101",
    ]);
    expect(twilio("+14155550101").sms_url).toBe("https://staging.your-app.example/webhooks/sms");
    // `voice: false` in the file: its calls stay where they were.
    expect(twilio("+14155550101").voice_url).toBe(voiceBefore);
    expectSuccess(await project.run(["destroy", "--yes", "--stack", "staging"]), "destroy staging");
    expect(twilio("+14155550101").sms_url).not.toBe("https://staging.your-app.example/webhooks/sms");
  });

  it("a small stack may list its numbers in its config instead", async () => {
    await stack(
      "small",
      [
        "config:",
        "  phone-webhooks:baseUrl: https://small.your-app.example",
        "  phone-webhooks:numbers:",
        '    - phoneNumber: "+14155550100"',
        "      sms: false",
        "",
      ].join("\n"),
    );
    const smsBefore = twilio("+14155550100").sms_url;
    expectSuccess(await project.run(["up", "--yes", "--stack", "small"]), "up small");
    expect(twilio("+14155550100").voice_url).toBe("https://small.your-app.example/webhooks/voice");
    expect(twilio("+14155550100").sms_url).toBe(smsBefore);
    expectSuccess(await project.run(["destroy", "--yes", "--stack", "small"]), "destroy small");
  });

  it("a stack that sets both a list and a file fails before any change, naming both keys", async () => {
    await stack(
      "both",
      [
        "config:",
        "  phone-webhooks:baseUrl: https://both.your-app.example",
        "  phone-webhooks:numbersFile: numbers.staging.yaml",
        "  phone-webhooks:numbers:",
        '    - phoneNumber: "+14155550100"',
        "",
      ].join("\n"),
    );
    const before = JSON.stringify(sandbox.control.state());
    const result = await project.run(["up", "--yes", "--stack", "both"]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("Stack config sets both numbers and numbersFile");
    expect(JSON.stringify(sandbox.control.state())).toBe(before);
  });

  it("a malformed numbers file fails before any change, naming the file, the entry and the rule", async () => {
    writeFileSync(
      join(project.dir, "numbers.bad.yaml"),
      ['- phoneNumber: "+14155550100"', '- phoneNumber: "+14155550101"', "  onShared: isolated", ""].join(
        "\n",
      ),
    );
    await stack(
      "bad",
      "config:\n  phone-webhooks:baseUrl: https://bad.your-app.example\n  phone-webhooks:numbersFile: numbers.bad.yaml\n",
    );
    const before = JSON.stringify(sandbox.control.state());
    const result = await project.run(["up", "--yes", "--stack", "bad"]);
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toContain(`numbers file ${join(project.dir, "numbers.bad.yaml")}: 1 problem(s):`);
    expect(output).toContain(
      'entry 1 (+14155550101), onShared: onShared must be "refuse", "update" or "isolate" (got "isolated")',
    );
    expect(JSON.stringify(sandbox.control.state())).toBe(before);
  });
});
