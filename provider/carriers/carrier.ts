/**
 * The one interface between the lifecycle and a carrier. The lifecycle decides *what* a number's
 * webhooks should become (and restores them on failure); a carrier knows *where* they live and
 * how to read and write them. Each carrier module exports one `CarrierDescriptor` (its settings,
 * identifiers, argument rules and factory), and `carriers/index.ts` lists them: a new carrier is
 * one module plus one line there.
 */
import { z } from "zod";
import { CarrierError, WebhookError } from "../errors";
import type { RetryPolicy } from "../retry";
import type { WebhookChanges, WebhookField, WebhookSettings } from "../webhooks";

/** A carrier's identifiers of a number and of the objects its webhooks live on; `null` where unset. */
export type CarrierIds = { readonly [key: string]: string | null };

/**
 * What a carrier keeps of a number beyond its webhooks so that it can give it back exactly
 * (SignalWire: the call and message handlers and the resources they name), by the carrier's own
 * field names. The lifecycle never reads it: it records what `find` gave, beside the previous
 * webhooks in the state and the journal, and hands it back to `planWrites` when restoring.
 */
export type CarrierFields = Readonly<Record<string, string | null>>;

/** A number as its carrier holds it now. */
export interface CarrierNumber<Ids extends CarrierIds = CarrierIds> {
  phoneNumber: string;
  webhooks: WebhookSettings;
  ids: Ids;
  /** Other numbers whose webhooks live on the same objects as this one's (Telnyx). */
  sharedWith: string[];
  /**
   * The webhooks before this process first wrote to the objects that hold them, when that differs
   * from `webhooks`: another resource of the same run may have written a shared object already.
   */
  webhooksBeforeThisRun?: WebhookSettings;
  /**
   * Settings whose value on the number has no effect, because something else routes its calls or
   * messages (a Twilio application, SIP trunk or Messaging Service). Known when found with `routing`.
   */
  overrides?: Overrides;
  /** The number's `CarrierFields` now, from a carrier that keeps some. */
  carrierFields?: CarrierFields;
}

/** What makes a setting of the number ineffective. */
export interface Override {
  /** Short, for outputs: `Messaging Service MG… (use_inbound_webhook_on_number: false)`. */
  by: string;
  /** Why, as a refusal says it: `is in Messaging Service MG…, whose …`. */
  reason: string;
  /** What to do, as a refusal ends: `Detach it from the number in the Twilio console, …`. */
  remedy: string;
  /** What answers instead, where the carrier says (the service's URL): shown as the live value. */
  effective: string | null;
  /**
   * The write itself can end this override when the resource consents (`switchHandlers: true`):
   * it switches the number to its own settings, and restoring switches it back (SignalWire).
   */
  switchable?: boolean;
}
export type Overrides = Partial<Record<WebhookField, Override>>;

/**
 * An object made for one number (`onShared: "isolate"`), and the shared one the number was moved
 * off. Stored in the state (`isolated`) and the journal: destroy moves the number back and deletes it.
 */
export interface Isolation {
  /** What the object holds: the number's voice or its SMS webhooks. */
  holds: "voice" | "sms";
  /** The carrier's type of both objects (`call_control_application`, `messaging_profile`). */
  objectType: string;
  /** The shared object the number was on. */
  originalId: string;
  /** The object made for the number. */
  copyId: string;
}

/** A number moved between objects by a step: onto a copy made for it, or back off one. */
export interface NumberMove {
  direction: "isolated" | "returned";
  isolation: Isolation;
}

/**
 * One write to one carrier object, which the lifecycle can undo if a later write fails. A step may
 * also move the number (isolate: make a copy and move the number onto it; restore: move it back and
 * delete the copy); its undo then moves the number back and deletes what it made.
 */
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
  /** After `write`: the move it made, if it moved the number. */
  moved?(): NumberMove | undefined;
  /** A sentence for the resource's `message` (a copy made, a shared object written in place). */
  note?(): string | undefined;
  /**
   * Runs last, after every change is made, and tidies up (deletes what is no longer needed): its
   * failure undoes nothing, and the error asks for a re-run, which finishes it.
   */
  final?: boolean;
}

