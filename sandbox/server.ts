/**
 * The sandbox's HTTP server: routes carrier requests by path (Twilio under `/2010-04-01/`, Telnyx
 * under `/v2/`), and applies, in this order: request log and counts, fault injection, latency,
 * authentication, Twilio OpenAPI validation (when on), the carrier handler, response validation.
 * Control requests (`/_sandbox/...`) go to control.ts and are never logged, counted or faulted.
 *
 * Handlers are synchronous over in-memory state, so concurrent requests never interleave inside
 * an update; latency is a per-request timer, so parallel requests are delayed in parallel.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ControlError, SeedError, formatZodError } from "./errors";
import { dumpState, findConnection, normalizeSeed, refreshTelnyxNames } from "./state/normalize";
import { rfc2822 } from "./state/formats";
import { telnyxPatchSchemas, twilioNumberPatch } from "./state/schemas";
import type {
  NormalizedState,
  SandboxSeed,
  SandboxState,
  TelnyxKind,
  TelnyxPhoneNumber,
  TwilioIncomingPhoneNumber,
} from "./state/types";
import { TwilioApi, parseForm, routeTwilio, twilioError, twilioFaultResponse } from "./twilio";
import { TelnyxApi, merge, parseJsonBody, routeTelnyx, telnyxError, telnyxFaultResponse } from "./telnyx";
import type { TwilioValidator } from "./openapi";
import { handleControl } from "./control";
import type { Carrier, CarrierResponse, Release } from "./carrier";

export interface RequestLogEntry {
  carrier: Carrier;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Query parameters (decoded; the last one wins when a name repeats). */
  query: Record<string, string>;
  /** Normalised endpoint, e.g. "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json". */
  endpoint: string;
  /** HTTP status sent; 0 when no response was sent (a "drop" or "hang" fault, or a closed sandbox). */
  status: number;
  /** Time from the request's arrival to its response, latency included. */
  ms: number;
  /** The injected fault that answered this request, if any. */
  fault?: FaultKind;
  /** The request body: the parsed form (Twilio) or JSON (Telnyx), or the raw text if it did not parse. */
  body?: unknown;
}

export type FaultKind = "status" | "drop" | "hang" | "body";

export interface FaultSpec {
  /** HTTP status to answer with: kind "status" (in the carrier's error shape), or "body" (default 200). */
  status?: number;
  /** Seconds for the Retry-After header (429 gets 1 by default). */
  retryAfter?: number;
  /**
   * "status" (default): answer with `status`; "drop": destroy the connection; "hang": never answer;
   * "body": answer with `status` and exactly `body` (a malformed or non-JSON response).
   */
  kind?: FaultKind;
  /** Kind "body": the raw response body, sent as is (default empty). */
  body?: string;
  /** Kind "body": the Content-Type header (default none). */
  contentType?: string;
  /** How many matching requests the fault applies to (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through first (default 0): `skip: 2` faults the third match on. */
  skip?: number;
  /** Only requests with this HTTP method. */
  method?: string;
  /** Only requests whose path contains this string, or matches this RegExp. */
  path?: string | RegExp;
  carrier?: Carrier;
}

interface ActiveFault {
  kind: FaultKind;
  status: number;
  retryAfter?: number;
  body?: string;
  contentType?: string;
  remaining: number;
  skip: number;
  method?: string;
  path?: string | RegExp;
  carrier?: Carrier;
}

