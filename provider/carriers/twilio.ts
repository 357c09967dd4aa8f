/**
 * Twilio: every webhook lives on the IncomingPhoneNumber itself, so one form-encoded POST carries
 * every change and there is no window in which half of it is applied.
 *
 * This file is the whole carrier: its settings, identifiers and factory (`twilioCarrier`), and
 * the `Carrier` itself. The SDK is loaded by the factory, in the provider process only.
 */
import { randomUUID } from "node:crypto";
import type TwilioSdk from "twilio";
import { z } from "zod";
import { CarrierError, parseCarrierResponse, WebhookError } from "../errors";
import { NumberDirectory, ReadCache } from "../directory";
import { describeNetworkError, isNetworkError, type RetryPolicy } from "../retry";
import {
  describeValue,
  isVoiceField,
  normalizeMethod,
  normalizeValue,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
  WEBHOOK_FIELDS,
} from "../webhooks";
import {
  carrierBaseUrl,
  carrierSettings,
  type Carrier,
  type CarrierDescriptor,
  type CarrierSetting,
  type CarrierNumber,
  type FindOptions,
  formWebhookEvent,
  parseSelector,
  type PreflightEvent,
  type PreflightEventOptions,
  refuseOverridden,
  type Selector,
  type SelectorKey,
  type Overrides,
  type UnclearableFields,
  type WriteOptions,
  type WriteStep,
  withCredentialsHint,
} from "./carrier";
import type { BaseUrlRequestClient } from "./twilio-request-client";

export interface TwilioSettings {
  accountSid: string;
  /** Basic-auth user and password: Account SID + Auth Token, or API Key SID + secret. */
  username: string;
  password: string;
  apiBaseUrl: string;
}

/** What Twilio reports about a number: the SIDs that also decide where its calls and messages go. */
export type TwilioIds = {
  accountSid: string | null;
  phoneNumberSid: string | null;
  voiceApplicationSid: string | null;
  smsApplicationSid: string | null;
  trunkSid: string | null;
  /** The Messaging Service whose settings send the number's incoming messages elsewhere. */
  messagingServiceSid: string | null;
};

const SETTINGS = carrierSettings("twilio", {
  accountSid: "the Account SID (AC…)",
  authToken: "the account's Auth Token (secret)",
  apiKey: "an API Key SID (SK…), instead of the Auth Token",
  apiSecret: "the API Key's secret",
  apiBaseUrl: "the API's base URL (default https://api.twilio.com): a proxy or the sandbox",
});

/** The keys `PhoneNumberWebhooksSet.select` takes for Twilio numbers: each must match. */
const SELECTORS = {
  friendlyNamePrefix: {
    help: "numbers whose FriendlyName starts with this text (case-sensitive)",
    schema: z.string().min(1, "select.friendlyNamePrefix must not be empty"),
  },
  friendlyNameRegex: {
    help: "numbers whose FriendlyName matches this JavaScript regular expression (no flags; add ^ and $ to match all of it)",
    schema: z
      .string()
      .min(1, "select.friendlyNameRegex must not be empty")
      .superRefine((value, ctx) => {
        try {
          new RegExp(value);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            message: `select.friendlyNameRegex must be a valid JavaScript regular expression: ${(error as Error).message}`,
          });
        }
      }),
  },
  messagingServiceSid: {
    help: "numbers in this Messaging Service (MG…)",
    schema: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, "select.messagingServiceSid must be MG followed by 32 hex digits"),
  },
} as const satisfies Record<string, SelectorKey>;

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

const sid = (prefix: string) => prefix + randomUUID().replace(/-/g, "");

/** A Twilio webhook: an incoming call ringing, or a message received. */
const twilioPreflightEvent = (options: PreflightEventOptions): PreflightEvent =>
  formWebhookEvent(options, {
    accountSid: `AC${"0".repeat(32)}`,
    callSid: () => sid("CA"),
    messageSid: () => sid("SM"),
  });