export interface WriteOptions {
  /** Allow writing to an object that other numbers use (a Telnyx connection or profile). */
  allowSharedUpdate: boolean;
  /**
   * The writes give a number its previous webhooks back (delete): on a shared object they give
   * way to another resource of the same run that still declares a value.
   */
  restoring?: boolean;
  /**
   * `onShared: "isolate"`: a shared object is never written; the number is moved onto a copy made
   * for it (or onto its own copy again, after drift). An object nobody else uses (counting the
   * numbers isolated off it, which come back to it) is written in place.
   */
  isolate?: boolean;
  /**
   * The copies this resource made before (its state, or the journal of a run that died). Their
   * objects are the number's own: written in place; restoring moves the number back and deletes them.
   */
  isolated?: Isolation[];
  /** Runs once a copy exists and before the number moves onto it: the lifecycle journals it. */
  onCopyMade?(isolation: Isolation): Promise<void>;
  /** The number is a member of a `PhoneNumberWebhooksSet`: see `NumberGroup`. */
  group?: NumberGroup;
  /**
   * The number's previous webhooks, as recorded. Restoring, every holder of the number must answer
   * them once it is restored; where the object it is on will not (others keep it), the carrier
   * finds it another that does. Updating, an object the number leaves (to be isolated) gets back
   * what this resource wrote on it.
   */
  previous?: Partial<WebhookSettings>;
  /** The values this resource declared before (and wrote), to tell its writes from another's. */
  written?: WebhookChanges;
  /** The resource consents to ending the number's `switchable` overrides (`switchHandlers`). */
  switchHandlers?: boolean;
  /** Restoring: the `CarrierFields` recorded when the number was taken over, to give back too. */
  previousCarrierFields?: CarrierFields;
}

/**
 * The numbers a `PhoneNumberWebhooksSet` manages together, with the same settings on the objects
 * they share. A member does not count as "another number" of an object it shares with members
 * only: such an object is the set's own, written in place without consent. With `isolate`, the
 * set gets one copy of each shared object for all its members (named `<original> (<label>)`),
 * not one per number, and a copy is deleted when its last member leaves it.
 */
export interface NumberGroup {
  /** Names the group's copies: the set's resource name. */
  label: string;
  /** Every member of the group. */
  members: ReadonlySet<string>;
  /** The copies the group made before (its state): members that join later are moved onto them. */
  copies: readonly Isolation[];
  /**
   * The group isolates (`onShared: "isolate"`): its members move onto its copies, so they do not
   * keep the objects a leaving member gives back.
   */
  isolating?: boolean;
}

/**
 * Which numbers of an account a `PhoneNumberWebhooksSet` selects: keys a carrier's descriptor
 * declares (`selectors`), every one of which must match.
 */
export type Selector = Readonly<Record<string, string>>;

/** One key a carrier's numbers can be selected by. */
export interface SelectorKey {
  /** What it matches, for the README and messages. */
  help: string;
  /**
   * The key matches an object `onShared: "isolate"` moves members off, so it cannot select an
   * isolating set: why, completing `select.<key> cannot be combined with onShared: "isolate": …`.
   */
  movedByIsolation?: string;
  /** The value's rule; a failure's message names the key. */
  schema: z.ZodType<string>;
}

/** The values a selector gives, by key: each checked by its key's rule. */
export type SelectorValues<Keys extends string> = Readonly<Partial<Record<Keys, string>>>;

/**
 * Checks `selector` against a carrier's keys: at least one key, every key one the carrier takes,
 * every value by its key's rule. Throws a `WebhookError` whose message names `select.<key>`.
 */
