import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../provider/schema";
import { checkArgs, MISSING_WEBHOOK } from "../../provider/validation";

const valid = { phoneNumber: "+14155550100", voiceUrl: "https://example.com/voice" };
const failuresOf = (args: Record<string, unknown>) => checkArgs(args).failures;

describe("check", () => {
  it("accepts a minimal valid resource and passes its inputs through", () => {
    const { inputs, failures } = checkArgs({ ...valid, __provider: "serialized" });
    expect(failures).toEqual([]);
    expect(inputs).toEqual(valid);
  });

  it("requires at least one webhook URL, in the seed's words", () => {
    expect(failuresOf({ phoneNumber: "+14155550100" })).toEqual([
      { property: "voiceUrl", reason: MISSING_WEBHOOK },
    ]);
    expect(MISSING_WEBHOOK).toBe("At least one webhook URL (voiceUrl or smsUrl) must be provided");
  });

  it("accepts an SMS webhook alone", () => {
    expect(failuresOf({ phoneNumber: "+14155550100", smsUrl: "https://example.com/sms" })).toEqual([]);
  });

  it("rejects a number that is not E.164 and gives its E.164 form when it can", () => {
    const [failure] = failuresOf({ ...valid, phoneNumber: "14155550100" });
    expect(failure?.property).toBe("phoneNumber");
    expect(failure?.reason).toContain("Invalid phone number format (must be E.164");
    expect(failure?.reason).toContain('its E.164 form is "+14155550100"');
    const [spaced] = failuresOf({ ...valid, phoneNumber: "+1 (415) 555-0100" });
    expect(spaced?.reason).toContain('"+14155550100"');
  });

  it("rejects an impossible number and a missing one", () => {
    expect(failuresOf({ ...valid, phoneNumber: "+1415555" })[0]?.reason).toContain(
      "not a possible phone number",
    );
    expect(failuresOf({ voiceUrl: valid.voiceUrl })[0]).toMatchObject({ property: "phoneNumber" });
  });

  it("rejects an unknown provider", () => {
    expect(failuresOf({ ...valid, provider: "vonage" })).toEqual([
      { property: "provider", reason: 'Invalid provider value "vonage": must be "twilio" or "telnyx"' },
    ]);
  });

  it.each([
    ["http://example.com/voice", "HTTPS only"],
    ["/voice", "absolute https:// URL"],
    ["https://", "absolute https:// URL"],
    ["https:///path", "absolute https:// URL"],
    ["javascript:alert(1)", "HTTPS only"],
    ["https://exa mple.com/", "without spaces or control characters"],
    ["https://example.com/\nx", "without spaces or control characters"],
    [`https://example.com/${"a".repeat(3000)}`, "at most 2048 characters"],
  ])("rejects the URL %j", (url, rule) => {
    const [failure] = failuresOf({ ...valid, voiceUrl: url });
    expect(failure?.property).toBe("voiceUrl");
    expect(failure?.reason).toContain("Invalid URL format for voiceUrl");
    expect(failure?.reason).toContain(rule);
  });

  it("keeps query strings, fragments, ports, IPv6 hosts and userinfo, and masks passwords in reasons", () => {
    for (const url of [
      "https://example.com:8443/voice?x=1#ct=1000&rt=2",
      "https://[2001:db8::1]/voice",
      "https://user:pw@example.com/voice",
      "https://bücher.example/voice",
    ])
      expect(failuresOf({ ...valid, voiceUrl: url })).toEqual([]);
    const [token] = failuresOf({ ...valid, smsUrl: "http://sk_live_secret@example.com/sms" });
    expect(token?.reason).not.toContain("sk_live_secret");
    const [failure] = failuresOf({ ...valid, smsUrl: "http://user:hunter2@example.com/sms" });
    expect(failure?.reason).not.toContain("hunter2");
    expect(failure?.reason).toContain("user:***@");
  });

  it("normalises methods to upper case and rejects anything but GET and POST", () => {
    expect(checkArgs({ ...valid, voiceMethod: "post" }).inputs.voiceMethod).toBe("POST");
    expect(failuresOf({ ...valid, voiceMethod: "PUT" })).toEqual([
      { property: "voiceMethod", reason: 'voiceMethod must be "GET" or "POST" (got "PUT")' },
    ]);
  });

  it("rejects smsMethod on Telnyx, which cannot honour it", () => {
    const failures = failuresOf({ ...valid, provider: "telnyx", smsMethod: "POST" });
    expect(failures.map((f) => f.property)).toEqual(["smsMethod"]);
    expect(failures[0]?.reason).toContain("not supported by telnyx");
  });

  it("rejects bad onDelete and allowSharedUpdate values and unknown properties", () => {
    const failures = failuresOf({ ...valid, onDelete: "release", allowSharedUpdate: "yes", voiceURL: "x" });
    expect(failures.map((f) => f.property).sort()).toEqual(["allowSharedUpdate", "onDelete", "voiceURL"]);
  });

  it("lets values unknown during a preview through", () => {
    const { inputs, failures } = checkArgs({ phoneNumber: UNKNOWN, voiceUrl: UNKNOWN, voiceMethod: UNKNOWN });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ phoneNumber: UNKNOWN, voiceUrl: UNKNOWN, voiceMethod: UNKNOWN });
  });

  it("never throws on input that is not an object", () => {
    for (const raw of [null, undefined, 42, "x", []]) expect(() => checkArgs(raw)).not.toThrow();
  });
});
