/**
 * `pulumi-phone-webhooks adopt`: writes the numbers file of an account that already has numbers,
 * one entry per number with its live settings, so that the first `pulumi up` of a program that
 * declares it changes nothing. `adopt --check FILE` compares a numbers file with the account.
 *
 * Pulumi cannot import a dynamic resource (`pulumi import` and `get` are unsupported for them), so
 * this is how an account comes under code. It only reads, through the `Carrier` interface the
 * resources use: the account's listing, then each number (its objects are read once each).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { z } from "zod";
import type { Carrier, CarrierNumber, Selector } from "../carriers/carrier";
import {
  CARRIER_NAMES,
  CARRIERS,
  carrierDescriptor,
  subaccountIdSchema,
  subaccountNames,
  type CarrierName,
} from "../carriers";
import {
  loadSettings,
  NO_CREDENTIALS,
  missingCredentials,
  type ConfigSource,
  type Settings,
} from "../config";
import { mapLimit } from "../concurrency";
import { readNumbersFile, type NumberEntry } from "../numbers-file";
import { ProgressMeter, type ProgressOptions } from "../progress";
import { argumentsOrExit, parseCommandLine, type CommandIo } from "./command-line";
import { setCarrier } from "../set-schema";
import { redactText, type WebhookField } from "../webhooks";
import {
  adoptEntry,
  compareEntry,
  describeDifference,
  renderNumbersFile,
  sortEntries,
  type AdoptedNumber,
  type AdoptEntry,
  type FileDifference,
} from "./adopt-entries";

export const EXIT_SAME = 0;
export const EXIT_ERROR = 1;
export const EXIT_DIFFERENT = 2;

const names = CARRIER_NAMES.join("|");
const subaccountCarriers = CARRIERS.filter((c) => c.subaccounts);
/** `name: key, key; name: key, …`: each carrier's selector keys. */
const selectorKeysByCarrier = CARRIERS.map((c) => `${c.name}: ${Object.keys(c.selectors).join(", ")}`).join(
  "; ",
);
const wrapped = (text: string, indent: number) =>
  text
    .match(/.{1,72}(\s|$)/g)!
    .map((line) => line.trimEnd())
    .join(`\n${" ".repeat(indent)}`);

export const ADOPT_USAGE = `usage: pulumi-phone-webhooks adopt [--provider ${names}] [--select key=value]...
                                   [--account <id>] [--stack <name> [--cwd <dir>]] [--out <file>]
       pulumi-phone-webhooks adopt --check <file> [--provider ...] [--account ...] [--stack ...]

Writes a numbers file from the live account: one entry per number with its webhook settings, so
that a program declaring it previews with no webhook change and its first \`pulumi up\` writes
nothing. It only reads: nothing is changed at any carrier.

  --provider <name>     ${wrapped(`${CARRIER_NAMES.join(" or ")} (default: every carrier with credentials, or the one the --select keys belong to)`, 24)}
  --select key=value    ${wrapped(`only the numbers a PhoneNumberWebhooksSet with this select would take; repeat for more keys (${selectorKeysByCarrier})`, 24)}
  --account <id>        ${wrapped(`a ${subaccountNames()} of the credentials' account (default: their own)`, 24)}
  --stack, -s <name>    ${wrapped(`read credentials from this stack's config (${CARRIER_NAMES.map((n) => `${n}:...`).join(", ")}), as the program would; default: the environment (${CARRIERS.map((c) => `${c.name.toUpperCase()}_*`).join(", ")})`, 24)}
  --cwd, -C <dir>       the Pulumi project directory of --stack (default: the current directory)
  --out, -o <file>      write the file there (default: standard output)
  --check <file>        compare this numbers file with the account instead, per number and field
  --concurrency <n>     numbers read at a time (default 16)