export function parseSelector<Keys extends string>(
  carrier: string,
  keys: Readonly<Record<Keys, SelectorKey>>,
  selector: Selector,
): SelectorValues<Keys> {
  const known = Object.keys(keys) as Keys[];
  const accepted = `${carrier} numbers are selected by ${known.join(", ")}`;
  const given = Object.keys(selector);
  // No key would match every number of the account: never what a typo should do.
  if (given.length === 0) throw new WebhookError(`select needs at least one key: ${accepted}`, "invalid");
  const values: Partial<Record<Keys, string>> = {};
  for (const key of given) {
    if (!Object.hasOwn(keys, key))
      throw new WebhookError(`select.${key} is not a selector key: ${accepted}`, "invalid");
    const parsed = keys[key as Keys].schema.safeParse(selector[key]);
    if (!parsed.success)
      throw new WebhookError(parsed.error.issues[0]?.message ?? `select.${key} is invalid`, "invalid");
    values[key as Keys] = parsed.data;
  }
  return values;
}

export interface FindOptions<Ids extends CarrierIds = CarrierIds> {
  /**
   * The number as the state last saw it. A carrier whose single write is itself verified (Twilio)
   * may answer from it instead of reading, when it has nothing fresher.
   */
  stored?: CarrierNumber<Ids>;
  /**
   * The account that owns the number, when the credentials' account has subaccounts (a carrier
   * whose descriptor says `subaccounts`); default the credentials' own account.
   */
  account?: string;
  /**
   * Also find what routes the number's calls and messages instead of its own settings
   * (`overrides`). Costs reads on some carriers, shared by every number of the operation.
   */
  routing?: boolean;
  /**
   * Also find what the number's objects answered before any resource of this package wrote them
   * (`webhooksBeforeThisRun`), for a takeover to record. Costs reads on some carriers.
   */
  originals?: boolean;
}

/** Fields a number cannot have emptied, and the object that requires them (for messages). */
export interface UnclearableFields {
  fields: WebhookField[];
  /** e.g. "TeXML application" */
  holder: string;
}

export interface Carrier<Ids extends CarrierIds = CarrierIds, Name extends string = string> {
  readonly name: Name;
  /** The number's live configuration, or `undefined` when this account does not own it. */
  find(phoneNumber: string, options?: FindOptions<Ids>): Promise<CarrierNumber<Ids> | undefined>;
  /**
   * Plans the writes that make `changes` true (and, restoring with `isolated`, the moves back), or throws a `WebhookError` when the number's setup
   * would make them ineffective or they touch other numbers without consent. Reads as needed.
   * A step may write fewer fields than asked (a shared field another resource of the run owns).
   */
  planWrites(
    current: CarrierNumber<Ids>,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]>;
  /**
   * The refusals `planWrites` would make for `changes`, found without writing or making anything:
   * what a preview reports (see `check` in lifecycle.ts). Reads as planning does, from the same
   * caches; leaves nothing behind, at the carrier or in what the run's writes go by.
   */
  checkWrites(
    current: CarrierNumber<Ids>,
    changes: WebhookChanges,
    options: Omit<WriteOptions, "restoring" | "onCopyMade">,
  ): Promise<void>;
  /** Fields this number cannot have emptied (a required field on its carrier object). */
  unclearableFields(current: CarrierNumber<Ids>): UnclearableFields;
  /**
   * Which object holds each setting of the number, as a key unique in the account: numbers whose
   * setting has the same holder share it (a Telnyx application or profile), from `ids` alone.
   */
  holders(current: Pick<CarrierNumber<Ids>, "ids">): Partial<Record<WebhookField, string>>;
  /**
   * The numbers of the account that `selector` matches, E.164, sorted. Reads the account's
   * listing (shared with `find`), plus what a key needs beyond it (a Messaging Service's numbers).
   */
  select(selector: Selector, options?: { account?: string }): Promise<string[]>;
  /** Every number of the account, E.164, sorted: the account's listing (shared with `find`). */
  list(options?: { account?: string }): Promise<string[]>;
  /**
   * The numbers an operation is about to act on (a set's members), before the first of them is
   * found: a carrier whose numbers share objects may read those by listing at once, instead of
   * one by one until the listing looks cheaper. A hint: the finds still read what they need.
   */
  expect?(phoneNumbers: readonly string[], options?: { account?: string }): Promise<void>;
}

/** One setting of a carrier: a stack config key, then an environment variable. */
export interface CarrierSetting {
  config: string;
  env: string;
  /** What it is, for the README and messages. */
  help: string;
}

