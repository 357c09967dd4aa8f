/** Step 9: the staging and production stacks of one program, side by side. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess } from "./support";

describe.skipIf(!binDir)("two stacks of one program", () => {
  let f: E2EFixture;
  beforeAll(async () => {
    f = await E2EFixture.start();
    await f.initStack("staging", [
      { name: "voice", phoneNumber: "+14155550100", voiceUrl: "https://staging.example.com/voice" },
      { name: "sms", phoneNumber: "+13125550202", smsUrl: "https://staging.example.com/sms" },
    ]);
    await f.initStack("production", [
      { name: "sms", phoneNumber: "+14155550101", smsUrl: "https://example.com/sms" },
      {
        name: "voice",
        phoneNumber: "+13125550200",
        voiceUrl: "https://example.com/voice",
        allowSharedUpdate: true,
      },
    ]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("9. each stack points its own numbers at its own URLs, and destroying one leaves the other", async () => {
    const [staging, production] = await Promise.all([f.up("staging"), f.up("production")]);
    expectSuccess(staging, "up staging");
    expectSuccess(production, "up production");
    const twilio = (n: string) => f.sandbox.control.twilioNumber(n)!;
    expect(twilio("+14155550100").voice_url).toBe("https://staging.example.com/voice");
    expect(twilio("+14155550101").sms_url).toBe("https://example.com/sms");
    expect((await f.results("staging")).voice!.message).toContain("via twilio");
    expect((await f.results("production")).voice!.message).toContain("via telnyx");

    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", "staging"]), "destroy staging");
    expect(twilio("+14155550100").voice_url).not.toBe("https://staging.example.com/voice");
    expect(twilio("+14155550101").sms_url).toBe("https://example.com/sms");
    expectSuccess(await f.preview("production", "--expect-no-changes"), "production unaffected");
  });
});
