/**
 * The schemas of `PhoneNumberWebhooksSet`, stated once: its arguments (the per-number ones it
 * shares with `PhoneNumberWebhooks`, plus its members) and the compact record it keeps per member.
 * `checkSetArgs` validates the arguments with the per-number rules and wording.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { CARRIERS, CARRIER_ID_KEYS, CARRIER_NAMES, listNames, type CarrierName } from "./carriers";
import type { CheckFailure } from "./carriers/carrier";
import {
  e164Reason,
  isolationSchema,
  isUnknown,
  UNKNOWN,
  type ArgumentName,
  type CheckedArgs,
} from "./schema";
import { didYouMean } from "./spelling";
import { carrierRules, checkProperties, MISSING_WEBHOOK, type CheckOptions } from "./validation";
import { recordOf, redactUrl, WEBHOOK_FIELDS, type WebhookChanges, type WebhookField } from "./webhooks";

/** The per-number arguments a set takes once for all its members. */
export const SHARED_ARG_NAMES = [
  "provider",
  "accountSid",
  ...WEBHOOK_FIELDS,
  "onDelete",
  "allowSharedUpdate",
  "onShared",
  "preflight",
  "switchHandlers",
] as const satisfies readonly ArgumentName[];

/**
 * Members at a time per operation: each runs its few calls in sequence, so this also bounds the
 * requests in flight. Twilio refuses too many concurrent requests per account (429, error 20429)
 * and Telnyx too many per time window (429, code 10011); neither publishes a fixed figure, and
 * both retry-safe refusals are retried. 16 stays well below what either carrier's own tools use.
 */
export const DEFAULT_CONCURRENCY = 16;
export const MAX_CONCURRENCY = 64;

/** The set's own arguments, beside the shared per-number ones. */
const SET_ONLY_SCHEMAS = {
  /**
   * Members at a time during an operation, per set (default 16, at most 64).
   */
  concurrency: z
    .number({ error: "concurrency must be a whole number from 1 to 64" })
    .int({ error: "concurrency must be a whole number from 1 to 64" })
    .min(1, { error: "concurrency must be a whole number from 1 to 64" })
    .max(MAX_CONCURRENCY, { error: "concurrency must be a whole number from 1 to 64" }),
  /** Names what the set makes at the carrier (Telnyx copies, `<original> (<label>)`); default the resource name. */
  label: z
    .string({ error: "label must be a string" })
    .min(1, { error: "label must not be empty" })
    .max(100, { error: "label must be at most 100 characters" }),
};

export const SET_ARG_NAMES = [...SHARED_ARG_NAMES, "numbers", "select", ...Object.keys(SET_ONLY_SCHEMAS)];

/** Settings as declared: a value for each one managed. */
export type DeclaredSettings = Pick<CheckedArgs, WebhookField>;

/** The checked arguments of a set, as `create`, `update` and `diff` receive them. */
export type CheckedSetArgs = Pick<CheckedArgs, (typeof SHARED_ARG_NAMES)[number]> & {
  numbers?: Array<string | ({ phoneNumber: string } & DeclaredSettings)>;
  select?: Record<string, string>;
  concurrency?: number;
  label: string;
  /**
   * Every member, by number: what it declares over the set's settings (passwords masked; the
   * values come from `numbers`). Made by `check` from `numbers` and `select`; unknown in a preview
   * while they are.
   */
  members: Record<string, WebhookChanges> | string;
};

/**
 * What the set keeps per member: what `PhoneNumberWebhooks` keeps for one number, without what
 * the set's arguments already say. Only the settings the member manages are kept.
 */
export const memberStateSchema = z.object({
  /** The member's carrier, when the set does not declare one. */
  provider: z.enum(CARRIER_NAMES).optional(),
  /** The carrier's identifiers of the number and its objects (the ones set). */
  ids: z.object(recordOf(CARRIER_ID_KEYS, () => z.string().optional())),
  /** The live values, read back from the carrier. */
  webhooks: z.object(recordOf(WEBHOOK_FIELDS, () => z.string().nullable().optional())),
  /** The values before the set took the number over: restored when it leaves. */
  previous: z.object(recordOf(WEBHOOK_FIELDS, () => z.string().nullable().optional())),
  /** The carrier's own values before the set took the number over (`CarrierFields`): restored too. */
  previousCarrierFields: z.record(z.string(), z.string().nullable()).optional(),
  /** Telnyx, `onShared: "isolate"`: the set's copies the member is on. */
  isolated: z.array(isolationSchema).optional(),
  /** Settings something else overrides (a Twilio application, trunk or Messaging Service). */
  overriddenBy: z.object(recordOf(WEBHOOK_FIELDS, () => z.string().optional())).optional(),
  /**
   * What the member declared when its record was written, kept only while the set's arguments say
   * otherwise (an update that failed for it): what it wrote, which its next update or leave starts from.
   */
  declared: z.object(recordOf(WEBHOOK_FIELDS, () => z.string().nullable().optional())).optional(),
  /** Likewise, the `onShared` it was applied with (what it wrote in place, it wrote with consent). */
  onShared: z.enum(["refuse", "update", "isolate"]).optional(),
});
export type MemberState = z.output<typeof memberStateSchema>;

