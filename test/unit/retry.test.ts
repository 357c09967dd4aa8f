/**
 * The retry policy shared by both carriers: the delay before each attempt, what is retried, when it
 * gives up and what it hands back. sendWithRetries runs on Vitest's fake clock; retryingFetch
 * against a local HTTP server with delays and timeouts of a few milliseconds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  isNetworkError,
  isRetryableStatus,
  retryDelayMs,
  retryingFetch,
  sendWithRetries,
  type AttemptOutcome,
  type RetryPolicy,
} from "../../provider/retry";

const POLICY: RetryPolicy = {
  maxElapsedMs: 10_000,
  attemptTimeoutMs: 1_000,
  baseDelayMs: 100,
  maxDelayMs: 800,
};

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("isRetryableStatus", () => {
  it("retries 429 and the 5xx answers a carrier gives when busy or down, nothing else", () => {
    for (const status of [429, 500, 502, 503, 504]) expect(isRetryableStatus(status), `${status}`).toBe(true);
    for (const status of [200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 501, 505])
      expect(isRetryableStatus(status), `${status}`).toBe(false);
  });
});

describe("retryDelayMs", () => {
  it("waits the seconds a Retry-After gives", () => {
    expect(retryDelayMs(0, "2", POLICY)).toBe(2_000);
    expect(retryDelayMs(3, "0", POLICY)).toBe(0);
    expect(retryDelayMs(0, "1.5", POLICY)).toBe(1_500);
  });

  it("waits until the date a Retry-After gives", () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00.000Z") });
    expect(retryDelayMs(0, "Thu, 01 Jan 2026 00:00:03 GMT", POLICY)).toBe(3_000);
  });

  it("never waits longer than the whole budget, whatever Retry-After says", () => {
    expect(retryDelayMs(0, "3600", POLICY)).toBe(POLICY.maxElapsedMs);
  });

  it("falls back to backoff on a Retry-After that is garbage, negative or in the past", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00.000Z") });
    const backoff = retryDelayMs(0, undefined, POLICY);
    expect(backoff).toBe(POLICY.baseDelayMs / 2);
    for (const header of ["soon", "-5", "Wed, 31 Dec 2025 23:59:00 GMT", "", null])
      expect(retryDelayMs(0, header, POLICY), JSON.stringify(header)).toBe(backoff);
  });

  it("backs off exponentially with jitter: between half and all of base × 2^attempt, capped at maxDelayMs", () => {
    const bounds = (attempt: number) => {
      const exponential = Math.min(POLICY.maxDelayMs, POLICY.baseDelayMs * 2 ** attempt);
      return [exponential / 2, exponential] as const;
    };
    const random = vi.spyOn(Math, "random");
    for (let attempt = 0; attempt < 8; attempt++) {
      const [low, high] = bounds(attempt);
      random.mockReturnValue(0);
      expect(retryDelayMs(attempt, undefined, POLICY), `attempt ${attempt}, least`).toBe(low);
      random.mockReturnValue(0.999_999);
      const most = retryDelayMs(attempt, undefined, POLICY);
      expect(most, `attempt ${attempt}, most`).toBeLessThan(high);
      expect(most, `attempt ${attempt}, most`).toBeGreaterThan(high - 1);
    }
    expect(bounds(2)).toEqual([200, 400]);
    expect(bounds(7)).toEqual([400, 800]);
  });
});

describe("sendWithRetries", () => {
  /** A `send` that gives the answers (or throws the errors) in turn, the last one forever. */
  function answers(...outcomes: Array<AttemptOutcome<string> | Error>) {
    let next = 0;
    return vi.fn(async (): Promise<AttemptOutcome<string>> => {
      const outcome = outcomes[Math.min(next++, outcomes.length - 1)]!;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
  }
  const answer = (status: number, retryAfter?: string): AttemptOutcome<string> => ({
    status,
    retryAfter,
    value: `answer ${status}`,
  });
  const networkError = (code = "ECONNRESET") => Object.assign(new Error(`read ${code}`), { code });

  /** Runs to the end on the fake clock; returns how it ended and how much fake time passed. */
  async function run(
    send: () => Promise<AttemptOutcome<string>>,
    policy = POLICY,
  ): Promise<{ value?: string; error?: unknown; elapsed: number }> {
    vi.useFakeTimers();
    const started = Date.now();
    const settled = sendWithRetries(send, policy).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await vi.runAllTimersAsync();
    return { ...(await settled), elapsed: Date.now() - started };
  }

  it("returns a successful answer at once", async () => {
    const send = answers(answer(200));
    expect(await run(send)).toMatchObject({ value: "answer 200", elapsed: 0 });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("retries 429 and 5xx answers until one is not retryable", async () => {
    const send = answers(answer(429), answer(500), answer(502), answer(503), answer(504), answer(201));
    expect(await run(send)).toMatchObject({ value: "answer 201" });
    expect(send).toHaveBeenCalledTimes(6);
  });

  it("returns a non-retryable error answer at once, for the caller to report", async () => {
    for (const status of [400, 401, 404, 409]) {
      const send = answers(answer(status), answer(200));
      expect(await run(send)).toMatchObject({ value: `answer ${status}`, elapsed: 0 });
      expect(send).toHaveBeenCalledTimes(1);
    }
  });

  it("retries network errors", async () => {
    const send = answers(networkError("ECONNRESET"), networkError("ETIMEDOUT"), answer(200));
    expect(await run(send)).toMatchObject({ value: "answer 200" });
    expect(send).toHaveBeenCalledTimes(3);
  });

  it("throws any other error at once", async () => {
    const bug = new TypeError("Cannot read properties of undefined");
    const send = answers(bug, answer(200));
    expect(await run(send)).toMatchObject({ error: bug, elapsed: 0 });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("waits what Retry-After asks before the next attempt", async () => {
    vi.useFakeTimers();
    const send = answers(answer(429, "2"), answer(200));
    const result = sendWithRetries(send, POLICY);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(send).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(send).toHaveBeenCalledTimes(2);
    await expect(result).resolves.toBe("answer 200");
  });

  it("gives up within maxElapsedMs and returns the last retryable answer", async () => {
    let n = 0;
    const send = vi.fn(async () => ({ status: 503, value: `answer ${++n}` }));
    const { value, elapsed } = await run(send);
    expect(value).toBe(`answer ${send.mock.calls.length}`);
    expect(send.mock.calls.length).toBeGreaterThan(1);
    expect(elapsed).toBeLessThanOrEqual(POLICY.maxElapsedMs);
  });

  it("gives up at once when the next wait alone would pass maxElapsedMs", async () => {
    // The first backoff is at least baseDelayMs / 2 = 50 ms.
    const send = answers(answer(500), answer(200));
    expect(await run(send, { ...POLICY, maxElapsedMs: 40 })).toMatchObject({
      value: "answer 500",
      elapsed: 0,
    });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("throws the last network error when the budget runs out on one", async () => {
    const errors = Array.from({ length: 200 }, (_, i) => networkError(i % 2 ? "ECONNRESET" : "EPIPE"));
    let n = 0;
    const send = vi.fn(async (): Promise<AttemptOutcome<string>> => {
      throw errors[n++];
    });
    const { error, elapsed } = await run(send);
    expect(send.mock.calls.length).toBeGreaterThan(1);
    expect(error).toBe(errors[send.mock.calls.length - 1]);
    expect(elapsed).toBeLessThanOrEqual(POLICY.maxElapsedMs);
  });
});

describe("isNetworkError", () => {
  it("recognises the codes of a connection that failed or broke", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET"])
      expect(isNetworkError(Object.assign(new Error("x"), { code })), code).toBe(true);
  });

  it("recognises aborts and timeouts by name, and fetch's and Node's words", () => {
    expect(isNetworkError(new DOMException("The operation was aborted", "AbortError"))).toBe(true);
    expect(isNetworkError(new DOMException("The request timed out", "TimeoutError"))).toBe(true);
    expect(isNetworkError(new TypeError("fetch failed"))).toBe(true);
    expect(isNetworkError(new Error("socket hang up"))).toBe(true);
    expect(isNetworkError(new Error("Request Timeout after 15000ms"))).toBe(true);
  });

  it("looks through causes, a few levels deep", () => {
    const wrap = (cause: unknown, depth: number): unknown =>
      depth === 0 ? cause : new Error("wrapper", { cause: wrap(cause, depth - 1) });
    const reset = Object.assign(new Error("x"), { code: "ECONNRESET" });
    expect(isNetworkError(wrap(reset, 1))).toBe(true); // fetch's TypeError with an undici cause
    expect(isNetworkError(wrap(reset, 4))).toBe(true);
    expect(isNetworkError(wrap(reset, 5))).toBe(false);
  });

  it("does not take other errors, or things that are not errors, for network failures", () => {
    expect(isNetworkError(new Error("Unable to update record"))).toBe(false);
    expect(isNetworkError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isNetworkError(Object.assign(new Error("x"), { code: 20404 }))).toBe(false);
    for (const value of [undefined, null, 0, "", "ECONNRESET", {}]) expect(isNetworkError(value)).toBe(false);
  });
});

describe("retryingFetch", () => {
  const FAST: RetryPolicy = { maxElapsedMs: 2_000, attemptTimeoutMs: 100, baseDelayMs: 1, maxDelayMs: 2 };
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  /** A server whose n-th request (0-based) `handlers[n]` answers (the last one answers the rest). */
  async function serve(...handlers: Array<(req: IncomingMessage, res: ServerResponse) => void>) {
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      handlers[Math.min(seen.length - 1, handlers.length - 1)]!(req, res);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }
  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (_req: IncomingMessage, res: ServerResponse) =>
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

  it("retries a 503 and hands back the next answer, status, headers and body", async () => {
    const { url, seen } = await serve(
      json(503, { errors: [{ detail: "busy" }] }),
      json(200, { data: { id: "1" } }, { "x-request-id": "r-2" }),
    );
    const response = await retryingFetch(FAST)(`${url}/v2/phone_numbers`, { method: "GET" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("r-2");
    expect(await response.json()).toEqual({ data: { id: "1" } });
    expect(seen).toEqual(["GET /v2/phone_numbers", "GET /v2/phone_numbers"]);
  });

  it("returns the last 429 when the carrier keeps refusing, body intact", async () => {
    const { url, seen } = await serve(json(429, { errors: [{ code: "10011" }] }));
    const policy = { ...FAST, baseDelayMs: 20, maxDelayMs: 40, maxElapsedMs: 500 };
    const response = await retryingFetch(policy)(`${url}/v2/x`);
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ errors: [{ code: "10011" }] });
    expect(seen.length).toBeGreaterThan(1);
  });

  it("ends an attempt that does not answer within attemptTimeoutMs, and retries it", async () => {
    const { url, seen } = await serve(
      () => {}, // never answers
      json(200, { ok: true }),
    );
    const response = await retryingFetch(FAST)(`${url}/v2/x`, { method: "PATCH", body: "{}" });
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toEqual(["PATCH /v2/x", "PATCH /v2/x"]);
  });

  it("passes a 204 through without a body", async () => {
    const { url } = await serve((_req, res) => res.writeHead(204).end());
    const response = await retryingFetch(FAST)(`${url}/v2/x`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("throws the network error once the budget is spent on a server that is gone", async () => {
    const { url } = await serve(json(200, {}));
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const error = await retryingFetch({ ...FAST, maxElapsedMs: 30 })(`${url}/v2/x`).catch((e: unknown) => e);
    expect(isNetworkError(error)).toBe(true);
  });
});
