/**
 * `preflightUrl` against local HTTP servers on 127.0.0.1: what counts as reachable, the request
 * that arrives (method, marker header, the carrier's event shape, basic auth from the userinfo),
 * every way of not answering, and the refusal messages with passwords masked.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_PREFLIGHT_TIMEOUT_MS,
  failureReason,
  formatDuration,
  PREFLIGHT_FROM,
  PREFLIGHT_HEADER,
  preflightRefusal,
  preflightUrl,
  type PreflightOptions,
} from "../../provider/preflight";

const PHONE = "+14155551234";

interface Arrived {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A server whose first path segment says how to answer: a status code, `hang` (never answer),
 * `stall` (send headers, never finish the body) or `close` (drop the socket). Hanging sockets are
 * remembered so a test can see the client close them.
 */
class TestServer {
  readonly arrived: Arrived[] = [];
  readonly closedSockets: Promise<void>[] = [];
  private server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      this.arrived.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const mode = (req.url ?? "").split(/[/?]/)[1] ?? "";
      const socketClosed = () => new Promise<void>((resolve) => req.socket.once("close", () => resolve()));
      if (mode === "hang") this.closedSockets.push(socketClosed());
      else if (mode === "stall") {
        this.closedSockets.push(socketClosed());
        res.writeHead(200, { "Content-Type": "text/xml" });
        res.write("<Response>");
      } else if (mode === "close") req.socket.destroy();
      else if (/^\d{3}$/.test(mode)) {
        const status = Number(mode);
        res.writeHead(status, status >= 300 && status < 400 ? { Location: `${this.base}/followed` } : {});
        res.end("<Response/>");
      } else {
        res.writeHead(200);
        res.end("<Response/>");
      }
    });
  });

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }
  last(): Arrived {
    const arrived = this.arrived.at(-1);
    if (!arrived) throw new Error("no request arrived");
    return arrived;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const options = (url: string, more: Partial<PreflightOptions> = {}): PreflightOptions => ({
  property: "voiceUrl",
  url,
  method: "POST",
  phoneNumber: PHONE,
  carrier: "twilio",
  kind: "voice",
  ...more,
});

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const within = (promise: Promise<unknown>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)),
  ]);

let server: TestServer;
beforeAll(async () => {
  server = await new TestServer().start();
});
afterAll(async () => {
  await server.stop();
});

describe("preflightUrl: what counts as reachable", () => {
  it.each([200, 204, 301, 302, 307, 400, 401, 403, 405, 429])(
    "%i is an answer from a live app",
    async (status) => {
      const result = await preflightUrl(options(`${server.base}/${status}`));
      expect(result).toMatchObject({ ok: true, status });
      expect(result.reason).toBeUndefined();
      expect(result.ms).toBeGreaterThanOrEqual(0);
      expect(preflightRefusal(options(`${server.base}/${status}`), result)).toBeUndefined();
    },
  );

  it.each([404, 410, 500, 502, 503])("%i refuses the switch", async (status) => {
    const url = `${server.base}/${status}`;
    const result = await preflightUrl(options(url));
    expect(result).toMatchObject({ ok: false, status, reason: `answered ${status}` });
    expect(preflightRefusal(options(url), result)).toBe(
      `voiceUrl ${url} answered ${status}: not switching ${PHONE}`,
    );
  });

  it("does not follow a redirect", async () => {
    const before = server.arrived.length;
    const result = await preflightUrl(options(`${server.base}/301`));
    expect(result).toMatchObject({ ok: true, status: 301 });
    expect(server.arrived.slice(before).map((r) => r.url)).toEqual(["/301"]);
  });
});