/** The stored outputs of a set: its arguments as applied, and each member's record. */
export type SetOutputs = Omit<CheckedSetArgs, "members"> & {
  members: Record<string, MemberState>;
  /** Members in the state. */
  memberCount: number;
  /** "Successfully updated webhooks for 1000 number(s) via twilio" */
  message: string;
  /**
   * Members whose join failed (not in `members`): their journal entries hold what they had. The
   * next update retries the ones still declared and gives the others back what they had.
   */
  failedToJoin?: string[];
};
export const SET_OUTPUT_NAMES = ["members", "memberCount", "message", "failedToJoin"] as const;

/**
 * A set's outputs as the state holds them: `members` as one string (`encodeMemberRecords`), or,
 * in a state written before that encoding, as an object.
 */
export type StoredSetOutputs = Omit<SetOutputs, "members"> & {
  members: string | Record<string, MemberState>;
};

/**
 * The state carries the member records as one string: gzip-compressed JSON, in base64, behind a
 * format prefix. As a nested object, every copy the dynamic-provider host makes (the gRPC
 * message's protobuf `Struct`, its JavaScript form, the response's) holds some 25 protobuf
 * `Value`s per member: about 300 MB and 4 s of CPU per read of 10,000 members, against 6 MB and
 * 0.4 s as one string. The records are secret, so the state shows ciphertext either way; previews
 * show the members from the inputs, which stay an object per number.
 */
const MEMBER_RECORDS_FORMAT = "gzip-base64:";

export function encodeMemberRecords(members: Record<string, MemberState>): string {
  return MEMBER_RECORDS_FORMAT + gzipSync(JSON.stringify(members)).toString("base64");
}

/** Only the shape: a record per number, not copied (a set may hold 100,000). */
const storedMembersSchema = z.record(
  z.string(),
  z.custom<MemberState>((record) => typeof record === "object" && record !== null && !Array.isArray(record), {
    message: "a member record is an object",
  }),
);

/** The member records from the state: the encoded string, or the object an older state holds. */
export function decodeMemberRecords(stored: unknown): Record<string, MemberState> {
  if (stored === undefined || stored === null) return {};
  let records: unknown = stored;
  if (typeof stored === "string") {
    if (!stored.startsWith(MEMBER_RECORDS_FORMAT))
      throw new Error(
        `The set's member records are in an unknown format (${JSON.stringify(stored.slice(0, 16))}…)`,
      );
    records = JSON.parse(
      gunzipSync(Buffer.from(stored.slice(MEMBER_RECORDS_FORMAT.length), "base64")).toString("utf8"),
    );
  }
  // Each record is checked where it is used (`memberStateSchema`): only the shape here.
  return storedMembersSchema.parse(records);
}

/** The outputs as the lifecycle works with them: member records decoded. */
export function setOutputsFromState<T extends Partial<StoredSetOutputs>>(
  stored: T,
): T & Pick<SetOutputs, "members"> {
  return { ...stored, members: decodeMemberRecords(stored.members) };
}

/** The outputs as the state holds them: member records encoded. */
export function setOutputsToState(outs: SetOutputs): StoredSetOutputs {
  return { ...outs, members: encodeMemberRecords(outs.members) };
}

/** The carrier a set's numbers are at: declared, else the one whose keys `select` uses. */
export function setCarrier(args: { provider?: unknown; select?: unknown }): CarrierName | undefined {
  if (typeof args.provider === "string" && (CARRIER_NAMES as readonly string[]).includes(args.provider))
    return args.provider as CarrierName;
  const keys = args.select && typeof args.select === "object" ? Object.keys(args.select) : [];
  const owners = CARRIERS.filter((c) => keys.some((key) => key in c.selectors));
  return owners.length === 1 ? owners[0]!.name : undefined;
}

/** The settings a member has: the set's, with its own over them. */
export function memberSettings(args: DeclaredSettings, overrides: DeclaredSettings = {}): DeclaredSettings {
  const settings: DeclaredSettings = {};
  for (const field of WEBHOOK_FIELDS) {
    const value = overrides[field] ?? args[field];
    if (value !== undefined) Object.assign(settings, { [field]: value });
  }
  return settings;
}

const listedCache = new WeakMap<object, Map<string, DeclaredSettings>>();

