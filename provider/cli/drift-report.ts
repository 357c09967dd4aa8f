/**
 * Drift, read from the engine events of a refresh preview (`pulumi preview --refresh`): for every
 * `PhoneNumberWebhooks` resource the engine would change, which settings differ between what the
 * program declares and what the carrier has now.
 *
 * With a refresh, the engine first reads every number back (the provider's `read` returns the live
 * values as the resource's inputs), then diffs the program's inputs against them. So in the step
 * event of a changed resource, `old.inputs` holds the live values and `new.inputs` the declared
 * ones. Dynamic providers report no detailed diff, so the fields are compared here.
 *
 * A `PhoneNumberWebhooksSet` is reported per member. Its `members` input holds, by number, what
 * the member declares over the set's settings; after the refresh (`old.inputs`), the live values
 * that differ from what it declares, or `{ released: true }` for a number the account no longer
 * has; in the program's check (`new.inputs`), the members found now, listed or selected. So a
 * number only in `new` joins, one only in `old` leaves, and a member's field differs when its
 * live value is not what the program declares for it (its own setting, else the set's).
 *
 * Pure: no engine, no I/O. Every URL leaves here with its password masked.
 */
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE } from "../type-token";
import { redactUrl, WEBHOOK_FIELDS } from "../webhooks";

/** The part of an engine event this reads (structurally `EngineEvent` of the Automation API). */
export interface DriftEngineEvent {
  resourcePreEvent?: { metadata: DriftStepMetadata };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}

export interface DriftStepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
  new?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null;
}

export interface FieldDrift {
  field: string;
  /**
   * `true` when the engine showed this setting only as `[secret]` on both sides (a URL with a
   * password is a secret input, and preview events never reveal secrets): the resource changes and
   * no visible setting explains it, so the secret ones are listed as what may have changed.
   */
  hidden?: true;
  /** What the program declares; `null`: not declared (the resource gives it back its previous value). */
  declared: string | null;
  /** What the carrier has now; `null`: unset. */
  live: string | null;
}

export interface NumberDrift {
  /** The resource's name in the program. */
  resource: string;
  urn: string;
  phoneNumber: string | null;
  /**
   * The engine's step: `update` (settings changed on the carrier), `create` (not in the state: a
   * new declaration, or the number left the account), `replace`, `delete` (no longer declared).
   */
  op: string;
  fields: FieldDrift[];
  /**
   * `true` when `resource` is a PhoneNumberWebhooksSet: the entry is one member's (`member` says
   * how it changed), or, without `member`, the set's own arguments (`phoneNumber` null).
   */
  set?: true;
  /**
   * A set member's change: `changed` (its settings differ on the carrier, see `fields`), `joined`
   * (a number the set now has: selected by `select`, or added to `numbers`), `left` (no longer
   * listed or selected: the next `up` gives it back its previous webhooks), `released` (the
   * account no longer has the number).
   */
  member?: "changed" | "joined" | "left" | "released";
  /** For a member that joined or left: whether through `select` or through the `numbers` list. */
  via?: "select" | "numbers";
}

export interface DriftReport {
  stack: string;
  /** `drift`: at least one number would change; `clean`: none; `error`: the preview failed. */
  status: "clean" | "drift" | "error";
  checkedAt: string;
  /** How many PhoneNumberWebhooks resources the preview saw. */
  resources: number;
  /** How many PhoneNumberWebhooksSet resources the preview saw. */
  sets: number;
  /** How many members those sets have, as the program declares them now (known ones). */
  setMembers: number;
  drift: NumberDrift[];
  /** When `status` is `error`: what failed, passwords masked. */
  error?: string;
}

