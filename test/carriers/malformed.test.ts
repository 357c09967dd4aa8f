/**
 * Malformed carrier answers, as a table: carrier × call × malformation. Every call the provider
 * makes while taking over a number is answered, through the sandbox's "body" fault, with a body
 * that is missing what the provider needs, has it in the wrong type, is an HTML error page, is
 * empty, or is not JSON. `create` must reject with a clear error that names the carrier and the
 * call, never an `undefined` crash, never credentials or request contents, and change nothing.
 *
 * Each case runs every named check (CHECKS).
 * The call under test is matched by method and path; the connection listing shares its path with
 * the number lookup, so its fault is injected once the lookup has arrived, and every case checks
 * from the request log that the malformed answer went to the request it meant.
 */
import { describe, expect, it } from "vitest";
import type { CheckedArgs } from "../../provider/schema";
import type { FaultSpec, RequestLogEntry, SandboxState } from "../../sandbox";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const TWILIO_NUMBER = "+14155550100"; // plain number: webhooks on the number itself
const TEXML_NUMBER = "+13125550202"; // alone on a TeXML application and a messaging profile
const CCA_NUMBER = "+13125550200"; // shares a Call Control application and a profile with ...0201
const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";

type Json = Record<string, unknown>;

/** The ids a case needs, read from the seeded sandbox. */
interface Ids {
  twilioSid: string;
  texml: { number: string; app: string; profile: string };
  cca: { number: string; app: string; profile: string };
}

interface Call {
  carrier: "twilio" | "telnyx";
  /** How the provider names the call in its errors. */
  name: (ids: Ids) => string;
  /** The request to answer badly. */
  method: "GET" | "POST" | "PATCH";
  path: RegExp;
  /** Matching requests to let through first (the connection listing comes after the number lookup). */
  skip?: number;
  /** The faulted request must carry this query parameter (tells the two phone_numbers listings apart). */
  queryKey?: string;
  /** Where a real answer of the same shape can be read (GET), for the shape-based malformations. */
  sample: (ids: Ids, accountSid: string) => string;
  /** The top-level field the provider needs. */
  envelope: string;
  /**
   * A record field the provider requires. None on Telnyx applications and profiles: an absent
   * webhook field means unset there, by design (`normalizeValue` in provider/webhooks.ts).
   */
  required?: Field;
  /** A record field whose type the provider relies on. */
  typed: Field;
  args: (ids: Ids) => CheckedArgs;
}

interface Field {
  at: (body: Json) => Json;
  name: string;
}

const self = (body: Json) => body;
const first = (key: string) => (body: Json) => (body[key] as Json[])[0]!;
const data = (body: Json) => body.data as Json;
const field = (at: (body: Json) => Json, name: string): Field => ({ at, name });

const onTwilioNumber = (): CheckedArgs => ({
  phoneNumber: TWILIO_NUMBER,
  provider: "twilio",
  voiceUrl: VOICE,
});
const onTexmlVoice = (): CheckedArgs => ({ phoneNumber: TEXML_NUMBER, provider: "telnyx", voiceUrl: VOICE });
const onTexmlSms = (): CheckedArgs => ({ phoneNumber: TEXML_NUMBER, provider: "telnyx", smsUrl: SMS });
const onSharedCca = (): CheckedArgs => ({
  phoneNumber: CCA_NUMBER,
  provider: "telnyx",
  voiceUrl: VOICE,
  allowSharedUpdate: true,
});

/** A GET and a PATCH of one Telnyx application or profile (the PATCH answers the object too). */
function telnyxObject(
  path: string,
  id: (ids: Ids) => string,
  webhookField: string,
  args: () => CheckedArgs,
): Record<string, Call> {
  const common = {
    carrier: "telnyx" as const,
    path: new RegExp(`^/v2/${path}/[^/]+$`),
    sample: (ids: Ids) => `/v2/${path}/${id(ids)}`,
    envelope: "data",
    typed: field(data, webhookField),
    args,
  };
  return {
    [`telnyx get ${path}/{id}`]: { ...common, name: (ids) => `get ${path}/${id(ids)}`, method: "GET" },
    [`telnyx update ${path}/{id}`]: {
      ...common,
      name: (ids) => `update ${path}/${id(ids)}`,
      method: "PATCH",
    },
  };
}

