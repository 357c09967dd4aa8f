/**
 * Seed files and the sandbox's state model.
 *
 * A seed uses each carrier's own JSON field names (snake_case). Fields a seed leaves out get
 * realistic defaults, and SIDs and ids are generated in the carrier's format (deterministically,
 * from the seed's content, so the same seed always yields the same ids).
 *
 * Every Telnyx object is typed with the `telnyx` SDK's own interfaces, and every field schema
 * below is keyed by those interfaces (`Fields<T>`), so a field name the SDK does not know is a
 * compile error. The Twilio number is keyed by the `twilio` SDK's `IncomingPhoneNumberResource`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import type { IncomingPhoneNumberInstance } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import type { PhoneNumberCapabilities } from "twilio/lib/interfaces";
import type {
  CallControlApplication,
  CallControlApplicationInbound,
  CallControlApplicationOutbound,
} from "telnyx/resources/call-control-applications";
import type { TexmlApplication } from "telnyx/resources/texml-applications";
import type {
  CredentialConnection,
  CredentialInbound,
  CredentialOutbound,
  ConnectionRtcpSettings,
} from "telnyx/resources/credential-connections/credential-connections";
import type {
  MessagingMessagingProfile,
  MessagingProfileFeatures,
  NumberPoolSettings,
  URLShortenerSettings,
} from "telnyx/resources/messaging-profiles/messaging-profiles";
import type { NumbersPhoneNumberDetailed } from "telnyx/resources/phone-numbers/phone-numbers";
import type { ConnectionJitterBuffer, ConnectionNoiseSuppressionDetails } from "telnyx/resources/shared";

// ---------------------------------------------------------------------------------------------
// Type plumbing

/** One zod schema per field of `T`, no more, no less (excess keys fail the object literal check). */
export type Fields<T> = { [K in keyof T]-?: z.ZodType<Exclude<T[K], undefined>> };

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The Twilio SDK's own (unexported) JSON payload type for an IncomingPhoneNumber. */
type TwilioResource = ConstructorParameters<typeof IncomingPhoneNumberInstance>[1];

// ---------------------------------------------------------------------------------------------
// Public state types

export type TwilioMethod = "GET" | "POST";

/** An IncomingPhoneNumber as Twilio's JSON API returns it (same keys as the SDK's payload type). */
export interface TwilioIncomingPhoneNumber {
  account_sid: string;
  address_sid: string | null;
  address_requirements: "none" | "any" | "local" | "foreign";
  api_version: string;
  beta: boolean;
  capabilities: PhoneNumberCapabilities;
  date_created: string;
  date_updated: string;
  friendly_name: string;
  identity_sid: string | null;
  phone_number: string;
  origin: string;
  sid: string;
  sms_application_sid: string | null;
  sms_fallback_method: TwilioMethod;
  sms_fallback_url: string | null;
  sms_method: TwilioMethod;
  sms_url: string | null;
  status_callback: string | null;
  status_callback_method: TwilioMethod;
  trunk_sid: string | null;
  uri: string;
  voice_receive_mode: "voice" | "fax";
  voice_application_sid: string | null;
  voice_caller_id_lookup: boolean;
  voice_fallback_method: TwilioMethod;
  voice_fallback_url: string | null;
  voice_method: TwilioMethod;
  voice_url: string | null;
  emergency_status: "Active" | "Inactive";
  emergency_address_sid: string | null;
  emergency_address_status:
    | "registered"
    | "unregistered"
    | "pending-registration"
    | "registration-failure"
    | "pending-unregistration"
    | "unregistration-failure";
  bundle_sid: string | null;
  status: string;
  type: string;
}
// Same field names as the twilio SDK's payload: a typo or a field Twilio does not have fails tsc.
const _twilioKeysMatchSdk: Equal<keyof TwilioIncomingPhoneNumber, keyof TwilioResource> = true;
void _twilioKeysMatchSdk;

/** A Telnyx phone number as `GET /v2/phone_numbers/{id}` returns it (the SDK's own type). */
export type TelnyxPhoneNumber = NumbersPhoneNumberDetailed;

/** The Telnyx objects that hold webhooks, by their URL path segment. */
export type TelnyxKind =
  "call_control_applications" | "texml_applications" | "credential_connections" | "messaging_profiles";
export const TELNYX_KINDS: readonly TelnyxKind[] = [
  "call_control_applications",
  "texml_applications",
  "credential_connections",
  "messaging_profiles",
];
export const TELNYX_CONNECTION_KINDS = [
  "call_control_applications",
  "texml_applications",
  "credential_connections",
] as const;
export type TelnyxConnectionKind = (typeof TELNYX_CONNECTION_KINDS)[number];

type WithId<T> = T & { id: string; created_at: string; updated_at: string };
export type StoredCallControlApplication = WithId<CallControlApplication>;
export type StoredTexmlApplication = WithId<TexmlApplication>;
export type StoredCredentialConnection = WithId<CredentialConnection>;
export type StoredMessagingProfile = WithId<MessagingMessagingProfile>;

export interface TelnyxObjectByKind {
  call_control_applications: StoredCallControlApplication;
  texml_applications: StoredTexmlApplication;
  credential_connections: StoredCredentialConnection;
  messaging_profiles: StoredMessagingProfile;
}

