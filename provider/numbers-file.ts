/**
 * The numbers file: a YAML (or JSON) list of the numbers a stack manages, one entry per number,
 * in the resource's own argument names. `npx pulumi-phone-webhooks adopt` writes one from a live
 * account; a program reads it with `readNumbersFile` and hands each entry to a
 * `PhoneNumberWebhooks` (`numberArgs`) or the entries of one carrier to a
 * `PhoneNumberWebhooksSet` (`setMembers`).
 *
 * The entry schema is the resource's argument schema (schema.ts), plus `voice` and `sms`: `false`
 * leaves that side of the number alone (no voice setting, or no SMS setting, is managed).
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { CarrierName } from "./carriers";
import { ARGUMENT_SCHEMAS, type CheckedArgs } from "./schema";
import { didYouMean } from "./spelling";
import { isVoiceField, WEBHOOK_FIELDS, type WebhookField } from "./webhooks";

const VOICE_FIELDS = WEBHOOK_FIELDS.filter(isVoiceField);
const SMS_FIELDS = WEBHOOK_FIELDS.filter((f) => !isVoiceField(f));

/** The arguments a number's entry may give besides its webhook settings. */
const OPTION_NAMES = [
  "provider",
  "accountSid",
  "onDelete",
  "allowSharedUpdate",
  "onShared",
  "preflight",
] as const;
type OptionName = (typeof OPTION_NAMES)[number];

/** Every argument but `phoneNumber`, optional, with its own rule and message. */
function optionalArguments() {
  const { phoneNumber: _required, ...rest } = ARGUMENT_SCHEMAS;
  return Object.fromEntries(Object.entries(rest).map(([name, schema]) => [name, schema.optional()])) as {
    [K in keyof typeof rest]: z.ZodOptional<(typeof rest)[K]>;
  };
}

const entryObjectSchema = z
  // Strict: in a file of a thousand entries a misspelt key (`voiceURL`) would otherwise be dropped
  // without a word, and the number deployed without it.
  .strictObject({
    ...optionalArguments(),
    phoneNumber: ARGUMENT_SCHEMAS.phoneNumber,
    voice: z.boolean({ error: "voice must be true or false" }).optional().meta({
      description: "false: leave the number's voice settings alone (URL, method, fallback, status callback)",
    }),
    sms: z
      .boolean({ error: "sms must be true or false" })
      .optional()
      .meta({ description: "false: leave the number's SMS settings alone (URL, method, fallback)" }),
  })
  .superRefine((entry, ctx) => {
    // `voice: false` with a voice setting says two things at once: refuse rather than pick one.
    for (const [side, fields] of [
      ["voice", VOICE_FIELDS],
      ["sms", SMS_FIELDS],
    ] as const)
      if (entry[side] === false)
        for (const field of fields)
          if (entry[field] !== undefined)
            ctx.addIssue({
              code: "custom",
              path: [field],
              message: `${side}: false leaves the number's ${side} settings alone: remove ${field}, or ${side}: false`,
            });
  });

const ENTRY_KEYS = Object.keys(entryObjectSchema.shape);

/** One entry: `"+1…"` alone, or `{ phoneNumber, …arguments, voice?, sms? }`. */
export const NUMBER_ENTRY_SCHEMA = z
  .union([ARGUMENT_SCHEMAS.phoneNumber, entryObjectSchema])
  .transform((entry) => (typeof entry === "string" ? { phoneNumber: entry } : entry));
export type NumberEntry = z.output<typeof NUMBER_ENTRY_SCHEMA>;

/** The whole file: a list of entries. */
export const NUMBERS_FILE_SCHEMA = z.array(NUMBER_ENTRY_SCHEMA);

/** The arguments of one `PhoneNumberWebhooks`, as `numberArgs` makes them from an entry. */
export type NumberArgs = { phoneNumber: string } & Partial<Omit<CheckedArgs, "phoneNumber">>;

/** What a program gives every number unless its entry says otherwise (say, URLs from a base URL). */
export type NumberDefaults = Partial<Omit<CheckedArgs, "phoneNumber">>;

