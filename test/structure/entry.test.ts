/**
 * The package root is what every user program requires: it must not load the carrier SDKs (about
 * 480 modules, 200-400 ms), which belong in the provider process and load on first carrier use.
 * Each case runs in a fresh Node process, so nothing this test runner loaded counts.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = join(__dirname, "..", "..");

/** Runs `body` in a new Node process (TypeScript through tsx) and returns what it printed as JSON. */
function runIsolated(body: string): Record<string, unknown> {
  const script = `
    const sdkModules = () => Object.keys(require.cache).filter((p) => /[\\\\/]node_modules[\\\\/](twilio|telnyx)[\\\\/]/.test(p)).length;
    (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)));
  `;
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: REPO,
    encoding: "utf8",
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe("the package entry point", () => {
  it("exports the resources, their providers and errors, and loads no carrier SDK", () => {
    const result = runIsolated(`
      const root = require("./provider/index.ts");
      return { exports: Object.keys(root).filter((k) => k !== "__esModule").sort(), sdkModules: sdkModules() };
    `);
    expect(result.exports).toEqual([
      "CarrierError",
      "NUMBERS_FILE_SCHEMA",
      "NUMBER_ENTRY_SCHEMA",
      "PHONE_NUMBER_WEBHOOKS_SET_TYPE",
      "PHONE_NUMBER_WEBHOOKS_TYPE",
      "PhoneNumberWebhooks",
      "PhoneNumberWebhooksProvider",
      "PhoneNumberWebhooksSet",
      "PhoneNumberWebhooksSetProvider",
      "WebhookError",
      "numberArgs",
      "numbersFileJsonSchema",
      "parseNumberEntries",
      "readNumbersFile",
      "setMembers",
    ]);
    expect(result.sdkModules).toBe(0);
  });

  it("loads a carrier's SDK on first use of that carrier, in the provider", () => {
    const result = runIsolated(`
      const { PhoneNumberWebhooksProvider } = require("./provider/index.ts");
      const provider = new PhoneNumberWebhooksProvider({
        env: {
          TELNYX_API_KEY: "KEY_entry_test",
          TELNYX_BASE_URL: "http://127.0.0.1:9/v2",
          PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "50",
          PHONE_WEBHOOKS_JOURNAL_DIR: "off",
        },
      });
      const before = sdkModules();
      const error = await provider
        .create({ phoneNumber: "+14155550100", smsUrl: "https://example.com/sms", provider: "telnyx" })
        .catch((e) => String(e));
      return { before, after: sdkModules(), error };
    `);
    expect(result.before).toBe(0);
    expect(result.after).toBeGreaterThan(0);
    expect(result.error).toMatch(/telnyx list phone_numbers failed: no answer from Telnyx/);
  });
});