/** The members given in `numbers`, by number, with what each declares over the set. */
export function listedMembers(numbers: CheckedSetArgs["numbers"] | string): Map<string, DeclaredSettings> {
  if (typeof numbers === "string" || numbers === undefined) return new Map(); // none, or not known yet
  // Asked once per member of an operation: built once per list.
  let listed = listedCache.get(numbers);
  if (listed) return listed;
  listed = new Map<string, DeclaredSettings>();
  listedCache.set(numbers, listed);
  for (const entry of numbers) {
    if (typeof entry === "string") listed.set(entry, {});
    else {
      const { phoneNumber, ...overrides } = entry;
      listed.set(phoneNumber, overrides);
    }
  }
  return listed;
}

/** What a member declares, as `members` shows it: passwords masked. */
export function shownOverrides(overrides: DeclaredSettings): WebhookChanges {
  const shown: WebhookChanges = {};
  for (const [field, value] of Object.entries(overrides) as Array<[WebhookField, string]>)
    shown[field] = redactUrl(value);
  return shown;
}

/**
 * Validates a set's arguments. Never throws: every problem becomes a failure naming its property
 * (`numbers[3].voiceUrl`, `select.tag`). `members` is left to the caller, which may need the carrier.
 */
export function checkSetArgs(
  raw: unknown,
  options: CheckOptions = {},
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const news = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const failures: CheckFailure[] = [];
  for (const [key, value] of Object.entries(news))
    if (key !== "__provider" && key !== "members" && !SET_ARG_NAMES.includes(key) && value != null)
      failures.push({
        property: key,
        reason: `"${key}" is not a property of PhoneNumberWebhooksSet${didYouMean(key, SET_ARG_NAMES)}`,
      });

  const shared = checkProperties(news, SHARED_ARG_NAMES, options);
  const inputs: Record<string, unknown> = shared.inputs;
  failures.push(...shared.failures, ...carrierRules(news, SHARED_ARG_NAMES));
  for (const [name, schema] of Object.entries(SET_ONLY_SCHEMAS)) {
    const value = news[name];
    if (value === undefined || value === null) continue;
    const parsed = isUnknown(value) ? { success: true as const, data: value } : schema.safeParse(value);
    if (parsed.success) inputs[name] = parsed.data;
    else failures.push({ property: name, reason: parsed.error.issues[0]!.message });
  }

  const numbers = checkNumbers(news, inputs, options);
  failures.push(...numbers.failures);
  if (numbers.value !== undefined) inputs.numbers = numbers.value;
  const select = checkSelect(news);
  failures.push(...select.failures);
  if (select.value !== undefined) inputs.select = select.value;
  if (
    numbers.value === undefined &&
    select.value === undefined &&
    numbers.failures.length + select.failures.length === 0
  )
    failures.push({
      property: "numbers",
      reason:
        "numbers or select is required: the numbers of the set, or a selector that finds them in the account",
    });

  // Every member needs a webhook URL: the set's, or its own.
  const given = (values: Record<string, unknown>, field: string) =>
    values[field] !== undefined && values[field] !== null;
  if (!given(news, "voiceUrl") && !given(news, "smsUrl")) {
    const entries = Array.isArray(numbers.value) ? numbers.value : [];
    const without = entries.filter(
      (e) => typeof e === "string" || (!given(e, "voiceUrl") && !given(e, "smsUrl")),
    );
    if (select.value !== undefined || without.length > 0 || entries.length === 0)
      failures.push({ property: "voiceUrl", reason: MISSING_WEBHOOK });
  }
  if (isUnknown(news.onShared) || news.onShared !== "isolate") return { inputs, failures };
  // Isolating moves members onto the set's own copies: selected by their original, they would leave.
  const selected = select.value && typeof select.value === "object" ? Object.keys(select.value) : [];
  for (const key of selected) {
    const movedByIsolation = CARRIERS.find((c) => Object.hasOwn(c.selectors, key))?.selectors[key]
      ?.movedByIsolation;
    if (movedByIsolation)
      failures.push({
        property: `select.${key}`,
        reason: `select.${key} cannot be combined with onShared: "isolate": ${movedByIsolation}`,
      });
  }
  return { inputs, failures };
}

type Checked<T> = { value?: T; failures: CheckFailure[] };

