/**
 * SignalWire: a number's webhooks live on the number itself, as on Twilio, so one PUT carries every
 * change and its answer is the verification. They count only while the number's call (or message)
 * handler is `laml_webhooks`: another handler (a Relay application, a LaML application, an AI
 * agent, …) routes the number elsewhere and would ignore them. Such a handler is refused, naming
 * it, unless the resource consents to switching it (`switchHandlers: true`); the handler and its
 * own fields are then kept as the number's `CarrierFields`, and a restore gives them back.
 *
 * This file is the descriptor (settings, identifiers, selectors) and the `Carrier`; the REST client
 * (`signalwire-client.ts`) loads with the factory, in the provider process only.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { CarrierError, WebhookError } from "../errors";
import { NumberDirectory } from "../directory";
import {
  describeValue,
  isVoiceField,
  normalizeMethod,
  normalizeValue,
  recordOf,
  WEBHOOK_FIELDS,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../webhooks";
import {
  carrierBaseUrl,
  carrierSettings,
  formWebhookEvent,
  parseSelector,
  refuseOverridden,
  withCredentialsHint,
  type Carrier,
  type CarrierDescriptor,
  type CarrierNumber,
  type Override,
  type Overrides,
  type PreflightEvent,
  type PreflightEventOptions,
  type Selector,
  type SelectorKey,
  type UnclearableFields,
  type WriteOptions,
  type WriteStep,
} from "./carrier";
import type {
  SignalWireClient,
  SignalWireField,
  SignalWireNumber,
  SignalWireSettings,
  SignalWireUpdate,
} from "./signalwire-client";

export type { SignalWireSettings };

/** What SignalWire reports about a number: its id (the path of its reads and writes). */
export type SignalWireIds = { phoneNumberId: string | null };

const SETTINGS = carrierSettings("signalwire", {
  projectId: "the Project ID (a UUID)",
  apiToken: "an API token of the project, with the Numbers scope (secret)",
  spaceUrl:
    "the Space: its host (example.signalwire.com, served over https) or a full http(s) URL (a proxy or the sandbox)",
});

const regex = (key: string) =>
  z
    .string()
    .min(1, `select.${key} must not be empty`)
    .superRefine((value, ctx) => {
      try {
        new RegExp(value);
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: `select.${key} must be a valid JavaScript regular expression: ${(error as Error).message}`,
        });
      }
    });

/**
 * The keys `PhoneNumberWebhooksSet.select` takes for SignalWire numbers: each must match. Their
 * own names (not the Twilio keys'), so that a set's carrier is known from its keys.
 */
const SELECTORS = {
  signalwireNamePrefix: {
    help: "numbers whose name starts with this text (case-sensitive)",
    schema: z.string().min(1, "select.signalwireNamePrefix must not be empty"),
  },
  signalwireNameRegex: {
    help: "numbers whose name matches this JavaScript regular expression (no flags; add ^ and $ to match all of it)",
    schema: regex("signalwireNameRegex"),
  },
} as const satisfies Record<string, SelectorKey>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SPACE_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/** `example.signalwire.com` → `https://example.signalwire.com`; a full URL as given. */
export function spaceBaseUrl(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return carrierBaseUrl("signalwire:spaceUrl", value);
  if (!SPACE_HOST.test(value))
    throw new WebhookError(
      "signalwire:spaceUrl must be the Space's host (example.signalwire.com) or an http(s) URL",
      "credentials",
    );
  return `https://${value.toLowerCase()}`;
}

/**
 * A LaML webhook (SignalWire's Twilio-compatible shape). SignalWire's ids are UUIDs; the project is
 * all zeros, which none is.
 */
const signalwirePreflightEvent = (options: PreflightEventOptions): PreflightEvent =>
  formWebhookEvent(options, {
    accountSid: "00000000-0000-0000-0000-000000000000",
    callSid: randomUUID,
    messageSid: randomUUID,
  });

export const signalwireCarrier: CarrierDescriptor<
  "signalwire",
  SignalWireSettings,
  SignalWireIds,
  keyof typeof SETTINGS
