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
import { iso8601, rfc2822 } from "./state/formats";
import {
  dumpState,
  dumpMessagingService,
  findConnection,
  findTwilioNumber,
  joinMessagingService,
  normalizeSeed,
  refreshTelnyxNames,
  telnyxNumberFromSeed,
  twilioNumberFromSeed,
} from "./state/normalize";
import {
  telnyxNumberSeedSchema,
  telnyxPatchSchemas,
  twilioMessagingServicePatch,
  twilioNumberPatch,
  twilioNumberSeedSchema,
} from "./state/schemas";
import {
  type NormalizedState,
  type SandboxSeed,
  type SandboxState,
  type TelnyxKind,
  type TelnyxNumberSeed,
  type TelnyxPhoneNumber,
  type TwilioAccountState,
  type TwilioIncomingPhoneNumber,
  type TwilioMessagingService,
  type TwilioMessagingServiceState,
  type TwilioNumberSeed,
} from "./state/types";
import { TelnyxApi, merge } from "./telnyx";
import { TwilioApi, removeNumber } from "./twilio";

/** A Twilio Messaging Service and the account it belongs to. */
interface FoundService {
  account: TwilioAccountState;
  service: TwilioMessagingService;
}

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
    const { account_sid, auth_token, subaccounts } = this.current.twilio;
    return {
      twilio: {
        account_sid,
        auth_token,
        subaccounts: [...subaccounts.values()].map((a) => ({
          account_sid: a.account_sid,
          auth_token: a.auth_token,
          friendly_name: a.friendly_name,
        })),
      },
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

  /** The main account, then its subaccounts. */
  private twilioAccounts(): TwilioAccountState[] {
    return [this.current.twilio, ...this.current.twilio.subaccounts.values()];
  }

  /** A Twilio number by E.164, in whichever account holds it. */
  private findTwilio(
    phoneNumber: string,
  ): { account: TwilioAccountState; n: TwilioIncomingPhoneNumber } | undefined {
    for (const account of this.twilioAccounts()) {
      const n = findTwilioNumber(account, phoneNumber);
      if (n) return { account, n };
    }
    return undefined;
  }

  /**
   * A Messaging Service by SID, or by friendly name when only one service (of any account) has it;
   * undefined when there is none. Throws ControlError when the name is ambiguous.
   */
  private findService(ref: string): FoundService | undefined {
    const byName: FoundService[] = [];
    for (const account of this.twilioAccounts()) {
      const service = account.messaging_services.get(ref);
      if (service) return { account, service };
      for (const s of account.messaging_services.values())
        if (s.friendly_name === ref) byName.push({ account, service: s });
    }
    if (byName.length > 1) {
      throw new ControlError(`${byName.length} Twilio Messaging Services are named ${ref}; give the SID`);
    }
    return byName[0];
  }

  private requireService(ref: string): FoundService {
    const found = this.findService(ref);
    if (!found) throw new ControlError(`no Twilio Messaging Service ${ref}`, 404);
    return found;
  }

  private findTelnyx(phoneNumber: string): TelnyxPhoneNumber | undefined {
    for (const n of this.current.telnyx.phone_numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined {
    const found = this.findTwilio(phoneNumber);
    return found ? structuredClone(found.n) : undefined;
  }

  twilioMessagingService(service: string): TwilioMessagingServiceState | undefined {
    const found = this.findService(service);
    return found ? structuredClone(dumpMessagingService(found.account, found.service)) : undefined;
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
    const n = this.findTwilio(phoneNumber)?.n;
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

  editTwilioMessagingService(service: string, patch: Partial<TwilioMessagingService>): void {
    const { service: s } = this.requireService(service);
    const parsed = twilioMessagingServicePatch.safeParse(patch);
    if (!parsed.success) {
      throw new ControlError(`invalid Twilio Messaging Service patch: ${formatZodError(parsed.error)}`);
    }
    for (const k of ["sid", "account_sid", "url", "links"] as const) {
      if (parsed.data[k] !== undefined && JSON.stringify(parsed.data[k]) !== JSON.stringify(s[k]))
        throw new ControlError(`${k} cannot be changed`);
    }
    Object.assign(s, parsed.data);
    if (parsed.data.date_updated === undefined) s.date_updated = iso8601();
  }

  addNumberToMessagingService(service: string, phoneNumber: string): void {
    const { account, service: s } = this.requireService(service);
    const found = this.findTwilio(phoneNumber);
    if (!found) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
    if (found.account !== account) {
      throw new ControlError(
        `${phoneNumber} belongs to account ${found.account.account_sid}, Messaging Service ${s.sid} to ${account.account_sid}`,
      );
    }
    const refused = joinMessagingService(account, s.sid, found.n, iso8601());
    if (refused) throw new ControlError(refused);
  }

  removeNumberFromMessagingService(service: string, phoneNumber: string): void {
    const { account, service: s } = this.requireService(service);
    const n = findTwilioNumber(account, phoneNumber);
    if (!n || account.service_members.get(n.sid)?.service_sid !== s.sid) {
      throw new ControlError(`${phoneNumber} is not in Twilio Messaging Service ${s.sid}`, 404);
    }
    account.service_members.delete(n.sid);
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

  buyTwilioNumber(number: TwilioNumberSeed): TwilioIncomingPhoneNumber {
    const parsed = twilioNumberSeedSchema.safeParse(number);
    if (!parsed.success) throw new ControlError(`invalid Twilio number: ${formatZodError(parsed.error)}`);
    const { account_sid: accountSid, phone_number: phoneNumber } = parsed.data;
    const account = accountSid
      ? this.twilioAccounts().find((a) => a.account_sid === accountSid)
      : this.current.twilio;
    if (!account) throw new ControlError(`no Twilio account ${accountSid}`, 404);
    if (this.findTwilio(phoneNumber)) throw new ControlError(`${phoneNumber} is a Twilio number already`);
    const n = twilioNumberFromSeed(account.account_sid, parsed.data);
    if (this.twilioAccounts().some((a) => a.numbers.has(n.sid)))
      throw new ControlError(`duplicate sid ${n.sid}`);
    account.numbers.set(n.sid, n);
    return structuredClone(n);
  }

  buyTelnyxNumber(number: TelnyxNumberSeed): TelnyxPhoneNumber {
    const parsed = telnyxNumberSeedSchema.safeParse(number);
    if (!parsed.success) throw new ControlError(`invalid Telnyx number: ${formatZodError(parsed.error)}`);
    const t = this.current.telnyx;
    const problems: string[] = [];
    const n = telnyxNumberFromSeed(t, parsed.data, "number", problems);
    if (problems.length) throw new ControlError(`invalid Telnyx number: ${problems.join("; ")}`);
    if (this.findTelnyx(n.phone_number))
      throw new ControlError(`${n.phone_number} is a Telnyx number already`);
    if (t.phone_numbers.has(n.id)) throw new ControlError(`duplicate phone number id ${n.id}`);
    t.phone_numbers.set(n.id, n);
    return structuredClone(refreshTelnyxNames(t, n));
  }

  deleteNumber(carrier: Carrier, phoneNumber: string): void {
    if (carrier === "twilio") {
      const found = this.findTwilio(phoneNumber);
      if (!found) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
      removeNumber(found.account, found.n);
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