Exit codes: 0 written (--check: the file matches), 2 (--check) the file differs, 1 error.
Progress goes to standard error.`;

const argsSchema = z.strictObject({
  provider: z.enum(CARRIER_NAMES, { error: `--provider must be ${CARRIER_NAMES.join(" or ")}` }).optional(),
  select: z
    .array(z.string().regex(/^[A-Za-z]+=.+$/s, "--select takes key=value (e.g. tag=support)"))
    .default([]),
  account: subaccountIdSchema("--account").optional(),
  stack: z.string().min(1).optional(),
  cwd: z.string().min(1).default("."),
  out: z.string().min(1).optional(),
  check: z.string().min(1).optional(),
  concurrency: z.coerce.number().int().min(1).max(64).default(16),
});
export type AdoptArgs = z.infer<typeof argsSchema>;

/** Parses the command line after `adopt`; throws an Error with a usage message on bad input. */
export function parseAdoptArgs(argv: readonly string[]): AdoptArgs | "help" {
  const parsed = parseCommandLine(
    argv,
    {
      provider: { type: "string" },
      select: { type: "string", multiple: true },
      account: { type: "string" },
      stack: { type: "string", short: "s" },
      cwd: { type: "string", short: "C" },
      out: { type: "string", short: "o" },
      check: { type: "string" },
      concurrency: { type: "string" },
    },
    argsSchema,
    ADOPT_USAGE,
  );
  if (parsed !== "help" && parsed.check && parsed.out)
    throw new Error(`--check reads a file and --out writes one: give one of them\n\n${ADOPT_USAGE}`);
  return parsed;
}

export type AdoptIo = CommandIo;

export interface AdoptOptions {
  /** Where credentials come from without --stack (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The clock of the header (tests). */
  now?: () => Date;
  /** The progress lines' clock and interval (tests; default `Date.now` and `progressIntervalMs()`). */
  progress?: Pick<ProgressOptions, "now" | "intervalMs">;
}

/** Runs the command and returns the exit code. Never throws. */
export async function runAdopt(
  argv: readonly string[],
  io: AdoptIo,
  options: AdoptOptions = {},
): Promise<number> {
  const command = argumentsOrExit(() => parseAdoptArgs(argv), ADOPT_USAGE, io);
  if ("exit" in command) return command.exit;
  const { args } = command;
  try {
    const settings = loadSettings(await stackConfig(args), options.env ?? process.env);
    return args.check
      ? await check(args, args.check, settings, io, options)
      : await adopt(args, settings, io, options);
  } catch (error) {
    io.err(
      `adopt failed: ${redactText(error instanceof Error ? error.message : String(error))}. Nothing was changed at any carrier.`,
    );
    return EXIT_ERROR;
  }
}

/** The stack's config, decrypted by the pulumi CLI (as `pulumi config --show-secrets`), or none. */
async function stackConfig(args: AdoptArgs): Promise<ConfigSource | undefined> {
  if (!args.stack) return undefined;
  const stack = await LocalWorkspace.selectStack({ stackName: args.stack, workDir: resolve(args.cwd) });
  const config = await stack.getAllConfig();
  return { get: (key) => config[key]?.value };
}

/** The carriers to read: --provider, else the --select keys' carrier, else every one with credentials. */
function carriersToRead(args: AdoptArgs, settings: Settings, selector: Selector | undefined): CarrierName[] {
  const chosen = setCarrier({ provider: args.provider, select: selector });
  if (selector && !chosen)
    throw new Error(`--select keys must all be one carrier's (${selectorKeysByCarrier})`);
  if (args.account && chosen && !carrierDescriptor(chosen).subaccounts)
    throw new Error(
      `--account names a ${subaccountNames()}: it needs --provider ${subaccountCarriers.map((c) => c.name).join(" or ")}`,
    );
  const names = chosen
    ? [chosen]
    : CARRIER_NAMES.filter(
        (n) => settings.carriers[n] !== undefined && (!args.account || carrierDescriptor(n).subaccounts),
      );
  if (names.length === 0) throw new Error(NO_CREDENTIALS);
  for (const name of names)
    if (settings.carriers[name] === undefined) throw new Error(missingCredentials(name));
  return names;
}

