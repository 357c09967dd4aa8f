/**
 * `npm run bench` (issues 6 and 11): the real Pulumi engine against the local carrier sandbox with
 * injected latency, for N numbers split across Twilio, Telnyx and SignalWire (`--carriers`; Telnyx numbers grouped ~10 per
 * application and messaging profile). Per N and variant: a preview of the creates, up from
 * scratch, `preview --refresh --expect-no-changes`, a preview and an up with 10% of the URLs
 * changed, destroy. Per phase: wall time, the
 * latency floor, carrier calls by endpoint, state size, the dynamic provider's peak RSS.
 *
 * Two variants of the same workload, each on a sandbox seeded alike: "per-number" (one
 * `PhoneNumberWebhooks` per number; only up to 1,000 numbers, where the engine's per-resource cost
 * already dominates) and "set" (one `PhoneNumberWebhooksSet` per carrier, members from the data
 * file, the 10% change as per-member overrides).
 *
 *   npx tsx scripts/bench.ts [--sizes 100,1000,10000] [--latency 80] [--group-size 10]
 *     [--set-concurrency 16] [--variants per-number,set] [--carriers twilio,telnyx,signalwire]
 *     [--large-latency 20]
 *
 * `npm run bench` builds first; each project gets its own copy of the built package (see
 * `installPackage`), so a later build cannot change a run midway. Raw numbers go to
 * .bench/results-<timestamp>.json. Targets that FAIL do not change
 * the exit code; a pulumi up/destroy that fails does (exit 1).
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  providerEnvironment,
  startSandbox,
  type RequestLogEntry,
  type Sandbox,
  type SandboxSeed,
} from "../sandbox";
import { Agent } from "undici";
import { PhoneNumberWebhooksProvider } from "../provider/lifecycle";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE } from "../provider/type-token";
import { PreflightServer } from "../sandbox/preflight-server";
import { ensurePulumiCli, PulumiProject, REPO_ROOT, RESOURCE_TYPE } from "./pulumi-project";

const STACK = "bench";
// The numbers come from a data file beside the program: in stack config, 1,000 of them overflow
// the environment string the engine hands the program ("argument list too long").
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { readFileSync } = require("fs");
const { PhoneNumberWebhooks } = require("pulumi-phone-webhooks");
const numbers = JSON.parse(readFileSync(\`\${__dirname}/numbers.\${pulumi.getStack()}.json\`, "utf8"));
for (const { name, ...args } of numbers) new PhoneNumberWebhooks(name, args);
`;
// The set variant's data file holds the sets, each with its members.
const SET_PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { readFileSync } = require("fs");
const { PhoneNumberWebhooksSet } = require("pulumi-phone-webhooks");
const sets = JSON.parse(readFileSync(\`\${__dirname}/sets.\${pulumi.getStack()}.json\`, "utf8"));
for (const { name, ...args } of sets) new PhoneNumberWebhooksSet(name, args);
`;
// No `refresh: always`: only phase 2 refreshes, so each phase measures one thing.
const PULUMI_YAML = "name: bench\nruntime: nodejs\nmain: index.js\n";

type Carrier = "twilio" | "telnyx" | "signalwire";
const CARRIERS: readonly Carrier[] = ["twilio", "telnyx", "signalwire"];
interface Declared {
  name: string;
  phoneNumber: string;
  provider: Carrier;
  voiceUrl: string;
  smsUrl: string;
  allowSharedUpdate?: boolean;
}
type MemberEntry = string | { phoneNumber: string; voiceUrl: string; smsUrl: string };
/** One `PhoneNumberWebhooksSet` of the set variant, as its data file declares it. */
interface DeclaredSet {
  name: string;
  provider: Carrier;
  voiceUrl: string;
  smsUrl: string;
  onShared?: "update";
  concurrency: number;
  numbers: MemberEntry[];
}
type Variant = "per-number" | "set";
/** Above this, the per-number variant is not run: the engine's own per-resource cost dominates it. */
const PER_NUMBER_MAX = 1000;
interface Phase {
  name: string;
  args: string[];
  /** Dependent round trips one resource needs at least: read the number, then write it. */
  chain: number;
  measureState?: boolean;
}
interface CarrierCalls {
  reads: number;
  writes: number;
  listCalls: number;
  /** Largest page size the provider asked for on a list call (the carrier's max when it listed nothing). */
  pageSize: number;
  numbers: number;
  pagesNeeded: number;
}
interface StateStats {
  resources: number;
  /** Numbers the resources manage: one per resource, or the sets' `memberCount`s. */
  members: number;
  bytesPerMember: number;
  bytesPerResource: number;
  maxResourceBytes: number;
  maxProviderChars: number;
  /** Where the largest resource's bytes go: inputs, and its biggest outputs. */
  largestBreakdown: Record<string, number>;
}
interface PhaseResult {
  n: number;
  variant: Variant;
  /** Operations in flight at most: the engine's parallelism, or each set's concurrency. */
  concurrency: number;
  phase: string;
  exitCode: number;
  wallMs: number;
  floorMs: number;
  /** Dependent round trips the floor assumes at least (per-resource chain, plus listing pages for a set). */
  floorChain: number;
  ratio: number;
  calls: number;
  reads: number;
  writes: number;
  byEndpoint: Record<string, number>;
  byCarrier: Record<Carrier, CarrierCalls>;
  state?: StateStats;
  peakRssMb: number | null;
  providerProcesses: number;
  /** CPU seconds of the Pulumi engine, the program (language host's node), the dynamic provider(s). */
  cpuS: Record<ProcessKind, number>;
  /** The sandbox's latency per carrier request in this phase. */
  latencyMs: number;
  outputTail?: string;
}

const PAGE_MAX: Record<Carrier, number> = { twilio: 1000, telnyx: 250, signalwire: 1000 };
const PAGE_DEFAULT: Record<Carrier, number> = { twilio: 50, telnyx: 20, signalwire: 50 };
const LIST_ENDPOINT = /IncomingPhoneNumbers\.json$|\/phone_numbers(\/messaging)?$/;
const UP = ["up", "--yes", "--skip-preview"];
/**
 * The two plain previews measure what the preview's checks cost (issue 19): every create is
 * planned, then 10% of the numbers change; `check` asks the carriers what up would refuse, and
 * nothing else in a preview reads them.
 */