/** Ops of a step that leaves the resource as it is. */
const UNCHANGED_OPS = new Set(["same", "refresh", "read", "discard", "discard-replaced"]);
/** The second half of a replacement: the first (`replace` or `create-replacement`) is reported. */
const SECONDARY_OPS = new Set(["delete-replaced", "create-replacement", "remove-pending-replace"]);
/** Inputs that are not settings of the number. */
const NOT_SETTINGS = new Set(["__provider"]);
/** The engine's encoding of a secret it does not reveal (`--show-secrets` off). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A value as the report shows it: a string with any password masked, or null. */
export function showValue(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "object" && SECRET_SIG in (value as object)) {
    const plaintext = (value as { plaintext?: unknown }).plaintext;
    return typeof plaintext === "string" ? showValue(JSON.parse(plaintext) as unknown) : "[secret]";
  }
  if (typeof value === "string") return redactUrl(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "string" ? redactUrl(v) : v));
}

function isHiddenSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value && !("plaintext" in value);
}

function resourceName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

function fieldsOf(meta: DriftStepMetadata): FieldDrift[] {
  const live = meta.old?.inputs ?? {};
  const declared = meta.new?.inputs ?? {};
  const keys = [...new Set([...Object.keys(live), ...Object.keys(declared)])].filter(
    (key) => !NOT_SETTINGS.has(key),
  );
  const fields: FieldDrift[] = [];
  const hidden: FieldDrift[] = [];
  for (const field of keys.sort()) {
    // Compare the raw values: two masked URLs can read the same and still differ in the password.
    const a = JSON.stringify(live[field] ?? null);
    const b = JSON.stringify(declared[field] ?? null);
    if (a !== b) fields.push({ field, declared: showValue(declared[field]), live: showValue(live[field]) });
    else if (isHiddenSecret(live[field]))
      hidden.push({ field, declared: "[secret]", live: "[secret]", hidden: true });
  }
  return fields.length > 0 ? fields : hidden;
}

function phoneNumberOf(meta: DriftStepMetadata): string | null {
  for (const props of [meta.new?.inputs, meta.old?.inputs, meta.old?.outputs]) {
    const n = showValue(props?.phoneNumber);
    if (n) return n;
  }
  return null;
}

/** The drift a refresh preview's events show, for the resources of type `type` and sets of `setType`. */
export function extractDrift(
  events: readonly DriftEngineEvent[],
  stack: string,
  options: { type?: string; setType?: string; now?: Date } = {},
): DriftReport {
  const type = options.type ?? PHONE_NUMBER_WEBHOOKS_TYPE;
  const setType = options.setType ?? PHONE_NUMBER_WEBHOOKS_SET_TYPE;
  const seen = new Set<string>();
  const byUrn = new Map<string, NumberDrift[]>();
  const sets = new Map<string, number>();
  for (const event of events) {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || (meta.type !== type && meta.type !== setType)) continue;
    if (meta.type === setType) {
      const members = recordOrNull(meta.new?.inputs?.members) ?? recordOrNull(meta.old?.inputs?.members);
      sets.set(meta.urn, members ? Object.keys(members).length : (sets.get(meta.urn) ?? 0));
    } else seen.add(meta.urn);
    if (UNCHANGED_OPS.has(meta.op) || SECONDARY_OPS.has(meta.op)) continue;
    if (meta.type === setType) {
      byUrn.set(meta.urn, setDrift(meta));
      continue;
    }
    byUrn.set(meta.urn, [
      {
        resource: resourceName(meta.urn),
        urn: meta.urn,
        phoneNumber: phoneNumberOf(meta),
        op: meta.op,
        fields: meta.op === "update" || meta.op === "replace" ? fieldsOf(meta) : [],
      },
    ]);
  }
  const drift = [...byUrn.values()]
    .flat()
    .sort(
      (a, b) =>
        (a.phoneNumber ?? "").localeCompare(b.phoneNumber ?? "") ||
        a.urn.localeCompare(b.urn) ||
        Number(a.member !== undefined) - Number(b.member !== undefined),
    );
  return {
    stack,
    status: drift.length > 0 ? "drift" : "clean",
    checkedAt: (options.now ?? new Date()).toISOString(),
    resources: seen.size,
    sets: sets.size,
    setMembers: [...sets.values()].reduce((sum, n) => sum + n, 0),
    drift,
  };
}

type Props = Record<string, unknown>;

