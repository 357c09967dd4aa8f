/**
 * Steps 1, 2, 3 and 8 of the acceptance suite on one stack: create, no phantom diff, drift seen and
 * fixed, destroy restores and never releases.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess, filesUnder } from "./support";

const STACK = "dev";
const VOICE = "https://dev.example.com/voice";
const SMS_WITH_PASSWORD = "https://hook-user:s3cret-hook-pw@dev.example.com/sms";

/** The text around the first occurrence of `secret`, so a failure shows where it leaked. */
function leakContext(text: string, secret: string): string {
  const at = text.indexOf(secret);
  return at < 0 ? "" : text.slice(Math.max(0, at - 300), at + secret.length + 50);
}

describe.skipIf(!binDir)("a stack's life under the real engine", () => {
  let f: E2EFixture;
  const output: string[] = [];
  let originals: Record<string, { voice: string; sms: string }> = {};

  beforeAll(async () => {
    f = await E2EFixture.start();
    f.secrets.push("s3cret-hook-pw");
    originals = Object.fromEntries(
      ["+14155550100", "+13125550202"].map((n) => {
        const t = f.sandbox.control.twilioNumber(n);
        const x = f.sandbox.control.telnyxNumber(n);
        const texml = x && f.sandbox.control.telnyxObject("texml_applications", x.connection_id!);
        const profile = x && f.sandbox.control.telnyxObject("messaging_profiles", x.messaging_profile_id!);
        return [
          n,
          t
            ? { voice: t.voice_url!, sms: t.sms_url! }
            : { voice: String(texml!.voice_url), sms: String(profile!.webhook_url) },
        ];
      }),
    );
    await f.initStack(STACK, []);
    await f.setSecret(STACK, "smsHook", SMS_WITH_PASSWORD);
    await f.declare(STACK, [
      { name: "twilio-main", phoneNumber: "+14155550100", voiceUrl: VOICE, smsUrl: "secret:smsHook" },
      { name: "telnyx-alone", phoneNumber: "+13125550202", voiceUrl: VOICE },
    ]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("1. up takes the numbers over; outputs match the sandbox; no credential in state or output", async () => {
    const up = await f.up(STACK);
    output.push(up.stdout, up.stderr);
    expectSuccess(up, "pulumi up");
    expect(up.stdout).toMatch(/\+ 3 created/); // the stack and two numbers
    expect(f.sandbox.control.twilioNumber("+14155550100")).toMatchObject({
      voice_url: VOICE,
      sms_url: SMS_WITH_PASSWORD,
    });
    const telnyx = f.sandbox.control.telnyxNumber("+13125550202")!;
    expect(f.sandbox.control.telnyxObject("texml_applications", telnyx.connection_id!)!.voice_url).toBe(
      VOICE,
    );

    const results = await f.results(STACK);
    expect(results["twilio-main"]).toMatchObject({
      id: "twilio:+14155550100",
      message: "Successfully updated 2 webhook(s) for +14155550100 via twilio",
      updatedWebhooks: { voice: VOICE, sms: "https://hook-user:***@dev.example.com/sms" },
      webhooks: { voiceUrl: VOICE, smsUrl: SMS_WITH_PASSWORD },
      previousWebhooks: {
        voiceUrl: originals["+14155550100"]!.voice,
        smsUrl: originals["+14155550100"]!.sms,
      },
    });
    expect(results["telnyx-alone"]).toMatchObject({
      id: "telnyx:+13125550202",
      webhooks: { voiceUrl: VOICE },
    });

    const state = await f.project.exportState(STACK);
    // The backend (state, history, backups) and PULUMI_HOME (workspace files, logs).
    const stateFiles = [...filesUnder(f.project.backend), ...filesUnder(f.project.home)].map((p) =>
      readFileSync(p, "utf8"),
    );
    for (const secret of f.secrets) {
      expect(leakContext(state, secret)).toBe("");
      for (const text of [...stateFiles, ...output]) expect(text).not.toContain(secret);
    }
    // Installed under node_modules, __provider is a reference to the package, and the whole
    // resource (inputs, outputs, both copies of __provider) stays under 4 KB.
    const resources = await f.resourcesInState(STACK);
    for (const r of resources) {
      expect(String(r.outputs.__provider)).toContain('require("pulumi-phone-webhooks/hosted")');
      expect(String(r.outputs.__provider).length).toBeLessThan(1024);
      expect(JSON.stringify(r).length).toBeLessThan(4096);
    }
  });

  it("2. an immediate preview shows no changes", async () => {
    const preview = await f.preview(STACK, "--expect-no-changes");
    output.push(preview.stdout, preview.stderr);
    expectSuccess(preview, "pulumi preview --expect-no-changes");
  });

  it("3. a console change is drift: preview reports an update, up puts it back", async () => {
    f.sandbox.control.editTwilioNumber("+14155550100", { voice_url: "https://console.example.com/changed" });
    const preview = await f.preview(STACK, "--expect-no-changes");
    output.push(preview.stdout, preview.stderr);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout).toMatch(
      /~ +pulumi-nodejs:dynamic\/phone-webhooks:PhoneNumberWebhooks +twilio-main +update/,
    );
    expect(preview.stdout).toMatch(/1 to update/);
    expect(preview.stdout).not.toMatch(/telnyx-alone +update/);

    const up = await f.up(STACK);
    output.push(up.stdout, up.stderr);
    expectSuccess(up, "pulumi up");
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).toBe(VOICE);
    expectSuccess(await f.preview(STACK, "--expect-no-changes"), "preview after the fix");
    // A refresh rewrote the inputs from the live values: the password stays encrypted.
    const state = await f.project.exportState(STACK);
    const stateFiles = filesUnder(f.project.backend).map((p) => readFileSync(p, "utf8"));
    for (const secret of f.secrets)
      for (const text of [state, ...stateFiles]) expect(leakContext(text, secret)).toBe("");
  });

  it("8. destroy gives every number its previous webhooks back and releases none", async () => {
    const destroy = await f.project.run(["destroy", "--yes", "--stack", STACK]);
    output.push(destroy.stdout, destroy.stderr);
    expectSuccess(destroy, "pulumi destroy");
    expect(f.sandbox.control.twilioNumber("+14155550100")).toMatchObject({
      voice_url: originals["+14155550100"]!.voice,
      sms_url: originals["+14155550100"]!.sms,
    });
    const telnyx = f.sandbox.control.telnyxNumber("+13125550202")!;
    expect(f.sandbox.control.telnyxObject("texml_applications", telnyx.connection_id!)!.voice_url).toBe(
      originals["+13125550202"]!.voice,
    );
    expect(f.sandbox.control.releases()).toEqual([]);
    for (const secret of f.secrets) for (const text of output) expect(text).not.toContain(secret);
  });
});
