/**
 * The control API under `/_sandbox/`: everything `SandboxControl` does, over HTTP with JSON bodies,
 * so that another process (a demo script, the CLI's user) can drive the sandbox.
 *
 *   GET    /_sandbox                          URLs (url, <carrier>BaseUrl) and credentials by carrier
 *   POST   /_sandbox/seed                     body: a seed            load it
 *   POST   /_sandbox/reset                                            back to the loaded seed
 *   GET    /_sandbox/state                                            the whole state
 *   ...    /_sandbox/<carrier>/...                                    each carrier's own control routes
 *                                                                    (listed in its control.ts)
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
import { SANDBOX_CARRIERS, type Carrier, type SandboxSeed } from "./carriers";
import type { ControlResponse } from "./carriers/carrier";
import { ControlError, SeedError, allowMethods, parseControlBody, parseControlJson } from "./errors";
import { faultSpecJsonSchema } from "./faults";
import type { ControlTarget } from "./sandbox-control";

export type { ControlResponse };

export interface ControlRequest {
  method: string;
  /** The URL path, starting with "/_sandbox". */
  pathname: string;
  body: string;
}

const latencyBody = z.strictObject({ ms: z.number().min(0) });
const ok = (body: unknown = { ok: true }): ControlResponse => ({ status: 200, body });
const notFound = (what: string): ControlResponse => ({ status: 404, body: { error: `${what} not found` } });

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
  const [a, ...rest] = seg;
  const serve = (methods: Methods): ControlResponse => {
    allowMethods(method, pathname, Object.keys(methods));
    return ok(methods[method]?.());
  };

  if (a === undefined || a === "") {
    return serve({
      GET: () => ({
        url: baseUrl,
        ...Object.fromEntries(SANDBOX_CARRIERS.map((c) => [`${c.name}BaseUrl`, c.baseUrl(baseUrl)])),
        ...sb.credentials(),
      }),
    });
  }
  // The endpoints directly under /_sandbox/ (a Map: a path segment must not find Object.prototype's keys).
  const endpoints = new Map<string, Methods>([
    ["seed", { POST: () => sb.loadSeed(parseControlJson(bodyText) as SandboxSeed) }],
    ["reset", { POST: () => sb.reset() }],
    ["state", { GET: () => sb.state() }],
    ["requests", { GET: () => sb.requests(), DELETE: () => sb.clearLog() }],
    ["counts", { GET: () => sb.counts() }],
    ["releases", { GET: () => sb.releases() }],
    ["validation-errors", { GET: () => sb.validationErrors(), DELETE: () => sb.clearValidationErrors() }],
    [
      "faults",
      {
        POST: () => sb.injectFault(parseControlBody(faultSpecJsonSchema, bodyText)),
        DELETE: () => sb.clearFaults(),
      },
    ],
    ["latency", { POST: () => sb.setLatency(parseControlBody(latencyBody, bodyText).ms) }],
  ]);
  const endpoint = endpoints.get(a);
  if (endpoint) return serve(endpoint);
  // A carrier's own routes: /_sandbox/<carrier>/...
  const carrier = SANDBOX_CARRIERS.find((c) => c.name === a);
  if (carrier) {
    const answer = sb.carrierControl(carrier.name as Carrier, {
      method,
      pathname,
      segments: rest,
      body: bodyText,
    });
    if (answer) return answer;
  }
  return notFound(`control endpoint ${method} ${pathname}`);
}
