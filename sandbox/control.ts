/**
 * The control API under `/_sandbox/`: everything `SandboxControl` does, over HTTP with JSON bodies,
 * so that another process (a demo script, the CLI's user) can drive the sandbox.
 *
 *   GET    /_sandbox                          URLs and credentials
 *   POST   /_sandbox/seed                     body: a seed            load it
 *   POST   /_sandbox/reset                                            back to the loaded seed
 *   GET    /_sandbox/state                                            the whole state
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
 *   POST   /_sandbox/telnyx/numbers           body: a seed's number   bought out of band
 *   GET    /_sandbox/telnyx/numbers/{e164}                            one Telnyx number
 *   DELETE /_sandbox/telnyx/numbers/{e164}                            number gone out of band
 *   GET    /_sandbox/telnyx/{kind}/{id}                               one Telnyx object
 *   POST   /_sandbox/telnyx/{kind}/{id}       body: field patch       console edit (kind may be phone_numbers)
 *   GET    /_sandbox/requests  DELETE /_sandbox/requests              request log / clear log and counts
 *   GET    /_sandbox/counts    GET /_sandbox/releases                 calls per endpoint / releases
 *   GET    /_sandbox/validation-errors  DELETE /_sandbox/validation-errors
 *   POST   /_sandbox/faults   DELETE /_sandbox/faults                 body: FaultSpec (pathRegex: a RegExp source;
 *                                                                    kind "body" with body, contentType: a raw answer)
 *   POST   /_sandbox/latency                  body: {"ms": 250}
 *
 * Errors answer `{ "error": "..." }` with 400 (bad input), 404 (no such thing) or 405.
 */
import { z } from "zod";
import { ControlError, SeedError, formatZodError } from "./errors";
import { faultSpecJsonSchema } from "./faults";
import type { ControlTarget } from "./sandbox-control";
import { TELNYX_KINDS, type SandboxSeed, type TelnyxKind } from "./state/types";

export interface ControlRequest {
  method: string;
  /** The URL path, starting with "/_sandbox". */
  pathname: string;
  body: string;
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

const latencyBody = z.strictObject({ ms: z.number().min(0) });
const patchBody = z.record(z.string(), z.unknown());
/** A number to buy: its fields are checked by the store, as a seed's are. */
const numberBody = z.looseObject({ phone_number: z.string() });

function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError("body is not valid JSON");
  }
}

function parseWith<T>(schema: z.ZodType<T>, text: string): T {
  const r = schema.safeParse(parseJson(text));
  if (!r.success) throw new ControlError(formatZodError(r.error));
  return r.data;
}

const ok = (body: unknown = { ok: true }): ControlResponse => ({ status: 200, body });
const notFound = (what: string): ControlResponse => ({ status: 404, body: { error: `${what} not found` } });
const okOrNotFound = (found: unknown, what: string): ControlResponse => (found ? ok(found) : notFound(what));

/** Answers one control request; `baseUrl` is the sandbox's, for the info endpoint. */
export function handleControl(sb: ControlTarget, baseUrl: string, request: ControlRequest): ControlResponse {
  try {
    return route(sb, baseUrl, request);
  } catch (e) {
    if (e instanceof ControlError) return { status: e.status, body: { error: e.message } };
    if (e instanceof SeedError) return { status: 400, body: { error: e.message } };
    throw e;
  }
}

function decode(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? "");
  } catch {
    throw new ControlError(`bad path segment ${s ?? ""}`);
  }
}

/** What each method does on an endpoint; a handler's result is the answer (undefined: `{ok: true}`). */
type Methods = Partial<Record<string, () => unknown>>;