const CALLS: Record<string, Call> = {
  "twilio list IncomingPhoneNumbers": {
    carrier: "twilio",
    name: () => "list IncomingPhoneNumbers",
    method: "GET",
    path: /\/IncomingPhoneNumbers\.json$/,
    sample: (_, ac) =>
      `/2010-04-01/Accounts/${ac}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(TWILIO_NUMBER)}`,
    envelope: "incoming_phone_numbers",
    required: field(first("incoming_phone_numbers"), "sid"),
    typed: field(first("incoming_phone_numbers"), "voice_url"),
    args: onTwilioNumber,
  },
  "twilio update IncomingPhoneNumber": {
    carrier: "twilio",
    name: (ids) => `update IncomingPhoneNumber ${ids.twilioSid}`,
    method: "POST",
    path: /\/IncomingPhoneNumbers\/PN[0-9a-f]{32}\.json$/,
    sample: (ids, ac) => `/2010-04-01/Accounts/${ac}/IncomingPhoneNumbers/${ids.twilioSid}.json`,
    envelope: "sid",
    required: field(self, "phone_number"),
    typed: field(self, "voice_url"),
    args: onTwilioNumber,
  },
  "telnyx list phone_numbers": {
    carrier: "telnyx",
    name: () => "list phone_numbers",
    method: "GET",
    path: /^\/v2\/phone_numbers$/,
    queryKey: "filter[phone_number]",
    sample: () => "/v2/phone_numbers",
    envelope: "data",
    required: field(first("data"), "phone_number"),
    typed: field(first("data"), "connection_id"),
    args: onTexmlVoice,
  },
  "telnyx get connections/{id}": {
    carrier: "telnyx",
    name: (ids) => `get connections/${ids.texml.app}`,
    method: "GET",
    path: /^\/v2\/connections\/[^/]+$/,
    sample: (ids) => `/v2/connections/${ids.texml.app}`,
    envelope: "data",
    required: field(data, "record_type"),
    typed: field(data, "record_type"),
    args: onTexmlVoice,
  },
  ...telnyxObject("texml_applications", (ids) => ids.texml.app, "voice_url", onTexmlVoice),
  ...telnyxObject("call_control_applications", (ids) => ids.cca.app, "webhook_event_url", onSharedCca),
  ...telnyxObject("messaging_profiles", (ids) => ids.texml.profile, "webhook_url", onTexmlSms),
  "telnyx list phone_numbers on connection": {
    carrier: "telnyx",
    name: (ids) => `list phone_numbers on connection ${ids.texml.app}`,
    method: "GET",
    path: /^\/v2\/phone_numbers$/,
    skip: 1, // the number's own lookup comes first, on the same path
    queryKey: "filter[connection_id]",
    sample: (ids) => `/v2/phone_numbers?filter[connection_id]=${ids.texml.app}`,
    envelope: "data",
    required: field(first("data"), "phone_number"),
    typed: field(first("data"), "phone_number"),
    args: onTexmlVoice,
  },
  "telnyx list messaging_profiles/{id}/phone_numbers": {
    carrier: "telnyx",
    name: (ids) => `list messaging_profiles/${ids.texml.profile}/phone_numbers`,
    method: "GET",
    path: /^\/v2\/messaging_profiles\/[^/]+\/phone_numbers$/,
    sample: (ids) => `/v2/messaging_profiles/${ids.texml.profile}/phone_numbers`,
    envelope: "data",
    required: field(first("data"), "phone_number"),
    typed: field(first("data"), "phone_number"),
    args: onTexmlSms,
  },
  "telnyx get phone_numbers/{id}": {
    carrier: "telnyx",
    name: (ids) => `get phone_numbers/${ids.texml.number}`,
    method: "GET",
    path: /^\/v2\/phone_numbers\/[^/]+$/,
    sample: (ids) => `/v2/phone_numbers/${ids.texml.number}`,
    envelope: "data",
    required: field(data, "phone_number"),
    typed: field(data, "connection_id"),
    args: onTexmlVoice,
  },
};

/** A malformed answer, made from a real one (`sample`) where the shape matters. */
interface Malformation {
  status: number;
  contentType?: string;
  body: (sample: Json, call: Call) => string;
  /** Default: every call. */
  appliesTo?: (call: Call) => boolean;
}