const PHASES: Phase[] = [
  { name: "preview", args: ["preview"], chain: 1 },
  { name: "up", args: UP, chain: 2, measureState: true },
  { name: "preview --refresh", args: ["preview", "--refresh", "--expect-no-changes"], chain: 1 },
  { name: "preview 10% changed", args: ["preview"], chain: 1 },
  { name: "up 10% changed", args: UP, chain: 2, measureState: true },
  { name: "destroy", args: ["destroy", "--yes", "--skip-preview"], chain: 2 },
];

/** A Twilio number in the bench's account that no resource declares, in the "campaigns" service. */
const CAMPAIGN_NUMBER = "+14155559999";
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const pad = (i: number) => String(i).padStart(4, "0");
/**
 * The i-th bench number of an area code: exchange 555 first (the numbers the bench always used),
 * then 556, 557, …, 9,999 numbers each, so that none is +1…5559999 (the campaigns number).
 */
const benchNumber = (areaCode: "415" | "312" | "646", i: number) =>
  `+1${areaCode}${555 + Math.floor(i / 9999)}${pad(i % 9999)}`;
/** Sizes from here run at `--large-latency`: at 80 ms the floors of 100,000 numbers alone are minutes. */
const LARGE_N = 50_000;
const run = (file: string, args: string[], timeout: number) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile(file, args, { timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: stdout + stderr }),
    ),
  );

/**
 * N split among the carriers: Twilio numbers with their own URLs (every 10th in a Messaging Service
 * that defers to the number, and one more, not declared, in one that does not); SignalWire numbers
 * with their own URLs (LaML webhooks); Telnyx numbers, `groupSize` per
 * application and profile.
 */
function workload(n: number, groupSize: number, carriers: readonly Carrier[]) {
  // N split evenly among the carriers benched (the first ones take the remainder).
  const share = (carrier: Carrier) => {
    const at = carriers.indexOf(carrier);
    return at < 0 ? 0 : Math.floor(n / carriers.length) + (at < n % carriers.length ? 1 : 0);
  };
  const nTwilio = share("twilio");
  const nTelnyx = share("telnyx");
  const nSignalwire = share("signalwire");
  const groups = Math.ceil(nTelnyx / groupSize);
  const legacy = (what: string) => `https://legacy.example.com/${what}`;
  const seed: SandboxSeed = {
    twilio: {
      incoming_phone_numbers: range(nTwilio).map((i) => ({
        phone_number: benchNumber("415", i),
        friendly_name: `line ${i}`,
        voice_url: legacy(`twilio/${i}/voice`),
        voice_method: "POST",
        sms_url: legacy(`twilio/${i}/sms`),
        sms_method: "POST",
      })),
      messaging_services: [
        {
          friendly_name: "notifications",
          use_inbound_webhook_on_number: true,
          phone_numbers: range(nTwilio)
            .filter((i) => i % 10 === 0)
            .map((i) => benchNumber("415", i)),
        },
        {
          friendly_name: "campaigns",
          use_inbound_webhook_on_number: false,
          inbound_request_url: legacy("campaigns"),
          phone_numbers: [CAMPAIGN_NUMBER],
        },
      ],
    },
    telnyx: {
      call_control_applications: range(groups)
        .filter((g) => g % 2 === 0)
        .map((g) => ({ application_name: `app-${g}`, webhook_event_url: legacy(`app-${g}/events`) })),
      texml_applications: range(groups)
        .filter((g) => g % 2 === 1)
        .map((g) => ({
          friendly_name: `app-${g}`,
          voice_url: legacy(`app-${g}/texml`),
          voice_method: "post",
        })),
      messaging_profiles: range(groups).map((g) => ({ name: `profile-${g}`, webhook_url: legacy(`p-${g}`) })),
      phone_numbers: range(nTelnyx).map((i) => ({
        phone_number: benchNumber("312", i),
        connection_name: `app-${Math.floor(i / groupSize)}`,
        messaging_profile_name: `profile-${Math.floor(i / groupSize)}`,
      })),
    },
    signalwire: {
      phone_numbers: range(nSignalwire).map((i) => ({
        number: benchNumber("646", i),
        name: `line ${i}`,
        call_handler: "laml_webhooks",
        call_request_url: legacy(`signalwire/${i}/voice`),
        message_handler: "laml_webhooks",
        message_request_url: legacy(`signalwire/${i}/sms`),
      })),
    },
  };
  const declare = (version: (key: number | string) => string): Declared[] => [
    ...range(nTwilio).map((i) => ({
      name: `twilio-${pad(i)}`,
      phoneNumber: benchNumber("415", i),
      provider: "twilio" as const,
      voiceUrl: `https://hooks.example.com${version(i)}/twilio/${i}/voice`,
      smsUrl: `https://hooks.example.com${version(i)}/twilio/${i}/sms`,
    })),
    // Numbers that share an application or profile must want the same URLs: they are one setting.
    ...range(nTelnyx).map((i) => {
      const g = Math.floor(i / groupSize);
      const shared = Math.min(groupSize, nTelnyx - g * groupSize) > 1;
      const voiceUrl = `https://hooks.example.com${version(`g${g}`)}/telnyx/app-${g}/voice`;
      const smsUrl = `https://hooks.example.com${version(`g${g}`)}/telnyx/profile-${g}/sms`;
      return {
        name: `telnyx-${pad(i)}`,
        phoneNumber: benchNumber("312", i),
        provider: "telnyx" as const,
        voiceUrl,
        smsUrl,
        ...(shared ? { allowSharedUpdate: true } : {}),
      };
    }),
    // Webhooks on the number, as Twilio's.
    ...range(nSignalwire).map((i) => ({
      name: `signalwire-${pad(i)}`,
      phoneNumber: benchNumber("646", i),
      provider: "signalwire" as const,
      voiceUrl: `https://hooks.example.com${version(`s${i}`)}/signalwire/${i}/voice`,
      smsUrl: `https://hooks.example.com${version(`s${i}`)}/signalwire/${i}/sms`,
    })),
  ];
  // "10% of URLs": every 10th Twilio number's URLs, and every 10th Telnyx application's and
  // profile's URLs (a Telnyx URL is one setting of the whole group).
  const changed = (key: number | string) =>
    (typeof key === "number" ? key : Number(key.slice(1))) % 10 === 0 ? "/v2" : "";
  const changedDeclared = declare(changed);
  /**
   * The set variant: one set per carrier with one pair of URLs for all its members; in phase 3 the
   * same numbers as the per-number variant's change, each by an override with the same new URLs
   * (a whole Telnyx group at once: its members share the application and profile).
   */
  const declareSets = (withChanges: boolean, concurrency: number): DeclaredSet[] => {
    const members = (carrier: Carrier): MemberEntry[] =>
      changedDeclared
        .filter((d) => d.provider === carrier)
        .map((d) =>
          withChanges && d.voiceUrl.includes("/v2/")
            ? { phoneNumber: d.phoneNumber, voiceUrl: d.voiceUrl, smsUrl: d.smsUrl }
            : d.phoneNumber,
        );
    const set = (carrier: Carrier): DeclaredSet => ({
      name: `${carrier}-fleet`,
      provider: carrier,
      voiceUrl: `https://hooks.example.com/${carrier}/fleet/voice`,
      smsUrl: `https://hooks.example.com/${carrier}/fleet/sms`,
      ...(carrier === "telnyx" ? { onShared: "update" as const } : {}),
      concurrency,
      numbers: members(carrier),
    });
    return CARRIERS.map(set).filter((d) => d.numbers.length > 0);
  };
  return {
    seed: withCampaignNumber(seed),
    nTwilio,
    nTelnyx,
    nSignalwire,
    groups,
    /** The pages of the Telnyx object listings its numbers are on, as the seed makes them. */
    telnyxObjectPages: [
      seed.telnyx?.call_control_applications,
      seed.telnyx?.texml_applications,
      seed.telnyx?.messaging_profiles,
    ].reduce((pages, objects = []) => pages + Math.ceil(objects.length / PAGE_MAX.telnyx), 0),
    initial: declare(() => ""),
    changed: changedDeclared,
    declareSets,
    changedNote: `${Math.ceil(nTwilio / 10)} Twilio numbers + ${Math.ceil(groups / 10)} of ${groups} Telnyx app/profile groups + ${Math.ceil(nSignalwire / 10)} SignalWire numbers`,
  };
}