function route(sb: ControlTarget, baseUrl: string, request: ControlRequest): ControlResponse {
  const { method, pathname, body: bodyText } = request;
  const seg = pathname.split("/").slice(2).map(decode); // after "", "_sandbox"
  const [a, b, c, d, e] = seg;
  const only = (...allowed: string[]) => {
    if (!allowed.includes(method)) throw new ControlError(`${method} not allowed on ${pathname}`, 405);
  };
  const serve = (methods: Methods): ControlResponse => {
    only(...Object.keys(methods));
    return ok(methods[method]?.());
  };

  if (a === undefined || a === "") {
    return serve({
      GET: () => ({
        url: baseUrl,
        twilioBaseUrl: baseUrl,
        telnyxBaseUrl: `${baseUrl}/v2`,
        ...sb.credentials(),
      }),
    });
  }
  // The endpoints directly under /_sandbox/ (a Map: a path segment must not find Object.prototype's keys).
  const endpoints = new Map<string, Methods>([
    ["seed", { POST: () => sb.loadSeed(parseJson(bodyText) as SandboxSeed) }],
    ["reset", { POST: () => sb.reset() }],
    ["state", { GET: () => sb.state() }],
    ["requests", { GET: () => sb.requests(), DELETE: () => sb.clearLog() }],
    ["counts", { GET: () => sb.counts() }],
    ["releases", { GET: () => sb.releases() }],
    ["validation-errors", { GET: () => sb.validationErrors(), DELETE: () => sb.clearValidationErrors() }],
    [
      "faults",
      {
        POST: () => sb.injectFault(parseWith(faultSpecJsonSchema, bodyText)),
        DELETE: () => sb.clearFaults(),
      },
    ],
    ["latency", { POST: () => sb.setLatency(parseWith(latencyBody, bodyText).ms) }],
  ]);
  const endpoint = endpoints.get(a);
  if (endpoint) return serve(endpoint);
  switch (a) {
    case "twilio":
      if (b === "numbers" && c === undefined) {
        only("POST");
        return ok(sb.buyTwilioNumber(parseWith(numberBody, bodyText)));
      }
      if (b === "numbers" && c && d === undefined) {
        only("GET", "POST", "DELETE");
        if (method === "GET") return okOrNotFound(sb.twilioNumber(c), `Twilio number ${c}`);
        if (method === "POST") sb.editTwilioNumber(c, parseWith(patchBody, bodyText));
        else sb.deleteNumber("twilio", c);
        return ok(method === "POST" ? sb.twilioNumber(c) : { ok: true });
      }
      if (b === "messaging_services" && c && d === undefined) {
        only("GET", "POST");
        if (method === "POST") sb.editTwilioMessagingService(c, parseWith(patchBody, bodyText));
        return okOrNotFound(sb.twilioMessagingService(c), `Twilio Messaging Service ${c}`);
      }
      if (b === "messaging_services" && c && d === "phone_numbers" && e && seg.length === 5) {
        only("POST", "DELETE");
        if (method === "POST") sb.addNumberToMessagingService(c, e);
        else sb.removeNumberFromMessagingService(c, e);
        return ok(sb.twilioMessagingService(c));
      }
      break;
    case "telnyx":
      if (b === "numbers" && c === undefined) {
        only("POST");
        return ok(sb.buyTelnyxNumber(parseWith(numberBody, bodyText)));
      }
      if (b === "numbers" && c && d === undefined) {
        only("GET", "DELETE");
        if (method === "GET") return okOrNotFound(sb.telnyxNumber(c), `Telnyx number ${c}`);
        sb.deleteNumber("telnyx", c);
        return ok();
      }
      if (b && c && d === undefined && (b === "phone_numbers" || TELNYX_KINDS.includes(b as TelnyxKind))) {
        only("GET", "POST");
        const kind = b as TelnyxKind | "phone_numbers";
        if (method === "POST") sb.editTelnyx(kind, c, parseWith(patchBody, bodyText));
        const o =
          kind === "phone_numbers"
            ? (sb.state().telnyx.phone_numbers.find((n) => n.id === c || n.phone_number === c) ?? undefined)
            : sb.telnyxObject(kind, c);
        return okOrNotFound(o, `Telnyx ${kind} ${c}`);
      }
      break;
  }
  return notFound(`control endpoint ${method} ${pathname}`);
}
