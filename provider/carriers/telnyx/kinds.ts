/**
 * The Telnyx objects that hold webhooks, and how this package's fields map onto each: a Call
 * Control application, a TeXML application or a SIP connection for voice (by the listing of
 * applications it is in, else by the `record_type` that `GET /connections/{id}` reports), a
 * messaging profile for SMS.
 */
import { CarrierError } from "../../errors";
import {
  normalizeMethod,
  normalizeValue,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../../webhooks";

export type TelnyxObject = Record<string, unknown>;

/** What Telnyx reports about a number: itself and the objects its webhooks live on. */
export type TelnyxIds = {
  phoneNumberId: string | null;
  connectionId: string | null;
  connectionType: string | null;
  messagingProfileId: string | null;
};

export interface ObjectKind {
  label: string;
  path: string;
  nameField: string;
  /** Our field → the object's field. Fields missing here cannot be set on this kind. */
  fields: Partial<Record<WebhookField, string>>;
  /** Fields the PATCH requires: re-sent with their current values. */
  required: string[];
  /** How an empty value is written (`""` where the API takes no null). */
  empty: "" | null;
  /**
   * `onShared: "isolate"`: the fields of the create call that a copy takes from the original
   * (every one the create accepts, but those that must be unique), or none: the kind cannot be copied.
   */
  copy?: { record_type: string; fields: readonly string[]; uniqueNested?: Record<string, readonly string[]> };
}

export const SMS_METHOD_ON_TELNYX =
  "smsMethod is not supported by telnyx: messaging profile webhooks are always JSON POST; remove smsMethod";

// What a copy of an application takes (the SDK's create params); the SIP subdomain must be unique.
const APPLICATION_COPY = [
  "active",
  "anchorsite_override",
  "call_cost_in_webhooks",
  "dtmf_type",
  "first_command_timeout",
  "first_command_timeout_secs",
  "inbound",
  "outbound",
] as const;
const UNIQUE_INBOUND = { inbound: ["sip_subdomain"] } as const;

const sipConnection = (label: string, path: string): ObjectKind => ({
  label,
  path,
  nameField: "connection_name",
  fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
  required: [],
  empty: null,
});

/** Voice connections by their `record_type`. */
export const VOICE_KINDS: Record<string, ObjectKind> = {
  call_control_application: {
    label: "Call Control application",
    path: "call_control_applications",
    nameField: "application_name",
    fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
    required: ["application_name", "webhook_event_url"],
    empty: null,
    copy: {
      record_type: "call_control_application",
      fields: [
        ...APPLICATION_COPY,
        "application_name",
        "redact_dtmf_debug_logging",
        "webhook_api_version",
        "webhook_event_url",
        "webhook_event_failover_url",
        "webhook_timeout_secs",
      ],
      uniqueNested: UNIQUE_INBOUND,
    },
  },
  texml_application: {
    label: "TeXML application",
    path: "texml_applications",
    nameField: "friendly_name",
    fields: {
      voiceUrl: "voice_url",
      voiceMethod: "voice_method",
      voiceFallbackUrl: "voice_fallback_url",
      statusCallbackUrl: "status_callback",
    },
    required: ["friendly_name", "voice_url"],
    empty: "",
    copy: {
      record_type: "texml_application",
      fields: [
        ...APPLICATION_COPY,
        "friendly_name",
        "status_callback",
        "status_callback_method",
        "tags",
        "voice_fallback_url",
        "voice_method",
        "voice_url",
      ],
      uniqueNested: UNIQUE_INBOUND,
    },
  },
  credential_connection: sipConnection("credential connection", "credential_connections"),
  fqdn_connection: sipConnection("FQDN connection", "fqdn_connections"),
  ip_connection: sipConnection("IP connection", "ip_connections"),
};

export const MESSAGING_PROFILE: ObjectKind = {
  label: "messaging profile",
  path: "messaging_profiles",
  nameField: "name",
  fields: { smsUrl: "webhook_url", smsFallbackUrl: "webhook_failover_url" },
  required: [],
  empty: null,
  copy: {
    record_type: "messaging_profile",
    fields: [
      "name",
      "whitelisted_destinations",
      "ai_assistant_id",
      "alpha_sender",
      "daily_spend_limit",
      "daily_spend_limit_enabled",
      "enabled",
      "features",
      "health_webhook_url",
      "mms_fall_back_to_sms",
      "mms_transcoding",
      "mobile_only",
      "number_pool_settings",
      "resource_group_id",
      "smart_encoding",
      "url_shortener_settings",
      "webhook_api_version",
      "webhook_failover_url",
      "webhook_url",
    ],
  },
};

/** The kind of an object by the record type an isolation stored. */
export function kindOfRecordType(recordType: string): ObjectKind | undefined {
  return recordType === MESSAGING_PROFILE.copy!.record_type ? MESSAGING_PROFILE : VOICE_KINDS[recordType];
}

/**
 * The create body of a copy of `source`: every field the create call accepts that it has (no
 * nulls: the create's defaults are the same), without unique ones, named `name`, with `values`
 * (webhooks) written over it.
 */
export function copyBody(
  kind: ObjectKind,
  source: TelnyxObject,
  name: string,
  values: WebhookChanges,
): TelnyxObject {
  const copy = kind.copy!;
  const body: TelnyxObject = {};
  for (const field of copy.fields) {
    const value = source[field];
    if (value === null || value === undefined) continue;
    const unique = copy.uniqueNested?.[field];
    if (unique && typeof value === "object" && !Array.isArray(value)) {
      body[field] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).filter(
          ([k, v]) => !unique.includes(k) && v !== null,
        ),
      );
    } else body[field] = structuredClone(value);
  }
  body[kind.nameField] = name;
  for (const [field, value] of Object.entries(values) as Array<[WebhookField, string | null]>) {
    const telnyxField = kind.fields[field];
    if (!telnyxField) continue;
    const written = toTelnyxValue(kind, field, value ?? null);
    if (written === null) delete body[telnyxField];
    else body[telnyxField] = written;
  }
  return body;
}

