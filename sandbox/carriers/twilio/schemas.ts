/**
 * Zod schemas for Twilio's seed section and for out-of-band console edits. Every field schema is
 * keyed by the state type, which has the SDK's keys (`Fields<T>`), so a field name Twilio does not
 * have is a compile error.
 */
import { z } from "zod";
import { E164, ISO_8601, isHttpUrl } from "../../state/formats";
import type { Fields } from "../../state/types";
import { TWILIO_SID } from "./defaults";
import type { TwilioIncomingPhoneNumber, TwilioMessagingService } from "./state";

const ACCOUNT_SID = TWILIO_SID("AC");
const httpUrl = z.string().refine(isHttpUrl, { message: "must be an absolute http(s) URL" });
const httpUrlOrEmpty = z.string().refine((v) => v === "" || isHttpUrl(v), {
  message: "must be an absolute http(s) URL or empty",
});

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

/** A URL of a Messaging Service: unset is null, and "" clears it (to null) as in Twilio's API. */
const serviceUrl = httpUrl.or(z.literal("").transform(() => null)).nullable();
const iso8601Date = z.string().regex(ISO_8601, 'must be an ISO 8601 date ("2024-03-14T15:09:26Z")');

export const twilioMessagingServiceFields: Fields<TwilioMessagingService> = {
  sid: z.string().regex(TWILIO_SID("MG"), "must be an MG SID"),
  account_sid: z.string().regex(ACCOUNT_SID, "must be an AC SID"),
  friendly_name: z.string().min(1).max(64),
  date_created: iso8601Date,
  date_updated: iso8601Date,
  inbound_request_url: serviceUrl,
  inbound_method: twilioMethod,
  fallback_url: serviceUrl,
  fallback_method: twilioMethod,
  status_callback: serviceUrl,
  sticky_sender: z.boolean(),
  mms_converter: z.boolean(),
  smart_encoding: z.boolean(),
  scan_message_content: z.enum(["inherit", "enable", "disable"]),
  fallback_to_long_code: z.boolean(),
  area_code_geomatch: z.boolean(),
  synchronous_validation: z.boolean(),
  validity_period: z.number().int().min(1).max(36000),
  url: z.string(),
  links: z.record(z.string(), z.string()),
  usecase: z.string(),
  us_app_to_person_registered: z.boolean(),
  use_inbound_webhook_on_number: z.boolean(),
};

// Partial ("patch") schemas, used by seeds and by out-of-band console edits.
export const twilioNumberPatch = z.strictObject(twilioNumberFields).partial();
export const twilioMessagingServicePatch = z.strictObject(twilioMessagingServiceFields).partial();

/** A Twilio number in a seed, or bought through the control API: its E.164 and any other fields. */
export const twilioNumberSeedSchema = twilioNumberPatch.required({ phone_number: true });
/** A Twilio account in a seed: the main account, or (without `subaccounts`) one of its subaccounts. */
const twilioAccountSeedFields = {
  account_sid: z.string().regex(ACCOUNT_SID, "must be an AC SID").optional(),
  auth_token: z.string().min(1).optional(),
  friendly_name: z.string().min(1).max(64).optional(),
  api_keys: z
    .array(
      z.strictObject({
        sid: z.string().regex(TWILIO_SID("SK"), "must be an SK SID"),
        secret: z.string(),
      }),
    )
    .optional(),
  incoming_phone_numbers: z.array(twilioNumberSeedSchema).optional(),
  messaging_services: z
    .array(
      twilioMessagingServicePatch.extend({
        phone_numbers: z.array(z.string().regex(E164, "must be an E.164 number")).optional(),
      }),
    )
    .optional(),
};

/** Twilio's section of a seed: every part optional, unknown fields rejected. */
export const twilioSeedSchema = z.strictObject({
  ...twilioAccountSeedFields,
  subaccounts: z.array(z.strictObject(twilioAccountSeedFields)).optional(),
});
