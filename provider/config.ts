/**
 * Credentials and endpoints, from the stack configuration (`configure`) or else the environment.
 * They live only in the provider process: never in inputs, outputs or the serialized provider.
 */
import { z } from "zod";
import { WebhookError } from "./errors";
import { DEFAULT_JOURNAL_DIR } from "./journal";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry";

export interface TwilioSettings {
  accountSid: string;
  /** Basic-auth user and password: Account SID + Auth Token, or API Key SID + secret. */
  username: string;
  password: string;
  apiBaseUrl: string;
}

export interface TelnyxSettings {
  apiKey: string;
  baseUrl: string;
}

export interface Settings {
  twilio?: TwilioSettings;
  telnyx?: TelnyxSettings;
  retry: RetryPolicy;
  /** Where originals are kept until a takeover completes; `undefined` turns the journal off. */
  journalDir?: string;
}

/** Where each setting comes from: a stack config key, then an environment variable. */
export const SETTING_SOURCES = {
  twilioAccountSid: ["twilio:accountSid", "TWILIO_ACCOUNT_SID"],
  twilioAuthToken: ["twilio:authToken", "TWILIO_AUTH_TOKEN"],
  twilioApiKey: ["twilio:apiKey", "TWILIO_API_KEY"],
  twilioApiSecret: ["twilio:apiSecret", "TWILIO_API_SECRET"],
  twilioApiBaseUrl: ["twilio:apiBaseUrl", "TWILIO_API_BASE_URL"],
  telnyxApiKey: ["telnyx:apiKey", "TELNYX_API_KEY"],
  telnyxBaseUrl: ["telnyx:baseUrl", "TELNYX_BASE_URL"],
  requestTimeoutMs: ["phoneWebhooks:requestTimeoutMs", "PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS"],
  retryTimeoutMs: ["phoneWebhooks:retryTimeoutMs", "PHONE_WEBHOOKS_RETRY_TIMEOUT_MS"],
  journalDir: ["phoneWebhooks:journalDir", "PHONE_WEBHOOKS_JOURNAL_DIR"],
} as const;

export interface ConfigSource {
  get(key: string): string | undefined;
}

const baseUrl = (key: string) =>
  z
    .url({ protocol: /^https?$/, error: `${key} must be an http(s) URL` })
    .transform((u) => u.replace(/\/+$/, ""));
const milliseconds = (key: string) =>
  z.coerce
    .number({ error: `${key} must be a number of milliseconds` })
    .int(`${key} must be a whole number of milliseconds`)
    .positive(`${key} must be positive`);

export function loadSettings(
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const read = (name: keyof typeof SETTING_SOURCES): string | undefined => {
    const [configKey, envKey] = SETTING_SOURCES[name];
    const value = config?.get(configKey) ?? env[envKey];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const parse = <T>(schema: z.ZodType<T>, name: keyof typeof SETTING_SOURCES, value: unknown): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new WebhookError(result.error.issues[0]?.message ?? `${name} is invalid`, "credentials");
  };

  const journal = read("journalDir");
  const settings: Settings = {
    retry: { ...DEFAULT_RETRY_POLICY },
    journalDir: journal === "off" ? undefined : (journal ?? DEFAULT_JOURNAL_DIR),
  };
  const timeout = read("requestTimeoutMs");
  if (timeout)
    settings.retry.attemptTimeoutMs = parse(
      milliseconds("phoneWebhooks:requestTimeoutMs"),
      "requestTimeoutMs",
      timeout,
    );
  const budget = read("retryTimeoutMs");
  if (budget)
    settings.retry.maxElapsedMs = parse(
      milliseconds("phoneWebhooks:retryTimeoutMs"),
      "retryTimeoutMs",
      budget,
    );

  const accountSid = read("twilioAccountSid");
  const authToken = read("twilioAuthToken");
  const apiKey = read("twilioApiKey");
  const apiSecret = read("twilioApiSecret");
  if (accountSid || authToken || apiKey || apiSecret) {
    if (!accountSid)
      throw new WebhookError(
        "Twilio credentials are incomplete: set twilio:accountSid (or TWILIO_ACCOUNT_SID) as well",
        "credentials",
      );
    parse(
      z.string().regex(/^AC[0-9a-fA-F]{32}$/, "twilio:accountSid must be AC followed by 32 hex digits"),
      "twilioAccountSid",
      accountSid,
    );
    let username: string, password: string;
    if (apiKey || apiSecret) {
      if (!apiKey || !apiSecret)
        throw new WebhookError(
          "Twilio API key credentials are incomplete: set both twilio:apiKey and twilio:apiSecret (or TWILIO_API_KEY and TWILIO_API_SECRET)",
          "credentials",
        );
      [username, password] = [apiKey, apiSecret];
    } else if (authToken) {
      [username, password] = [accountSid, authToken];
    } else {
      throw new WebhookError(
        "Twilio credentials are incomplete: set twilio:authToken (or TWILIO_AUTH_TOKEN), or twilio:apiKey and twilio:apiSecret",
        "credentials",
      );
    }
    const apiBaseUrl = parse(
      baseUrl("twilio:apiBaseUrl"),
      "twilioApiBaseUrl",
      read("twilioApiBaseUrl") ?? "https://api.twilio.com",
    );
    settings.twilio = { accountSid, username, password, apiBaseUrl };
  }

  const telnyxKey = read("telnyxApiKey");
  if (telnyxKey) {
    const telnyxBase = parse(
      baseUrl("telnyx:baseUrl"),
      "telnyxBaseUrl",
      read("telnyxBaseUrl") ?? "https://api.telnyx.com/v2",
    );
    settings.telnyx = { apiKey: telnyxKey, baseUrl: telnyxBase };
  }
  return settings;
}

export const NO_CREDENTIALS =
  "No carrier credentials: set twilio:accountSid with twilio:authToken (or twilio:apiKey and twilio:apiSecret), " +
  "or telnyx:apiKey, with `pulumi config set --secret`; or the environment variables TWILIO_ACCOUNT_SID, " +
  "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) and TELNYX_API_KEY";
