/**
 * Twilio's 2010-04-01 API as the sandbox serves it (IncomingPhoneNumbers and the Account resource),
 * the routing of every Twilio request (Messaging v1 is in messaging.ts), and who may act on
 * which account.
 *
 * Field semantics follow Twilio: a form value that is empty clears the field, a field left out is
 * kept, methods are GET|POST, SIDs are checked for their prefix and shape, and `AccountSid` in an
 * update moves the number to another account (it disappears from this one, and the move is
 * recorded next to DELETE releases). Errors use Twilio's JSON shape `{code, message, more_info,
 * status}`, which the SDK turns into `RestException`.
 *
 * Accounts (Twilio's documented rules for subaccounts, https://www.twilio.com/docs/iam/api/subaccounts):
 * - the main account's SID + Auth Token act on the main account and on any of its subaccounts
 *   (its SID in the 2010-04-01 path);
 * - a subaccount's SID + Auth Token, or its own API keys, act on that subaccount only;
 * - API keys act on their own account only: "Main account API Keys are only available to access
 *   main account resources. Access to subaccount resources will be denied.";
 * - Messaging v1 has no account in its path: it serves the account the credentials belong to
 *   (Twilio: resources on subdomains "must be accessed directly using subaccount credentials"), so
 *   a subaccount's services need that subaccount's SID and Auth Token (or its keys); the main
 *   account's credentials list the main account's services, whatever `accountSid` the SDK was given.
 * Anything else (bad credentials, or good ones for an account they cannot act on) is answered 401 /
 * 20003 "Authenticate", as Twilio answers a path account the credentials do not cover. A number
 * that exists, but in another account than the path's, is 404 / 20404 like any unknown SID.
 */
import type { IncomingPhoneNumberContextUpdateOptions } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import { SEED_DATE, isHttpUrl, rfc2822 } from "../../state/formats";
import { TWILIO_SID } from "./defaults";
import type {
  TwilioAccountResource,
  TwilioAccountState,
  TwilioIncomingPhoneNumber,
  TwilioMethod,
  TwilioState,
} from "./state";
import { decodePathSegment, type CarrierResponse, type Release } from "../carrier";
import {
  isErrorResponse,
  pageOf,
  readPaging,
  twilioError,
  twilioNotFound,
  twilioUnauthorized,
  type TwilioRoute,
} from "./common";
import { handleMessaging, isMessagingPath, routeMessaging } from "./messaging";

/** Whether a path is Twilio's: the 2010-04-01 API, or Messaging v1's Services. */
export function isTwilioPath(pathname: string): boolean {
  return pathname.startsWith("/2010-04-01/") || isMessagingPath(pathname);
}

// ---------------------------------------------------------------------------------------------
// Routing

const ACCOUNT_PATH = "/2010-04-01/Accounts/{Sid}.json";
const LIST_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
const INSTANCE_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";

export function routeTwilio(method: string, pathname: string): TwilioRoute {
  if (isMessagingPath(pathname)) return routeMessaging(method, pathname);
  const parts = pathname.split("/"); // ["", "2010-04-01", "Accounts", AC, "IncomingPhoneNumbers.json"] or [..., "IncomingPhoneNumbers", "PN.json"]
  if (parts[1] === "2010-04-01" && parts[2] === "Accounts" && parts[3]) {
    if (parts.length === 4 && parts[3].endsWith(".json")) {
      const accountSid = decodePathSegment(parts[3].slice(0, -".json".length));
      const endpoint = `${method} ${ACCOUNT_PATH}`;
      if (method === "GET") return { endpoint, operationId: "FetchAccount", accountSid };
      return { endpoint, accountSid, methodNotAllowed: true };
    }
    const accountSid = decodePathSegment(parts[3]);
    if (parts.length === 5 && parts[4] === "IncomingPhoneNumbers.json") {
      const endpoint = `${method} ${LIST_PATH}`;
      if (method === "GET") return { endpoint, operationId: "ListIncomingPhoneNumber", accountSid };
      if (method === "POST") return { endpoint, operationId: "CreateIncomingPhoneNumber", accountSid };
      return { endpoint, accountSid, methodNotAllowed: true };
    }
    const last = parts[5];
    if (parts.length === 6 && parts[4] === "IncomingPhoneNumbers" && last?.endsWith(".json")) {
      const sid = decodePathSegment(last.slice(0, -".json".length));
      const endpoint = `${method} ${INSTANCE_PATH}`;
      if (method === "GET") return { endpoint, operationId: "FetchIncomingPhoneNumber", accountSid, sid };
      if (method === "POST") return { endpoint, operationId: "UpdateIncomingPhoneNumber", accountSid, sid };
      if (method === "DELETE") return { endpoint, operationId: "DeleteIncomingPhoneNumber", accountSid, sid };
      return { endpoint, accountSid, sid, methodNotAllowed: true };
    }
  }
  return { endpoint: `${method} ${pathname}` };
}

