/**
 * Realistic Twilio defaults for everything a seed leaves out: credentials, subaccounts, and every
 * field of a number or Messaging Service. Generated SIDs and secrets come from the object's name and
 * position, so the same seed always yields the same ones.
 */
import { SEED_DATE, hashHex, iso8601, rfc2822 } from "../../state/formats";
import type { TwilioIncomingPhoneNumber, TwilioMessagingService } from "./state";

/** A Twilio SID's shape: prefix + 32 hex digits. */
export const TWILIO_SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);
/** A Twilio SID: prefix + 32 hex digits, from a hash of the parts. */
export function twilioSid(prefix: string, ...parts: string[]): string {
  return prefix + hashHex(prefix, ...parts).slice(0, 32);
}

// Default, obviously fake, well-formed credentials (used when a seed gives none).
export const DEFAULT_TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const DEFAULT_TWILIO_AUTH_TOKEN = "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3";
/** Twilio's own default name for a new account. */
export const DEFAULT_TWILIO_FRIENDLY_NAME = "My first Twilio account";

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