export interface SandboxControl {
  /** Replace the whole state with a seed (it becomes what reset() goes back to); clears releases. */
  loadSeed(seed: SandboxSeed): void;
  /** Back to the last loaded seed; clears releases, the request log, counts, faults and latency. */
  reset(): void;
  /** The whole state, a deep copy, in the seed's shape (a valid seed itself). */
  state(): SandboxState;
  /** A Twilio number by E.164 (a copy). */
  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined;
  /** A Telnyx number by E.164 (a copy). */
  telnyxNumber(phoneNumber: string): TelnyxPhoneNumber | undefined;
  /** A Telnyx application, connection or messaging profile by id (a copy). */
  telnyxObject(kind: TelnyxKind, id: string): Record<string, unknown> | undefined;
  /** Out-of-band change, as someone in Twilio's console would make it (bumps date_updated). */
  editTwilioNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void;
  /** Out-of-band change to a Telnyx object (bumps updated_at). For phone_numbers, `id` may be the E.164. */
  editTelnyx(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void;
  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(carrier: Carrier, phoneNumber: string): void;
  /** Numbers given up through the API: DELETEs (both carriers) and Twilio AccountSid transfers. */
  releases(): Release[];
  /** Carrier requests received, oldest first (a copy). */
  requests(): RequestLogEntry[];
  /** Calls per normalised endpoint (control endpoints excluded). */
  counts(): Record<string, number>;
  /** Clear the request log and counts (not the validation errors). */
  clearLog(): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Delay every carrier request by `ms` (concurrently, not serialised). 0 turns it off. */
  setLatency(ms: number): void;
  /** Twilio OpenAPI violations seen so far (requests and responses), for the sandbox's lifetime. */
  validationErrors(): string[];
  /** Forget the validation errors seen so far. */
  clearValidationErrors(): void;
}

const MAX_BODY = 1 << 20;
const MAX_LOG = 200_000;

export interface SandboxServerOptions {
  seed?: SandboxSeed;
  validator?: TwilioValidator;
  log?: boolean;
}

export class SandboxServer implements SandboxControl {
  readonly server: http.Server;
  private seed: SandboxSeed;
  private current: NormalizedState;
  private readonly twilio: TwilioApi;
  private readonly telnyx: TelnyxApi;
  private log: RequestLogEntry[] = [];
  private readonly countMap = new Map<string, number>();
  private releaseList: Release[] = [];
  private faults: ActiveFault[] = [];
  private latencyMs = 0;
  private violations: string[] = [];
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private requestCounter = 0;
  /** Base URL once listening (for the control API's info endpoint). */
  url = "";

