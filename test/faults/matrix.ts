/**
 * Issue 5's fault matrix, for the tests (test/faults/*.test.ts). The report
 * (scripts/report-reliability.ts) runs matrix.test.ts and reads its results, so that both judge
 * every case by the same rules.
 *
 * For each target (a carrier and a number) and each lifecycle step, a clean dry run records the
 * step's carrier calls in order. Every (step, call, fault, variant) is then a case: the step runs
 * again from the same starting state, on a fresh provider, with the fault aimed at exactly that call
 * (same method and path; `skip` lets the earlier calls to the same endpoint through). A create or
 * update of one number begins with its `check`, as under the engine: `check` asks the carrier what
 * the step would refuse, its calls are the step's first, and its failure is the step's.
 *
 * Variants:
 * - transient: the call fails once. The step must succeed, end where the clean run ends, and
 *   return what the clean run returned (previousWebhooks included).
 * - persistent: that call and every later call to the same endpoint fail. The step must reject
 *   with a message naming the call, without credentials, and leave the carrier (and the takeover
 *   journal) as before the step; or, only where the message says so ("run `pulumi up` again to
 *   converge"), in a state from which running the step again with the faults gone converges
 *   (verified by running it, previousWebhooks included).
 * - outage: from that call on, every request to the carrier fails, the undo of earlier writes
 *   included. Generated for the calls after a step's first write, the only ones where it differs
 *   from "persistent". Judged like persistent.
 *
 * Faulted steps run with PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS / PHONE_WEBHOOKS_RETRY_TIMEOUT_MS set
 * small (FAULT_ENV): the bound a user can set on a response that never comes.
 *
 * Set targets (issue 11, `PhoneNumberWebhooksSet`, SET_TARGETS) run the same way, one member at a
 * time (`concurrency: 1`: the calls come in one order, so a fault hits the same member's call on
 * every run), with the inputs `check` made before the step (its selector lookups are not faulted:
 * a failing `check` stops the engine before any step). They try two faults (a 503 and a hang) and
 * may take the per-number bound once per member. They are judged by the rules for sets:
 * - transient: as above: the step succeeds and ends where the clean run ends (carrier, journal,
 *   and the returned outputs, every member's previous values included).
 * - persistent / outage, create and update: the step succeeds (and then ends where the clean run
 *   ends) or rejects. A rejection starts "<n> of <m> number(s) failed to apply", names every member
 *   that failed and the failed call, and carries no credentials; it carries the set's `id` and
 *   `properties` (with the engine's `__provider`). Every member recorded in `properties.members`
 *   matches the carrier (its live values and ids what the record says) and keeps the seed's
 *   previous values; every member not recorded is as before the step; only where the message says
 *   "run `pulumi up` again to converge" may either differ, and where a member shares the object
 *   that holds a field (a Telnyx application or profile) with a member the step wrote and
 *   recorded: there it holds that member's value. Numbers that are not members never
 *   change. The journal holds, besides the entries it had, entries only for members the create
 *   recorded or tried (a set's create keeps them until the next operation, `keepJournal`, a failed
 *   member's too: another member may have written an object they share, and the next attempt must
 *   still record the originals) or that the message says are partially applied. Then, with the faults gone, what the engine does next is
 *   run: an update from `properties`, as the partial state the host records. It must succeed and
 *   end where the clean run ends: same carrier, same members, previous values the seed's.
 * - persistent / outage, read: rejects ("failed to read") naming the failed members and call,
 *   changes nothing at the carrier, and leaves the journal's entries as they were or forgotten.
 * - persistent / outage, delete: succeeds (ending where the clean run ends) or rejects naming the
 *   failed members and call; the members it does not name have the seed's values back; running
 *   delete again with the faults gone restores every member to the seed's values and deletes every
 *   copy the set made (the clean run's end).
 * - every variant: no number is ever released.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { inspect, isDeepStrictEqual } from "node:util";
import type { PhoneNumberWebhooksOutputs } from "../../provider/schema";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import {
  setOutputsFromState,
  setOutputsToState,
  type CheckedSetArgs,
  type MemberState,
  type SetOutputs,
  type StoredSetOutputs,
} from "../../provider/set-schema";
import type { CaseResult as ReportedResult } from "../../scripts/report-reliability";
import type { CheckedArgs } from "../../provider/schema";
import { isVoiceField, type WebhookField, type WebhookSettings } from "../../provider/webhooks";
import type { FaultSpec, RequestLogEntry, SandboxSeed } from "../../sandbox";
import { signalwireFaultResponse } from "../../sandbox/carriers/signalwire/api";
import { DEFAULT_API_TOKEN, DEFAULT_PROJECT_ID } from "../../sandbox/carriers/signalwire/state";
import { telnyxFaultResponse } from "../../sandbox/carriers/telnyx/api";
import { twilioFaultResponse } from "../../sandbox/carriers/twilio/common";
import { demoSeed, startHarness, type CarrierHarness } from "../support/sandbox";

// -- the dimensions -------------------------------------------------------------------------------

export type CarrierName = "twilio" | "telnyx" | "signalwire";
export type StepName = "create" | "read" | "update" | "delete";
export type Variant = "transient" | "persistent" | "outage";

export const STEPS: readonly StepName[] = ["create", "read", "update", "delete"];
export const VARIANTS: readonly Variant[] = ["transient", "persistent", "outage"];

const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";

export interface Target {
  key: string;
  carrier: CarrierName;
  phoneNumber: string;
  description: string;
  /** create's arguments; update changes voiceUrl; delete restores (onDelete defaults to restore). */
  args: Record<string, unknown>;
  /**
   * A `PhoneNumberWebhooksSet` (then `phoneNumber` is its first member): its members, in the order
   * it runs them, and numbers at the same carrier it must never change.
   */
  set?: { members: string[]; outsiders: string[] };
  /** The sandbox's seed (default `matrixSeed()`). */
  seed?: () => SandboxSeed;
  /** The faults tried (their keys; default every one). */
  faults?: readonly string[];
}

const SUBACCOUNT = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
const SUBACCOUNT_NUMBER = "+13105550111";
const SIGNALWIRE_NUMBER = "+16505550100";
const SIGNALWIRE_RELAY_NUMBER = "+16505550101";

/**
 * The demo seed, plus what makes every Twilio read happen: in the main account and in a
 * subaccount, a Messaging Service that does not defer to the number's webhook (with a number no
 * target declares), so the services and their numbers are listed.
 */
export function matrixSeed(): SandboxSeed {
  const seed = demoSeed();
  const campaigns = (phoneNumber: string) => ({
    friendly_name: "campaigns",
    use_inbound_webhook_on_number: false,
    inbound_request_url: "https://legacy.example.com/campaigns",
    phone_numbers: [phoneNumber],
  });
  seed.twilio!.incoming_phone_numbers!.push({ phone_number: "+14155550199", friendly_name: "campaigns" });
  seed.twilio!.messaging_services = [campaigns("+14155550199")];
  seed.twilio!.subaccounts = [
    {
      friendly_name: "acme",
      account_sid: SUBACCOUNT,
      auth_token: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
      incoming_phone_numbers: [
        { phone_number: SUBACCOUNT_NUMBER, voice_url: "https://legacy.example.com/acme/voice" },
        { phone_number: "+13105550198", friendly_name: "acme campaigns" },
      ],
      messaging_services: [campaigns("+13105550198")],
    },
  ];
  seed.signalwire = {
    phone_numbers: [
      {
        number: SIGNALWIRE_NUMBER,
        name: "main",
        call_request_url: "https://legacy.example.com/signalwire/voice",
        message_request_url: "https://legacy.example.com/signalwire/sms",
      },
      {
        number: SIGNALWIRE_RELAY_NUMBER,
        name: "desk",
        call_handler: "relay_application",
        call_relay_application: "front-desk",
        // Left from before the Relay application: the number keeps it, and does not answer with it.
        call_request_url: "https://legacy.example.com/signalwire/desk/voice",
      },
    ],
  };
  return seed;
}