// ---------------------------------------------------------------------------------------------
// Form bodies

export type FormResult = { ok: true; form: Record<string, string> } | { ok: false; error: string };

/** Parse an `application/x-www-form-urlencoded` body strictly (bad escapes, repeated keys: errors). */
export function parseForm(contentType: string | undefined, body: string): FormResult {
  if (body.length === 0) return { ok: true, form: {} };
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    return {
      ok: false,
      error: `Content-Type must be application/x-www-form-urlencoded, not ${type || "(none)"}`,
    };
  }
  const form: Record<string, string> = {};
  for (const pair of body.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, " "));
      value = decodeURIComponent(rawValue.replace(/\+/g, " "));
    } catch {
      return { ok: false, error: `Malformed form body near '${pair.slice(0, 40)}'` };
    }
    if (key === "") return { ok: false, error: "Malformed form body: empty parameter name" };
    if (Object.prototype.hasOwnProperty.call(form, key)) {
      return { ok: false, error: `Parameter '${key}' was given more than once` };
    }
    form[key] = value;
  }
  return { ok: true, form };
}

// ---------------------------------------------------------------------------------------------
// Update field rules, keyed by the SDK's own update options (VoiceUrl <- voiceUrl, ...)

type FormName = Capitalize<keyof IncomingPhoneNumberContextUpdateOptions>;
type UrlKey = "voice_url" | "voice_fallback_url" | "sms_url" | "sms_fallback_url" | "status_callback";
type MethodKey =
  "voice_method" | "voice_fallback_method" | "sms_method" | "sms_fallback_method" | "status_callback_method";
type SidKey =
  | "voice_application_sid"
  | "sms_application_sid"
  | "trunk_sid"
  | "identity_sid"
  | "address_sid"
  | "emergency_address_sid"
  | "bundle_sid";

type Rule =
  | { kind: "url"; key: UrlKey }
  | { kind: "method"; key: MethodKey }
  | { kind: "sid"; key: SidKey; prefix: string; code: number }
  | { kind: "account" }
  | { kind: "api_version" }
  | { kind: "friendly_name" }
  | { kind: "caller_id_lookup" }
  | { kind: "emergency_status" }
  | { kind: "receive_mode" };

const UPDATE_RULES: Record<FormName, Rule> = {
  AccountSid: { kind: "account" },
  ApiVersion: { kind: "api_version" },
  FriendlyName: { kind: "friendly_name" },
  SmsApplicationSid: { kind: "sid", key: "sms_application_sid", prefix: "AP", code: 21218 },
  SmsFallbackMethod: { kind: "method", key: "sms_fallback_method" },
  SmsFallbackUrl: { kind: "url", key: "sms_fallback_url" },
  SmsMethod: { kind: "method", key: "sms_method" },
  SmsUrl: { kind: "url", key: "sms_url" },
  StatusCallback: { kind: "url", key: "status_callback" },
  StatusCallbackMethod: { kind: "method", key: "status_callback_method" },
  VoiceApplicationSid: { kind: "sid", key: "voice_application_sid", prefix: "AP", code: 21218 },
  VoiceCallerIdLookup: { kind: "caller_id_lookup" },
  VoiceFallbackMethod: { kind: "method", key: "voice_fallback_method" },
  VoiceFallbackUrl: { kind: "url", key: "voice_fallback_url" },
  VoiceMethod: { kind: "method", key: "voice_method" },
  VoiceUrl: { kind: "url", key: "voice_url" },
  EmergencyStatus: { kind: "emergency_status" },
  EmergencyAddressSid: { kind: "sid", key: "emergency_address_sid", prefix: "AD", code: 21631 },
  TrunkSid: { kind: "sid", key: "trunk_sid", prefix: "TK", code: 20001 },
  VoiceReceiveMode: { kind: "receive_mode" },
  IdentitySid: { kind: "sid", key: "identity_sid", prefix: "RI", code: 20001 },
  AddressSid: { kind: "sid", key: "address_sid", prefix: "AD", code: 21615 },
  BundleSid: { kind: "sid", key: "bundle_sid", prefix: "BU", code: 20001 },
};

