/**
 * SignalWire's REST API for phone numbers, as the sandbox plays it:
 *
 *   GET    /api/relay/rest/phone_numbers        page_size (1-1000, default 50), page_number (from 0)
 *                                              with page_token (given by links.next), filter_number
 *                                              and filter_name (parts of the value); most recent first
 *   GET    /api/relay/rest/phone_numbers/{id}
 *   PUT    /api/relay/rest/phone_numbers/{id}   JSON: the fields given; "" unsets a text field
 *   DELETE /api/relay/rest/phone_numbers/{id}   releases the number (recorded in `releases()`)
 *
 * HTTP Basic auth of project ID and API token. Errors in SignalWire's shapes: `{ error: "Not Found" }`
 * (400, 401, 404, 500), `{ errors: [{ code, title, detail, status }] }` (422).
 */
import { hashHex, iso8601 } from "../../state/formats";
import type { CarrierResponse, Release } from "../carrier";
import {
  MESSAGE_HANDLERS,
  METHOD_FIELDS,
  TEXT_FIELDS,
  UPDATABLE_CALL_HANDLERS,
  UUID_FIELDS,
  type SignalWirePhoneNumber,
  type SignalWireState,
  type StoredSignalWireNumber,
} from "./state";

export const PHONE_NUMBERS_PATH = "/api/relay/rest/phone_numbers";

/** The operations served, by the operationId SignalWire's document gives them. */
export const SIGNALWIRE_OPERATIONS = {
  list_phone_numbers: `GET ${PHONE_NUMBERS_PATH}`,
  retrieve_phone_number: `GET ${PHONE_NUMBERS_PATH}/{id}`,
  update_phone_number: `PUT ${PHONE_NUMBERS_PATH}/{id}`,
  release_phone_number: `DELETE ${PHONE_NUMBERS_PATH}/{id}`,
} as const;
export type SignalWireOperationId = keyof typeof SIGNALWIRE_OPERATIONS;

export interface SignalWireRoute {
  endpoint: string;
  operationId?: SignalWireOperationId;
  id?: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** `{ error: "Not Found" }`: SignalWire's error body for everything but validation. */
export function signalwireError(status: number): CarrierResponse {
  return { status, body: { error: STATUS_TEXT[status] ?? "Error" } };
}

/** `{ errors: [...] }`: a 422, one entry per attribute at fault. */
export function validationError(details: Array<{ title?: string; detail: string }>): CarrierResponse {
  return {
    status: 422,
    body: {
      errors: details.map((d) => ({
        detail: d.detail,
        status: "422",
        title: d.title ?? "Invalid Attribute",
        code: "422",
      })),
    },
  };
}

/** An injected status fault: a 429 with Retry-After, a 5xx, in SignalWire's shape. */
export function signalwireFaultResponse(status: number, retryAfter: number | undefined): CarrierResponse {
  const response = signalwireError(status);
  const seconds = retryAfter ?? (status === 429 ? 1 : undefined);
  return seconds === undefined ? response : { ...response, headers: { "Retry-After": String(seconds) } };
}

export function ownsSignalWirePath(pathname: string): boolean {
  return pathname === PHONE_NUMBERS_PATH || pathname.startsWith(`${PHONE_NUMBERS_PATH}/`);
}

export function routeSignalWire(method: string, pathname: string): SignalWireRoute {
  if (pathname === PHONE_NUMBERS_PATH)
    return method === "GET"
      ? { endpoint: SIGNALWIRE_OPERATIONS.list_phone_numbers, operationId: "list_phone_numbers" }
      : { endpoint: `${method} ${PHONE_NUMBERS_PATH}` };
  const id = pathname.slice(PHONE_NUMBERS_PATH.length + 1);
  const byMethod: Record<string, SignalWireOperationId> = {
    GET: "retrieve_phone_number",
    PUT: "update_phone_number",
    DELETE: "release_phone_number",
  };
  const operationId = id.includes("/") ? undefined : byMethod[method];
  return operationId
    ? { endpoint: SIGNALWIRE_OPERATIONS[operationId], operationId, id: decodeURIComponent(id) }
    : { endpoint: `${method} ${PHONE_NUMBERS_PATH}/{id}/…` };
}

/** A number as answered: without what SignalWire's answers do not carry. */
export function present(n: StoredSignalWireNumber): SignalWirePhoneNumber {
  const { message_relay_application: _hidden, ...shown } = n;
  return structuredClone(shown);
}

/** The field a handler needs: an update that leaves it empty is refused. */
const CALL_HANDLER_RESOURCE: Partial<Record<string, keyof StoredSignalWireNumber>> = {
  relay_application: "call_relay_application",
  relay_topic: "call_relay_topic",
  relay_context: "call_relay_context",
  relay_script: "call_relay_script_url",
  relay_connector: "call_relay_connector_id",
  relay_sip_endpoint: "call_sip_endpoint_id",
  relay_verto_endpoint: "call_verto_resource",
  laml_application: "call_laml_application_id",
  dialogflow: "call_dialogflow_agent_id",
  video_room: "call_video_room_id",
};
const MESSAGE_HANDLER_RESOURCE: Partial<Record<string, keyof StoredSignalWireNumber>> = {
  relay_application: "message_relay_application",
  relay_topic: "message_relay_topic",
  relay_context: "message_relay_context",
  laml_application: "message_laml_application_id",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class SignalWireApi {
  constructor(
    private readonly state: () => SignalWireState,
    private readonly release: (release: Omit<Release, "carrier">) => void,
  ) {}

  /** Basic auth of project ID and API token; `undefined` when they match. */
  authenticate(authorization: string | undefined): CarrierResponse | undefined {
    const { project_id, api_token } = this.state();
    const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
    const decoded = match ? Buffer.from(match[1]!, "base64").toString("utf8") : "";
    return decoded === `${project_id}:${api_token}` ? undefined : signalwireError(401);
  }

  handle(
    route: SignalWireRoute,
    query: Record<string, string>,
    host: string | undefined,
    body: () => { ok: true; value: unknown } | { ok: false },
  ): CarrierResponse {
    if (!route.operationId) return signalwireError(405);
    if (route.operationId === "list_phone_numbers") return this.list(query, host);
    const number = route.id === undefined ? undefined : this.state().phone_numbers.get(route.id);
    if (!number) return signalwireError(404);
    switch (route.operationId) {
      case "retrieve_phone_number":
        return { status: 200, body: present(number) };
      case "update_phone_number": {
        const parsed = body();
        return parsed.ok ? this.update(number, parsed.value) : signalwireError(400);
      }
      case "release_phone_number":
        this.state().phone_numbers.delete(number.id);
        this.release({ sid: number.id, phoneNumber: number.number, kind: "release" });
        return { status: 204 };
    }
  }

  private list(query: Record<string, string>, host: string | undefined): CarrierResponse {
    const size = query["page_size"] === undefined ? 50 : Number(query["page_size"]);
    const page = query["page_number"] === undefined ? 0 : Number(query["page_number"]);
    if (!Number.isInteger(size) || size < 1 || size > 1000 || !Number.isInteger(page) || page < 0)
      return signalwireError(400);
    const filters = { filter_number: query["filter_number"], filter_name: query["filter_name"] };
    // Pages after the first are reached through links.next, whose token they must carry.
    if (page > 0 && query["page_token"] !== pageToken(filters, size, page)) return signalwireError(400);
    const matching = [...this.state().phone_numbers.values()]
      .reverse()
      .filter(
        (n) =>
          (filters.filter_number === undefined || n.number.includes(filters.filter_number)) &&
          (filters.filter_name === undefined || (n.name ?? "").includes(filters.filter_name)),
      );
    const origin = `http://${host ?? "127.0.0.1"}`;
    const link = (p: number) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) params.set(key, value);
      params.set("page_size", String(size));
      params.set("page_number", String(p));
      if (p > 0) params.set("page_token", pageToken(filters, size, p));
      return `${origin}${PHONE_NUMBERS_PATH}?${params}`;
    };
    const links: Record<string, string> = { self: link(page), first: link(0) };
    if ((page + 1) * size < matching.length) links["next"] = link(page + 1);
    if (page > 0) links["prev"] = link(page - 1);
    return {
      status: 200,
      body: { links, data: matching.slice(page * size, (page + 1) * size).map(present) },
    };
  }