export interface TwilioApiKey {
  sid: string;
  secret: string;
}

/** What `control.state()` returns: the seed's shape, every default filled in. It is itself a valid seed. */
export interface SandboxState {
  twilio: {
    account_sid: string;
    auth_token: string;
    api_keys: TwilioApiKey[];
    incoming_phone_numbers: TwilioIncomingPhoneNumber[];
  };
  telnyx: {
    api_key: string;
    call_control_applications: StoredCallControlApplication[];
    texml_applications: StoredTexmlApplication[];
    credential_connections: StoredCredentialConnection[];
    messaging_profiles: StoredMessagingProfile[];
    phone_numbers: TelnyxPhoneNumber[];
  };
}

/** A seed: any subset of the state, in the carriers' own field names. */
export interface SandboxSeed {
  twilio?: {
    account_sid?: string;
    auth_token?: string;
    /** API Key SIDs (`SK...`) and secrets that may authenticate for this account. */
    api_keys?: TwilioApiKey[];
    incoming_phone_numbers?: Array<Partial<TwilioIncomingPhoneNumber> & { phone_number: string }>;
  };
  telnyx?: {
    api_key?: string;
    call_control_applications?: Array<Partial<CallControlApplication>>;
    texml_applications?: Array<Partial<TexmlApplication>>;
    credential_connections?: Array<Partial<CredentialConnection>>;
    messaging_profiles?: Array<Partial<MessagingMessagingProfile>>;
    /**
     * `connection_id` / `messaging_profile_id` may be given directly, or found by
     * `connection_name` (application_name, friendly_name or connection_name) and
     * `messaging_profile_name`. `messaging_profile_id` may be the string "UNAVAILABLE".
     */
    phone_numbers?: Array<Partial<TelnyxPhoneNumber> & { phone_number: string }>;
  };
}

// Default, obviously fake, well-formed credentials (used when a seed gives none).
export const DEFAULT_TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const DEFAULT_TWILIO_AUTH_TOKEN = "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3";
export const DEFAULT_TELNYX_API_KEY = "KEY0000000000000000000000000SANDBOX_NotARealTelnyxKeyForTests";

// ---------------------------------------------------------------------------------------------
// Formats and id generation

export const E164 = /^\+[1-9]\d{1,14}$/;
export const TWILIO_SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);
const ACCOUNT_SID = TWILIO_SID("AC");
const NUMERIC_ID = /^\d{1,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    return u.hostname.length > 0;
  } catch {
    return false;
  }
}

function hex(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
/** A Twilio SID: prefix + 32 hex digits. */
export function twilioSid(prefix: string, ...parts: string[]): string {
  return prefix + hex(prefix, ...parts).slice(0, 32);
}
/** A Telnyx numeric id (connections and phone numbers): 19 digits. */
export function telnyxNumericId(...parts: string[]): string {
  const n = BigInt("0x" + hex("numeric", ...parts).slice(0, 15)) % 8_999_999_999_999_999_999n;
  return (1_000_000_000_000_000_000n + n).toString();
}
/** A Telnyx UUID (messaging profiles, organizations): version 4 layout. */
export function telnyxUuid(...parts: string[]): string {
  const h = hex("uuid", ...parts);
  const variant = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Twilio's RFC 2822 date format: "Thu, 14 Mar 2024 15:09:26 +0000". */
export function rfc2822(d: Date = new Date()): string {
  return d.toUTCString().replace("GMT", "+0000");
}
const SEED_DATE = new Date("2024-03-14T15:09:26.000Z");

function usFriendlyName(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

// ---------------------------------------------------------------------------------------------
// Shared zod pieces

const httpUrl = z.string().refine(isHttpUrl, { message: "must be an absolute http(s) URL" });
const httpUrlOrEmpty = z.string().refine((v) => v === "" || isHttpUrl(v), {
  message: "must be an absolute http(s) URL or empty",
});
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "must be a date" });
const tags = z.array(z.string());
const anchorsite = z.enum([
  "Latency",
  "Chicago, IL",
  "Ashburn, VA",
  "San Jose, CA",
  "Sydney, Australia",
  "Amsterdam, Netherlands",
  "London, UK",
  "Toronto, Canada",
  "Vancouver, Canada",
  "Frankfurt, Germany",
  "Chennai, IN",
]);
const dtmfType = z.enum(["RFC 2833", "Inband", "SIP INFO"]);
const webhookApiVersion = z.enum(["1", "2"]);
const timeoutSecs = z.number().int().min(0).max(30).nullable();
const numericId = z.string().regex(NUMERIC_ID, "must be a numeric id");

/** A loosely checked nested object, typed as the SDK's own type. */
function sdkObject<T>() {
  return z.custom<T>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
    message: "must be an object",
  });
}

// ---------------------------------------------------------------------------------------------
// Telnyx field schemas (keyed by the SDK's types)