function recordOrNull(value: unknown): Record<string, Props> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(SECRET_SIG in value)
    ? (value as Record<string, Props>)
    : null;
}

/** The set's own arguments a drift report compares (the members' settings are compared per member). */
const SET_MEMBER_KEYS = new Set<string>(["members", "numbers", ...WEBHOOK_FIELDS]);

/**
 * The entries of `numbers`, by number: what each declares over the set (raw, as the engine sent
 * them). When the engine hides the whole list as a secret, what each member declares is taken from
 * the check's `members` instead (passwords masked there).
 */
function listedOf(inputs: Props | undefined, members?: Record<string, Props> | null): Map<string, Props> {
  const listed = new Map<string, Props>();
  const numbers = inputs?.numbers;
  if (isHiddenSecret(numbers) && members)
    for (const [phoneNumber, own] of Object.entries(members)) listed.set(phoneNumber, own);
  if (!Array.isArray(numbers)) return listed;
  for (const entry of numbers as unknown[]) {
    if (typeof entry === "string") listed.set(entry, {});
    else if (
      entry !== null &&
      typeof entry === "object" &&
      typeof (entry as Props).phoneNumber === "string"
    ) {
      const { phoneNumber, ...own } = entry as Props;
      listed.set(phoneNumber as string, own);
    }
  }
  return listed;
}

/** A member's declared value of a field: its own, else the set's (raw). */
function declaredOf(
  inputs: Props | undefined,
  listed: Map<string, Props>,
  phoneNumber: string,
  field: string,
) {
  const own = listed.get(phoneNumber)?.[field];
  return own !== undefined && own !== null ? own : inputs?.[field];
}

/**
 * One set's step, as report entries: the set's own arguments that differ, then each member that
 * drifted, joined, left or was released. A change the events do not explain (a secret the engine
 * did not reveal, members not known yet) still yields the set's entry, so it counts as drift.
 */
function setDrift(meta: DriftStepMetadata): NumberDrift[] {
  const entry = (
    phoneNumber: string | null,
    fields: FieldDrift[],
    member?: NumberDrift["member"],
    via?: NumberDrift["via"],
  ): NumberDrift => ({
    resource: resourceName(meta.urn),
    urn: meta.urn,
    phoneNumber,
    op: meta.op,
    fields,
    set: true,
    ...(member ? { member } : {}),
    ...(via ? { via } : {}),
  });
  if (meta.op !== "update" && meta.op !== "replace") return [entry(null, [])];

  const oldInputs = meta.old?.inputs ?? {};
  const newInputs = meta.new?.inputs ?? {};
  const entries: NumberDrift[] = [];
  const own: FieldDrift[] = [];
  const keys = [...new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)])].filter(
    (key) => !NOT_SETTINGS.has(key) && !SET_MEMBER_KEYS.has(key),
  );
  for (const key of keys.sort())
    if (JSON.stringify(oldInputs[key] ?? null) !== JSON.stringify(newInputs[key] ?? null))
      own.push({ field: key, declared: showValue(newInputs[key]), live: showValue(oldInputs[key]) });

  const before = recordOrNull(oldInputs.members) ?? {};
  const after = recordOrNull(newInputs.members);
  if (after === null) return [entry(null, own)]; // members not known in this preview
  const listedBefore = listedOf(oldInputs, after);
  const listedAfter = listedOf(newInputs, after);
  const listedNow = listedOf(newInputs);
  const listedThen = listedOf(oldInputs);
  const numbers = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const phoneNumber of numbers) {
    const live = before[phoneNumber];
    if (live?.released === true) entries.push(entry(phoneNumber, [], "released"));
    else if (live === undefined)
      entries.push(entry(phoneNumber, [], "joined", listedNow.has(phoneNumber) ? "numbers" : "select"));
    else if (after[phoneNumber] === undefined)
      entries.push(entry(phoneNumber, [], "left", listedThen.has(phoneNumber) ? "numbers" : "select"));
    else {
      const fields = memberFields(phoneNumber, live, oldInputs, newInputs, listedBefore, listedAfter);
      if (fields.length > 0) entries.push(entry(phoneNumber, fields, "changed"));
    }
  }
  return own.length > 0 || entries.length === 0 ? [entry(null, own), ...entries] : entries;
}

