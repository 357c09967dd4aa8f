import { describe, expect, it } from "vitest";
import { loadSettings } from "../../provider/config";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
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
      {
        property: "provider",
        reason: 'Invalid provider value "vonage": must be "twilio", "telnyx" or "signalwire"',
      },
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

describe("check: hosts no carrier can reach", () => {
  it.each([
    ["https://localhost/voice", '"localhost"', "localhost (this machine)"],
    ["https://127.0.0.1:8443/voice", '"127.0.0.1"', "a loopback IPv4 address (127.0.0.0/8)"],
    ["https://0x7f.1/voice", '"0x7f.1" (that is 127.0.0.1)', "a loopback IPv4 address"],
    ["https://10.1.2.3/voice", '"10.1.2.3"', "a private IPv4 address (10.0.0.0/8)"],
    ["https://192.168.1.20/voice", '"192.168.1.20"', "a private IPv4 address (192.168.0.0/16)"],
    ["https://[::1]/voice", '"[::1]"', "the IPv6 loopback address (::1)"],
    ["https://[fd00::5]/voice", '"[fd00::5]"', "a unique-local IPv6 address (fc00::/7)"],
    ["https://printer.local/voice", '"printer.local"', "a .local name"],
    ["https://app.internal/voice", '"app.internal"', "an .internal name"],
    ["https://intranet/voice", '"intranet"', "a single-label name"],
  ])("refuses %s, naming the property, the host and the rule", (url, host, rule) => {
    for (const property of ["voiceUrl", "smsFallbackUrl", "statusCallbackUrl"]) {
      const { inputs, failures } = checkArgs({ ...valid, [property]: url });
      expect(failures).toHaveLength(1);
      expect(failures[0]!.property).toBe(property);
      expect(failures[0]!.reason).toContain(`${property}: host ${host} is ${rule}`);
      expect(failures[0]!.reason).toContain("which no carrier can reach");
      expect(failures[0]!.reason).toContain("phoneWebhooks:allowPrivateHosts");
      expect(inputs).not.toHaveProperty(property);
      // With the option, the same URL is accepted as written.
      const allowed = checkArgs({ ...valid, [property]: url }, { allowPrivateHosts: true });
      expect(allowed.failures).toEqual([]);
      expect(allowed.inputs[property]).toBe(url);
    }
  });

  it("accepts public hosts, and reports a format error rather than a host rule for an http: URL", () => {
    for (const url of ["https://example.com/voice", "https://8.8.8.8/voice", "https://[2001:db8::1]/voice"])
      expect(failuresOf({ ...valid, voiceUrl: url })).toEqual([]);
    const [failure] = failuresOf({ ...valid, voiceUrl: "http://127.0.0.1/voice" });
    expect(failure?.reason).toContain("HTTPS only");
  });

  it("masks a password in the URL of a refused host", () => {
    const [failure] = failuresOf({ ...valid, voiceUrl: "https://ops:hunter2@127.0.0.1/voice" });
    expect(failure?.reason).toContain('host "127.0.0.1"');
    expect(failure?.reason).not.toContain("hunter2");
  });

  it("lets an unknown URL through, whatever the option", () => {
    expect(failuresOf({ ...valid, smsUrl: UNKNOWN })).toEqual([]);
  });

  it("the provider's check and create read phoneWebhooks:allowPrivateHosts, else the environment", async () => {
    const local = { ...valid, voiceUrl: "https://127.0.0.1:8443/voice" };
    const refused = await new PhoneNumberWebhooksProvider({ env: {} }).check({}, local);
    expect(refused.failures?.map((f) => f.property)).toEqual(["voiceUrl"]);
    const fromEnv = new PhoneNumberWebhooksProvider({ env: { PHONE_WEBHOOKS_ALLOW_PRIVATE_HOSTS: "true" } });
    expect((await fromEnv.check({}, local)).failures).toEqual([]);
    const fromConfig = new PhoneNumberWebhooksProvider({ env: {} });
    await fromConfig.configure({
      config: { get: (key: string) => (key === "phoneWebhooks:allowPrivateHosts" ? "true" : undefined) },
    } as never);
    expect((await fromConfig.check({}, local)).failures).toEqual([]);
    // create checks again, with the same setting: the error names the property once.
    await expect(new PhoneNumberWebhooksProvider({ env: {} }).create(local as never)).rejects.toThrow(
      /^voiceUrl: host "127\.0\.0\.1" is a loopback IPv4 address/,
    );
  });

  it("reads the flags as true or false only", () => {
    expect(loadSettings(undefined, {})).toMatchObject({ allowPrivateHosts: false, preflight: false });
    const on = { PHONE_WEBHOOKS_ALLOW_PRIVATE_HOSTS: " TRUE ", PHONE_WEBHOOKS_PREFLIGHT: "true" };
    expect(loadSettings(undefined, on)).toMatchObject({ allowPrivateHosts: true, preflight: true });
    expect(() => loadSettings(undefined, { PHONE_WEBHOOKS_PREFLIGHT: "yes" })).toThrow(
      'phoneWebhooks:preflight must be true or false (got "yes")',
    );
    expect(loadSettings(undefined, { PHONE_WEBHOOKS_PREFLIGHT_TIMEOUT_MS: "750" }).preflightTimeoutMs).toBe(
      750,
    );
    expect(loadSettings(undefined, {}).preflightTimeoutMs).toBe(5000);
  });

  it("rejects a preflight argument that is not a boolean", () => {
    expect(failuresOf({ ...valid, preflight: "true" })).toEqual([
      { property: "preflight", reason: "preflight must be true or false" },
    ]);
    expect(checkArgs({ ...valid, preflight: true }).inputs.preflight).toBe(true);
  });
});