export const ccaInboundFields: Fields<CallControlApplicationInbound> = {
  channel_limit: z.number().int().min(0),
  shaken_stir_enabled: z.boolean(),
  sip_subdomain: z.string(),
  sip_subdomain_receive_settings: z.enum(["only_my_connections", "from_anyone"]),
};
export const ccaOutboundFields: Fields<CallControlApplicationOutbound> = {
  channel_limit: z.number().int().min(0),
  outbound_voice_profile_id: z.string(),
};

export const callControlApplicationFields: Fields<CallControlApplication> = {
  id: numericId,
  active: z.boolean(),
  anchorsite_override: anchorsite.exclude(["Vancouver, Canada", "Frankfurt, Germany"]),
  application_name: z.string().min(1),
  call_cost_in_webhooks: z.boolean(),
  created_at: isoDate,
  dtmf_type: dtmfType,
  first_command_timeout: z.boolean(),
  first_command_timeout_secs: z.number().int().min(0),
  inbound: z.strictObject(ccaInboundFields).partial(),
  outbound: z.strictObject(ccaOutboundFields).partial(),
  record_type: z.literal("call_control_application"),
  redact_dtmf_debug_logging: z.boolean(),
  tags,
  updated_at: isoDate,
  webhook_api_version: webhookApiVersion,
  webhook_event_failover_url: httpUrlOrEmpty.nullable(),
  webhook_event_url: httpUrl,
  webhook_timeout_secs: timeoutSecs,
};

export const texmlInboundFields: Fields<NonNullable<TexmlApplication["inbound"]>> = ccaInboundFields;
export const texmlOutboundFields: Fields<NonNullable<TexmlApplication["outbound"]>> = ccaOutboundFields;
const texmlMethod = z.enum(["get", "post"]);

export const texmlApplicationFields: Fields<TexmlApplication> = {
  id: numericId,
  active: z.boolean(),
  anchorsite_override: anchorsite.exclude(["Chennai, IN"]),
  call_cost_in_webhooks: z.boolean(),
  created_at: isoDate,
  dtmf_type: dtmfType,
  first_command_timeout: z.boolean(),
  first_command_timeout_secs: z.number().int().min(0),
  friendly_name: z.string().min(1),
  inbound: z.strictObject(texmlInboundFields).partial(),
  outbound: z.strictObject(texmlOutboundFields).partial(),
  record_type: z.literal("texml_application"),
  status_callback: httpUrlOrEmpty,
  status_callback_method: texmlMethod,
  tags,
  updated_at: isoDate,
  voice_fallback_url: httpUrlOrEmpty,
  voice_method: texmlMethod,
  voice_url: httpUrl,
};

export const credentialInboundFields: Fields<CredentialInbound> = {
  ani_number_format: z.enum(["+E.164", "E.164", "+E.164-national", "E.164-national"]),
  channel_limit: z.number().int().min(0),
  codecs: z.array(z.string()),
  default_routing_method: z.enum(["sequential", "round-robin"]),
  dnis_number_format: z.enum(["+e164", "e164", "national", "sip_username"]),
  generate_ringback_tone: z.boolean(),
  isup_headers_enabled: z.boolean(),
  prack_enabled: z.boolean(),
  shaken_stir_enabled: z.boolean(),
  simultaneous_ringing: z.enum(["disabled", "enabled"]),
  sip_compact_headers_enabled: z.boolean(),
  timeout_1xx_secs: z.number().int().min(0),
  timeout_2xx_secs: z.number().int().min(0),
};
export const credentialOutboundFields: Fields<CredentialOutbound> = {
  ani_override: z.string(),
  ani_override_type: z.enum(["always", "normal", "emergency"]),
  call_parking_enabled: z.boolean().nullable(),
  channel_limit: z.number().int().min(0),
  generate_ringback_tone: z.boolean(),
  instant_ringback_enabled: z.boolean(),
  localization: z.string(),
  outbound_voice_profile_id: z.string(),
  t38_reinvite_source: z.enum([
    "telnyx",
    "customer",
    "disabled",
    "passthru",
    "caller-passthru",
    "callee-passthru",
  ]),
};

export const credentialConnectionFields: Fields<CredentialConnection> = {
  id: numericId,
  active: z.boolean(),
  anchorsite_override: anchorsite.exclude(["Chennai, IN"]),
  android_push_credential_id: z.string().nullable(),
  call_cost_in_webhooks: z.boolean(),
  connection_name: z.string().min(1),
  conversation_persistence: z.boolean(),
  created_at: isoDate,
  default_on_hold_comfort_noise_enabled: z.boolean(),
  dtmf_type: dtmfType,
  encode_contact_header_enabled: z.boolean(),
  encrypted_media: z.literal("SRTP").nullable(),
  inbound: z.strictObject(credentialInboundFields).partial(),
  ios_push_credential_id: z.string().nullable(),
  jitter_buffer: sdkObject<ConnectionJitterBuffer>(),
  noise_suppression: z.enum(["inbound", "outbound", "both", "disabled"]),
  noise_suppression_details: sdkObject<ConnectionNoiseSuppressionDetails>(),
  onnet_t38_passthrough_enabled: z.boolean(),
  outbound: z.strictObject(credentialOutboundFields).partial(),
  password: z.string(),
  record_type: z.literal("credential_connection"),
  rtcp_settings: sdkObject<ConnectionRtcpSettings>(),
  sip_uri_calling_preference: z.enum(["disabled", "unrestricted", "internal"]),
  tags,
  updated_at: isoDate,
  user_name: z.string(),
  webhook_api_version: webhookApiVersion,
  webhook_event_failover_url: httpUrlOrEmpty.nullable(),
  webhook_event_url: httpUrlOrEmpty,
  webhook_timeout_secs: timeoutSecs,
};