export const TARGETS: readonly Target[] = [
  {
    key: "twilio",
    carrier: "twilio",
    phoneNumber: "+14155550100",
    description: "Twilio +14155550100 (every webhook on the number: one POST)",
    args: { phoneNumber: "+14155550100", provider: "twilio", voiceUrl: VOICE, smsUrl: SMS },
  },
  {
    key: "twilio-subaccount",
    carrier: "twilio",
    phoneNumber: SUBACCOUNT_NUMBER,
    description: `Twilio ${SUBACCOUNT_NUMBER} in subaccount ${SUBACCOUNT} (accountSid; Messaging v1 with its token)`,
    args: {
      phoneNumber: SUBACCOUNT_NUMBER,
      provider: "twilio",
      accountSid: SUBACCOUNT,
      voiceUrl: VOICE,
      smsUrl: SMS,
    },
  },
  {
    key: "telnyx-texml",
    carrier: "telnyx",
    phoneNumber: "+13125550202",
    description: "Telnyx +13125550202 alone on a TeXML application and profile (two writes)",
    args: { phoneNumber: "+13125550202", provider: "telnyx", voiceUrl: VOICE, smsUrl: SMS },
  },
  {
    key: "telnyx-shared",
    carrier: "telnyx",
    phoneNumber: "+13125550200",
    description:
      "Telnyx +13125550200 on a Call Control application and profile shared with +13125550201 (allowSharedUpdate)",
    args: {
      phoneNumber: "+13125550200",
      provider: "telnyx",
      voiceUrl: VOICE,
      smsUrl: SMS,
      allowSharedUpdate: true,
    },
  },
  {
    key: "telnyx-isolate",
    carrier: "telnyx",
    phoneNumber: "+13125550200",
    description:
      'Telnyx +13125550200 on a Call Control application and profile shared with +13125550201, onShared: "isolate" (copies made, the number moved onto them and back, the copies deleted)',
    args: {
      phoneNumber: "+13125550200",
      provider: "telnyx",
      voiceUrl: VOICE,
      smsUrl: SMS,
      onShared: "isolate",
    },
  },
  {
    key: "signalwire",
    carrier: "signalwire",
    phoneNumber: SIGNALWIRE_NUMBER,
    description: `SignalWire ${SIGNALWIRE_NUMBER} (LaML webhooks on the number: one PUT)`,
    args: { phoneNumber: SIGNALWIRE_NUMBER, provider: "signalwire", voiceUrl: VOICE, smsUrl: SMS },
  },
  {
    key: "signalwire-switch",
    carrier: "signalwire",
    phoneNumber: SIGNALWIRE_RELAY_NUMBER,
    description: `SignalWire ${SIGNALWIRE_RELAY_NUMBER} routed by a Relay application, switchHandlers: true (the handler switched to LaML webhooks and given back, each in the PUT that writes the URLs)`,
    args: {
      phoneNumber: SIGNALWIRE_RELAY_NUMBER,
      provider: "signalwire",
      voiceUrl: VOICE,
      switchHandlers: true,
    },
  },
];

// -- set targets (issue 11) -----------------------------------------------------------------------

const FLEET = ["+14155550120", "+14155550121", "+14155550122"];
const TELNYX_PAIR = ["+13125550200", "+13125550201"];
const TELNYX_OUTSIDER = "+13125550203";
/**
 * The faults a set target tries: one status the carrier answers (retried) and one answer that
 * never comes (the request timeout). Every call's retries are the per-number targets' business;
 * a set adds which members fail and what it records, which these two show.
 */
const SET_FAULTS = ["503", "hang"] as const;

/** The matrix seed plus three Twilio numbers of their own, on legacy webhooks. */
function twilioFleetSeed(): SandboxSeed {
  const seed = matrixSeed();
  for (const [i, phone_number] of FLEET.entries())
    seed.twilio!.incoming_phone_numbers!.push({
      phone_number,
      friendly_name: `fleet ${i}`,
      voice_url: `https://legacy.example.com/fleet/${i}/voice`,
      sms_url: `https://legacy.example.com/fleet/${i}/sms`,
    });
  return seed;
}

/** The matrix seed with both numbers of the shared Call Control application tagged "fleet". */
function telnyxFleetSeed(outsider: boolean): SandboxSeed {
  const seed = matrixSeed();
  for (const n of seed.telnyx!.phone_numbers!)
    if (TELNYX_PAIR.includes(n.phone_number)) Object.assign(n, { tags: ["fleet"] });
  if (outsider)
    seed.telnyx!.phone_numbers!.push({
      phone_number: TELNYX_OUTSIDER,
      connection_name: "support-app",
      messaging_profile_name: "support-sms",
    } as never);
  return seed;
}

/**
 * Sets run one member at a time (`concurrency: 1`), so that a step's calls come in one order and
 * a fault aimed at the nth call to an endpoint hits the same member's call on every run.
 */
export const SET_TARGETS: readonly Target[] = [
  {
    key: "twilio-set",
    carrier: "twilio",
    phoneNumber: FLEET[0]!,
    description: `Twilio set of ${FLEET.join(", ")} (listed; ${FLEET[1]} with its own voiceUrl)`,
    args: {
      provider: "twilio",
      label: "fleet",
      voiceUrl: VOICE,
      smsUrl: SMS,
      concurrency: 1,
      numbers: [FLEET[0], { phoneNumber: FLEET[1], voiceUrl: `${VOICE}/own` }, FLEET[2]],
    },
    set: { members: FLEET, outsiders: ["+14155550100"] },
    seed: twilioFleetSeed,
    faults: SET_FAULTS,
  },
  {
    key: "telnyx-set",
    carrier: "telnyx",
    phoneNumber: TELNYX_PAIR[0]!,
    description: `Telnyx set selected by tag (${TELNYX_PAIR.join(", ")}: every number on a Call Control application and profile; members-only objects written in place, onShared refuse)`,
    args: { label: "fleet", voiceUrl: VOICE, smsUrl: SMS, select: { tag: "fleet" }, concurrency: 1 },
    set: { members: TELNYX_PAIR, outsiders: ["+13125550202"] },
    seed: () => telnyxFleetSeed(false),
    faults: SET_FAULTS,
  },
  {
    key: "telnyx-set-isolate",
    carrier: "telnyx",
    phoneNumber: TELNYX_PAIR[0]!,
    description: `Telnyx set selected by tag (${TELNYX_PAIR.join(", ")}), onShared: "isolate", their application and profile shared with ${TELNYX_OUTSIDER} (one copy of each for the set)`,
    args: {
      label: "fleet",
      voiceUrl: VOICE,
      smsUrl: SMS,
      select: { tag: "fleet" },
      onShared: "isolate",
      concurrency: 1,
    },
    set: { members: TELNYX_PAIR, outsiders: [TELNYX_OUTSIDER, "+13125550202"] },
    seed: () => telnyxFleetSeed(true),
    faults: SET_FAULTS,
  },
];

export const ALL_TARGETS: readonly Target[] = [...TARGETS, ...SET_TARGETS];

const seedOf = (target: Target): SandboxSeed => (target.seed ?? matrixSeed)();

export const faultsOf = (target: Target): readonly Fault[] =>
  target.faults ? FAULTS.filter((f) => target.faults!.includes(f.key)) : FAULTS;

export const targetByKey = (key: string): Target => {
  const target = ALL_TARGETS.find((t) => t.key === key);
  if (!target) throw new Error(`no fault-matrix target ${key}`);
  return target;
};

const updateArgs = (target: Target) => ({ ...target.args, voiceUrl: `${VOICE}/v2` });

