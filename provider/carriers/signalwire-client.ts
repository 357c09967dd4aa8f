/**
 * A small typed client of SignalWire's REST API for phone numbers (`/api/relay/rest/phone_numbers`):
 * list (every page), get and update. No maintained SignalWire SDK covers this API (the
 * `@signalwire/*` packages are the RELAY realtime SDK, the LaML compatibility SDK and a video/chat
 * token API), so the calls are plain `fetch`es through the package's retry policy, with HTTP Basic
 * auth of project ID and API token, every answer checked with zod, and every failure a
 * `CarrierError` in SignalWire's own words that carries no credentials. Loaded only when a
 * SignalWire carrier is built.
 */
import { z } from "zod";
import { CarrierError, parseCarrierResponse, WebhookError } from "../errors";
import { describeNetworkError, isNetworkError, retryingFetch, type RetryPolicy } from "../retry";

export interface SignalWireSettings {
  projectId: string;
  /** Basic-auth password with the project ID (memory only: never in state, logs or errors). */
  apiToken: string;
  /** The Space's base URL (`https://example.signalwire.com`), without a trailing slash. */
  spaceUrl: string;
}

export const PHONE_NUMBERS_PATH = "/api/relay/rest/phone_numbers";

/** SignalWire's largest page: the fewest requests for a whole project. */
const PAGE_SIZE = 1000;

const text = z.string().nullish();

/**
 * The fields of a phone number this package reads (SignalWire answers more). Unset values come
 * back as `null`; a field missing from an answer reads as unset too.
 */
export const signalWireNumberSchema = z.object({
  id: z.string().min(1),
  number: z.string(),
  /** What `select` matches its name keys against. */
  name: text,
  call_handler: text,
  call_request_url: text,
  call_request_method: text,
  call_fallback_url: text,
  call_status_callback_url: text,
  call_laml_application_id: text,
  call_dialogflow_agent_id: text,
  call_relay_topic: text,
  call_relay_topic_status_callback_url: text,
  call_relay_script_url: text,
  call_relay_context: text,
  call_relay_context_status_callback_url: text,
  call_relay_application: text,
  call_relay_connector_id: text,
  call_sip_endpoint_id: text,
  call_verto_resource: text,
  call_video_room_id: text,
  calling_handler_resource_id: text,
  message_handler: text,
  message_request_url: text,
  message_request_method: text,
  message_fallback_url: text,
  message_laml_application_id: text,
  message_relay_topic: text,
  message_relay_context: text,
  /** Taken by the update request; SignalWire's document does not list it in answers. */
  message_relay_application: text,
  messaging_handler_resource_id: text,
});
export type SignalWireNumber = z.infer<typeof signalWireNumberSchema>;

/** A field an update writes: the answer's name for it, always given a string. */
export type SignalWireField = Exclude<keyof SignalWireNumber, "id" | "number" | `${string}resource_id`>;
export type SignalWireUpdate = Partial<Record<SignalWireField, string>>;

const listSchema = z.object({
  data: z.array(signalWireNumberSchema),
  links: z.object({ next: z.string().nullish() }).optional(),
});

/** SignalWire's error bodies: `{ error: "Not Found" }`, or `{ errors: [{ code, title, detail }] }`. */
const errorSchema = z.union([
  z.object({
    errors: z
      .array(z.object({ code: text, title: text, detail: text }))
      .min(1)
      .readonly(),
  }),
  z.object({ error: z.string().min(1) }),
]);

export class SignalWireClient {
  private readonly fetch: typeof fetch;
  private readonly base: URL;
  private readonly authorization: string;

  constructor(settings: SignalWireSettings, retry: RetryPolicy) {
    this.fetch = retryingFetch(retry);
    this.base = new URL(settings.spaceUrl);
    this.authorization = `Basic ${Buffer.from(`${settings.projectId}:${settings.apiToken}`).toString("base64")}`;
  }