export const messagingProfileFields: Fields<MessagingMessagingProfile> = {
  id: z.string().regex(UUID, "must be a UUID"),
  ai_assistant_id: z.string().nullable(),
  alpha_sender: z.string().nullable(),
  created_at: isoDate,
  daily_spend_limit: z.string().regex(/^\d+(\.\d+)?$/, "must be a decimal string"),
  daily_spend_limit_enabled: z.boolean(),
  enabled: z.boolean(),
  features: sdkObject<MessagingProfileFeatures>().nullable(),
  health_webhook_url: httpUrlOrEmpty.nullable(),
  mms_fall_back_to_sms: z.boolean(),
  mms_transcoding: z.boolean(),
  mobile_only: z.boolean(),
  name: z.string().min(1),
  number_pool_settings: sdkObject<NumberPoolSettings>().nullable(),
  organization_id: z.string(),
  record_type: z.literal("messaging_profile"),
  redaction_enabled: z.boolean(),
  redaction_level: z.number().int().min(0),
  resource_group_id: z.string().nullable(),
  smart_encoding: z.boolean(),
  updated_at: isoDate,
  url_shortener_settings: sdkObject<URLShortenerSettings>().nullable(),
  v1_secret: z.string(),
  webhook_api_version: z.enum(["1", "2", "2010-04-01"]),
  webhook_failover_url: httpUrlOrEmpty.nullable(),
  webhook_url: httpUrlOrEmpty.nullable(),
  whitelisted_destinations: z.array(z.string()),
};

export const telnyxPhoneNumberFields: Fields<TelnyxPhoneNumber> = {
  id: numericId,
  country_iso_alpha2: z.string().length(2),
  created_at: isoDate,
  deletion_lock_enabled: z.boolean(),
  external_pin: z.string().nullable(),
  phone_number: z.string().regex(E164, "must be an E.164 number"),
  phone_number_type: z.enum([
    "local",
    "toll_free",
    "mobile",
    "national",
    "shared_cost",
    "landline",
    "tollfree",
    "shortcode",
    "longcode",
  ]),
  purchased_at: isoDate,
  record_type: z.literal("phone_number"),
  status: z.enum([
    "purchase-pending",
    "purchase-failed",
    "port-pending",
    "port-failed",
    "active",
    "deleted",
    "emergency-only",
    "ported-out",
    "port-out-pending",
    "requirement-info-pending",
    "requirement-info-under-review",
    "requirement-info-exception",
    "provision-pending",
  ]),
  tags,
  activated_at: isoDate.nullable(),
  billing_group_id: z.string().nullable(),
  call_forwarding_enabled: z.boolean(),
  call_recording_enabled: z.boolean(),
  caller_id_name_enabled: z.boolean(),
  cnam_listing_enabled: z.boolean(),
  connection_id: z.string().nullable(),
  connection_name: z.string().nullable(),
  customer_reference: z.string().nullable(),
  emergency_address_id: z.string().nullable(),
  emergency_enabled: z.boolean(),
  emergency_status: z.enum(["active", "deprovisioning", "disabled", "provisioning", "provisioning-failed"]),
  hd_voice_enabled: z.boolean(),
  inbound_call_screening: z.enum(["disabled", "reject_calls", "flag_calls"]),
  messaging_campaign_id: z.string().nullable(),
  messaging_profile_id: z.string().nullable(),
  messaging_profile_name: z.string().nullable(),
  source_type: z.enum(["number_order", "port_request"]).nullable(),
  t38_fax_gateway_enabled: z.boolean(),
  updated_at: isoDate,
};

// ---------------------------------------------------------------------------------------------
// Twilio field schemas

const twilioMethod = z.enum(["GET", "POST"]);
const twilioSidOrNull = (prefix: string) =>
  z
    .string()
    .regex(TWILIO_SID(prefix), `must be a ${prefix} SID`)
    .or(z.literal("").transform(() => null))
    .nullable();

