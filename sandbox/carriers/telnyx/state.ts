/**
 * Telnyx's state model in the sandbox: what its seed section holds, what `control.state()` returns
 * for it, and the in-memory state the handlers work on. Every object is typed with the `telnyx`
 * SDK's own interfaces.
 */
import type { CallControlApplication } from "telnyx/resources/call-control-applications";
import type { TexmlApplication } from "telnyx/resources/texml-applications";
import type { CredentialConnection } from "telnyx/resources/credential-connections/credential-connections";
import type { MessagingMessagingProfile } from "telnyx/resources/messaging-profiles/messaging-profiles";
import type { NumbersPhoneNumberDetailed } from "telnyx/resources/phone-numbers/phone-numbers";

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

/** Telnyx's section of `control.state()`. */
export interface TelnyxStateSection {
  api_key: string;
  call_control_applications: StoredCallControlApplication[];
  texml_applications: StoredTexmlApplication[];
  credential_connections: StoredCredentialConnection[];
  messaging_profiles: StoredMessagingProfile[];
  phone_numbers: TelnyxPhoneNumber[];
}

/** A Telnyx number in a seed, or bought through the control API. */
export type TelnyxNumberSeed = Partial<TelnyxPhoneNumber> & { phone_number: string };

/** Telnyx's section of a seed. */
export interface TelnyxSeedSection {
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
  phone_numbers?: TelnyxNumberSeed[];
}

/** The live Telnyx state: each collection in a map by id. */
export interface TelnyxState {
  api_key: string;
  call_control_applications: Map<string, StoredCallControlApplication>;
  texml_applications: Map<string, StoredTexmlApplication>;
  credential_connections: Map<string, StoredCredentialConnection>;
  messaging_profiles: Map<string, StoredMessagingProfile>;
  phone_numbers: Map<string, TelnyxPhoneNumber>; // by id
}