function selectorOf(args: AdoptArgs): Selector | undefined {
  if (args.select.length === 0) return undefined;
  return Object.fromEntries(
    args.select.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

async function createCarrier(name: CarrierName, settings: Settings): Promise<Carrier> {
  return carrierDescriptor(name).create(settings.carriers[name], settings.retry);
}

/**
 * Progress on stderr, as the set reports it to the engine: only for work that outlasts an interval,
 * TTY or not (a CI log is where a long run is watched); stdout is the file or the comparison.
 */
function progress(io: AdoptIo, label: string, total: number, options: AdoptOptions): ProgressMeter {
  return new ProgressMeter({ total, verb: "read", label, report: io.err, ...options.progress }).start();
}

/** One carrier's numbers, each found with what routes it, and who shares each setting's object. */
async function readAccount(
  name: CarrierName,
  carrier: Carrier,
  args: AdoptArgs,
  selector: Selector | undefined,
  io: AdoptIo,
  options: AdoptOptions,
): Promise<AdoptedNumber[]> {
  const account = carrierDescriptor(name).subaccounts ? args.account : undefined;
  const label = `${name}${account ? ` account ${account}` : ""}`;
  io.err(`${label}: listing the numbers${selector ? " the selector matches" : ""}…`);
  const numbers = selector ? await carrier.select(selector, { account }) : await carrier.list({ account });
  const meter = progress(io, label, numbers.length, options);
  const found = await mapLimit(numbers, args.concurrency, async (phoneNumber) => {
    // A failed read ends the command: only reads that succeeded are counted.
    const number = await carrier.find(phoneNumber, { account, routing: true });
    meter.record("succeeded");
    return number;
  }).finally(() => meter.finish());
  const live = found.filter((n): n is CarrierNumber => n !== undefined);
  // Who else is on each object: the numbers sharing one may be outside the selection.
  const known = new Map(live.map((n) => [n.phoneNumber, n]));
  const outside = [...new Set(live.flatMap((n) => n.sharedWith))].filter((n) => !known.has(n));
  for (const other of await mapLimit(outside, args.concurrency, (n) => carrier.find(n, { account })))
    if (other) known.set(other.phoneNumber, other);
  const byHolder = new Map<string, string[]>();
  for (const n of known.values())
    for (const holder of new Set(Object.values(carrier.holders(n))))
      byHolder.set(holder, [...(byHolder.get(holder) ?? []), n.phoneNumber]);
  return live.map((number) => {
    const sharing: AdoptedNumber["sharing"] = {};
    for (const [field, holder] of Object.entries(carrier.holders(number)) as Array<[WebhookField, string]>)
      sharing[field] = byHolder.get(holder) ?? [];
    return { carrier: name, account, number, sharing };
  });
}

async function adopt(
  args: AdoptArgs,
  settings: Settings,
  io: AdoptIo,
  options: AdoptOptions,
): Promise<number> {
  const selector = selectorOf(args);
  const started = Date.now();
  const names = carriersToRead(args, settings, selector);
  const entries: AdoptEntry[] = [];
  const sources: string[] = [];
  for (const name of names) {
    const carrier = await createCarrier(name, settings);
    const adopted = await readAccount(name, carrier, args, selector, io, options);
    const subaccounts = carrierDescriptor(name).subaccounts;
    const account = subaccounts
      ? `account ${args.account ?? subaccounts.defaultAccount(settings.carriers[name])}`
      : "the credentials' account";
    sources.push(`${name}, ${account}: ${adopted.length} number(s)`);
    for (const a of adopted) entries.push(adoptEntry(a, { allowPrivateHosts: settings.allowPrivateHosts }));
  }
  const sorted = sortEntries(entries);
  const commented = sorted.filter((e) => !e.active).length;
  const header = [
    "yaml-language-server: $schema=./node_modules/pulumi-phone-webhooks/numbers-file.schema.json",
    `Written by \`pulumi-phone-webhooks adopt\` at ${(options.now?.() ?? new Date()).toISOString()}, which changed nothing.`,
    ...sources.map((s) => `Read: ${s}.`),
    `Selector: ${
      selector
        ? Object.entries(selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")
        : "none (every number)"
    }.`,
    `${sorted.length - commented} entr${sorted.length - commented === 1 ? "y" : "ies"}, and ${commented} commented out (nothing to manage).`,
    "",
    "Each entry holds the number's live settings: a program that declares this file (readNumbersFile,",
    "then numberArgs or setMembers) plans no webhook change, and its first `pulumi up` writes nothing.",
    "  1. name this file in the stack's config (e.g. phone-webhooks:numbersFile)",
    "  2. npx pulumi-phone-webhooks adopt --check <this file>   (before the first up, after edits)",
    "  3. pulumi preview, then pulumi up: it records each number's settings as its previous ones",
    "Then change an entry's URLs to change the number's webhooks.",
  ];
  const text = renderNumbersFile(header, sorted);
  for (const e of sorted.filter((e) => e.secrets.length))
    io.err(`warning: ${e.phoneNumber} ${e.secrets.join(", ")} hold(s) a password: the file holds a secret`);
  if (args.out) {
    const file = resolve(args.out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } else io.out(text.replace(/\n$/, ""));
  io.err(
    `adopt: ${sorted.length} number(s) read in ${((Date.now() - started) / 1000).toFixed(1)} s, ${commented} with nothing to manage` +
      `${args.out ? `; wrote ${args.out}` : ""}. Nothing was changed at any carrier.`,
  );
  return EXIT_SAME;
}

/** The carrier of an entry: declared, else --provider, else the one account that has it. */
async function check(
  args: AdoptArgs,
  file: string,
  settings: Settings,
  io: AdoptIo,
  options: AdoptOptions,
): Promise<number> {
  const entries = readNumbersFile(resolve(file));
  const carriers = new Map<CarrierName, Carrier>();
  const carrier = async (name: CarrierName) => {
    if (settings.carriers[name] === undefined) throw new Error(missingCredentials(name));
    if (!carriers.has(name)) carriers.set(name, await createCarrier(name, settings));
    return carriers.get(name)!;
  };
  const configured = CARRIER_NAMES.filter((n) => settings.carriers[n] !== undefined);
  if (configured.length === 0) throw new Error(NO_CREDENTIALS);
  const meter = progress(io, "check", entries.length, options);
  const compared = await mapLimit(entries, args.concurrency, async (entry: NumberEntry) => {
    const account = entry.accountSid ?? args.account;
    const names = entry.provider ? [entry.provider] : args.provider ? [args.provider] : configured;
    let live: CarrierNumber | undefined;
    for (const name of names) {
      live = await (await carrier(name)).find(entry.phoneNumber, { account, routing: true });
      if (live) break;
    }
    meter.record("succeeded");
    return compareEntry(entry, live);
  }).finally(() => meter.finish());
  const differences: FileDifference[] = compared.flat();
  const differing = new Set(differences.map((d) => d.phoneNumber));
  for (const d of differences) io.out(describeDifference(d));
  io.out(
    `${file}: ${entries.length} number(s) checked, ${differing.size} differ from the account (${differences.length} setting(s)). Nothing was changed at any carrier.`,
  );
  return differences.length ? EXIT_DIFFERENT : EXIT_SAME;
}
