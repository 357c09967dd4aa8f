/**
 * Telnyx API v2 endpoints the sandbox serves: phone numbers, their messaging settings, voice
 * connections (Call Control, TeXML, credential) and messaging profiles.
 *
 * Fidelity comes from the `telnyx` SDK's own types, and, when validation is on, from Telnyx's
 * OpenAPI document (openapi.ts): every request body is parsed by a schema keyed by the SDK's
 * `...UpdateParams` type (`Fields<T>`: one schema per SDK field, so an unknown field name fails
 * tsc), the required fields of a PATCH are checked against the SDK's required keys at compile
 * time, and every response body is typed as the SDK's `...RetrieveResponse` / `...UpdateResponse`.
 *
 * Errors use Telnyx's shape `{errors: [{code, title, detail, source}]}`, so the SDK raises its own
 * classes (`NotFoundError`, `UnprocessableEntityError`, `RateLimitError`, ...).
 */
import { z } from "zod";
import type {
  CallControlApplicationCreateParams,
  CallControlApplicationCreateResponse,
  CallControlApplicationDeleteResponse,
  CallControlApplicationRetrieveResponse,
  CallControlApplicationUpdateParams,
  CallControlApplicationUpdateResponse,
} from "telnyx/resources/call-control-applications";
import type {
  TexmlApplicationCreateParams,
  TexmlApplicationCreateResponse,
  TexmlApplicationDeleteResponse,
  TexmlApplicationRetrieveResponse,
  TexmlApplicationUpdateParams,
  TexmlApplicationUpdateResponse,
} from "telnyx/resources/texml-applications";
import type {
  CredentialConnectionRetrieveResponse,
  CredentialConnectionUpdateParams,
  CredentialConnectionUpdateResponse,
} from "telnyx/resources/credential-connections/credential-connections";
import type {
  MessagingProfileCreateParams,
  MessagingProfileCreateResponse,
  MessagingProfileDeleteResponse,
  MessagingProfileRetrieveResponse,
  MessagingProfileUpdateParams,
  MessagingProfileUpdateResponse,
} from "telnyx/resources/messaging-profiles/messaging-profiles";
import type {
  PhoneNumberDeleteResponse,
  PhoneNumberRetrieveResponse,
  PhoneNumberUpdateParams,
  PhoneNumberUpdateResponse,
} from "telnyx/resources/phone-numbers/phone-numbers";
import type {
  MessagingRetrieveResponse,
  MessagingUpdateParams,
  MessagingUpdateResponse,
} from "telnyx/resources/phone-numbers/messaging";
import type { Connection, ConnectionRetrieveResponse } from "telnyx/resources/connections";
import type { PhoneNumberWithMessagingSettings } from "telnyx/resources/shared";
import type { DefaultFlatPaginationResponse } from "telnyx/core/pagination";
import { decodePathSegment, type CarrierResponse, type Release } from "../carrier";
import {
  callControlApplicationFields,
  credentialConnectionFields,
  messagingProfileFields,
  texmlApplicationFields,
} from "./schemas";
import { connectionDisplayName, findConnection, refreshTelnyxNames } from "./seed";
import {
  ccaDefaults,
  messagingProfileDefaults,
  telnyxNumericId,
  telnyxUuid,
  texmlDefaults,
} from "./defaults";
import type { Equal, Fields } from "../../state/types";
import {
  TELNYX_KINDS,
  type StoredCallControlApplication,
  type StoredCredentialConnection,
  type StoredTexmlApplication,
  type TelnyxConnectionKind,
  type TelnyxKind,
  type TelnyxObjectByKind,
  type TelnyxPhoneNumber,
  type TelnyxState,
} from "./state";

// ---------------------------------------------------------------------------------------------
// Errors

export interface TelnyxErrorObject {
  code: string;
  title: string;
  detail: string;
  source?: { pointer?: string; parameter?: string };
  meta?: { url: string };
}

function errorObject(code: string, title: string, detail: string, pointer?: string): TelnyxErrorObject {
  return {
    code,
    title,
    detail,
    ...(pointer ? { source: { pointer } } : {}),
    meta: { url: `https://developers.telnyx.com/docs/overview/errors/${code}` },
  };
}

export function telnyxError(
  status: number,
  code: string,
  title: string,
  detail: string,
  pointer?: string,
): CarrierResponse {
  return { status, body: { errors: [errorObject(code, title, detail, pointer)] } };
}

export const telnyxNotFound = (detail = "The requested resource or URL could not be found.") =>
  telnyxError(404, "10005", "Resource not found", detail);

export function telnyxUnauthorized(): CarrierResponse {
  return telnyxError(
    401,
    "10009",
    "Authentication failed",
    "The required authentication headers were either invalid or not included in the request.",
  );
}