> = {
  name: "signalwire",
  settings: SETTINGS,
  credentials: {
    config: "signalwire:projectId, signalwire:apiToken and signalwire:spaceUrl",
    env: "SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE_URL",
  },
  idKeys: ["phoneNumberId"],
  selectors: SELECTORS,
  ownArguments: ["switchHandlers"],
  preflightEvent: signalwirePreflightEvent,
  loadSettings({ projectId, apiToken, spaceUrl }) {
    if (!projectId && !apiToken && !spaceUrl) return undefined;
    const missing = Object.entries({ projectId, apiToken, spaceUrl })
      .filter(([, value]) => !value)
      .map(([key]) => SETTINGS[key as keyof typeof SETTINGS]);
    if (missing.length)
      throw new WebhookError(
        `SignalWire settings are incomplete: set ${missing.map((s) => s.config).join(" and ")} (or ${missing.map((s) => s.env).join(" and ")}) as well`,
        "credentials",
      );
    if (!UUID.test(projectId!))
      throw new WebhookError("signalwire:projectId must be a SignalWire Project ID (a UUID)", "credentials");
    return { projectId: projectId!, apiToken: apiToken!, spaceUrl: spaceBaseUrl(spaceUrl!) };
  },
  async create(settings, retry) {
    const { SignalWireClient } = await import("./signalwire-client.js");
    return new SignalWireCarrier(new SignalWireClient(settings, retry));
  },
};

type SignalWireCarrierNumber = CarrierNumber<SignalWireIds>;

/** Our field names → the number's fields (in answers and updates alike). */
export const SIGNALWIRE_FIELDS = {
  voiceUrl: "call_request_url",
  voiceMethod: "call_request_method",
  voiceFallbackUrl: "call_fallback_url",
  statusCallbackUrl: "call_status_callback_url",
  smsUrl: "message_request_url",
  smsMethod: "message_request_method",
  smsFallbackUrl: "message_fallback_url",
} as const satisfies Record<WebhookField, SignalWireField>;

/** The handler that answers with the number's own URLs. */
const LAML_WEBHOOKS = "laml_webhooks";

/** A number's two routings: its calls (the voice fields) and its messages (the SMS fields). */
interface Routing {
  handlerField: "call_handler" | "message_handler";
  /** What a message calls it. */
  what: "calls" | "messages";
  /**
   * Each handler SignalWire's update takes, with its own fields (the first names its resource).
   * A handler not listed here (an AI agent, a call flow, …: set through the Fabric API only)
   * could not be given back, so it is never switched.
   */
  handlers: Readonly<Record<string, readonly SignalWireField[]>>;
  /** Where SignalWire names the resource of a handler it does not list here. */
  resourceIdField: "calling_handler_resource_id" | "messaging_handler_resource_id";
  fields: (field: WebhookField) => boolean;
}

const CALLS: Routing = {
  handlerField: "call_handler",
  what: "calls",
  handlers: {
    [LAML_WEBHOOKS]: [],
    relay_application: ["call_relay_application"],
    relay_topic: ["call_relay_topic", "call_relay_topic_status_callback_url"],
    relay_context: ["call_relay_context", "call_relay_context_status_callback_url"],
    relay_script: ["call_relay_script_url"],
    relay_connector: ["call_relay_connector_id"],
    relay_sip_endpoint: ["call_sip_endpoint_id"],
    relay_verto_endpoint: ["call_verto_resource"],
    laml_application: ["call_laml_application_id"],
    dialogflow: ["call_dialogflow_agent_id"],
    video_room: ["call_video_room_id"],
  },
  resourceIdField: "calling_handler_resource_id",
  fields: isVoiceField,
};

const MESSAGES: Routing = {
  handlerField: "message_handler",
  what: "messages",
  handlers: {
    [LAML_WEBHOOKS]: [],
    relay_application: ["message_relay_application"],
    relay_topic: ["message_relay_topic"],
    relay_context: ["message_relay_context"],
    laml_application: ["message_laml_application_id"],
  },
  resourceIdField: "messaging_handler_resource_id",
  fields: (field) => !isVoiceField(field),
};

const ROUTINGS = [CALLS, MESSAGES] as const;

