/**
 * Twilio's part of the control surface: the methods it adds to `sandbox.control` (console edits,
 * numbers bought or gone out of band, Messaging Service membership) and their HTTP routes under
 * `/_sandbox/twilio/`:
 *
 *   POST   /_sandbox/twilio/numbers           body: a seed's number   bought out of band (account_sid:
 *                                                                    which account; default the main one)
 *   GET    /_sandbox/twilio/numbers/{e164}                            one Twilio number (any account)
 *   POST   /_sandbox/twilio/numbers/{e164}    body: field patch       console edit (drift)
 *   DELETE /_sandbox/twilio/numbers/{e164}                            number gone out of band
 *   GET    /_sandbox/twilio/messaging_services/{service}              one Messaging Service, with its
 *                                                                    phone_numbers ({service}: SID or
 *                                                                    a friendly name no other has)
 *   POST   /_sandbox/twilio/messaging_services/{service}  body: field patch   console edit of its settings
 *                                                                    (e.g. {"use_inbound_webhook_on_number": true})
 *   POST   /_sandbox/twilio/messaging_services/{service}/phone_numbers/{e164}   the number joins it
 *                                                                    (400 if it is in another service)
 *   DELETE /_sandbox/twilio/messaging_services/{service}/phone_numbers/{e164}   the number leaves it
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
import { iso8601, rfc2822 } from "../../state/formats";
import type { CarrierControlRequest, ControlResponse } from "../carrier";
import { removeNumber } from "./api";
import { twilioMessagingServicePatch, twilioNumberPatch, twilioNumberSeedSchema } from "./schemas";
import { dumpMessagingService, findTwilioNumber, joinMessagingService, twilioNumberFromSeed } from "./seed";
import type {
  TwilioAccountState,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
  TwilioMessagingServiceState,
  TwilioNumberSeed,
  TwilioState,
} from "./state";

/** The methods Twilio adds to `sandbox.control`. */
export interface TwilioControl {
  /** A Twilio number by E.164, in the main account or a subaccount (a copy). */
  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined;
  /**
   * A Twilio Messaging Service, of any account, with the numbers in it (a copy). `service` is its
   * SID, or its friendly name when no other service has that name (ambiguous: ControlError).
   */
  twilioMessagingService(service: string): TwilioMessagingServiceState | undefined;
  /** Out-of-band change, as someone in Twilio's console would make it (bumps date_updated). */
  editTwilioNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void;
  /**
   * Out-of-band change to a Messaging Service's settings (e.g. `use_inbound_webhook_on_number`,
   * `inbound_request_url`; "" clears a URL to null); bumps date_updated. SID, account, url, links stay.
   */
  editTwilioMessagingService(service: string, patch: Partial<TwilioMessagingService>): void;
  /**
   * A number joins a Messaging Service of its own account, as in the console (already in it: no
   * change). Refused (ControlError) when it is in another service: Twilio allows one per number.
   */
  addNumberToMessagingService(service: string, phoneNumber: string): void;
  /** A number leaves the Messaging Service it is in (ControlError 404 if it is not in that one). */
  removeNumberFromMessagingService(service: string, phoneNumber: string): void;
  /**
   * A Twilio number bought out of band (in the console): a seed entry, checked as seeds are, in the
   * account its `account_sid` names (default the main account). Returns the number as stored.
   */
  buyTwilioNumber(number: TwilioNumberSeed): TwilioIncomingPhoneNumber;
}

/** A Messaging Service and the account it belongs to. */
interface FoundService {
  account: TwilioAccountState;
  service: TwilioMessagingService;
}

/** Twilio's control methods and routes over the state `state()` returns. */
export class TwilioControlSurface {
  readonly methods: TwilioControl;

  constructor(private readonly state: () => TwilioState) {
    this.methods = {
      twilioNumber: (phoneNumber) => {
        const found = this.findNumber(phoneNumber);
        return found ? structuredClone(found.n) : undefined;
      },
      twilioMessagingService: (service) => {
        const found = this.findService(service);
        return found ? structuredClone(dumpMessagingService(found.account, found.service)) : undefined;
      },
      editTwilioNumber: (phoneNumber, patch) => this.editNumber(phoneNumber, patch),
      editTwilioMessagingService: (service, patch) => this.editService(service, patch),
      addNumberToMessagingService: (service, phoneNumber) => this.join(service, phoneNumber),
      removeNumberFromMessagingService: (service, phoneNumber) => this.leave(service, phoneNumber),
      buyTwilioNumber: (number) => this.buy(number),
    };
  }

