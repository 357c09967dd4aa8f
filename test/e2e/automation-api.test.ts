/**
 * The same acceptance steps through Pulumi's Automation API with an inline program: the CLI and
 * the Node SDK serve the program themselves, so no language host is involved at all. It shows
 * that what the suite proves does not rest on the stand-in `pulumi-language-nodejs` this machine
 * has to build (see README, "The Pulumi CLI").
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/pulumi-project";
import { startSandbox, type Sandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir } from "./support";

const NUMBER = "+14155550100";
const VOICE = "https://automation.example.com/voice";

describe.skipIf(!binDir)("under the Automation API (no language host)", () => {
  let sandbox: Sandbox;
  let stack: Stack;
  let root: string;
  const seed = demoSeed();

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed });
    root = mkdtempSync(join(tmpdir(), "phone-webhooks-automation-"));
    const workDir = join(root, "program");
    mkdirSync(workDir);
    mkdirSync(join(root, "state"));
    // The provider process resolves the package from here, as it would from a user's program.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(workDir, "node_modules"), "dir");
    const pulumiCommand = await PulumiCommand.get({ root: dirname(binDir), skipVersionCheck: true });
    const program = async () => {
      // Loaded through node_modules, the way users install the package.
      const { PhoneNumberWebhooks } =
        (await import("pulumi-phone-webhooks")) as typeof import("../../provider");
      const r = new PhoneNumberWebhooks("main", { phoneNumber: NUMBER, voiceUrl: VOICE });
      return { message: r.message, previous: pulumi.unsecret(r.previousWebhooks) };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "dev", projectName: "automation", program },
      {
        workDir,
        pulumiCommand,
        projectSettings: {
          name: "automation",
          runtime: "nodejs",
          backend: { url: `file://${join(root, "state")}` },
        },
        envVars: {
          PATH: `${binDir}:${process.env.PATH ?? ""}`,
          PULUMI_HOME: join(root, "home"),
          PULUMI_CONFIG_PASSPHRASE: "automation",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PHONE_WEBHOOKS_JOURNAL_DIR: join(root, "journal"),
        },
      },
    );
    await stack.setAllConfig({
      "twilio:accountSid": { value: seed.twilio!.account_sid! },
      "twilio:authToken": { value: seed.twilio!.auth_token!, secret: true },
      "twilio:apiBaseUrl": { value: sandbox.twilioBaseUrl },
      "telnyx:apiKey": { value: seed.telnyx!.api_key!, secret: true },
      "telnyx:baseUrl": { value: sandbox.telnyxBaseUrl },
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("creates, shows no phantom diff, sees drift, and restores on destroy", async () => {
    const original = sandbox.control.twilioNumber(NUMBER)!.voice_url;
    const up = await stack.up();
    expect(up.outputs.message!.value).toBe(`Successfully updated 1 webhook(s) for ${NUMBER} via twilio`);
    expect(up.outputs.previous!.value).toMatchObject({ voiceUrl: original });
    expect(sandbox.control.twilioNumber(NUMBER)!.voice_url).toBe(VOICE);

    await stack.preview({ refresh: true, expectNoChanges: true });
    sandbox.control.editTwilioNumber(NUMBER, { voice_url: "https://console.example.com/x" });
    await expect(stack.preview({ refresh: true, expectNoChanges: true })).rejects.toThrow();
    await stack.up({ refresh: true });
    expect(sandbox.control.twilioNumber(NUMBER)!.voice_url).toBe(VOICE);

    await stack.destroy({ refresh: true });
    expect(sandbox.control.twilioNumber(NUMBER)!.voice_url).toBe(original);
    expect(sandbox.control.releases()).toEqual([]);
  });
});