/** What a preflight's test event is about (see preflight.ts). */
export interface PreflightEventOptions {
  kind: "voice" | "sms";
  phoneNumber: string;
  /** The caller or sender: a number no real caller has. */
  from: string;
  /** The test message's text. */
  text: string;
  /** The URL the event is sent to, for carriers whose events say where they were delivered. */
  deliveredTo: string;
}

/**
 * The test event preflight sends a webhook URL, shaped like the carrier's own: form parameters,
 * sent by the declared method (a GET's query, a POST's body), or a JSON body, always POSTed.
 */
export type PreflightEvent = { form: URLSearchParams } | { json: unknown };

/**
 * The form parameters of a Twilio-shaped webhook (TwiML, and LaML, its compatible twin): an
 * incoming call ringing, or a message received. The carrier gives its own account and ids.
 */
export function formWebhookEvent(
  { kind, phoneNumber, from, text }: PreflightEventOptions,
  ids: { accountSid: string; callSid: () => string; messageSid: () => string },
): PreflightEvent {
  const common = { AccountSid: ids.accountSid, ApiVersion: "2010-04-01", From: from, To: phoneNumber };
  if (kind === "voice")
    return {
      form: new URLSearchParams({
        ...common,
        CallSid: ids.callSid(),
        CallStatus: "ringing",
        Called: phoneNumber,
        Caller: from,
        Direction: "inbound",
      }),
    };
  const messageSid = ids.messageSid();
  return {
    form: new URLSearchParams({
      ...common,
      Body: text,
      MessageSid: messageSid,
      NumMedia: "0",
      NumSegments: "1",
      SmsMessageSid: messageSid,
      SmsSid: messageSid,
      SmsStatus: "received",
    }),
  };
}

/** The `accountSid` argument of a carrier whose numbers may be in subaccounts. */
export interface SubaccountRule<Settings = unknown> {
  /** A valid account identifier. */
  pattern: RegExp;
  /** What a valid one is, completing "accountSid must be …": `a Twilio Account SID: AC followed by 32 hex digits`. */
  rule: string;
  /** What the argument names, for messages: `Twilio subaccount`. */
  what: string;
  /** The account the credentials act on when no subaccount is given. */
  defaultAccount(settings: Settings): string;
}

/** An argument rule of one carrier: a failure names the property and the rule. */
export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CarrierDescriptor<
  Name extends string = string,
  Settings = unknown,
  Ids extends CarrierIds = CarrierIds,
  SettingKey extends string = string,
> {
  readonly name: Name;
  /** Where each setting is read from, with its help text. */
  readonly settings: Readonly<Record<SettingKey, CarrierSetting>>;
  /** How to give credentials, for "no credentials" errors: config keys and environment variables. */
  readonly credentials: { config: string; env: string };
  /** The identifiers this carrier reports as outputs. */
  readonly idKeys: readonly (keyof Ids & string)[];
  /**
   * The carrier takes the `accountSid` argument: the number may be in a subaccount of the
   * credentials' account. Its `accountSid` output is then the account the state acts on.
   */
  readonly subaccounts?: SubaccountRule<Settings>;
  /**
   * A number's webhooks live on objects other numbers may share (Telnyx applications and
   * profiles), so members of one set can want two values on one object (`holders` says which).
   * `what` names them for messages and the policy pack: `Telnyx connection or messaging profile`.
   */
  readonly sharedObjects?: { what: string };
  /**
   * The identifiers `onShared: "isolate"` may change (it moves the number onto copies): a preview
   * of an isolating resource shows them as unknown rather than as the state has them.
   */
  readonly isolatedIdKeys?: readonly (keyof Ids & string)[];
  /** The keys `PhoneNumberWebhooksSet.select` takes for this carrier's numbers. */
  readonly selectors: Readonly<Record<string, SelectorKey>>;
  /**
   * The carrier's settings from the values read (trimmed, `undefined` when not set), `undefined`
   * when none are given; throws a `WebhookError` when they are incomplete or malformed.
   */
  loadSettings(values: Readonly<Record<SettingKey, string | undefined>>): Settings | undefined;
  /**
   * Arguments only this carrier takes (`switchHandlers`): declared for another carrier, they are
   * refused, naming this one.
   */
  readonly ownArguments?: readonly string[];
  /** The test event preflight sends a URL before the number is switched to it. */
  preflightEvent(options: PreflightEventOptions): PreflightEvent;
  /** Rules for arguments declared for this carrier, on the values known at `check`. */
  checkArgs?(known: Readonly<Record<string, unknown>>): CheckFailure[];
  /**
   * Builds the carrier. Its SDK loads here (a dynamic `import`), in the provider process on first
   * use, never in the user's program.
   */
  create(settings: Settings, retry: RetryPolicy): Promise<Carrier<Ids, Name>>;
}