/**
 * What an object this package made is for, by the marker its name ends with. The marker names the
 * original, so that every stack (each with its own state, maybe on its own machine) sees from the
 * carrier alone which numbers will come back to an original, and what it answered before.
 * - `copy`: holds a resource's webhooks for numbers isolated off the original (`onShared: "isolate"`).
 * - `kept`: holds the previous webhooks of numbers no resource holds any more, while the original
 *   answers other URLs; they go back onto the original, and the copy is deleted, once it answers
 *   those webhooks again.
 * - `original`: the original's webhooks as they were before a resource wrote them in place with
 *   consent (`onShared: "update"`) while other numbers were on it; no number is ever on it.
 */
export type MarkRole = "copy" | "kept" | "original";
const MARK_WORDS: Record<MarkRole, string> = {
  copy: "copy of",
  kept: "kept copy of",
  original: "original of",
};
const MARK = / \[(copy of|kept copy of|original of) ([^\]\s]+)\]$/;

export interface Mark {
  role: MarkRole;
  originalId: string;
}

/**
 * A marked object's name, for a person in the portal too: `support-app (+13125550200) [copy of
 * 123]`, a set's copy `support-app (support-lines) [copy of 123]`, a backup `support-app [original
 * of 123]`. `baseName` is the original's name (any marker and owner of a source are dropped).
 */
export function markedName(baseName: string, owner: string | undefined, mark: Mark): string {
  const base = unmarkedName(baseName);
  return `${base}${owner ? ` (${owner})` : ""} [${MARK_WORDS[mark.role]} ${mark.originalId}]`;
}

/** The marker of an object's name, or `undefined` for an object this package did not make. */
export function markOf(name: unknown): Mark | undefined {
  if (typeof name !== "string") return undefined;
  const m = MARK.exec(name);
  if (!m) return undefined;
  const role = (Object.keys(MARK_WORDS) as MarkRole[]).find((r) => MARK_WORDS[r] === m[1])!;
  return { role, originalId: m[2]! };
}

/** A name without the owner and marker this package adds. */
function unmarkedName(name: string): string {
  return MARK.test(name) ? name.replace(MARK, "").replace(/ \([^()]*\)$/, "") : name;
}

/** Whether two objects of `kind` answer the same webhooks (every field of the kind). */
export function sameWebhooks(
  kind: ObjectKind,
  a: Partial<WebhookSettings>,
  b: Partial<WebhookSettings>,
): boolean {
  return (Object.keys(kind.fields) as WebhookField[]).every((f) => (a[f] ?? null) === (b[f] ?? null));
}

/** A connection of a type with no webhook URL (reported, never written). */
export const NO_WEBHOOK_KIND: ObjectKind = {
  label: "connection",
  path: "connections",
  nameField: "",
  fields: {},
  required: [],
  empty: null,
};

/** The fields that must not be emptied on a voice connection of this type. */
export function requiredWebhookFields(connectionType: string | null | undefined): WebhookField[] {
  const kind = connectionType ? VOICE_KINDS[connectionType] : undefined;
  if (!kind) return [];
  return (Object.keys(kind.fields) as WebhookField[]).filter((f) => kind.required.includes(kind.fields[f]!));
}

/** Messages for fields this kind cannot hold (a value to set; clearing one is harmless). */
export function unsupported(kind: ObjectKind, fields: WebhookField[], changes: WebhookChanges): string[] {
  return fields
    .filter((f) => !kind.fields[f] && changes[f] !== null)
    .map((f) =>
      f === "smsMethod"
        ? SMS_METHOD_ON_TELNYX
        : `${f} is not supported on a Telnyx ${kind.label}; only TeXML applications have ${f === "voiceMethod" ? "a voice method" : "a status callback URL"}`,
    );
}

export function readFields(kind: ObjectKind, object: TelnyxObject): Partial<WebhookSettings> {
  const out: Partial<WebhookSettings> = {};
  for (const [field, telnyxField] of Object.entries(kind.fields) as Array<[WebhookField, string]>) {
    out[field] =
      field === "voiceMethod" ? normalizeMethod(object[telnyxField]) : normalizeValue(object[telnyxField]);
  }
  return out;
}

export function toTelnyxValue(kind: ObjectKind, field: WebhookField, value: string | null): string | null {
  if (value === null) return kind.empty;
  return field === "voiceMethod" ? value.toLowerCase() : value;
}

export function pickFields(
  values: Partial<WebhookSettings>,
  fields: WebhookField[],
): Partial<WebhookSettings> {
  return Object.fromEntries(fields.map((f) => [f, values[f] ?? null]));
}

/**
 * The object's webhook fields must be strings where present: reading another type as "unset"
 * would later "restore" an empty webhook.
 */
export function checkWebhookFields(kind: ObjectKind, object: TelnyxObject, call: string): TelnyxObject {
  for (const telnyxField of Object.values(kind.fields)) {
    const value = object[telnyxField];
    if (value !== undefined && value !== null && typeof value !== "string")
      throw new CarrierError(
        "telnyx",
        call,
        undefined,
        `unexpected response: data.${telnyxField} is not a string`,
      );
  }
  return object;
}