export const twilioCarrier: CarrierDescriptor<"twilio", TwilioSettings, TwilioIds, keyof typeof SETTINGS> = {
  name: "twilio",
  settings: SETTINGS,
  credentials: {
    config: "twilio:accountSid with twilio:authToken (or twilio:apiKey and twilio:apiSecret)",
    env: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)",
  },
  idKeys: [
    "accountSid",
    "phoneNumberSid",
    "voiceApplicationSid",
    "smsApplicationSid",
    "trunkSid",
    "messagingServiceSid",
  ],
  subaccounts: {
    pattern: ACCOUNT_SID,
    rule: "a Twilio Account SID: AC followed by 32 hex digits",
    what: "Twilio subaccount",
    defaultAccount: (settings) => settings.accountSid,
  },
  selectors: SELECTORS,
  preflightEvent: twilioPreflightEvent,
  loadSettings({ accountSid, authToken, apiKey, apiSecret, apiBaseUrl }) {
    if (!accountSid && !authToken && !apiKey && !apiSecret) return undefined;
    if (!accountSid)
      throw new WebhookError(
        "Twilio credentials are incomplete: set twilio:accountSid (or TWILIO_ACCOUNT_SID) as well",
        "credentials",
      );
    if (!ACCOUNT_SID.test(accountSid))
      throw new WebhookError("twilio:accountSid must be AC followed by 32 hex digits", "credentials");
    let username: string, password: string;
    if (apiKey || apiSecret) {
      if (!apiKey || !apiSecret)
        throw new WebhookError(
          "Twilio API key credentials are incomplete: set both twilio:apiKey and twilio:apiSecret (or TWILIO_API_KEY and TWILIO_API_SECRET)",
          "credentials",
        );
      [username, password] = [apiKey, apiSecret];
    } else if (authToken) {
      [username, password] = [accountSid, authToken];
    } else {
      throw new WebhookError(
        "Twilio credentials are incomplete: set twilio:authToken (or TWILIO_AUTH_TOKEN), or twilio:apiKey and twilio:apiSecret",
        "credentials",
      );
    }
    return {
      accountSid,
      username,
      password,
      apiBaseUrl: carrierBaseUrl("twilio:apiBaseUrl", apiBaseUrl ?? "https://api.twilio.com"),
    };
  },
  async create(settings, retry) {
    const [sdk, { BaseUrlRequestClient }] = await Promise.all([
      import("twilio"),
      import("./twilio-request-client.js"),
    ]);
    return new TwilioCarrier(settings, retry, sdk.default, BaseUrlRequestClient);
  },
};

/** Our field names → the SDK's update parameters (form names `VoiceUrl`, `StatusCallback`, ...). */
const TWILIO_PARAMS = {
  voiceUrl: "voiceUrl",
  voiceMethod: "voiceMethod",
  voiceFallbackUrl: "voiceFallbackUrl",
  smsUrl: "smsUrl",
  smsMethod: "smsMethod",
  smsFallbackUrl: "smsFallbackUrl",
  statusCallbackUrl: "statusCallback",
} as const satisfies Record<WebhookField, string>;

const optionalString = z.string().nullish();

/** The fields we read from an IncomingPhoneNumber (the SDK's camelCase instance). */
const incomingNumberSchema = z.object({
  sid: z.string().regex(/^PN[0-9a-fA-F]{32}$/),
  accountSid: z.string(),
  phoneNumber: z.string(),
  /** What `select` matches `friendlyNamePrefix` and `friendlyNameRegex` against. */
  friendlyName: optionalString,
  voiceUrl: optionalString,
  voiceMethod: optionalString,
  voiceFallbackUrl: optionalString,
  smsUrl: optionalString,
  smsMethod: optionalString,
  smsFallbackUrl: optionalString,
  statusCallback: optionalString,
  voiceApplicationSid: optionalString,
  smsApplicationSid: optionalString,
  trunkSid: optionalString,
});
type IncomingNumber = z.infer<typeof incomingNumberSchema>;

type TwilioNumber = CarrierNumber<TwilioIds>;

/** The fields we read from a Messaging Service (Messaging v1). */
const messagingServiceSchema = z.object({
  sid: z.string().regex(/^MG[0-9a-fA-F]{32}$/),
  friendlyName: optionalString,
  useInboundWebhookOnNumber: z.boolean().nullish(),
  inboundRequestUrl: optionalString,
  fallbackUrl: optionalString,
  inboundMethod: optionalString,
});
type MessagingService = z.infer<typeof messagingServiceSchema>;
const servicePhoneNumberSchema = z.object({ phoneNumber: z.string() });

/** The number fields a Messaging Service that does not defer to the number decides instead. */
const MESSAGING_SERVICE_FIELDS = ["smsUrl", "smsMethod", "smsFallbackUrl"] as const satisfies WebhookField[];

