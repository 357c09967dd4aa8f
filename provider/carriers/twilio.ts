/**
 * Twilio: every webhook lives on the IncomingPhoneNumber itself, so one form-encoded POST carries
 * every change and there is no window in which half of it is applied.
 *
 * This file is the whole carrier: its settings, identifiers and factory (`twilioCarrier`), and
 * the `Carrier` itself. The SDK is loaded by the factory, in the provider process only.
 */
import type TwilioSdk from "twilio";
import { z } from "zod";
import { CarrierError, parseCarrierResponse, WebhookError } from "../errors";
import { NumberDirectory } from "../directory";
import { describeNetworkError, isNetworkError, type RetryPolicy } from "../retry";
import {
  isVoiceField,
  normalizeMethod,
  normalizeValue,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../webhooks";
import {
  carrierBaseUrl,
  carrierSettings,
  type Carrier,
  type CarrierDescriptor,
  type CarrierNumber,
  type FindOptions,
  type UnclearableFields,
  type WriteOptions,
  type WriteStep,
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
};

const SETTINGS = carrierSettings("twilio", {
  accountSid: "the Account SID (AC…)",
  authToken: "the account's Auth Token (secret)",
  apiKey: "an API Key SID (SK…), instead of the Auth Token",
  apiSecret: "the API Key's secret",
  apiBaseUrl: "the API's base URL (default https://api.twilio.com): a proxy or the sandbox",
});

export const twilioCarrier: CarrierDescriptor<"twilio", TwilioSettings, TwilioIds, keyof typeof SETTINGS> = {
  name: "twilio",
  settings: SETTINGS,
  credentials: {
    config: "twilio:accountSid with twilio:authToken (or twilio:apiKey and twilio:apiSecret)",
    env: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)",
  },
  idKeys: ["accountSid", "phoneNumberSid", "voiceApplicationSid", "smsApplicationSid", "trunkSid"],
  loadSettings({ accountSid, authToken, apiKey, apiSecret, apiBaseUrl }) {
    if (!accountSid && !authToken && !apiKey && !apiSecret) return undefined;
    if (!accountSid)
      throw new WebhookError(
        "Twilio credentials are incomplete: set twilio:accountSid (or TWILIO_ACCOUNT_SID) as well",
        "credentials",
      );
    if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid))
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

class TwilioCarrier implements Carrier<TwilioIds, "twilio"> {
  readonly name = "twilio";
  private readonly accountSid: string;
  private readonly numbers;
  private readonly directory: NumberDirectory<IncomingNumber>;

  constructor(
    settings: TwilioSettings,
    retry: RetryPolicy,
    twilio: typeof TwilioSdk,
    RequestClient: typeof BaseUrlRequestClient,
  ) {
    this.accountSid = settings.accountSid;
    const client = twilio(settings.username, settings.password, {
      accountSid: settings.accountSid,
      httpClient: new RequestClient(settings.apiBaseUrl, { keepAlive: true }, retry),
    });
    this.numbers = client.api.v2010.accounts(settings.accountSid).incomingPhoneNumbers;
    const call = "list IncomingPhoneNumbers";
    this.directory = new NumberDirectory({
      // PageSize 1000 is Twilio's maximum: the fewest pages for a whole account.
      listAll: async () =>
        (await twilioCall(call, () => this.numbers.list({ pageSize: 1000 }))).map((n) =>
          parseIncomingNumber(call, n),
        ),
      // The PhoneNumber filter also matches partial numbers and wildcards: the directory compares exactly.
      listOne: async (phoneNumber) =>
        (await twilioCall(call, () => this.numbers.list({ phoneNumber, pageSize: 100 }))).map((n) =>
          parseIncomingNumber(call, n),
        ),
      phoneNumberOf: (n) => n.phoneNumber,
    });
  }

  async find(phoneNumber: string, options: FindOptions<TwilioIds> = {}): Promise<TwilioNumber | undefined> {
    // An update is one POST whose answer is the verification: with the SID known and no fresher
    // listing in this process, reading first would only double the calls.
    const { stored } = options;
    if (stored?.ids.phoneNumberSid && !this.directory.freshListing()) return stored;
    const found = await this.directory.find(phoneNumber);
    return found && toCarrierNumber(found);
  }