  constructor(private readonly opts: SandboxServerOptions = {}) {
    this.seed = structuredClone(opts.seed ?? {});
    this.current = normalizeSeed(this.seed);
    this.twilio = new TwilioApi(
      () => this.current.twilio,
      (r) => this.releaseList.push(r),
    );
    this.telnyx = new TelnyxApi(
      () => this.current.telnyx,
      (r) => this.releaseList.push(r),
    );
    this.server = http.createServer((req, res) => {
      this.dispatch(req, res).catch((e: unknown) => this.internalError(res, e));
    });
    this.server.keepAliveTimeout = 5_000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stop listening and destroy every open connection (hung requests included). */
  close(): Promise<void> {
    if (this.closed && !this.server.listening) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  // -- HTTP ---------------------------------------------------------------------------------------

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const qIndex = rawUrl.indexOf("?");
    const pathname = qIndex < 0 ? rawUrl : rawUrl.slice(0, qIndex);
    const search = qIndex < 0 ? "" : rawUrl.slice(qIndex + 1);

    const bodyText = await readBody(req);
    if (bodyText === undefined) {
      sendJson(res, 413, { error: "request body too large" });
      return;
    }

    if (pathname === "/_sandbox" || pathname.startsWith("/_sandbox/")) {
      const r = handleControl(this, method, pathname, new URLSearchParams(search), bodyText);
      sendJson(res, r.status, r.body);
      return;
    }

    const carrier: Carrier | undefined = pathname.startsWith("/2010-04-01/")
      ? "twilio"
      : pathname === "/v2" || pathname.startsWith("/v2/")
        ? "telnyx"
        : undefined;
    if (!carrier) {
      sendJson(res, 404, {
        error: `no carrier API at ${pathname}; Twilio is under /2010-04-01/, Telnyx under /v2/`,
      });
      return;
    }

    const query: Record<string, string> = {};
    if (search) for (const [k, v] of new URLSearchParams(search)) query[k] = v;
    const twilioRoute = carrier === "twilio" ? routeTwilio(method, pathname) : undefined;
    const telnyxRoute = carrier === "telnyx" ? routeTelnyx(method, pathname) : undefined;
    const endpoint = (twilioRoute ?? telnyxRoute)?.endpoint ?? `${method} ${pathname}`;
    const contentType = req.headers["content-type"];

    // Parse the body once, for the handler and the log.
    const form = carrier === "twilio" ? parseForm(contentType, bodyText) : undefined;
    const json =
      carrier === "telnyx" && bodyText.length > 0 ? parseJsonBody(contentType, bodyText) : undefined;

    const entry: RequestLogEntry = { carrier, method, path: pathname, query, endpoint, status: 0, ms: 0 };
    if (bodyText.length > 0) {
      entry.body = form?.ok ? form.form : json?.ok ? json.value : bodyText;
    }
    this.record(entry);

    const fault = this.takeFault(carrier, method, pathname);
    if (fault) entry.fault = fault.kind;

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (this.closed || res.destroyed) return;

    if (fault?.kind === "drop") {
      entry.ms = performance.now() - started;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "hang") {
      entry.ms = performance.now() - started;
      return; // never answered; close() destroys the socket
    }

    let response: CarrierResponse;
    if (fault?.kind === "body") {
      response = { status: fault.status };
    } else if (fault) {
      response =
        carrier === "twilio"
          ? twilioFaultResponse(fault.status, fault.retryAfter)
          : telnyxFaultResponse(fault.status, fault.retryAfter);
    } else if (carrier === "twilio" && twilioRoute) {
      response = this.handleTwilio(twilioRoute, method, pathname, query, req.headers, form);
    } else if (telnyxRoute) {
      const auth = this.telnyx.authenticate(req.headers.authorization);
      response =
        auth ??
        this.telnyx.handle(
          telnyxRoute,
          query,
          () =>
            json ?? {
              ok: false,
              response: telnyxError(400, "10015", "Bad Request", "A JSON request body is required."),
            },
        );
    } else {
      response = { status: 404 };
    }

    const headers: Record<string, string> = { ...response.headers };
    this.requestCounter += 1;
    if (carrier === "twilio") {
      headers["Twilio-Request-Id"] = "RQ" + this.requestCounter.toString(16).padStart(32, "0");
    } else {
      headers["x-request-id"] =
        `00000000-0000-4000-8000-${this.requestCounter.toString(16).padStart(12, "0")}`;
      headers["x-ratelimit-limit"] ??= "100";
      headers["x-ratelimit-remaining"] ??= "99";
      headers["x-ratelimit-reset"] ??= String(Math.ceil(Date.now() / 1000) + 1);
    }
    entry.status = response.status;
    entry.ms = performance.now() - started;
    if (this.opts.log) {
      process.stderr.write(
        `${method} ${rawUrl} -> ${response.status} ${entry.ms.toFixed(1)}ms${fault ? " (fault)" : ""}\n`,
      );
    }
    if (fault?.kind === "body") {
      if (fault.contentType !== undefined) headers["Content-Type"] = fault.contentType;
      sendRaw(res, fault.status, fault.body ?? "", headers);
    } else {
      sendJson(res, response.status, response.body, headers);
    }
  }

  private handleTwilio(
    route: ReturnType<typeof routeTwilio>,
    method: string,
    pathname: string,
    query: Record<string, string>,
    headers: http.IncomingHttpHeaders,
    form: ReturnType<typeof parseForm> | undefined,
  ): CarrierResponse {
    const validator = this.opts.validator;
    const op = route.operationId;
    let requestViolations: string[] = [];
    if (validator && op) {
      requestViolations = validator.validateRequest(op, {
        method,
        path: pathname,
        query,
        headers,
        body: form?.ok && method !== "GET" && method !== "DELETE" ? form.form : undefined,
      });
      this.violations.push(...requestViolations);
    }
    const auth = this.twilio.authenticate(headers.authorization, route.accountSid);
    if (auth) return auth;
    if (requestViolations.length > 0) {
      return twilioError(
        400,
        20001,
        `Request does not match Twilio's OpenAPI description: ${requestViolations.join("; ")}`,
      );
    }
    if (form && !form.ok) return twilioError(400, 20001, form.error);
    const response = this.twilio.handle(route, pathname, query, form?.ok ? form.form : {});
    if (validator && op && response.status < 300) {
      this.violations.push(
        ...validator.validateResponse(op, response.status, response.status === 204 ? null : response.body),
      );
    }
    return response;
  }

  private internalError(res: http.ServerResponse, e: unknown): void {
    process.stderr.write(
      `phone-webhooks sandbox: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: "internal sandbox error" });
  }

  private record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log = this.log.slice(-MAX_LOG / 2);
    this.countMap.set(entry.endpoint, (this.countMap.get(entry.endpoint) ?? 0) + 1);
  }

  private takeFault(carrier: Carrier, method: string, pathname: string): ActiveFault | undefined {
    if (this.faults.length === 0) return undefined;
    let i = -1;
    this.faults.forEach((f, index) => {
      const matches =
        (!f.carrier || f.carrier === carrier) &&
        (!f.method || f.method.toUpperCase() === method) &&
        (f.path === undefined ||
          (typeof f.path === "string" ? pathname.includes(f.path) : f.path.test(pathname)));
      if (!matches) return;
      // Every fault still skipping counts the request, whichever fault (if any) answers it.
      if (f.skip > 0) f.skip -= 1;
      else if (i < 0) i = index;
    });
    const fault = this.faults[i];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(i, 1);
    return fault;
  }

  // -- SandboxControl -----------------------------------------------------------------------------

  loadSeed(seed: SandboxSeed): void {
    const next = normalizeSeed(seed); // throws SeedError before anything changes
    this.seed = structuredClone(seed);
    this.current = next;
    this.telnyx.reset();
    this.releaseList = [];
  }

  reset(): void {
    this.current = normalizeSeed(this.seed);
    this.telnyx.reset();
    this.releaseList = [];
    this.clearLog();
    this.clearFaults();
    this.latencyMs = 0;
  }

  state(): SandboxState {
    for (const n of this.current.telnyx.phone_numbers.values()) refreshTelnyxNames(this.current.telnyx, n);
    return dumpState(this.current);
  }

  /** Credentials and URLs, for the control API's info endpoint. */
  credentials() {
    return {
      twilio: { account_sid: this.current.twilio.account_sid, auth_token: this.current.twilio.auth_token },
      telnyx: { api_key: this.current.telnyx.api_key },
    };
  }

  private findTwilio(phoneNumber: string): TwilioIncomingPhoneNumber | undefined {
    for (const n of this.current.twilio.numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  private findTelnyx(phoneNumber: string): TelnyxPhoneNumber | undefined {
    for (const n of this.current.telnyx.phone_numbers.values()) if (n.phone_number === phoneNumber) return n;
    return undefined;
  }

  twilioNumber(phoneNumber: string): TwilioIncomingPhoneNumber | undefined {
    const n = this.findTwilio(phoneNumber);
    return n ? structuredClone(n) : undefined;
  }

  telnyxNumber(phoneNumber: string): TelnyxPhoneNumber | undefined {
    const n = this.findTelnyx(phoneNumber);
    return n ? structuredClone(refreshTelnyxNames(this.current.telnyx, n)) : undefined;
  }

  telnyxObject(kind: TelnyxKind, id: string): Record<string, unknown> | undefined {
    const map = this.current.telnyx[kind] as Map<string, object> | undefined;
    if (!map) throw new ControlError(`unknown Telnyx kind ${kind}`);
    const o = map.get(id);
    return o ? (structuredClone(o) as Record<string, unknown>) : undefined;
  }

  editTwilioNumber(phoneNumber: string, patch: Partial<TwilioIncomingPhoneNumber>): void {
    const n = this.findTwilio(phoneNumber);
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

  editTelnyx(kind: TelnyxKind | "phone_numbers", id: string, patch: Record<string, unknown>): void {
    const t = this.current.telnyx;
    const schema = telnyxPatchSchemas[kind] as
      (typeof telnyxPatchSchemas)[keyof typeof telnyxPatchSchemas] | undefined;
    if (!schema) throw new ControlError(`unknown Telnyx kind ${kind}`);
    const parsed = schema.safeParse(patch);
    if (!parsed.success) throw new ControlError(`invalid ${kind} patch: ${formatZodError(parsed.error)}`);
    const data = parsed.data as Record<string, unknown>;
    const target: Record<string, unknown> | undefined =
      kind === "phone_numbers"
        ? ((t.phone_numbers.get(id) ?? this.findTelnyx(id)) as Record<string, unknown> | undefined)
        : ((t[kind] as Map<string, object>).get(id) as Record<string, unknown> | undefined);
    if (!target) throw new ControlError(`no Telnyx ${kind} ${id}`, 404);
    for (const k of ["id", "record_type"]) {
      if (data[k] !== undefined && data[k] !== target[k]) throw new ControlError(`${k} cannot be changed`);
    }
    if (kind === "phone_numbers") {
      const c = data["connection_id"];
      if (typeof c === "string" && !findConnection(t, c)) throw new ControlError(`no Telnyx connection ${c}`);
      const p = data["messaging_profile_id"];
      if (typeof p === "string" && p !== "UNAVAILABLE" && !t.messaging_profiles.has(p)) {
        throw new ControlError(`no Telnyx messaging profile ${p}`);
      }
    }
    // In place: the maps hold this object. Same merge as an API PATCH.
    Object.assign(target, merge(target, data));
    if (data["updated_at"] === undefined) target["updated_at"] = new Date().toISOString();
  }

  deleteNumber(carrier: Carrier, phoneNumber: string): void {
    if (carrier === "twilio") {
      const n = this.findTwilio(phoneNumber);
      if (!n) throw new ControlError(`no Twilio number ${phoneNumber}`, 404);
      this.current.twilio.numbers.delete(n.sid);
    } else if (carrier === "telnyx") {
      const n = this.findTelnyx(phoneNumber);
      if (!n) throw new ControlError(`no Telnyx number ${phoneNumber}`, 404);
      this.current.telnyx.phone_numbers.delete(n.id);
    } else {
      throw new ControlError(`unknown carrier ${String(carrier)}`);
    }
  }

  releases(): Release[] {
    return structuredClone(this.releaseList);
  }

  requests(): RequestLogEntry[] {
    return structuredClone(this.log);
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.countMap);
  }

  clearLog(): void {
    this.log = [];
    this.countMap.clear();
  }

  injectFault(f: FaultSpec): void {
    const kind = f.kind ?? "status";
    if (kind !== "status" && kind !== "drop" && kind !== "hang" && kind !== "body")
      throw new ControlError(`unknown fault kind ${String(kind)}`);
    const status = f.status ?? (kind === "body" ? 200 : 0);
    if (
      (kind === "status" || kind === "body") &&
      !(Number.isInteger(status) && status >= 100 && status <= 599)
    ) {
      throw new ControlError(`a ${kind} fault needs an HTTP status between 100 and 599`);
    }
    if (kind !== "body" && (f.body !== undefined || f.contentType !== undefined)) {
      throw new ControlError("body and contentType are only for a body fault");
    }
    if (f.body !== undefined && typeof f.body !== "string") throw new ControlError("body must be a string");
    const times = f.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
      throw new ControlError("times must be a positive integer or Infinity");
    }
    const skip = f.skip ?? 0;
    if (!(Number.isInteger(skip) && skip >= 0)) throw new ControlError("skip must be a non-negative integer");
    if (f.retryAfter !== undefined && !(Number.isFinite(f.retryAfter) && f.retryAfter >= 0)) {
      throw new ControlError("retryAfter must be a non-negative number of seconds");
    }
    if (f.carrier !== undefined && f.carrier !== "twilio" && f.carrier !== "telnyx") {
      throw new ControlError(`unknown carrier ${String(f.carrier)}`);
    }
    this.faults.push({
      kind,
      status,
      retryAfter: f.retryAfter,
      body: f.body,
      contentType: f.contentType,
      remaining: times,
      skip,
      method: f.method,
      path: f.path,
      carrier: f.carrier,
    });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new ControlError("latency must be a non-negative number of ms");
    this.latencyMs = ms;
  }

  validationErrors(): string[] {
    return [...this.violations];
  }

  clearValidationErrors(): void {
    this.violations = [];
  }
}

export { ControlError, SeedError };

// -- helpers --------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The body as text, or undefined when it is larger than MAX_BODY. */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  if (req.headers["content-length"] === "0") return Promise.resolve("");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Sends `body` exactly as given (a "body" fault): no Content-Type unless `headers` has one. */
function sendRaw(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { "Content-Length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}