  /**
   * Every phone number of the project, or those whose number contains `filterNumber` (SignalWire
   * matches parts of numbers: callers compare the E.164 exactly), following `links.next`.
   */
  async listPhoneNumbers(filterNumber?: string): Promise<SignalWireNumber[]> {
    const call = "list phone numbers";
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (filterNumber !== undefined) query.set("filter_number", filterNumber);
    let next: string | undefined = `${PHONE_NUMBERS_PATH}?${query}`;
    const seen = new Set<string>();
    const numbers: SignalWireNumber[] = [];
    while (next !== undefined) {
      // A page that links back to one already read would loop forever.
      if (seen.has(next))
        throw new CarrierError(
          "signalwire",
          call,
          undefined,
          "unexpected response: links.next repeats a page",
        );
      seen.add(next);
      const page: z.infer<typeof listSchema> = parseCarrierResponse(
        "signalwire",
        call,
        listSchema,
        await this.request("GET", next, call),
      );
      numbers.push(...page.data);
      next = page.links?.next ? this.sameSpace(page.links.next, call) : undefined;
    }
    return numbers;
  }

  async getPhoneNumber(id: string): Promise<SignalWireNumber> {
    const call = `get phone number ${id}`;
    const answer = await this.request("GET", this.numberPath(id), call);
    return parseCarrierResponse("signalwire", call, signalWireNumberSchema, answer);
  }

  /** Writes the given fields only (an absent field is left as it is); resolves to the number as answered. */
  async updatePhoneNumber(id: string, update: SignalWireUpdate): Promise<SignalWireNumber> {
    const call = `update phone number ${id}`;
    const answer = await this.request("PUT", this.numberPath(id), call, update);
    return parseCarrierResponse("signalwire", call, signalWireNumberSchema, answer);
  }

  private numberPath(id: string): string {
    return `${PHONE_NUMBERS_PATH}/${encodeURIComponent(id)}`;
  }

  /**
   * The path and query of a `links.next`, on the configured Space: the credentials are never sent
   * to another host, whatever the link names (a proxy or the sandbox may answer with its own).
   */
  private sameSpace(link: string, call: string): string {
    let target: URL;
    try {
      target = new URL(link, this.base);
    } catch {
      throw new CarrierError("signalwire", call, undefined, "unexpected response: links.next is not a URL");
    }
    const at = target.pathname.indexOf(PHONE_NUMBERS_PATH);
    if (at < 0)
      throw new CarrierError(
        "signalwire",
        call,
        undefined,
        "unexpected response: links.next does not lead to the phone numbers",
      );
    return `${target.pathname.slice(at)}${target.search}`;
  }

  /** One request on the Space (its path prefix kept); resolves to the JSON body, or throws a `CarrierError`. */
  private async request(method: "GET" | "PUT", path: string, call: string, body?: unknown): Promise<unknown> {
    const url = `${this.base.origin}${this.base.pathname.replace(/\/$/, "")}${path}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          Authorization: this.authorization,
          Accept: "application/json",
          ...(body !== undefined && { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (isNetworkError(error))
        throw new CarrierError(
          "signalwire",
          call,
          undefined,
          `no answer from SignalWire (${describeNetworkError(error)})`,
        );
      throw new WebhookError(
        `signalwire ${call} failed: ${String((error as Error).message ?? error)}`,
        "carrier",
      );
    }
    const raw = await response.text();
    let json: unknown = raw;
    try {
      json = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      // Not JSON (an HTML error page): said as such below.
    }
    if (!response.ok)
      throw new CarrierError("signalwire", call, response.status, errorReason(json, response));
    return json;
  }
}

/** What SignalWire said went wrong, in its words: `Invalid Attribute: Label can't be blank (code 422)`. */
function errorReason(body: unknown, response: Response): string {
  const parsed = errorSchema.safeParse(body);
  if (!parsed.success) return response.statusText || "no error message";
  if ("error" in parsed.data) return parsed.data.error;
  return parsed.data.errors
    .map((e) => {
      const words = [e.title, e.detail].filter(Boolean).join(": ") || "no error message";
      return e.code ? `${words} (SignalWire error ${e.code})` : words;
    })
    .join("; ");
}
