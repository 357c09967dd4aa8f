/** The carrier registry is the one home of carrier facts: what derives from it stays in step. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CARRIER_ID_KEYS, CARRIER_NAMES, CARRIERS } from "../../provider/carriers";
import { loadSettings, NO_CREDENTIALS, PACKAGE_SETTINGS } from "../../provider/config";
import { ARGUMENT_SCHEMAS, OUTPUT_NAMES } from "../../provider/schema";

const README = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

describe("the carrier registry", () => {
  it("names every carrier once, and the provider argument accepts exactly those names", () => {
    expect(new Set(CARRIER_NAMES).size).toBe(CARRIERS.length);
    expect(CARRIER_NAMES).toEqual(expect.arrayContaining(["twilio", "telnyx", "signalwire"]));
    for (const name of CARRIER_NAMES) expect(ARGUMENT_SCHEMAS.provider.safeParse(name).success).toBe(true);
    const refused = ARGUMENT_SCHEMAS.provider.safeParse("vonage");
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe(
      `Invalid provider value "vonage": must be ${CARRIER_NAMES.map((n) => `"${n}"`)
        .join(", ")
        .replace(/, (?=[^,]*$)/, " or ")}`,
    );
  });

  it("reports every carrier's identifiers as outputs of the resource", () => {
    for (const carrier of CARRIERS)
      for (const key of carrier.idKeys) {
        expect(CARRIER_ID_KEYS).toContain(key);
        expect(OUTPUT_NAMES).toContain(key);
      }
  });

  it("reads each setting from stack config first, then the environment, by the naming convention", () => {
    const telnyx = CARRIERS.find((c) => c.name === "telnyx")!;
    const apiKey = Object.values(telnyx.settings).find((s) => s.config === "telnyx:apiKey")!;
    expect(apiKey.env).toBe("TELNYX_API_KEY");
    const fromEnv = loadSettings(undefined, { TELNYX_API_KEY: " KEY_env " });
    expect(fromEnv.carriers.telnyx).toEqual({ apiKey: "KEY_env", baseUrl: "https://api.telnyx.com/v2" });
    const fromConfig = loadSettings(
      { get: (key) => (key === "telnyx:apiKey" ? "KEY_config" : undefined) },
      {
        TELNYX_API_KEY: "KEY_env",
      },
    );
    expect(fromConfig.carriers.telnyx).toMatchObject({ apiKey: "KEY_config" });
    expect(fromConfig.carriers.twilio).toBeUndefined();
  });

  it("names every carrier's credentials in the no-credentials error", () => {
    for (const carrier of CARRIERS) {
      expect(NO_CREDENTIALS).toContain(carrier.credentials.config);
      expect(NO_CREDENTIALS).toContain(carrier.credentials.env);
    }
  });

  it("has every setting, the carriers' and the package's, documented in the README", () => {
    const settings = [
      ...CARRIERS.flatMap((c) => Object.values(c.settings)),
      ...Object.values(PACKAGE_SETTINGS),
    ];
    for (const setting of settings) {
      expect(README, setting.config).toContain(setting.config);
      expect(README, setting.env).toContain(setting.env);
    }
  });
});