function withCampaignNumber(seed: SandboxSeed): SandboxSeed {
  seed.twilio!.incoming_phone_numbers!.push({ phone_number: CAMPAIGN_NUMBER, friendly_name: "campaigns" });
  return seed;
}

type ProcessKind = "engine" | "program" | "provider" | "other";
/** /proc/<pid>/stat after the command name: [state, ppid, ..., utime (11), stime (12), ...]. */
const statFields = (pid: string) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
};
const kindOf = (cmdline: string): ProcessKind =>
  cmdline.includes("dynamic-provider")
    ? "provider"
    : cmdline.includes("@pulumi/pulumi/cmd/run")
      ? "program"
      : /(^|\/)pulumi\0/.test(cmdline)
        ? "engine"
        : "other";

/**
 * Polls /proc every 100 ms for this run's processes (descendants of this one): the peak VmHWM of
 * the dynamic provider processes, and CPU time (utime + stime, last seen) by kind of process.
 */
class ProcessSampler {
  private timer?: NodeJS.Timeout;
  private peakKb = 0;
  private readonly providers = new Set<number>();
  private readonly cpuTicks = new Map<number, { kind: ProcessKind; ticks: number }>();

  start(): void {
    this.timer = setInterval(() => this.sample(), 100);
  }
  stop() {
    clearInterval(this.timer);
    this.sample();
    const cpuS: Record<ProcessKind, number> = { engine: 0, program: 0, provider: 0, other: 0 };
    for (const { kind, ticks } of this.cpuTicks.values()) cpuS[kind] += ticks / 100; // USER_HZ
    return { peakRssMb: this.peakKb ? this.peakKb / 1024 : null, processes: this.providers.size, cpuS };
  }
  private sample(): void {
    const stats = new Map<number, string[]>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        stats.set(Number(entry), statFields(entry));
      } catch {
        // exited between readdir and read
      }
    }
    const ours = (pid: number): boolean => {
      for (let p = pid, depth = 0; depth < 32; depth++) {
        p = Number(stats.get(p)?.[1] ?? 0);
        if (p === process.pid) return true;
        if (p <= 1) return false;
      }
      return false;
    };
    for (const [pid, fields] of stats) {
      if (!ours(pid)) continue;
      try {
        // An exited process (a zombie) has an empty command line: keep what it was seen as.
        const seen = kindOf(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        const kind = seen === "other" ? (this.cpuTicks.get(pid)?.kind ?? seen) : seen;
        this.cpuTicks.set(pid, { kind, ticks: Number(fields[11]) + Number(fields[12]) });
        if (kind !== "provider") continue;
        this.providers.add(pid);
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm?.[1]) this.peakKb = Math.max(this.peakKb, Number(hwm[1]));
      } catch {
        // exited
      }
    }
  }
}

/** Every webhook URL in the sandbox, to check that destroy gave each number its URLs back. */
function webhookSnapshot(sandbox: Sandbox): Map<string, string> {
  const { twilio, telnyx, signalwire } = sandbox.control.state();
  return new Map<string, string>([
    ...twilio.incoming_phone_numbers.flatMap((n) => [
      [`twilio ${n.phone_number} voice_url`, String(n.voice_url)] as const,
      [`twilio ${n.phone_number} sms_url`, String(n.sms_url)] as const,
    ]),
    ...telnyx.call_control_applications.map(
      (a) => [`telnyx ${a.id} webhook_event_url`, String(a.webhook_event_url)] as const,
    ),
    ...telnyx.texml_applications.map((a) => [`telnyx ${a.id} voice_url`, String(a.voice_url)] as const),
    ...telnyx.messaging_profiles.map((p) => [`telnyx ${p.id} webhook_url`, String(p.webhook_url)] as const),
    ...signalwire.phone_numbers.flatMap((n) => [
      [`signalwire ${n.number} call_request_url`, String(n.call_request_url)] as const,
      [`signalwire ${n.number} message_request_url`, String(n.message_request_url)] as const,
    ]),
  ]);
}

/** The URLs that differ between two snapshots: "<where>: <before> -> <after>". */
const notRestored = (before: Map<string, string>, after: Map<string, string>) =>
  [...before]
    .filter(([k, v]) => after.get(k) !== v)
    .map(([k, v]) => `${k}: ${v} -> ${after.get(k) ?? "gone"}`);

