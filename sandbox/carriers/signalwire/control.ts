/**
 * SignalWire's part of the control surface: the methods it adds to `sandbox.control` (dashboard
 * edits, numbers bought out of band) and their HTTP routes under `/_sandbox/signalwire/`:
 *
 *   POST   /_sandbox/signalwire/numbers           body: a seed's number   bought out of band
 *   GET    /_sandbox/signalwire/numbers/{e164}                            one SignalWire number
 *   POST   /_sandbox/signalwire/numbers/{e164}    body: field patch       dashboard edit
 *   DELETE /_sandbox/signalwire/numbers/{e164}                            number gone out of band
 *
 * A dashboard edit may set what the API cannot (an `ai_agent` handler, say), as the dashboard can.
 */
import {
  ControlError,
  allowMethods,
  controlPatchBody,
  formatZodError,
  okOrNotFound,
  parseControlBody,
} from "../../errors";
import { iso8601 } from "../../state/formats";
import type { CarrierControlRequest, ControlResponse } from "../carrier";
import {
  numberFromSeed,
  signalwireNumberSeedSchema,
  type SignalWireNumberSeed,
  type SignalWireState,
  type StoredSignalWireNumber,
} from "./state";

/** The methods SignalWire adds to `sandbox.control`. */
export interface SignalWireControl {
  /** A SignalWire number by E.164 (a copy, with what answers do not show). */
  signalwireNumber(phoneNumber: string): StoredSignalWireNumber | undefined;
  /** A dashboard edit of a SignalWire number (fields as a seed gives them; bumps updated_at). */
  editSignalwire(phoneNumber: string, patch: Partial<SignalWireNumberSeed>): StoredSignalWireNumber;
  /** A SignalWire number bought out of band: a seed entry. */
  buySignalwireNumber(number: SignalWireNumberSeed): StoredSignalWireNumber;
}

export class SignalWireControlSurface {
  readonly methods: SignalWireControl;

  constructor(private readonly state: () => SignalWireState) {
    this.methods = {
      signalwireNumber: (phoneNumber) => {
        const n = this.find(phoneNumber);
        return n && structuredClone(n);
      },
      editSignalwire: (phoneNumber, patch) => this.edit(phoneNumber, patch),
      buySignalwireNumber: (number) => this.buy(number),
    };
  }

  private find(phoneNumber: string): StoredSignalWireNumber | undefined {
    return [...this.state().phone_numbers.values()].find((n) => n.number === phoneNumber);
  }

  private edit(phoneNumber: string, patch: Partial<SignalWireNumberSeed>): StoredSignalWireNumber {
    const n = this.find(phoneNumber);
    if (!n) throw new ControlError(`no SignalWire number ${phoneNumber}`, 404);
    const parsed = signalwireNumberSeedSchema.partial().safeParse(patch);
    if (!parsed.success) throw new ControlError(`invalid SignalWire patch: ${formatZodError(parsed.error)}`);
    for (const key of ["id", "number"] as const)
      if (parsed.data[key] !== undefined && parsed.data[key] !== n[key])
        throw new ControlError(`${key} cannot be changed`);
    Object.assign(n, parsed.data);
    if (parsed.data.updated_at === undefined) n.updated_at = iso8601();
    return structuredClone(n);
  }

  private buy(number: SignalWireNumberSeed): StoredSignalWireNumber {
    const parsed = signalwireNumberSeedSchema.safeParse(number);
    if (!parsed.success) throw new ControlError(`invalid SignalWire number: ${formatZodError(parsed.error)}`);
    const n = numberFromSeed(parsed.data);
    if (this.find(n.number)) throw new ControlError(`${n.number} is a SignalWire number already`);
    if (this.state().phone_numbers.has(n.id)) throw new ControlError(`duplicate phone number id ${n.id}`);
    this.state().phone_numbers.set(n.id, n);
    return structuredClone(n);
  }

  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(phoneNumber: string): void {
    const n = this.find(phoneNumber);
    if (!n) throw new ControlError(`no SignalWire number ${phoneNumber}`, 404);
    this.state().phone_numbers.delete(n.id);
  }

  route(request: CarrierControlRequest): ControlResponse | undefined {
    const { method, pathname, segments, body } = request;
    const [b, c, d] = segments;
    if (b !== "numbers" || d !== undefined) return undefined;
    const only = (...allowed: string[]) => allowMethods(method, pathname, allowed);
    const m = this.methods;
    if (c === undefined) {
      only("POST");
      return { status: 200, body: m.buySignalwireNumber(parseControlBody(signalwireNumberSeedSchema, body)) };
    }
    only("GET", "POST", "DELETE");
    if (method === "GET") return okOrNotFound(m.signalwireNumber(c), `SignalWire number ${c}`);
    if (method === "POST")
      return { status: 200, body: m.editSignalwire(c, parseControlBody(controlPatchBody, body)) };
    this.deleteNumber(c);
    return { status: 200, body: { ok: true } };
  }
}
