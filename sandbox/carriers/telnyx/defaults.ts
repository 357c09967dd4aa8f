/**
 * Realistic Telnyx defaults for everything a seed leaves out: the API key, and every field of an
 * application, connection, messaging profile or phone number. Generated ids and secrets come from
 * the object's name and position, so the same seed always yields the same ones.
 */
import { SEED_DATE, hashHex } from "../../state/formats";
import type {
  StoredCallControlApplication,
  StoredCredentialConnection,
  StoredMessagingProfile,
  StoredTexmlApplication,
  TelnyxPhoneNumber,
} from "./state";

/** A default, obviously fake, well-formed API key (used when a seed gives none). */
export const DEFAULT_TELNYX_API_KEY = "KEY0000000000000000000000000SANDBOX_NotARealTelnyxKeyForTests";

/** A Telnyx numeric id (connections and phone numbers): 19 digits. */
export function telnyxNumericId(...parts: string[]): string {
  const n = BigInt("0x" + hashHex("numeric", ...parts).slice(0, 15)) % 8_999_999_999_999_999_999n;
  return (1_000_000_000_000_000_000n + n).toString();
}
/** A Telnyx UUID (messaging profiles, organizations): version 4 layout. */
export function telnyxUuid(...parts: string[]): string {
  const h = hashHex("uuid", ...parts);
  const variant = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const TELNYX_SEED_ISO = SEED_DATE.toISOString();
const SEED_TIMESTAMPS = { created_at: TELNYX_SEED_ISO, updated_at: TELNYX_SEED_ISO } as const;

/** The webhook settings of Call Control applications and credential connections. */
function voiceWebhookDefaults() {
  return {
    webhook_api_version: "2",
    webhook_event_failover_url: "",
    webhook_timeout_secs: null,
  } as const;
}

type SharedApplicationField =
  | "active"
  | "anchorsite_override"
  | "call_cost_in_webhooks"
  | "dtmf_type"
  | "first_command_timeout"
  | "first_command_timeout_secs"
  | "inbound"
  | "outbound";

/** The defaults Call Control and TeXML applications share (new objects each time: state is mutable). */
function applicationDefaults(): Pick<StoredCallControlApplication, SharedApplicationField> &
  Pick<StoredTexmlApplication, SharedApplicationField> {
  return {
    active: true,
    anchorsite_override: "Latency",
    call_cost_in_webhooks: false,
    dtmf_type: "RFC 2833",
    first_command_timeout: false,
    first_command_timeout_secs: 30,
    inbound: { channel_limit: 10, shaken_stir_enabled: false, sip_subdomain_receive_settings: "from_anyone" },
    outbound: { channel_limit: 10 },
  };
}

export function ccaDefaults(i: number, name: string | undefined): StoredCallControlApplication {
  const application_name = name ?? `call-control-app-${i + 1}`;
  return {
    id: telnyxNumericId("call_control_application", application_name, String(i)),
    record_type: "call_control_application",
    application_name,
    ...applicationDefaults(),
    redact_dtmf_debug_logging: false,
    tags: [],
    ...voiceWebhookDefaults(),
    webhook_event_url: "https://example.com/telnyx/call-control",
    ...SEED_TIMESTAMPS,
  };
}

export function texmlDefaults(i: number, name: string | undefined): StoredTexmlApplication {
  const friendly_name = name ?? `texml-app-${i + 1}`;
  return {
    id: telnyxNumericId("texml_application", friendly_name, String(i)),
    record_type: "texml_application",
    friendly_name,
    ...applicationDefaults(),
    status_callback: "",
    status_callback_method: "post",
    tags: [],
    voice_fallback_url: "",
    voice_method: "post",
    voice_url: "https://example.com/telnyx/texml",
    ...SEED_TIMESTAMPS,
  };
}

export function credentialDefaults(i: number, name: string | undefined): StoredCredentialConnection {
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
    password: "sandbox-" + hashHex("password", connection_name).slice(0, 16),
    sip_uri_calling_preference: "disabled",
    tags: [],
    user_name: "sandboxuser" + hashHex("user", connection_name).slice(0, 8),
    // No webhook URL unless the seed gives one: absent, as Telnyx's document has it (a credential
    // connection's webhook_event_url is a string with format uri, so "" would not match; null neither).
    ...voiceWebhookDefaults(),
    ...SEED_TIMESTAMPS,
  };
}

export function messagingProfileDefaults(i: number, name: string | undefined): StoredMessagingProfile {
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
    v1_secret: hashHex("v1_secret", profileName).slice(0, 24),
    webhook_api_version: "2",
    webhook_failover_url: null,
    webhook_url: null,
    whitelisted_destinations: ["US"],
    ...SEED_TIMESTAMPS,
  };
}

export function telnyxNumberDefaults(phoneNumber: string): TelnyxPhoneNumber {
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
    ...SEED_TIMESTAMPS,
  };
}