/** The response for an injected status fault, in Telnyx's shape. */
export function telnyxFaultResponse(status: number, retryAfter: number | undefined): CarrierResponse {
  const known: Record<number, [string, string, string]> = {
    400: ["10015", "Bad Request", "The request could not be understood."],
    401: [
      "10009",
      "Authentication failed",
      "The required authentication headers were either invalid or not included in the request.",
    ],
    403: ["10010", "Authorization failed", "You are not authorized to access the requested resource."],
    404: ["10005", "Resource not found", "The requested resource or URL could not be found."],
    422: ["10015", "Invalid parameter", "The request failed validation."],
    429: ["10011", "Too many requests", "You have exceeded the rate limit. Please wait and try again."],
    500: ["10007", "Unexpected error", "An unexpected error occurred."],
    502: ["10007", "Unexpected error", "Bad gateway."],
    503: ["10007", "Service unavailable", "The service is temporarily unavailable. Please try again later."],
  };
  const [code, title, detail] = known[status] ?? ["10007", "Unexpected error", `HTTP ${status}`];
  const r = telnyxError(status, code, title, detail);
  if (status === 429 || retryAfter !== undefined) {
    r.headers = {
      "Retry-After": String(retryAfter ?? 1),
      "x-ratelimit-limit": "100",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + (retryAfter ?? 1)),
    };
  }
  return r;
}

function zodToTelnyx(err: z.ZodError): CarrierResponse {
  const errors: TelnyxErrorObject[] = [];
  for (const issue of err.issues) {
    const pointer = "/" + issue.path.map(String).join("/");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const p = pointer === "/" ? `/${key}` : `${pointer}/${key}`;
        errors.push(
          errorObject("10015", "Invalid parameter", `'${key}' is not a valid parameter for this request.`, p),
        );
      }
    } else if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
      errors.push(
        errorObject("10015", "Missing required parameter", `${pointer.slice(1)} is required.`, pointer),
      );
    } else {
      errors.push(
        errorObject("10015", "Invalid value for parameter", `${pointer.slice(1)}: ${issue.message}`, pointer),
      );
    }
  }
  return { status: 422, body: { errors } };
}

// ---------------------------------------------------------------------------------------------
// PATCH schemas, keyed by the SDK's update params

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** `f` must have exactly the keys of `T` (no extra, none missing). */
const exact =
  <T>() =>
  <F extends Fields<T>>(f: F & Record<Exclude<keyof F, keyof T>, never>): Fields<T> =>
    f;

/** `fields` without `keys` (a copy). */
function omit<F extends object, K extends keyof F>(fields: F, ...keys: K[]): Omit<F, K> {
  const rest = { ...fields };
  for (const k of keys) delete rest[k];
  return rest;
}
/** Fields the server sets, which no PATCH may give. */
const SERVER_SET = ["id", "created_at", "updated_at", "record_type"] as const;

const ccaUpdate = z
  .strictObject(
    exact<CallControlApplicationUpdateParams>()(omit(callControlApplicationFields, ...SERVER_SET)),
  )
  .partial()
  .required({ application_name: true, webhook_event_url: true });

const texmlUpdate = z
  .strictObject(exact<TexmlApplicationUpdateParams>()(omit(texmlApplicationFields, ...SERVER_SET)))
  .partial()
  .required({ friendly_name: true, voice_url: true });

const credentialUpdate = z
  .strictObject(exact<CredentialConnectionUpdateParams>()(omit(credentialConnectionFields, ...SERVER_SET)))
  .partial();

// A profile's organisation, resource group and health webhook are not settable by PATCH either.
const profileUpdatable = omit(
  messagingProfileFields,
  ...SERVER_SET,
  "organization_id",
  "health_webhook_url",
  "resource_group_id",
);
const profileUpdate = z.strictObject(exact<MessagingProfileUpdateParams>()(profileUpdatable)).partial();

const phoneNumberUpdate = z
  .strictObject(
    exact<PhoneNumberUpdateParams>()({
      address_id: z.string(),
      billing_group_id: z.string(),
      connection_id: z.string(),
      customer_reference: z.string(),
      external_pin: z.string(),
      hd_voice_enabled: z.boolean(),
      tags: z.array(z.string()),
    }),
  )
  .partial();

const messagingUpdate = z
  .strictObject(
    exact<MessagingUpdateParams>()({
      messaging_product: z.string().min(1),
      messaging_profile_id: z.string(),
      tags: z.array(z.string()),
    }),
  )
  .partial();

// POST bodies (the three kinds `onShared: "isolate"` copies), keyed by the SDK's create params.
const ccaCreate = z
  .strictObject(
    exact<CallControlApplicationCreateParams>()(omit(callControlApplicationFields, ...SERVER_SET, "tags")),
  )
  .partial()
  .required({ application_name: true, webhook_event_url: true });

const texmlCreate = z
  .strictObject(exact<TexmlApplicationCreateParams>()(omit(texmlApplicationFields, ...SERVER_SET)))
  .partial()
  .required({ friendly_name: true, voice_url: true });

// The server sets a profile's organisation, its v1 secret and its redaction settings.
const profileCreate = z
  .strictObject(
    exact<MessagingProfileCreateParams>()(
      omit(
        messagingProfileFields,
        ...SERVER_SET,
        "organization_id",
        "v1_secret",
        "redaction_enabled",
        "redaction_level",
      ),
    ),
  )
  .partial()
  .required({ name: true, whitelisted_destinations: true });

