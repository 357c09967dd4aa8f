import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";
import { sendWithRetries, type RetryPolicy } from "../retry";

/**
 * The Twilio SDK hard-codes `https://api.twilio.com` and has no base-URL option. This
 * `RequestClient` rewrites the scheme, host and port of every request to `baseUrl`, so the
 * real SDK can talk to the local sandbox (or a proxy). Pass it as `httpClient`:
 *
 *   twilio(accountSid, authToken, { httpClient: new BaseUrlRequestClient("http://127.0.0.1:4010") })
 *
 * With a custom `httpClient` the SDK ignores its own `timeout`/`autoRetry` options, so they go
 * to this constructor instead. Given a `retry` policy, it also retries 429, 5xx and network
 * failures (the SDK's own `autoRetry` retries only 429 and ignores `Retry-After`).
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(
    baseUrl: string,
    options: ConstructorParameters<typeof twilio.RequestClient>[0] = {},
    private readonly retry?: RetryPolicy,
  ) {
    super({ ...options, autoRetry: false, timeout: options.timeout ?? retry?.attemptTimeoutMs });
    this.base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const rewritten = { ...opts, uri: rewriteBaseUrl(opts.uri, this.base) };
    if (!this.retry) return super.request<TData>(rewritten);
    return sendWithRetries(async () => {
      const response = await super.request<TData>(rewritten);
      return { status: response.statusCode, retryAfter: response.headers?.["retry-after"], value: response };
    }, this.retry);
  }
}

export function rewriteBaseUrl(uri: string, base: URL): string {
  const target = new URL(uri);
  const prefix = base.pathname.replace(/\/$/, "");
  return `${base.protocol}//${base.host}${prefix}${target.pathname}${target.search}`;
}
