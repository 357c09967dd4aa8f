/**
 * Preflight: before a number is switched to a new webhook, send that URL one request shaped like
 * the carrier's own event and refuse the switch when nothing answers, or when the answer says the
 * endpoint is missing or broken (404, 410, 5xx). Any other status counts as reachable: an app that
 * checks carrier signatures rightly answers this unsigned request 401 or 403, and redirects are
 * not followed (the carrier follows them itself).
 *
 * The request carries `X-Phone-Webhooks-Preflight: 1` so an app can recognise it, and no carrier
 * signature. URLs in every message go through `redactUrl`: a password in the URL is sent as HTTP
 * Basic credentials, as the carriers do, and never printed.
 */
import { performance } from "node:perf_hooks";
import { carrierDescriptor, type CarrierName } from "./carriers";
import { redactText, redactUrl } from "./webhooks";

export const PREFLIGHT_HEADER = "X-Phone-Webhooks-Preflight";
export const PREFLIGHT_USER_AGENT =
  "pulumi-phone-webhooks preflight (+https://www.npmjs.com/package/pulumi-phone-webhooks)";
export const DEFAULT_PREFLIGHT_TIMEOUT_MS = 5000;
/** The caller in the test event: Twilio's magic test number, which no real caller has. */
export const PREFLIGHT_FROM = "+15005550006";

export interface PreflightOptions {
  /** The property the URL comes from, for messages: `voiceUrl`, `smsUrl`, ... */
  property: string;
  url: string;
  method: "GET" | "POST";
  phoneNumber: string;
  carrier: CarrierName;
  kind: "voice" | "sms";
  timeoutMs?: number;
  /**
   * The undici dispatcher `fetch` sends the request through (default: Node's global one). Tests
   * pass an `Agent` that trusts their self-signed certificate; nothing else changes for them.
   */
  dispatcher?: RequestInit["dispatcher"];
}

export interface PreflightResult {
  ok: boolean;
  /** The HTTP status, when the URL answered. */
  status?: number;
  /** Why the URL counts as unreachable, completing "<property> <url> ...": "answered 404". */
  reason?: string;
  ms: number;
}

/** The request `preflightUrl` sends: the URL without userinfo or fragment, and what goes with it. */
export interface PreflightRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

/** 404 and 410 say nothing is there, 5xx that it is broken; anything else is an app answering. */
export function isReachableStatus(status: number): boolean {
  return status !== 404 && status !== 410 && status < 500;
}

const testMessageText = (phoneNumber: string) =>
  `pulumi-phone-webhooks preflight: a test before switching ${phoneNumber} to this webhook, not a real message`;

function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The request for a URL the WHATWG parser accepted. `fetch` refuses URLs with userinfo, so the
 * credentials move to an `Authorization: Basic` header.
 */
