/**
 * What `adopt` writes for each live number, and how `adopt --check` compares a file with the
 * account. Pure: numbers as the carriers describe them in, YAML text and differences out.
 *
 * An entry holds exactly the live settings a program may declare without changing anything: a
 * program that declares the file plans no webhook change and its first `up` writes nothing. Where
 * something else decides a setting (a Twilio application, trunk or Messaging Service), the side is
 * turned off (`voice: false`) and a comment names the holder and what to change to manage it here.
 * A Telnyx object other numbers share is declared as it is, with `onShared` left to refuse: a later
 * change of it fails naming the other numbers instead of changing theirs.
 */
import type { CarrierNumber } from "../carriers/carrier";
import type { CarrierName } from "../carriers";
import type { NumberEntry } from "../numbers-file";
import { carrierRules, checkProperties } from "../validation";
import { hasUserinfo, isVoiceField, redactUrl, WEBHOOK_FIELDS, type WebhookField } from "../webhooks";

const SIDES = [
  { side: "voice", fields: WEBHOOK_FIELDS.filter(isVoiceField), url: "voiceUrl" },
  { side: "sms", fields: WEBHOOK_FIELDS.filter((f) => !isVoiceField(f)), url: "smsUrl" },
] as const;

/** One live number, as adopt found it. */
export interface AdoptedNumber {
  carrier: CarrierName;
  /** The Twilio account read, when it is not the credentials' own (`--account`). */
  account?: string;
  number: CarrierNumber;
  /** Every number whose settings are on the same object as this one's, by setting (Telnyx). */
  sharing: Partial<Record<WebhookField, string[]>>;
}

/** What adopt writes for one number. */
export interface AdoptEntry {
  phoneNumber: string;
  carrier: CarrierName;
  /** The entry's keys, in the order written; `undefined` values are left out. */
  entry: Record<string, string | boolean | undefined>;
  /** Comment lines written above the entry. */
  comments: string[];
  /** `false`: nothing to manage here; written commented out. */
  active: boolean;
  /** Settings whose URL holds a password: the file holds a secret. */
  secrets: WebhookField[];
}

export interface EntryOptions {
  /** `phoneWebhooks:allowPrivateHosts`: a private host is declarable (labs, the sandbox). */
  allowPrivateHosts: boolean;
}

/** The entry for one live number. */
export function adoptEntry(adopted: AdoptedNumber, options: EntryOptions): AdoptEntry {
  const { carrier, number } = adopted;
  const entry: AdoptEntry["entry"] = { phoneNumber: number.phoneNumber, provider: carrier };
  if (adopted.account) entry.accountSid = adopted.account;
  const comments: string[] = [];
  const declared: WebhookField[] = [];
  const off: string[] = [];
  const shared: string[] = [];
  for (const { side, fields, url } of SIDES) {
    const override = number.overrides?.[url];
    if (override) {
      off.push(side);
      comments.push(
        `${side}: ${override.by} decides (${number.phoneNumber} ${override.reason}). ${override.remedy} Then replace \`${side}: false\` with its settings to manage them here.`,
      );
      continue;
    }
    if (number.webhooks[url] === null) {
      off.push(side);
      comments.push(
        `${side}: no ${url} is set${side === "voice" && number.ids.connectionType ? ` (${String(number.ids.connectionType).replace(/_/g, " ")} ${number.ids.connectionId})` : ""}; \`${side}: false\` keeps it so. Give ${url} instead to manage it here.`,
      );
      continue;
    }
    // Only what a program may declare: a value `check` refuses (http://, a private host) stays the
    // carrier's, and the comment says why.
    const values = Object.fromEntries(fields.map((f) => [f, number.webhooks[f]]));
    const { inputs, failures } = checkProperties(values, fields, options);
    failures.push(...carrierRules({ ...inputs, provider: carrier }, fields));
    const refused = new Map(failures.map((f) => [f.property, f.reason]));
    if (refused.has(url)) {
      off.push(side);
      comments.push(`${side}: ${refused.get(url)}; \`${side}: false\` leaves it as it is.`);
      continue;
    }
    for (const field of fields) {
      if (refused.has(field)) {
        comments.push(`${field} is left unmanaged: ${refused.get(field)}`);
        continue;
      }
      if (inputs[field] === undefined) continue;
      entry[field] = String(inputs[field]);
      declared.push(field);
    }
    const others = (adopted.sharing[url] ?? []).filter((n) => n !== number.phoneNumber);
    if (others.length) shared.push(side);
    if (others.length)
      comments.push(
        `${side}: on ${holderName(number, side)}, which ${others.length} other number(s) share (${listSome(others)}). ` +
          "Declared as it is, a change is refused (onShared: refuse); set onShared: isolate to give this number a copy of its own, " +
          "or onShared: update to change it for all of them.",
      );
  }
  for (const side of off) entry[side] = false;
  const secrets = declared.filter((f) => hasUserinfo(String(entry[f])));
  if (secrets.length)
    comments.push(
      `${secrets.join(", ")} hold(s) a password: this file holds a secret, keep it out of version control.`,
    );
  const active = off.length < SIDES.length;
  if (!active) comments.push("Nothing to manage here: uncomment it once one side is the number's own.");
  return { phoneNumber: number.phoneNumber, carrier, entry, comments, active, secrets };
}