/** A handler and the fields it needs, as the number has them: what a restore gives back. */
function handlerFields(n: SignalWireNumber, routing: Routing): Record<string, string | null> {
  const handler = normalizeValue(n[routing.handlerField]);
  const own = handler === null ? [] : (routing.handlers[handler] ?? []);
  return {
    [routing.handlerField]: handler,
    ...Object.fromEntries(own.map((field) => [field, normalizeValue(n[field])])),
  };
}

/**
 * Whether a handler can be switched away from and given back: SignalWire's update takes it, and
 * the number names its resource (SignalWire's answers do not always carry `message_relay_application`).
 */
function restorable(n: SignalWireNumber, routing: Routing, handler: string): boolean {
  const own = routing.handlers[handler];
  return own !== undefined && (own.length === 0 || normalizeValue(n[own[0]!]) !== null);
}

/** `call_relay_application "front-desk"`: the handler's resource, for messages. */
function describeResource(n: SignalWireNumber, routing: Routing, handler: string): string {
  const own = routing.handlers[handler];
  const field = own?.[0] ?? routing.resourceIdField;
  const value = normalizeValue(n[field]);
  return value === null ? "" : ` (${field} ${describeValue(value)})`;
}

/**
 * What makes the number's own URLs ineffective: a call or message handler other than LaML webhooks.
 * No handler at all is not an override: nothing is displaced by setting LaML webhooks.
 */
function overridesOf(n: SignalWireNumber): Overrides {
  const overrides: Overrides = {};
  for (const routing of ROUTINGS) {
    const handler = normalizeValue(n[routing.handlerField]);
    if (handler === null || handler === LAML_WEBHOOKS) continue;
    const resource = describeResource(n, routing, handler);
    const switchable = restorable(n, routing, handler);
    const override: Override = {
      by: `${routing.handlerField} ${handler}${resource}`,
      reason:
        `has ${routing.handlerField} ${handler}${resource}, and SignalWire sends its ${routing.what} there ` +
        "instead of to the number's LaML webhook URLs",
      remedy: switchable
        ? "Set switchHandlers: true to switch the handler to LaML webhooks (destroy switches it back), or change it in the SignalWire dashboard."
        : `SignalWire's phone-number API cannot set ${handler} back, so it is never switched: change the handler to LaML webhooks in the SignalWire dashboard first.`,
      effective: `(${routing.handlerField} ${handler})`,
      switchable,
    };
    for (const field of WEBHOOK_FIELDS.filter(routing.fields)) overrides[field] = override;
  }
  return overrides;
}

/** The number as the lifecycle sees it: webhooks, overrides by other handlers, and its handlers as `carrierFields`. */
export function toCarrierNumber(n: SignalWireNumber): SignalWireCarrierNumber {
  const value = (field: WebhookField) => {
    const raw = n[SIGNALWIRE_FIELDS[field]];
    return field.endsWith("Method") ? normalizeMethod(raw) : normalizeValue(raw);
  };
  const webhooks = recordOf(WEBHOOK_FIELDS, value) as WebhookSettings;
  return {
    phoneNumber: n.number,
    webhooks,
    ids: { phoneNumberId: n.id },
    sharedWith: [],
    overrides: overridesOf(n),
    carrierFields: { ...handlerFields(n, CALLS), ...handlerFields(n, MESSAGES) },
  };
}

/**
 * The update that makes `changes` true on `number`: each field, and for a routing whose URLs are
 * set while another handler holds the number, the switch to LaML webhooks (when consented, or when
 * the number has no handler). Restoring with `previous` carrier fields, each handler they name goes
 * back with its own fields. A method cannot be emptied (SignalWire takes GET or POST only): a
 * cleared method is not sent, and not in `fields`.
 */
