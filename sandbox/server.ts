/**
 * The sandbox's HTTP server: gives each request to the carrier whose path it is (`owns`), and
 * applies, in this order: request log and counts, fault injection, latency, then the carrier's
 * answer (authentication, OpenAPI validation when on, the handler, response validation), and the
 * carrier's response headers.
 * Control requests (`/_sandbox/...`) go to control.ts and are never logged, counted or faulted.
 * The state, the log, faults and latency live in the store (store.ts); this file is only HTTP.
 *
 * Handlers are synchronous over in-memory state, so concurrent requests never interleave inside
 * an update; latency is a per-request timer, so parallel requests are delayed in parallel.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { SANDBOX_CARRIERS, type Carrier, type SandboxSeed } from "./carriers";
import type { CarrierResponse } from "./carriers/carrier";
import { handleControl } from "./control";
import type { RequestLogEntry } from "./request-log";
import { SandboxStore, type CarrierValidators } from "./store";

const MAX_BODY = 1 << 20;

export interface SandboxServerOptions {
  seed?: SandboxSeed;
  /** Each carrier's validator, when its validation is on. */
  validators?: CarrierValidators;
  log?: boolean;
}

export class SandboxServer {
  readonly server: http.Server;
  /** The state and every operation on it: what `sandbox.control` is. */
  readonly store: SandboxStore;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private requestCounter = 0;
  /** Base URL once listening (for the control API's info endpoint). */
  url = "";

  constructor(private readonly opts: SandboxServerOptions = {}) {
    this.store = new SandboxStore(opts.seed, opts.validators);
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
      const r = handleControl(this.store, this.url, { method, pathname, body: bodyText });
      sendJson(res, r.status, r.body);
      return;
    }

    const carrier = SANDBOX_CARRIERS.find((c) => c.owns(pathname));
    const api = carrier && this.store.apis.get(carrier.name);
    if (!carrier || !api) {
      const where = SANDBOX_CARRIERS.map((c) => `${c.name} ${c.paths}`).join(", ");
      sendJson(res, 404, { error: `no carrier API at ${pathname}; ${where}` });
      return;
    }
    const name: Carrier = carrier.name;

    const query: Record<string, string> = {};
    if (search) for (const [k, v] of new URLSearchParams(search)) query[k] = v;
    // Routed and parsed once, for the carrier's answer and the log.
    const accepted = api.accept({ method, pathname, query, headers: req.headers, bodyText });

    const entry: RequestLogEntry = {
      carrier: name,
      method,
      path: pathname,
      query,
      endpoint: accepted.endpoint,
      status: 0,
      ms: 0,
    };
    if (bodyText.length > 0) entry.body = accepted.body ?? bodyText;
    this.store.log.record(entry);

    const fault = this.store.faults.take(name, method, pathname);
    if (fault) entry.fault = fault.kind;

    const latency = this.store.latency;
    if (latency > 0) await sleep(latency);
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
    if (fault?.kind === "body") response = { status: fault.status };
    else if (fault) response = carrier.faultResponse(fault.status, fault.retryAfter);
    else response = accepted.respond();

    this.requestCounter += 1;
    const headers = carrier.responseHeaders({ ...response.headers }, this.requestCounter);
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

  private internalError(res: http.ServerResponse, e: unknown): void {
    process.stderr.write(
      `phone-webhooks sandbox: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: "internal sandbox error" });
  }
}

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
