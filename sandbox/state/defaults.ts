/**
 * Realistic defaults for everything a seed leaves out: credentials, subaccounts, and every field of
 * a Twilio number or Messaging Service, a Telnyx application, connection, messaging profile or phone
 * number. Generated ids and secrets come from the object's name and position, so the same seed
 * always yields the same ones.
 */
import { hashHex, iso8601, rfc2822, telnyxNumericId, telnyxUuid, twilioSid } from "./formats";
import type {
  StoredCallControlApplication,
  StoredCredentialConnection,
  StoredMessagingProfile,
  StoredTexmlApplication,
  TelnyxPhoneNumber,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
} from "./types";

// Default, obviously fake, well-formed credentials (used when a seed gives none).
export const DEFAULT_TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const DEFAULT_TWILIO_AUTH_TOKEN = "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3";
export const DEFAULT_TELNYX_API_KEY = "KEY0000000000000000000000000SANDBOX_NotARealTelnyxKeyForTests";
/** Twilio's own default name for a new account. */
export const DEFAULT_TWILIO_FRIENDLY_NAME = "My first Twilio account";

/** The creation date of everything a seed creates (fixed, so state dumps are reproducible). */
export const SEED_DATE = new Date("2024-03-14T15:09:26.000Z");

/** Where Twilio's Messaging v1 API lives (the absolute URLs in its answers point there). */
export const TWILIO_MESSAGING_BASE = "https://messaging.twilio.com";

function usFriendlyName(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
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

/** A subaccount's SID, Auth Token and name when the seed leaves them out (from its parent, position and name). */
export function subaccountDefaults(
  parentSid: string,
  i: number,
  name: string | undefined,
  sid?: string,
): { account_sid: string; auth_token: string; friendly_name: string } {
  const friendly_name = name ?? `subaccount-${i + 1}`;
  const account_sid = sid ?? twilioSid("AC", parentSid, "subaccount", friendly_name, String(i));
  return { account_sid, auth_token: hashHex("auth_token", account_sid).slice(0, 32), friendly_name };
}

/** A Messaging Service's `url` and `links`: they follow from its SID. */
export function messagingServiceUrls(sid: string): Pick<TwilioMessagingService, "url" | "links"> {
  const url = `${TWILIO_MESSAGING_BASE}/v1/Services/${sid}`;
  return {
    url,
    links: {
      phone_numbers: `${url}/PhoneNumbers`,
      short_codes: `${url}/ShortCodes`,
      alpha_senders: `${url}/AlphaSenders`,
      messages: `${url}/Messages`,
      us_app_to_person: `${url}/Compliance/Usa2p`,
      us_app_to_person_usecases: `${url}/Compliance/Usa2p/Usecases`,
      channel_senders: `${url}/ChannelSenders`,
      destination_alpha_senders: `${url}/DestinationAlphaSenders`,
    },
  };
}

/** Defaults for a Messaging Service (Twilio's defaults for a new service; no inbound URL). */
export function messagingServiceDefaults(
  accountSid: string,
  i: number,
  name: string | undefined,
  sid?: string,
): TwilioMessagingService {
  const friendly_name = name ?? `messaging-service-${i + 1}`;
  const theSid = sid ?? twilioSid("MG", accountSid, friendly_name, String(i));
  const date = iso8601(SEED_DATE);
  return {
    sid: theSid,
    account_sid: accountSid,
    friendly_name,
    date_created: date,
    date_updated: date,
    inbound_request_url: null,
    inbound_method: "POST",
    fallback_url: null,
    fallback_method: "POST",
    status_callback: null,
    sticky_sender: true,
    mms_converter: true,
    smart_encoding: true,
    scan_message_content: "inherit",
    fallback_to_long_code: false,
    area_code_geomatch: true,
    synchronous_validation: false,
    validity_period: 36000,
    ...messagingServiceUrls(theSid),
    usecase: "undeclared",
    us_app_to_person_registered: false,
    use_inbound_webhook_on_number: false,
  };
}

const TELNYX_SEED_ISO = SEED_DATE.toISOString();
const SEED_TIMESTAMPS = { created_at: TELNYX_SEED_ISO, updated_at: TELNYX_SEED_ISO } as const;

/** The webhook settings of Call Control applications and credential connections. */
function voiceWebhookDefaults(webhook_event_url: string) {
  return {
    webhook_api_version: "2",
    webhook_event_failover_url: "",
    webhook_event_url,
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
    ...voiceWebhookDefaults("https://example.com/telnyx/call-control"),
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
    ...voiceWebhookDefaults(""),
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