export function planUpdate(
  number: SignalWireNumber,
  changes: WebhookChanges,
  options: Pick<WriteOptions, "restoring" | "switchHandlers" | "previousCarrierFields">,
): { update: SignalWireUpdate; fields: WebhookField[] } {
  const update: SignalWireUpdate = {};
  const fields: WebhookField[] = [];
  for (const field of Object.keys(changes) as WebhookField[]) {
    const value = changes[field] ?? null;
    if (value === null && field.endsWith("Method")) continue;
    update[SIGNALWIRE_FIELDS[field]] = value ?? "";
    fields.push(field);
  }
  for (const routing of ROUTINGS) {
    const handler = normalizeValue(number[routing.handlerField]);
    const previous = options.previousCarrierFields;
    const before = previous?.[routing.handlerField];
    // Given back with its own fields, from the LaML webhooks it was switched to (another handler
    // set since is someone else's choice). No handler before: SignalWire cannot unset one, so the
    // number keeps LaML webhooks with its previous (restored) URLs.
    if (options.restoring && before && before !== handler && handler === LAML_WEBHOOKS) {
      update[routing.handlerField] = before;
      for (const field of routing.handlers[before] ?? [])
        if (previous[field]) update[field as SignalWireField] = previous[field];
      continue;
    }
    const setsUrl = fields.some((f) => routing.fields(f) && changes[f] != null);
    if (!setsUrl || handler === LAML_WEBHOOKS || options.restoring) continue;
    if (handler === null || (options.switchHandlers && restorable(number, routing, handler)))
      update[routing.handlerField] = LAML_WEBHOOKS;
  }
  return { update, fields };
}

/** The handler fields of `update` the answer does not hold: a write that did not take. */
function unappliedHandlers(update: SignalWireUpdate, answered: SignalWireNumber): string[] {
  return ROUTINGS.flatMap((routing) =>
    [routing.handlerField, ...Object.values(routing.handlers).flat()]
      .filter((field) => update[field] !== undefined)
      .filter((field) => (normalizeValue(answered[field]) ?? "") !== update[field])
      .map(
        (field) =>
          `${field} reads back as ${describeValue(normalizeValue(answered[field]))} instead of ${describeValue(update[field])}`,
      ),
  );
}

class SignalWireCarrier implements Carrier<SignalWireIds, "signalwire"> {
  readonly name = "signalwire";
  private readonly directory: NumberDirectory<SignalWireNumber>;

  constructor(private readonly client: SignalWireClient) {
    this.directory = new NumberDirectory({
      listAll: () => this.call(() => client.listPhoneNumbers()),
      // filter_number matches parts of numbers: the directory compares the E.164 exactly.
      listOne: (phoneNumber) => this.call(() => client.listPhoneNumbers(phoneNumber)),
      phoneNumberOf: (n) => n.number,
    });
  }

  /** The number, its handlers (what overrides its URLs) and their fields, from one listing. */
  async find(phoneNumber: string): Promise<SignalWireCarrierNumber | undefined> {
    const found = await this.directory.find(phoneNumber);
    return found && toCarrierNumber(found);
  }

  async planWrites(
    current: SignalWireCarrierNumber,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]> {
    const id = current.ids.phoneNumberId;
    if (!id)
      throw new WebhookError(`No SignalWire phone number id known for ${current.phoneNumber}`, "not-found");
    const number =
      (await this.directory.find(current.phoneNumber)) ??
      (await this.call(() => this.client.getPhoneNumber(id)));
    const live = toCarrierNumber(number);
    // Webhooks are the number's own: a value it has already needs no write, unless another handler
    // it is switched from (with consent) keeps the number from answering with it.
    const switching = (f: WebhookField, v: string | null | undefined) =>
      v != null && options.switchHandlers === true && live.overrides?.[f]?.switchable === true;
    const differing = Object.fromEntries(
      Object.entries(changes).filter(
        ([f, v]) => (v ?? null) !== live.webhooks[f as WebhookField] || switching(f as WebhookField, v),
      ),
    ) as WebhookChanges;
    if (!options.restoring)
      refuseOverridden(current.phoneNumber, differing, inEffect(live.overrides!, options));
    const { update, fields } = planUpdate(number, differing, options);
    if (Object.keys(update).length === 0) return [];
    const undoUpdate = reverseOf(number, update);
    let mayHaveLanded = false;
    const put = async (body: SignalWireUpdate) => {
      try {
        const answered = await this.call(() => this.client.updatePhoneNumber(id, body));
        mayHaveLanded = true;
        this.directory.update(answered);
        return answered;
      } catch (error) {
        // An error answer was not applied; no answer at all (a timeout) may have been.
        if (!(error instanceof CarrierError && error.status !== undefined)) mayHaveLanded = true;
        throw error;
      }
    };
    const switched = ROUTINGS.filter((r) => update[r.handlerField] !== undefined).map(
      (r) =>
        `${r.handlerField} ${describeValue(normalizeValue(number[r.handlerField]))} → ${describeValue(update[r.handlerField])}`,
    );
    return [
      {
        target: `phone number ${id}`,
        fields,
        sharedWith: [],
        write: async () => {
          const answered = await put(update);
          const wrong = unappliedHandlers(update, answered);
          if (wrong.length) throw new WebhookError(`Verification failed: ${wrong.join(", ")}`, "carrier");
          // A handler set since it was read (another tool): the answer says so.
          if (!options.restoring)
            refuseOverridden(current.phoneNumber, differing, inEffect(overridesOf(answered), options));
          return toCarrierNumber(answered).webhooks;
        },
        undo: async () => {
          if (mayHaveLanded) await put(undoUpdate);
        },
        note: () =>
          switched.length
            ? `SignalWire handler ${options.restoring ? "given back" : "switched"}: ${switched.join(", ")}`
            : undefined,
      },
    ];
  }