export const twilioNumberFields: Fields<TwilioIncomingPhoneNumber> = {
  account_sid: z.string().regex(ACCOUNT_SID, "must be an AC SID"),
  address_sid: twilioSidOrNull("AD"),
  address_requirements: z.enum(["none", "any", "local", "foreign"]),
  api_version: z.string(),
  beta: z.boolean(),
  capabilities: z.strictObject({ mms: z.boolean(), sms: z.boolean(), voice: z.boolean(), fax: z.boolean() }),
  date_created: z.string(),
  date_updated: z.string(),
  friendly_name: z.string().max(64),
  identity_sid: twilioSidOrNull("RI"),
  phone_number: z.string().regex(E164, "must be an E.164 number"),
  origin: z.string(),
  sid: z.string().regex(TWILIO_SID("PN"), "must be a PN SID"),
  sms_application_sid: twilioSidOrNull("AP"),
  sms_fallback_method: twilioMethod,
  sms_fallback_url: httpUrlOrEmpty.nullable(),
  sms_method: twilioMethod,
  sms_url: httpUrlOrEmpty.nullable(),
  status_callback: httpUrlOrEmpty.nullable(),
  status_callback_method: twilioMethod,
  trunk_sid: twilioSidOrNull("TK"),
  uri: z.string(),
  voice_receive_mode: z.enum(["voice", "fax"]),
  voice_application_sid: twilioSidOrNull("AP"),
  voice_caller_id_lookup: z.boolean(),
  voice_fallback_method: twilioMethod,
  voice_fallback_url: httpUrlOrEmpty.nullable(),
  voice_method: twilioMethod,
  voice_url: httpUrlOrEmpty.nullable(),
  emergency_status: z.enum(["Active", "Inactive"]),
  emergency_address_sid: twilioSidOrNull("AD"),
  emergency_address_status: z.enum([
    "registered",
    "unregistered",
    "pending-registration",
    "registration-failure",
    "pending-unregistration",
    "unregistration-failure",
  ]),
  bundle_sid: twilioSidOrNull("BU"),
  status: z.string(),
  type: z.string(),
};

// Partial ("patch") schemas, used by seeds and by out-of-band console edits.
export const twilioNumberPatch = z.strictObject(twilioNumberFields).partial();
export const telnyxPatchSchemas = {
  call_control_applications: z.strictObject(callControlApplicationFields).partial(),
  texml_applications: z.strictObject(texmlApplicationFields).partial(),
  credential_connections: z.strictObject(credentialConnectionFields).partial(),
  messaging_profiles: z.strictObject(messagingProfileFields).partial(),
  phone_numbers: z.strictObject(telnyxPhoneNumberFields).partial(),
} as const;