export interface Fault {
  key: string;
  label: string;
  spec(carrier: CarrierName): FaultSpec;
}

/** A 429 without Retry-After: the carrier's own 429 body and headers, minus Retry-After. */
function bare429(carrier: CarrierName): FaultSpec {
  const responses = {
    twilio: twilioFaultResponse,
    telnyx: telnyxFaultResponse,
    signalwire: signalwireFaultResponse,
  } as const;
  const response = responses[carrier](429, undefined);
  return {
    kind: "body",
    status: 429,
    contentType: "application/json; charset=utf-8",
    body: JSON.stringify(response.body),
  };
}

export const FAULTS: readonly Fault[] = [
  { key: "429-retry-after", label: "429 + Retry-After: 1", spec: () => ({ status: 429, retryAfter: 1 }) },
  { key: "429", label: "429, no Retry-After", spec: bare429 },
  { key: "500", label: "500", spec: () => ({ status: 500 }) },
  { key: "503", label: "503", spec: () => ({ status: 503 }) },
  { key: "drop", label: "dropped connection", spec: () => ({ kind: "drop" }) },
  { key: "hang", label: "no response (hang)", spec: () => ({ kind: "hang" }) },
];

/** The user-settable bound on a request that never answers, and on retrying, for faulted runs. */
export const FAULT_ENV = {
  PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: "300",
  PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "1500",
} as const;
const REQUEST_TIMEOUT_MS = Number(FAULT_ENV.PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS);
const RETRY_TIMEOUT_MS = Number(FAULT_ENV.PHONE_WEBHOOKS_RETRY_TIMEOUT_MS);
/**
 * How long a faulted step may take: the failing call's retry budget and last attempt, the same again
 * for each call of an undo that fails too (at most two), and a second of slack.
 */
export const STEP_BOUND_MS = 3 * (RETRY_TIMEOUT_MS + REQUEST_TIMEOUT_MS) + 1000;
/** Past this the runner stops waiting for a step (a hang that nothing bounds). */
const STEP_DEADLINE_MS = 20_000;
const PERSISTENT_TIMES = 10_000;

// -- dry runs -------------------------------------------------------------------------------------

export interface Call {
  /** 1-based position in the step's clean run. */
  index: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** 1-based, among the step's calls with the same method and path. */
  occurrence: number;
  /** The normalised endpoint, with the list filter that tells the two phone_numbers lists apart. */
  label: string;
  /** Stable across dry runs (parallel reads may swap places): the label and the occurrence. */
  key: string;
  /** The call's name in the provider's errors ("list IncomingPhoneNumbers", "update texml_applications/…"). */
  name: string;
  /** "lookup": finding the number (what read does); "write": planning, confirming and writing. */
  phase: "lookup" | "write";
}

interface Snapshot {
  seed: SandboxSeed;
  /** Journal file name → contents. */
  journal: Record<string, string>;
}

export interface StepPlan {
  target: Target;
  step: StepName;
  id: string;
  /** The resource's state before the step (undefined for create). */
  props?: PhoneNumberWebhooksOutputs;
  start: Snapshot;
  /** The carrier at the start, as compared (timestamps left out). */
  startCarrier: unknown;
  calls: Call[];
  /** What the clean run returned, and where it left the carrier and the journal. */
  clean: { result: unknown; carrier: unknown; journal: unknown };
  /** The number's webhooks before the resource took it over: previousWebhooks, always. */
  originals: WebhookSettings;
  /** A set: the inputs its `check` made at the start (the engine checks before it creates or updates). */
  inputs?: Record<string, unknown>;
  /** A set: each member's and outsider's webhooks and objects at the start. */
  startNumbers?: Record<string, LiveNumber | null>;
  /** A set: each member's webhooks in the seed, before the set took it over. */
  memberOriginals?: Record<string, WebhookSettings>;
}

/** One number as the carrier has it: its webhooks and the carrier's ids of it and its objects. */
export interface LiveNumber {
  webhooks: WebhookSettings;
  ids: Record<string, unknown>;
}

export interface FaultCase {
  id: string;
  title: string;
  plan: StepPlan;
  call: Call;
  fault: Fault;
  variant: Variant;
}

const restore = (h: CarrierHarness, snapshot: Snapshot) => {
  const control = h.sandbox.control;
  control.loadSeed(snapshot.seed);
  control.reset(); // log, counts, faults, latency, releases
  control.clearValidationErrors();
  rmSync(h.journalDir, { recursive: true, force: true });
  mkdirSync(h.journalDir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(snapshot.journal))
    writeFileSync(join(h.journalDir, name), text, { mode: 0o600 });
};

const snapshot = (h: CarrierHarness): Snapshot => ({
  seed: h.sandbox.control.state(),
  journal: Object.fromEntries(
    readdirSync(h.journalDir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => [f, readFileSync(join(h.journalDir, f), "utf8")]),
  ),
});

/**
 * The carrier's state without the timestamps every write bumps (an undo is still a write), and the
 * creation time of objects a step made (an isolated number's copies: same name, same id, any time).
 */
function comparableCarrier(h: CarrierHarness): unknown {
  return JSON.parse(JSON.stringify(h.sandbox.control.state()), (key, value: unknown) =>
    key === "date_updated" || key === "updated_at" || key === "created_at" ? undefined : value,
  );
}

/** The journal's entries without their recordedAt. */
function comparableJournal(h: CarrierHarness): unknown {
  const entries: Record<string, unknown> = {};
  for (const f of readdirSync(h.journalDir).sort()) {
    const parsed = JSON.parse(readFileSync(join(h.journalDir, f), "utf8")) as Record<string, unknown>;
    delete parsed["recordedAt"];
    entries[f] = parsed;
  }
  return entries;
}

async function runStep(
  h: CarrierHarness,
  plan: Pick<StepPlan, "target" | "step" | "id" | "props" | "inputs">,
  env: Record<string, string> = {},
): Promise<unknown> {
  if (plan.target.set) return runSetStep(h, plan, env);
  const provider = h.provider(env);
  const { target, step, id, props } = plan;
  switch (step) {
    case "create": {
      const inputs = checkedOrFailed(await provider.check({}, target.args));
      return provider.create(inputs as unknown as CheckedArgs);
    }
    case "read":
      return provider.read(id, props);
    case "update": {
      const inputs = checkedOrFailed(await provider.check(props, updateArgs(target)));
      return provider.update(id, props!, inputs as unknown as CheckedArgs);
    }
    case "delete":
      return provider.delete(id, props!);
  }
}

/**
 * The checked inputs, or `check`'s failures as the step's error: the engine stops there (check asks
 * the carrier what the step would refuse, so a fault on its calls fails the step).
 */
function checkedOrFailed(result: { inputs?: unknown; failures?: Array<{ reason: string }> }): unknown {
  if (result.failures?.length) throw new Error(result.failures.map((f) => f.reason).join("; "));
  return result.inputs;
}

/** The inputs a set's `check` makes before the step (create: from nothing; update: over the state). */
async function setInputs(
  h: CarrierHarness,
  target: Target,
  step: StepName,
  props: unknown,
): Promise<Record<string, unknown> | undefined> {
  if (step !== "create" && step !== "update") return undefined;
  const provider = new PhoneNumberWebhooksSetProvider(h.provider());
  const news = step === "create" ? target.args : updateArgs(target);
  const { inputs, failures } = await provider.check(props as Record<string, unknown> | undefined, news);
  if (failures?.length) throw new Error(`check of ${target.key} ${step}: ${JSON.stringify(failures)}`);
  // The engine adds the provider's reference: a partial failure must carry it back.
  return { ...inputs, __provider: "stored" };
}

