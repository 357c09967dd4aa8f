import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NO_CREDENTIALS } from "../../provider/config";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import { demoSeed, startHarness, type CarrierHarness } from "../support/sandbox";

let h: CarrierHarness;
afterEach(async () => {
  await h.close();
});

describe("provider detection", () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it("finds the one carrier that owns the number", async () => {
    const provider = h.provider();
    expect(
      (await provider.create({ phoneNumber: "+14155550100", smsUrl: "https://x.example.com/sms" })).outs!
        .provider,
    ).toBe("twilio");
    expect(
      (await provider.create({ phoneNumber: "+13125550202", smsUrl: "https://x.example.com/sms" })).outs!
        .provider,
    ).toBe("telnyx");
  });

  it("says a number in neither account is not found, in the seed's words", async () => {
    await expect(
      h.provider().create({ phoneNumber: "+14155559999", voiceUrl: "https://x.example.com/v" }),
    ).rejects.toThrow("Phone number +14155559999 not found in twilio or telnyx or signalwire account");
  });

  it("says which carrier was not searched when only one has credentials", async () => {
    await expect(
      h
        .provider({ TELNYX_API_KEY: undefined })
        .create({ phoneNumber: "+13125550202", voiceUrl: "https://x.example.com/v" }),
    ).rejects.toThrow(
      "Phone number +13125550202 not found in twilio or telnyx or signalwire account (telnyx not searched: no credentials)",
    );
  });

  it("names both ways to give credentials when there are none", async () => {
    const provider = new PhoneNumberWebhooksProvider({ env: {} });
    await expect(
      provider.create({ phoneNumber: "+14155550100", voiceUrl: "https://x.example.com/v" }),
    ).rejects.toThrow(NO_CREDENTIALS);
    expect(NO_CREDENTIALS).toContain("twilio:authToken");
    expect(NO_CREDENTIALS).toContain("TELNYX_API_KEY");
  });
});

describe("a number in both accounts", () => {
  beforeEach(async () => {
    const seed = demoSeed();
    seed.twilio!.incoming_phone_numbers!.push({ phone_number: "+13125550202" });
    h = await startHarness(seed);
  });

  it("asks the user to set provider", async () => {
    await expect(
      h.provider().create({ phoneNumber: "+13125550202", smsUrl: "https://x.example.com/sms" }),
    ).rejects.toThrow(/in both the twilio and the telnyx account: set provider/);
    const { outs } = await h
      .provider()
      .create({ phoneNumber: "+13125550202", smsUrl: "https://x.example.com/sms", provider: "telnyx" });
    expect(outs!.provider).toBe("telnyx");
  });
});
