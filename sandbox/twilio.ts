/**
 * Twilio's IncomingPhoneNumbers API (2010-04-01), as the sandbox serves it.
 *
 * Field semantics follow Twilio: a form value that is empty clears the field, a field left out is
 * kept, methods are GET|POST, SIDs are checked for their prefix and shape, and `AccountSid` in an
 * update moves the number to another account (it disappears from this one, and the move is
 * recorded next to DELETE releases). Errors use Twilio's JSON shape `{code, message, more_info,
 * status}`, which the SDK turns into `RestException`.
 */
import http from "node:http";
import type { IncomingPhoneNumberContextUpdateOptions } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import { TWILIO_SID, isHttpUrl, rfc2822 } from "./state/formats";
import type { NormalizedState, TwilioIncomingPhoneNumber, TwilioMethod } from "./state/types";
import { decodePathSegment, type CarrierResponse, type Release } from "./carrier";
import type { TwilioOperationId } from "./openapi";

export function twilioError(
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): CarrierResponse {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status, ...extra },
  };
}

/** The response for an injected status fault, in Twilio's shape. */
export function twilioFaultResponse(status: number, retryAfter: number | undefined): CarrierResponse {
  const known: Record<number, [number, string]> = {
    400: [20001, "Bad Request"],
    401: [20003, "Authenticate"],
    404: [20404, "The requested resource was not found"],
    429: [20429, "Too Many Requests"],
    500: [20500, "Internal Server Error"],
    503: [20503, "Service Unavailable"],
  };
  const [code, message] = known[status] ?? [20000 + status, http.STATUS_CODES[status] ?? `HTTP ${status}`];
  const r = twilioError(status, code, message);
  if (retryAfter !== undefined) r.headers = { "Retry-After": String(retryAfter) };
  else if (status === 429) r.headers = { "Retry-After": "1" };
  return r;
}

