/**
 * `check`: validates the resource's arguments with zod and libphonenumber-js and reports one
 * failure per property, in the words of the REST endpoint this resource replaces.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import { PROVIDERS, URL_FIELDS, redactUrl, type ProviderName } from "./webhooks";

/** What the engine passes for a value not known yet in a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

export const ON_DELETE_MODES = ["restore", "clear", "retain"] as const;
export type OnDelete = (typeof ON_DELETE_MODES)[number];
export const METHODS = ["GET", "POST"] as const;
const MAX_URL_LENGTH = 2048;
// Whitespace, C0 and C1 controls, soft hyphen, zero-width and bidi marks, BOM.
const INVISIBLE_OR_CONTROL =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  /[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/;

/** The checked arguments, as `create`, `update` and `diff` receive them. */
export interface CheckedArgs {
  phoneNumber: string;
  provider?: ProviderName;
  voiceUrl?: string;
  voiceMethod?: string;
  voiceFallbackUrl?: string;
  smsUrl?: string;
  smsMethod?: string;
  smsFallbackUrl?: string;
  statusCallbackUrl?: string;
  onDelete?: OnDelete;
  allowSharedUpdate?: boolean;
}

export const ARG_NAMES = [
  "phoneNumber",
  "provider",
  ...URL_FIELDS,
  "voiceMethod",
  "smsMethod",
  "onDelete",
  "allowSharedUpdate",
] as const;

export const MISSING_WEBHOOK = "At least one webhook URL (voiceUrl or smsUrl) must be provided";
export const SMS_METHOD_ON_TELNYX =
  "smsMethod is not supported by telnyx: messaging profile webhooks are always JSON POST; remove smsMethod";

export function e164Reason(input: string): string | undefined {
  if (/^\+[1-9]\d{1,14}$/.test(input)) {
    const parsed = parsePhoneNumberFromString(input);
    if (parsed?.isPossible()) return undefined;
    return `Invalid phone number format (must be E.164): "${input}" is not a possible phone number`;
  }
  if (/^\+\d+$/.test(input))
    return `Invalid phone number format (must be E.164, like +14155551234): "${input}" has ${input.length - 1} digits; E.164 allows at most 15, and a country code never starts with 0`;
  const suggestion = suggestE164(input);
  return (
    `Invalid phone number format (must be E.164, like +14155551234): "${input}"` +
    (suggestion ? `; its E.164 form is "${suggestion}"` : "; add the + and the country code")
  );
}

/** The E.164 form of a number written another way, when the country is evident from the input. */
function suggestE164(input: string): string | undefined {
  const trimmed = input.trim().replace(/^00/, "+");
  const digits = trimmed.replace(/[^\d]/g, "");
  for (const candidate of [trimmed, `+${digits}`]) {
    const parsed = parsePhoneNumberFromString(candidate);
    if (parsed?.isValid() && parsed.number !== input) return parsed.number;
  }
  return undefined;
}

function webhookUrlReason(property: string, url: string): string | undefined {
  // Mask first, then shorten: shortening first could cut the "@" that marks a password.
  const masked = redactUrl(url);
  const shown = JSON.stringify(masked.length > 80 ? `${masked.slice(0, 80)}…` : masked);
  const rule = `Invalid URL format for ${property}: must be an absolute https:// URL with a host`;
  if (url.length > MAX_URL_LENGTH) return `${rule}, at most ${MAX_URL_LENGTH} characters (got ${url.length})`;
  // The WHATWG parser silently drops tabs and newlines, and invisible characters change a host
  // without anyone seeing it: refuse them before it can.
  if (INVISIBLE_OR_CONTROL.test(url)) return `${rule}, without spaces or control characters (got ${shown})`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${rule} (got ${shown})`;
  }
  if (parsed.protocol !== "https:") return `${rule}; webhooks are HTTPS only (got ${shown})`;
  if (!parsed.hostname || !/^https:\/\/[^/?#]/i.test(url)) return `${rule} (got ${shown})`;
  return undefined;
}

const urlSchema = (property: string) =>
  z.string({ error: `${property} must be a string` }).superRefine((url, ctx) => {
    const reason = webhookUrlReason(property, url);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
  });

const methodSchema = (property: string) =>
  z
    .string({ error: `${property} must be "GET" or "POST"` })
    .refine((m) => METHODS.some((method) => method === m.toUpperCase() && /^[a-z]+$/i.test(m)), {
      error: (issue) => `${property} must be "GET" or "POST" (got ${JSON.stringify(issue.input)})`,
    })
    .transform((m) => m.toUpperCase());

const propertySchemas: Record<(typeof ARG_NAMES)[number], z.ZodType> = {
  phoneNumber: z
    .string({ error: "phoneNumber is required: the number in E.164 format, like +14155551234" })
    .superRefine((n, ctx) => {
      const reason = e164Reason(n);
      if (reason) ctx.addIssue({ code: "custom", message: reason });
    }),
  provider: z.enum(PROVIDERS, {
    error: (issue) => `Invalid provider value ${JSON.stringify(issue.input)}: must be "twilio" or "telnyx"`,
  }),
  voiceUrl: urlSchema("voiceUrl"),
  voiceFallbackUrl: urlSchema("voiceFallbackUrl"),
  smsUrl: urlSchema("smsUrl"),
  smsFallbackUrl: urlSchema("smsFallbackUrl"),
  statusCallbackUrl: urlSchema("statusCallbackUrl"),
  voiceMethod: methodSchema("voiceMethod"),
  smsMethod: methodSchema("smsMethod"),
  onDelete: z.enum(ON_DELETE_MODES, {
    error: (issue) => `onDelete must be "restore", "clear" or "retain" (got ${JSON.stringify(issue.input)})`,
  }),
  allowSharedUpdate: z.boolean({ error: "allowSharedUpdate must be true or false" }),
};

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Validates raw inputs. Never throws: every problem becomes a failure naming its property.
 * Values still unknown in a preview pass through unchecked.
 */
export function checkArgs(raw: unknown): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const inputs: Record<string, unknown> = {};
  const news = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};

  for (const [key, value] of Object.entries(news)) {
    if (key === "__provider") continue;
    if (!(ARG_NAMES as readonly string[]).includes(key)) {
      if (value !== undefined && value !== null)
        failures.push({
          property: key,
          reason: `"${key}" is not a property of PhoneNumberWebhooks`,
        });
    }
  }

  for (const name of ARG_NAMES) {
    const value = news[name];
    if (value === undefined || value === null) {
      if (name === "phoneNumber")
        failures.push({ property: name, reason: reasonOf(propertySchemas[name], value) });
      continue;
    }
    if (isUnknown(value)) {
      inputs[name] = value;
      continue;
    }
    const parsed = propertySchemas[name].safeParse(value);
    if (parsed.success) inputs[name] = parsed.data;
    else failures.push({ property: name, reason: parsed.error.issues[0]?.message ?? `${name} is invalid` });
  }

  const given = (name: string) => news[name] !== undefined && news[name] !== null;
  if (!given("voiceUrl") && !given("smsUrl"))
    failures.push({ property: "voiceUrl", reason: MISSING_WEBHOOK });

  if (news.provider === "telnyx" && given("smsMethod") && !isUnknown(news.smsMethod)) {
    failures.push({
      property: "smsMethod",
      reason: SMS_METHOD_ON_TELNYX,
    });
  }
  return { inputs, failures };
}

function reasonOf(schema: z.ZodType, value: unknown): string {
  const parsed = schema.safeParse(value);
  return parsed.success ? "" : (parsed.error.issues[0]?.message ?? "invalid");
}