const seedSchema = z.strictObject({
  twilio: z
    .strictObject({
      account_sid: z.string().regex(ACCOUNT_SID, "must be an AC SID").optional(),
      auth_token: z.string().min(1).optional(),
      api_keys: z
        .array(
          z.strictObject({
            sid: z.string().regex(TWILIO_SID("SK"), "must be an SK SID"),
            secret: z.string(),
          }),
        )
        .optional(),
      incoming_phone_numbers: z.array(twilioNumberPatch.required({ phone_number: true })).optional(),
    })
    .optional(),
  telnyx: z
    .strictObject({
      api_key: z.string().min(1).optional(),
      call_control_applications: z.array(telnyxPatchSchemas.call_control_applications).optional(),
      texml_applications: z.array(telnyxPatchSchemas.texml_applications).optional(),
      credential_connections: z.array(telnyxPatchSchemas.credential_connections).optional(),
      messaging_profiles: z.array(telnyxPatchSchemas.messaging_profiles).optional(),
      phone_numbers: z.array(telnyxPatchSchemas.phone_numbers.required({ phone_number: true })).optional(),
    })
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// Normalisation: seed -> state

export class SeedError extends Error {
  override name = "SeedError";
}

export function formatZodError(err: z.ZodError, prefix = ""): string {
  return err.issues
    .map((i) => {
      const where = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
      const detail = i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : i.message;
      return where ? `${where}: ${detail}` : detail;
    })
    .join("; ");
}

/** Defaults for a Twilio number that a seed or a console edit leaves out. */
export function twilioNumberDefaults(
  accountSid: string,
  phoneNumber: string,
  sid?: string,
): TwilioIncomingPhoneNumber {
  const theSid = sid ?? twilioSid("PN", accountSid, phoneNumber);
  const date = rfc2822(SEED_DATE);
  return {
    account_sid: accountSid,
    address_sid: null,
    address_requirements: "none",
    api_version: "2010-04-01",
    beta: false,
    capabilities: { mms: true, sms: true, voice: true, fax: false },
    date_created: date,
    date_updated: date,
    friendly_name: usFriendlyName(phoneNumber),
    identity_sid: null,
    phone_number: phoneNumber,
    origin: "twilio",
    sid: theSid,
    sms_application_sid: null,
    sms_fallback_method: "POST",
    sms_fallback_url: "",
    sms_method: "POST",
    sms_url: "",
    status_callback: "",
    status_callback_method: "POST",
    trunk_sid: null,
    uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${theSid}.json`,
    voice_receive_mode: "voice",
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: "POST",
    voice_fallback_url: "",
    voice_method: "POST",
    voice_url: "",
    emergency_status: "Inactive",
    emergency_address_sid: null,
    emergency_address_status: "unregistered",
    bundle_sid: null,
    status: "in-use",
    type: /^\+18(00|33|44|55|66|77|88)/.test(phoneNumber) ? "toll-free" : "local",
  };
}

const TELNYX_SEED_ISO = SEED_DATE.toISOString();

function ccaDefaults(i: number, name: string | undefined): StoredCallControlApplication {
  const application_name = name ?? `call-control-app-${i + 1}`;
  return {
    id: telnyxNumericId("call_control_application", application_name, String(i)),
    record_type: "call_control_application",
    application_name,
    active: true,
    anchorsite_override: "Latency",
    call_cost_in_webhooks: false,
    dtmf_type: "RFC 2833",
    first_command_timeout: false,
    first_command_timeout_secs: 30,
    inbound: { channel_limit: 10, shaken_stir_enabled: false, sip_subdomain_receive_settings: "from_anyone" },
    outbound: { channel_limit: 10 },
    redact_dtmf_debug_logging: false,
    tags: [],
    webhook_api_version: "2",
    webhook_event_failover_url: "",
    webhook_event_url: "https://example.com/telnyx/call-control",
    webhook_timeout_secs: null,
    created_at: TELNYX_SEED_ISO,
    updated_at: TELNYX_SEED_ISO,
  };
}

function texmlDefaults(i: number, name: string | undefined): StoredTexmlApplication {
  const friendly_name = name ?? `texml-app-${i + 1}`;
  return {
    id: telnyxNumericId("texml_application", friendly_name, String(i)),
    record_type: "texml_application",
    friendly_name,
    active: true,
    anchorsite_override: "Latency",
    call_cost_in_webhooks: false,
    dtmf_type: "RFC 2833",
    first_command_timeout: false,
    first_command_timeout_secs: 30,
    inbound: { channel_limit: 10, shaken_stir_enabled: false, sip_subdomain_receive_settings: "from_anyone" },
    outbound: { channel_limit: 10 },
    status_callback: "",
    status_callback_method: "post",
    tags: [],
    voice_fallback_url: "",
    voice_method: "post",
    voice_url: "https://example.com/telnyx/texml",
    created_at: TELNYX_SEED_ISO,
    updated_at: TELNYX_SEED_ISO,
  };
}

function credentialDefaults(i: number, name: string | undefined): StoredCredentialConnection {
  const connection_name = name ?? `sip-connection-${i + 1}`;
  return {
    id: telnyxNumericId("credential_connection", connection_name, String(i)),
    record_type: "credential_connection",
    connection_name,
    active: true,
    anchorsite_override: "Latency",
    android_push_credential_id: null,
    call_cost_in_webhooks: false,
    default_on_hold_comfort_noise_enabled: false,
    dtmf_type: "RFC 2833",
    encode_contact_header_enabled: false,
    encrypted_media: null,
    inbound: { ani_number_format: "+E.164", dnis_number_format: "+e164", channel_limit: 10 },
    ios_push_credential_id: null,
    noise_suppression: "disabled",
    onnet_t38_passthrough_enabled: false,
    outbound: { channel_limit: 10 },
    password: "sandbox-" + hex("password", connection_name).slice(0, 16),
    sip_uri_calling_preference: "disabled",
    tags: [],
    user_name: "sandboxuser" + hex("user", connection_name).slice(0, 8),
    webhook_api_version: "2",
    webhook_event_failover_url: "",
    webhook_event_url: "",
    webhook_timeout_secs: null,
    created_at: TELNYX_SEED_ISO,
    updated_at: TELNYX_SEED_ISO,
  };
}

function messagingProfileDefaults(i: number, name: string | undefined): StoredMessagingProfile {
  const profileName = name ?? `messaging-profile-${i + 1}`;
  return {
    id: telnyxUuid("messaging_profile", profileName, String(i)),
    record_type: "messaging_profile",
    name: profileName,
    enabled: true,
    ai_assistant_id: null,
    alpha_sender: null,
    daily_spend_limit: "0",
    daily_spend_limit_enabled: false,
    health_webhook_url: null,
    mms_fall_back_to_sms: false,
    mms_transcoding: false,
    mobile_only: false,
    number_pool_settings: null,
    organization_id: telnyxUuid("organization"),
    redaction_enabled: false,
    redaction_level: 0,
    resource_group_id: null,
    smart_encoding: false,
    url_shortener_settings: null,
    v1_secret: hex("v1_secret", profileName).slice(0, 24),
    webhook_api_version: "2",
    webhook_failover_url: null,
    webhook_url: null,
    whitelisted_destinations: ["US"],
    created_at: TELNYX_SEED_ISO,
    updated_at: TELNYX_SEED_ISO,
  };
}

function telnyxNumberDefaults(phoneNumber: string): TelnyxPhoneNumber {
  return {
    id: telnyxNumericId("phone_number", phoneNumber),
    record_type: "phone_number",
    phone_number: phoneNumber,
    status: "active",
    tags: [],
    external_pin: null,
    connection_id: null,
    connection_name: null,
    customer_reference: null,
    messaging_profile_id: null,
    messaging_profile_name: null,
    messaging_campaign_id: null,
    billing_group_id: null,
    emergency_enabled: false,
    emergency_address_id: null,
    emergency_status: "disabled",
    call_forwarding_enabled: true,
    call_recording_enabled: false,
    caller_id_name_enabled: false,
    cnam_listing_enabled: false,
    t38_fax_gateway_enabled: false,
    hd_voice_enabled: false,
    deletion_lock_enabled: false,
    inbound_call_screening: "disabled",
    phone_number_type: /^\+18(00|33|44|55|66|77|88)/.test(phoneNumber) ? "toll_free" : "local",
    country_iso_alpha2: phoneNumber.startsWith("+1") ? "US" : "GB",
    source_type: "number_order",
    activated_at: TELNYX_SEED_ISO,
    purchased_at: TELNYX_SEED_ISO,
    created_at: TELNYX_SEED_ISO,
    updated_at: TELNYX_SEED_ISO,
  };
}

export interface NormalizedState {
  twilio: {
    account_sid: string;
    auth_token: string;
    api_keys: TwilioApiKey[];
    numbers: Map<string, TwilioIncomingPhoneNumber>; // by sid
  };
  telnyx: {
    api_key: string;
    call_control_applications: Map<string, StoredCallControlApplication>;
    texml_applications: Map<string, StoredTexmlApplication>;
    credential_connections: Map<string, StoredCredentialConnection>;
    messaging_profiles: Map<string, StoredMessagingProfile>;
    phone_numbers: Map<string, TelnyxPhoneNumber>; // by id
  };
}

/** The display name Telnyx shows as `connection_name` for any kind of connection. */
export function connectionDisplayName(
  obj: StoredCallControlApplication | StoredTexmlApplication | StoredCredentialConnection,
): string | null {
  if ("application_name" in obj && obj.application_name !== undefined) return obj.application_name;
  if ("friendly_name" in obj && obj.friendly_name !== undefined) return obj.friendly_name;
  if ("connection_name" in obj && obj.connection_name !== undefined) return obj.connection_name;
  return null;
}

export function findConnection(
  state: NormalizedState["telnyx"],
  id: string,
):
  | {
      kind: TelnyxConnectionKind;
      obj: StoredCallControlApplication | StoredTexmlApplication | StoredCredentialConnection;
    }
  | undefined {
  for (const kind of TELNYX_CONNECTION_KINDS) {
    const obj = state[kind].get(id);
    if (obj) return { kind, obj };
  }
  return undefined;
}

/** Parse and normalise a seed (already-parsed JSON). Throws SeedError with every problem found. */
export function normalizeSeed(input: unknown): NormalizedState {
  const parsed = seedSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SeedError(`invalid seed: ${formatZodError(parsed.error)}`);
  const seed = parsed.data;
  const problems: string[] = [];

  // Twilio
  const accountSid = seed.twilio?.account_sid ?? DEFAULT_TWILIO_ACCOUNT_SID;
  const twilioNumbers = new Map<string, TwilioIncomingPhoneNumber>();
  const seenE164 = new Set<string>();
  (seed.twilio?.incoming_phone_numbers ?? []).forEach((n, i) => {
    if (n.account_sid !== undefined && n.account_sid !== accountSid) {
      problems.push(`twilio.incoming_phone_numbers.${i}.account_sid: must be the seed's account_sid`);
    }
    const base = twilioNumberDefaults(accountSid, n.phone_number, n.sid);
    const merged: TwilioIncomingPhoneNumber = {
      ...base,
      ...n,
      capabilities: { ...base.capabilities, ...n.capabilities },
    };
    if (n.uri === undefined) merged.uri = base.uri;
    if (n.date_updated === undefined && n.date_created !== undefined) merged.date_updated = n.date_created;
    if (seenE164.has(merged.phone_number))
      problems.push(`twilio: duplicate phone_number ${merged.phone_number}`);
    if (twilioNumbers.has(merged.sid)) problems.push(`twilio: duplicate sid ${merged.sid}`);
    seenE164.add(merged.phone_number);
    twilioNumbers.set(merged.sid, merged);
  });

  // Telnyx objects
  const t = seed.telnyx;
  const telnyx: NormalizedState["telnyx"] = {
    api_key: t?.api_key ?? DEFAULT_TELNYX_API_KEY,
    call_control_applications: new Map(),
    texml_applications: new Map(),
    credential_connections: new Map(),
    messaging_profiles: new Map(),
    phone_numbers: new Map(),
  };
  const connectionIds = new Set<string>();
  const addConnection = (kind: TelnyxConnectionKind, id: string) => {
    if (connectionIds.has(id)) problems.push(`telnyx.${kind}: duplicate connection id ${id}`);
    connectionIds.add(id);
  };
  (t?.call_control_applications ?? []).forEach((o, i) => {
    const obj = { ...ccaDefaults(i, o.application_name), ...o };
    if (o.updated_at === undefined && o.created_at !== undefined) obj.updated_at = o.created_at;
    addConnection("call_control_applications", obj.id);
    telnyx.call_control_applications.set(obj.id, obj);
  });
  (t?.texml_applications ?? []).forEach((o, i) => {
    const obj = { ...texmlDefaults(i, o.friendly_name), ...o };
    if (o.updated_at === undefined && o.created_at !== undefined) obj.updated_at = o.created_at;
    addConnection("texml_applications", obj.id);
    telnyx.texml_applications.set(obj.id, obj);
  });
  (t?.credential_connections ?? []).forEach((o, i) => {
    const obj = { ...credentialDefaults(i, o.connection_name), ...o };
    if (o.updated_at === undefined && o.created_at !== undefined) obj.updated_at = o.created_at;
    addConnection("credential_connections", obj.id);
    telnyx.credential_connections.set(obj.id, obj);
  });
  (t?.messaging_profiles ?? []).forEach((o, i) => {
    const obj = { ...messagingProfileDefaults(i, o.name), ...o };
    if (o.updated_at === undefined && o.created_at !== undefined) obj.updated_at = o.created_at;
    if (telnyx.messaging_profiles.has(obj.id))
      problems.push(`telnyx.messaging_profiles: duplicate id ${obj.id}`);
    telnyx.messaging_profiles.set(obj.id, obj);
  });

  const seenTelnyxE164 = new Set<string>();
  (t?.phone_numbers ?? []).forEach((n, i) => {
    const where = `telnyx.phone_numbers.${i}`;
    const obj: TelnyxPhoneNumber = { ...telnyxNumberDefaults(n.phone_number), ...n };
    // Voice connection: by id, else by name.
    if (n.connection_id) {
      const c = findConnection(telnyx, n.connection_id);
      if (!c) problems.push(`${where}.connection_id: no connection with id ${n.connection_id}`);
    } else if (n.connection_name) {
      const matches = TELNYX_CONNECTION_KINDS.flatMap((k) =>
        [...telnyx[k].values()].filter((c) => connectionDisplayName(c) === n.connection_name),
      );
      const only = matches[0];
      if (matches.length !== 1 || !only) {
        problems.push(`${where}.connection_name: ${matches.length} connections named ${n.connection_name}`);
      } else obj.connection_id = only.id;
    }
    // Messaging profile: by id (or the literal "UNAVAILABLE"), else by name.
    if (n.messaging_profile_id && n.messaging_profile_id !== "UNAVAILABLE") {
      if (!telnyx.messaging_profiles.has(n.messaging_profile_id)) {
        problems.push(
          `${where}.messaging_profile_id: no messaging profile with id ${n.messaging_profile_id}`,
        );
      }
    } else if (!n.messaging_profile_id && n.messaging_profile_name) {
      const matches = [...telnyx.messaging_profiles.values()].filter(
        (p) => p.name === n.messaging_profile_name,
      );
      const only = matches[0];
      if (matches.length !== 1 || !only) {
        problems.push(
          `${where}.messaging_profile_name: ${matches.length} profiles named ${n.messaging_profile_name}`,
        );
      } else obj.messaging_profile_id = only.id;
    }
    if (n.updated_at === undefined && n.created_at !== undefined) obj.updated_at = n.created_at;
    if (seenTelnyxE164.has(obj.phone_number))
      problems.push(`telnyx: duplicate phone_number ${obj.phone_number}`);
    if (telnyx.phone_numbers.has(obj.id)) problems.push(`telnyx: duplicate phone number id ${obj.id}`);
    seenTelnyxE164.add(obj.phone_number);
    telnyx.phone_numbers.set(obj.id, obj);
  });

  if (problems.length) throw new SeedError(`invalid seed: ${problems.join("; ")}`);

  const normalized: NormalizedState = {
    twilio: {
      account_sid: accountSid,
      auth_token: seed.twilio?.auth_token ?? DEFAULT_TWILIO_AUTH_TOKEN,
      api_keys: seed.twilio?.api_keys ?? [],
      numbers: twilioNumbers,
    },
    telnyx,
  };
  for (const n of telnyx.phone_numbers.values()) refreshTelnyxNames(normalized.telnyx, n);
  return normalized;
}