function phoneNumberOf(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  return entry && typeof entry === "object" && "phoneNumber" in entry && typeof entry.phoneNumber === "string"
    ? entry.phoneNumber
    : undefined;
}

/** "entry 3 (+13125550200), onShared: …": entries count from 0, as a YAML list is read. */
function where(index: number, entry: unknown, field?: string): string {
  const phone = phoneNumberOf(entry);
  return `entry ${index}${phone === undefined ? "" : ` (${phone})`}${field ? `, ${field}` : ""}`;
}

/**
 * A union reports "invalid input" for an object entry: its object branch's issues say what is
 * wrong. A string entry that is not E.164 gets the phone number's own message.
 */
function entryIssues(entry: unknown): Array<{ field?: string; message: string }> {
  if (typeof entry === "string") {
    const parsed = ARGUMENT_SCHEMAS.phoneNumber.safeParse(entry);
    return parsed.success ? [] : [{ message: parsed.error.issues[0]!.message }];
  }
  if (!entry || typeof entry !== "object" || Array.isArray(entry))
    return [{ message: 'must be "+1…" or { phoneNumber: "+1…", … }' }];
  const parsed = entryObjectSchema.safeParse(entry);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) =>
    // A misspelt key gets the nearest known one, as a resource's unknown property does.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          field: key,
          message: `"${key}" is not a key of a numbers file entry${didYouMean(key, ENTRY_KEYS)}`,
        }))
      : [{ field: issue.path.length ? issue.path.join(".") : undefined, message: issue.message }],
  );
}

/**
 * Checks a list of entries, from a file or from stack config. Throws one error naming `source`
 * and every entry at fault (its index, number and field) with the rule; a number listed twice is
 * one of them (two resources would fight over its webhooks).
 */
export function parseNumberEntries(data: unknown, source: string): NumberEntry[] {
  if (!Array.isArray(data))
    throw new Error(
      `${source}: must be a list of entries ("- phoneNumber: ..."), not ${data == null ? "empty" : typeof data}`,
    );
  const problems: string[] = [];
  const first = new Map<string, number>();
  data.forEach((entry: unknown, index) => {
    for (const issue of entryIssues(entry))
      problems.push(`${where(index, entry, issue.field)}: ${issue.message}`);
    const phone = phoneNumberOf(entry);
    if (phone === undefined) return;
    const earlier = first.get(phone);
    if (earlier === undefined) first.set(phone, index);
    else problems.push(`${where(index, entry, "phoneNumber")}: ${phone} is already entry ${earlier}`);
  });
  if (problems.length)
    throw new Error(`${source}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return NUMBERS_FILE_SCHEMA.parse(data);
}

/**
 * Reads and checks a numbers file: YAML, or JSON for a `.json` file. Every error names the file;
 * a syntax error its line and column, a broken rule the entry and field (see `parseNumberEntries`).
 */
export function readNumbersFile(path: string): NumberEntry[] {
  const source = `numbers file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${source}: cannot read it (${(error as Error).message})`);
  }
  return parseNumberEntries(parseText(text, path, source), source);
}

function parseText(text: string, path: string, source: string): unknown {
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`${source}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const at = error.linePos?.[0];
    throw new Error(
      `${source}: not valid YAML${at ? ` at line ${at.line}, column ${at.col}` : ""}: ${error.message.split("\n")[0]}`,
    );
  }
  return document.toJS();
}

function entrySettings(entry: NumberEntry): Partial<Record<WebhookField, string>> {
  const settings: Partial<Record<WebhookField, string>> = {};
  for (const field of WEBHOOK_FIELDS) if (entry[field] !== undefined) settings[field] = entry[field];
  return settings;
}

/**
 * The arguments of a `PhoneNumberWebhooks` for one entry: the program's `defaults` (the URLs it
 * derives from a base URL, say), the entry's own values over them, and nothing on a side the entry
 * turns off (`voice: false`, `sms: false`).
 */