export function preflightRequest(
  options: PreflightOptions,
  parsed: URL = new URL(options.url),
): PreflightRequest {
  const target = new URL(parsed.href);
  const headers: Record<string, string> = { [PREFLIGHT_HEADER]: "1", "User-Agent": PREFLIGHT_USER_AGENT };
  if (target.username || target.password) {
    const credentials = `${decodeUserinfo(target.username)}:${decodeUserinfo(target.password)}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  // The fragment is for the carrier (Twilio's `#ct=..&rt=..`), never sent.
  target.hash = "";
  const event = carrierDescriptor(options.carrier).preflightEvent({
    kind: options.kind,
    phoneNumber: options.phoneNumber,
    from: PREFLIGHT_FROM,
    text: testMessageText(options.phoneNumber),
    deliveredTo: target.href,
  });
  if ("json" in event) {
    headers["Content-Type"] = "application/json";
    return { url: target.href, method: "POST", headers, body: JSON.stringify(event.json) };
  }
  const params = event.form.toString();
  if (options.method === "GET") {
    // Appended to the query as written: re-encoding it could change what the app sees.
    target.search = target.search ? `${target.search}&${params}` : `?${params}`;
    return { url: target.href, method: "GET", headers };
  }
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  return { url: target.href, method: "POST", headers, body: params };
}

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error that says what went wrong: `fetch` wraps it in a "fetch failed" `TypeError`. */
function rootCause(error: unknown): ErrorLike {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current === null || typeof current !== "object") break;
    const e = current as ErrorLike;
    if (typeof e.code === "string") return e;
    // Happy eyeballs tries every address and reports all failures together.
    if (Array.isArray(e.errors) && e.errors.length > 0) current = e.errors[0];
    else if (e.cause !== undefined) current = e.cause;
    else return e;
  }
  return typeof current === "object" && current !== null
    ? (current as ErrorLike)
    : { message: String(current) };
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA"]);
const CLOSED_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function firstLine(text: string): string {
  const line = text.split("\n")[0]?.trim() ?? "";
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

/** Why a request that got no HTTP answer failed, completing "<property> <url> ...". */
export function failureReason(error: unknown): string {
  const cause = rootCause(error);
  const code = typeof cause.code === "string" ? cause.code : undefined;
  const message = typeof cause.message === "string" ? redactText(firstLine(cause.message)) : "";
  if (code && DNS_CODES.has(code)) return `could not be resolved: DNS lookup failed (${code})`;
  if (code === "ECONNREFUSED") return "refused the connection (ECONNREFUSED)";
  if ((code && TLS_CODE.test(code)) || /\b(TLS|SSL)\b/.test(message)) {
    // OpenSSL's own messages are source paths and hex; a certificate error's message is readable.
    const detail = code?.startsWith("ERR_SSL_") || !message ? code : `${code ?? "TLS"}: ${message}`;
    return `failed the TLS/SSL handshake (${detail ?? "TLS"})`;
  }
  if (code && CLOSED_CODES.has(code)) return `closed the connection without answering (${code})`;
  // fetch refuses ports the Fetch standard lists as unsafe (25, 6000, ...) before connecting.
  if (message === "bad port")
    return "uses a port that fetch refuses to connect to (a Fetch standard bad port)";
  if (code === "UND_ERR_CONNECT_TIMEOUT")
    return "did not accept the connection in time (UND_ERR_CONNECT_TIMEOUT)";
  return `could not be reached (${[code, message].filter(Boolean).join(": ") || "unknown error"})`;
}

/**
 * Sends the URL one test event and reports whether it answered like a live endpoint. Never
 * throws. The timer is this module's own (`AbortSignal.timeout` is held only weakly, and a
 * collected signal never fires), and once the status is in, the rest of the answer is dropped:
 * a server that hangs, before or after its headers, keeps no socket or timer alive.
 */
export async function preflightUrl(options: PreflightOptions): Promise<PreflightResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PREFLIGHT_TIMEOUT_MS;
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    return { ok: false, reason: "is not a valid URL", ms: 0 };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return { ok: false, reason: "is not an http(s) URL", ms: 0 };

  const request = preflightRequest(options, parsed);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    const ms = elapsed();
    // Only the status matters: aborting drops the body and closes the socket.
    controller.abort();
    return isReachableStatus(response.status)
      ? { ok: true, status: response.status, ms }
      : { ok: false, status: response.status, reason: `answered ${response.status}`, ms };
  } catch (error) {
    const reason = timedOut ? `did not answer within ${formatDuration(timeoutMs)}` : failureReason(error);
    return { ok: false, reason, ms: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The message refusing the switch, or `undefined` when the preflight passed:
 * `voiceUrl https://example.com/voice answered 404: not switching +14155551234`.
 */
export function preflightRefusal(
  options: Pick<PreflightOptions, "property" | "url" | "phoneNumber">,
  result: PreflightResult,
): string | undefined {
  if (result.ok) return undefined;
  const reason = redactText(result.reason ?? "did not answer");
  return `${options.property} ${redactUrl(options.url)} ${reason}: not switching ${options.phoneNumber}`;
}