/** How long a read of an account's Messaging Services answers: one read per operation. */
const MESSAGING_TTL_MS = 30_000;

/** One account's numbers and Messaging Services: the credentials' own, or a subaccount's. */
interface AccountView {
  sid: string;
  numbers: ReturnType<TwilioSdk.Twilio["api"]["v2010"]["accounts"]>["incomingPhoneNumbers"];
  directory: NumberDirectory<IncomingNumber>;
  /** Number → the Messaging Service that routes its incoming messages instead of its own URLs. */
  overridingServices(): Promise<Map<string, MessagingService>>;
}

class TwilioCarrier implements Carrier<TwilioIds, "twilio"> {
  readonly name = "twilio";
  private readonly ownAccount: string;
  private readonly client: TwilioSdk.Twilio;
  private readonly accounts = new Map<string, AccountView>();
  /** Messaging v1 clients of subaccounts, with their Auth Tokens (memory only). */
  private readonly subaccountClients = new Map<string, Promise<TwilioSdk.Twilio>>();

  constructor(
    private readonly settings: TwilioSettings,
    retry: RetryPolicy,
    private readonly twilio: typeof TwilioSdk,
    RequestClient: typeof BaseUrlRequestClient,
  ) {
    this.ownAccount = settings.accountSid;
    this.client = twilio(settings.username, settings.password, {
      accountSid: settings.accountSid,
      httpClient: new RequestClient(settings.apiBaseUrl, { keepAlive: true }, retry),
    });
  }

  async find(phoneNumber: string, options: FindOptions<TwilioIds> = {}): Promise<TwilioNumber | undefined> {
    const account = this.account(options.account ?? options.stored?.ids.accountSid ?? undefined);
    // An update is one POST whose answer is the verification: with the SID known and no fresher
    // listing in this process, reading first would only double the calls.
    const { stored } = options;
    const found =
      stored?.ids.phoneNumberSid && !account.directory.freshListing()
        ? stored
        : await account.directory.find(phoneNumber).then((n) => n && toCarrierNumber(n));
    if (!found || !options.routing) return found;
    const service = (await account.overridingServices()).get(phoneNumber);
    const withService = { ...found, ids: { ...found.ids, messagingServiceSid: service?.sid ?? null } };
    return { ...withService, overrides: overridesOf(withService, service) };
  }

  async planWrites(
    current: TwilioNumber,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]> {
    const sid = current.ids.phoneNumberSid;
    if (!sid)
      throw new WebhookError(`No Twilio phone number SID known for ${current.phoneNumber}`, "not-found");
    const account = this.account(current.ids.accountSid ?? undefined);
    // Webhooks are the number's own: a value it has already needs no write.
    const fields = (Object.keys(changes) as WebhookField[]).filter(
      (f) => (changes[f] ?? null) !== current.webhooks[f],
    );
    if (fields.length === 0) return [];
    const previous: WebhookChanges = Object.fromEntries(fields.map((f) => [f, current.webhooks[f]]));
    let mayHaveLanded = false;
    const post = async (values: WebhookChanges) => {
      const params: Record<string, string> = {};
      for (const field of fields) params[TWILIO_PARAMS[field]] = values[field] ?? "";
      const call = `update IncomingPhoneNumber ${sid}`;
      let answer: unknown;
      try {
        answer = await this.call(account, call, () => account.numbers(sid).update(params));
      } catch (error) {
        // An error answer was not applied; no answer at all (a timeout) may have been.
        if (!(error instanceof CarrierError && error.status !== undefined)) mayHaveLanded = true;
        throw error;
      }
      mayHaveLanded = true;
      const updated = parseIncomingNumber(call, answer);
      account.directory.update(updated);
      return toCarrierNumber(updated);
    };
    return [
      {
        target: `incoming phone number ${sid}`,
        fields,
        sharedWith: [],
        write: async () => {
          const answered = await post(changes);
          // The lifecycle refused what the number's overrides make ineffective before this write; the
          // number may have gained an application since it read them: the answer says so.
          if (!options.restoring) refuseOverridden(current.phoneNumber, changes, overridesOf(answered));
          return answered.webhooks; // the whole number: fields not written are fresh too
        },
        undo: async () => {
          if (mayHaveLanded) await post(previous);
        },
      },
    ];
  }

