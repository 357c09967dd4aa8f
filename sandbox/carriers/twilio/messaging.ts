/**
 * Twilio's Messaging v1 API, as the sandbox serves it: `GET /v1/Services` (list), `GET
 * /v1/Services/{Sid}`, `GET /v1/Services/{ServiceSid}/PhoneNumbers` (list) and `GET
 * /v1/Services/{ServiceSid}/PhoneNumbers/{Sid}`. The SDK sends these to messaging.twilio.com (a
 * `BaseUrlRequestClient` rewrites the host); the absolute URLs in the answers (`url`, `links`,
 * `meta.next_page_url`) point there, as Twilio's do. Lists are paged like Twilio's newer APIs: the
 * items under their key, and `meta` with the page URLs.
 *
 * There is no account in the path: the API serves the account the credentials belong to (api.ts
 * decides which). A number joins or leaves a service, and a service's settings change, through the
 * control API, as a console user would do it; the API's own writes are answered 405.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { decodePathSegment, type CarrierResponse } from "../carrier";
import type { TwilioOperationId } from "./openapi";
import { TWILIO_MESSAGING_BASE } from "./defaults";
import { serviceNumbers } from "./seed";
import type {
  TwilioAccountState,
  TwilioIncomingPhoneNumber,
  TwilioMessagingPhoneNumber,
  TwilioMessagingService,
} from "./state";
import { isErrorResponse, pageOf, readPaging, twilioNotFound, type TwilioRoute } from "./common";

const SERVICES = "/v1/Services";
const PAGING = new Set(["PageSize", "Page", "PageToken"]);

/** Whether a path is the Messaging Services API's (the only part of Messaging v1 the sandbox serves). */
export function isMessagingPath(pathname: string): boolean {
  return pathname === SERVICES || pathname.startsWith(`${SERVICES}/`);
}

export function routeMessaging(method: string, pathname: string): TwilioRoute {
  const parts = pathname.split("/").slice(3).map(decodePathSegment); // after "", "v1", "Services"
  const [serviceSid, sub, sid] = parts;
  /** Only GET is served; the other methods of a path Twilio has are answered 405. */
  const get = (path: string, operationId: TwilioOperationId, ids: Partial<TwilioRoute>): TwilioRoute =>
    method === "GET"
      ? { endpoint: `GET ${path}`, operationId, ...ids }
      : { endpoint: `${method} ${path}`, ...ids, methodNotAllowed: true };
  if (parts.length === 0) return get(SERVICES, "ListService", {});
  if (serviceSid) {
    if (parts.length === 1) return get(`${SERVICES}/{Sid}`, "FetchService", { serviceSid });
    const numbers = `${SERVICES}/{ServiceSid}/PhoneNumbers`;
    if (sub === "PhoneNumbers" && parts.length === 2) return get(numbers, "ListPhoneNumber", { serviceSid });
    if (sub === "PhoneNumbers" && parts.length === 3 && sid) {
      return get(`${numbers}/{Sid}`, "FetchPhoneNumber", { serviceSid, sid });
    }
  }
  return { endpoint: `${method} ${pathname}` };
}

/** Answers a routed Messaging v1 request for `account` (the one the credentials belong to). */
export function handleMessaging(
  route: TwilioRoute,
  account: TwilioAccountState,
  pathname: string,
  query: Record<string, string>,
): CarrierResponse {
  // Twilio's v1 "not found" message names the path without its version.
  const notFound = () => twilioNotFound(pathname.replace(/^\/v1/, ""));
  if (route.operationId === "ListService") {
    return listPage(query, "services", SERVICES, [...account.messaging_services.values()], "MG", (s) => s);
  }
  const service = account.messaging_services.get(route.serviceSid ?? "");
  if (!service) return notFound();
  switch (route.operationId) {
    case "FetchService":
      return { status: 200, body: service };
    case "ListPhoneNumber":
      return listPage(
        query,
        "phone_numbers",
        `${SERVICES}/${service.sid}/PhoneNumbers`,
        serviceNumbers(account, service.sid),
        "PN",
        (n) => phoneNumberJson(account, service, n),
      );
    case "FetchPhoneNumber": {
      const n = serviceNumbers(account, service.sid).find((x) => x.sid === route.sid);
      return n ? { status: 200, body: phoneNumberJson(account, service, n) } : notFound();
    }
    default:
      return notFound();
  }
}

/** One page of a list, as Twilio's newer APIs write it: `{ [key]: items, meta: {...} }`. */
function listPage<T extends { sid: string }>(
  query: Record<string, string>,
  key: string,
  path: string,
  all: T[],
  sidPrefix: string,
  toJson: (item: T) => unknown,
): CarrierResponse {
  const paging = readPaging(query, PAGING, sidPrefix);
  if (isErrorResponse(paging)) return paging;
  const link = (page: number, token?: string) => {
    const qs = new URLSearchParams([
      ["PageSize", String(paging.pageSize)],
      ["Page", String(page)],
    ]);
    if (token) qs.set("PageToken", token);
    return `${TWILIO_MESSAGING_BASE}${path}?${qs.toString()}`;
  };
  const p = pageOf(all, paging, link);
  return {
    status: 200,
    body: {
      [key]: p.items.map(toJson),
      meta: {
        page: paging.page,
        page_size: paging.pageSize,
        first_page_url: p.first,
        previous_page_url: p.previous,
        url: p.current,
        next_page_url: p.next,
        key,
      },
    },
  };
}

const CAPABILITIES = [
  ["voice", "Voice"],
  ["sms", "SMS"],
  ["mms", "MMS"],
  ["fax", "Fax"],
] as const;

function phoneNumberJson(
  account: TwilioAccountState,
  service: TwilioMessagingService,
  n: TwilioIncomingPhoneNumber,
): TwilioMessagingPhoneNumber {
  const joined = account.service_members.get(n.sid)?.date_created ?? service.date_created;
  return {
    sid: n.sid,
    account_sid: n.account_sid,
    service_sid: service.sid,
    date_created: joined,
    date_updated: joined,
    phone_number: n.phone_number,
    country_code: parsePhoneNumberFromString(n.phone_number)?.country ?? "US",
    capabilities: CAPABILITIES.filter(([k]) => n.capabilities[k]).map(([, name]) => name),
    url: `${TWILIO_MESSAGING_BASE}${SERVICES}/${service.sid}/PhoneNumbers/${n.sid}`,
  };
}
