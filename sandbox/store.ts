/**
 * Everything the sandbox holds, and every operation on it that is not HTTP: the carrier state and
 * the seed it came from, releases, the request log, queued faults, latency and Twilio validation
 * errors. The server (server.ts) runs requests through it; `sandbox.control` is this object.
 */
import type { Carrier, Release } from "./carrier";
import { ControlError, formatZodError } from "./errors";
import { FaultQueue, type FaultSpec } from "./faults";
import { RequestLog, type RequestLogEntry } from "./request-log";
import type { ControlTarget, SandboxCredentials } from "./sandbox-control";
import { rfc2822 } from "./state/formats";
import { dumpState, findConnection, normalizeSeed, refreshTelnyxNames } from "./state/normalize";
import { telnyxPatchSchemas, twilioNumberPatch } from "./state/schemas";
import {
  type NormalizedState,
  type SandboxSeed,
  type SandboxState,
  type TelnyxKind,
  type TelnyxPhoneNumber,
  type TwilioIncomingPhoneNumber,
} from "./state/types";
import { TelnyxApi, merge } from "./telnyx";
import { TwilioApi } from "./twilio";

export class SandboxStore implements ControlTarget {
  private seed: SandboxSeed;
  private current: NormalizedState;
  /** The carrier APIs, over this store's state; their DELETEs and transfers land in releases(). */
  readonly twilio: TwilioApi;
  readonly telnyx: TelnyxApi;
  readonly log = new RequestLog();
  readonly faults = new FaultQueue();
  private releaseList: Release[] = [];
  private latencyMs = 0;
  private violations: string[] = [];

  /** Throws SeedError for an invalid seed. */
  constructor(seed: SandboxSeed = {}) {
    this.seed = structuredClone(seed);
    this.current = normalizeSeed(this.seed);
    this.twilio = new TwilioApi(
      () => this.current.twilio,
      (r) => this.releaseList.push(r),
    );
    this.telnyx = new TelnyxApi(
      () => this.current.telnyx,
      (r) => this.releaseList.push(r),
    );
  }

  /** The delay, in ms, before each carrier request is answered. */
  get latency(): number {
    return this.latencyMs;
  }

  /** Twilio OpenAPI violations the server found in a request or a response. */
  recordViolations(violations: string[]): void {
    this.violations.push(...violations);
  }

  credentials(): SandboxCredentials {
    return {
      twilio: { account_sid: this.current.twilio.account_sid, auth_token: this.current.twilio.auth_token },
      telnyx: { api_key: this.current.telnyx.api_key },
    };
  }

  loadSeed(seed: SandboxSeed): void {
    const next = normalizeSeed(seed); // throws SeedError before anything changes
    this.seed = structuredClone(seed);
    this.current = next;
    this.telnyx.reset();
    this.releaseList = [];
  }

  reset(): void {
    this.current = normalizeSeed(this.seed);
    this.telnyx.reset();
    this.releaseList = [];
    this.clearLog();
    this.clearFaults();
    this.latencyMs = 0;
  }

  state(): SandboxState {
    for (const n of this.current.telnyx.phone_numbers.values()) refreshTelnyxNames(this.current.telnyx, n);
    return dumpState(this.current);
  }