  /** Planning only builds the one POST: its refusals are the dry run, and nothing is sent. */
  async checkWrites(
    current: TwilioNumber,
    changes: WebhookChanges,
    options: Omit<WriteOptions, "restoring" | "onCopyMade">,
  ): Promise<void> {
    await this.planWrites(current, changes, options);
  }

  /**
   * One listing of the account (shared with `find`: the members' lookups that follow cost nothing),
   * plus, for `messagingServiceSid`, one list of that service's numbers.
   */
  async select(selector: Selector, options: { account?: string } = {}): Promise<string[]> {
    const wanted = parseSelector("twilio", SELECTORS, selector);
    const account = this.account(options.account);
    const [listing, inService] = await Promise.all([
      account.directory.all(),
      wanted.messagingServiceSid
        ? this.selectedServiceNumbers(account, wanted.messagingServiceSid)
        : undefined,
    ]);
    const { friendlyNamePrefix: prefix, friendlyNameRegex } = wanted;
    const regex = friendlyNameRegex === undefined ? undefined : new RegExp(friendlyNameRegex);
    const name = (n: IncomingNumber) => n.friendlyName ?? "";
    return [...listing.values()]
      .filter(
        (n) =>
          (prefix === undefined || name(n).startsWith(prefix)) &&
          (regex === undefined || regex.test(name(n))) &&
          (inService === undefined || inService.has(n.phoneNumber)),
      )
      .map((n) => n.phoneNumber)
      .sort();
  }

  async list(options: { account?: string } = {}): Promise<string[]> {
    return [...(await this.account(options.account).directory.all()).keys()].sort();
  }

  /** The numbers of the Messaging Service a selector names; one that does not exist says so. */
  private async selectedServiceNumbers(account: AccountView, serviceSid: string): Promise<Set<string>> {
    const messaging = (await this.messagingClient(account)).messaging.v1.services;
    try {
      return new Set(await this.serviceNumbers(account, messaging, serviceSid));
    } catch (error) {
      if (error instanceof CarrierError && error.status === 404)
        throw new WebhookError(
          `select.messagingServiceSid: Twilio account ${account.sid} has no Messaging Service ${serviceSid} (${error.call}: HTTP 404)`,
          "not-found",
        );
      throw error;
    }
  }

  /** Every number of one Messaging Service (Messaging v1 of the account that owns it). */
  private async serviceNumbers(
    account: AccountView,
    messaging: TwilioSdk.Twilio["messaging"]["v1"]["services"],
    serviceSid: string,
  ): Promise<string[]> {
    const call = `list Messaging Service ${serviceSid} PhoneNumbers`;
    const members = await this.call(account, call, () =>
      messaging(serviceSid).phoneNumbers.list({ pageSize: 1000 }),
    );
    return members.map((m) => parseTwilio(call, servicePhoneNumberSchema, m).phoneNumber);
  }

  holders(current: Pick<TwilioNumber, "ids">): Partial<Record<WebhookField, string>> {
    // Every setting is the number's own.
    const sid = current.ids.phoneNumberSid;
    return sid ? Object.fromEntries(WEBHOOK_FIELDS.map((field) => [field, `number/${sid}`])) : {};
  }

  unclearableFields(): UnclearableFields {
    return { fields: [], holder: "phone number" };
  }

  /** The view of one account (the credentials' own by default), made on first use. */
  private account(sid: string = this.ownAccount): AccountView {
    let view = this.accounts.get(sid);
    if (view) return view;
    const numbers = this.client.api.v2010.accounts(sid).incomingPhoneNumbers;
    const call = "list IncomingPhoneNumbers";
    const services = new ReadCache<Map<string, MessagingService>>(MESSAGING_TTL_MS);
    view = {
      sid,
      numbers,
      directory: new NumberDirectory({
        // PageSize 1000 is Twilio's maximum: the fewest pages for a whole account.
        listAll: async () =>
          (await this.call(view!, call, () => numbers.list({ pageSize: 1000 }))).map((n) =>
            parseIncomingNumber(call, n),
          ),
        // The PhoneNumber filter also matches partial numbers and wildcards: the directory compares exactly.
        listOne: async (phoneNumber) =>
          (await this.call(view!, call, () => numbers.list({ phoneNumber, pageSize: 100 }))).map((n) =>
            parseIncomingNumber(call, n),
          ),
        phoneNumberOf: (n) => n.phoneNumber,
      }),
      overridingServices: () => services.get("all", () => this.readOverridingServices(view!)),
    };
    this.accounts.set(sid, view);
    return view;
  }

