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
 * Pure: no engine, no I/O. Every URL leaves here with its password masked.
 */
import { PHONE_NUMBER_WEBHOOKS_TYPE } from "../type-token";
import { redactUrl } from "../webhooks";

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
}

export interface DriftReport {
  stack: string;
  /** `drift`: at least one number would change; `clean`: none; `error`: the preview failed. */
  status: "clean" | "drift" | "error";
  checkedAt: string;
  /** How many PhoneNumberWebhooks resources the preview saw. */
  resources: number;
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

/** The drift a refresh preview's events show, for the resources of type `type`. */
export function extractDrift(
  events: readonly DriftEngineEvent[],
  stack: string,
  options: { type?: string; now?: Date } = {},
): DriftReport {
  const type = options.type ?? PHONE_NUMBER_WEBHOOKS_TYPE;
  const seen = new Set<string>();
  const byUrn = new Map<string, NumberDrift>();
  for (const event of events) {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || meta.type !== type) continue;
    seen.add(meta.urn);
    if (UNCHANGED_OPS.has(meta.op) || SECONDARY_OPS.has(meta.op)) continue;
    byUrn.set(meta.urn, {
      resource: resourceName(meta.urn),
      urn: meta.urn,
      phoneNumber: phoneNumberOf(meta),
      op: meta.op,
      fields: meta.op === "update" || meta.op === "replace" ? fieldsOf(meta) : [],
    });
  }
  const drift = [...byUrn.values()].sort(
    (a, b) => (a.phoneNumber ?? "").localeCompare(b.phoneNumber ?? "") || a.urn.localeCompare(b.urn),
  );
  return {
    stack,
    status: drift.length > 0 ? "drift" : "clean",
    checkedAt: (options.now ?? new Date()).toISOString(),
    resources: seen.size,
    drift,
  };
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

/** The report as a table for a terminal. */
export function formatReport(report: DriftReport): string {
  if (report.status === "error") return `Drift check of stack ${report.stack} failed: ${report.error ?? ""}`;
  if (report.status === "clean")
    return `No drift in stack ${report.stack}: ${report.resources} phone number resource(s) match the carriers.`;
  const rows: string[][] = [["NUMBER", "RESOURCE", "CHANGE", "FIELD", "DECLARED", "LIVE"]];
  for (const d of report.drift) {
    const number = d.phoneNumber ?? "?";
    if (d.fields.length === 0) rows.push([number, d.resource, d.op, "", "", ""]);
    for (const f of d.fields)
      rows.push([
        number,
        d.resource,
        d.op,
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
  return [
    `Drift in stack ${report.stack}: ${report.drift.length} of ${report.resources} phone number resource(s) differ.`,
    ...lines,
  ].join("\n");
}