// The required fields of each PATCH are the SDK's required fields: if the SDK changes, tsc fails.
const _requiredMatchSdk: [
  Equal<RequiredKeys<z.output<typeof ccaUpdate>>, RequiredKeys<CallControlApplicationUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof texmlUpdate>>, RequiredKeys<TexmlApplicationUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof credentialUpdate>>, RequiredKeys<CredentialConnectionUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof profileUpdate>>, RequiredKeys<MessagingProfileUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof phoneNumberUpdate>>, RequiredKeys<PhoneNumberUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof messagingUpdate>>, RequiredKeys<MessagingUpdateParams>>,
  Equal<RequiredKeys<z.output<typeof ccaCreate>>, RequiredKeys<CallControlApplicationCreateParams>>,
  Equal<RequiredKeys<z.output<typeof texmlCreate>>, RequiredKeys<TexmlApplicationCreateParams>>,
  Equal<RequiredKeys<z.output<typeof profileCreate>>, RequiredKeys<MessagingProfileCreateParams>>,
] = [true, true, true, true, true, true, true, true, true];
void _requiredMatchSdk;

// ---------------------------------------------------------------------------------------------
// Applications, connections and messaging profiles: one GET and one PATCH handler for every
// kind, typed per kind by this table and by the SDK checks below.

interface ObjectKind<K extends TelnyxKind> {
  /** What a 404 calls it. */
  label: string;
  update: z.ZodType<Partial<TelnyxObjectByKind[K]>>;
}
const OBJECT_KINDS: { [K in TelnyxKind]: ObjectKind<K> } = {
  call_control_applications: { label: "Call control application", update: ccaUpdate },
  texml_applications: { label: "TeXML application", update: texmlUpdate },
  credential_connections: { label: "Credential connection", update: credentialUpdate },
  messaging_profiles: { label: "Messaging profile", update: profileUpdate },
};

/** The state's objects of one kind (indexing the state by a generic kind loses the per-kind type). */
function objectsOf<K extends TelnyxKind>(state: TelnyxState, kind: K): Map<string, TelnyxObjectByKind[K]> {
  const maps: { [P in TelnyxKind]: Map<string, TelnyxObjectByKind[P]> } = state;
  return maps[kind];
}