  /**
   * Lists the account's Messaging Services, then the numbers of those that do not defer to the
   * number's webhook (the only ones that change where a number's messages go): 1 + one call per
   * such service, whatever the number of numbers.
   */
  private async readOverridingServices(account: AccountView): Promise<Map<string, MessagingService>> {
    const messaging = (await this.messagingClient(account)).messaging.v1.services;
    const listServices = "list Messaging Services";
    const services = (await this.call(account, listServices, () => messaging.list({ pageSize: 1000 }))).map(
      (s) => parseTwilio(listServices, messagingServiceSchema, s),
    );
    const byNumber = new Map<string, MessagingService>();
    await Promise.all(
      services
        .filter((s) => s.useInboundWebhookOnNumber === false)
        .map(async (service) => {
          for (const phoneNumber of await this.serviceNumbers(account, messaging, service.sid))
            byNumber.set(phoneNumber, service);
        }),
    );
    return byNumber;
  }

  /**
   * Messaging v1 has no account in its path: it serves the account the credentials belong to.
   * For a subaccount, the parent's credentials read the subaccount's Auth Token (as Twilio's
   * subaccount docs advise) and use it; it is kept in memory only.
   */
  private messagingClient(account: AccountView): Promise<TwilioSdk.Twilio> {
    if (account.sid === this.ownAccount) return Promise.resolve(this.client);
    let client = this.subaccountClients.get(account.sid);
    if (!client) {
      const call = `fetch Account ${account.sid}`;
      client = this.call(account, call, () => this.client.api.v2010.accounts(account.sid).fetch()).then(
        (fetched) => {
          const { authToken } = parseTwilio(call, z.object({ authToken: z.string().min(1) }), fetched);
          return this.twilio(account.sid, authToken, {
            accountSid: account.sid,
            httpClient: this.client.httpClient,
          });
        },
      );
      client.catch(() => this.subaccountClients.delete(account.sid));
      this.subaccountClients.set(account.sid, client);
    }
    return client;
  }

  /** One SDK call on `account`; a refusal to act on a subaccount says which account and why. */
  private async call<T>(account: AccountView, call: string, run: () => Promise<T>): Promise<T> {
    try {
      return await twilioCall(call, run);
    } catch (error) {
      if (
        account.sid !== this.ownAccount &&
        error instanceof CarrierError &&
        [401, 403].includes(error.status!)
      )
        throw new WebhookError(
          `The Twilio credentials (account ${this.ownAccount}${this.settings.username.startsWith("SK") ? ", an API key" : ""}) ` +
            `cannot act on account ${account.sid} (${call}: HTTP ${error.status}): use the Account SID and Auth Token ` +
            "of its parent account (API keys act on their own account only), or the subaccount's own credentials",
          "credentials",
        );
      throw withCredentialsHint(error, "twilio", this.credentialSettings());
    }
  }

  /** The settings the credentials in use come from: the Auth Token's, or the API key's. */
  private credentialSettings(): CarrierSetting[] {
    const usesApiKey = this.settings.username !== this.settings.accountSid;
    return usesApiKey
      ? [SETTINGS.accountSid, SETTINGS.apiKey, SETTINGS.apiSecret]
      : [SETTINGS.accountSid, SETTINGS.authToken];
  }
}

/**
 * What makes the number's own settings ineffective: Twilio ignores its voice URLs while a voice
 * application or SIP trunk is attached, its SMS URLs while an SMS application is, and while it is
 * in a Messaging Service that does not defer to the number's webhook.
 */
