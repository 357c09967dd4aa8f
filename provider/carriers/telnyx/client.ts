/**
 * The Telnyx transport: the SDK with this package's retry policy, paged lists, and failures turned
 * into `CarrierError`s that carry no credentials. Loaded only when a Telnyx carrier is built.
 */
import Telnyx from "telnyx";
import { z } from "zod";
import { CarrierError, parseCarrierResponse, WebhookError } from "../../errors";
import { describeNetworkError, isNetworkError, retryingFetch, type RetryPolicy } from "../../retry";
import { withCredentialsHint } from "../carrier";
import { TELNYX_SETTINGS } from "./settings";

export interface TelnyxSettings {
  apiKey: string;
  baseUrl: string;
}

export const numberSchema = z.object({
  id: z.string(),
  phone_number: z.string(),
  connection_id: z.string().nullish(),
  messaging_profile_id: z.string().nullish(),
  /** What `select.tag` matches. */
  tags: z.array(z.string()).nullish(),
});
export type TelnyxNumber = z.infer<typeof numberSchema>;
export const objectSchema = z.object({ data: z.object({ id: z.string().optional() }).catchall(z.unknown()) });
export const numberResponseSchema = z.object({ data: numberSchema });
export const connectionSchema = z.object({ data: z.object({ id: z.string(), record_type: z.string() }) });
export const messagingSettingsSchema = z.object({
  data: z.object({ messaging_profile_id: z.string().nullish() }),
});
const listSchema = z.object({
  data: z.array(z.unknown()),
  meta: z.object({ total_pages: z.number().optional(), page_number: z.number().optional() }).optional(),
});

/**
 * The largest page Telnyx serves, the fewest calls for a long list: `page[size]` is at most 250 for
 * phone numbers, Call Control and TeXML applications and messaging profiles (Telnyx's OpenAPI
 * document; the SDK's list params leave it unbounded).
 */
const PAGE_SIZE = 250;

/** The only paths a DELETE may go to: the kinds of object `onShared: "isolate"` makes. */
const DELETABLE = /^\/(call_control_applications|texml_applications|messaging_profiles)\/[^/?#]+$/;

export class TelnyxClient {
  private readonly sdk: Telnyx;

  constructor(settings: TelnyxSettings, retry: RetryPolicy) {
    this.sdk = new Telnyx({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl,
      maxRetries: 0, // retries are ours, with the same policy as Twilio's
      timeout: retry.maxElapsedMs + retry.attemptTimeoutMs,
      fetch: retryingFetch(retry),
      logLevel: "off",
    });
  }

  get(call: string, path: string, query?: Record<string, string>): Promise<unknown> {
    return this.call(call, () => this.sdk.get(path, query ? { query } : {}));
  }

  patch(call: string, path: string, body: Record<string, unknown>): Promise<unknown> {
    return this.call(call, () => this.sdk.patch(path, { body }));
  }

  post(call: string, path: string, body: Record<string, unknown>): Promise<unknown> {
    return this.call(call, () => this.sdk.post(path, { body }));
  }

  /**
   * Deletes an object this package made: a copy of an application or messaging profile. Any other
   * path is refused, a phone number above all (a DELETE releases it).
   */
  async delete(call: string, path: string): Promise<unknown> {
    if (!DELETABLE.test(path))
      throw new WebhookError(
        `refusing ${call}: only copies of applications and messaging profiles are ever deleted (a DELETE on a phone number releases it)`,
        "invalid",
      );
    return this.call(call, () => this.sdk.delete(path));
  }

  /** Every item of a paged list: Telnyx's default page holds 20, so reading one page is a bug. */
  async listAll(call: string, path: string, query: Record<string, string>): Promise<unknown[]> {
    const first = await this.listPage(call, path, query, 1);
    return first.last ? first.items : [...first.items, ...(await this.listFrom(call, path, query, 2))];
  }

  /** The items of a paged list from page `from` on, to its last page. */
  async listFrom(
    call: string,
    path: string,
    query: Record<string, string>,
    from: number,
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    for (let page = from; ; page++) {
      const body = await this.listPage(call, path, query, page);
      items.push(...body.items);
      if (body.last) return items;
    }
  }

  /**
   * One page of the largest size: its items, whether it is the last, and the page count when the
   * answer's meta says it (what listing the whole list would cost).
   */
  async listPage(
    call: string,
    path: string,
    query: Record<string, string>,
    page: number,
  ): Promise<{ items: unknown[]; last: boolean; totalPages: number | undefined }> {
    const body = parse(
      listSchema,
      await this.get(call, path, {
        ...query,
        "page[number]": String(page),
        "page[size]": String(PAGE_SIZE),
      }),
      call,
    );
    // Without a page count, read on until a page comes back short.
    const totalPages = body.meta?.total_pages;
    const last = totalPages === undefined ? body.data.length < PAGE_SIZE : page >= totalPages;
    return { items: body.data, last: last || body.data.length === 0, totalPages };
  }

  private async call<T>(call: string, run: () => PromiseLike<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // A refused key names where it came from.
      throw withCredentialsHint(toCarrierError(call, error), "telnyx", [TELNYX_SETTINGS.apiKey]);
    }
  }
}

export function parse<T>(schema: z.ZodType<T>, value: unknown, call: string): T {
  return parseCarrierResponse("telnyx", call, schema, value);
}

function toCarrierError(call: string, error: unknown): WebhookError {
  if (error instanceof WebhookError) return error;
  if (error instanceof Telnyx.APIError && typeof error.status === "number") {
    const body = error.error as
      { errors?: Array<{ code?: unknown; title?: unknown; detail?: unknown }> } | undefined;
    const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
    const reason = first
      ? `${String(first.detail ?? first.title ?? "error")}${first.code ? ` (Telnyx error ${String(first.code)})` : ""}`
      : `HTTP ${error.status} without a Telnyx error body`;
    return new CarrierError("telnyx", call, error.status, reason);
  }
  if (error instanceof Telnyx.APIConnectionError || isNetworkError(error))
    return new CarrierError(
      "telnyx",
      call,
      undefined,
      `no answer from Telnyx (${describeNetworkError((error as { cause?: unknown }).cause ?? error)})`,
    );
  const message = error instanceof Error ? error.message : String(error);
  return new CarrierError("telnyx", call, undefined, `unexpected response: ${message}`);
}