  private update(number: StoredSignalWireNumber, body: unknown): CarrierResponse {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return signalwireError(400);
    const problems: Array<{ title?: string; detail: string }> = [];
    const next: StoredSignalWireNumber = { ...number };
    const known = new Set<string>([
      "call_handler",
      "call_receive_mode",
      "message_handler",
      "message_relay_application",
      ...TEXT_FIELDS,
      ...UUID_FIELDS,
      ...METHOD_FIELDS,
    ]);
    for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
      if (!known.has(field)) {
        problems.push({
          title: "Unknown Attribute",
          detail: `${field} is not an attribute of a phone number`,
        });
        continue;
      }
      if (typeof value !== "string") {
        problems.push({ detail: `${field} must be a string` });
        continue;
      }
      const set = (v: unknown) => Object.assign(next, { [field]: v });
      if (field === "call_handler") {
        if ((UPDATABLE_CALL_HANDLERS as readonly string[]).includes(value)) set(value);
        else
          problems.push({
            detail: `call_handler is not included in the list (got ${JSON.stringify(value)})`,
          });
      } else if (field === "message_handler") {
        if ((MESSAGE_HANDLERS as readonly string[]).includes(value)) set(value);
        else
          problems.push({
            detail: `message_handler is not included in the list (got ${JSON.stringify(value)})`,
          });
      } else if (field === "call_receive_mode") {
        if (value === "voice" || value === "fax") set(value);
        else problems.push({ detail: "call_receive_mode is not included in the list" });
      } else if ((METHOD_FIELDS as readonly string[]).includes(field)) {
        if (value === "GET" || value === "POST") set(value);
        else problems.push({ detail: `${field} is not included in the list` });
      } else if ((UUID_FIELDS as readonly string[]).includes(field)) {
        if (value === "" || UUID.test(value)) set(value === "" ? null : value);
        else problems.push({ detail: `${field} is not a valid UUID` });
      } else set(value === "" ? null : value);
    }
    // A handler needs its resource: SignalWire refuses one left without it.
    const needs = [
      [next.call_handler, CALL_HANDLER_RESOURCE],
      [next.message_handler, MESSAGE_HANDLER_RESOURCE],
    ] as const;
    for (const [handler, resources] of needs) {
      const field = handler ? resources[handler] : undefined;
      if (field && !next[field]) problems.push({ detail: `${field} can't be blank` });
    }
    if (problems.length) return validationError(problems);
    next.updated_at = iso8601();
    this.state().phone_numbers.set(number.id, next);
    return { status: 200, body: present(next) };
  }
}

/** The token of a page after the first: what links.next carries, and the page must be given. */
function pageToken(filters: Record<string, string | undefined>, size: number, page: number): string {
  return `PA${hashHex(JSON.stringify(filters), String(size), String(page)).slice(0, 24)}`;
}
