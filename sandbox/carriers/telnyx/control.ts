/**
 * Telnyx's part of the control surface: the methods it adds to `sandbox.control` (console edits,
 * numbers bought out of band, object lookups) and their HTTP routes under `/_sandbox/telnyx/`:
 *
 *   POST   /_sandbox/telnyx/numbers           body: a seed's number   bought out of band
 *   GET    /_sandbox/telnyx/numbers/{e164}                            one Telnyx number
 *   DELETE /_sandbox/telnyx/numbers/{e164}                            number gone out of band
 *   GET    /_sandbox/telnyx/{kind}/{id}                               one Telnyx object
 *   POST   /_sandbox/telnyx/{kind}/{id}       body: field patch       console edit (kind may be phone_numbers)
 */
import {
  ControlError,
  allowMethods,
  controlNumberBody,
  controlPatchBody,
  formatZodError,
  okOrNotFound,
  parseControlBody,
} from "../../errors";
import type { CarrierControlRequest, ControlResponse } from "../carrier";
import { merge } from "./api";
import { telnyxNumberSeedSchema, telnyxPatchSchemas } from "./schemas";
import { findConnection, refreshTelnyxNames, telnyxNumberFromSeed } from "./seed";
import {
  TELNYX_KINDS,
  type TelnyxKind,
  type TelnyxNumberSeed,
  type TelnyxPhoneNumber,
  type TelnyxState,
} from "./state";

/** The methods Telnyx adds to `sandbox.control`. */
export interface TelnyxControl {
  /** A Telnyx number by E.164 (a copy). */
  telnyxNumber(phoneNumber: string): TelnyxPhoneNumber | undefined;
  /** A Telnyx application, connection or messaging profile by id (a copy). */
  telnyxObject(kind: TelnyxKind, id: string): Record<string, unknown> | undefined;
  /** Out-of-band change to a Telnyx object (bumps updated_at). For phone_numbers, `id` may be the E.164. */
  editTelnyx(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void;
  /** A Telnyx number bought out of band: a seed entry (connection and profile by id or name). */
  buyTelnyxNumber(number: TelnyxNumberSeed): TelnyxPhoneNumber;
}

/** Telnyx's control methods and routes over the state `state()` returns. */
export class TelnyxControlSurface {
  readonly methods: TelnyxControl;

  constructor(private readonly state: () => TelnyxState) {
    this.methods = {
      telnyxNumber: (phoneNumber) => {
        const n = this.findNumber(phoneNumber);
        return n ? structuredClone(refreshTelnyxNames(this.state(), n)) : undefined;
      },
      telnyxObject: (kind, id) => {
        const map = this.state()[kind] as Map<string, object> | undefined;
        if (!map) throw new ControlError(`unknown Telnyx kind ${kind}`);
        const o = map.get(id);
        return o ? (structuredClone(o) as Record<string, unknown>) : undefined;
      },
      editTelnyx: (kind, id, patch) => this.edit(kind, id, patch),
      buyTelnyxNumber: (number) => this.buy(number),
    };
  }

  private findNumber(phoneNumber: string): TelnyxPhoneNumber | undefined {
    for (const n of this.state().phone_numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  private edit(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void {
    const t = this.state();
    const schema = telnyxPatchSchemas[kind] as
      (typeof telnyxPatchSchemas)[keyof typeof telnyxPatchSchemas] | undefined;
    if (!schema) throw new ControlError(`unknown Telnyx kind ${kind}`);
    const parsed = schema.safeParse(patch);
    if (!parsed.success) throw new ControlError(`invalid ${kind} patch: ${formatZodError(parsed.error)}`);
    const data = parsed.data as Record<string, unknown>;
    const target: Record<string, unknown> | undefined =
      kind === "phone_numbers"
        ? ((t.phone_numbers.get(id) ?? this.findNumber(id)) as Record<string, unknown> | undefined)
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

  private buy(number: TelnyxNumberSeed): TelnyxPhoneNumber {
    const parsed = telnyxNumberSeedSchema.safeParse(number);
    if (!parsed.success) throw new ControlError(`invalid Telnyx number: ${formatZodError(parsed.error)}`);
    const t = this.state();
    const problems: string[] = [];
    const n = telnyxNumberFromSeed(t, parsed.data, "number", problems);
    if (problems.length) throw new ControlError(`invalid Telnyx number: ${problems.join("; ")}`);
    if (this.findNumber(n.phone_number))
      throw new ControlError(`${n.phone_number} is a Telnyx number already`);
    if (t.phone_numbers.has(n.id)) throw new ControlError(`duplicate phone number id ${n.id}`);
    t.phone_numbers.set(n.id, n);
    return structuredClone(refreshTelnyxNames(t, n));
  }

  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(phoneNumber: string): void {
    const n = this.findNumber(phoneNumber);
    if (!n) throw new ControlError(`no Telnyx number ${phoneNumber}`, 404);
    this.state().phone_numbers.delete(n.id);
  }

  /** A control request under `/_sandbox/telnyx/`; undefined when there is no such endpoint. */
  route(request: CarrierControlRequest): ControlResponse | undefined {
    const { method, pathname, segments, body } = request;
    const [b, c, d] = segments;
    const only = (...allowed: string[]) => allowMethods(method, pathname, allowed);
    const m = this.methods;
    if (b === "numbers" && c === undefined) {
      only("POST");
      return { status: 200, body: m.buyTelnyxNumber(parseControlBody(controlNumberBody, body)) };
    }
    if (b === "numbers" && c && d === undefined) {
      only("GET", "DELETE");
      if (method === "GET") return okOrNotFound(m.telnyxNumber(c), `Telnyx number ${c}`);
      this.deleteNumber(c);
      return { status: 200, body: { ok: true } };
    }
    if (b && c && d === undefined && (b === "phone_numbers" || TELNYX_KINDS.includes(b as TelnyxKind))) {
      only("GET", "POST");
      const kind = b as TelnyxKind | "phone_numbers";
      if (method === "POST") m.editTelnyx(kind, c, parseControlBody(controlPatchBody, body));
      const o = kind === "phone_numbers" ? this.findNumberById(c) : m.telnyxObject(kind, c);
      return okOrNotFound(o, `Telnyx ${kind} ${c}`);
    }
    return undefined;
  }

  /** A number by id or E.164, as `state()` shows it (a copy). */
  private findNumberById(ref: string): TelnyxPhoneNumber | undefined {
    const t = this.state();
    const n = [...t.phone_numbers.values()].find((x) => x.id === ref || x.phone_number === ref);
    return n ? structuredClone(refreshTelnyxNames(t, n)) : undefined;
  }
}