async function runSetStep(
  h: CarrierHarness,
  plan: Pick<StepPlan, "target" | "step" | "id" | "props" | "inputs">,
  env: Record<string, string>,
): Promise<unknown> {
  const provider = new PhoneNumberWebhooksSetProvider(h.provider(env));
  const inputs = plan.inputs as CheckedSetArgs & Record<string, unknown>;
  // The matrix compares member records as objects; the provider gets and gives them as the
  // state holds them (encoded).
  const props = plan.props && setOutputsToState(plan.props as unknown as SetOutputs);
  const decoded = <T extends Partial<StoredSetOutputs> | undefined>(outs: T): T =>
    (outs?.members !== undefined ? setOutputsFromState(outs) : outs) as T;
  try {
    switch (plan.step) {
      case "create": {
        const result = await provider.create(inputs);
        return { ...result, outs: decoded(result.outs) };
      }
      case "read": {
        const result = await provider.read(plan.id, props);
        return { ...result, props: decoded(result.props as StoredSetOutputs | undefined) };
      }
      case "update": {
        const result = await provider.update(plan.id, props!, inputs);
        return { ...result, outs: decoded(result.outs) };
      }
      case "delete":
        return await provider.delete(plan.id, props!);
    }
  } catch (error) {
    const partial = error as { properties?: StoredSetOutputs };
    if (partial.properties) partial.properties = decoded(partial.properties);
    throw error;
  }
}

/** The set's members and outsiders as the carrier has them now (read-only finds, no faults). */
async function liveNumbers(h: CarrierHarness, target: Target): Promise<Record<string, LiveNumber | null>> {
  const carrier = await h.provider().carrier(target.carrier);
  const out: Record<string, LiveNumber | null> = {};
  for (const phone of [...target.set!.members, ...target.set!.outsiders]) {
    const found = await carrier.find(phone, { routing: true });
    out[phone] = found ? { webhooks: found.webhooks, ids: { ...found.ids } } : null;
  }
  return out;
}

const requestKey = (r: { method: string; path: string; query: Record<string, string> }) =>
  `${r.method} ${r.path}?${new URLSearchParams(r.query).toString()}`;