function overridesOf(current: TwilioNumber, service?: MessagingService): Overrides {
  const { voiceApplicationSid, trunkSid, smsApplicationSid } = current.ids;
  const overrides: Overrides = {};
  const set = (fields: readonly WebhookField[], override: Overrides[WebhookField]) => {
    for (const field of fields) overrides[field] ??= override;
  };
  // An attached application or trunk: shown by name, since its URLs are not read.
  const attached = (by: string, reason: string) => ({
    by,
    reason,
    remedy: "Detach it from the number in the Twilio console, or configure the URL there.",
    effective: `(${by})`,
  });
  const voiceFields = WEBHOOK_FIELDS.filter(isVoiceField);
  const smsFields = WEBHOOK_FIELDS.filter((f) => !isVoiceField(f));
  const instead = (what: string) =>
    `and Twilio sends its ${what} to that application's URLs instead of the number's`;
  if (voiceApplicationSid)
    set(
      voiceFields,
      attached(
        `voice application ${voiceApplicationSid}`,
        `has voice_application_sid ${voiceApplicationSid}, ${instead("calls")}`,
      ),
    );
  else if (trunkSid)
    set(
      voiceFields,
      attached(
        `SIP trunk ${trunkSid}`,
        `is on SIP trunk ${trunkSid} (trunk_sid), which routes its calls instead of the number's voice URLs`,
      ),
    );
  if (smsApplicationSid)
    set(
      smsFields,
      attached(
        `SMS application ${smsApplicationSid}`,
        `has sms_application_sid ${smsApplicationSid}, ${instead("messages")}`,
      ),
    );
  if (service) {
    const name = service.friendlyName ? ` ("${service.friendlyName}")` : "";
    const effective: WebhookSettings = {
      ...current.webhooks,
      smsUrl: normalizeValue(service.inboundRequestUrl),
      smsMethod: normalizeMethod(service.inboundMethod),
      smsFallbackUrl: normalizeValue(service.fallbackUrl),
    };
    for (const field of MESSAGING_SERVICE_FIELDS)
      set([field], {
        by: `Messaging Service ${service.sid} (use_inbound_webhook_on_number: false)`,
        reason:
          `is in Messaging Service ${service.sid}${name}, whose use_inbound_webhook_on_number is false: Twilio sends its ` +
          `incoming messages to the service's Inbound Request URL (${describeValue(service.inboundRequestUrl)}) instead of the number's`,
        remedy:
          `Set the service's incoming messages to "Defer to sender's webhook" (use_inbound_webhook_on_number: true) ` +
          "in the Twilio console, or configure the URL on the service.",
        effective: effective[field],
      });
  }
  return overrides;
}

function parseIncomingNumber(call: string, value: unknown): IncomingNumber {
  return parseTwilio(call, incomingNumberSchema, value);
}

/** Checks an SDK instance (its JSON form) against what we read from it. */
function parseTwilio<T>(call: string, schema: z.ZodType<T>, value: unknown): T {
  const json =
    value && typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? (value as { toJSON(): unknown }).toJSON()
      : value;
  return parseCarrierResponse("twilio", call, schema, json);
}

function toCarrierNumber(n: IncomingNumber): TwilioNumber {
  const webhooks: WebhookSettings = {
    voiceUrl: normalizeValue(n.voiceUrl),
    voiceMethod: normalizeMethod(n.voiceMethod),
    voiceFallbackUrl: normalizeValue(n.voiceFallbackUrl),
    smsUrl: normalizeValue(n.smsUrl),
    smsMethod: normalizeMethod(n.smsMethod),
    smsFallbackUrl: normalizeValue(n.smsFallbackUrl),
    statusCallbackUrl: normalizeValue(n.statusCallback),
  };
  return {
    phoneNumber: n.phoneNumber,
    webhooks,
    ids: {
      accountSid: n.accountSid,
      phoneNumberSid: n.sid,
      voiceApplicationSid: normalizeValue(n.voiceApplicationSid),
      smsApplicationSid: normalizeValue(n.smsApplicationSid),
      trunkSid: normalizeValue(n.trunkSid),
      messagingServiceSid: null, // known only when found with `routing`
    },
    sharedWith: [],
  };
}

/** Runs one SDK call and turns any failure into a `CarrierError` that carries no credentials. */
async function twilioCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WebhookError) throw error;
    const e = error as { status?: unknown; code?: unknown; message?: unknown };
    if (typeof e.status === "number") {
      const code = e.code ? ` (Twilio error ${String(e.code)})` : "";
      const message = typeof e.message === "string" && e.message ? e.message : "no error message";
      throw new CarrierError("twilio", call, e.status, `${message}${code}`);
    }
    if (isNetworkError(error))
      throw new CarrierError(
        "twilio",
        call,
        undefined,
        `no answer from Twilio (${describeNetworkError(error)})`,
      );
    // The SDK reads the body before we can check it: a TypeError means it was not the expected shape.
    const reason =
      (error as Error).name === "TypeError" || error instanceof SyntaxError
        ? "the body is not the expected JSON object"
        : String(e.message ?? error);
    throw new CarrierError("twilio", call, undefined, `unexpected response: ${reason}`);
  }
}