function checkNumbers(
  news: Record<string, unknown>,
  sharedInputs: Record<string, unknown>,
  options: CheckOptions,
): Checked<CheckedSetArgs["numbers"] | string> {
  const raw = news.numbers;
  if (raw === undefined || raw === null) return { failures: [] };
  if (isUnknown(raw)) return { value: raw as string, failures: [] };
  if (!Array.isArray(raw))
    return {
      failures: [
        {
          property: "numbers",
          reason: "numbers must be a list of E.164 numbers, or of { phoneNumber, …settings }",
        },
      ],
    };
  const failures: CheckFailure[] = [];
  const value: NonNullable<CheckedSetArgs["numbers"]> = [];
  const seen = new Map<string, number>();
  for (const [index, entry] of raw.entries()) {
    const at = `numbers[${index}]`;
    const phoneNumber =
      typeof entry === "string"
        ? entry
        : entry && typeof entry === "object"
          ? (entry as Record<string, unknown>).phoneNumber
          : undefined;
    // A number not known yet (another resource's output): the members are not known either.
    if (isUnknown(phoneNumber) || isUnknown(entry)) return { value: UNKNOWN, failures };
    if (typeof phoneNumber !== "string") {
      failures.push({ property: at, reason: `${at} must be an E.164 number, or { phoneNumber, …settings }` });
      continue;
    }
    const invalid = e164Reason(phoneNumber);
    if (invalid) {
      failures.push({
        property: typeof entry === "string" ? at : `${at}.phoneNumber`,
        reason: `${at}: ${invalid}`,
      });
      continue;
    }
    const first = seen.get(phoneNumber);
    if (first !== undefined) {
      failures.push({
        property: at,
        reason: `${at}: ${phoneNumber} is already numbers[${first}]: list each number once`,
      });
      continue;
    }
    seen.set(phoneNumber, index);
    if (typeof entry === "string") {
      value.push(entry);
      continue;
    }
    const fields = entry as Record<string, unknown>;
    for (const key of Object.keys(fields))
      if (
        key !== "phoneNumber" &&
        !(WEBHOOK_FIELDS as readonly string[]).includes(key) &&
        fields[key] != null
      )
        failures.push({
          property: `${at}.${key}`,
          reason: `${at}: "${key}" is not a setting a member can declare${didYouMean(key, WEBHOOK_FIELDS)} (${WEBHOOK_FIELDS.join(", ")})`,
        });
    const own = checkProperties(fields, WEBHOOK_FIELDS, options, `${at}.`);
    failures.push(
      ...own.failures,
      ...carrierRules({ ...fields, provider: sharedInputs.provider }, WEBHOOK_FIELDS, `${at}.`),
    );
    // A setting equal to the set's is not the member's own.
    const overrides = Object.fromEntries(
      Object.entries(own.inputs).filter(([field, v]) => v !== sharedInputs[field]),
    );
    value.push({ phoneNumber, ...overrides });
  }
  return { value, failures };
}

function checkSelect(news: Record<string, unknown>): Checked<Record<string, string> | string> {
  const raw = news.select;
  if (raw === undefined || raw === null) return { failures: [] };
  if (isUnknown(raw)) return { value: raw as string, failures: [] };
  const keysOf = (c: (typeof CARRIERS)[number]) => Object.keys(c.selectors);
  const every = CARRIERS.map((c) => `${c.name}: ${keysOf(c).join(", ") || "none"}`).join("; ");
  if (typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length === 0)
    return {
      failures: [{ property: "select", reason: `select must be an object of selector keys (${every})` }],
    };
  const carrier = setCarrier({ provider: news.provider, select: raw });
  const descriptor = CARRIERS.find((c) => c.name === carrier);
  const keys = Object.keys(raw);
  const owners = CARRIERS.filter((c) => keys.some((key) => keysOf(c).includes(key)));
  if (!descriptor && owners.length > 1)
    return {
      failures: [
        {
          property: "select",
          reason: `select mixes the keys of ${listNames(
            owners.map((c) => c.name),
            "and",
          )}: a set's numbers are at one carrier (${every})`,
        },
      ],
    };
  const failures: CheckFailure[] = [];
  const value: Record<string, string> = {};
  for (const [key, given] of Object.entries(raw as Record<string, unknown>)) {
    const rule = descriptor?.selectors?.[key];
    if (!rule) {
      const owner = CARRIERS.find((c) => keysOf(c).includes(key));
      failures.push({
        property: `select.${key}`,
        reason:
          owner && descriptor
            ? `select.${key} selects ${owner.name} numbers, but provider is "${descriptor.name}" (${every})`
            : `select.${key} is not a selector key${didYouMean(key, CARRIERS.flatMap(keysOf))} (${every})`,
      });
      continue;
    }
    if (isUnknown(given)) {
      value[key] = given as string;
      continue;
    }
    const parsed = rule.schema.safeParse(given);
    if (parsed.success) value[key] = parsed.data;
    else
      // The key's rule names it: `select.tag must not be empty`.
      failures.push({ property: `select.${key}`, reason: parsed.error.issues[0]!.message });
  }
  return { value, failures };
}