describe("preflightUrl: the request", () => {
  const form = (arrived: Arrived, fromQuery = false) =>
    Object.fromEntries(
      new URLSearchParams(fromQuery ? arrived.url.split("?").slice(1).join("?") : arrived.body),
    );

  it("marks itself as a test and names the package", async () => {
    await preflightUrl(options(`${server.base}/200`));
    const { headers } = server.last();
    expect(headers[PREFLIGHT_HEADER.toLowerCase()]).toBe("1");
    expect(headers["user-agent"]).toContain("pulumi-phone-webhooks");
    expect(headers.authorization).toBeUndefined();
  });

  it("Twilio voice, POST: a form-encoded incoming call", async () => {
    await preflightUrl(options(`${server.base}/200/voice`));
    const arrived = server.last();
    expect(arrived.method).toBe("POST");
    expect(arrived.url).toBe("/200/voice");
    expect(arrived.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    const fields = form(arrived);
    expect(fields).toMatchObject({
      From: PREFLIGHT_FROM,
      To: PHONE,
      CallStatus: "ringing",
      Direction: "inbound",
      ApiVersion: "2010-04-01",
    });
    expect(fields.CallSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(fields.AccountSid).toMatch(/^AC[0-9a-f]{32}$/);
  });

  it("Twilio voice, GET: the same fields in the query string, after the URL's own", async () => {
    await preflightUrl(options(`${server.base}/200/voice?tenant=a%20b`, { method: "GET" }));
    const arrived = server.last();
    expect(arrived.method).toBe("GET");
    expect(arrived.body).toBe("");
    expect(arrived.url).toMatch(/^\/200\/voice\?tenant=a%20b&AccountSid=AC/);
    const fields = form(arrived, true);
    expect(fields).toMatchObject({ tenant: "a b", To: PHONE, From: PREFLIGHT_FROM, CallStatus: "ringing" });
    expect(fields.CallSid).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it("Twilio SMS, POST and GET: an incoming message", async () => {
    await preflightUrl(options(`${server.base}/200/sms`, { property: "smsUrl", kind: "sms" }));
    const posted = server.last();
    expect(posted.method).toBe("POST");
    const fields = form(posted);
    expect(fields).toMatchObject({ From: PREFLIGHT_FROM, To: PHONE, NumMedia: "0", SmsStatus: "received" });
    expect(fields.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fields.SmsSid).toBe(fields.MessageSid);
    expect(fields.AccountSid).toMatch(/^AC/);
    expect(fields.Body).toContain("preflight");
    expect(fields.CallSid).toBeUndefined();

    await preflightUrl(options(`${server.base}/200/sms`, { property: "smsUrl", kind: "sms", method: "GET" }));
    const got = server.last();
    expect(got.method).toBe("GET");
    expect(form(got, true)).toMatchObject({ To: PHONE, SmsStatus: "received" });
  });

  it("Telnyx voice: a JSON call.initiated event, POST even when GET is declared", async () => {
    await preflightUrl(options(`${server.base}/200/telnyx`, { carrier: "telnyx", method: "GET" }));
    const arrived = server.last();
    expect(arrived.method).toBe("POST");
    expect(arrived.headers["content-type"]).toMatch(/^application\/json/);
    const event = JSON.parse(arrived.body) as {
      data: {
        event_type: string;
        id: string;
        occurred_at: string;
        record_type: string;
        payload: Record<string, unknown>;
      };
    };
    expect(event.data).toMatchObject({ event_type: "call.initiated", record_type: "event" });
    expect(event.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(event.data.occurred_at))).toBe(false);
    expect(event.data.payload).toMatchObject({ to: PHONE, from: PREFLIGHT_FROM, direction: "incoming" });
    expect(event.data.payload.call_control_id).toEqual(expect.any(String));
  });

  it("Telnyx SMS: a JSON message.received event", async () => {
    await preflightUrl(
      options(`${server.base}/200/telnyx-sms`, { carrier: "telnyx", kind: "sms", property: "smsUrl" }),
    );
    const event = JSON.parse(server.last().body) as {
      data: { event_type: string; payload: Record<string, unknown> };
    };
    expect(event.data.event_type).toBe("message.received");
    expect(event.data.payload).toMatchObject({
      record_type: "message",
      direction: "inbound",
      from: { phone_number: PREFLIGHT_FROM },
      to: [{ phone_number: PHONE }],
    });
  });

  it("sends the URL's userinfo as basic auth, leaves the fragment out, and never prints the password", async () => {
    const url = `http://ops:p%40ss%3Aw0rd@127.0.0.1:${server.port}/404/voice?x=1#ct=1000`;
    const result = await preflightUrl(options(url));
    const arrived = server.last();
    expect(arrived.url).toBe("/404/voice?x=1");
    expect(arrived.headers.authorization).toBe(`Basic ${Buffer.from("ops:p@ss:w0rd").toString("base64")}`);
    const message = preflightRefusal(options(url), result);
    expect(message).toBe(
      `voiceUrl http://ops:***@127.0.0.1:${server.port}/404/voice?x=1#ct=1000 answered 404: not switching ${PHONE}`,
    );
  });

  it("a lone token as userinfo is the secret: sent as the user, masked whole", async () => {
    const url = `http://t0ken-secret@127.0.0.1:${server.port}/hang`;
    const result = await preflightUrl(options(url, { timeoutMs: 200 }));
    expect(server.last().headers.authorization).toBe(
      `Basic ${Buffer.from("t0ken-secret:").toString("base64")}`,
    );
    const message = preflightRefusal(options(url), result);
    expect(message).toBe(
      `voiceUrl http://***@127.0.0.1:${server.port}/hang did not answer within 200 ms: not switching ${PHONE}`,
    );
  });
});

describe("preflightUrl: no answer", () => {
  it("a server that never answers: refused after the timeout, and the socket is closed", async () => {
    const url = `${server.base}/hang/voice`;
    const result = await preflightUrl(options(url, { timeoutMs: 300 }));
    expect(result).toMatchObject({ ok: false, reason: "did not answer within 300 ms" });
    expect(result.status).toBeUndefined();
    expect(result.ms).toBeGreaterThanOrEqual(290);
    expect(result.ms).toBeLessThan(3000);
    expect(preflightRefusal(options(url), result)).toBe(
      `voiceUrl ${url} did not answer within 300 ms: not switching ${PHONE}`,
    );
    await within(server.closedSockets.at(-1)!, 2000, "the hung socket closed");
  });

  it("a server that answers headers and stalls the body: reachable, and the socket is closed", async () => {
    const result = await preflightUrl(options(`${server.base}/stall`, { timeoutMs: 5000 }));
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.ms).toBeLessThan(3000);
    await within(server.closedSockets.at(-1)!, 2000, "the stalled socket closed");
  });

  it("a server that closes the socket without answering", async () => {
    const url = `${server.base}/close`;
    const result = await preflightUrl(options(url));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^closed the connection without answering/);
    expect(preflightRefusal(options(url), result)).toMatch(
      new RegExp(
        `^voiceUrl ${url} closed the connection without answering \\(.*\\): not switching \\${PHONE}$`,
      ),
    );
  });

  it("a closed port", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/voice`;
    const result = await preflightUrl(options(url));
    expect(result).toMatchObject({ ok: false, reason: "refused the connection (ECONNREFUSED)" });
    expect(preflightRefusal(options(url), result)).toBe(
      `voiceUrl ${url} refused the connection (ECONNREFUSED): not switching ${PHONE}`,
    );
  });

  it("a TLS handshake with a server that does not speak TLS", async () => {
    const url = `https://127.0.0.1:${server.port}/200`;
    const result = await preflightUrl(options(url));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^failed the TLS\/SSL handshake \(ERR_SSL_/);
    expect(preflightRefusal(options(url), result)).toMatch(
      /^voiceUrl https:\/\/127\.0\.0\.1:\d+\/200 failed the TLS\/SSL/,
    );
  });

  it("a host DNS cannot resolve (.invalid never resolves)", async () => {
    const result = await preflightUrl(options("https://preflight-test.invalid/voice"));
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(
      /^could not be resolved: DNS lookup failed \((ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)\)$/,
    );
  });

  it("never throws on a URL it cannot send to", async () => {
    expect(await preflightUrl(options("not a url"))).toEqual({
      ok: false,
      reason: "is not a valid URL",
      ms: 0,
    });
    expect(await preflightUrl(options("ftp://example.com/"))).toEqual({
      ok: false,
      reason: "is not an http(s) URL",
      ms: 0,
    });
    const badPort = await preflightUrl(options("http://127.0.0.1:25/"));
    expect(badPort).toMatchObject({ ok: false });
    expect(badPort.reason).toContain("bad port");
  });

  it("waits 5 s by default, and says so in seconds", () => {
    expect(DEFAULT_PREFLIGHT_TIMEOUT_MS).toBe(5000);
    expect(formatDuration(5000)).toBe("5 s");
    expect(formatDuration(300)).toBe("300 ms");
    expect(
      preflightRefusal(options("https://u:pw@example.com/voice"), {
        ok: false,
        reason: `did not answer within ${formatDuration(DEFAULT_PREFLIGHT_TIMEOUT_MS)}`,
        ms: 5000,
      }),
    ).toBe(`voiceUrl https://u:***@example.com/voice did not answer within 5 s: not switching ${PHONE}`);
  });
});