/** A carrier's base URL setting: http(s), without a trailing slash. */
export function carrierBaseUrl(key: string, value: string): string {
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(value);
  if (!parsed.success) throw new WebhookError(`${key} must be an http(s) URL`, "credentials");
  return parsed.data.replace(/\/+$/, "");
}

/**
 * A carrier's settings by the convention every carrier follows: stack config `name:key`, then the
 * environment variable `NAME_KEY` (`twilio:authToken`, `TWILIO_AUTH_TOKEN`).
 */
export function carrierSettings<Key extends string>(
  name: string,
  help: Record<Key, string>,
): Record<Key, CarrierSetting> {
  const envName = (key: string) => `${name}_${key.replace(/[A-Z]/g, (c) => `_${c}`)}`.toUpperCase();
  const entries = (Object.entries(help) as Array<[Key, string]>).map(
    ([key, text]) => [key, { config: `${name}:${key}`, env: envName(key), help: text }] as const,
  );
  return Object.fromEntries(entries) as Record<Key, CarrierSetting>;
}

/**
 * Refuses setting what would "succeed" and change nothing (a value on the number that something
 * else overrides), naming each override, why, and what to do. Clearing a value is allowed.
 */
export function refuseOverridden(phoneNumber: string, values: WebhookChanges, overrides: Overrides): void {
  const setting = (Object.keys(values) as WebhookField[]).filter((f) => values[f] != null && overrides[f]);
  if (setting.length === 0) return;
  const byHolder = new Map<string, { fields: WebhookField[]; reason: string; remedy: string }>();
  for (const field of setting) {
    const { by, reason, remedy } = overrides[field]!;
    const entry = byHolder.get(by) ?? { fields: [], reason, remedy };
    entry.fields.push(field);
    byHolder.set(by, entry);
  }
  const entries = [...byHolder.values()];
  const remedies = [...new Set(entries.map((e) => e.remedy))];
  throw new WebhookError(
    `${entries.map((e) => `${e.fields.join(", ")} would have no effect: ${phoneNumber} ${e.reason}`).join("; ")}. ${remedies.join(" ")}`,
    "conflict",
  );
}

/**
 * A carrier's refusal of the credentials (HTTP 401, or 403: not allowed with them), naming the
 * settings to check, as config key and environment variable, after what the carrier said:
 * `… failed (HTTP 401): Authenticate (Twilio error 20003). Twilio did not accept the credentials:
 * check twilio:accountSid and twilio:authToken (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)`.
 * Any other error is returned as it is.
 */
export function withCredentialsHint(
  error: unknown,
  carrier: string,
  settings: readonly CarrierSetting[],
): unknown {
  if (!(error instanceof CarrierError) || (error.status !== 401 && error.status !== 403)) return error;
  const name = carrier.charAt(0).toUpperCase() + carrier.slice(1);
  const refused =
    error.status === 401
      ? `${name} did not accept the credentials`
      : `${name} refused this with these credentials`;
  const list = (names: string[]) => names.join(" and ");
  const hint = `${refused}: check ${list(settings.map((s) => s.config))} (or ${list(settings.map((s) => s.env))})`;
  return new CarrierError(error.carrier, error.call, error.status, `${error.reason}. ${hint}`, "credentials");
}
