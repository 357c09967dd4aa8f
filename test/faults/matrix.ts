/**
 * Issue 5's fault matrix, for the tests (test/faults/*.test.ts). The report
 * (scripts/report-reliability.ts) runs matrix.test.ts and reads its results, so that both judge
 * every case by the same rules.
 *
 * For each target (a carrier and a number) and each lifecycle step, a clean dry run records the
 * step's carrier calls in order. Every (step, call, fault, variant) is then a case: the step runs
 * again from the same starting state, on a fresh provider, with the fault aimed at exactly that call
 * (same method and path; `skip` lets the earlier calls to the same endpoint through).
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
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { inspect, isDeepStrictEqual } from "node:util";
import type { PhoneNumberWebhooksOutputs } from "../../provider/schema";
import type { CaseResult as ReportedResult } from "../../scripts/report-reliability";
import type { CheckedArgs } from "../../provider/schema";
import type { WebhookSettings } from "../../provider/webhooks";
import type { FaultSpec, RequestLogEntry, SandboxSeed } from "../../sandbox";
import { telnyxFaultResponse } from "../../sandbox/telnyx";
import { twilioFaultResponse } from "../../sandbox/twilio";
import { demoSeed, startHarness, type CarrierHarness } from "../support/sandbox";

// -- the dimensions -------------------------------------------------------------------------------

export type CarrierName = "twilio" | "telnyx";
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
}

const SUBACCOUNT = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
const SUBACCOUNT_NUMBER = "+13105550111";

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
];

export const targetByKey = (key: string): Target => {
  const target = TARGETS.find((t) => t.key === key);
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
  const response =
    carrier === "twilio" ? twilioFaultResponse(429, undefined) : telnyxFaultResponse(429, undefined);
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
  plan: Pick<StepPlan, "target" | "step" | "id" | "props">,
  env: Record<string, string> = {},
): Promise<unknown> {
  const provider = h.provider(env);
  const { target, step, id, props } = plan;
  switch (step) {
    case "create": {
      const { inputs } = await provider.check({}, target.args);
      return provider.create(inputs as unknown as CheckedArgs);
    }
    case "read":
      return provider.read(id, props);
    case "update": {
      const { inputs } = await provider.check(props, updateArgs(target));
      return provider.update(id, props!, inputs as unknown as CheckedArgs);
    }
    case "delete":
      return provider.delete(id, props!);
  }
}

const requestKey = (r: { method: string; path: string; query: Record<string, string> }) =>
  `${r.method} ${r.path}?${new URLSearchParams(r.query).toString()}`;

/** The provider's name for a call, as its CarrierErrors give it. */
export function callName(
  carrier: CarrierName,
  r: Pick<RequestLogEntry, "method" | "path" | "query">,
): string {
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
    else writing = true;
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
  const h = await startHarness(matrixSeed());
  try {
    const id = `${target.carrier}:${target.phoneNumber}`;
    const runs: Array<{ plan: Omit<StepPlan, "calls" | "originals">; log: RequestLogEntry[] }> = [];
    let afterCreate: Snapshot | undefined;
    let createOuts: PhoneNumberWebhooksOutputs | undefined;
    const seedSnapshot = snapshot(h);
    for (const step of STEPS) {
      const start = step === "create" ? seedSnapshot : afterCreate!;
      const props = step === "create" ? undefined : createOuts;
      restore(h, start);
      const startCarrier = comparableCarrier(h);
      const result = await runStep(h, { target, step, id, props });
      const log = h.sandbox.control.requests();
      const bad = log.filter((r) => r.fault || r.status >= 300);
      if (bad.length) throw new Error(`dry run of ${target.key} ${step}: ${bad.map(requestKey).join(", ")}`);
      const clean = { result, carrier: comparableCarrier(h), journal: comparableJournal(h) };
      runs.push({ plan: { target, step, id, props, start, startCarrier, clean }, log });
      if (step === "create") {
        afterCreate = snapshot(h);
        createOuts = (result as { outs: PhoneNumberWebhooksOutputs }).outs;
      }
    }
    const lookups = runs.find((r) => r.plan.step === "read")!.log.map(labelOf);
    return runs.map(({ plan, log }) => ({
      ...plan,
      calls: toCalls(target, log, plan.step === "read" ? log.map(labelOf) : lookups),
      originals: createOuts!.previousWebhooks,
    }));
  } finally {
    await h.close();
  }
}

/** Every case of a step: each call × each fault × each variant (outage after the first write only). */
export function casesOf(plan: StepPlan): FaultCase[] {
  const firstWrite = plan.calls.find((c) => c.method === "POST" || c.method === "PATCH")?.index ?? Infinity;
  const cases: FaultCase[] = [];
  for (const fault of FAULTS)
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

const CARRIER_WORD: Record<CarrierName, string> = { twilio: "Twilio", telnyx: "Telnyx" };
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

  if (settled.status === "hung")
    problems.push(`the step did not settle within ${STEP_DEADLINE_MS / 1000} s: nothing bounds the hang`);
  else if (ms > STEP_BOUND_MS)
    problems.push(
      `the step took ${ms} ms, more than ${STEP_BOUND_MS} ms allowed by a ${REQUEST_TIMEOUT_MS} ms request timeout and a ${RETRY_TIMEOUT_MS} ms retry budget`,
    );
  if (control.releases().length)
    problems.push(`numbers were released: ${JSON.stringify(control.releases())}`);
  if (control.validationErrors().length)
    problems.push(`requests broke Twilio's OpenAPI: ${control.validationErrors().slice(0, 2).join("; ")}`);

  let outcome: string;
  let carrierState: string;
  if (settled.status === "hung") {
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
      const h = await startHarness(matrixSeed());
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
