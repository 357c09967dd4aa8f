/**
 * Many resources in one `pulumi up`: twenty on one shared Telnyx application and profile, forty on
 * one Twilio account under a storm of 429s. Every write lands, none is lost, time stays bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeedWith, OLD_VOICE_URL } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess, type NumberDeclaration } from "./support";

const twilio = Array.from({ length: 40 }, (_, i) => `+1415555${String(2000 + i)}`);
const telnyx = Array.from({ length: 20 }, (_, i) => `+1312555${String(4000 + i)}`);

describe.skipIf(!binDir)("sixty resources in one up", () => {
  let f: E2EFixture;
  beforeAll(async () => {
    f = await E2EFixture.start(demoSeedWith({ twilio, onSupportApp: telnyx }));
    const declarations: NumberDeclaration[] = [
      ...twilio.map((n, i) => ({
        name: `t${i}`,
        phoneNumber: n,
        voiceUrl: `https://prod.example.com/voice/${i}`,
      })),
      ...telnyx.map((n, i) => ({
        name: `x${i}`,
        phoneNumber: n,
        voiceUrl: "https://prod.example.com/voice",
        smsUrl: "https://prod.example.com/sms",
        allowSharedUpdate: true,
      })),
    ];
    await f.initStack("dev", declarations);
    await f.project.must(["config", "set", "--stack", "dev", "phoneWebhooks:retryTimeoutMs", "60000"]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("lands every write, loses none, and records the true originals", async () => {
    f.sandbox.control.injectFault({ status: 429, retryAfter: 1, times: 30, method: "POST" });
    f.sandbox.control.injectFault({ status: 429, times: 30, method: "POST" });
    const started = Date.now();
    expectSuccess(await f.up("dev"), "up");
    expect(Date.now() - started).toBeLessThan(120_000);

    twilio.forEach((n, i) =>
      expect(f.sandbox.control.twilioNumber(n)!.voice_url).toBe(`https://prod.example.com/voice/${i}`),
    );
    const first = f.sandbox.control.telnyxNumber(telnyx[0]!)!;
    const app = f.sandbox.control.telnyxObject("call_control_applications", first.connection_id!)!;
    expect(app).toMatchObject({
      webhook_event_url: "https://prod.example.com/voice",
      application_name: "support-app",
    });
    expect(
      f.sandbox.control.telnyxObject("messaging_profiles", first.messaging_profile_id!)!.webhook_url,
    ).toBe("https://prod.example.com/sms");
    const results = await f.results("dev");
    for (let i = 0; i < telnyx.length; i++)
      expect(results[`x${i}`]!.previousWebhooks).toMatchObject({
        voiceUrl: "https://legacy.example.com/telnyx/support-events",
      });
    expectSuccess(await f.preview("dev", "--expect-no-changes"), "no changes after");

    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", "dev"]), "destroy");
    expect(
      f.sandbox.control.telnyxObject("call_control_applications", first.connection_id!)!.webhook_event_url,
    ).toBe("https://legacy.example.com/telnyx/support-events");
    for (const n of twilio) expect(f.sandbox.control.twilioNumber(n)!.voice_url).toBe(OLD_VOICE_URL);
    expect(f.sandbox.control.releases()).toEqual([]);
  });
});
