/**
 * Zod schemas for Telnyx's seed section and for out-of-band console edits.
 *
 * Every field schema is keyed by the `telnyx` SDK's own type (`Fields<T>`), so a field name the
 * SDK does not know is a compile error. The PATCH schemas of the API (api.ts) are cut from these.
 */
import { z } from "zod";
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
import type { ConnectionJitterBuffer, ConnectionNoiseSuppressionDetails } from "telnyx/resources/shared";
import { E164, isHttpUrl } from "../../state/formats";
import type { Fields } from "../../state/types";
import type { TelnyxPhoneNumber } from "./state";

const NUMERIC_ID = /^\d{1,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

// Partial ("patch") schemas, used by seeds and by out-of-band console edits.
export const telnyxPatchSchemas = {
  call_control_applications: z.strictObject(callControlApplicationFields).partial(),
  texml_applications: z.strictObject(texmlApplicationFields).partial(),
  credential_connections: z.strictObject(credentialConnectionFields).partial(),
  messaging_profiles: z.strictObject(messagingProfileFields).partial(),
  phone_numbers: z.strictObject(telnyxPhoneNumberFields).partial(),
} as const;

/** A Telnyx number in a seed, or bought through the control API. */
export const telnyxNumberSeedSchema = telnyxPatchSchemas.phone_numbers.required({ phone_number: true });

/** Telnyx's section of a seed: every part optional, unknown fields rejected. */
export const telnyxSeedSchema = z.strictObject({
  api_key: z.string().min(1).optional(),
  call_control_applications: z.array(telnyxPatchSchemas.call_control_applications).optional(),
  texml_applications: z.array(telnyxPatchSchemas.texml_applications).optional(),
  credential_connections: z.array(telnyxPatchSchemas.credential_connections).optional(),
  messaging_profiles: z.array(telnyxPatchSchemas.messaging_profiles).optional(),
  phone_numbers: z.array(telnyxNumberSeedSchema).optional(),
});
