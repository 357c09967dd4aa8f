/**
 * One retry policy for both carriers, applied at the HTTP layer (a Twilio `RequestClient`, a
 * Telnyx `fetch`): 429 and 5xx answers and network failures are retried with exponential backoff
 * and jitter, honouring `Retry-After`, within a bounded total time. Every write this package makes
 * sets absolute values, so repeating one is harmless.
 */

export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  maxElapsedMs: number;
  /** Abort one attempt that has not answered after this long. */
  attemptTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxElapsedMs: 60_000,
  attemptTimeoutMs: 15_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
};

export interface AttemptOutcome<T> {
  status: number;
  retryAfter?: string | null;
  value: T;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Delay before the next attempt: the carrier's `Retry-After` when it gives one, else backoff. */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null | undefined,
  policy: RetryPolicy,
): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, policy.maxElapsedMs);
  }
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return exponential / 2 + Math.random() * (exponential / 2);
}

/**
 * Runs `send` until it gives a non-retryable answer or the time budget is spent. The last
 * retryable answer (or network error) is returned or thrown, so the caller reports the carrier's
 * own words.
 */
export async function sendWithRetries<T>(
  send: () => Promise<AttemptOutcome<T>>,
  policy: RetryPolicy,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let outcome: AttemptOutcome<T> | undefined;
    let failure: unknown;
    try {
      outcome = await send();
      if (!isRetryableStatus(outcome.status)) return outcome.value;
    } catch (error) {
      if (!isNetworkError(error)) throw error;
      failure = error;
    }
    const delay = retryDelayMs(attempt, outcome?.retryAfter, policy);
    if (Date.now() - started + delay > policy.maxElapsedMs) {
      if (outcome) return outcome.value;
      throw failure;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_CANCELED",
]);

export function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const candidate = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === "string" && NETWORK_CODES.has(candidate.code)) return true;
    if (candidate.name === "AbortError" || candidate.name === "TimeoutError") return true;
    if (
      typeof candidate.message === "string" &&
      /socket hang up|fetch failed|timeout/i.test(candidate.message)
    )
      return true;
    e = candidate.cause;
  }
  return false;
}

/** A network failure in a few words for a message: its code (`ECONNRESET`), else its text. */
export function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? e.message ?? "network error");
}

/**
 * A `fetch` that applies the policy (for the Telnyx SDK). Each attempt has its own timer, held
 * here until the body is read: a bare `AbortSignal.timeout` is only weakly held by Node and can be
 * garbage-collected mid-request, losing the timeout. Bodies are small JSON, so they are buffered
 * within the attempt, which also bounds a body that starts but never ends.
 */
export function retryingFetch(policy: RetryPolicy): typeof fetch {
  return (input, init) =>
    sendWithRetries(async () => {
      const attempt = new AbortController();
      const timer = setTimeout(
        () => attempt.abort(new DOMException("The request timed out", "TimeoutError")),
        policy.attemptTimeoutMs,
      );
      try {
        const signal = init?.signal ? AbortSignal.any([init.signal, attempt.signal]) : attempt.signal;
        const response = await fetch(input, { ...init, signal });
        const body = NULL_BODY_STATUS.has(response.status) ? null : await response.arrayBuffer();
        const buffered = new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
        return { status: response.status, retryAfter: response.headers.get("retry-after"), value: buffered };
      } finally {
        clearTimeout(timer);
      }
    }, policy);
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
