/**
 * SignalWire's state in the sandbox: its seed section (checked with zod), the phone numbers as its
 * REST API answers them (`/api/relay/rest/phone_numbers`, every field its document requires), the
 * section's defaults, and the state in the section's shape. Field names are SignalWire's.
 */
import { z } from "zod";
import { hashHex, iso8601, SEED_DATE } from "../../state/formats";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The handlers a number can have (SignalWire's `PhoneNumberCallHandler`). */
export const CALL_HANDLERS = [
  "relay_context",
  "relay_topic",
  "relay_script",
  "relay_application",
  "relay_connector",
  "relay_sip_endpoint",
  "relay_verto_endpoint",
  "laml_webhooks",
  "laml_application",
  "dialogflow",
  "video_room",
  "call_flow",
  "ai_agent",
  "fabric_subscriber",
  "sip_gateway",
  "call_queue",
] as const;
/** The call handlers an update may set: the others are set through the Fabric API only. */
export const UPDATABLE_CALL_HANDLERS = CALL_HANDLERS.slice(0, 11);
export const MESSAGE_HANDLERS = [
  "relay_context",
  "relay_topic",
  "relay_application",
  "laml_webhooks",
  "laml_application",
] as const;

/** Free-text fields (`null` when unset; an update's "" unsets them). */
export const TEXT_FIELDS = [
  "name",
  "call_request_url",
  "call_fallback_url",
  "call_status_callback_url",
  "call_laml_application_id",
  "call_dialogflow_agent_id",
  "call_relay_topic",
  "call_relay_topic_status_callback_url",
  "call_relay_script_url",
  "call_relay_context",
  "call_relay_context_status_callback_url",
  "call_relay_application",
  "call_relay_connector_id",
  "call_verto_resource",
  "message_request_url",
  "message_fallback_url",
  "message_laml_application_id",
  "message_relay_topic",
  "message_relay_context",
] as const;
/** UUID fields an update may set. */
export const UUID_FIELDS = ["call_sip_endpoint_id", "call_video_room_id"] as const;
export const METHOD_FIELDS = [
  "call_request_method",
  "call_fallback_method",
  "call_status_callback_method",
  "message_request_method",
  "message_fallback_method",
] as const;

type Text = (typeof TEXT_FIELDS)[number];
type Uuid = (typeof UUID_FIELDS)[number];
type Method = (typeof METHOD_FIELDS)[number];

/** A phone number as SignalWire answers it. */
export type SignalWirePhoneNumber = {
  id: string;
  number: string;
  capabilities: Array<"voice" | "sms" | "mms" | "fax">;
  number_type: "toll-free" | "longcode";
  e911_address_id: string | null;
  e911_status: "pending" | "active" | "failed" | "pending_removal" | "unregistered" | null;
  created_at: string;
  updated_at: string;
  next_billed_at: string | null;
  call_handler: (typeof CALL_HANDLERS)[number] | null;
  calling_handler_resource_id: string | null;
  call_receive_mode: "voice" | "fax";
  message_handler: (typeof MESSAGE_HANDLERS)[number] | null;
  messaging_handler_resource_id: string | null;
  country_code: string | null;
} & Record<Text, string | null> &
  Record<Uuid, string | null> &
  Record<Method, "GET" | "POST" | null>;

/**
 * A stored number: the answer's fields, and `message_relay_application`, which an update takes but
 * SignalWire's document does not list in answers (so the sandbox keeps it and never shows it).
 */
export type StoredSignalWireNumber = SignalWirePhoneNumber & { message_relay_application: string | null };

export interface SignalWireState {
  project_id: string;
  api_token: string;
  /** By id, in the order they were added (the list answers the most recent first). */
  phone_numbers: Map<string, StoredSignalWireNumber>;
}

/** `state()`'s SignalWire section: itself a valid seed section. */
export interface SignalWireStateSection {
  project_id: string;
  api_token: string;
  phone_numbers: StoredSignalWireNumber[];
}

export const DEFAULT_PROJECT_ID = "b8f2c6de-1a3b-4c5d-8e9f-0a1b2c3d4e5f";
export const DEFAULT_API_TOKEN = "PTsandbox0000000000000000000000000000000000000000";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
/** One schema for each of `keys`, typed by key. */
const each = <K extends string, S extends z.ZodType>(keys: readonly K[], schema: S) =>
  Object.fromEntries(keys.map((key) => [key, schema])) as Record<K, S>;
const uuid = z.string().regex(UUID, "must be a UUID");
const method = z.enum(["GET", "POST"]);

/** One number of the seed: its E.164 number, any other field over the defaults. */
export const signalwireNumberSeedSchema = z.strictObject({
  number: z.string().regex(/^\+\d{2,16}$/, "must be + and digits"),
  id: uuid.optional(),
  capabilities: z.array(z.enum(["voice", "sms", "mms", "fax"])).optional(),
  number_type: z.enum(["toll-free", "longcode"]).optional(),
  e911_address_id: nullable(uuid),
  e911_status: nullable(z.enum(["pending", "active", "failed", "pending_removal", "unregistered"])),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  next_billed_at: nullable(z.string()),
  call_handler: nullable(z.enum(CALL_HANDLERS)),
  calling_handler_resource_id: nullable(uuid),
  call_receive_mode: z.enum(["voice", "fax"]).optional(),
  message_handler: nullable(z.enum(MESSAGE_HANDLERS)),
  messaging_handler_resource_id: nullable(uuid),
  message_relay_application: nullable(z.string()),
  country_code: nullable(z.string()),
  ...each(TEXT_FIELDS, nullable(z.string())),
  ...each(UUID_FIELDS, nullable(uuid)),
  ...each(METHOD_FIELDS, nullable(method)),
});
export type SignalWireNumberSeed = z.input<typeof signalwireNumberSeedSchema>;

export const signalwireSeedSchema = z.strictObject({
  project_id: uuid.optional(),
  api_token: z.string().min(1).optional(),
  phone_numbers: z.array(signalwireNumberSeedSchema).optional(),
});
export type SignalWireSeedSection = z.input<typeof signalwireSeedSchema>;

/** A UUID derived from the parts: the same seed always yields the same ids. */
export function derivedUuid(...parts: string[]): string {
  const h = hashHex("signalwire", ...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A number over its defaults: LaML webhooks with no URLs, POST methods, voice and SMS. */
export function numberFromSeed(seed: z.output<typeof signalwireNumberSeedSchema>): StoredSignalWireNumber {
  const created = seed.created_at ?? iso8601(SEED_DATE);
  const defaults: StoredSignalWireNumber = {
    id: derivedUuid(seed.number),
    number: seed.number,
    capabilities: ["voice", "sms", "mms"],
    number_type: "longcode",
    e911_address_id: null,
    e911_status: null,
    created_at: created,
    updated_at: seed.updated_at ?? created,
    next_billed_at: null,
    call_handler: "laml_webhooks",
    calling_handler_resource_id: null,
    call_receive_mode: "voice",
    message_handler: "laml_webhooks",
    messaging_handler_resource_id: null,
    message_relay_application: null,
    country_code: seed.number.startsWith("+1") ? "US" : null,
    ...(Object.fromEntries(TEXT_FIELDS.map((f) => [f, null])) as Record<Text, null>),
    ...(Object.fromEntries(UUID_FIELDS.map((f) => [f, null])) as Record<Uuid, null>),
    ...(Object.fromEntries(METHOD_FIELDS.map((f) => [f, "POST"])) as Record<Method, "POST">),
  };
  return { ...defaults, ...(seed as Partial<StoredSignalWireNumber>) };
}

export function normalizeSignalWire(
  section: z.output<typeof signalwireSeedSchema> | undefined,
  problems: string[],
): SignalWireState {
  const phone_numbers = new Map<string, StoredSignalWireNumber>();
  const seen = new Set<string>();
  for (const [index, seed] of (section?.phone_numbers ?? []).entries()) {
    const n = numberFromSeed(seed);
    if (seen.has(n.number)) problems.push(`signalwire.phone_numbers[${index}]: ${n.number} is listed twice`);
    else if (phone_numbers.has(n.id))
      problems.push(`signalwire.phone_numbers[${index}]: id ${n.id} is already another number's`);
    seen.add(n.number);
    phone_numbers.set(n.id, n);
  }
  return {
    project_id: section?.project_id ?? DEFAULT_PROJECT_ID,
    api_token: section?.api_token ?? DEFAULT_API_TOKEN,
    phone_numbers,
  };
}

export function dumpSignalWire(state: SignalWireState): SignalWireStateSection {
  return {
    project_id: state.project_id,
    api_token: state.api_token,
    phone_numbers: [...state.phone_numbers.values()].map((n) => structuredClone(n)),
  };
}