  /** The main account, then its subaccounts. */
  private accounts(): TwilioAccountState[] {
    const main = this.state();
    return [main, ...main.subaccounts.values()];
  }

  /** A number by E.164, in whichever account holds it. */
  private findNumber(
    phoneNumber: string,
  ): { account: TwilioAccountState; n: TwilioIncomingPhoneNumber } | undefined {
    for (const account of this.accounts()) {
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
    for (const account of this.accounts()) {
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

  private editNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void {
    const n = this.findNumber(phoneNumber)?.n;
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

  private editService(service: string, patch: Partial<TwilioMessagingService>): void {
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

  private join(service: string, phoneNumber: string): void {
    const { account, service: s } = this.requireService(service);
    const found = this.findNumber(phoneNumber);
    if (!found) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
    if (found.account !== account) {
      throw new ControlError(
        `${phoneNumber} belongs to account ${found.account.account_sid}, Messaging Service ${s.sid} to ${account.account_sid}`,
      );
    }
    const refused = joinMessagingService(account, s.sid, found.n, iso8601());
    if (refused) throw new ControlError(refused);
  }

  private leave(service: string, phoneNumber: string): void {
    const { account, service: s } = this.requireService(service);
    const n = findTwilioNumber(account, phoneNumber);
    if (!n || account.service_members.get(n.sid)?.service_sid !== s.sid) {
      throw new ControlError(`${phoneNumber} is not in Twilio Messaging Service ${s.sid}`, 404);
    }
    account.service_members.delete(n.sid);
  }

  private buy(number: TwilioNumberSeed): TwilioIncomingPhoneNumber {
    const parsed = twilioNumberSeedSchema.safeParse(number);
    if (!parsed.success) throw new ControlError(`invalid Twilio number: ${formatZodError(parsed.error)}`);
    const { account_sid: accountSid, phone_number: phoneNumber } = parsed.data;
    const account = accountSid ? this.accounts().find((a) => a.account_sid === accountSid) : this.state();
    if (!account) throw new ControlError(`no Twilio account ${accountSid}`, 404);
    if (this.findNumber(phoneNumber)) throw new ControlError(`${phoneNumber} is a Twilio number already`);
    const n = twilioNumberFromSeed(account.account_sid, parsed.data);
    if (this.accounts().some((a) => a.numbers.has(n.sid))) throw new ControlError(`duplicate sid ${n.sid}`);
    account.numbers.set(n.sid, n);
    return structuredClone(n);
  }

  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(phoneNumber: string): void {
    const found = this.findNumber(phoneNumber);
    if (!found) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
    removeNumber(found.account, found.n);
  }

  /** A control request under `/_sandbox/twilio/`; undefined when there is no such endpoint. */
  route(request: CarrierControlRequest): ControlResponse | undefined {
    const { method, pathname, segments, body } = request;
    const [b, c, d, e] = segments;
    const only = (...allowed: string[]) => allowMethods(method, pathname, allowed);
    const ok = (value: unknown = { ok: true }): ControlResponse => ({ status: 200, body: value });
    const m = this.methods;
    if (b === "numbers" && c === undefined) {
      only("POST");
      return ok(m.buyTwilioNumber(parseControlBody(controlNumberBody, body)));
    }
    if (b === "numbers" && c && d === undefined) {
      only("GET", "POST", "DELETE");
      if (method === "GET") return okOrNotFound(m.twilioNumber(c), `Twilio number ${c}`);
      if (method === "POST") m.editTwilioNumber(c, parseControlBody(controlPatchBody, body));
      else this.deleteNumber(c);
      return ok(method === "POST" ? m.twilioNumber(c) : { ok: true });
    }
    if (b === "messaging_services" && c && d === undefined) {
      only("GET", "POST");
      if (method === "POST") m.editTwilioMessagingService(c, parseControlBody(controlPatchBody, body));
      return okOrNotFound(m.twilioMessagingService(c), `Twilio Messaging Service ${c}`);
    }
    if (b === "messaging_services" && c && d === "phone_numbers" && e && segments.length === 4) {
      only("POST", "DELETE");
      if (method === "POST") m.addNumberToMessagingService(c, e);
      else m.removeNumberFromMessagingService(c, e);
      return ok(m.twilioMessagingService(c));
    }
    return undefined;
  }
}
