/**
 * `check` carries forward the outputs an update keeps (the carrier, whether it was detected, the
 * carrier's identifiers) from the stored inputs, so that a preview of an update, which shows the
 * checked inputs as the outputs, knows them.
 */
import { describe, expect, it } from "vitest";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import { UNKNOWN } from "../../provider/schema";

const provider = new PhoneNumberWebhooksProvider({ env: {} });
const NUMBER = "+14155550100";
const ids = {
  accountSid: "AC0123456789abcdef0123456789abcdef",
  phoneNumberSid: "PN0123456789abcdef0123456789abcdef",
  voiceApplicationSid: null,
};
/** The inputs `read` stores for a number whose carrier was detected. */
const storedDetected = {
  __provider: "serialized",
  phoneNumber: NUMBER,
  provider: "twilio",
  providerDetected: true,
  voiceUrl: "https://example.com/voice",
  ...ids,
};
const news = { __provider: "serialized", phoneNumber: NUMBER, voiceUrl: "https://example.com/v2" };

describe("check carries forward what the state knows", () => {
  it("an undeclared provider: the carrier, that it was detected, and the identifiers", async () => {
    const { inputs, failures } = await provider.check(storedDetected, news);
    expect(failures).toEqual([]);
    expect(inputs).toEqual({
      phoneNumber: NUMBER,
      voiceUrl: "https://example.com/v2",
      provider: "twilio",
      providerDetected: true,
      ...ids,
    });
  });

  it("a declared provider, the same as stored: the identifiers only, the declaration as it is", async () => {
    const { inputs } = await provider.check(storedDetected, { ...news, provider: "twilio" });
    expect(inputs).toEqual({
      phoneNumber: NUMBER,
      voiceUrl: "https://example.com/v2",
      provider: "twilio",
      ...ids,
    });
  });

  it("a declared accountSid as declared, so a new one replaces the resource", async () => {
    const subaccount = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
    const { inputs } = await provider.check(storedDetected, { ...news, accountSid: subaccount });
    expect(inputs).toMatchObject({ accountSid: subaccount, phoneNumberSid: ids.phoneNumberSid });
    const olds = { ...storedDetected, webhooks: {}, provider: "twilio" as const } as never;
    expect(await provider.diff("", olds, inputs as never)).toMatchObject({ replaces: ["accountSid"] });
  });

  it("nothing for a create, a new number, another carrier or a number not known yet", async () => {
    const bare = { phoneNumber: NUMBER, voiceUrl: "https://example.com/v2" };
    expect((await provider.check({}, news)).inputs).toEqual(bare);
    expect((await provider.check(undefined, news)).inputs).toEqual(bare);
    expect((await provider.check(storedDetected, { ...news, phoneNumber: "+14155550101" })).inputs).toEqual({
      ...bare,
      phoneNumber: "+14155550101",
    });
    expect((await provider.check(storedDetected, { ...news, provider: "telnyx" })).inputs).toEqual({
      ...bare,
      provider: "telnyx",
    });
    expect((await provider.check(storedDetected, { ...news, phoneNumber: UNKNOWN })).inputs).toEqual({
      ...bare,
      phoneNumber: UNKNOWN,
    });
  });

  it("nothing from inputs stored before the carrier was recorded in them (an older state)", async () => {
    const { inputs } = await provider.check(
      { phoneNumber: NUMBER, voiceUrl: "https://example.com/voice" },
      news,
    );
    expect(inputs).toEqual({ phoneNumber: NUMBER, voiceUrl: "https://example.com/v2" });
  });

  it("drops malformed stored values, and carries nothing without a valid carrier", async () => {
    const { inputs } = await provider.check(
      { ...storedDetected, phoneNumberSid: 42, providerDetected: "yes" },
      news,
    );
    expect(inputs).toEqual({
      phoneNumber: NUMBER,
      voiceUrl: "https://example.com/v2",
      provider: "twilio",
      accountSid: ids.accountSid,
      voiceApplicationSid: null,
    });
    const noCarrier = await provider.check({ ...storedDetected, provider: "sprint" }, news);
    expect(noCarrier.inputs).toEqual({ phoneNumber: NUMBER, voiceUrl: "https://example.com/v2" });
  });

  it("not the ids an isolating Telnyx resource may change: a preview shows them as unknown", async () => {
    const telnyx = {
      __provider: "serialized",
      phoneNumber: "+13125550202",
      provider: "telnyx",
      voiceUrl: "https://example.com/voice",
      phoneNumberId: "1373562792052722796",
      connectionId: "1879119507771398823",
      connectionType: "texml_application",
      messagingProfileId: "15fc3175-d18d-4407-b7ce-f1bfacb6f3b9",
    };
    const next = { ...news, phoneNumber: telnyx.phoneNumber, provider: "telnyx" };
    const kept = { phoneNumberId: telnyx.phoneNumberId, connectionType: telnyx.connectionType };
    // Isolating now, or until now (switching back moves the number home).
    for (const [olds, onShared] of [
      [telnyx, "isolate"],
      [{ ...telnyx, onShared: "isolate" }, "refuse"],
    ] as const) {
      const { inputs } = await provider.check(olds, { ...next, onShared });
      expect(inputs).toEqual({ ...next, onShared, ...kept, __provider: undefined });
    }
    // Not isolating: every id, as the state has it.
    const { inputs } = await provider.check(telnyx, { ...next, onShared: "update" });
    expect(inputs).toMatchObject({
      connectionId: telnyx.connectionId,
      messagingProfileId: telnyx.messagingProfileId,
    });
  });

  it("never takes them from the program: declaring one is still not a property", async () => {
    const { failures } = await provider.check({}, { ...news, providerDetected: true, phoneNumberSid: "PNx" });
    expect(failures?.map((f) => f.property).sort()).toEqual(["phoneNumberSid", "providerDetected"]);
  });

  it("what it carried passes create's and update's own validation, which leaves it out", async () => {
    const { inputs } = await provider.check(storedDetected, news);
    // No credentials: the validation passed and the lookup is what fails.
    await expect(provider.create(inputs as never)).rejects.toThrow(/No twilio credentials/);
  });
});