function carrierCalls(log: RequestLogEntry[], carrier: Carrier, numbers: number): CarrierCalls {
  const mine = log.filter((r) => r.carrier === carrier);
  const lists = mine.filter((r) => r.method === "GET" && LIST_ENDPOINT.test(r.endpoint));
  const sizes = lists.map((r) =>
    Number(r.query["PageSize"] ?? r.query["page[size]"] ?? r.query["page_size"] ?? PAGE_DEFAULT[carrier]),
  );
  const pageSize = Math.min(PAGE_MAX[carrier], sizes.length ? Math.max(...sizes) : PAGE_MAX[carrier]);
  const reads = mine.filter((r) => r.method === "GET").length;
  return {
    reads,
    writes: mine.length - reads,
    listCalls: lists.length,
    pageSize,
    numbers,
    pagesNeeded: Math.max(1, Math.ceil(numbers / pageSize)),
  };
}

/** The part of `pulumi stack export` the bench reads. */
const exportedStateSchema = z.object({
  deployment: z.object({
    resources: z
      .array(
        z.object({
          type: z.string(),
          inputs: z.unknown().optional(),
          outputs: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .optional(),
  }),
});

async function stateStats(project: PulumiProject, variant: Variant): Promise<StateStats> {
  const exported = exportedStateSchema.parse(JSON.parse(await project.exportState(STACK)));
  const type = variant === "set" ? PHONE_NUMBER_WEBHOOKS_SET_TYPE : RESOURCE_TYPE;
  const ours = (exported.deployment.resources ?? []).filter((r) => r.type === type);
  const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? "");
  const sizes = ours.map(bytes); // compact JSON, not the export's indentation
  const total = sizes.reduce((a, b) => a + b, 0);
  const largest = ours[sizes.indexOf(Math.max(...sizes))];
  const fields = Object.entries(largest?.outputs ?? {}).map(([k, v]) => [`outputs.${k}`, bytes(v)] as const);
  // A set's `members` output is a secret (ciphertext in the state): its `memberCount` is not.
  const members =
    variant === "set"
      ? ours.reduce((sum, r) => sum + z.number().catch(0).parse(r.outputs?.["memberCount"]), 0)
      : ours.length;
  return {
    largestBreakdown: Object.fromEntries([
      ["inputs", bytes(largest?.inputs)] as const,
      ...fields.sort((a, b) => b[1] - a[1]).slice(0, 5),
    ]),
    resources: ours.length,
    members,
    bytesPerMember: members ? Math.round(total / members) : 0,
    bytesPerResource: ours.length ? Math.round(total / ours.length) : 0,
    maxResourceBytes: Math.max(0, ...sizes),
    maxProviderChars: Math.max(0, ...ours.map((r) => String(r.outputs?.["__provider"] ?? "").length)),
  };
}

/**
 * The latency floor of a phase. Per-number: with at most P resource operations in flight, its C
 * carrier calls take at least ceil(C / P) round trips, and each resource at least `chain`
 * dependent ones (read, then write). Set: each carrier's set runs beside the other with its own
 * concurrency K, so per carrier ceil(C_carrier / K), and at least the chain after the listing's
 * pages (one after another) when it listed; the slower carrier sets the floor.
 */
function floorOf(
  variant: Variant,
  byCarrier: Record<Carrier, CarrierCalls>,
  chain: number,
  concurrency: number,
): { rounds: number; chain: number } {
  if (variant === "per-number") {
    const calls = CARRIERS.reduce((sum, c) => sum + byCarrier[c].reads + byCarrier[c].writes, 0);
    return { rounds: Math.max(Math.ceil(calls / concurrency), chain), chain };
  }
  const perCarrier = Object.values(byCarrier).map((c) => {
    const carrierChain = chain + (c.listCalls > 0 ? c.pagesNeeded : 0);
    return {
      rounds: Math.max(Math.ceil((c.reads + c.writes) / concurrency), carrierChain),
      chain: carrierChain,
    };
  });
  return perCarrier.reduce((a, b) => (b.rounds > a.rounds ? b : a));
}

async function benchSize(
  n: number,
  variant: Variant,
  ctx: Context,
): Promise<{ phases: PhaseResult[]; notRestored: string[] }> {
  const w = workload(n, ctx.groupSize, ctx.carriers);
  const sandbox = await startSandbox({ port: 0, seed: w.seed });
  const project = new PulumiProject({
    binDir: ctx.binDir,
    files: { "Pulumi.yaml": PULUMI_YAML, "index.js": variant === "set" ? SET_PROGRAM : PROGRAM },
    // Account SID and token only: an API key in the caller's environment must not take over.
    env: { ...providerEnvironment(sandbox), TWILIO_API_KEY: undefined, TWILIO_API_SECRET: undefined },
  });
  const dispose = () => project.dispose();
  ctx.cleanups.add(dispose);
  const phases: PhaseResult[] = [];
  const concurrency = variant === "set" ? ctx.setConcurrency : ctx.parallelism;
  try {
    await project.must(["stack", "init", STACK]);
    const declare = (changed: boolean) =>
      variant === "set"
        ? writeFileSync(
            join(project.dir, `sets.${STACK}.json`),
            JSON.stringify(w.declareSets(changed, ctx.setConcurrency)),
          )
        : writeFileSync(
            join(project.dir, `numbers.${STACK}.json`),
            JSON.stringify(changed ? w.changed : w.initial),
          );
    declare(false);
    const before = webhookSnapshot(sandbox);
    sandbox.control.setLatency(ctx.latencyMs);
    for (const phase of PHASES) {
      if (phase.name.includes("changed")) declare(true);
      sandbox.control.clearLog();
      const memory = new ProcessSampler();
      memory.start();
      const started = performance.now();
      const result = await project.run([...phase.args, "--stack", STACK], { timeoutMs: 120_000 + n * 1000 });
      const wallMs = performance.now() - started;
      const { peakRssMb, processes, cpuS } = memory.stop();
      const log = sandbox.control.requests();
      // The account holds one more Twilio number than either variant declares (the campaigns one).
      const byCarrier = {
        twilio: carrierCalls(log, "twilio", w.nTwilio + 1),
        telnyx: carrierCalls(log, "telnyx", w.nTelnyx),
        signalwire: carrierCalls(log, "signalwire", w.nSignalwire),
      };
      const reads = CARRIERS.reduce((sum, c) => sum + byCarrier[c].reads, 0);
      const writes = CARRIERS.reduce((sum, c) => sum + byCarrier[c].writes, 0);
      const floor = floorOf(variant, byCarrier, phase.chain, concurrency);
      const floorMs = floor.rounds * ctx.latencyMs;
      const failed = result.code !== 0;
      phases.push({
        n,
        variant,
        concurrency,
        phase: phase.name,
        exitCode: result.code,
        wallMs,
        floorMs,
        floorChain: floor.chain,
        ratio: floorMs ? wallMs / floorMs : 0,
        calls: reads + writes,
        reads,
        writes,
        byEndpoint: sandbox.control.counts(),
        byCarrier,
        state: phase.measureState && !failed ? await stateStats(project, variant) : undefined,
        peakRssMb,
        providerProcesses: processes,
        cpuS,
        latencyMs: ctx.latencyMs,
        outputTail: failed
          ? `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-30).join("\n")
          : undefined,
      });
      console.error(
        `  N=${n} ${variant} ${phase.name}: exit ${result.code}, ${(wallMs / 1000).toFixed(1)} s, ${reads + writes} calls`,
      );
    }
    sandbox.control.setLatency(0);
    return { phases, notRestored: notRestored(before, webhookSnapshot(sandbox)) };
  } finally {
    await sandbox.close();
    dispose();
    ctx.cleanups.delete(dispose);
  }
}

/**
 * What a preflight adds to one switched number: K Twilio numbers each switched to a new URL twice
 * through the provider (no engine), once without and once with preflight, against the sandbox at
 * the bench's latency and a local HTTPS endpoint. The medians, from one run.
 */
async function preflightCost(latencyMs: number, k = 15): Promise<{ offMs: number; onMs: number; k: number }> {
  const numbers = range(k).map((i) => benchNumber("415", i));
  const sandbox = await startSandbox({
    port: 0,
    seed: { twilio: { incoming_phone_numbers: numbers.map((phone_number) => ({ phone_number })) } },
  });
  const endpoint = await PreflightServer.start();
  const dispatcher = new Agent({ connect: { ca: endpoint.cert } });
  try {
    const provider = new PhoneNumberWebhooksProvider({
      env: { ...providerEnvironment(sandbox), PHONE_WEBHOOKS_ALLOW_PRIVATE_HOSTS: "true" },
      preflightDispatcher: dispatcher,
    });
    sandbox.control.setLatency(latencyMs);
    const timed = async <T>(run: () => Promise<T>): Promise<[number, T]> => {
      const started = performance.now();
      const result = await run();
      return [performance.now() - started, result];
    };
    const off: number[] = [];
    const on: number[] = [];
    for (const phoneNumber of numbers) {
      const url = (name: string) => endpoint.url(200, `${phoneNumber}/${name}`);
      const args = { phoneNumber, provider: "twilio" as const };
      const created = (await provider.create({ ...args, voiceUrl: url("a") })).outs!;
      const [withoutMs, updated] = await timed(() =>
        provider.update("", created, { ...args, voiceUrl: url("b") }),
      );
      const [withMs] = await timed(() =>
        provider.update("", updated.outs!, { ...args, voiceUrl: url("c"), preflight: true }),
      );
      off.push(withoutMs);
      on.push(withMs);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { offMs: median(off), onMs: median(on), k };
  } finally {
    await dispatcher.close();
    await endpoint.close();
    await sandbox.close();
  }
}

interface Context {
  binDir: string;
  parallelism: number;
  /** Each set's `concurrency` (members at a time). */
  setConcurrency: number;
  latencyMs: number;
  groupSize: number;
  /** The carriers N is split among. */
  carriers: readonly Carrier[];
  cleanups: Set<() => void>;
}

const shortEndpoint = (e: string) =>
  e.replace("/2010-04-01/Accounts/{AccountSid}/", "").replace(" /v2/", " ");

/** The reads the Messaging Service check costs: Messaging v1 services and their numbers. */
const messagingReads = (r: PhaseResult) =>
  Object.entries(r.byEndpoint)
    .filter(([endpoint]) => endpoint.startsWith("GET /v1/Services"))
    .reduce((sum, [, count]) => sum + count, 0);

function table(results: PhaseResult[]): string {
  const head = [
    "N",
    "variant",
    "phase",
    "exit",
    "wall s",
    "floor s",
    "ratio",
    "reads",
    "writes",
    "Messaging v1 reads",
  ];
  head.push("top endpoints");
  head.push("state B/res (max __provider)", "state B/member", "peak RSS MB", "CPU s engine/program/provider");
  // Added at the end: other tools read the columns before it by position.
  head.push("latency ms");
  const rows = results.map((r) => [
    String(r.n),
    r.variant === "set" ? `set (K=${r.concurrency})` : `per-number (P=${r.concurrency})`,
    r.phase,
    String(r.exitCode),
    (r.wallMs / 1000).toFixed(1),
    (r.floorMs / 1000).toFixed(2),
    r.ratio.toFixed(1),
    String(r.reads),
    String(r.writes),
    String(messagingReads(r)),
    Object.entries(r.byEndpoint)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([e, c]) => `${shortEndpoint(e)} ×${c}`)
      .join("; ") || "-",
    r.state ? `${r.state.bytesPerResource} (${r.state.maxProviderChars})` : "-",
    r.state ? String(r.state.bytesPerMember) : "-",
    r.peakRssMb === null ? "-" : r.peakRssMb.toFixed(0),
    [r.cpuS.engine, r.cpuS.program, r.cpuS.provider].map((c) => c.toFixed(1)).join(" / "),
    String(r.latencyMs),
  ]);
  return markdown(head, rows);
}

const markdown = (head: string[], rows: string[][]) =>
  [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");

/** Per N where both variants ran, per phase: the set's wall time over the per-number one's. */
function comparisonTable(results: PhaseResult[]): string {
  const rows: string[][] = [];
  for (const set of results.filter((r) => r.variant === "set")) {
    const perNumber = results.find(
      (r) => r.variant === "per-number" && r.n === set.n && r.phase === set.phase,
    );
    if (!perNumber) continue;
    rows.push([
      String(set.n),
      set.phase,
      (perNumber.wallMs / 1000).toFixed(1),
      (set.wallMs / 1000).toFixed(1),
      (set.wallMs / perNumber.wallMs).toFixed(3),
      `${(perNumber.wallMs / set.wallMs).toFixed(1)}×`,
      `${set.calls} / ${perNumber.calls}`,
    ]);
  }
  if (!rows.length) return "(no N ran both variants)";
  return markdown(
    [
      "N",
      "phase",
      "per-number wall s",
      "set wall s",
      "set / per-number",
      "set faster by",
      "calls set / per-number",
    ],
    rows,
  );
}

type Check = { pass: boolean | null; text: string };

/** The per-number resource's targets (issue 6), on the per-number results. */
function targets(allResults: PhaseResult[], parallelism: number, groups: Record<number, number>): Check[] {
  const results = allResults.filter((r) => r.variant === "per-number");
  const out: Check[] = [];
  const add = (pass: boolean | null, text: string) => out.push({ pass, text });
  for (const r of results.filter((x) => x.phase === "preview --refresh")) {
    add(
      r.exitCode === 0,
      `N=${r.n} unchanged preview --refresh --expect-no-changes exits 0 (exit ${r.exitCode})`,
    );
    add(r.writes === 0, `N=${r.n} unchanged preview makes 0 carrier writes (made ${r.writes})`);
    // The bench account has one Messaging Service that does not defer: 1 list of services and 1
    // of its numbers per provider process, whatever N.
    const messaging = messagingReads(r);
    add(
      messaging <= 2 * r.providerProcesses,
      `N=${r.n} unchanged preview reads Messaging Services ${messaging} times <= 2 per provider process (${r.providerProcesses} processes)`,
    );
    for (const [carrier, c] of Object.entries(r.byCarrier))
      add(
        c.reads - (carrier === "twilio" ? messaging : 0) <= c.pagesNeeded,
        `N=${r.n} unchanged preview ${carrier} number reads ${c.reads - (carrier === "twilio" ? messaging : 0)} <= ${c.pagesNeeded} page(s) to list its ${c.numbers} numbers ` +
          `(page size ${c.pageSize}; ${c.listCalls} list calls` +
          (carrier === "telnyx" ? `; its URLs live on ${groups[r.n] ?? "?"} apps + as many profiles)` : ")"),
      );
  }
  const measured = results.flatMap((r) => (r.state ? [r.state] : []));
  const maxBytes = Math.max(0, ...measured.map((s) => s.maxResourceBytes));
  const maxProvider = Math.max(0, ...measured.map((s) => s.maxProviderChars));
  add(measured.length ? maxBytes < 4096 : null, `state per resource < 4 KB (largest resource ${maxBytes} B)`);
  add(measured.length ? maxProvider < 4096 : null, `__provider < 4 KB (largest ${maxProvider} chars)`);
  const big = results.filter((r) => r.n === 500);
  if (!big.length) add(null, "N=500 wall within 2x of the latency floor (N=500 not run)");
  for (const r of big)
    add(
      r.ratio <= 2,
      `N=500 ${r.phase}: wall ${(r.wallMs / 1000).toFixed(1)} s within 2x of floor ${(r.floorMs / 1000).toFixed(2)} s (ratio ${r.ratio.toFixed(1)}, P=${parallelism})`,
    );
  const rss = results.flatMap((r) => (r.peakRssMb === null ? [] : [r.peakRssMb]));
  add(
    rss.length ? Math.max(...rss) < 200 : null,
    `provider peak RSS < 200 MB (max ${rss.length ? Math.max(...rss).toFixed(0) : "not seen"} MB)`,
  );
  return out;
}

/** The set's targets (issue 11), and how it compares with the per-number resource. */
function setTargets(
  results: PhaseResult[],
  groups: Record<number, number>,
  telnyxObjectPages: Record<number, number>,
  sizes: number[],
): Check[] {
  const out: Check[] = [];
  const add = (pass: boolean | null, text: string) => out.push({ pass, text });
  const find = (variant: Variant, n: number, phase: string) =>
    results.find((r) => r.variant === variant && r.n === n && r.phase === phase);
  const ratioText = (r: PhaseResult) =>
    `wall ${(r.wallMs / 1000).toFixed(1)} s, floor ${(r.floorMs / 1000).toFixed(2)} s, ratio ${r.ratio.toFixed(2)}, K=${r.concurrency}`;

  // Up and destroy near their floor where writes dominate: from 10,000 members (issue 11, 22).
  for (const n of sizes.filter((size) => size >= 10_000))
    for (const phase of n >= 100_000 ? ["up", "destroy"] : ["up"]) {
      const r = find("set", n, phase);
      add(
        r ? r.exitCode === 0 && r.ratio <= 1.5 : null,
        `set N=${n} ${phase === "up" ? "up from scratch" : phase} within 1.5x of its floor (${r ? ratioText(r) : "not run"})`,
      );
    }
  for (const n of sizes.filter((size) => size >= 100_000)) {
    const phases = results.filter((r) => r.variant === "set" && r.n === n);
    add(
      phases.length === PHASES.length && phases.every((r) => r.exitCode === 0),
      `set N=${n}: every phase exits 0 (${phases.map((r) => `${r.phase} ${r.exitCode}`).join(", ") || "not run"})`,
    );
    // The program reads the numbers and declares the sets: its CPU through the up is that work.
    const up = find("set", n, "up");
    add(
      up ? up.cpuS.program <= 0.1 * (up.wallMs / 1000) : null,
      `set N=${n} the program (numbers file, members) at most 10% of the up's wall time (${up ? `${up.cpuS.program.toFixed(1)} s CPU of ${(up.wallMs / 1000).toFixed(1)} s` : "not run"})`,
    );
    const rss = phases.flatMap((r) => (r.peakRssMb === null ? [] : [r.peakRssMb]));
    add(
      rss.length ? Math.max(...rss) < 1024 : null,
      `set N=${n} provider peak RSS < 1 GB (max ${rss.length ? Math.max(...rss).toFixed(0) : "not seen"} MB)`,
    );
  }

  for (const r of results.filter((x) => x.variant === "set" && x.phase === "preview --refresh")) {
    add(
      r.exitCode === 0,
      `set N=${r.n} unchanged preview --refresh --expect-no-changes exits 0 (exit ${r.exitCode})`,
    );
    add(r.writes === 0, `set N=${r.n} unchanged preview makes 0 carrier writes (made ${r.writes})`);
    // Twilio: the listing's pages, and the Messaging Service check (services, then the numbers of
    // the one that does not defer) once per provider process. Telnyx: the listing's pages, and the
    // pages of the listings of the objects its numbers are on.
    const messaging = messagingReads(r);
    const groupCount = groups[r.n] ?? 0;
    const objectPages = telnyxObjectPages[r.n] ?? 0;
    const bounds: Record<Carrier, { bound: number; how: string }> = {
      twilio: {
        bound: r.byCarrier.twilio.pagesNeeded + 2 * r.providerProcesses,
        how: `${r.byCarrier.twilio.pagesNeeded} page(s) of ${r.byCarrier.twilio.pageSize} for ${r.byCarrier.twilio.numbers} numbers + 2 Messaging reads × ${r.providerProcesses} provider process(es)`,
      },
      telnyx: {
        bound: r.byCarrier.telnyx.pagesNeeded + objectPages,
        how: `${r.byCarrier.telnyx.pagesNeeded} page(s) of ${r.byCarrier.telnyx.pageSize} for ${r.byCarrier.telnyx.numbers} numbers + ${objectPages} page(s) of ${PAGE_MAX.telnyx} for the Call Control and TeXML applications and messaging profiles of ${groupCount} groups`,
      },
      // Webhooks on the number: the listing answers everything.
      signalwire: {
        bound: r.byCarrier.signalwire.pagesNeeded,
        how: `${r.byCarrier.signalwire.pagesNeeded} page(s) of ${r.byCarrier.signalwire.pageSize} for ${r.byCarrier.signalwire.numbers} numbers`,
      },
    };
    for (const carrier of CARRIERS.filter((c) => r.byCarrier[c].numbers > 0)) {
      const { reads } = r.byCarrier[carrier];
      const { bound, how } = bounds[carrier];
      add(
        reads <= bound,
        `set N=${r.n} unchanged preview ${carrier} reads ${reads} <= ${bound} = ${how}` +
          (carrier === "twilio" ? ` (Messaging reads made: ${messaging})` : ""),
      );
    }
    add(
      r.exitCode === 0 && r.ratio <= 2,
      `set N=${r.n} unchanged preview within 2x of its floor (${ratioText(r)})`,
    );
  }

  for (const phase of ["up", "preview --refresh", "destroy"]) {
    const set = find("set", 1000, phase);
    const perNumber = find("per-number", 1000, phase);
    const speedup = set && perNumber ? perNumber.wallMs / set.wallMs : undefined;
    add(
      speedup === undefined ? null : speedup >= 10 && set!.exitCode === 0,
      `N=1000 ${phase}: set at least 10x faster than per-number (` +
        (set && perNumber
          ? `${(perNumber.wallMs / 1000).toFixed(1)} s / ${(set.wallMs / 1000).toFixed(1)} s = ${speedup!.toFixed(1)}x`
          : "both not run") +
        ")",
    );
  }

  const perNumber1k = results.filter((r) => r.variant === "per-number" && r.n === 1000);
  add(
    perNumber1k.length === PHASES.length ? perNumber1k.every((r) => r.exitCode === 0) : null,
    `per-number N=1000: every phase exits 0 (` +
      (perNumber1k.length ? perNumber1k.map((r) => `${r.phase} ${r.exitCode}`).join(", ") : "not run") +
      ")",
  );

  const rss10k = results.filter((r) => r.variant === "set" && r.n === 10_000 && r.peakRssMb !== null);
  const peak10k = Math.max(0, ...rss10k.map((r) => r.peakRssMb ?? 0));
  add(
    rss10k.length ? peak10k < 300 : null,
    `set N=10000 provider peak RSS < 300 MB (max ${rss10k.length ? peak10k.toFixed(0) : "not seen"} MB)`,
  );

  for (const n of sizes) {
    const setState = results.find((r) => r.variant === "set" && r.n === n && r.state)?.state;
    const perNumberState = results.find((r) => r.variant === "per-number" && r.n === n && r.state)?.state;
    if (!setState) continue;
    add(
      setState.bytesPerMember <= 600,
      `set N=${n} state at most 600 B per member (${setState.bytesPerMember} B)`,
    );
    add(
      perNumberState ? setState.bytesPerMember < perNumberState.bytesPerResource : null,
      `N=${n} state bytes per set member ${setState.bytesPerMember} B (${setState.members} members, ` +
        `largest set ${setState.maxResourceBytes} B) vs per-number bytes per resource ` +
        (perNumberState ? `${perNumberState.bytesPerResource} B` : "(per-number not run)"),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "100,1000,10000" },
      latency: { type: "string", default: "80" },
      "large-latency": { type: "string", default: "20" },
      "group-size": { type: "string", default: "10" },
      "set-concurrency": { type: "string", default: "16" },
      variants: { type: "string", default: "per-number,set" },
      carriers: { type: "string", default: CARRIERS.join(",") },
    },
  });
  const sizes = values.sizes.split(",").map(Number);
  const latencyMs = Number(values.latency);
  const largeLatencyMs = Number(values["large-latency"]);
  const groupSize = Number(values["group-size"]);
  const setConcurrency = Number(values["set-concurrency"]);
  const variants = values.variants.split(",");
  const carriers = values.carriers.split(",") as Carrier[];
  if (
    !sizes.every((s) => Number.isInteger(s) && s >= 1 && s <= 200_000) ||
    !(latencyMs >= 0) ||
    !(largeLatencyMs >= 0) ||
    !(groupSize >= 1) ||
    !(Number.isInteger(setConcurrency) && setConcurrency >= 1 && setConcurrency <= 64) ||
    !variants.every((v) => v === "per-number" || v === "set") ||
    !(carriers.length > 0 && carriers.every((c) => CARRIERS.includes(c)))
  )
    throw new Error(
      `usage: bench.ts [--sizes 100,1000,10000 (each 1..200000)] [--latency 80] [--large-latency 20 (N >= ${LARGE_N})] [--group-size 10] [--set-concurrency 1..64] [--variants per-number,set] [--carriers twilio,telnyx,signalwire]`,
    );

  const cleanups = new Set<() => void>();
  const cleanup = () => cleanups.forEach((f) => f());
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  const started = Date.now();
  try {
    const binDir = await Promise.race([
      ensurePulumiCli(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("ensurePulumiCli timed out")), 900_000).unref(),
      ),
    ]);
    const help = await run(join(binDir, "pulumi"), ["up", "--help"], 60_000);
    const parallelism = Number(/--parallel\b.*\(default (\d+)\)/.exec(help.out)?.[1]);
    if (!parallelism) throw new Error(`no --parallel default in \`pulumi up --help\`:\n${help.out}`);
    const version = (await run(join(binDir, "pulumi"), ["version"], 60_000)).out.trim();
    const git = await run("git", ["-C", REPO_ROOT, "log", "-1", "--format=%h %s"], 30_000);
    const dirty = await run("git", ["-C", REPO_ROOT, "status", "--porcelain", "provider"], 30_000);
    const ctx: Context = { binDir, parallelism, setConcurrency, latencyMs, groupSize, carriers, cleanups };
    const results: PhaseResult[] = [];
    /** By "<N> <variant>". */
    const restored: Record<string, string[]> = {};
    const groups: Record<number, number> = {};
    const telnyxObjectPages: Record<number, number> = {};
    const errors: Record<string, string> = {};
    const skipped: string[] = [];
    for (const n of sizes) {
      const w = workload(n, groupSize, carriers);
      groups[n] = w.groups;
      telnyxObjectPages[n] = w.telnyxObjectPages;
      console.error(`N=${n}: ${w.changedNote} changed in phase 3`);
      for (const variant of ["per-number", "set"] as const) {
        if (!variants.includes(variant)) continue;
        if (variant === "per-number" && n > PER_NUMBER_MAX) {
          skipped.push(
            `per-number N=${n} not run: above ${PER_NUMBER_MAX} numbers (${n} resources; the engine's per-resource checkpointing already dominates at ${PER_NUMBER_MAX})`,
          );
          continue;
        }
        const key = `${n} ${variant}`;
        try {
          const r = await benchSize(n, variant, {
            ...ctx,
            latencyMs: n >= LARGE_N ? largeLatencyMs : latencyMs,
          });
          results.push(...r.phases);
          restored[key] = r.notRestored;
        } catch (error) {
          errors[key] = error instanceof Error ? error.message : String(error);
          console.error(`N=${n} ${variant} aborted: ${errors[key]}`);
        }
      }
    }

    const machine = {
      nproc: availableParallelism(),
      cpu: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown",
      node: process.version,
      pulumi: version,
      loadavg: loadavg()
        .map((l) => l.toFixed(2))
        .join(" "),
    };
    const checks = [
      ...targets(results, parallelism, groups),
      ...setTargets(results, groups, telnyxObjectPages, sizes),
    ];
    console.log(
      `# Benchmark: PhoneNumberWebhooks and PhoneNumberWebhooksSet under the real engine (issues 6, 11)\n`,
    );
    console.log(
      `Latency ${latencyMs} ms per carrier request (${largeLatencyMs} ms from N = ${LARGE_N}: see each row's latency); engine parallelism P=${parallelism} (the default \`pulumi up --help\` shows); set concurrency K=${setConcurrency}; Telnyx groups of ${groupSize}.`,
    );
    console.log(
      `Variants, each on a sandbox seeded alike: per-number (one PhoneNumberWebhooks per number, N <= ${PER_NUMBER_MAX}); set (one PhoneNumberWebhooksSet per carrier, Telnyx with onShared: "update"; the 10% changed phases change the same numbers by per-member overrides).`,
    );
    for (const line of skipped) console.log(`SKIP ${line}`);
    const skipCheckpoints = process.env["PULUMI_SKIP_CHECKPOINTS"];
    if (skipCheckpoints)
      console.log(`PULUMI_SKIP_CHECKPOINTS=${skipCheckpoints}: the engine saves no state between steps.`);
    console.log(
      "up and destroy run with --skip-preview; the 10% changed phases change every 10th Twilio number's URLs and every 10th Telnyx group's. The plain previews' reads are what the preview's checks cost: nothing else in a preview reads the carriers.",
    );
    console.log(
      "per-number floor = max(ceil(carrier calls / P), per-resource chain) × latency; chain = 1 for the previews (read), 2 otherwise (read, then write). ratio = wall / floor.",
    );
    console.log(
      "set floor = max over carriers of max(ceil(that carrier's calls / K), chain + the listing's pages when it listed) × latency: each carrier's set runs beside the other, K members at a time.\n",
    );
    console.log(table(results));
    console.log();
    console.log("Set vs per-number, per phase (wall time):\n");
    console.log(comparisonTable(results));
    console.log();
    const preflight = await preflightCost(latencyMs);
    console.log(
      `Preflight: switching one Twilio number to a new URL takes ${preflight.offMs.toFixed(0)} ms without and ` +
        `${preflight.onMs.toFixed(0)} ms with a preflight (median of ${preflight.k}; carrier latency ${latencyMs} ms, ` +
        `a local HTTPS endpoint): it adds ${(preflight.onMs - preflight.offMs).toFixed(0)} ms, ` +
        `${(preflight.onMs / preflight.offMs).toFixed(2)}× the switch, plus the endpoint's own answer time.\n`,
    );
    for (const c of checks) console.log(`${c.pass === null ? "SKIP" : c.pass ? "PASS" : "FAIL"} ${c.text}`);
    for (const [key, wrong] of Object.entries(restored))
      console.log(
        `INFO N=${key} destroy restored every original webhook URL: ${wrong.length ? `NO, ${wrong.length} not, e.g. ${wrong.slice(0, 2).join("; ")}` : "yes"}`,
      );
    for (const variant of ["per-number", "set"] as const) {
      const lastState = results.flatMap((r) => (r.state && r.variant === variant ? [r.state] : [])).pop();
      if (lastState)
        console.log(
          `INFO ${variant}: largest resource's state (${lastState.maxResourceBytes} B): ${Object.entries(
            lastState.largestBreakdown,
          )
            .map(([k, b]) => `${k} ${b} B`)
            .join(", ")}`,
        );
    }
    console.log(
      `\nMachine: ${machine.nproc} CPUs, ${machine.cpu}, Node ${machine.node}, Pulumi ${machine.pulumi}, load ${machine.loadavg}`,
    );
    console.log(
      `Date: ${new Date().toISOString()}; commit ${git.out.trim()}${dirty.out.trim() ? " + uncommitted provider/ changes" : ""}; bench took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );

    const file = join(REPO_ROOT, ".bench", `results-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    mkdirSync(join(REPO_ROOT, ".bench"), { recursive: true });
    const raw = {
      date: new Date().toISOString(),
      machine,
      latencyMs,
      parallelism,
      setConcurrency,
      groupSize,
      sizes,
      skipped,
      skipCheckpoints,
      commit: git.out.trim(),
      providerDirty: dirty.out.trim(),
      results,
      targets: checks,
      restored,
      errors,
    };
    writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
    console.log(`Raw numbers: ${file}`);
    for (const r of results.filter((x) => x.outputTail))
      console.error(`\nN=${r.n} ${r.variant} ${r.phase} exited ${r.exitCode}:\n${r.outputTail}`);
    for (const [key, message] of Object.entries(errors)) console.log(`ERROR N=${key} aborted: ${message}`);
    const broken = results.some((r) => r.exitCode !== 0 && r.phase !== "preview --refresh");
    if (broken || Object.keys(errors).length) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
