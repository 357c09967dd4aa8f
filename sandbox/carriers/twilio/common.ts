/**
 * What the sandbox's two Twilio APIs share (2010-04-01 in api.ts, Messaging v1 in
 * messaging.ts): the route a request takes, Twilio's error shape, and list paging
 * (`PageSize`, `Page`, `PageToken`: "PA" or "PB" and the SID of the item the page starts after or
 * ends before).
 */
import http from "node:http";
import type { CarrierResponse } from "../carrier";
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

/** 401 / 20003: what Twilio answers for bad credentials, and for credentials that cannot act on the path's account. */
export function twilioUnauthorized(): CarrierResponse {
  const r = twilioError(401, 20003, "Authenticate", {
    detail: "Your AccountSid or AuthToken was incorrect.",
  });
  r.headers = { "WWW-Authenticate": 'Basic realm="Twilio API"' };
  return r;
}

export interface TwilioRoute {
  /** Normalised endpoint for logs and counts, e.g. "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json". */
  endpoint: string;
  operationId?: TwilioOperationId;
  /** The account in the path (2010-04-01). Messaging v1 has none: it serves the credentials' own account. */
  accountSid?: string;
  /** Messaging v1: the service in the path. */
  serviceSid?: string;
  sid?: string;
  /** Set when the path exists but not for this method, or the method is not modelled by the sandbox. */
  methodNotAllowed?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Paging

export interface Paging {
  pageSize: number;
  page: number;
  token: string | undefined;
}

/**
 * A list request's query, checked: no parameter outside `allowed` (paging's own included), PageSize
 * 1..1000 (default 50), Page >= 0, PageToken "PA"/"PB" and a SID with `sidPrefix`. An error
 * response when something is wrong.
 */
export function readPaging(
  query: Record<string, string>,
  allowed: ReadonlySet<string>,
  sidPrefix: string,
): Paging | CarrierResponse {
  for (const k of Object.keys(query)) {
    if (!allowed.has(k)) return twilioError(400, 20001, `Unknown parameter: ${k}`);
  }
  const pageSize = query["PageSize"] === undefined ? 50 : Number(query["PageSize"]);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    return twilioError(400, 20001, "PageSize must be an integer between 1 and 1000");
  }
  const page = query["Page"] === undefined ? 0 : Number(query["Page"]);
  if (!Number.isInteger(page) || page < 0)
    return twilioError(400, 20001, "Page must be a non-negative integer");
  const token = query["PageToken"];
  if (token !== undefined && !new RegExp(`^P[AB]${sidPrefix}[0-9a-fA-F]{32}$`).test(token)) {
    return twilioError(400, 20001, "Invalid PageToken");
  }
  return { pageSize, page, token };
}

export function isErrorResponse(r: Paging | CarrierResponse): r is CarrierResponse {
  return "status" in r;
}

export interface PageOf<T> {
  start: number;
  items: T[];
  /** The URLs (or URIs) of the first, this, the previous and the next page (null: none). */
  first: string;
  current: string;
  previous: string | null;
  next: string | null;
}

/**
 * The page of `all` that `paging` asks for: from Page × PageSize, or, with a PageToken, just after
 * ("PA") or before ("PB") the item it names. `link(page, token)` writes a page's URL.
 */
export function pageOf<T extends { sid: string }>(
  all: T[],
  paging: Paging,
  link: (page: number, token?: string) => string,
): PageOf<T> {
  const { pageSize, page, token } = paging;
  let start = page * pageSize;
  if (token) {
    const at = all.findIndex((x) => x.sid === token.slice(2));
    if (at >= 0) start = token.startsWith("PA") ? at + 1 : Math.max(0, at - pageSize);
  }
  const items = all.slice(start, start + pageSize);
  const first = items[0];
  const last = items[items.length - 1];
  const hasMore = start + items.length < all.length;
  return {
    start,
    items,
    first: link(0),
    current: link(page, token),
    previous: page > 0 && first ? link(page - 1, `PB${first.sid}`) : null,
    next: hasMore && last ? link(page + 1, `PA${last.sid}`) : null,
  };
}
