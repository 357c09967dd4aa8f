/**
 * The one interface between the lifecycle and a carrier. The lifecycle decides *what* a number's
 * webhooks should become (and restores them on failure); a carrier knows *where* they live and
 * how to read and write them. A third carrier is one new file implementing `Carrier`.
 */
import type { ProviderName, WebhookChanges, WebhookField, WebhookSettings } from "../webhooks";

export const CARRIER_ID_KEYS = [
  "accountSid",
  "phoneNumberSid",
  "voiceApplicationSid",
  "smsApplicationSid",
  "trunkSid",
  "phoneNumberId",
  "connectionId",
  "connectionType",
  "messagingProfileId",
] as const;

/** Carrier identifiers reported as outputs: `null` where a carrier has no such thing. */
export interface CarrierIdentifiers {
  accountSid?: string | null;
  phoneNumberSid?: string | null;
  voiceApplicationSid?: string | null;
  smsApplicationSid?: string | null;
  trunkSid?: string | null;
  phoneNumberId?: string | null;
  connectionId?: string | null;
  connectionType?: string | null;
  messagingProfileId?: string | null;
}

/** A number as its carrier holds it now. */
export interface CarrierNumber {
  phoneNumber: string;
  webhooks: WebhookSettings;
  ids: CarrierIdentifiers;
  /** Other numbers whose webhooks live on the same objects as this one's (Telnyx). */
  sharedWith: string[];
  /**
   * The webhooks before this process first wrote to the objects that hold them, when that differs
   * from `webhooks`: another resource of the same run may have written a shared object already.
   */
  webhooksBeforeThisRun?: WebhookSettings;
}

/** One write to one carrier object, which the lifecycle can undo if a later write fails. */
export interface WriteStep {
  /** What is written, for messages: `Call Control application "support" (id 123)`. */
  target: string;
  fields: WebhookField[];
  /** Other numbers whose webhooks this write changes too. */
  sharedWith: string[];
  /** Writes, and resolves to the written fields as the carrier answered them (the verification). */
  write(): Promise<Partial<WebhookSettings>>;
  /** Puts back what `write` changed. */
  undo(): Promise<void>;
}

export interface WriteOptions {
  /** Telnyx: allow writing to a connection or profile that other numbers use. */
  allowSharedUpdate: boolean;
  /**
   * The writes give a number its previous webhooks back (delete): on a shared object they give
   * way to another resource of the same run that still declares a value.
   */
  restoring?: boolean;
}

export interface FindOptions {
  /**
   * The number as the state last saw it. A carrier whose single write is itself verified (Twilio)
   * may answer from it instead of reading, when it has nothing fresher.
   */
  stored?: CarrierNumber;
}

export interface Carrier {
  readonly name: ProviderName;
  /** The account the credentials belong to, where the carrier names it (Twilio's Account SID). */
  readonly accountSid?: string;
  /** The number's live configuration, or `undefined` when this account does not own it. */
  find(phoneNumber: string, options?: FindOptions): Promise<CarrierNumber | undefined>;
  /**
   * Plans the writes that make `changes` true, or throws a `WebhookError` when the number's setup
   * would make them ineffective or they touch other numbers without consent. Reads as needed.
   */
  planWrites(current: CarrierNumber, changes: WebhookChanges, options: WriteOptions): Promise<WriteStep[]>;
  /** Fields this number cannot have emptied (a required field on its carrier object). */
  unclearableFields(current: CarrierNumber): WebhookField[];
}