const isRuleName = (k: string): k is FormName => Object.prototype.hasOwnProperty.call(UPDATE_RULES, k);

// ---------------------------------------------------------------------------------------------
// The API

const LIST_QUERY = new Set([
  "PhoneNumber",
  "FriendlyName",
  "Beta",
  "Origin",
  "PageSize",
  "Page",
  "PageToken",
]);
const KEYPAD: Record<string, string> = {};
for (const [digit, letters] of Object.entries({
  2: "ABC",
  3: "DEF",
  4: "GHI",
  5: "JKL",
  6: "MNO",
  7: "PQRS",
  8: "TUV",
  9: "WXYZ",
})) {
  for (const l of letters) KEYPAD[l] = digit;
}

/** Twilio's `PhoneNumber` list filter: partial numbers, `*` = any one digit, letters as on a keypad. */
export function twilioPhoneFilter(filter: string): (e164: string) => boolean {
  const digits = [...filter.toUpperCase()].map((c) => (/[0-9*]/.test(c) ? c : (KEYPAD[c] ?? ""))).join("");
  if (digits === "") return () => true;
  const re = new RegExp(digits.replace(/\*/g, "\\d"));
  return (e164) => re.test(e164.replace(/\D/g, ""));
}

/** How a request authenticated: as which account, and with what. */
interface Principal {
  account: TwilioAccountState;
  via: "auth_token" | "api_key";
}

export type TwilioAuthorization =
  { ok: true; account: TwilioAccountState } | { ok: false; response: CarrierResponse };

export class TwilioApi {
  constructor(
    private readonly getState: () => TwilioState,
    private readonly onRelease: (r: Omit<Release, "carrier">) => void,
  ) {}

  /** The main account, then its subaccounts. */
  private accounts(): TwilioAccountState[] {
    const main = this.getState();
    return [main, ...main.subaccounts.values()];
  }

  private account(sid: string): TwilioAccountState | undefined {
    const main = this.getState();
    return sid === main.account_sid ? main : main.subaccounts.get(sid);
  }

  /** Basic auth: an account's SID + Auth Token, or an API Key SID + secret (of the account it belongs to). */
  private principal(authorization: string | undefined): Principal | undefined {
    const m = /^Basic\s+(.+)$/i.exec(authorization ?? "");
    if (!m?.[1]) return undefined;
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    for (const account of this.accounts()) {
      if (user === account.account_sid && pass === account.auth_token) return { account, via: "auth_token" };
      if (account.api_keys.some((k) => k.sid === user && k.secret === pass))
        return { account, via: "api_key" };
    }
    return undefined;
  }

  /**
   * The account a request acts on: the path's (2010-04-01) when the credentials may act on it, or
   * the credentials' own (Messaging v1). The rules are in this file's header.
   */
  authorize(authorization: string | undefined, route: TwilioRoute): TwilioAuthorization {
    const denied = { ok: false, response: twilioUnauthorized() } as const;
    const p = this.principal(authorization);
    if (!p) return denied;
    if (route.accountSid === undefined) return { ok: true, account: p.account };
    const target = this.account(route.accountSid);
    if (!target) return denied;
    const main = this.getState();
    const parentActing =
      p.account === main && p.via === "auth_token" && main.subaccounts.has(target.account_sid);
    return target === p.account || parentActing ? { ok: true, account: target } : denied;
  }

