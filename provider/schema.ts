/**
 * The resource's schemas, stated once. The zod schemas of the arguments (with the rules and the
 * wording of the REST endpoint this resource replaces) and of the outputs are the source;
 * `CheckedArgs`, the argument names, the output type and names are derived from them.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";
import { CARRIER_ID_KEYS, CARRIER_NAMES, listNames, subaccountIdSchema } from "./carriers";
import type { Isolation } from "./carriers/carrier";
import { recordOf, redactUrl, URL_FIELDS, WEBHOOK_FIELDS } from "./webhooks";

/** What the engine passes for a value not known yet in a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

export const ON_DELETE_MODES = ["restore", "clear", "retain"] as const;
export type OnDelete = (typeof ON_DELETE_MODES)[number];
/** What a resource does with a Telnyx object that other numbers share: see `onShared`. */
export const ON_SHARED_MODES = ["refuse", "update", "isolate"] as const;
export type OnShared = (typeof ON_SHARED_MODES)[number];
export const METHODS = ["GET", "POST"] as const;
export type Method = (typeof METHODS)[number];
const MAX_URL_LENGTH = 2048;
// Whitespace, C0 and C1 controls, soft hyphen, zero-width and bidi marks, BOM.
const INVISIBLE_OR_CONTROL =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  /[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/;

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
    .transform((m) => m.toUpperCase() as Method);

/** One schema per argument, in the order failures are reported. */
export const ARGUMENT_SCHEMAS = {
  /** The number, in E.164 format (`+14155551234`). The account must already own it. */
  phoneNumber: z
    .string({ error: "phoneNumber is required: the number in E.164 format, like +14155551234" })
    .superRefine((n, ctx) => {
      const reason = e164Reason(n);
      if (reason) ctx.addIssue({ code: "custom", message: reason });
    }),
  /** The carrier; detected from the accounts that have credentials when absent. */
  provider: z.enum(CARRIER_NAMES, {
    error: (issue) =>
      `Invalid provider value ${JSON.stringify(issue.input)}: must be ${listNames(CARRIER_NAMES, "or")}`,
  }),
  /**
   * Twilio: the account that owns the number, a subaccount of the credentials' account (default
   * the credentials' own). Changing it replaces the resource.
   */
  accountSid: subaccountIdSchema("accountSid"),
  voiceUrl: urlSchema("voiceUrl"),
  voiceFallbackUrl: urlSchema("voiceFallbackUrl"),
  smsUrl: urlSchema("smsUrl"),
  smsFallbackUrl: urlSchema("smsFallbackUrl"),
  statusCallbackUrl: urlSchema("statusCallbackUrl"),
  voiceMethod: methodSchema("voiceMethod"),
  /** Twilio only: Telnyx messaging webhooks are always POST. */
  smsMethod: methodSchema("smsMethod"),
  /** What `pulumi destroy` does: `"restore"` (default) the previous webhooks, `"clear"` them, or `"retain"`. */
  onDelete: z.enum(ON_DELETE_MODES, {
    error: (issue) => `onDelete must be "restore", "clear" or "retain" (got ${JSON.stringify(issue.input)})`,
  }),
  /** Telnyx: allow changing a connection or messaging profile that other numbers share. */
  allowSharedUpdate: z.boolean({ error: "allowSharedUpdate must be true or false" }),
  /**
   * Telnyx: what to do when the object holding a declared webhook also serves other numbers:
   * `"refuse"` (default), `"update"` it for all of them (as `allowSharedUpdate: true`), or
   * `"isolate"` the number onto a copy made for it. Twilio ignores it.
   */
  onShared: z.enum(ON_SHARED_MODES, {
    error: (issue) => `onShared must be "refuse", "update" or "isolate" (got ${JSON.stringify(issue.input)})`,
  }),
  /**
   * During `pulumi up`, send a new webhook URL one test request before switching the number to it,
   * and refuse the switch when nothing answers or it answers 404, 410 or 5xx. Default: stack config
   * `phoneWebhooks:preflight`, else off. A deployment option: changing it alone changes nothing.
   */
  preflight: z.boolean({ error: "preflight must be true or false" }),
  /**
   * SignalWire: a number whose calls or messages go to another handler (a Relay application, a
   * LaML application, an AI agent, …) would ignore a declared URL, so it is refused; `true` switches
   * that handler to LaML webhooks instead, and destroy switches it back. Like `preflight`, it says
   * how a change is made, not what the number holds: changing it alone changes nothing.
   */
  switchHandlers: z.boolean({ error: "switchHandlers must be true or false" }),
};

export type ArgumentName = keyof typeof ARGUMENT_SCHEMAS;
export const ARG_NAMES = Object.keys(ARGUMENT_SCHEMAS) as ArgumentName[];

export const ARGS_SCHEMA = z.object(ARGUMENT_SCHEMAS).partial().required({ phoneNumber: true });
/** The checked arguments, as `create`, `update` and `diff` receive them. */
export type CheckedArgs = z.output<typeof ARGS_SCHEMA>;

export type { Isolation };

/** One object `onShared: "isolate"` made for a number, and the shared one the number came from. */
export const isolationSchema: z.ZodType<Isolation> = z.object({
  /** What the object holds: the number's voice or its SMS webhooks. */
  holds: z.enum(["voice", "sms"]),
  /** The carrier's type of both objects: `call_control_application`, `texml_application`, `messaging_profile`. */
  objectType: z.string(),
  /** The shared object the number was on, and is moved back to on destroy. */
  originalId: z.string(),
  /** The object made for the number. */
  copyId: z.string(),
});

/** The one mode of a resource: `onShared`, else `allowSharedUpdate` (true means "update"). */
export function sharedMode(args: Pick<CheckedArgs, "onShared" | "allowSharedUpdate">): OnShared {
  return args.onShared ?? (args.allowSharedUpdate ? "update" : "refuse");
}

const webhookSettingsSchema = z.object(recordOf(WEBHOOK_FIELDS, () => z.string().nullable()));

/** How one URL answered its preflight: the HTTP status, the time it took, and whether it passed. */
const preflightOutcomeSchema = z.object({ status: z.number().optional(), ms: z.number(), ok: z.boolean() });
export type PreflightOutcome = z.output<typeof preflightOutcomeSchema>;

/**
 * What the resource stores: the managed settings as last applied, the live ones, and the originals.
 * `preflight` and `switchHandlers` are not stored: they say how a change is applied, not what the
 * number holds.
 */
const outputSchema = ARGS_SCHEMA.omit({ preflight: true, switchHandlers: true }).extend({
  provider: z.enum(CARRIER_NAMES),
  /** True when `provider` was not declared and the carrier was found by looking the number up. */
  providerDetected: z.boolean().optional(),
  /** The webhook URLs this resource set (passwords masked). */
  updatedWebhooks: z.object({ voice: z.string().optional(), sms: z.string().optional() }),
  /** "Successfully updated 2 webhook(s) for +14155551234 via twilio" */
  message: z.string(),
  /** The live configuration, read back from the carrier. */
  webhooks: webhookSettingsSchema,
  /** What the number had before this resource took it over: restored on delete. */
  previousWebhooks: webhookSettingsSchema,
  /**
   * The carrier's own previous values of the number beyond its webhooks (`CarrierFields`:
   * SignalWire's handlers and their resources), restored on delete. Only for a carrier that keeps
   * some: other carriers' states have none.
   */
  previousCarrierFields: z.record(z.string(), z.string().nullable()).optional(),
  /** Other numbers whose webhooks live on the same carrier objects (Telnyx). */
  sharedWith: z.array(z.string()),
  /** The preflight of the URLs the last create or update switched the number to (no URL stored). */
  preflightResults: z.object(recordOf(URL_FIELDS, () => preflightOutcomeSchema.optional())).optional(),
  /**
   * Settings of the number that have no effect, and what decides instead (a Twilio application,
   * SIP trunk or Messaging Service): a declared one shows as drift until that changes.
   */
  overriddenBy: z.object(recordOf(WEBHOOK_FIELDS, () => z.string().optional())).optional(),
  /**
   * Telnyx, `onShared: "isolate"`: the objects made for this number, and the shared ones it was
   * moved off (destroy moves it back and deletes the copies).
   */
  isolated: z.array(isolationSchema).optional(),
  /**
   * The carrier's identifiers of the number and of the objects its webhooks live on. `accountSid`
   * is the account that owns the number, declared or not.
   */
  ...recordOf(CARRIER_ID_KEYS, () => z.string().nullable().optional()),
});
export type PhoneNumberWebhooksOutputs = z.output<typeof outputSchema>;
export type OutputName = keyof PhoneNumberWebhooksOutputs;
export const OUTPUT_NAMES = Object.keys(outputSchema.shape) as OutputName[];

/**
 * The outputs an update keeps as the state has them: the carrier, whether it was detected, and the
 * carrier's identifiers of the number. `check` carries them forward (see lifecycle.ts), so that a
 * preview of an update knows them.
 */
export const KEPT_OUTPUTS_SCHEMA = outputSchema
  .pick({ provider: true, providerDetected: true, ...recordOf(CARRIER_ID_KEYS, () => true as const) })
  .partial();
export type KeptOutputs = z.output<typeof KEPT_OUTPUTS_SCHEMA>;
export type KeptOutputName = keyof KeptOutputs;
export const KEPT_OUTPUT_NAMES = Object.keys(KEPT_OUTPUTS_SCHEMA.shape) as KeptOutputName[];
