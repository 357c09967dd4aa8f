/**
 * The control API under `/_sandbox/`: everything `SandboxControl` does, over HTTP with JSON bodies,
 * so that another process (a demo script, the CLI's user) can drive the sandbox.
 *
 *   GET    /_sandbox                          URLs and credentials
 *   POST   /_sandbox/seed                     body: a seed            load it
 *   POST   /_sandbox/reset                                            back to the loaded seed
 *   GET    /_sandbox/state                                            the whole state
 *   GET    /_sandbox/twilio/numbers/{e164}                            one Twilio number
 *   POST   /_sandbox/twilio/numbers/{e164}    body: field patch       console edit (drift)
 *   DELETE /_sandbox/twilio/numbers/{e164}                            number gone out of band
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

export interface ControlResponse {
  status: number;
  body: unknown;
}

const latencyBody = z.strictObject({ ms: z.number().min(0) });
const patchBody = z.record(z.string(), z.unknown());

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

/** Answers one control request; `baseUrl` is the sandbox's, for the info endpoint. */
export function handleControl(
  sb: ControlTarget,
  baseUrl: string,
  method: string,
  pathname: string,
  bodyText: string,
): ControlResponse {
  try {
    return route(sb, baseUrl, method, pathname, bodyText);
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

function route(
  sb: ControlTarget,
  baseUrl: string,
  method: string,
  pathname: string,
  bodyText: string,
): ControlResponse {
  const seg = pathname.split("/").slice(2).map(decode); // after "", "_sandbox"
  const [a, b, c, d] = seg;
  const only = (...allowed: string[]) => {
    if (!allowed.includes(method)) throw new ControlError(`${method} not allowed on ${pathname}`, 405);
  };

  if (a === undefined || a === "") {
    only("GET");
    return ok({
      url: baseUrl,
      twilioBaseUrl: baseUrl,
      telnyxBaseUrl: `${baseUrl}/v2`,
      ...sb.credentials(),
    });
  }
  switch (a) {
    case "seed":
      only("POST");
      sb.loadSeed(parseJson(bodyText) as SandboxSeed);
      return ok();
    case "reset":
      only("POST");
      sb.reset();
      return ok();
    case "state":
      only("GET");
      return ok(sb.state());
    case "requests":
      only("GET", "DELETE");
      if (method === "DELETE") {
        sb.clearLog();
        return ok();
      }
      return ok(sb.requests());
    case "counts":
      only("GET");
      return ok(sb.counts());
    case "releases":
      only("GET");
      return ok(sb.releases());
    case "validation-errors":
      only("GET", "DELETE");
      if (method === "DELETE") {
        sb.clearValidationErrors();
        return ok();
      }
      return ok(sb.validationErrors());
    case "faults": {
      only("POST", "DELETE");
      if (method === "DELETE") {
        sb.clearFaults();
        return ok();
      }
      sb.injectFault(parseWith(faultSpecJsonSchema, bodyText));
      return ok();
    }
    case "latency":
      only("POST");
      sb.setLatency(parseWith(latencyBody, bodyText).ms);
      return ok();
    case "twilio":
      if (b === "numbers" && c && d === undefined) {
        only("GET", "POST", "DELETE");
        if (method === "GET") {
          const n = sb.twilioNumber(c);
          return n ? ok(n) : notFound(`Twilio number ${c}`);
        }
        if (method === "POST") sb.editTwilioNumber(c, parseWith(patchBody, bodyText));
        else sb.deleteNumber("twilio", c);
        return ok(method === "POST" ? sb.twilioNumber(c) : { ok: true });
      }
      break;
    case "telnyx":
      if (b === "numbers" && c && d === undefined) {
        only("GET", "DELETE");
        if (method === "GET") {
          const n = sb.telnyxNumber(c);
          return n ? ok(n) : notFound(`Telnyx number ${c}`);
        }
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
        return o ? ok(o) : notFound(`Telnyx ${kind} ${c}`);
      }
      break;
  }
  return notFound(`control endpoint ${method} ${pathname}`);
}