  /** Answers a routed request on `account` (what `authorize` found). */
  handle(
    route: TwilioRoute,
    account: TwilioAccountState,
    pathname: string,
    query: Record<string, string>,
    form: Record<string, string>,
  ): CarrierResponse {
    if (route.methodNotAllowed) {
      return twilioError(405, 20004, `Method not allowed: ${route.endpoint} is not served by the sandbox`);
    }
    switch (route.operationId) {
      case "FetchAccount":
        return { status: 200, body: this.accountJson(account) };
      case "ListIncomingPhoneNumber":
        return this.list(account, query);
      case "CreateIncomingPhoneNumber":
        return twilioError(
          405,
          20004,
          "Method not allowed: buying numbers (POST IncomingPhoneNumbers.json) is not modelled by the sandbox",
        );
      case "FetchIncomingPhoneNumber":
        return this.withNumber(account, route, pathname, (n) => ({ status: 200, body: toJson(n) }));
      case "UpdateIncomingPhoneNumber":
        return this.withNumber(account, route, pathname, (n) => this.update(account, n, form));
      case "DeleteIncomingPhoneNumber":
        return this.withNumber(account, route, pathname, (n) => {
          removeNumber(account, n);
          this.onRelease({ sid: n.sid, phoneNumber: n.phone_number, kind: "release" });
          return { status: 204 };
        });
      case "ListService":
      case "FetchService":
      case "ListPhoneNumber":
      case "FetchPhoneNumber":
        return handleMessaging(route, account, pathname, query);
      default:
        return twilioNotFound(pathname);
    }
  }

  private accountJson(a: TwilioAccountState): TwilioAccountResource {
    const date = rfc2822(SEED_DATE);
    const uri = `/2010-04-01/Accounts/${a.account_sid}.json`;
    const sub = (name: string) => uri.replace(/\.json$/, `/${name}.json`);
    return {
      auth_token: a.auth_token,
      date_created: date,
      date_updated: date,
      friendly_name: a.friendly_name,
      owner_account_sid: this.getState().account_sid,
      sid: a.account_sid,
      status: "active",
      subresource_uris: Object.fromEntries(
        [
          ["addresses", "Addresses"],
          ["applications", "Applications"],
          ["calls", "Calls"],
          ["incoming_phone_numbers", "IncomingPhoneNumbers"],
          ["keys", "Keys"],
          ["messages", "Messages"],
        ].map(([key, name]) => [key, sub(name!)]),
      ),
      type: "Full",
      uri,
    };
  }

  private withNumber(
    account: TwilioAccountState,
    route: TwilioRoute,
    pathname: string,
    fn: (n: TwilioIncomingPhoneNumber) => CarrierResponse,
  ): CarrierResponse {
    const sid = route.sid ?? "";
    // A malformed SID, or a number of another account, is simply a resource that does not exist: 404.
    const n = TWILIO_SID("PN").test(sid) ? account.numbers.get(sid) : undefined;
    return n ? fn(n) : twilioNotFound(pathname);
  }

  private list(account: TwilioAccountState, query: Record<string, string>): CarrierResponse {
    const paging = readPaging(query, LIST_QUERY, "PN");
    if (isErrorResponse(paging)) return paging;
    const beta = query["Beta"];
    if (beta !== undefined && beta !== "true" && beta !== "false") {
      return twilioError(400, 20001, "Beta must be true or false");
    }
    const byNumber = query["PhoneNumber"] !== undefined ? twilioPhoneFilter(query["PhoneNumber"]) : undefined;
    const all = [...account.numbers.values()].filter(
      (n) =>
        (!byNumber || byNumber(n.phone_number)) &&
        (query["FriendlyName"] === undefined || n.friendly_name === query["FriendlyName"]) &&
        (query["Origin"] === undefined || n.origin === query["Origin"]) &&
        (beta !== "false" || !n.beta),
    );

    const base = `/2010-04-01/Accounts/${account.account_sid}/IncomingPhoneNumbers.json`;
    const filters: [string, string][] = [];
    for (const k of ["PhoneNumber", "FriendlyName", "Beta", "Origin"]) {
      const v = query[k];
      if (v !== undefined) filters.push([k, v]);
    }
    const uri = (p: number, tok?: string) => {
      const qs = new URLSearchParams([
        ...filters,
        ["PageSize", String(paging.pageSize)],
        ["Page", String(p)],
      ]);
      if (tok) qs.set("PageToken", tok);
      return `${base}?${qs.toString()}`;
    };
    const { start, items, first, current, previous, next } = pageOf(all, paging, uri);
    return {
      status: 200,
      body: {
        first_page_uri: first,
        end: items.length ? start + items.length - 1 : start,
        incoming_phone_numbers: items.map(toJson),
        next_page_uri: next,
        page: paging.page,
        page_size: paging.pageSize,
        previous_page_uri: previous,
        start,
        uri: current,
      },
    };
  }

