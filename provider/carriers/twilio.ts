/**
 * Twilio: every webhook lives on the IncomingPhoneNumber itself, so one form-encoded POST carries
 * every change and there is no window in which half of it is applied.
 */
import twilio from "twilio";
import { z } from "zod";
import type { TwilioSettings } from "../config";
import { CarrierError, parseCarrierResponse, WebhookError } from "../errors";
import { NumberDirectory } from "../directory";
import { isNetworkError, type RetryPolicy } from "../retry";
import {
  isVoiceField,
  normalizeMethod,
  normalizeValue,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../webhooks";
import type { Carrier, CarrierNumber, FindOptions, WriteOptions, WriteStep } from "./carrier";
import { BaseUrlRequestClient } from "./twilio-request-client";

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

export class TwilioCarrier implements Carrier {
  readonly name = "twilio" as const;
  readonly accountSid: string;
  private readonly numbers;
  private readonly directory: NumberDirectory<IncomingNumber>;

  constructor(settings: TwilioSettings, retry: RetryPolicy) {
    this.accountSid = settings.accountSid;
    const client = twilio(settings.username, settings.password, {
      accountSid: settings.accountSid,
      httpClient: new BaseUrlRequestClient(settings.apiBaseUrl, { keepAlive: true }, retry),
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

  async find(phoneNumber: string, options: FindOptions = {}): Promise<CarrierNumber | undefined> {
    // An update is one POST whose answer is the verification: with the SID known and no fresher
    // listing in this process, reading first would only double the calls.
    const { stored } = options;
    if (stored?.ids.phoneNumberSid && !this.directory.freshListing()) return stored;
    const found = await this.directory.find(phoneNumber);
    return found && toCarrierNumber(found);
  }

  async planWrites(
    current: CarrierNumber,
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

  unclearableFields(): WebhookField[] {
    return [];
  }
}

/**
 * Twilio ignores a number's voice URLs while a voice application or SIP trunk is attached, and its
 * SMS URLs while an SMS application is: writing them would "succeed" and change nothing.
 */
function refuseOverriddenUrls(current: CarrierNumber, changes: WebhookChanges): void {
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

function toCarrierNumber(n: IncomingNumber): CarrierNumber {
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

export function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? e.message ?? "network error");
}