describe("preflightUrl: a hanging server keeps nothing alive", () => {
  const run = promisify(execFile);
  const script =
    "const { preflightUrl } = require(process.argv[1]);" +
    "preflightUrl({ property: 'voiceUrl', url: process.argv[2], method: 'POST', phoneNumber: '+14155551234'," +
    " carrier: 'twilio', kind: 'voice', timeoutMs: 300 }).then((r) => console.log(JSON.stringify(r)));";
  const preflightModule = join(__dirname, "..", "..", "provider", "preflight.ts");

  // The child must exit by itself soon after its timeout while this server still hangs: a timer
  // or socket left behind would keep it running until `execFile` kills it.
  it.each(["hang", "stall"])(
    "a child process exits soon after preflighting a server that does %s",
    async (mode) => {
      const started = Date.now();
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", "-e", script, preflightModule, `${server.base}/${mode}`],
        { timeout: 15_000 },
      );
      const result = JSON.parse(stdout.trim()) as { ok: boolean; reason?: string };
      expect(result.ok).toBe(mode === "stall");
      if (mode === "hang") expect(result.reason).toBe("did not answer within 300 ms");
      expect(Date.now() - started).toBeLessThan(10_000);
    },
  );
});

describe("failureReason", () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError("fetch failed"), { cause });
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    [
      coded("ENOTFOUND", "getaddrinfo ENOTFOUND example.invalid"),
      "could not be resolved: DNS lookup failed (ENOTFOUND)",
    ],
    [coded("EAI_AGAIN"), "could not be resolved: DNS lookup failed (EAI_AGAIN)"],
    [coded("ECONNREFUSED"), "refused the connection (ECONNREFUSED)"],
    [
      coded("UND_ERR_SOCKET", "other side closed"),
      "closed the connection without answering (UND_ERR_SOCKET)",
    ],
    [coded("ECONNRESET"), "closed the connection without answering (ECONNRESET)"],
    [
      coded("ERR_SSL_WRONG_VERSION_NUMBER", "0A00010B:SSL routines:wrong version"),
      "failed the TLS/SSL handshake (ERR_SSL_WRONG_VERSION_NUMBER)",
    ],
    [
      coded("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"),
      "failed the TLS/SSL handshake (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)",
    ],
    [
      coded("CERT_HAS_EXPIRED", "certificate has expired"),
      "failed the TLS/SSL handshake (CERT_HAS_EXPIRED: certificate has expired)",
    ],
    [
      coded("ERR_TLS_CERT_ALTNAME_INVALID", "Hostname/IP does not match certificate's altnames"),
      "failed the TLS/SSL handshake (ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames)",
    ],
    [
      coded("ECONNRESET", "Client network socket disconnected before secure TLS connection was established"),
      "failed the TLS/SSL handshake (ECONNRESET: Client network socket disconnected before secure TLS connection was established)",
    ],
    [
      coded("EHOSTUNREACH", "connect EHOSTUNREACH 192.0.2.1:443"),
      "could not be reached (EHOSTUNREACH: connect EHOSTUNREACH 192.0.2.1:443)",
    ],
  ])("%s", (cause, reason) => {
    expect(failureReason(fetchFailed(cause))).toBe(reason);
  });

  it("reads the first of happy eyeballs' errors", () => {
    const aggregate = Object.assign(
      new AggregateError([coded("ECONNREFUSED"), coded("ENETUNREACH")], ""),
      {},
    );
    expect(failureReason(fetchFailed(aggregate))).toBe("refused the connection (ECONNREFUSED)");
  });

  it("masks a password an error message carries, and copes with anything thrown", () => {
    const reason = failureReason(
      new TypeError(
        "Request cannot be constructed from a URL that includes credentials: https://u:pw-s3cret@example.com/",
      ),
    );
    expect(reason).toContain("u:***@example.com");
    expect(reason).not.toContain("pw-s3cret");
    expect(failureReason(undefined)).toBe("could not be reached (undefined)");
    expect(failureReason("boom")).toBe("could not be reached (boom)");
    expect(failureReason({})).toBe("could not be reached (unknown error)");
  });
});

describe("preflightUrl: a certificate the client does not trust", () => {
  const hasOpenssl = (() => {
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  // Node cannot make an X.509 certificate by itself; openssl can, where it is installed.
  it.skipIf(!hasOpenssl)("a self-signed certificate fails the TLS handshake", async () => {
    const dir = mkdtempSync(join(tmpdir(), "preflight-tls-"));
    try {
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"].concat([
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ]),
        { stdio: "ignore" },
      );
      const tls = https.createServer(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        (_req, res) => res.end("ok"),
      );
      await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
      try {
        const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/voice`;
        const result = await preflightUrl(options(url));
        expect(result.ok).toBe(false);
        expect(result.reason).toMatch(
          /^failed the TLS\/SSL handshake \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED)/,
        );
      } finally {
        tls.closeAllConnections();
        await new Promise<void>((resolve) => tls.close(() => resolve()));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
