/** Steps 4 and 5: in-place update vs replace, and a number deleted out of band. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";

describe.skipIf(!binDir)("changes to the declaration and to the account", () => {
  let f: E2EFixture;
  let original: { voice_url?: string | null; sms_url?: string | null };

  beforeAll(async () => {
    f = await E2EFixture.start();
    original = { ...f.sandbox.control.twilioNumber("+14155550100")! };
    await f.initStack(STACK, [
      { name: "main", phoneNumber: "+14155550100", voiceUrl: "https://a.example.com/voice" },
    ]);
    expectSuccess(await f.up(STACK), "first up");
  });
  afterAll(async () => {
    await f?.close();
  });

  it("4a. a new URL in config is an in-place update, not a replace", async () => {
    await f.declare(STACK, [
      { name: "main", phoneNumber: "+14155550100", voiceUrl: "https://b.example.com/voice" },
    ]);
    const preview = await f.preview(STACK);
    expectSuccess(preview, "preview");
    expect(preview.stdout).toMatch(/main +update/);
    expect(preview.stdout).not.toMatch(/replace/);
    expectSuccess(await f.up(STACK), "up");
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).toBe("https://b.example.com/voice");
  });

  it("4b. a new phone number is a replace, and the old number gets its previous webhooks back", async () => {
    await f.declare(STACK, [
      { name: "main", phoneNumber: "+14155550101", smsUrl: "https://b.example.com/sms" },
    ]);
    const preview = await f.preview(STACK);
    expectSuccess(preview, "preview");
    expect(preview.stdout).toMatch(/main +replace/);
    expectSuccess(await f.up(STACK), "up");
    expect(f.sandbox.control.twilioNumber("+14155550101")!.sms_url).toBe("https://b.example.com/sms");
    expect(f.sandbox.control.twilioNumber("+14155550100")).toMatchObject({
      voice_url: original.voice_url,
      sms_url: original.sms_url,
    });
  });

  it("5. a number deleted out of band drops out on refresh; nothing fails", async () => {
    f.sandbox.control.deleteNumber("twilio", "+14155550101");
    const refresh = await f.project.run(["refresh", "--yes", "--stack", STACK]);
    expectSuccess(refresh, "pulumi refresh");
    expect(await f.resourcesInState(STACK)).toEqual([]);
    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
    expect(f.sandbox.control.releases()).toEqual([]);
  });
});