/** Recompute the denormalised `connection_name` / `messaging_profile_name` of a number. */
export function refreshTelnyxNames(
  state: NormalizedState["telnyx"],
  n: TelnyxPhoneNumber,
): TelnyxPhoneNumber {
  const c = n.connection_id ? findConnection(state, n.connection_id) : undefined;
  n.connection_name = c ? connectionDisplayName(c.obj) : null;
  const p =
    n.messaging_profile_id && n.messaging_profile_id !== "UNAVAILABLE"
      ? state.messaging_profiles.get(n.messaging_profile_id)
      : undefined;
  n.messaging_profile_name = p?.name ?? null;
  return n;
}

/** Read a seed file (path relative to the current directory). */
export function loadSeedFile(path: string): SandboxSeed {
  const full = resolve(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (e) {
    throw new SeedError(`cannot read seed file ${full}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as SandboxSeed;
  } catch (e) {
    throw new SeedError(`seed file ${full} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The state as a plain JSON object in the seed's shape (deep copy). */
export function dumpState(s: NormalizedState): SandboxState {
  return structuredClone({
    twilio: {
      account_sid: s.twilio.account_sid,
      auth_token: s.twilio.auth_token,
      api_keys: s.twilio.api_keys,
      incoming_phone_numbers: [...s.twilio.numbers.values()],
    },
    telnyx: {
      api_key: s.telnyx.api_key,
      call_control_applications: [...s.telnyx.call_control_applications.values()],
      texml_applications: [...s.telnyx.texml_applications.values()],
      credential_connections: [...s.telnyx.credential_connections.values()],
      messaging_profiles: [...s.telnyx.messaging_profiles.values()],
      phone_numbers: [...s.telnyx.phone_numbers.values()],
    },
  });
}