  /** Planning only builds the one PUT: its refusals are the dry run, and nothing is sent. */
  async checkWrites(
    current: SignalWireCarrierNumber,
    changes: WebhookChanges,
    options: Omit<WriteOptions, "restoring" | "onCopyMade">,
  ): Promise<void> {
    await this.planWrites(current, changes, options);
  }

  unclearableFields(): UnclearableFields {
    return { fields: ["voiceMethod", "smsMethod"], holder: "phone number (GET or POST only)" };
  }

  holders(current: Pick<SignalWireCarrierNumber, "ids">): Partial<Record<WebhookField, string>> {
    // Every setting is the number's own.
    const id = current.ids.phoneNumberId;
    return id ? recordOf(WEBHOOK_FIELDS, () => `number/${id}`) : {};
  }

  /** One listing of the project (shared with `find`: the members' lookups that follow cost nothing). */
  async select(selector: Selector): Promise<string[]> {
    const wanted = parseSelector("signalwire", SELECTORS, selector);
    const prefix = wanted.signalwireNamePrefix;
    const pattern =
      wanted.signalwireNameRegex === undefined ? undefined : new RegExp(wanted.signalwireNameRegex);
    const name = (n: SignalWireNumber) => n.name ?? "";
    return [...(await this.directory.all()).values()]
      .filter(
        (n) =>
          (prefix === undefined || name(n).startsWith(prefix)) &&
          (pattern === undefined || pattern.test(name(n))),
      )
      .map((n) => n.number)
      .sort();
  }

  async list(): Promise<string[]> {
    return [...(await this.directory.all()).keys()].sort();
  }

  /** One client call; a refusal of the credentials names the settings to check. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw withCredentialsHint(error, "signalwire", Object.values(SETTINGS));
    }
  }
}

/** The overrides a write leaves in place: all, but those it switches with consent. */
function inEffect(overrides: Overrides, options: Pick<WriteOptions, "switchHandlers">): Overrides {
  return Object.fromEntries(
    Object.entries(overrides).filter(([, o]) => !(options.switchHandlers === true && o.switchable)),
  );
}

/** The update that puts back what `update` changes on `number`: its values as read. */
function reverseOf(number: SignalWireNumber, update: SignalWireUpdate): SignalWireUpdate {
  const reverse: SignalWireUpdate = {};
  for (const field of Object.keys(update) as SignalWireField[]) {
    const value = normalizeValue(number[field]);
    // A handler or method that had no value cannot be emptied: it keeps what the write set.
    if (value === null && (field.endsWith("_handler") || field.endsWith("_method"))) continue;
    reverse[field] = value ?? "";
  }
  // Switching back to a handler gives back its own fields too.
  for (const routing of ROUTINGS)
    if (reverse[routing.handlerField] !== undefined)
      for (const [field, value] of Object.entries(handlerFields(number, routing)))
        if (value !== null) reverse[field as SignalWireField] = value;
  return reverse;
}
