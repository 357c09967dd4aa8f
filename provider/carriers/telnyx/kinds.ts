/**
 * The Telnyx objects that hold webhooks, and how this package's fields map onto each: a Call
 * Control application, a TeXML application or a SIP connection for voice (by the `record_type`
 * that `GET /connections/{id}` reports), a messaging profile for SMS.
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
}

export const SMS_METHOD_ON_TELNYX =
  "smsMethod is not supported by telnyx: messaging profile webhooks are always JSON POST; remove smsMethod";

const sipConnection = (label: string, path: string): ObjectKind => ({
  label,
  path,
  nameField: "connection_name",
  fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
  required: [],
  empty: null,
});

/** Voice connections by the `record_type` that `GET /connections/{id}` reports. */
export const VOICE_KINDS: Record<string, ObjectKind> = {
  call_control_application: {
    label: "Call Control application",
    path: "call_control_applications",
    nameField: "application_name",
    fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
    required: ["application_name", "webhook_event_url"],
    empty: null,
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
};

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