export function numberArgs(entry: NumberEntry, defaults: NumberDefaults = {}): NumberArgs {
  const args: NumberArgs = { phoneNumber: entry.phoneNumber };
  for (const name of OPTION_NAMES) {
    const value = entry[name] ?? defaults[name];
    if (value !== undefined) Object.assign(args, { [name]: value });
  }
  for (const field of WEBHOOK_FIELDS) {
    if (entry[isVoiceField(field) ? "voice" : "sms"] === false) continue;
    const value = entry[field] ?? defaults[field];
    if (value !== undefined) Object.assign(args, { [field]: value });
  }
  return args;
}

/** What a set declares once for all its members: the arguments `setMembers` compares entries with. */
export type SetDeclares = Partial<Pick<CheckedArgs, OptionName | WebhookField>> & { provider: CarrierName };

/** A member of a set's `numbers`: the number and what it declares over the set. */
export type SetMember = { phoneNumber: string } & Partial<Record<WebhookField, string>>;

/**
 * The entries a `PhoneNumberWebhooksSet` takes, as its `numbers`: those of its carrier (`provider`
 * as the set declares it; an entry without one is taken too) and its account (`accountSid`, the
 * same or both absent). Each member keeps its own webhook settings over the set's. What a set
 * applies to every member alike cannot differ per entry: an entry whose `onShared`, `onDelete`,
 * `allowSharedUpdate` or `preflight` differs from the set's, or that turns off (`voice: false`) a
 * side the set declares, fails naming the entry and the field.
 */
export function setMembers(
  entries: readonly NumberEntry[],
  set: SetDeclares,
  source = "numbers file",
): SetMember[] {
  const problems: string[] = [];
  const members: SetMember[] = [];
  entries.forEach((entry, index) => {
    if (entry.provider !== undefined && entry.provider !== set.provider) return;
    if ((entry.accountSid ?? undefined) !== (set.accountSid ?? undefined)) return;
    for (const name of ["onDelete", "allowSharedUpdate", "onShared", "preflight"] as const)
      if (entry[name] !== undefined && entry[name] !== set[name])
        problems.push(
          `${where(index, entry, name)}: ${JSON.stringify(entry[name])} differs from the set's (${JSON.stringify(set[name] ?? null)}); a set applies one ${name} to every member: give this number a set or a PhoneNumberWebhooks of its own`,
        );
    for (const [side, fields] of [
      ["voice", VOICE_FIELDS],
      ["sms", SMS_FIELDS],
    ] as const) {
      const declared = fields.filter((f) => set[f] !== undefined);
      if (entry[side] === false && declared.length)
        problems.push(
          `${where(index, entry, side)}: false, but the set declares ${declared.join(", ")} for every member: declare the set without them (each member giving its own), or manage this number with a PhoneNumberWebhooks`,
        );
    }
    members.push({ phoneNumber: entry.phoneNumber, ...entrySettings(entry) });
  });
  if (problems.length)
    throw new Error(`${source}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return members;
}

/**
 * The JSON Schema of a numbers file, for editors (the YAML language server, VS Code): generated
 * from the zod schema, with the rules JSON Schema can say (E.164, https) added to it. The package
 * ships it as `numbers-file.schema.json`.
 */
export function numbersFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(z.array(z.union([ARGUMENT_SCHEMAS.phoneNumber, entryObjectSchema])), {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown> & { items: { anyOf: Array<Record<string, unknown>> } };
  const e164 = { type: "string", pattern: "^\\+[1-9][0-9]{1,14}$", description: "E.164, like +14155550100" };
  const [, object] = schema.items.anyOf as [unknown, { properties: Record<string, Record<string, unknown>> }];
  schema.items.anyOf[0] = e164;
  object.properties.phoneNumber = e164;
  for (const field of WEBHOOK_FIELDS)
    object.properties[field] = field.endsWith("Method")
      ? { type: "string", enum: ["GET", "POST"] }
      : { type: "string", pattern: "^https://[^/?#]", maxLength: 2048 };
  return {
    ...schema,
    title: "pulumi-phone-webhooks numbers file",
    description:
      "One entry per number, in PhoneNumberWebhooks' argument names. voice: false / sms: false leave that side of the number alone.",
  };
}