const HTML_PAGE =
  "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1>" +
  "<p>Our engineers have been notified.</p></body></html>";
const JSON_TYPE = "application/json; charset=utf-8";
const WRONG_TYPE = { unexpected: ["object"] };

/** The sample with one field replaced (`undefined`: removed). */
function withField(sample: Json, f: Field, value: unknown): string {
  const copy = structuredClone(sample);
  const record = f.at(copy);
  if (value === undefined) delete record[f.name];
  else record[f.name] = value;
  return JSON.stringify(copy);
}

const MALFORMATIONS: Record<string, Malformation> = {
  "missing envelope field": {
    status: 200,
    contentType: JSON_TYPE,
    body: (s, c) => withField(s, field(self, c.envelope), undefined),
  },
  "missing record field": {
    status: 200,
    contentType: JSON_TYPE,
    body: (s, c) => withField(s, c.required!, undefined),
    appliesTo: (c) => c.required !== undefined,
  },
  "envelope field of the wrong type": {
    status: 200,
    contentType: JSON_TYPE,
    body: (s, c) => withField(s, field(self, c.envelope), "unexpected string"),
  },
  "record field of the wrong type": {
    status: 200,
    contentType: JSON_TYPE,
    body: (s, c) => withField(s, c.typed, WRONG_TYPE),
  },
  "JSON null": { status: 200, contentType: JSON_TYPE, body: () => "null" },
  "HTML error page, 500": { status: 500, contentType: "text/html; charset=utf-8", body: () => HTML_PAGE },
  "HTML page, 200": { status: 200, contentType: "text/html", body: () => HTML_PAGE },
  "empty body, 200": { status: 200, contentType: JSON_TYPE, body: () => "" },
  "empty body, 500": { status: 500, body: () => "" },
  "invalid JSON, 200": { status: 200, contentType: JSON_TYPE, body: (s) => JSON.stringify(s).slice(0, 25) },
};

// -- what is checked ------------------------------------------------------------------------------

/** What one case observed. */
interface Outcome {
  ids: Ids;
  env: Record<string, string>;
  error?: unknown;
  outs?: unknown;
  faulted: RequestLogEntry[];
  before: SandboxState;
  after: SandboxState;
}

type CheckName =
  "faultUsed" | "rejects" | "namesCall" | "noUndefined" | "noCrash" | "noSecrets" | "stateUnchanged";

interface Case {
  title: string;
  call: Call;
  malformation: string;
  m: Malformation;
}

function messageOf(o: Outcome): string {
  expect(o.error, `create succeeded: ${JSON.stringify(o.outs)}`).toBeInstanceOf(Error);
  return (o.error as Error).message;
}

const CHECKS: Record<CheckName, { needsMessage: boolean; run: (o: Outcome, c: Case) => void }> = {
  // The malformed answer went to the request under test.
  faultUsed: {
    needsMessage: false,
    run: (o, c) => {
      expect(o.faulted.length, "the fault was never used").toBeGreaterThan(0);
      expect(o.faulted[0]).toMatchObject({ method: c.call.method, status: c.m.status });
      if (c.call.queryKey) expect(Object.keys(o.faulted[0]!.query)).toContain(c.call.queryKey);
    },
  },
  rejects: { needsMessage: false, run: (o) => void messageOf(o) },
  namesCall: {
    needsMessage: true,
    run: (o, c) => {
      const message = messageOf(o);
      expect(message).toMatch(/twilio .* failed|telnyx .* failed/);
      expect(message).toContain(`${c.call.carrier} ${c.call.name(o.ids)} failed`);
    },
  },
  noUndefined: { needsMessage: true, run: (o) => expect(messageOf(o)).not.toContain("undefined") },
  noCrash: {
    needsMessage: true,
    run: (o) => {
      for (const crash of ["Cannot read properties", "is not a function", "[object Object]", "TypeError"])
        expect(messageOf(o)).not.toContain(crash);
    },
  },
  noSecrets: {
    needsMessage: true,
    run: (o) => {
      const message = messageOf(o);
      const basic = Buffer.from(`${o.env.TWILIO_ACCOUNT_SID}:${o.env.TWILIO_AUTH_TOKEN}`).toString("base64");
      for (const secret of [o.env.TWILIO_AUTH_TOKEN!, o.env.TELNYX_API_KEY!, basic])
        expect(message).not.toContain(secret);
      // Nothing of the request either: no headers, no form or JSON body.
      for (const part of [
        /authorization/i,
        /Bearer |Basic /,
        /VoiceUrl=|SmsUrl=/,
        /"(voice_url|webhook_event_url|webhook_url|friendly_name|application_name)":/,
      ])
        expect(message).not.toMatch(part);
    },
  },
  stateUnchanged: { needsMessage: false, run: (o) => expect(o.after).toEqual(o.before) },
};