/** The provider's name for a call, as its CarrierErrors give it. */
export function callName(
  carrier: CarrierName,
  r: Pick<RequestLogEntry, "method" | "path" | "query">,
): string {
  if (carrier === "signalwire") {
    const id = /^\/api\/relay\/rest\/phone_numbers\/([^/]+)$/.exec(r.path)?.[1];
    if (!id) return "list phone numbers";
    return r.method === "PUT" ? `update phone number ${id}` : `get phone number ${id}`;
  }
  if (carrier === "twilio") {
    if (r.method === "GET" && r.path.endsWith("/IncomingPhoneNumbers.json"))
      return "list IncomingPhoneNumbers";
    const sid = /\/IncomingPhoneNumbers\/(\w+)\.json$/.exec(r.path)?.[1];
    if (r.method === "POST" && sid) return `update IncomingPhoneNumber ${sid}`;
    if (r.method === "GET" && r.path === "/v1/Services") return "list Messaging Services";
    const service = /^\/v1\/Services\/(\w+)\/PhoneNumbers$/.exec(r.path)?.[1];
    if (r.method === "GET" && service) return `list Messaging Service ${service} PhoneNumbers`;
    const account = /^\/2010-04-01\/Accounts\/(\w+)\.json$/.exec(r.path)?.[1];
    if (r.method === "GET" && account) return `fetch Account ${account}`;
    return `${r.method} ${r.path}`;
  }
  const rest = r.path.replace(/^\/v2\//, "");
  if (r.method === "PATCH") return `update ${rest}`;
  if (r.method === "POST") return `create ${rest}`;
  if (r.method === "DELETE") return `delete ${rest}`;
  if (rest === "phone_numbers") {
    const connection = r.query["filter[connection_id]"];
    return connection ? `list phone_numbers on connection ${connection}` : "list phone_numbers";
  }
  if (rest.endsWith("/phone_numbers")) return `list ${rest}`;
  // The listing of a kind of object (the copies' markers): `list call_control_applications`.
  if (!rest.includes("/")) return `list ${rest}`;
  return `get ${rest}`;
}

function toCalls(target: Target, log: RequestLogEntry[], lookups: string[]): Call[] {
  const seen = new Map<string, number>();
  const seenLabel = new Map<string, number>();
  const remaining = [...lookups];
  let writing = false;
  return log.map((r, i) => {
    const endpoint = `${r.method} ${r.path}`;
    const occurrence = (seen.get(endpoint) ?? 0) + 1;
    seen.set(endpoint, occurrence);
    const label = labelOf(r);
    // The same endpoint on two objects (an isolated number's original and its copy): one key each.
    const nth = (seenLabel.get(label) ?? 0) + 1;
    seenLabel.set(label, nth);
    // The lookup is what read does (by endpoint: an isolated number is read on its copies, found
    // on the originals); everything after it (or not part of it) is the write phase.
    const lookupAt = writing ? -1 : remaining.indexOf(label);
    if (lookupAt >= 0) remaining.splice(lookupAt, 1);
    // A listing of Telnyx objects (the copies' markers, the originals' backups) is read with the
    // number, before any write, by every step but read.
    else if (!(r.method === "GET" && /^\/v2\/[a-z_]+$/.test(r.path) && r.path !== "/v2/phone_numbers"))
      writing = true;
    return {
      index: i + 1,
      method: r.method,
      path: r.path,
      query: r.query,
      occurrence,
      label,
      key: nth > 1 ? `${label} #${nth}` : label,
      name: callName(target.carrier, r),
      phase: writing ? "write" : "lookup",
    };
  });
}

/** The normalised endpoint, with the list filter that tells the two phone_numbers lists apart. */
function labelOf(r: RequestLogEntry): string {
  const filter = Object.keys(r.query).find((k) => k.startsWith("filter["));
  return `${r.endpoint}${filter ? `?${filter}` : ""}`;
}

/**
 * The dry runs of one target: create from the seed; read, update and delete each from the state the
 * clean create left (carrier and journal). Each step runs on a fresh provider.
 */
export async function planTarget(target: Target): Promise<StepPlan[]> {
  const h = await startHarness(seedOf(target));
  try {
    let id = `${target.carrier}:${target.phoneNumber}`;
    const runs: Array<{ plan: Omit<StepPlan, "calls" | "originals">; log: RequestLogEntry[] }> = [];
    let afterCreate: Snapshot | undefined;
    let createOuts: PhoneNumberWebhooksOutputs | undefined;
    const seedSnapshot = snapshot(h);
    for (const step of STEPS) {
      const start = step === "create" ? seedSnapshot : afterCreate!;
      const props = step === "create" ? undefined : createOuts;
      restore(h, start);
      const startCarrier = comparableCarrier(h);
      let inputs: Record<string, unknown> | undefined;
      let startNumbers: Record<string, LiveNumber | null> | undefined;
      if (target.set) {
        // check, and what the carrier has, before the step: then the start again, log cleared.
        inputs = await setInputs(h, target, step, props);
        startNumbers = await liveNumbers(h, target);
        restore(h, start);
      }
      const result = await runStep(h, { target, step, id, props, inputs });
      const log = h.sandbox.control.requests();
      const bad = log.filter((r) => r.fault || r.status >= 300);
      if (bad.length) throw new Error(`dry run of ${target.key} ${step}: ${bad.map(requestKey).join(", ")}`);
      const clean = { result, carrier: comparableCarrier(h), journal: comparableJournal(h) };
      runs.push({ plan: { target, step, id, props, start, startCarrier, clean, inputs, startNumbers }, log });
      if (step === "create") {
        afterCreate = snapshot(h);
        createOuts = (result as { outs: PhoneNumberWebhooksOutputs }).outs;
        if (target.set) {
          id = (result as { id: string }).id;
          runs[0]!.plan.id = id;
        }
      }
    }
    const lookups = runs.find((r) => r.plan.step === "read")!.log.map(labelOf);
    const memberOriginals = target.set
      ? Object.fromEntries(
          target.set.members.map((m) => [m, runs[0]!.plan.startNumbers![m]!.webhooks] as const),
        )
      : undefined;
    return runs.map(({ plan, log }) => ({
      ...plan,
      calls: toCalls(target, log, plan.step === "read" ? log.map(labelOf) : lookups),
      originals: memberOriginals ? memberOriginals[target.phoneNumber]! : createOuts!.previousWebhooks,
      memberOriginals,
    }));
  } finally {
    await h.close();
  }
}

/** Every case of a step: each call × each fault × each variant (outage after the first write only). */
export function casesOf(plan: StepPlan): FaultCase[] {
  const firstWrite = plan.calls.find((c) => c.method === "POST" || c.method === "PATCH")?.index ?? Infinity;
  const cases: FaultCase[] = [];
  for (const fault of faultsOf(plan.target))
    for (const call of plan.calls)
      for (const variant of VARIANTS) {
        if (variant === "outage" && call.index <= firstWrite) continue;
        const nthOfLabel = Number(/ #(\d+)$/.exec(call.key)?.[1] ?? 1);
        const nth = nthOfLabel > 1 ? ` (${ordinal(nthOfLabel)})` : "";
        cases.push({
          id: `${plan.target.key} ${plan.step} ${call.key} ${fault.key} ${variant}`,
          title: `${call.label}${nth}: ${fault.label}, ${variant}`,
          plan,
          call,
          fault,
          variant,
        });
      }
  return cases;
}

const ordinal = (n: number) => `${n}${n === 2 ? "nd" : n === 3 ? "rd" : "th"} call to it`;

// -- running a case -------------------------------------------------------------------------------

export interface CaseResult extends ReportedResult {
  id: string;
  /** The worst event-loop stall during the (last) run, in ms. */
  stallMs: number;
}

function faultFor(c: FaultCase): FaultSpec {
  const { call, variant, plan } = c;
  const base = { ...c.fault.spec(plan.target.carrier), carrier: plan.target.carrier };
  if (variant === "outage") return { ...base, skip: call.index - 1, times: PERSISTENT_TIMES };
  return {
    ...base,
    method: call.method,
    path: new RegExp(`^${escapeRe(call.path)}$`),
    skip: call.occurrence - 1,
    times: variant === "transient" ? 1 : PERSISTENT_TIMES,
  };
}

type Settled =
  { status: "resolved"; value: unknown } | { status: "rejected"; error: unknown } | { status: "hung" };

async function settle(run: Promise<unknown>, deadlineMs: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ status: "hung" }), deadlineMs);
  });
  try {
    return await Promise.race([
      run.then(
        (value): Settled => ({ status: "resolved", value }),
        (error: unknown): Settled => ({ status: "rejected", error }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const SECRETS = (() => {
  const seed = matrixSeed();
  const sid = seed.twilio?.account_sid ?? "";
  const token = seed.twilio?.auth_token ?? "";
  return [
    token,
    ...(seed.twilio?.api_keys ?? []).map((k) => k.secret ?? ""),
    seed.telnyx?.api_key ?? "",
    seed.signalwire?.api_token ?? DEFAULT_API_TOKEN,
    Buffer.from(
      `${seed.signalwire?.project_id ?? DEFAULT_PROJECT_ID}:${seed.signalwire?.api_token ?? DEFAULT_API_TOKEN}`,
    ).toString("base64"),
    ...(seed.twilio?.subaccounts ?? []).map((a) => a.auth_token ?? ""),
    Buffer.from(`${sid}:${token}`).toString("base64"),
    "Bearer ",
  ].filter((s) => s.length > 0);
})();

/** Paths where two values differ (at most `max`), for messages; array items by id when they have one. */
function differences(a: unknown, b: unknown, max = 4, path = ""): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const keyed = (v: unknown): Map<string, unknown> | undefined => {
    if (v && typeof v === "object" && !Array.isArray(v)) return new Map(Object.entries(v));
    if (!Array.isArray(v)) return undefined;
    const byId = v.every((x) => x && typeof x === "object" && typeof (x as { id?: unknown }).id === "string");
    return new Map(v.map((x, i) => [byId ? `[id=${(x as { id: string }).id}]` : `[${i}]`, x]));
  };
  const ka = keyed(a);
  const kb = keyed(b);
  if (ka && kb && Array.isArray(a) === Array.isArray(b)) {
    const out: string[] = [];
    for (const k of new Set([...ka.keys(), ...kb.keys()])) {
      const sub = Array.isArray(a) ? `${path}${k}` : `${path}.${k}`;
      out.push(...differences(ka.get(k), kb.get(k), max, sub));
      if (out.length >= max) return out.slice(0, max);
    }
    return out;
  }
  const show = (v: unknown) => (v === undefined ? "missing" : JSON.stringify(v));
  return [`${path || "value"}: ${show(a)} instead of ${show(b)}`];
}

const CARRIER_WORD: Record<CarrierName, string> = {
  twilio: "Twilio",
  telnyx: "Telnyx",
  signalwire: "SignalWire",
};
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The message a rejected step must give: which call failed, how, and in whose words. */
function expectedMessage(c: FaultCase, failed: Pick<Call, "name" | "phase">): RegExp {
  const { carrier, phoneNumber } = c.plan.target;
  const spec = c.fault.spec(carrier);
  const how =
    spec.kind === "drop" || spec.kind === "hang"
      ? `: no answer from ${CARRIER_WORD[carrier]}`
      : ` \\(HTTP ${spec.status}\\)`;
  const prefix =
    c.plan.step !== "read" && failed.phase === "write"
      ? escapeRe(`Failed to update webhooks for ${phoneNumber} via ${carrier}: `)
      : "";
  return new RegExp(`^${prefix}${escapeRe(`${carrier} ${failed.name} failed`)}${how}`);
}

const CONVERGE_HINT = "run `pulumi up` again to converge";

export async function runCase(h: CarrierHarness, c: FaultCase): Promise<CaseResult> {
  const { plan, variant } = c;
  const control = h.sandbox.control;
  const problems: string[] = [];
  restore(h, plan.start);
  const startJournal = comparableJournal(h);
  control.injectFault(faultFor(c));

  const began = Date.now();
  const settled = await settle(runStep(h, plan, FAULT_ENV), STEP_DEADLINE_MS);
  const ms = Date.now() - began;
  control.clearFaults();
  const log = control.requests();
  const faultedRequests = log.filter((r) => r.fault);
  const first = faultedRequests[0];

  // The case tests what it says it tests.
  if (!first) problems.push("the fault never fired: the step did not make this call");
  else if (variant !== "outage" && requestKey(first) !== requestKey(c.call))
    problems.push(
      `the fault hit ${requestKey(first)} instead of ${requestKey(c.call)}; requests: ${describeLog(log.slice(0, log.indexOf(first) + 1))}`,
    );
  if (variant === "transient" && faultedRequests.length !== 1)
    problems.push(`a transient fault answered ${faultedRequests.length} requests`);
  // The call whose failure the message must name: the first one the fault answered.
  const failedName = first ? callName(plan.target.carrier, first) : c.call.name;
  const failedPhase =
    variant === "outage" && first
      ? (plan.calls.find((k) => k.index >= c.call.index && requestKey(k) === requestKey(first))?.phase ??
        "write")
      : c.call.phase;

  const bound = stepBound(plan.target);
  if (settled.status === "hung")
    problems.push(`the step did not settle within ${STEP_DEADLINE_MS / 1000} s: nothing bounds the hang`);
  else if (ms > bound)
    problems.push(
      `the step took ${ms} ms, more than ${bound} ms allowed by a ${REQUEST_TIMEOUT_MS} ms request timeout and a ${RETRY_TIMEOUT_MS} ms retry budget`,
    );
  if (control.releases().length)
    problems.push(`numbers were released: ${JSON.stringify(control.releases())}`);
  if (control.validationErrors().length)
    problems.push(`requests broke Twilio's OpenAPI: ${control.validationErrors().slice(0, 2).join("; ")}`);

  let outcome: string;
  let carrierState: string;
  if (plan.target.set && settled.status !== "hung" && variant !== "transient") {
    ({ outcome, carrierState } = await judgeSetFailure(h, c, settled, problems, {
      log,
      failedName,
      startJournal,
    }));
  } else if (settled.status === "hung") {
    outcome = `did not settle within ${STEP_DEADLINE_MS / 1000} s`;
    carrierState = "unknown (step still running)";
  } else if (variant === "transient") {
    outcome =
      settled.status === "resolved" ? "succeeded after retry" : `rejected: ${messageOf(settled.error)}`;
    if (settled.status === "rejected")
      problems.push(
        `the step failed on a transient fault: ${messageOf(settled.error)}; requests: ${describeLog(log)}`,
      );
    else checkResult(problems, plan, settled.value, "the result");
    const carrierDiff = differences(comparableCarrier(h), plan.clean.carrier);
    carrierState = carrierDiff.length ? "differs from the clean run" : "as after a clean run";
    if (carrierDiff.length)
      problems.push(`the carrier differs from the clean run's: ${carrierDiff.join("; ")}`);
    const journalDiff = differences(comparableJournal(h), plan.clean.journal);
    if (journalDiff.length)
      problems.push(`the journal differs from the clean run's: ${journalDiff.join("; ")}`);
  } else {
    if (settled.status === "resolved") {
      outcome =
        plan.step === "read" && isDeepStrictEqual(settled.value, {})
          ? "resolved {} (the engine would drop the resource from the state)"
          : "succeeded";
      problems.push(
        `the step ${outcome} although the carrier kept failing${plan.step === "read" ? "; read must reject" : ""}`,
      );
    } else {
      const message = messageOf(settled.error);
      outcome = `rejected: ${message}`;
      if (!(settled.error instanceof Error)) problems.push("rejected with something that is not an Error");
      const expected = expectedMessage(c, { name: failedName, phase: failedPhase });
      if (!expected.test(message)) problems.push(`the message does not match ${expected.source}`);
      const dump = `${message}\n${inspect(settled.error, { depth: 6 })}`;
      const leaked = SECRETS.filter((s) => dump.includes(s));
      if (leaked.length) problems.push(`the error carries credentials (${leaked.length})`);
    }
    const carrierDiff = differences(comparableCarrier(h), plan.startCarrier);
    const journalDiff = differences(comparableJournal(h), startJournal);
    if (!carrierDiff.length && !journalDiff.length) {
      carrierState = "as before the step";
    } else {
      carrierState = carrierDiff.length
        ? `changed (${carrierDiff.join("; ")})`
        : `as before the step; journal changed (${journalDiff.join("; ")})`;
      const documented = settled.status === "rejected" && messageOf(settled.error).includes(CONVERGE_HINT);
      if (carrierDiff.length && !documented)
        problems.push(`the carrier was left changed without saying so: ${carrierDiff.join("; ")}`);
      // Whatever was left behind, the next run with the faults gone must converge.
      const again = await settle(runStep(h, plan), STEP_DEADLINE_MS);
      if (again.status !== "resolved") {
        problems.push(
          `running the step again without faults did not converge: ${again.status === "rejected" ? messageOf(again.error) : "it hung"}`,
        );
        carrierState += "; re-run failed";
      } else {
        checkResult(problems, plan, again.value, "the re-run's result");
        const after = differences(comparableCarrier(h), plan.clean.carrier);
        if (after.length)
          problems.push(`after the re-run the carrier differs from the clean run's: ${after.join("; ")}`);
        const journalAfter = differences(comparableJournal(h), plan.clean.journal);
        if (journalAfter.length)
          problems.push(
            `after the re-run the journal differs from the clean run's: ${journalAfter.join("; ")}`,
          );
        carrierState += after.length ? "; re-run did not converge" : "; converged on re-run";
      }
    }
  }
  return {
    id: c.id,
    ok: problems.length === 0,
    problems,
    outcome,
    carrier: carrierState,
    ms,
    faulted: faultedRequests.length,
    attempts: 1,
    reruns: [],
    stallMs: 0,
  };
}

/** A step's result must be the clean run's, and previousWebhooks always the originals. */
function checkResult(problems: string[], plan: StepPlan, value: unknown, what: string): void {
  if (plan.target.set) return checkSetResult(problems, plan, value, what);
  const outs =
    (value as { outs?: PhoneNumberWebhooksOutputs; props?: PhoneNumberWebhooksOutputs } | undefined) ?? {};
  const previous = (outs.outs ?? outs.props)?.previousWebhooks;
  if (plan.step !== "delete" && !isDeepStrictEqual(previous, plan.originals))
    problems.push(
      `previousWebhooks lost or overwritten: ${differences(previous, plan.originals).join("; ")}`,
    );
  const diff = differences(value, plan.clean.result);
  if (diff.length) problems.push(`${what} differs from the clean run's: ${diff.join("; ")}`);
}

/** A set runs its members one at a time: each may take what one number's step may. */
export function stepBound(target: Target): number {
  return STEP_BOUND_MS * (target.set?.members.length ?? 1);
}

/** A set's result must be the clean run's, and every member's previous values the seed's. */
function checkSetResult(problems: string[], plan: StepPlan, value: unknown, what: string): void {
  const outs = value as { outs?: SetOutputs; props?: SetOutputs } | undefined;
  for (const [phone, member] of Object.entries((outs?.outs ?? outs?.props)?.members ?? {}))
    checkPrevious(problems, plan, phone, member, what);
  const diff = differences(value, plan.clean.result);
  if (diff.length) problems.push(`${what} differs from the clean run's: ${diff.join("; ")}`);
}

function checkPrevious(problems: string[], plan: StepPlan, phone: string, member: MemberState, what: string) {
  const seed = plan.memberOriginals?.[phone];
  const wrong = Object.entries(member.previous).filter(
    ([field, value]) => !seed || value !== seed[field as keyof WebhookSettings],
  );
  if (wrong.length)
    problems.push(
      `${what}: ${phone}'s previous values are not the seed's: ${wrong.map(([f, v]) => `${f} ${JSON.stringify(v)} instead of ${JSON.stringify(seed?.[f as keyof WebhookSettings])}`).join("; ")}`,
    );
}

/**
 * The members whose calls the fault answered. Members run one at a time: a request that names a
 * member (its number, or an id only it has) starts that member's calls; the others that follow
 * are its calls too (a shared object's), until the next member's.
 */
function suspectsOf(plan: StepPlan, log: RequestLogEntry[]): Set<string> {
  const members = plan.target.set!.members;
  const owners = new Map<string, string[]>();
  for (const m of members) {
    const ids = [m, ...Object.values(plan.startNumbers?.[m]?.ids ?? {}).filter((v) => typeof v === "string")];
    for (const id of ids as string[]) owners.set(id, [...(owners.get(id) ?? []), m]);
  }
  const mine = new Map<string, string>();
  for (const [id, who] of owners) if (new Set(who).size === 1) mine.set(id, who[0]!);
  const suspects = new Set<string>();
  let current: string | undefined;
  for (const r of log) {
    // A number in a query loses its "+" (decoded as a space, then trimmed): matched by its digits.
    const named = [...mine].find(([id]) => {
      const bare = id.replace(/^\+/, "");
      return r.path.includes(bare) || Object.values(r.query).some((v) => v.includes(bare));
    });
    if (named) current = named[1];
    if (r.fault) suspects.add(current ?? members[0]!);
  }
  return suspects;
}

const SET_OPERATION: Record<StepName, string> = {
  create: "apply",
  update: "apply",
  read: "read",
  delete: "restore",
};

/** How a set's step that did not succeed cleanly is judged (the rules for sets, at the top). */
async function judgeSetFailure(
  h: CarrierHarness,
  c: FaultCase,
  settled: Exclude<Settled, { status: "hung" }>,
  problems: string[],
  seen: { log: RequestLogEntry[]; failedName: string; startJournal: unknown },
): Promise<{ outcome: string; carrierState: string }> {
  const { plan } = c;
  const { target, step } = plan;
  const members = target.set!.members;
  if (settled.status === "resolved") {
    if (step === "read") {
      problems.push("the step succeeded although the carrier kept failing; read must reject");
      return { outcome: "succeeded", carrierState: "not judged" };
    }
    // A set may get through a fault no member needed: then it ends where the clean run ends.
    checkResult(problems, plan, settled.value, "the result");
    const diff = differences(comparableCarrier(h), plan.clean.carrier);
    if (diff.length)
      problems.push(`the step succeeded, but the carrier differs from the clean run's: ${diff.join("; ")}`);
    const journalDiff = differences(comparableJournal(h), plan.clean.journal);
    if (journalDiff.length)
      problems.push(
        `the step succeeded, but the journal differs from the clean run's: ${journalDiff.join("; ")}`,
      );
    return {
      outcome: "succeeded",
      carrierState: diff.length ? "differs from the clean run" : "as after a clean run",
    };
  }

  const error = settled.error;
  const message = messageOf(error);
  const outcome = `rejected: ${message}`;
  if (!(error instanceof Error)) problems.push("rejected with something that is not an Error");
  const dump = `${message}\n${inspect(error, { depth: 8 })}`;
  const leaked = SECRETS.filter((secret) => dump.includes(secret));
  if (leaked.length) problems.push(`the error carries credentials (${leaked.length})`);

  // The message: how many members failed, of how many, each of them, and the call that failed.
  const stored = (plan.props as unknown as SetOutputs | undefined)?.members ?? {};
  const total = step === "create" ? members.length : Object.keys(stored).length;
  const head = new RegExp(`^(\\d+) of ${total} number\\(s\\) failed to ${SET_OPERATION[step]}: `).exec(
    message,
  );
  if (!head)
    problems.push(
      `the message does not start "<n> of ${total} number(s) failed to ${SET_OPERATION[step]}: "`,
    );
  const count = Number(head?.[1] ?? 0);
  const spec = c.fault.spec(target.carrier);
  const how =
    spec.kind === "drop" || spec.kind === "hang"
      ? `: no answer from ${CARRIER_WORD[target.carrier]}`
      : ` \\(HTTP ${spec.status}\\)`;
  const call = new RegExp(`${escapeRe(`${target.carrier} ${seen.failedName} failed`)}${how}`);
  if (!call.test(message)) problems.push(`the message does not name the failed call (${call.source})`);
  // A member whose own calls were not faulted may fail too, on a lookup it shares with the
  // members before it (an account's Messaging Services, listed once per operation); but at least
  // one member's own call was.
  const suspects = suspectsOf(plan, seen.log);
  const partial = error as { id?: unknown; properties?: SetOutputs & { __provider?: unknown } };
  const properties = step === "create" || step === "update" ? partial.properties : undefined;
  const recorded = properties?.members ?? {};
  const cleanOuts = (plan.clean.result as { outs?: SetOutputs } | undefined)?.outs;
  // Who failed: a create records only the members it applied; an update keeps a failed member's
  // old record (read again: on an object another member wrote, it may then equal the clean run's,
  // so a member the message names counts too); read and delete record nothing, so the message is
  // all there is.
  const failed =
    step === "create"
      ? members.filter((m) => !recorded[m])
      : step === "update"
        ? members.filter((m) => !isDeepStrictEqual(recorded[m], cleanOuts?.members[m]) || message.includes(m))
        : members.filter((m) => message.includes(m));
  if (head && count !== failed.length)
    problems.push(
      `the message counts ${count} failed member(s), but ${failed.length} failed (${failed.join(", ") || "none"})`,
    );
  for (const m of failed) {
    if (!message.includes(m)) problems.push(`the message does not name ${m}, which failed`);
  }
  if (failed.length && !failed.some((m) => suspects.has(m)))
    problems.push(`none of the failed members (${failed.join(", ")}) made a faulted call`);
  const hint = message.includes(CONVERGE_HINT);

  if ((step === "create" || step === "update") && properties) {
    if (partial.id !== plan.id)
      problems.push(`the error's id is ${JSON.stringify(partial.id)}, not ${plan.id}`);
    if (properties.__provider !== "stored")
      problems.push("the error's properties lost the provider reference");
  } else if (step === "create" || step === "update")
    problems.push("the error carries no properties: what the step applied would be forgotten");

  // Every member recorded matches the carrier; every member not recorded is as before the step.
  // Except where a member shares the object that holds a field (a Telnyx application or profile)
  // with a member the step did write and record: the object holds that member's value for both.
  const live = await liveNumbers(h, target);
  const mismatched: string[] = [];
  const holder = (field: string) =>
    isVoiceField(field as WebhookField) ? "connectionId" : "messagingProfileId";
  const changedOnlyBySharing = (m: string) => {
    const now = live[m];
    const start = plan.startNumbers?.[m];
    if (!now || !start || !isDeepStrictEqual(now.ids, start.ids)) return false;
    const changed = Object.keys(now.webhooks).filter(
      (f) => now.webhooks[f as keyof WebhookSettings] !== start.webhooks[f as keyof WebhookSettings],
    );
    return changed.every((f) => writtenForAnother(m, f));
  };
  const writtenForAnother = (m: string, field: string) => {
    const on = live[m]?.ids[holder(field)];
    const value = live[m]?.webhooks[field as keyof WebhookSettings];
    return (
      !!on &&
      members.some(
        (r) =>
          r !== m &&
          live[r]?.ids[holder(field)] === on &&
          recorded[r]?.webhooks[field as keyof WebhookSettings] === value,
      )
    );
  };
  for (const m of members) {
    const now = live[m];
    const record = recorded[m];
    if (step !== "create" && step !== "update") break;
    if (record) {
      checkPrevious(problems, plan, m, record, "the recorded member");
      const wrong = Object.entries(record.webhooks).filter(
        ([f, v]) => now?.webhooks[f as keyof WebhookSettings] !== v && !writtenForAnother(m, f),
      );
      const ids = Object.entries(record.ids).filter(
        ([k, v]) => now?.ids[k] !== undefined && now.ids[k] !== v,
      );
      if (!now || wrong.length || ids.length)
        mismatched.push(
          `${m} is recorded with ${[...wrong.map(([f, v]) => `${f} ${JSON.stringify(v)} (live ${JSON.stringify(now?.webhooks[f as keyof WebhookSettings])})`), ...ids.map(([k, v]) => `${k} ${v} (live ${String(now?.ids[k])})`)].join(", ") || "a number the carrier no longer has"}`,
        );
    } else if (!isDeepStrictEqual(now, plan.startNumbers?.[m]) && !changedOnlyBySharing(m)) {
      mismatched.push(
        `${m} is not recorded, yet changed: ${differences(now, plan.startNumbers?.[m]).join("; ")}`,
      );
    }
  }
  if (mismatched.length && !hint)
    problems.push(`the carrier and the error's record disagree without saying so: ${mismatched.join("; ")}`);
  for (const o of target.set!.outsiders)
    if (!isDeepStrictEqual(live[o], plan.startNumbers?.[o]))
      problems.push(
        `${o}, not a member, changed: ${differences(live[o], plan.startNumbers?.[o]).join("; ")}`,
      );
  if (step === "delete")
    for (const m of members.filter((x) => !message.includes(x))) {
      const seed = plan.memberOriginals?.[m];
      const wrong = Object.keys(stored[m]?.previous ?? {}).filter(
        (f) => live[m]?.webhooks[f as keyof WebhookSettings] !== seed?.[f as keyof WebhookSettings],
      );
      if (wrong.length) problems.push(`${m} did not fail, yet its ${wrong.join(", ")} are not the seed's`);
    }

  // The journal: an entry as at the start, or for a member the create recorded or partially applied.
  const startJournal = seen.startJournal as Record<string, unknown>;
  const cleanJournal = plan.clean.journal as Record<string, unknown>;
  for (const [file, entry] of Object.entries(
    comparableJournal(h) as Record<string, { phoneNumber: string }>,
  )) {
    if (isDeepStrictEqual(entry, startJournal[file])) continue;
    const m = entry.phoneNumber;
    const allowed =
      (step === "create" && (recorded[m] !== undefined || failed.includes(m))) ||
      (step === "update" && isDeepStrictEqual(entry, cleanJournal[file])) ||
      (hint && failed.includes(m));
    if (!allowed)
      problems.push(
        `the journal holds an entry for ${m}, which the step neither recorded by create nor partially applied`,
      );
  }

  const before = differences(comparableCarrier(h), plan.startCarrier);
  const recordedText =
    step === "create" || step === "update"
      ? `${Object.keys(recorded).length} of ${members.length} recorded; `
      : "";
  const carrierState = `${recordedText}${before.length ? "carrier changed" : "carrier as before the step"}${mismatched.length ? ` (${mismatched.join("; ")})` : ""}`;
  if (step === "read") {
    if (before.length) problems.push(`the read changed the carrier: ${before.join("; ")}`);
    return { outcome, carrierState };
  }

  // What the engine does next, with the faults gone: `up` updates from what the error recorded;
  // `destroy` deletes again from the state (a failed delete leaves it).
  const rerun = await settle(
    runSetStep(
      h,
      step === "delete"
        ? plan
        : properties
          ? { ...plan, step: "update", props: properties as unknown as PhoneNumberWebhooksOutputs }
          : plan,
      {},
    ),
    STEP_DEADLINE_MS,
  );
  if (rerun.status !== "resolved") {
    problems.push(
      `running it again without faults did not converge: ${rerun.status === "rejected" ? messageOf(rerun.error) : "it hung"}`,
    );
    return { outcome, carrierState: `${carrierState}; re-run failed` };
  }
  const after = differences(comparableCarrier(h), plan.clean.carrier);
  if (after.length)
    problems.push(`after the re-run the carrier differs from the clean run's: ${after.join("; ")}`);
  if (step !== "delete") {
    const outs = (rerun.value as { outs?: SetOutputs }).outs;
    for (const [phone, member] of Object.entries(outs?.members ?? {}))
      checkPrevious(problems, plan, phone, member, "the re-run's result");
    const diff = differences(outs, cleanOuts);
    if (diff.length) problems.push(`the re-run's outputs differ from the clean run's: ${diff.join("; ")}`);
  }
  return {
    outcome,
    carrierState: `${carrierState}; ${after.length ? "re-run did not converge" : "converged on re-run"}`,
  };
}

/** The request log in one line: "GET list phone_numbers 200 12ms, PATCH … 0 hang 300ms, …". */
function describeLog(log: RequestLogEntry[]): string {
  return log
    .map((r) => `${r.method} ${r.path} ${r.status}${r.fault ? ` ${r.fault}` : ""} ${Math.round(r.ms)}ms`)
    .join(", ");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// -- running the matrix ---------------------------------------------------------------------------

/**
 * Records how late a 10 ms timer fires. The sandbox and the provider share this process's event
 * loop: a stall longer than the request timeout makes a healthy request time out, which is the
 * environment's fault, not the provider's.
 */
class StallMonitor {
  private readonly stalls: Array<{ at: number; ms: number }> = [];
  private readonly timer: NodeJS.Timeout;
  constructor() {
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - last - 10;
      if (late > 20) this.stalls.push({ at: Date.now(), ms: Math.round(late) });
      last = now;
    }, 10);
  }
  worst(from = 0, to = Infinity): number {
    let worst = 0;
    for (const s of this.stalls) if (s.at >= from && s.at - s.ms <= to) worst = Math.max(worst, s.ms);
    return worst;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** A failing run that saw a stall this long is run again. */
export const STALL_LIMIT_MS = REQUEST_TIMEOUT_MS / 2;
/** Runs of one case at most, when a busy machine stalls the event loop (and so the sandbox). */
export const MAX_ATTEMPTS = 5;

export interface MatrixRun {
  results: CaseResult[];
  ms: number;
  /** The event loop's worst stall while running. */
  worstStallMs: number;
  /** Cases run more than once (after a stall). */
  rerun: number;
}

export interface RunOptions {
  /** Groups (one sandbox each) running at once. */
  concurrency?: number;
  onResult?: (c: FaultCase, r: CaseResult) => void;
}

/** Rough seconds a case waits (retry delays, timeouts, budgets): to start the slowest groups first. */
function expectedSeconds(c: FaultCase): number {
  if (c.variant === "outage") return 4;
  if (c.variant === "persistent") return c.fault.key === "429-retry-after" ? 1.1 : 1.9;
  return c.fault.key === "429-retry-after" ? 1.1 : c.fault.key === "hang" ? 0.6 : 0.35;
}

/**
 * Runs every case. Cases are grouped by target, step, fault and variant; a group shares one
 * sandbox (reset between cases) and runs its cases one after another; groups run concurrently,
 * since most of a case is spent waiting for retry delays and timeouts, not computing.
 */
export async function runMatrix(cases: FaultCase[], options: RunOptions = {}): Promise<MatrixRun> {
  const groups = new Map<string, FaultCase[]>();
  for (const c of cases) {
    const key = `${c.plan.target.key}/${c.plan.step}/${c.fault.key}/${c.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const weight = (g: FaultCase[]) => g.reduce((sum, c) => sum + expectedSeconds(c), 0);
  const queue = [...groups.values()].sort((a, b) => weight(b) - weight(a));
  const results = new Map<string, CaseResult>();
  const monitor = new StallMonitor();
  let rerun = 0;
  const began = Date.now();
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      const h = await startHarness(seedOf(group[0]!.plan.target));
      try {
        for (const c of group) {
          let result: CaseResult;
          const reruns: string[] = [];
          for (let attempt = 1; ; attempt++) {
            const from = Date.now();
            result = await runCase(h, c);
            result.stallMs = monitor.worst(from, Date.now());
            const reason =
              !result.ok && result.stallMs >= STALL_LIMIT_MS
                ? `the event loop stalled ${result.stallMs} ms: ${result.problems[0] ?? ""}`
                : undefined;
            if (!reason) break;
            if (attempt >= MAX_ATTEMPTS) {
              result.problems.push(
                `every run stalled (the event loop stalled ${result.stallMs} ms in the last one, against a ${REQUEST_TIMEOUT_MS} ms request timeout): the machine is too busy for this case to be conclusive`,
              );
              break;
            }
            reruns.push(reason);
          }
          result.attempts = reruns.length + 1;
          result.reruns = reruns;
          if (reruns.length) rerun += 1;
          results.set(c.id, result);
          options.onResult?.(c, result);
        }
      } finally {
        await h.close();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 32) }, worker));
  } finally {
    monitor.stop();
  }
  return {
    results: cases.map((c) => results.get(c.id)!),
    ms: Date.now() - began,
    worstStallMs: monitor.worst(),
    rerun,
  };
}