export function twilioNotFound(path: string): CarrierResponse {
  return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

// ---------------------------------------------------------------------------------------------
// Routing

export interface TwilioRoute {
  /** Normalised endpoint for logs and counts, e.g. "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json". */
  endpoint: string;
  operationId?: TwilioOperationId;
  accountSid?: string;
  sid?: string;
  /** Set when the path exists but not for this method. */
  methodNotAllowed?: boolean;
}

const LIST_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
const INSTANCE_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";

export function routeTwilio(method: string, pathname: string): TwilioRoute {
  const parts = pathname.split("/"); // ["", "2010-04-01", "Accounts", AC, "IncomingPhoneNumbers.json"] or [..., "IncomingPhoneNumbers", "PN.json"]
  if (parts[1] === "2010-04-01" && parts[2] === "Accounts" && parts[3]) {
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

export class TwilioApi {
  constructor(
    private readonly getState: () => NormalizedState["twilio"],
    private readonly onRelease: (r: Release) => void,
  ) {}

  /** Basic auth: Account SID + Auth Token, or API Key SID + secret; the path's account must be theirs. */
  authenticate(
    authorization: string | undefined,
    pathAccountSid: string | undefined,
  ): CarrierResponse | undefined {
    const state = this.getState();
    const unauthorized = () => {
      const r = twilioError(401, 20003, "Authenticate", {
        detail: "Your AccountSid or AuthToken was incorrect.",
      });
      r.headers = { "WWW-Authenticate": 'Basic realm="Twilio API"' };
      return r;
    };
    const m = /^Basic\s+(.+)$/i.exec(authorization ?? "");
    if (!m?.[1]) return unauthorized();
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return unauthorized();
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    const ok =
      (user === state.account_sid && pass === state.auth_token) ||
      state.api_keys.some((k) => k.sid === user && k.secret === pass);
    if (!ok) return unauthorized();
    if (pathAccountSid !== undefined && pathAccountSid !== state.account_sid) return unauthorized();
    return undefined;
  }

  handle(
    route: TwilioRoute,
    pathname: string,
    query: Record<string, string>,
    form: Record<string, string>,
  ): CarrierResponse {
    if (route.methodNotAllowed) return twilioError(405, 20004, "Method not allowed");
    switch (route.operationId) {
      case "ListIncomingPhoneNumber":
        return this.list(query);
      case "CreateIncomingPhoneNumber":
        return twilioError(
          405,
          20004,
          "Method not allowed: buying numbers (POST IncomingPhoneNumbers.json) is not modelled by the sandbox",
        );
      case "FetchIncomingPhoneNumber":
        return this.withNumber(route, pathname, (n) => ({ status: 200, body: toJson(n) }));
      case "UpdateIncomingPhoneNumber":
        return this.withNumber(route, pathname, (n) => this.update(n, form));
      case "DeleteIncomingPhoneNumber":
        return this.withNumber(route, pathname, (n) => {
          this.getState().numbers.delete(n.sid);
          this.onRelease({ carrier: "twilio", sid: n.sid, phoneNumber: n.phone_number, kind: "release" });
          return { status: 204 };
        });
      default:
        return twilioNotFound(pathname);
    }
  }

  private withNumber(
    route: TwilioRoute,
    pathname: string,
    fn: (n: TwilioIncomingPhoneNumber) => CarrierResponse,
  ): CarrierResponse {
    const sid = route.sid ?? "";
    // A malformed SID is simply a resource that does not exist: Twilio answers 404.
    const n = TWILIO_SID("PN").test(sid) ? this.getState().numbers.get(sid) : undefined;
    return n ? fn(n) : twilioNotFound(pathname);
  }

  private list(query: Record<string, string>): CarrierResponse {
    for (const k of Object.keys(query)) {
      if (!LIST_QUERY.has(k)) return twilioError(400, 20001, `Unknown parameter: ${k}`);
    }
    const state = this.getState();
    const pageSize = query["PageSize"] === undefined ? 50 : Number(query["PageSize"]);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return twilioError(400, 20001, "PageSize must be an integer between 1 and 1000");
    }
    const page = query["Page"] === undefined ? 0 : Number(query["Page"]);
    if (!Number.isInteger(page) || page < 0)
      return twilioError(400, 20001, "Page must be a non-negative integer");
    const beta = query["Beta"];
    if (beta !== undefined && beta !== "true" && beta !== "false") {
      return twilioError(400, 20001, "Beta must be true or false");
    }
    const token = query["PageToken"];
    if (token !== undefined && !/^P[AB]PN[0-9a-fA-F]{32}$/.test(token)) {
      return twilioError(400, 20001, "Invalid PageToken");
    }

    const byNumber = query["PhoneNumber"] !== undefined ? twilioPhoneFilter(query["PhoneNumber"]) : undefined;
    const all = [...state.numbers.values()].filter(
      (n) =>
        (!byNumber || byNumber(n.phone_number)) &&
        (query["FriendlyName"] === undefined || n.friendly_name === query["FriendlyName"]) &&
        (query["Origin"] === undefined || n.origin === query["Origin"]) &&
        (beta !== "false" || !n.beta),
    );

    let start = page * pageSize;
    if (token) {
      const at = all.findIndex((n) => n.sid === token.slice(2));
      if (at >= 0) start = token.startsWith("PA") ? at + 1 : Math.max(0, at - pageSize);
    }
    const items = all.slice(start, start + pageSize);
    const base = `/2010-04-01/Accounts/${state.account_sid}/IncomingPhoneNumbers.json`;
    const filters: [string, string][] = [];
    for (const k of ["PhoneNumber", "FriendlyName", "Beta", "Origin"]) {
      const v = query[k];
      if (v !== undefined) filters.push([k, v]);
    }
    const uri = (p: number, tok?: string) => {
      const qs = new URLSearchParams([...filters, ["PageSize", String(pageSize)], ["Page", String(p)]]);
      if (tok) qs.set("PageToken", tok);
      return `${base}?${qs.toString()}`;
    };
    const first = items[0];
    const last = items[items.length - 1];
    const hasMore = start + items.length < all.length;
    return {
      status: 200,
      body: {
        first_page_uri: uri(0),
        end: items.length ? start + items.length - 1 : start,
        incoming_phone_numbers: items.map(toJson),
        next_page_uri: hasMore && last ? uri(page + 1, `PA${last.sid}`) : null,
        page,
        page_size: pageSize,
        previous_page_uri: page > 0 && first ? uri(page - 1, `PB${first.sid}`) : null,
        start,
        uri: uri(page, token),
      },
    };
  }

  private update(n: TwilioIncomingPhoneNumber, form: Record<string, string>): CarrierResponse {
    const state = this.getState();
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
          if (value !== state.account_sid) transferTo = value;
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
      state.numbers.delete(n.sid);
      this.onRelease({ carrier: "twilio", sid: n.sid, phoneNumber: n.phone_number, kind: "transfer" });
      return { status: 200, body: { ...toJson(n), account_sid: transferTo } };
    }
    return { status: 200, body: toJson(n) };
  }
}

/** The JSON Twilio sends for one number (state plus `subresource_uris`). */
export function toJson(n: TwilioIncomingPhoneNumber): Record<string, unknown> {
  return {
    ...n,
    capabilities: { ...n.capabilities },
    subresource_uris: { assigned_add_ons: n.uri.replace(/\.json$/, "/AssignedAddOns.json") },
  };
}