/**
 * A member's fields whose live value is not what the program declares for it. `live` is what the
 * refresh shows under its number: its own settings, and every live value that differed from what
 * it declared at the last update (passwords masked by the provider); a field not there had the
 * value declared then.
 */
function memberFields(
  phoneNumber: string,
  live: Props,
  oldInputs: Props,
  newInputs: Props,
  listedBefore: Map<string, Props>,
  listedAfter: Map<string, Props>,
): FieldDrift[] {
  const fields: FieldDrift[] = [];
  const names = [...new Set<string>([...WEBHOOK_FIELDS, ...Object.keys(live)])].filter(
    (f) => f !== "released",
  );
  for (const field of names) {
    const was = declaredOf(oldInputs, listedBefore, phoneNumber, field);
    const now = declaredOf(newInputs, listedAfter, phoneNumber, field);
    const declared = showValue(now);
    if (field in live && showValue(live[field]) !== showValue(was)) {
      // Changed on the carrier: drift unless it now reads exactly what the program declares.
      const shown = showValue(live[field]);
      if (shown === declared && !isHiddenSecret(now) && !shown?.includes(":***@")) continue;
      fields.push({ field, declared, live: shown });
    } else if (JSON.stringify(was ?? null) !== JSON.stringify(now ?? null))
      // As declared at the last update; the program declares something else now.
      fields.push({ field, declared, live: showValue(field in live ? live[field] : was) });
  }
  return fields;
}

/** The error messages the engine reported, passwords masked, without colour codes. */
export function errorDiagnostics(events: readonly DriftEngineEvent[]): string[] {
  return events
    .map((e) => e.diagnosticEvent)
    .filter((d): d is NonNullable<typeof d> => d?.severity === "error")
    .map((d) => redactAll(stripAnsi(d.message).trim()))
    .filter((m) => m.length > 0);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m|<\{%[^%]*%\}>/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** Masks the password of every URL in a text. */
export function redactAll(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));
}

/** The CHANGE column: the engine's step, or how a set member changed. */
function changeOf(d: NumberDrift): string {
  if (d.member === "joined" || d.member === "left") return `${d.member} (${d.via ?? "select"})`;
  if (d.member === "released") return "released";
  return d.op;
}

/** The report as a table for a terminal. */
export function formatReport(report: DriftReport): string {
  if (report.status === "error") return `Drift check of stack ${report.stack} failed: ${report.error ?? ""}`;
  const sets = report.sets > 0 ? ` and ${report.sets} set(s) of ${report.setMembers} member(s)` : "";
  if (report.status === "clean")
    return `No drift in stack ${report.stack}: ${report.resources} phone number resource(s)${sets} match the carriers.`;
  const rows: string[][] = [["NUMBER", "RESOURCE", "CHANGE", "FIELD", "DECLARED", "LIVE"]];
  for (const d of report.drift) {
    const number = d.phoneNumber ?? (d.set ? "(set)" : "?");
    const resource = d.set ? `${d.resource} (set)` : d.resource;
    const change = changeOf(d);
    if (d.fields.length === 0) rows.push([number, resource, change, "", "", ""]);
    for (const f of d.fields)
      rows.push([
        number,
        resource,
        change,
        f.hidden ? `${f.field} (secret, may differ)` : f.field,
        f.declared ?? "(not declared)",
        f.live ?? "(unset)",
      ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
  const differ = new Set(report.drift.map((d) => d.urn)).size;
  const members = report.drift.filter((d) => d.member !== undefined).length;
  return [
    report.sets > 0
      ? `Drift in stack ${report.stack}: ${differ} of ${report.resources + report.sets} resource(s) differ ` +
        `(${report.resources} phone number resource(s)${sets}); ${members} set member(s) changed, joined, left or were released.`
      : `Drift in stack ${report.stack}: ${differ} of ${report.resources} phone number resource(s) differ.`,
    ...lines,
  ].join("\n");
}