function holderName(number: CarrierNumber, side: "voice" | "sms"): string {
  if (side === "voice")
    return `${String(number.ids.connectionType ?? "connection").replace(/_/g, " ")} ${number.ids.connectionId}`;
  return `messaging profile ${number.ids.messagingProfileId}`;
}

function listSome(numbers: readonly string[], most = 5): string {
  const shown = numbers.slice(0, most).join(", ");
  return numbers.length > most ? `${shown}, and ${numbers.length - most} more` : shown;
}

/** Stable order: by carrier, then number. */
export function sortEntries(entries: AdoptEntry[]): AdoptEntry[] {
  return [...entries].sort((a, b) =>
    a.carrier === b.carrier ? a.phoneNumber.localeCompare(b.phoneNumber) : a.carrier.localeCompare(b.carrier),
  );
}

/** A scalar as YAML: JSON's double-quoted strings are YAML too, and never misread (`#`, `: `). */
function scalar(value: string | boolean): string {
  if (typeof value === "boolean") return String(value);
  return /^[a-zA-Z]+$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

/** Wraps a comment to about 100 columns, each line starting with `prefix`. */
function commentLines(text: string, prefix: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > 98 - prefix.length) {
      lines.push(`${prefix}${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${prefix}${line}`);
  return lines;
}

/** The file: a header, then one entry per number (commented out when there is nothing to manage). */
export function renderNumbersFile(header: string[], entries: AdoptEntry[]): string {
  const out = header.map((line) => (line ? `# ${line}` : "#"));
  const active = entries.filter((e) => e.active).length;
  for (const e of entries) {
    out.push("");
    for (const comment of e.comments) out.push(...commentLines(comment, "# "));
    const keys = Object.entries(e.entry).filter(([, v]) => v !== undefined) as Array<
      [string, string | boolean]
    >;
    const lines = keys.map(([key, value], i) => `${i === 0 ? "- " : "  "}${key}: ${scalar(value)}`);
    out.push(...(e.active ? lines : lines.map((l) => `# ${l}`)));
  }
  // Every entry commented out: still a list, which the loader reads as "no numbers".
  if (active === 0) out.push("", "[]");
  return `${out.join("\n")}\n`;
}

/** One setting of one number that differs between a numbers file and the account. */
export interface FileDifference {
  phoneNumber: string;
  /** The setting, or `number` for a number the account does not have. */
  field: WebhookField | "number";
  file: string | null;
  live: string | null;
  /** Why, when the value alone does not say (an override, a missing number). */
  note?: string;
}

/**
 * The file's entry against the number's live settings: every setting the entry declares (a side it
 * turns off is not compared). A declared setting that something else overrides differs too: it
 * would have no effect, and `up` refuses it.
 */
export function compareEntry(entry: NumberEntry, live: CarrierNumber | undefined): FileDifference[] {
  if (!live)
    return [
      {
        phoneNumber: entry.phoneNumber,
        field: "number",
        file: entry.phoneNumber,
        live: null,
        note: "not in the account",
      },
    ];
  const differences: FileDifference[] = [];
  for (const { side, fields } of SIDES) {
    if (entry[side] === false) continue;
    for (const field of fields) {
      const declared = entry[field];
      if (declared === undefined) continue;
      const override = live.overrides?.[field];
      if (override)
        differences.push({
          phoneNumber: entry.phoneNumber,
          field,
          file: declared,
          live: override.effective,
          note: `${override.by} decides: ${override.remedy}`,
        });
      else if (declared !== live.webhooks[field])
        differences.push({
          phoneNumber: entry.phoneNumber,
          field,
          file: declared,
          live: live.webhooks[field],
        });
    }
  }
  return differences;
}

/** A difference as one line, passwords masked. */
export function describeDifference(d: FileDifference): string {
  const shown = (v: string | null) => (v === null ? "unset" : JSON.stringify(redactUrl(v)));
  if (d.field === "number") return `${d.phoneNumber}: ${d.note}`;
  return `${d.phoneNumber} ${d.field}: file ${shown(d.file)}, live ${shown(d.live)}${d.note ? ` (${d.note})` : ""}`;
}