  async planWrites(
    current: TwilioNumber,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]> {
    // Giving a number its previous URLs back is harmless even where an application overrides them.
    if (!options.restoring) refuseOverriddenUrls(current, changes);
    const sid = current.ids.phoneNumberSid;
    if (!sid)
      throw new WebhookError(`No Twilio phone number SID known for ${current.phoneNumber}`, "not-found");
    const fields = Object.keys(changes) as WebhookField[];
    if (fields.length === 0) return [];
    const previous: WebhookChanges = Object.fromEntries(fields.map((f) => [f, current.webhooks[f]]));
    let mayHaveLanded = false;
    const post = async (values: WebhookChanges) => {
      const params: Record<string, string> = {};
      for (const field of fields) params[TWILIO_PARAMS[field]] = values[field] ?? "";
      const call = `update IncomingPhoneNumber ${sid}`;
      let answer: unknown;
      try {
        answer = await twilioCall(call, () => this.numbers(sid).update(params));
      } catch (error) {
        // An error answer was not applied; no answer at all (a timeout) may have been.
        if (!(error instanceof CarrierError && error.status !== undefined)) mayHaveLanded = true;
        throw error;
      }
      mayHaveLanded = true;
      const updated = parseIncomingNumber(call, answer);
      this.directory.update(updated);
      return toCarrierNumber(updated);
    };
    return [
      {
        target: `incoming phone number ${sid}`,
        fields,
        sharedWith: [],
        write: async () => {
          const answered = await post(changes);
          // The number may have gained an application since the state last read it: the answer says so.
          if (!options.restoring) refuseOverriddenUrls(answered, changes);
          return answered.webhooks; // the whole number: fields not written are fresh too
        },
        undo: async () => {
          if (mayHaveLanded) await post(previous);
        },
      },
    ];
  }

  unclearableFields(): UnclearableFields {
    return { fields: [], holder: "phone number" };
  }

  refuseOtherAccount(phoneNumber: string, stored: Partial<TwilioIds>): void {
    if (stored.accountSid && stored.accountSid !== this.accountSid)
      throw new WebhookError(
        `${phoneNumber} belongs to Twilio account ${stored.accountSid}, but the credentials are for ${this.accountSid}: ` +
          "set twilio:accountSid (and its token) to the account that owns the number",
        "credentials",
      );
  }
}

/**
 * Twilio ignores a number's voice URLs while a voice application or SIP trunk is attached, and its
 * SMS URLs while an SMS application is: writing them would "succeed" and change nothing.
 */
function refuseOverriddenUrls(current: TwilioNumber, changes: WebhookChanges): void {
  const setting = (Object.keys(changes) as WebhookField[]).filter((f) => changes[f] !== null);
  const { voiceApplicationSid, trunkSid, smsApplicationSid } = current.ids;
  const voice = setting.filter(isVoiceField);
  const sms = setting.filter((f) => !isVoiceField(f));
  const overrides: string[] = [];
  if (voice.length && voiceApplicationSid)
    overrides.push(
      `${voice.join(", ")} would have no effect: ${current.phoneNumber} has voice_application_sid ${voiceApplicationSid}, and Twilio sends its calls to that application's URLs instead of the number's`,
    );
  else if (voice.length && trunkSid)
    overrides.push(
      `${voice.join(", ")} would have no effect: ${current.phoneNumber} is on SIP trunk ${trunkSid} (trunk_sid), which routes its calls instead of the number's voice URLs`,
    );
  if (sms.length && smsApplicationSid)
    overrides.push(
      `${sms.join(", ")} would have no effect: ${current.phoneNumber} has sms_application_sid ${smsApplicationSid}, and Twilio sends its messages to that application's URLs instead of the number's`,
    );
  if (overrides.length)
    throw new WebhookError(
      `${overrides.join("; ")}. Detach it from the number in the Twilio console, or configure the URL there.`,
      "conflict",
    );
}

function parseIncomingNumber(call: string, value: unknown): IncomingNumber {
  const json =
    value && typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? (value as { toJSON(): unknown }).toJSON()
      : value;
  return parseCarrierResponse("twilio", call, incomingNumberSchema, json);
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