  private findTwilio(phoneNumber: string): TwilioIncomingPhoneNumber | undefined {
    for (const n of this.current.twilio.numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  private findTelnyx(phoneNumber: string): TelnyxPhoneNumber | undefined {
    for (const n of this.current.telnyx.phone_numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined {
    const n = this.findTwilio(phoneNumber);
    return n ? structuredClone(n) : undefined;
  }

  telnyxNumber(phoneNumber: string): TelnyxPhoneNumber | undefined {
    const n = this.findTelnyx(phoneNumber);
    return n ? structuredClone(refreshTelnyxNames(this.current.telnyx, n)) : undefined;
  }

  telnyxObject(kind: TelnyxKind, id: string): Record<string, unknown> | undefined {
    const map = this.current.telnyx[kind] as Map<string, object> | undefined;
    if (!map) throw new ControlError(`unknown Telnyx kind ${kind}`);
    const o = map.get(id);
    return o ? (structuredClone(o) as Record<string, unknown>) : undefined;
  }

  editTwilioNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void {
    const n = this.findTwilio(phoneNumber);
    if (!n) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
    const parsed = twilioNumberPatch.safeParse(patch);
    if (!parsed.success)
      throw new ControlError(`invalid Twilio number patch: ${formatZodError(parsed.error)}`);
    for (const k of ["sid", "account_sid", "uri"] as const) {
      if (parsed.data[k] !== undefined && parsed.data[k] !== n[k])
        throw new ControlError(`${k} cannot be changed`);
    }
    const { capabilities, ...rest } = parsed.data;
    Object.assign(n, rest);
    if (capabilities) n.capabilities = { ...n.capabilities, ...capabilities };
    if (parsed.data.date_updated === undefined) n.date_updated = rfc2822();
  }

  editTelnyx(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void {
    const t = this.current.telnyx;
    const schema = telnyxPatchSchemas[kind] as
      (typeof telnyxPatchSchemas)[keyof typeof telnyxPatchSchemas] | undefined;
    if (!schema) throw new ControlError(`unknown Telnyx kind ${kind}`);
    const parsed = schema.safeParse(patch);
    if (!parsed.success) throw new ControlError(`invalid ${kind} patch: ${formatZodError(parsed.error)}`);
    const data = parsed.data as Record<string, unknown>;
    const target: Record<string, unknown> | undefined =
      kind === "phone_numbers"
        ? ((t.phone_numbers.get(id) ?? this.findTelnyx(id)) as Record<string, unknown> | undefined)
        : ((t[kind] as Map<string, object>).get(id) as Record<string, unknown> | undefined);
    if (!target) throw new ControlError(`no Telnyx ${kind} ${id}`, 404);
    for (const k of ["id", "record_type"]) {
      if (data[k] !== undefined && data[k] !== target[k]) throw new ControlError(`${k} cannot be changed`);
    }
    if (kind === "phone_numbers") {
      const c = data["connection_id"];
      if (typeof c === "string" && !findConnection(t, c)) throw new ControlError(`no Telnyx connection ${c}`);
      const p = data["messaging_profile_id"];
      if (typeof p === "string" && p !== "UNAVAILABLE" && !t.messaging_profiles.has(p)) {
        throw new ControlError(`no Telnyx messaging profile ${p}`);
      }
    }
    // In place: the maps hold this object. Same merge as an API PATCH.
    Object.assign(target, merge(target, data));
    if (data["updated_at"] === undefined) target["updated_at"] = new Date().toISOString();
  }

  deleteNumber(carrier: Carrier, phoneNumber: string): void {
    if (carrier === "twilio") {
      const n = this.findTwilio(phoneNumber);
      if (!n) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
      this.current.twilio.numbers.delete(n.sid);
    } else if (carrier === "telnyx") {
      const n = this.findTelnyx(phoneNumber);
      if (!n) throw new ControlError(`no Telnyx number ${phoneNumber}`, 404);
      this.current.telnyx.phone_numbers.delete(n.id);
    } else {
      throw new ControlError(`unknown carrier ${String(carrier)}`);
    }
  }

  releases(): Release[] {
    return structuredClone(this.releaseList);
  }

  requests(): RequestLogEntry[] {
    return this.log.entries();
  }

  counts(): Record<string, number> {
    return this.log.counts();
  }

  clearLog(): void {
    this.log.clear();
  }

  injectFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new ControlError("latency must be a non-negative number of ms");
    this.latencyMs = ms;
  }

  validationErrors(): string[] {
    return [...this.violations];
  }

  clearValidationErrors(): void {
    this.violations = [];
  }
}
