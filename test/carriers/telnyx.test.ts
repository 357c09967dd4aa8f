import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const SHARED_A = "+13125550200"; // shares a Call Control application and a messaging profile with B
const SHARED_B = "+13125550201";
const ALONE = "+13125550202"; // alone on a TeXML application with its own profile
const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const number = (phone: string) => h.sandbox.control.telnyxNumber(phone)!;
const connection = (phone: string) => {
  const n = number(phone);
  const kind = h.sandbox.control.telnyxObject("call_control_applications", n.connection_id!)
    ? "call_control_applications"
    : "texml_applications";
  return h.sandbox.control.telnyxObject(kind, n.connection_id!)!;
};
const profile = (phone: string) =>
  h.sandbox.control.telnyxObject("messaging_profiles", number(phone).messaging_profile_id!)!;

describe("Telnyx lifecycle", () => {
  it("takes over a number on a TeXML application: voice on the application, SMS on its profile", async () => {
    const before = { voice: connection(ALONE).voice_url, sms: profile(ALONE).webhook_url };
    const provider = h.provider();
    const { id, outs } = await provider.create({
      phoneNumber: ALONE,
      voiceUrl: VOICE,
      smsUrl: SMS,
      voiceMethod: "GET",
    });
    expect(id).toBe(`telnyx:${ALONE}`);
    expect(outs!.message).toBe(`Successfully updated 2 webhook(s) for ${ALONE} via telnyx`);
    expect(outs!.connectionType).toBe("texml_application");
    expect(outs!.connectionId).toBe(number(ALONE).connection_id);
    expect(outs!.messagingProfileId).toBe(number(ALONE).messaging_profile_id);
    expect(outs!.phoneNumberId).toBe(number(ALONE).id);
    expect(outs!.sharedWith).toEqual([]);
    expect(outs!.previousWebhooks).toMatchObject({ voiceUrl: before.voice, smsUrl: before.sms });
    expect(connection(ALONE)).toMatchObject({ voice_url: VOICE, voice_method: "get" });
    expect(profile(ALONE).webhook_url).toBe(SMS);
    // The PATCH re-sent the fields Telnyx requires, so the application kept its name.
    expect(connection(ALONE).friendly_name).toBeTruthy();

    await provider.delete(id, outs!);
    expect(connection(ALONE).voice_url).toBe(before.voice);
    expect(profile(ALONE).webhook_url).toBe(before.sms);
  });

  it("refuses to change a shared connection without opt-in, listing the other numbers, and changes nothing", async () => {
    const before = { voice: connection(SHARED_A).webhook_event_url, sms: profile(SHARED_A).webhook_url };
    const provider = h.provider();
    const error = await provider
      .create({ phoneNumber: SHARED_A, voiceUrl: VOICE, smsUrl: SMS })
      .catch((e: Error) => e);
    expect(String(error)).toContain(`Failed to update webhooks for ${SHARED_A} via telnyx`);
    expect(String(error)).toContain(SHARED_B);
    expect(String(error)).toContain("allowSharedUpdate: true");
    expect(connection(SHARED_A).webhook_event_url).toBe(before.voice);
    expect(profile(SHARED_A).webhook_url).toBe(before.sms);
  });

  it("names the setting to check when Telnyx refuses the API key, after what Telnyx said", async () => {
    const error = await h
      .provider({ TELNYX_API_KEY: "KEY_not_the_sandbox_one" })
      .create({ phoneNumber: ALONE, provider: "telnyx", smsUrl: SMS })
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^telnyx list phone_numbers failed \(HTTP 401\): .+\. Telnyx did not accept the credentials: check telnyx:apiKey \(or TELNYX_API_KEY\)$/,
    );
    expect(String(error)).not.toContain("KEY_not_the_sandbox_one");
  });

  it("changes a shared connection with allowSharedUpdate and reports who shares it", async () => {
    const provider = h.provider();
    const { outs } = await provider.create({
      phoneNumber: SHARED_A,
      voiceUrl: VOICE,
      smsUrl: SMS,
      allowSharedUpdate: true,
    });
    expect(outs!.sharedWith).toEqual([SHARED_B]);
    expect(outs!.connectionType).toBe("call_control_application");
    expect(connection(SHARED_B).webhook_event_url).toBe(VOICE);
    expect(profile(SHARED_B).webhook_url).toBe(SMS);
  });

  it("puts the voice webhook back when the SMS write fails (no half-applied change)", async () => {
    const before = { voice: connection(ALONE).voice_url, sms: profile(ALONE).webhook_url };
    h.sandbox.control.injectFault({
      status: 500,
      times: 1000,
      method: "PATCH",
      path: "/v2/messaging_profiles/",
    });
    const error = await h
      .provider()
      .create({ phoneNumber: ALONE, voiceUrl: VOICE, smsUrl: SMS })
      .catch((e: Error) => e);
    expect(String(error)).toMatch(
      new RegExp(
        `Failed to update webhooks for \\${ALONE} via telnyx: telnyx update messaging_profiles/\\S+ failed \\(HTTP 500\\)`,
      ),
    );
    expect(String(error)).toContain("were put back");
    expect(connection(ALONE).voice_url).toBe(before.voice);
    expect(profile(ALONE).webhook_url).toBe(before.sms);
  });

  it("refuses settings the connection cannot hold", async () => {
    const provider = h.provider();
    await expect(
      provider.create({
        phoneNumber: SHARED_A,
        voiceUrl: VOICE,
        voiceMethod: "GET",
        allowSharedUpdate: true,
      }),
    ).rejects.toThrow(/voiceMethod is not supported on a Telnyx Call Control application/);
    const { failures } = await provider.check(
      {},
      { phoneNumber: ALONE, provider: "telnyx", smsUrl: SMS, smsMethod: "GET" },
    );
    expect(failures?.[0]?.property).toBe("smsMethod");
  });

  it("refuses onDelete: clear up front where Telnyx requires the voice URL", async () => {
    await expect(
      h.provider().create({ phoneNumber: ALONE, voiceUrl: VOICE, onDelete: "clear" }),
    ).rejects.toThrow(/onDelete: "clear" cannot empty voiceUrl/);
    // SMS URLs can be emptied.
    const provider = h.provider();
    const { id, outs } = await provider.create({ phoneNumber: ALONE, smsUrl: SMS, onDelete: "clear" });
    await provider.delete(id, outs!);
    expect(profile(ALONE).webhook_url ?? null).toBeNull();
  });

  it("sees console drift on the application, and drops a number deleted out of band", async () => {
    const { id, outs } = await h.provider().create({ phoneNumber: ALONE, voiceUrl: VOICE });
    h.sandbox.control.editTelnyx("texml_applications", number(ALONE).connection_id!, {
      voice_url: "https://console.example.com/x",
    });
    // Each Pulumi operation is a new provider process, with nothing cached from the last one.
    const read = await h.provider().read(id, outs!);
    expect(read.props.webhooks.voiceUrl).toBe("https://console.example.com/x");
    expect(read.inputs).toMatchObject({ voiceUrl: "https://console.example.com/x" });
    h.sandbox.control.deleteNumber("telnyx", ALONE);
    expect(await h.provider().read(id, outs!)).toEqual({});
    await expect(h.provider().delete(id, outs!)).resolves.toBeUndefined();
  });

  it("retries a 429 with Retry-After, then succeeds", async () => {
    h.sandbox.control.injectFault({ status: 429, retryAfter: 1, times: 2, method: "PATCH" });
    const { outs } = await h.provider().create({ phoneNumber: ALONE, smsUrl: SMS });
    expect(outs!.webhooks.smsUrl).toBe(SMS);
  });
});
