/**
 * The package root is what every user program requires: it must not load the carrier SDKs (about
 * 480 modules, 200-400 ms), which belong in the provider process and load on first carrier use.
 * Each case runs in a fresh Node process, so nothing this test runner loaded counts.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import packageJson from "../../package.json";

const REPO = join(__dirname, "..", "..");
/** What a user program needs of the package's dependencies; every other one (a carrier SDK) is the provider's. */
const PROGRAM_DEPENDENCIES = new Set(["@pulumi/pulumi", "libphonenumber-js", "yaml", "zod"]);
const PROVIDER_ONLY = Object.keys(packageJson.dependencies).filter((d) => !PROGRAM_DEPENDENCIES.has(d));

/** Runs `body` in a new Node process (TypeScript through tsx) and returns what it printed as JSON. */
function runIsolated(body: string): Record<string, unknown> {
  const script = `
    const sdkDirs = ${JSON.stringify(PROVIDER_ONLY.map((d) => `/node_modules/${d}/`))};
    const sdkModules = () =>
      Object.keys(require.cache).filter((p) => sdkDirs.some((dir) => p.replace(/\\\\/g, "/").includes(dir))).length;
    (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)));
  `;
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: REPO,
    encoding: "utf8",
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe("the package entry point", () => {
  it("counts every dependency a program does not need as a carrier SDK", () => {
    // The SDKs of the carriers are among them; a new carrier's SDK joins them by being a dependency.
    expect(PROVIDER_ONLY).toEqual(expect.arrayContaining(["twilio", "telnyx"]));
    for (const dependency of PROGRAM_DEPENDENCIES)
      expect(packageJson.dependencies).toHaveProperty(dependency);
  });

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
