/**
 * Twilio's state model in the sandbox: what its seed section holds, what `control.state()` returns
 * for it, and the in-memory state the handlers work on. Field names are Twilio's JSON names; each
 * resource has the same keys as the `twilio` SDK's payload type (checked below at compile time).
 */
import type { IncomingPhoneNumberInstance } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import type { AccountInstance } from "twilio/lib/rest/api/v2010/account";
import type { ServiceInstance, ServiceScanMessageContent } from "twilio/lib/rest/messaging/v1/service";
import type { PhoneNumberInstance } from "twilio/lib/rest/messaging/v1/service/phoneNumber";
import type { PhoneNumberCapabilities } from "twilio/lib/interfaces";
import type { Equal } from "../../state/types";

/** The Twilio SDK's own (unexported) JSON payload types: IncomingPhoneNumber, Account, Messaging v1. */
type TwilioResource = ConstructorParameters<typeof IncomingPhoneNumberInstance>[1];
type TwilioAccountPayload = ConstructorParameters<typeof AccountInstance>[1];
type TwilioServicePayload = ConstructorParameters<typeof ServiceInstance>[1];
type TwilioServicePhoneNumberPayload = ConstructorParameters<typeof PhoneNumberInstance>[1];

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

/**
 * A Messaging Service as Twilio's Messaging v1 API returns it (same keys as the SDK's payload type).
 * Dates are ISO 8601 here ("2024-03-14T15:09:26Z"), not RFC 2822 as in the 2010-04-01 API; unset
 * URLs are null.
 */
export interface TwilioMessagingService {
  sid: string;
  account_sid: string;
  friendly_name: string;
  date_created: string;
  date_updated: string;
  inbound_request_url: string | null;
  inbound_method: TwilioMethod;
  fallback_url: string | null;
  fallback_method: TwilioMethod;
  status_callback: string | null;
  sticky_sender: boolean;
  mms_converter: boolean;
  smart_encoding: boolean;
  scan_message_content: ServiceScanMessageContent;
  fallback_to_long_code: boolean;
  area_code_geomatch: boolean;
  synchronous_validation: boolean;
  validity_period: number;
  url: string;
  links: Record<string, string>;
  usecase: string;
  us_app_to_person_registered: boolean;
  /** true: the number's own SmsUrl answers inbound messages; false: the service's inbound_request_url does. */
  use_inbound_webhook_on_number: boolean;
}
const _serviceKeysMatchSdk: Equal<keyof TwilioMessagingService, keyof TwilioServicePayload> = true;
void _serviceKeysMatchSdk;

/** A number in a Messaging Service, as `GET /v1/Services/{ServiceSid}/PhoneNumbers` lists it. */
export interface TwilioMessagingPhoneNumber {
  /** The IncomingPhoneNumber's own PN SID. */
  sid: string;
  account_sid: string;
  service_sid: string;
  date_created: string;
  date_updated: string;
  phone_number: string;
  country_code: string;
  /** "Voice", "SMS", "MMS", "Fax". */
  capabilities: string[];
  url: string;
}
const _serviceNumberKeysMatchSdk: Equal<
  keyof TwilioMessagingPhoneNumber,
  keyof TwilioServicePhoneNumberPayload
> = true;
void _serviceNumberKeysMatchSdk;

/** An Account as `GET /2010-04-01/Accounts/{Sid}.json` returns it (same keys as the SDK's payload type). */
export interface TwilioAccountResource {
  auth_token: string;
  date_created: string;
  date_updated: string;
  friendly_name: string;
  /** The parent's SID for a subaccount; a main account's own SID. */
  owner_account_sid: string;
  sid: string;
  status: "active" | "suspended" | "closed";
  subresource_uris: Record<string, string>;
  type: "Trial" | "Full";
  uri: string;
}
const _accountKeysMatchSdk: Equal<keyof TwilioAccountResource, keyof TwilioAccountPayload> = true;
void _accountKeysMatchSdk;

/** A Messaging Service in a seed and in `state()`: its fields and the numbers (E.164) in it. */
export type TwilioMessagingServiceState = TwilioMessagingService & { phone_numbers: string[] };

export interface TwilioApiKey {
  sid: string;
  secret: string;
}

/** One Twilio account (the main one or a subaccount) in `control.state()`. */
export interface SandboxTwilioAccount {
  account_sid: string;
  auth_token: string;
  friendly_name: string;
  /** API keys of this account: they act for it alone (a main account's keys not for its subaccounts). */
  api_keys: TwilioApiKey[];
  incoming_phone_numbers: TwilioIncomingPhoneNumber[];
  messaging_services: TwilioMessagingServiceState[];
}

/** Twilio's section of `control.state()`: the main account, and its subaccounts. */
export type TwilioStateSection = SandboxTwilioAccount & { subaccounts: SandboxTwilioAccount[] };

/** A Twilio number in a seed, or bought through the control API. */
export type TwilioNumberSeed = Partial<TwilioIncomingPhoneNumber> & { phone_number: string };

/** A Twilio account in a seed: the main account, or one of its subaccounts. */
export interface TwilioAccountSeed {
  account_sid?: string;
  auth_token?: string;
  friendly_name?: string;
  /** API Key SIDs (`SK...`) and secrets that may authenticate for this account. */
  api_keys?: TwilioApiKey[];
  incoming_phone_numbers?: TwilioNumberSeed[];
  /** `phone_numbers`: E.164 numbers of this account's `incoming_phone_numbers`, one service each at most. */
  messaging_services?: Array<Partial<TwilioMessagingService> & { phone_numbers?: string[] }>;
}

/** Twilio's section of a seed: the main account, and its subaccounts (which cannot have subaccounts of their own). */
export type TwilioSeedSection = TwilioAccountSeed & { subaccounts?: TwilioAccountSeed[] };

/** When a number (by its PN SID) joined a Messaging Service, and which one. */
export interface TwilioServiceMembership {
  service_sid: string;
  /** ISO 8601, as Messaging v1 writes dates. */
  date_created: string;
}

/** One live Twilio account: its credentials, numbers and Messaging Services. */
export interface TwilioAccountState {
  account_sid: string;
  auth_token: string;
  friendly_name: string;
  api_keys: TwilioApiKey[];
  numbers: Map<string, TwilioIncomingPhoneNumber>; // by sid
  messaging_services: Map<string, TwilioMessagingService>; // by sid
  /** The service each number is in, by the number's PN SID: one entry per number, so one service at most. */
  service_members: Map<string, TwilioServiceMembership>;
}

/** The live Twilio state: the main account, and its subaccounts by SID. */
export type TwilioState = TwilioAccountState & { subaccounts: Map<string, TwilioAccountState> };
