import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PhoneNumberWebhooksOutputs } from "../../provider/lifecycle";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const PLAIN = "+14155550100"; // voice and SMS URLs on the number
const WITH_APP = "+14155550101"; // voice_application_sid set
const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]); // never, in any test
  expect(h.sandbox.control.validationErrors()).toEqual([]); // every request and answer matched Twilio's OpenAPI
  await h.close();
});

const live = (phone: string) => h.sandbox.control.twilioNumber(phone)!;
const postCount = () =>
  Object.entries(h.sandbox.control.counts())
    .filter(([endpoint]) => endpoint.startsWith("POST "))
    .reduce((sum, [, n]) => sum + Number(n), 0);

async function create(args: Record<string, unknown>) {
  const provider = h.provider();
  const { failures } = await provider.check({}, args);
  expect(failures).toEqual([]);
  return { provider, result: await provider.create(args as never) };
}

describe("Twilio lifecycle", () => {
  it("takes over a number: records its previous webhooks, writes, verifies and reports", async () => {
    const before = live(PLAIN);
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS });
    expect(result.id).toBe(`twilio:${PLAIN}`);
    const outs = result.outs!;
    expect(outs.message).toBe(`Successfully updated 2 webhook(s) for ${PLAIN} via twilio`);
    expect(outs.updatedWebhooks).toEqual({ voice: VOICE, sms: SMS });
    expect(outs.previousWebhooks.voiceUrl).toBe(before.voice_url || null);
    expect(outs.previousWebhooks.smsUrl).toBe(before.sms_url || null);
    expect(outs.webhooks).toMatchObject({ voiceUrl: VOICE, smsUrl: SMS });
    expect(outs.accountSid).toBe(before.account_sid);
    expect(outs.phoneNumberSid).toBe(before.sid);
    // A carrier that keeps no fields of its own: the state looks as it always did.
    expect(outs).not.toHaveProperty("previousCarrierFields");
    expect(live(PLAIN)).toMatchObject({ voice_url: VOICE, sms_url: SMS });
    // Settings not declared are left alone.
    expect(live(PLAIN).voice_fallback_url).toBe(before.voice_fallback_url);
  });

  it("writes only the webhook given, in one call, when updating", async () => {
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(live(PLAIN).sms_url).toBe(result.outs!.previousWebhooks.smsUrl ?? "");
    h.sandbox.control.clearLog();
    const { outs } = await provider.update(result.id, result.outs!, {
      phoneNumber: PLAIN,
      voiceUrl: `${VOICE}/v2`,
    });
    expect(live(PLAIN).voice_url).toBe(`${VOICE}/v2`);
    expect(outs!.previousWebhooks).toEqual(result.outs!.previousWebhooks);
    // One call in all: the POST, whose answer is the verification.
    expect(h.sandbox.control.requests().map((r) => r.method)).toEqual(["POST"]);
  });

  it("puts a webhook removed from the arguments back to its previous value", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS });
    const { outs } = await provider.update(result.id, result.outs!, { phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(live(PLAIN).sms_url).toBe(before.sms_url);
    expect(outs!.smsUrl).toBeUndefined();
    expect(outs!.updatedWebhooks).toEqual({ voice: VOICE });
  });

  it("sees a change made in the console as drift, in both props and inputs", async () => {
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS });
    h.sandbox.control.editTwilioNumber(PLAIN, { voice_url: "https://console.example.com/hijack" });
    const provider = h.provider(); // the next operation: what the last one found is not fresh
    const read = await provider.read(result.id, result.outs!);
    expect(read.id).toBe(result.id);
    expect(read.props.webhooks.voiceUrl).toBe("https://console.example.com/hijack");
    expect(read.inputs).toMatchObject({ voiceUrl: "https://console.example.com/hijack", smsUrl: SMS });
    const diff = await provider.diff(result.id, read.props as PhoneNumberWebhooksOutputs, {
      phoneNumber: PLAIN,
      voiceUrl: VOICE,
      smsUrl: SMS,
    });
    expect(diff).toEqual({ changes: true, replaces: [] });
    await provider.update(result.id, read.props as PhoneNumberWebhooksOutputs, {
      phoneNumber: PLAIN,
      voiceUrl: VOICE,
      smsUrl: SMS,
    });
    expect(live(PLAIN).voice_url).toBe(VOICE);
  });

  it("a detected carrier: read stores it and the identifiers among the inputs, check carries them, update keeps them", async () => {
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(result.outs!.providerDetected).toBe(true);
    const read = await provider.read(result.id, result.outs!);
    const ids = { accountSid: live(PLAIN).account_sid, phoneNumberSid: live(PLAIN).sid };
    expect(read.inputs).toMatchObject({ provider: "twilio", providerDetected: true, ...ids });
    // The program still declares no provider: the new inputs carry what the state knows.
    const { inputs, failures } = await provider.check(read.inputs, {
      phoneNumber: PLAIN,
      voiceUrl: `${VOICE}/v2`,
    });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ provider: "twilio", providerDetected: true, ...ids });
    const props = read.props as PhoneNumberWebhooksOutputs;
    expect(await provider.diff(result.id, props, inputs as never)).toEqual({ changes: true, replaces: [] });
    const same = await provider.check(read.inputs, { phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(await provider.diff(result.id, props, same.inputs as never)).toEqual({
      changes: false,
      replaces: [],
    });
    // What a preview of this update shows (the checked inputs) agrees with what the update returns.
    const { outs } = await provider.update(result.id, props, inputs as never);
    expect(live(PLAIN).voice_url).toBe(`${VOICE}/v2`);
    expect(outs).toMatchObject(inputs);
  });

  it("drops a number deleted out of band from the state, and deleting it then succeeds", async () => {
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    h.sandbox.control.deleteNumber("twilio", PLAIN);
    const provider = h.provider(); // the next operation
    expect(await provider.read(result.id, result.outs!)).toEqual({});
    await expect(provider.delete(result.id, result.outs!)).resolves.toBeUndefined();
  });

  it("restores the previous webhooks on delete by default", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS });
    await provider.delete(result.id, result.outs!);
    expect(live(PLAIN)).toMatchObject({ voice_url: before.voice_url, sms_url: before.sms_url });
  });

  it("clears what it set with onDelete: clear, and leaves the carrier alone with retain", async () => {
    const cleared = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, onDelete: "clear" });
    await cleared.provider.delete(cleared.result.id, cleared.result.outs!);
    expect(live(PLAIN).voice_url).toBe("");
    const retained = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, onDelete: "retain" });
    h.sandbox.control.clearLog();
    await retained.provider.delete(retained.result.id, retained.result.outs!);
    expect(live(PLAIN).voice_url).toBe(VOICE);
    expect(h.sandbox.control.requests()).toEqual([]);
  });

  it("replaces on a new number: the new one is taken over, the old one gets its webhooks back", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS });
    const diff = await provider.diff(result.id, result.outs!, { phoneNumber: WITH_APP, smsUrl: SMS });
    expect(diff.replaces).toEqual(["phoneNumber"]);
    const replacement = await provider.create({ phoneNumber: WITH_APP, smsUrl: SMS });
    await provider.delete(result.id, result.outs!);
    expect(replacement.outs!.phoneNumber).toBe(WITH_APP);
    expect(live(WITH_APP).sms_url).toBe(SMS);
    expect(live(PLAIN)).toMatchObject({ voice_url: before.voice_url, sms_url: before.sms_url });
  });

  it("refuses a voice URL that the number's voice application would override, naming the SID", async () => {
    const app = live(WITH_APP).voice_application_sid;
    expect(app).toMatch(/^AP/);
    const provider = h.provider();
    await expect(provider.create({ phoneNumber: WITH_APP, voiceUrl: VOICE })).rejects.toThrow(
      new RegExp(
        `Failed to update webhooks for \\${WITH_APP} via twilio: voiceUrl would have no effect: .*voice_application_sid ${app}`,
      ),
    );
    expect(live(WITH_APP).voice_url).not.toBe(VOICE);
    // SMS is not overridden: that works.
    await expect(provider.create({ phoneNumber: WITH_APP, smsUrl: SMS })).resolves.toBeDefined();
  });

  it("retries 429 (honouring Retry-After) and 503, then succeeds", async () => {
    h.sandbox.control.injectFault({ status: 429, retryAfter: 1, times: 1, method: "POST" });
    h.sandbox.control.injectFault({ status: 503, times: 1, method: "POST" });
    const started = Date.now();
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(result.outs!.webhooks.voiceUrl).toBe(VOICE);
    expect(postCount()).toBe(3);
  });

  it("fails with the carrier's reason and changes nothing when the carrier keeps failing", async () => {
    const before = live(PLAIN);
    h.sandbox.control.injectFault({ status: 500, times: 1000, method: "POST" });
    await expect(create({ phoneNumber: PLAIN, voiceUrl: VOICE })).rejects.toThrow(
      new RegExp(
        `^Failed to update webhooks for \\${PLAIN} via twilio: twilio update IncomingPhoneNumber PN\\w+ failed \\(HTTP 500\\)`,
      ),
    );
    expect(live(PLAIN)).toEqual(before);
  });

  it("reports a 401 without leaking the credentials", async () => {
    const provider = h.provider({ TWILIO_AUTH_TOKEN: "0".repeat(32) });
    const error = await provider
      .create({ phoneNumber: PLAIN, voiceUrl: VOICE, provider: "twilio" })
      .catch((e: Error) => e);
    expect(String(error)).toMatch(/HTTP 401/);
    expect(String(error)).not.toContain(h.env.TWILIO_AUTH_TOKEN);
  });

  it("names the settings to check when Twilio refuses the credentials, after what Twilio said", async () => {
    const wrongToken = h.provider({ TWILIO_AUTH_TOKEN: "0".repeat(32) });
    const error = await wrongToken
      .create({ phoneNumber: PLAIN, voiceUrl: VOICE, provider: "twilio" })
      .catch((e: Error) => e);
    expect((error as Error).message).toBe(
      "twilio list IncomingPhoneNumbers failed (HTTP 401): Authenticate (Twilio error 20003). Twilio did not accept " +
        "the credentials: check twilio:accountSid and twilio:authToken (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
    );
    // With an API key, its settings are the ones to check.
    const wrongSecret = h.provider({
      TWILIO_AUTH_TOKEN: undefined,
      TWILIO_API_KEY: h.sandbox.control.state().twilio!.api_keys![0]!.sid,
      TWILIO_API_SECRET: "wrong",
    });
    const keyError = await wrongSecret
      .create({ phoneNumber: PLAIN, voiceUrl: VOICE, provider: "twilio" })
      .catch((e: Error) => e);
    expect(String(keyError)).toContain(
      "check twilio:accountSid and twilio:apiKey and twilio:apiSecret (or TWILIO_ACCOUNT_SID and TWILIO_API_KEY and TWILIO_API_SECRET)",
    );
    expect(String(keyError)).not.toContain("wrong");
  });

  it("undoes a write the carrier applied but that turned out ineffective (an application attached since)", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    h.sandbox.control.editTwilioNumber(PLAIN, { voice_application_sid: "AP" + "0".repeat(32) });
    await expect(
      provider.update(result.id, result.outs!, { phoneNumber: PLAIN, voiceUrl: `${VOICE}/v2` }),
    ).rejects.toThrow(/would have no effect/);
    expect(live(PLAIN).voice_url).toBe(VOICE); // the applied write was put back
    // Destroy still gives the number its previous URL back: restoring is harmless under an application.
    await provider.delete(result.id, result.outs!);
    expect(live(PLAIN).voice_url).toBe(before.voice_url);
  });

  it("refuses to refresh with another account's credentials instead of dropping the resource", async () => {
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    const other = h.provider({ TWILIO_ACCOUNT_SID: "AC" + "f".repeat(32) });
    await expect(other.read(result.id, result.outs!)).rejects.toThrow(/cannot act on account AC0123/);
  });
});