  private update(
    account: TwilioAccountState,
    n: TwilioIncomingPhoneNumber,
    form: Record<string, string>,
  ): CarrierResponse {
    // Validate everything first: a rejected request never changes state.
    const changes: Partial<TwilioIncomingPhoneNumber> = {};
    let transferTo: string | undefined;
    for (const [name, value] of Object.entries(form)) {
      if (!isRuleName(name)) return twilioError(400, 20001, `Unknown parameter: ${name}`);
      const rule = UPDATE_RULES[name];
      switch (rule.kind) {
        case "url":
          if (value !== "" && !isHttpUrl(value)) {
            return twilioError(400, 21402, `${name} is not a valid URL: ${value}`);
          }
          changes[rule.key] = value;
          break;
        case "method": {
          const m = value.toUpperCase();
          if (m !== "" && m !== "GET" && m !== "POST") {
            return twilioError(400, 21403, `${name} is not valid. Use GET or POST.`);
          }
          changes[rule.key] = (m || "POST") as TwilioMethod;
          break;
        }
        case "sid":
          if (value !== "" && !TWILIO_SID(rule.prefix).test(value)) {
            return twilioError(400, rule.code, `${name} is not a valid ${rule.prefix} SID: ${value}`);
          }
          changes[rule.key] = value === "" ? null : value;
          break;
        case "account":
          if (!TWILIO_SID("AC").test(value))
            return twilioError(400, 20001, `AccountSid is not valid: ${value}`);
          if (value !== account.account_sid) transferTo = value;
          break;
        case "api_version":
          if (value !== "2010-04-01" && value !== "2008-08-01") {
            return twilioError(400, 20001, `ApiVersion must be 2010-04-01 or 2008-08-01`);
          }
          changes.api_version = value;
          break;
        case "friendly_name":
          if (value.length > 64) return twilioError(400, 20002, "FriendlyName is longer than 64 characters");
          changes.friendly_name = value;
          break;
        case "caller_id_lookup":
          if (value !== "true" && value !== "false" && value !== "True" && value !== "False") {
            return twilioError(400, 20001, "VoiceCallerIdLookup must be true or false");
          }
          changes.voice_caller_id_lookup = value.toLowerCase() === "true";
          break;
        case "emergency_status":
          if (value !== "Active" && value !== "Inactive") {
            return twilioError(400, 20001, "EmergencyStatus must be Active or Inactive");
          }
          changes.emergency_status = value;
          break;
        case "receive_mode":
          if (value !== "voice" && value !== "fax")
            return twilioError(400, 20001, "VoiceReceiveMode must be voice or fax");
          changes.voice_receive_mode = value;
          break;
      }
    }
    Object.assign(n, changes);
    n.date_updated = rfc2822();
    if (transferTo) {
      // The number now belongs to another account: from this account's point of view it is gone.
      // When that account is one of the sandbox's (the main account or a subaccount), it is there now.
      removeNumber(account, n);
      this.onRelease({ sid: n.sid, phoneNumber: n.phone_number, kind: "transfer" });
      n.account_sid = transferTo;
      n.uri = `/2010-04-01/Accounts/${transferTo}/IncomingPhoneNumbers/${n.sid}.json`;
      this.account(transferTo)?.numbers.set(n.sid, n);
    }
    return { status: 200, body: toJson(n) };
  }
}

/** The number leaves its account (and the Messaging Service it was in). */
export function removeNumber(account: TwilioAccountState, n: TwilioIncomingPhoneNumber): void {
  account.numbers.delete(n.sid);
  account.service_members.delete(n.sid);
}

/** The JSON Twilio sends for one number (state plus `subresource_uris`). */
export function toJson(n: TwilioIncomingPhoneNumber): Record<string, unknown> {
  return {
    ...n,
    capabilities: { ...n.capabilities },
    subresource_uris: { assigned_add_ons: n.uri.replace(/\.json$/, "/AssignedAddOns.json") },
  };
}
