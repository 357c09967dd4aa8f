/**
 * The control surface: what tests and scripts call on `sandbox.control`, and what the HTTP control
 * API (control.ts) drives. Types only, so that control.ts depends on this and not on the store.
 */
import type { Carrier, Release } from "./carrier";
import type { FaultSpec } from "./faults";
import type { RequestLogEntry } from "./request-log";
import type {
  SandboxSeed,
  SandboxState,
  TelnyxKind,
  TelnyxNumberSeed,
  TelnyxPhoneNumber,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
  TwilioMessagingServiceState,
  TwilioNumberSeed,
} from "./state/types";

export interface SandboxControl {
  /** Replace the whole state with a seed (it becomes what reset() goes back to); clears releases. */
  loadSeed(seed: SandboxSeed): void;
  /** Back to the last loaded seed; clears releases, the request log, counts, faults and latency. */
  reset(): void;
  /** The whole state, a deep copy, in the seed's shape (a valid seed itself). */
  state(): SandboxState;
  /** A Twilio number by E.164, in the main account or a subaccount (a copy). */
  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined;
  /**
   * A Twilio Messaging Service, of any account, with the numbers in it (a copy). `service` is its
   * SID, or its friendly name when no other service has that name (ambiguous: ControlError).
   */
  twilioMessagingService(service: string): TwilioMessagingServiceState | undefined;
  /** A Telnyx number by E.164 (a copy). */
  telnyxNumber(phoneNumber: string): TelnyxPhoneNumber | undefined;
  /** A Telnyx application, connection or messaging profile by id (a copy). */
  telnyxObject(kind: TelnyxKind, id: string): Record<string, unknown> | undefined;
  /** Out-of-band change, as someone in Twilio's console would make it (bumps date_updated). */
  editTwilioNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void;
  /**
   * Out-of-band change to a Messaging Service's settings (e.g. `use_inbound_webhook_on_number`,
   * `inbound_request_url`; "" clears a URL to null); bumps date_updated. SID, account, url, links stay.
   */
  editTwilioMessagingService(service: string, patch: Partial<TwilioMessagingService>): void;
  /**
   * A number joins a Messaging Service of its own account, as in the console (already in it: no
   * change). Refused (ControlError) when it is in another service: Twilio allows one per number.
   */
  addNumberToMessagingService(service: string, phoneNumber: string): void;
  /** A number leaves the Messaging Service it is in (ControlError 404 if it is not in that one). */
  removeNumberFromMessagingService(service: string, phoneNumber: string): void;
  /** Out-of-band change to a Telnyx object (bumps updated_at). For phone_numbers, `id` may be the E.164. */
  editTelnyx(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void;
  /**
   * A Twilio number bought out of band (in the console): a seed entry, checked as seeds are, in the
   * account its `account_sid` names (default the main account). Returns the number as stored.
   */
  buyTwilioNumber(number: TwilioNumberSeed): TwilioIncomingPhoneNumber;
  /** A Telnyx number bought out of band: a seed entry (connection and profile by id or name). */
  buyTelnyxNumber(number: TelnyxNumberSeed): TelnyxPhoneNumber;
  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(carrier: Carrier, phoneNumber: string): void;
  /** Numbers given up through the API: DELETEs (both carriers) and Twilio AccountSid transfers. */
  releases(): Release[];
  /** Carrier requests received, oldest first (a copy). */
  requests(): RequestLogEntry[];
  /** Calls per normalised endpoint (control endpoints excluded). */
  counts(): Record<string, number>;
  /** Clear the request log and counts (not the validation errors). */
  clearLog(): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Delay every carrier request by `ms` (concurrently, not serialised). 0 turns it off. */
  setLatency(ms: number): void;
  /** Twilio OpenAPI violations seen so far (requests and responses), for the sandbox's lifetime. */
  validationErrors(): string[];
  /** Forget the validation errors seen so far. */
  clearValidationErrors(): void;
}

/** The credentials the sandbox accepts now, as the control API's info endpoint shows them. */
export interface SandboxCredentials {
  twilio: {
    account_sid: string;
    auth_token: string;
    subaccounts: Array<{ account_sid: string; auth_token: string; friendly_name: string }>;
  };
  telnyx: { api_key: string };
}

/** What the HTTP control API drives: the control surface, and the credentials for its info endpoint. */
export interface ControlTarget extends SandboxControl {
  credentials(): SandboxCredentials;
}
