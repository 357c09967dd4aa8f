import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configKeys, settingWarnings } from "../../provider/config";
import { engineAddress } from "../../provider/engine-log";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";

/** The Config that Pulumi's dynamic-provider host hands `configure`. */
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
const { Config: HostConfig } = sdkRequire("@pulumi/pulumi/cmd/dynamic-provider/config") as {
  Config: new (
    raw: Record<string, string>,
    project: string,
  ) => { get(key: string): string | undefined; require(key: string): string };
};

afterEach(() => vi.restoreAllMocks());

describe("stack config keys this package would ignore", () => {
  it("names every unknown key of its own namespace, with the nearest it reads", () => {
    expect(settingWarnings(["phoneWebhooks:allowPrivateHost", "phoneWebhooks:requestTimeoutMS"])).toEqual([
      "Stack config phoneWebhooks:allowPrivateHost is not a setting of pulumi-phone-webhooks and is ignored: did you mean phoneWebhooks:allowPrivateHosts?",
      "Stack config phoneWebhooks:requestTimeoutMS is not a setting of pulumi-phone-webhooks and is ignored: did you mean phoneWebhooks:requestTimeoutMs?",
    ]);
    const [far] = settingWarnings(["phoneWebhooks:colour"]);
    expect(far).toMatch(
      /^Stack config phoneWebhooks:colour is not a setting .* its settings are phoneWebhooks:requestTimeoutMs, /,
    );
  });

  it("in a carrier's namespace, which other providers share, names only a near miss of a key it reads", () => {
    const warnings = settingWarnings([
      "twilio:authtoken",
      "telnyx:apikey",
      "twilio:acountSid",
      "twilio:region", // another provider's
      "twilio:subaccountSid", // another provider's, three letters off
      "aws:region",
      "phone-webhooks:baseUrl", // the program's own
    ]);
    expect(warnings).toEqual([
      "Stack config twilio:authtoken is not read by pulumi-phone-webhooks: did you mean twilio:authToken? (other Pulumi providers share the twilio: namespace: if one of them reads twilio:authtoken, ignore this)",
      "Stack config telnyx:apikey is not read by pulumi-phone-webhooks: did you mean telnyx:apiKey? (other Pulumi providers share the telnyx: namespace: if one of them reads telnyx:apikey, ignore this)",
      "Stack config twilio:acountSid is not read by pulumi-phone-webhooks: did you mean twilio:accountSid? (other Pulumi providers share the twilio: namespace: if one of them reads twilio:acountSid, ignore this)",
    ]);
  });

  it("says nothing of the keys it reads", () => {
    expect(
      settingWarnings(["twilio:authToken", "telnyx:apiKey", "phoneWebhooks:journalDir", "twilio:apiBaseUrl"]),
    ).toEqual([]);
  });

  it("lists the keys of the Config Pulumi's dynamic-provider host gives configure", () => {
    const config = new HostConfig({ "twilio:authtoken": "x", "phoneWebhooks:preflight": "true" }, "proj");
    expect(configKeys(config)).toEqual(["twilio:authtoken", "phoneWebhooks:preflight"]);
    expect(configKeys({ get: () => undefined })).toBeUndefined();
  });

  it("configure warns once per key, before the settings that fail for want of it", async () => {
    const warned = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const provider = new PhoneNumberWebhooksProvider({ env: {} });
    const config = new HostConfig(
      { "twilio:accountSid": "AC0123456789abcdef0123456789abcdef", "twilio:authtoken": "secret" },
      "proj",
    );
    await expect(provider.configure({ config })).rejects.toThrow(/set twilio:authToken/);
    await expect(provider.configure({ config })).rejects.toThrow(/set twilio:authToken/);
    const messages = warned.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("twilio:authtoken"));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain("did you mean twilio:authToken?");
    expect(messages.join("\n")).not.toContain("secret");
  });
});

describe("the engine's address", () => {
  it("is the first argument of Pulumi's dynamic-provider host, and of nothing else", () => {
    const host = "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";
    expect(engineAddress(["/usr/bin/node", host, "127.0.0.1:39097"])).toBe("127.0.0.1:39097");
    expect(engineAddress(["/usr/bin/node", host])).toBeUndefined();
    expect(engineAddress(["/usr/bin/node", "/p/vitest.mjs", "127.0.0.1:39097"])).toBeUndefined();
    expect(engineAddress(["/usr/bin/node", host, "--inspect"])).toBeUndefined();
  });
});
