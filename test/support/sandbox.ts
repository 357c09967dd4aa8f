/** Starts a sandbox with the demo seed and a provider pointed at it, as a user's stack would be. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import {
  demoSeedPath,
  providerEnvironment,
  startSandbox,
  type Sandbox,
  type SandboxOptions,
  type SandboxSeed,
} from "../../sandbox";
import { telnyxOpenApiDocument } from "../../sandbox/carriers/telnyx/openapi";

export const DEMO_SEED_PATH = demoSeedPath();

export function demoSeed(): SandboxSeed {
  return JSON.parse(readFileSync(DEMO_SEED_PATH, "utf8")) as SandboxSeed;
}

export const OLD_VOICE_URL = "https://old.example.com/voice";

/**
 * The demo seed plus more numbers: Twilio numbers with a voice URL of their own, and Telnyx
 * numbers on the demo's shared Call Control application and messaging profile.
 */
export function demoSeedWith(numbers: { twilio?: string[]; onSupportApp?: string[] }): SandboxSeed {
  const seed = demoSeed();
  for (const n of numbers.twilio ?? [])
    seed.twilio!.incoming_phone_numbers!.push({ phone_number: n, voice_url: OLD_VOICE_URL });
  for (const n of numbers.onSupportApp ?? [])
    seed.telnyx!.phone_numbers!.push({
      phone_number: n,
      connection_name: "support-app",
      messaging_profile_name: "support-sms",
    } as never);
  return seed;
}

export interface CarrierHarness {
  sandbox: Sandbox;
  env: Record<string, string>;
  /** The takeover journal of every provider this harness makes. */
  journalDir: string;
  /** A fresh provider (a new provider process, as far as caches go). */
  provider(envOverrides?: Record<string, string | undefined>): PhoneNumberWebhooksProvider;
  close(): Promise<void>;
}

/** `options`: more of the sandbox's (another carrier's validation). */
export async function startHarness(
  seed: SandboxSeed = demoSeed(),
  options: Omit<SandboxOptions, "port" | "seed"> = {},
): Promise<CarrierHarness> {
  // Every request checked against the carriers' OpenAPI documents (Telnyx's when it is there).
  const validateTelnyx = telnyxOpenApiDocument() !== undefined;
  const sandbox = await startSandbox({ port: 0, seed, validateTwilio: true, validateTelnyx, ...options });
  const journalDir = mkdtempSync(join(tmpdir(), "phone-webhooks-journal-"));
  const env: Record<string, string> = {
    PHONE_WEBHOOKS_JOURNAL_DIR: journalDir,
    ...providerEnvironment(sandbox),
    // Keep fault tests quick: a short per-attempt timeout and retry budget.
    PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: "2000",
    PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "6000",
  };
  return {
    sandbox,
    env,
    provider: (overrides = {}) => {
      const merged: Record<string, string | undefined> = { ...env, ...overrides };
      return new PhoneNumberWebhooksProvider({ env: merged });
    },
    journalDir,
    close: async () => {
      await sandbox.close();
      rmSync(journalDir, { recursive: true, force: true });
    },
  };
}