/** The body of a GET or PATCH of one object. */
type ObjectBody<K extends TelnyxKind> = { data: TelnyxObjectByKind[K] };
type Assignable<A, B> = [A] extends [B] ? true : false;
// Each kind's body is the SDK's own retrieve and update response: if the SDK changes, tsc fails.
const _objectBodiesMatchSdk: [
  Assignable<ObjectBody<"call_control_applications">, CallControlApplicationRetrieveResponse>,
  Assignable<ObjectBody<"call_control_applications">, CallControlApplicationUpdateResponse>,
  Assignable<ObjectBody<"texml_applications">, TexmlApplicationRetrieveResponse>,
  Assignable<ObjectBody<"texml_applications">, TexmlApplicationUpdateResponse>,
  Assignable<ObjectBody<"credential_connections">, CredentialConnectionRetrieveResponse>,
  Assignable<ObjectBody<"credential_connections">, CredentialConnectionUpdateResponse>,
  Assignable<ObjectBody<"messaging_profiles">, MessagingProfileRetrieveResponse>,
  Assignable<ObjectBody<"messaging_profiles">, MessagingProfileUpdateResponse>,
  Assignable<ObjectBody<"call_control_applications">, CallControlApplicationCreateResponse>,
  Assignable<ObjectBody<"call_control_applications">, CallControlApplicationDeleteResponse>,
  Assignable<ObjectBody<"texml_applications">, TexmlApplicationCreateResponse>,
  Assignable<ObjectBody<"texml_applications">, TexmlApplicationDeleteResponse>,
  Assignable<ObjectBody<"messaging_profiles">, MessagingProfileCreateResponse>,
  Assignable<ObjectBody<"messaging_profiles">, MessagingProfileDeleteResponse>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void _objectBodiesMatchSdk;

// ---------------------------------------------------------------------------------------------
// Routing

export interface TelnyxRoute {
  /** Normalised endpoint, e.g. "PATCH /v2/call_control_applications/{id}". */
  endpoint: string;
  handler?: TelnyxHandler;
  id?: string;
  methodNotAllowed?: boolean;
}

type TelnyxHandler =
  | "listPhoneNumbers"
  | "listMessagingNumbers"
  | "getPhoneNumber"
  | "patchPhoneNumber"
  | "deletePhoneNumber"
  | "getNumberMessaging"
  | "patchNumberMessaging"
  | "getConnection"
  | "getObject"
  | "patchObject"
  | "createObject"
  | "deleteObject"
  | "listObjects"
  | "listProfileNumbers";

export function routeTelnyx(method: string, pathname: string): TelnyxRoute & { kind?: TelnyxKind } {
  const seg = pathname.slice("/v2/".length).split("/");
  const pick = (
    template: string,
    methods: Partial<Record<string, TelnyxHandler>>,
    extra: { id?: string; kind?: TelnyxKind } = {},
  ) => {
    const handler = methods[method];
    return handler
      ? { endpoint: `${method} ${template}`, handler, ...extra }
      : { endpoint: `${method} ${template}`, methodNotAllowed: true, ...extra };
  };
  const [a, b, c, d] = seg;
  if (d !== undefined || a === undefined) return { endpoint: `${method} ${pathname}` };
  if (a === "phone_numbers") {
    if (b === undefined) return pick("/v2/phone_numbers", { GET: "listPhoneNumbers" });
    if (b === "messaging" && c === undefined) {
      return pick("/v2/phone_numbers/messaging", { GET: "listMessagingNumbers" });
    }
    if (b !== "" && c === undefined) {
      return pick(
        "/v2/phone_numbers/{id}",
        { GET: "getPhoneNumber", PATCH: "patchPhoneNumber", DELETE: "deletePhoneNumber" },
        { id: decodePathSegment(b) },
      );
    }
    if (b !== "" && c === "messaging") {
      return pick(
        "/v2/phone_numbers/{id}/messaging",
        { GET: "getNumberMessaging", PATCH: "patchNumberMessaging" },
        { id: decodePathSegment(b) },
      );
    }
  }
  if (a === "connections" && b && c === undefined) {
    return pick("/v2/connections/{id}", { GET: "getConnection" }, { id: decodePathSegment(b) });
  }
  const kind = TELNYX_KINDS.find((k) => k === a);
  // Creating and deleting: the kinds a number can be isolated onto (not SIP connections).
  const creatable = kind !== undefined && kind in CREATABLE;
  if (kind && b === undefined) {
    return pick(
      `/v2/${kind}`,
      creatable ? { GET: "listObjects", POST: "createObject" } : { GET: "listObjects" },
      { kind },
    );
  }
  if (kind && b && c === undefined) {
    return pick(
      `/v2/${kind}/{id}`,
      creatable
        ? { GET: "getObject", PATCH: "patchObject", DELETE: "deleteObject" }
        : { GET: "getObject", PATCH: "patchObject" },
      { id: decodePathSegment(b), kind },
    );
  }
  if (a === "messaging_profiles" && b && c === "phone_numbers") {
    return pick(
      "/v2/messaging_profiles/{id}/phone_numbers",
      { GET: "listProfileNumbers" },
      { id: decodePathSegment(b) },
    );
  }
  return { endpoint: `${method} ${pathname}` };
}

// ---------------------------------------------------------------------------------------------
// Lists

/** Telnyx list metadata (the SDK reads page_number and total_pages to decide on a next page). */
export interface TelnyxListMeta extends DefaultFlatPaginationResponse.Meta {
  page_size: number;
  total_results: number;
}
export interface TelnyxList<T> extends DefaultFlatPaginationResponse<T> {
  meta: TelnyxListMeta;
}

const MAX_PAGE_SIZE = 250;

type Paged = { ok: true; number: number; size: number } | { ok: false; response: CarrierResponse };
function paging(query: Record<string, string>): Paged {
  const rawNumber = query["page[number]"];
  const rawSize = query["page[size]"];
  const number = rawNumber === undefined ? 1 : Number(rawNumber);
  const size = rawSize === undefined ? 20 : Number(rawSize);
  const invalid = (detail: string): Paged => ({
    ok: false,
    response: telnyxError(400, "10015", "Invalid value for parameter", detail),
  });
  if (!Number.isInteger(number) || number < 1) return invalid("page[number] must be an integer >= 1");
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    return invalid(`page[size] must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  return { ok: true, number, size };
}

function page<T>(items: T[], p: { number: number; size: number }): TelnyxList<T> {
  const total = items.length;
  return {
    data: items.slice((p.number - 1) * p.size, p.number * p.size),
    meta: {
      page_number: p.number,
      page_size: p.size,
      total_pages: Math.ceil(total / p.size),
      total_results: total,
    },
  };
}

function unknownQuery(
  query: Record<string, string>,
  allowed: ReadonlySet<string>,
): CarrierResponse | undefined {
  for (const k of Object.keys(query)) {
    if (!allowed.has(k)) {
      return {
        status: 400,
        body: {
          errors: [
            {
              ...errorObject(
                "10015",
                "Invalid parameter",
                `'${k}' is not a valid query parameter for this request.`,
              ),
              source: { parameter: k },
            },
          ],
        },
      };
    }
  }
  return undefined;
}

const PHONE_NUMBERS_QUERY = new Set([
  "page[number]",
  "page[size]",
  "filter[phone_number]",
  "filter[connection_id]",
  "filter[status]",
  "filter[tag]",
  "filter[customer_reference]",
  "filter[country_iso_alpha2]",
  "filter[billing_group_id]",
  "sort",
  "handle_messaging_profile_error",
]);
const MESSAGING_NUMBERS_QUERY = new Set([
  "page[number]",
  "page[size]",
  "filter[messaging_profile_id]",
  "filter[phone_number]",
  "filter[phone_number][contains]",
  "filter[type]",
  "sort[phone_number]",
]);
const PAGE_QUERY = new Set(["page[number]", "page[size]"]);

// ---------------------------------------------------------------------------------------------
// The API

const now = () => new Date().toISOString();
type ConnectionObject = StoredCallControlApplication | StoredTexmlApplication | StoredCredentialConnection;
const RECORD_TYPE: Record<TelnyxConnectionKind, string> = {
  call_control_applications: "call_control_application",
  texml_applications: "texml_application",
  credential_connections: "credential_connection",
};

/** Shallow merge, one level deeper for nested objects (inbound, outbound, ...). */
export function merge<T extends object>(target: T, patch: Partial<T>): T {
  const out = { ...target } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === "object" &&
      !Array.isArray(prev)
        ? { ...prev, ...v }
        : v;
  }
  return out as T;
}

export class TelnyxApi {
  /** Per-number messaging product (not part of the phone number object). */
  private readonly messagingProducts = new Map<string, string>();

  constructor(
    private readonly getState: () => TelnyxState,
    private readonly onRelease: (r: Omit<Release, "carrier">) => void,
  ) {}

  reset(): void {
    this.messagingProducts.clear();
  }

  authenticate(authorization: string | undefined): CarrierResponse | undefined {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
    return m?.[1]?.trim() === this.getState().api_key ? undefined : telnyxUnauthorized();
  }

  handle(
    route: TelnyxRoute & { kind?: TelnyxKind },
    query: Record<string, string>,
    body: () => { ok: true; value: unknown } | { ok: false; response: CarrierResponse },
  ): CarrierResponse {
    if (route.methodNotAllowed) {
      return telnyxError(
        405,
        "10005",
        "Method not allowed",
        `${route.endpoint} is not supported by the sandbox.`,
      );
    }
    const id = route.id ?? "";
    const withBody = (fn: (value: unknown) => CarrierResponse): CarrierResponse => {
      const b = body();
      return b.ok ? fn(b.value) : b.response;
    };
    // The body as `schema` parses it; 422 in Telnyx's shape when it does not.
    const withPatch = <T>(schema: z.ZodType<T>, fn: (patch: T) => CarrierResponse): CarrierResponse =>
      withBody((value) => {
        const parsed = schema.safeParse(value);
        return parsed.success ? fn(parsed.data) : zodToTelnyx(parsed.error);
      });
    switch (route.handler) {
      case "listPhoneNumbers":
        return this.listPhoneNumbers(query);
      case "listMessagingNumbers":
        return this.listMessagingNumbers(query);
      case "getPhoneNumber":
        return this.withNumber(id, (n): CarrierResponse => {
          const body: PhoneNumberRetrieveResponse = { data: n };
          return { status: 200, body };
        });
      case "patchPhoneNumber":
        return this.withNumber(id, (n) =>
          withPatch(phoneNumberUpdate, (patch) => this.patchPhoneNumber(n, patch)),
        );
      case "deletePhoneNumber":
        return this.withNumber(id, (n) => this.deletePhoneNumber(n));
      case "getNumberMessaging":
        return this.withNumber(id, (n): CarrierResponse => {
          const body: MessagingRetrieveResponse = { data: this.messagingSettings(n) };
          return { status: 200, body };
        });
      case "patchNumberMessaging":
        return this.withNumber(id, (n) =>
          withPatch(messagingUpdate, (patch) => this.patchNumberMessaging(n, patch)),
        );
      case "getConnection":
        return this.getConnection(id);
      case "getObject":
        return route.kind ? this.getObject(route.kind, id) : telnyxNotFound();
      case "patchObject":
        return route.kind
          ? withBody((v) => this.patchObject(route.kind as TelnyxKind, id, v))
          : telnyxNotFound();
      case "createObject":
        return route.kind && isCreatable(route.kind)
          ? withBody((v) => this.createObject(route.kind as CreatableKind, v))
          : telnyxNotFound();
      case "deleteObject":
        return route.kind && isCreatable(route.kind) ? this.deleteObject(route.kind, id) : telnyxNotFound();
      case "listObjects":
        return route.kind ? this.listObjects(route.kind, query) : telnyxNotFound();
      case "listProfileNumbers":
        return this.listProfileNumbers(id, query);
      default:
        return telnyxNotFound(`Route not found: ${route.endpoint}`);
    }
  }

  // -- phone numbers ----------------------------------------------------------------------------

  private number(id: string): TelnyxPhoneNumber | undefined {
    const n = this.getState().phone_numbers.get(id);
    return n ? refreshTelnyxNames(this.getState(), n) : undefined;
  }

  private withNumber(id: string, fn: (n: TelnyxPhoneNumber) => CarrierResponse): CarrierResponse {
    const n = this.number(id);
    return n ? fn(structuredClone(n)) : telnyxNotFound(`Phone number ${id} not found.`);
  }

  private listPhoneNumbers(query: Record<string, string>): CarrierResponse {
    const bad = unknownQuery(query, PHONE_NUMBERS_QUERY);
    if (bad) return bad;
    const p = paging(query);
    if (!p.ok) return p.response;
    const state = this.getState();
    const byNumber = query["filter[phone_number]"];
    if (byNumber !== undefined && /^\d+$/.test(byNumber) && byNumber.length < 3) {
      return telnyxError(
        400,
        "10015",
        "Invalid value for parameter",
        "filter[phone_number] requires at least three digits.",
      );
    }
    const items = [...state.phone_numbers.values()].filter((n) => {
      // Digits only: a "+" or any other non-digit matches nothing (as the real API).
      if (byNumber !== undefined && !(/^\d+$/.test(byNumber) && n.phone_number.slice(1).includes(byNumber))) {
        return false;
      }
      const eq = (param: string, value: string | null | undefined) =>
        query[param] === undefined || query[param] === value;
      return (
        eq("filter[connection_id]", n.connection_id) &&
        eq("filter[status]", n.status) &&
        eq("filter[customer_reference]", n.customer_reference) &&
        eq("filter[country_iso_alpha2]", n.country_iso_alpha2) &&
        eq("filter[billing_group_id]", n.billing_group_id) &&
        (query["filter[tag]"] === undefined || n.tags.includes(query["filter[tag]"]))
      );
    });
    const sort = query["sort"];
    if (sort) {
      const key = sort.replace(/^-/, "");
      if (key === "phone_number" || key === "purchased_at" || key === "connection_name") {
        if (key === "connection_name") for (const n of items) refreshTelnyxNames(state, n);
        items.sort((x, y) => String(x[key] ?? "").localeCompare(String(y[key] ?? "")));
        if (sort.startsWith("-")) items.reverse();
      }
    }
    // Only the page's numbers are copied: a listing of 100,000 numbers is read page by page.
    const listed = page(items, p);
    const body: TelnyxList<TelnyxPhoneNumber> = {
      ...listed,
      data: listed.data.map((n) => structuredClone(refreshTelnyxNames(state, n))),
    };
    return { status: 200, body };
  }

  private patchPhoneNumber(n: TelnyxPhoneNumber, patch: z.output<typeof phoneNumberUpdate>): CarrierResponse {
    const state = this.getState();
    if (patch.connection_id !== undefined && patch.connection_id !== "") {
      if (!findConnection(state, patch.connection_id)) {
        return telnyxError(
          422,
          "10015",
          "Invalid value for parameter",
          `connection_id: no connection with id ${patch.connection_id}.`,
          "/connection_id",
        );
      }
    }
    const stored = state.phone_numbers.get(n.id);
    if (!stored) return telnyxNotFound();
    const { address_id: _address, connection_id, ...rest } = patch;
    Object.assign(stored, rest);
    if (connection_id !== undefined) stored.connection_id = connection_id === "" ? null : connection_id;
    stored.updated_at = now();
    const body: PhoneNumberUpdateResponse = { data: structuredClone(refreshTelnyxNames(state, stored)) };
    return { status: 200, body };
  }

  private deletePhoneNumber(n: TelnyxPhoneNumber): CarrierResponse {
    this.getState().phone_numbers.delete(n.id);
    this.onRelease({ sid: n.id, phoneNumber: n.phone_number, kind: "release" });
    const data: PhoneNumberDeleteResponse.Data = {
      id: n.id,
      phone_number: n.phone_number,
      record_type: "phone_number",
      status: "deleted",
      created_at: n.created_at,
      updated_at: now(),
    };
    const body: PhoneNumberDeleteResponse = { data };
    return { status: 200, body };
  }

  // -- messaging settings -----------------------------------------------------------------------

  private messagingSettings(n: TelnyxPhoneNumber): PhoneNumberWithMessagingSettings {
    const tollFree = n.phone_number_type === "toll_free" || n.phone_number_type === "tollfree";
    return {
      record_type: "messaging_settings",
      id: n.id,
      phone_number: n.phone_number,
      messaging_profile_id: n.messaging_profile_id ?? null,
      messaging_product: this.messagingProducts.get(n.id) ?? "P2P",
      eligible_messaging_products: ["A2P", "P2P"],
      traffic_type: this.messagingProducts.get(n.id) ?? "P2P",
      type: tollFree ? "toll-free" : "long-code",
      country_code: n.country_iso_alpha2,
      features: {
        sms: { domestic_two_way: true, international_inbound: true, international_outbound: true },
        mms: null,
      },
      tags: [...n.tags],
      created_at: n.created_at,
      updated_at: n.updated_at ?? n.created_at,
    };
  }

  private listMessagingNumbers(query: Record<string, string>): CarrierResponse {
    const bad = unknownQuery(query, MESSAGING_NUMBERS_QUERY);
    if (bad) return bad;
    const p = paging(query);
    if (!p.ok) return p.response;
    const exactNumbers = query["filter[phone_number]"]?.split(",").map((s) => s.trim());
    const contains = query["filter[phone_number][contains]"];
    const type = query["filter[type]"];
    const items = [...this.getState().phone_numbers.values()].filter(
      (n) =>
        (query["filter[messaging_profile_id]"] === undefined ||
          n.messaging_profile_id === query["filter[messaging_profile_id]"]) &&
        (!exactNumbers || exactNumbers.includes(n.phone_number)) &&
        (contains === undefined || n.phone_number.includes(contains)) &&
        (type === undefined ||
          (type === "tollfree") ===
            (n.phone_number_type === "toll_free" || n.phone_number_type === "tollfree")),
    );
    if (query["sort[phone_number]"] === "desc") items.reverse();
    const listed = page(items, p);
    const body: TelnyxList<PhoneNumberWithMessagingSettings> = {
      ...listed,
      data: listed.data.map((n) => this.messagingSettings(n)),
    };
    return { status: 200, body };
  }

  private patchNumberMessaging(
    n: TelnyxPhoneNumber,
    patch: z.output<typeof messagingUpdate>,
  ): CarrierResponse {
    const state = this.getState();
    const profileId = patch.messaging_profile_id;
    if (profileId !== undefined && profileId !== "" && !state.messaging_profiles.has(profileId)) {
      return telnyxError(
        422,
        "10015",
        "Invalid value for parameter",
        `messaging_profile_id: no messaging profile with id ${profileId}.`,
        "/messaging_profile_id",
      );
    }
    const stored = state.phone_numbers.get(n.id);
    if (!stored) return telnyxNotFound();
    if (profileId !== undefined) stored.messaging_profile_id = profileId === "" ? null : profileId;
    if (patch.tags !== undefined) stored.tags = patch.tags;
    if (patch.messaging_product !== undefined) this.messagingProducts.set(n.id, patch.messaging_product);
    stored.updated_at = now();
    const body: MessagingUpdateResponse = { data: this.messagingSettings(refreshTelnyxNames(state, stored)) };
    return { status: 200, body };
  }

  private listProfileNumbers(id: string, query: Record<string, string>): CarrierResponse {
    if (!this.getState().messaging_profiles.has(id))
      return telnyxNotFound(`Messaging profile ${id} not found.`);
    const bad = unknownQuery(query, PAGE_QUERY);
    if (bad) return bad;
    const p = paging(query);
    if (!p.ok) return p.response;
    const items = [...this.getState().phone_numbers.values()].filter((n) => n.messaging_profile_id === id);
    const listed = page(items, p);
    const body: TelnyxList<PhoneNumberWithMessagingSettings> = {
      ...listed,
      data: listed.data.map((n) => this.messagingSettings(n)),
    };
    return { status: 200, body };
  }

  // -- connections, applications, profiles ------------------------------------------------------

  private getConnection(id: string): CarrierResponse {
    const found = findConnection(this.getState(), id);
    if (!found) return telnyxNotFound(`Connection ${id} not found.`);
    const o: ConnectionObject = found.obj;
    const webhooks =
      found.kind === "texml_applications"
        ? { webhook_event_url: null, webhook_event_failover_url: null, webhook_api_version: "2" as const }
        : {
            webhook_event_url:
              (o as StoredCallControlApplication | StoredCredentialConnection).webhook_event_url ?? null,
            webhook_event_failover_url:
              (o as StoredCallControlApplication | StoredCredentialConnection).webhook_event_failover_url ??
              null,
            webhook_api_version: (o as StoredCallControlApplication | StoredCredentialConnection)
              .webhook_api_version,
          };
    const data: Connection = {
      id: o.id,
      record_type: RECORD_TYPE[found.kind],
      connection_name: connectionDisplayName(o) ?? "",
      active: o.active,
      anchorsite_override: o.anchorsite_override === "Chennai, IN" ? "Latency" : o.anchorsite_override,
      outbound_voice_profile_id: o.outbound?.outbound_voice_profile_id,
      tags: [...(o.tags ?? [])],
      created_at: o.created_at,
      updated_at: o.updated_at,
      ...webhooks,
    };
    const body: ConnectionRetrieveResponse = { data };
    return { status: 200, body };
  }

  /** GET of a kind's list: every object, by pages, oldest first (as created). */
  private listObjects<K extends TelnyxKind>(kind: K, query: Record<string, string>): CarrierResponse {
    const bad = unknownQuery(query, PAGE_QUERY);
    if (bad) return bad;
    const p = paging(query);
    if (!p.ok) return p.response;
    const items = [...objectsOf(this.getState(), kind).values()].map((o) => structuredClone(o));
    return { status: 200, body: page(items, p) };
  }

  private getObject<K extends TelnyxKind>(kind: K, id: string): CarrierResponse {
    const o = objectsOf(this.getState(), kind).get(id);
    if (!o) return telnyxNotFound(`${OBJECT_KINDS[kind].label} ${id} not found.`);
    const body: ObjectBody<K> = { data: structuredClone(o) };
    return { status: 200, body };
  }

  private patchObject<K extends TelnyxKind>(kind: K, id: string, raw: unknown): CarrierResponse {
    const objects = objectsOf(this.getState(), kind);
    const updated_at = now();
    const o = objects.get(id);
    if (!o) return telnyxNotFound(`${OBJECT_KINDS[kind].label} ${id} not found.`);
    const parsed = OBJECT_KINDS[kind].update.safeParse(raw);
    if (!parsed.success) return zodToTelnyx(parsed.error);
    const next = { ...merge(o, parsed.data), updated_at };
    objects.set(id, next);
    const body: ObjectBody<K> = { data: structuredClone(next) };
    return { status: 200, body };
  }

  /**
   * POST: a new object from the SDK's create params over the kind's defaults. A missing required
   * field is a 422 naming it; a name another object of the kind already has is a 422 too.
   */
  private createObject<K extends CreatableKind>(kind: K, raw: unknown): CarrierResponse {
    const spec = CREATABLE[kind];
    const parsed = spec.create.safeParse(raw);
    if (!parsed.success) return zodToTelnyx(parsed.error);
    const objects = objectsOf(this.getState(), kind);
    const name = (parsed.data as Record<string, unknown>)[spec.nameField] as string;
    const taken = [...objects.values()].some(
      (o) => (o as unknown as Record<string, unknown>)[spec.nameField] === name,
    );
    if (taken)
      return telnyxError(
        422,
        "10015",
        "Invalid value for parameter",
        `${spec.nameField} has already been taken.`,
        `/${spec.nameField}`,
      );
    const created = spec.build(name, objects.size, parsed.data);
    objects.set(created.id, created);
    const body: ObjectBody<K> = { data: structuredClone(created) };
    return { status: 200, body };
  }

  /**
   * DELETE: the object goes; numbers still on it are left without one (connection_id or
   * messaging_profile_id null), as a deletion in the portal leaves them.
   */
  private deleteObject<K extends CreatableKind>(kind: K, id: string): CarrierResponse {
    const state = this.getState();
    const objects = objectsOf(state, kind);
    const o = objects.get(id);
    if (!o) return telnyxNotFound(`${OBJECT_KINDS[kind].label} ${id} not found.`);
    objects.delete(id);
    for (const n of state.phone_numbers.values()) {
      if (kind === "messaging_profiles" ? n.messaging_profile_id === id : n.connection_id === id) {
        if (kind === "messaging_profiles") n.messaging_profile_id = null;
        else n.connection_id = null;
        n.updated_at = now();
      }
    }
    const body: ObjectBody<K> = { data: structuredClone(o) };
    return { status: 200, body };
  }
}

// ---------------------------------------------------------------------------------------------
// Kinds that can be created and deleted

type CreatableKind = "call_control_applications" | "texml_applications" | "messaging_profiles";
interface CreatableSpec<K extends CreatableKind> {
  nameField: string;
  create: z.ZodType<object>;
  /** The stored object: the kind's defaults, a fresh id and timestamps, then the POST body. */
  build(name: string, index: number, body: object): TelnyxObjectByKind[K];
}
/** A created object's id follows from its kind and name (the same run always yields the same ids). */
const fresh = (now: string) => ({ created_at: now, updated_at: now });
const CREATABLE: { [K in CreatableKind]: CreatableSpec<K> } = {
  call_control_applications: {
    nameField: "application_name",
    create: ccaCreate,
    build: (name, i, body) => ({
      ...merge(ccaDefaults(i, name), body),
      id: telnyxNumericId("call_control_application", name, "created"),
      ...fresh(now()),
    }),
  },
  texml_applications: {
    nameField: "friendly_name",
    create: texmlCreate,
    build: (name, i, body) => ({
      ...merge(texmlDefaults(i, name), body),
      id: telnyxNumericId("texml_application", name, "created"),
      ...fresh(now()),
    }),
  },
  messaging_profiles: {
    nameField: "name",
    create: profileCreate,
    build: (name, i, body) => ({
      ...merge(messagingProfileDefaults(i, name), body),
      id: telnyxUuid("messaging_profile", name, "created"),
      ...fresh(now()),
    }),
  },
};
const isCreatable = (kind: TelnyxKind): kind is CreatableKind => kind in CREATABLE;

/** Parse a Telnyx JSON request body. */
export function parseJsonBody(
  contentType: string | undefined,
  text: string,
): { ok: true; value: unknown } | { ok: false; response: CarrierResponse } {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    return {
      ok: false,
      response: telnyxError(
        400,
        "10015",
        "Bad Request",
        `The request body must be JSON (Content-Type: application/json), not ${type || "(none)"}.`,
      ),
    };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return {
        ok: false,
        response: telnyxError(400, "10015", "Bad Request", "The request body must be a JSON object."),
      };
    }
    return { ok: true, value };
  } catch {
    return {
      ok: false,
      response: telnyxError(400, "10015", "Bad Request", "The request body is not valid JSON."),
    };
  }
}
