import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";

/**
 * The Twilio SDK hard-codes `https://api.twilio.com` and has no base-URL option. This
 * `RequestClient` rewrites the scheme, host and port of every request to `baseUrl`, so the
 * real SDK can talk to the local sandbox (or a proxy). Pass it as `httpClient`:
 *
 *   twilio(accountSid, authToken, { httpClient: new BaseUrlRequestClient("http://127.0.0.1:4010") })
 *
 * With a custom `httpClient` the SDK ignores its own `timeout`/`autoRetry` options, so they go
 * to this constructor instead.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(baseUrl: string, options: ConstructorParameters<typeof twilio.RequestClient>[0] = {}) {
    super(options);
    this.base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rewriteBaseUrl(opts.uri, this.base) });
  }
}

export function rewriteBaseUrl(uri: string, base: URL): string {
  const target = new URL(uri);
  const prefix = base.pathname.replace(/\/$/, "");
  return `${base.protocol}//${base.host}${prefix}${target.pathname}${target.search}`;
}
