import { describe, expect, it } from "vitest";
import { PhoneNumberWebhooksProvider, type PhoneNumberWebhooksOutputs } from "../../provider/lifecycle";
import { UNKNOWN, type CheckedArgs } from "../../provider/schema";
import { UNSET_WEBHOOKS } from "../../provider/webhooks";

const provider = new PhoneNumberWebhooksProvider({ env: {} });
const stored: PhoneNumberWebhooksOutputs = {
  phoneNumber: "+14155550100",
  provider: "twilio",
  voiceUrl: "https://example.com/voice",
  smsUrl: "https://example.com/sms",
  updatedWebhooks: { voice: "https://example.com/voice", sms: "https://example.com/sms" },
  message: "Successfully updated 2 webhook(s) for +14155550100 via twilio",
  webhooks: { ...UNSET_WEBHOOKS, voiceUrl: "https://example.com/voice", smsUrl: "https://example.com/sms" },
  previousWebhooks: { ...UNSET_WEBHOOKS, voiceUrl: "https://old.example.com/voice" },
  sharedWith: [],
};
const same: CheckedArgs = {
  phoneNumber: "+14155550100",
  voiceUrl: "https://example.com/voice",
  smsUrl: "https://example.com/sms",
};
const diff = (news: CheckedArgs, olds = stored) => provider.diff("twilio:+14155550100", olds, news);

describe("diff", () => {
  it("reports no change when the declaration matches what is applied and live", async () => {
    expect(await diff(same)).toEqual({ changes: false, replaces: [] });
    expect(await diff({ ...same, provider: "twilio" })).toEqual({ changes: false, replaces: [] });
  });

  it("updates in place when a URL changes", async () => {
    expect(await diff({ ...same, voiceUrl: "https://example.com/v2" })).toEqual({
      changes: true,
      replaces: [],
    });
  });

  it("sees drift: a live value that differs from the declaration is a change", async () => {
    const drifted = {
      ...stored,
      webhooks: { ...stored.webhooks, voiceUrl: "https://console.example.com/x" },
    };
    expect(await diff(same, drifted)).toEqual({ changes: true, replaces: [] });
  });

  it("treats a setting no longer declared as a change (it goes back to its previous value)", async () => {
    expect(await diff({ phoneNumber: same.phoneNumber, voiceUrl: same.voiceUrl })).toEqual({
      changes: true,
      replaces: [],
    });
  });

  it("replaces on a new phone number or provider", async () => {
    expect(await diff({ ...same, phoneNumber: "+14155550101" })).toEqual({
      changes: true,
      replaces: ["phoneNumber"],
    });
    expect(await diff({ ...same, provider: "telnyx" })).toEqual({ changes: true, replaces: ["provider"] });
  });

  it("counts changed options as in-place updates", async () => {
    expect(await diff({ ...same, onDelete: "retain" })).toEqual({ changes: true, replaces: [] });
    expect(await diff({ ...same, onDelete: "restore" })).toEqual({ changes: false, replaces: [] });
    expect(await diff({ ...same, allowSharedUpdate: true })).toEqual({ changes: true, replaces: [] });
    expect(await diff({ ...same, onShared: "isolate" })).toEqual({ changes: true, replaces: [] });
    expect(await diff({ ...same, onShared: "refuse" })).toEqual({ changes: false, replaces: [] });
  });

  it('compares onShared and allowSharedUpdate as one mode: true is the older spelling of "update"', async () => {
    const updating = { ...stored, allowSharedUpdate: true };
    expect(await diff({ ...same, onShared: "update" }, updating)).toEqual({ changes: false, replaces: [] });
    expect(await diff({ ...same, onShared: "isolate" }, updating)).toEqual({ changes: true, replaces: [] });
    expect(await diff(same, { ...stored, onShared: "isolate" })).toEqual({ changes: true, replaces: [] });
  });

  it("does not count a change of preflight alone: it decides how a switch is made, and switches nothing", async () => {
    expect(await diff({ ...same, preflight: true })).toEqual({ changes: false, replaces: [] });
    expect(await diff({ ...same, preflight: false })).toEqual({ changes: false, replaces: [] });
    // With a URL change, the update runs (and probes, when preflight is on).
    expect(await diff({ ...same, preflight: true, voiceUrl: "https://example.com/v2" })).toEqual({
      changes: true,
      replaces: [],
    });
  });

  it("handles values unknown during a preview", async () => {
    expect(await diff({ ...same, voiceUrl: UNKNOWN })).toEqual({ changes: true, replaces: [] });
    expect(await diff({ ...same, phoneNumber: UNKNOWN })).toEqual({
      changes: true,
      replaces: ["phoneNumber"],
    });
  });
});