// -- the harness ----------------------------------------------------------------------------------

function idsOf(harness: CarrierHarness): Ids {
  const c = harness.sandbox.control;
  const texml = c.telnyxNumber(TEXML_NUMBER)!;
  const cca = c.telnyxNumber(CCA_NUMBER)!;
  return {
    twilioSid: c.twilioNumber(TWILIO_NUMBER)!.sid,
    texml: { number: texml.id, app: texml.connection_id!, profile: texml.messaging_profile_id! },
    cca: { number: cca.id, app: cca.connection_id!, profile: cca.messaging_profile_id! },
  };
}

/** A real answer of the call's shape, read straight from the sandbox. */
async function sampleOf(harness: CarrierHarness, call: Call, ids: Ids): Promise<Json> {
  const env = harness.env;
  const auth =
    call.carrier === "twilio"
      ? "Basic " + Buffer.from(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`).toString("base64")
      : `Bearer ${env.TELNYX_API_KEY}`;
  const res = await fetch(harness.sandbox.url + call.sample(ids, env.TWILIO_ACCOUNT_SID!), {
    headers: { authorization: auth },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

/** Injects the fault once `skip` matching requests have arrived (a fault is matched on arrival). */
async function injectAfter(harness: CarrierHarness, fault: FaultSpec, skip: number): Promise<void> {
  const control = harness.sandbox.control;
  const arrived = () =>
    control.requests().filter((r) => r.method === fault.method && (fault.path as RegExp).test(r.path)).length;
  const deadline = Date.now() + 5_000;
  while (arrived() < skip) {
    if (Date.now() > deadline) throw new Error(`${skip} ${fault.method} ${String(fault.path)} never came`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  control.injectFault(fault);
}

/** Takes the number over while the call under test is answered with the malformed body. */
async function run(c: Case): Promise<Outcome> {
  const harness = await startHarness();
  try {
    const control = harness.sandbox.control;
    const ids = idsOf(harness);
    const body = c.m.body(await sampleOf(harness, c.call, ids), c.call)!;
    control.clearLog();
    const fault: FaultSpec = {
      kind: "body",
      status: c.m.status,
      body,
      contentType: c.m.contentType,
      carrier: c.call.carrier,
      method: c.call.method,
      path: c.call.path,
      times: Infinity, // the carrier keeps answering so, retries included
    };
    const before = control.state();
    if (c.call.skip) control.setLatency(20); // room to inject between the two requests
    const provider = harness.provider({ PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "1000" });
    const settled = provider.create(c.call.args(ids)).then(
      (result) => ({ outs: result.outs }),
      (error: unknown) => ({ error }),
    );
    if (c.call.skip) await injectAfter(harness, fault, c.call.skip);
    else control.injectFault(fault);
    const result: { error?: unknown; outs?: unknown } = await settled;
    return {
      ...result,
      ids,
      env: harness.env,
      faulted: control.requests().filter((r) => r.fault === "body"),
      before,
      after: control.state(),
    };
  } finally {
    await harness.close();
  }
}

// -- the table ------------------------------------------------------------------------------------

const cases: Case[] = Object.entries(CALLS).flatMap(([callName, call]) =>
  Object.entries(MALFORMATIONS)
    .filter(([, m]) => m.appliesTo?.(call) ?? true)
    .map(([malformation, m]) => ({ title: `${callName} / ${malformation}`, call, malformation, m })),
);

describe.concurrent(
  "malformed carrier answers: create rejects clearly, naming the call, and changes nothing",
  () => {
    for (const c of cases) {
      it(c.title, async () => {
        const outcome = await run(c);
        for (const name of Object.keys(CHECKS) as CheckName[]) CHECKS[name].run(outcome, c);
      });
    }
  },
);
