/**
 * Telnyx: webhooks are not per number. Voice webhooks live on the number's connection (a Call
 * Control application, a TeXML application or a SIP connection) and SMS webhooks on its messaging
 * profile; every number on the same object shares them. Writes are read-modify-write (the API
 * requires some fields on every PATCH), serialised per object, and refused on a shared object
 * unless the user opted in.
 */
import Telnyx from "telnyx";
import { z } from "zod";
import type { TelnyxSettings } from "../config";
import { CarrierError, parseCarrierResponse, WebhookError } from "../errors";
import { SMS_METHOD_ON_TELNYX } from "../validation";
import { NumberDirectory, ReadCache } from "../directory";
import { isNetworkError, retryingFetch, type RetryPolicy } from "../retry";
import {
  isVoiceField,
  normalizeMethod,
  normalizeValue,
  describeValue,
  UNSET_WEBHOOKS,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../webhooks";
import type { Carrier, CarrierNumber, WriteOptions, WriteStep } from "./carrier";
import { describeNetworkError } from "./twilio";

type TelnyxObject = Record<string, unknown>;

/** One kind of Telnyx object that holds webhooks, and how our fields map onto it. */
interface ObjectKind {
  label: string;
  path: string;
  nameField: string;
  /** Our field → the object's field. Fields missing here cannot be set on this kind. */
  fields: Partial<Record<WebhookField, string>>;
  /** Fields the PATCH requires: re-sent with their current values. */
  required: string[];
  /** How an empty value is written (`""` where the API takes no null). */
  empty: "" | null;
}

const sipConnection = (label: string, path: string): ObjectKind => ({
  label,
  path,
  nameField: "connection_name",
  fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
  required: [],
  empty: null,
});

/** Voice connections by the `record_type` that `GET /connections/{id}` reports. */
const VOICE_KINDS: Record<string, ObjectKind> = {
  call_control_application: {
    label: "Call Control application",
    path: "call_control_applications",
    nameField: "application_name",
    fields: { voiceUrl: "webhook_event_url", voiceFallbackUrl: "webhook_event_failover_url" },
    required: ["application_name", "webhook_event_url"],
    empty: null,
  },
  texml_application: {
    label: "TeXML application",
    path: "texml_applications",
    nameField: "friendly_name",
    fields: {
      voiceUrl: "voice_url",
      voiceMethod: "voice_method",
      voiceFallbackUrl: "voice_fallback_url",
      statusCallbackUrl: "status_callback",
    },
    required: ["friendly_name", "voice_url"],
    empty: "",
  },
  credential_connection: sipConnection("credential connection", "credential_connections"),
  fqdn_connection: sipConnection("FQDN connection", "fqdn_connections"),
  ip_connection: sipConnection("IP connection", "ip_connections"),
};

const MESSAGING_PROFILE: ObjectKind = {
  label: "messaging profile",
  path: "messaging_profiles",
  nameField: "name",
  fields: { smsUrl: "webhook_url", smsFallbackUrl: "webhook_failover_url" },
  required: [],
  empty: null,
};

const numberSchema = z.object({
  id: z.string(),
  phone_number: z.string(),
  connection_id: z.string().nullish(),
  messaging_profile_id: z.string().nullish(),
});
type TelnyxNumber = z.infer<typeof numberSchema>;
const listSchema = z.object({
  data: z.array(z.unknown()),
  meta: z.object({ total_pages: z.number().optional(), page_number: z.number().optional() }).optional(),
});
const objectSchema = z.object({ data: z.object({ id: z.string().optional() }).catchall(z.unknown()) });
const numberResponseSchema = z.object({ data: numberSchema });
const connectionSchema = z.object({ data: z.object({ id: z.string(), record_type: z.string() }) });
const messagingSettingsSchema = z.object({ data: z.object({ messaging_profile_id: z.string().nullish() }) });

/** The largest page Telnyx serves: the fewest calls for a long list. */
const PAGE_SIZE = 250;
const CACHE_TTL_MS = 30_000;

interface WriteTarget {
  kind: ObjectKind;
  id: string;
  fields: WebhookField[];
  sharedWith: string[];
}

export class TelnyxCarrier implements Carrier {
  readonly name = "telnyx" as const;
  private readonly client: Telnyx;
  private readonly directory: NumberDirectory<TelnyxNumber>;
  /** Connections, applications and profiles read in this process, shared by numbers on them. */
  private readonly objects = new ReadCache<TelnyxObject>(CACHE_TTL_MS);
  /** Each object as first read by this process, before any write of ours: the run's originals. */
  private readonly firstRead = new Map<string, TelnyxObject>();
  /** Objects this process has written: its cached copy is the carrier's answer to its last write. */
  private readonly writtenHere = new Set<string>();
  private readonly recordTypes = new ReadCache<string>(CACHE_TTL_MS);
  private readonly numbersOn = new ReadCache<string[]>(CACHE_TTL_MS);
  /** Writes to one object are serialised so that two resources never interleave a read-modify-write. */
  private readonly objectLocks = new Map<string, Promise<unknown>>();
  /**
   * What each number asked of a shared object's fields in this run: two resources that want
   * different values for the same shared webhook are a conflict, not a race.
   */
  private readonly claims = new Map<string, { value: string | null; phoneNumbers: Set<string> }>();

  constructor(settings: TelnyxSettings, retry: RetryPolicy) {
    this.client = new Telnyx({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl,
      maxRetries: 0, // retries are ours, with the same policy as Twilio's
      timeout: retry.maxElapsedMs + retry.attemptTimeoutMs,
      fetch: retryingFetch(retry),
      logLevel: "off",
    });
    const call = "list phone_numbers";
    const parseNumbers = (items: unknown[]) => items.map((n) => parse(numberSchema, n, call));
    this.directory = new NumberDirectory({
      listAll: async () => parseNumbers(await this.listAll(call, "/phone_numbers", {})),
      // The filter takes digits only: "+1415..." matches nothing.
      listOne: async (phoneNumber) =>
        parseNumbers(
          await this.listAll(call, "/phone_numbers", {
            "filter[phone_number]": phoneNumber.replace(/\D/g, ""),
          }),
        ),
      phoneNumberOf: (n) => n.phone_number,
    });
  }

  /** Always reads: a write needs the object's required fields and the number's current assignments. */
  async find(phoneNumber: string): Promise<CarrierNumber | undefined> {
    const found = await this.directory.find(phoneNumber);
    if (!found) return undefined;
    const { connectionId, profileId } = await this.assignments(found);
    const [voice, profile, onConnection, onProfile] = await Promise.all([
      connectionId ? this.readVoiceObject(connectionId) : undefined,
      profileId ? this.readObject(MESSAGING_PROFILE, profileId) : undefined,
      connectionId ? this.numbersOnConnection(connectionId) : [],
      profileId ? this.numbersOnProfile(profileId) : [],
    ]);
    const webhooks: WebhookSettings = {
      ...UNSET_WEBHOOKS,
      ...(voice ? readFields(voice.kind, voice.object) : {}),
      ...(profile ? readFields(MESSAGING_PROFILE, profile) : {}),
    };
    const before = (kind: ObjectKind, id: string) =>
      readFields(kind, this.firstRead.get(`${kind.path}/${id}`) ?? {});
    const webhooksBeforeThisRun: WebhookSettings = {
      ...UNSET_WEBHOOKS,
      ...(voice && connectionId ? before(voice.kind, connectionId) : {}),
      ...(profile && profileId ? before(MESSAGING_PROFILE, profileId) : {}),
    };
    return {
      webhooksBeforeThisRun,
      phoneNumber,
      webhooks,
      ids: {
        phoneNumberId: found.id,
        connectionId,
        connectionType: voice?.recordType ?? null,
        messagingProfileId: profileId,
      },
      sharedWith: [...new Set([...onConnection, ...onProfile])].filter((n) => n !== phoneNumber).sort(),
    };
  }

  unclearableFields(current: CarrierNumber): WebhookField[] {
    const kind = current.ids.connectionType ? VOICE_KINDS[current.ids.connectionType] : undefined;
    if (!kind) return [];
    return (Object.keys(kind.fields) as WebhookField[]).filter((f) =>
      kind.required.includes(kind.fields[f]!),
    );
  }

  async planWrites(
    current: CarrierNumber,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]> {
    const fields = Object.keys(changes) as WebhookField[];
    const voiceFields = fields.filter(isVoiceField);
    const smsFields = fields.filter((f) => !isVoiceField(f));
    const { connectionId, connectionType, messagingProfileId } = current.ids;
    const problems: string[] = [];
    const targets: WriteTarget[] = [];

    if (voiceFields.length) {
      const kind = connectionType ? VOICE_KINDS[connectionType] : undefined;
      if (!connectionId) {
        problems.push(
          `${voiceFields.join(", ")} cannot be set: ${current.phoneNumber} has no voice connection; assign it a Call Control or TeXML application in the Telnyx portal`,
        );
      } else if (!kind) {
        problems.push(
          `${voiceFields.join(", ")} cannot be set: ${current.phoneNumber} is on a connection of type ${connectionType ?? "unknown"}, which has no webhook URL`,
        );
      } else {
        problems.push(...unsupported(kind, voiceFields, changes));
        const others = (await this.numbersOnConnection(connectionId)).filter(
          (n) => n !== current.phoneNumber,
        );
        targets.push({ kind, id: connectionId, fields: voiceFields, sharedWith: others.sort() });
      }
    }
    if (smsFields.length) {
      if (!messagingProfileId) {
        problems.push(
          `${smsFields.join(", ")} cannot be set: ${current.phoneNumber} has no messaging profile; assign it one in the Telnyx portal`,
        );
      } else {
        problems.push(...unsupported(MESSAGING_PROFILE, smsFields, changes));
        const others = (await this.numbersOnProfile(messagingProfileId)).filter(
          (n) => n !== current.phoneNumber,
        );
        targets.push({
          kind: MESSAGING_PROFILE,
          id: messagingProfileId,
          fields: smsFields,
          sharedWith: others.sort(),
        });
      }
    }
    if (problems.length) throw new WebhookError(problems.join("; "), "invalid");

    const shared = targets.filter((t) => t.sharedWith.length > 0);
    if (shared.length && !options.allowSharedUpdate) {
      const described = shared.map(
        (t) => `the ${t.kind.label} ${t.id} also serves ${t.sharedWith.join(", ")}`,
      );
      const optIn = options.restoring
        ? `Set allowSharedUpdate: true on ${current.phoneNumber} and run pulumi up before destroying it, or use onDelete: "retain".`
        : `Set allowSharedUpdate: true on ${current.phoneNumber} to proceed.`;
      throw new WebhookError(
        `Refusing to change webhooks shared with other numbers: ${described.join("; ")}. ` +
          `Every number on it would get the new webhooks. ${optIn}`,
        "conflict",
      );
    }
    for (const target of shared) this.claim(current.phoneNumber, target, changes, options.restoring ?? false);

    // The number is read again just before the first write: if it moved to another connection or
    // profile since it was read, writing the old one would change other numbers and not this one.
    let confirmed: Promise<void> | undefined;
    const confirmAssignments = () => (confirmed ??= this.confirmAssignments(current));
    return targets.map((t) => this.writeStep(t, changes, confirmAssignments));
  }

  /**
   * Two resources in one run that want different values for a field of the same shared object
   * would otherwise be settled by whichever write came last. A restore (delete) gives way to a
   * resource that still declares the field.
   */
  private claim(phoneNumber: string, target: WriteTarget, changes: WebhookChanges, restoring: boolean): void {
    for (const field of target.fields) {
      const key = `${target.kind.path}/${target.id}#${field}`;
      const value = changes[field] ?? null;
      const claim = this.claims.get(key);
      const others = claim ? [...claim.phoneNumbers].filter((n) => n !== phoneNumber) : [];
      if (claim && others.length && claim.value !== value) {
        if (restoring) {
          delete changes[field];
          continue;
        }
        throw new WebhookError(
          `Conflicting declarations for the shared ${target.kind.label} ${target.id}: ${others[0]} sets ${field} to ` +
            `${describeValue(claim.value)} and ${phoneNumber} sets it to ${describeValue(value)}. Every number on it shares one value: declare the same URL on both`,
          "conflict",
        );
      }
      if (restoring) continue;
      if (claim && claim.value === value) claim.phoneNumbers.add(phoneNumber);
      else this.claims.set(key, { value, phoneNumbers: new Set([phoneNumber]) });
    }
    target.fields = target.fields.filter((f) => f in changes);
  }

  /** Whether another number of this run declares `field` of this object with the value written. */
  private claimedByOthers(objectKey: string, field: WebhookField, changes: WebhookChanges): boolean {
    const claim = this.claims.get(`${objectKey}#${field}`);
    return !!claim && claim.value === (changes[field] ?? null) && claim.phoneNumbers.size > 1;
  }

  private writeStep(
    target: WriteTarget,
    changes: WebhookChanges,
    confirmAssignments: () => Promise<void>,
  ): WriteStep {
    const { kind, id, fields } = target;
    /** The values before our PATCH, once one was sent: a PATCH without an answer may have landed. */
    let before: Partial<WebhookSettings> | undefined;
    const key = `${kind.path}/${id}`;
    const patch = (
      values: WebhookChanges,
      beforeWriting: (current: Partial<WebhookSettings>) => Promise<void>,
    ) =>
      this.withObjectLock(key, async () => {
        // Read, modify, write: the PATCH must carry the required fields with their current values.
        // What this process itself wrote last (under this lock) is current; anything else is read again.
        const live = await this.readObject(kind, id, { fresh: !this.writtenHere.has(key) });
        const current = readFields(kind, live);
        // Another resource of this run may have just written the same value: one write is enough.
        if (fields.every((f) => (current[f] ?? null) === (values[f] ?? null)))
          return { current, written: pickFields(current, fields) };
        await beforeWriting(current);
        const body: TelnyxObject = Object.fromEntries(kind.required.map((f) => [f, live[f]]));
        for (const field of fields)
          body[kind.fields[field]!] = toTelnyxValue(kind, field, values[field] ?? null);
        const call = `update ${kind.path}/${id}`;
        let answer: unknown;
        try {
          answer = await this.call(call, () => this.client.patch(`/${kind.path}/${id}`, { body }));
        } catch (error) {
          // An error answer was not applied: there is nothing to undo.
          if (error instanceof CarrierError && error.status !== undefined) before = undefined;
          throw error;
        }
        const updated = checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
        this.objects.set(key, updated);
        this.writtenHere.add(key);
        return { current, written: pickFields(readFields(kind, updated), fields) };
      });
    return {
      target: `${kind.label} ${id}`,
      fields,
      sharedWith: target.sharedWith,
      write: async () => {
        if (fields.length === 0) return {};
        const { written } = await patch(changes, async (current) => {
          await confirmAssignments();
          before = pickFields(current, fields);
        });
        return written;
      },
      undo: async () => {
        if (!before) return;
        // A field another number of this run still declares with the value written stays as it is.
        const restore = Object.fromEntries(
          Object.entries(before).filter(
            ([field]) => !this.claimedByOthers(key, field as WebhookField, changes),
          ),
        ) as WebhookChanges;
        await patch({ ...changes, ...restore }, async () => undefined);
      },
    };
  }

  /** Fails when the number no longer points at the connection and profile it was read with. */
  private async confirmAssignments(current: CarrierNumber): Promise<void> {
    const id = current.ids.phoneNumberId;
    if (!id) return;
    const call = `get phone_numbers/${id}`;
    const fresh = parse(numberResponseSchema, await this.get(call, `/phone_numbers/${id}`), call).data;
    this.directory.update(fresh);
    const now = await this.assignments(fresh);
    const moved: string[] = [];
    if (now.connectionId !== (current.ids.connectionId ?? null))
      moved.push(`connection ${current.ids.connectionId ?? "none"} → ${now.connectionId ?? "none"}`);
    if (now.profileId !== (current.ids.messagingProfileId ?? null))
      moved.push(
        `messaging profile ${current.ids.messagingProfileId ?? "none"} → ${now.profileId ?? "none"}`,
      );
    if (moved.length)
      throw new WebhookError(
        `${current.phoneNumber} was moved while this update ran (${moved.join(", ")}); nothing was written. Run pulumi up again`,
        "conflict",
      );
  }

  /** The connection and messaging profile a number points at. */
  private async assignments(
    n: TelnyxNumber,
  ): Promise<{ connectionId: string | null; profileId: string | null }> {
    let profileId = usableId(n.messaging_profile_id);
    if (n.messaging_profile_id === "UNAVAILABLE") {
      const call = `get phone_numbers/${n.id}/messaging`;
      const settings = parse(
        messagingSettingsSchema,
        await this.get(call, `/phone_numbers/${n.id}/messaging`),
        call,
      );
      profileId = usableId(settings.data.messaging_profile_id);
    }
    return { connectionId: usableId(n.connection_id), profileId };
  }

  private async readVoiceObject(connectionId: string) {
    const recordType = await this.recordTypes.get(connectionId, async () => {
      const call = `get connections/${connectionId}`;
      return parse(connectionSchema, await this.get(call, `/connections/${connectionId}`), call).data
        .record_type;
    });
    const kind = VOICE_KINDS[recordType];
    return {
      recordType,
      kind: kind ?? NO_WEBHOOK_KIND,
      object: kind ? await this.readObject(kind, connectionId) : {},
    };
  }

  private readObject(kind: ObjectKind, id: string, options: { fresh?: boolean } = {}): Promise<TelnyxObject> {
    const key = `${kind.path}/${id}`;
    if (options.fresh) this.objects.delete(key);
    return this.objects.get(key, async () => {
      const call = `get ${key}`;
      const object = checkWebhookFields(
        kind,
        parse(objectSchema, await this.get(call, `/${key}`), call).data,
        call,
      );
      if (!this.firstRead.has(key)) this.firstRead.set(key, object);
      return object;
    });
  }

  /** Numbers on a connection: from the account listing when one is fresh, else every page of a filtered list. */
  private numbersOnConnection(connectionId: string): Promise<string[]> {
    const listing = this.directory.freshListing();
    if (listing) return Promise.resolve(numbersWhere(listing, (n) => n.connection_id === connectionId));
    return this.numbersOn.get(`connection/${connectionId}`, async () => {
      const call = `list phone_numbers on connection ${connectionId}`;
      const items = await this.listAll(call, "/phone_numbers", { "filter[connection_id]": connectionId });
      return items.map((n) => parse(numberSchema, n, call).phone_number);
    });
  }

  private numbersOnProfile(profileId: string): Promise<string[]> {
    const listing = this.directory.freshListing();
    // A listing that says "UNAVAILABLE" for some profile cannot answer this.
    if (listing && ![...listing.values()].some((n) => n.messaging_profile_id === "UNAVAILABLE"))
      return Promise.resolve(numbersWhere(listing, (n) => n.messaging_profile_id === profileId));
    return this.numbersOn.get(`profile/${profileId}`, async () => {
      const call = `list messaging_profiles/${profileId}/phone_numbers`;
      const items = await this.listAll(call, `/messaging_profiles/${profileId}/phone_numbers`, {});
      return items.map((n) => parse(z.object({ phone_number: z.string() }), n, call).phone_number);
    });
  }

  /** Every item of a paged list: Telnyx's default page holds 20, so reading one page is a bug. */
  private async listAll(call: string, path: string, query: Record<string, string>): Promise<unknown[]> {
    const items: unknown[] = [];
    for (let page = 1; ; page++) {
      const body = parse(
        listSchema,
        await this.get(call, path, {
          ...query,
          "page[number]": String(page),
          "page[size]": String(PAGE_SIZE),
        }),
        call,
      );
      items.push(...body.data);
      // Without a page count, read on until a page comes back short.
      const totalPages = body.meta?.total_pages;
      const last = totalPages === undefined ? body.data.length < PAGE_SIZE : page >= totalPages;
      if (last || body.data.length === 0) return items;
    }
  }

  private get(call: string, path: string, query?: Record<string, string>): Promise<unknown> {
    return this.call(call, () => this.client.get(path, query ? { query } : {}));
  }

  private async call<T>(call: string, run: () => PromiseLike<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toCarrierError(call, error);
    }
  }

  private async withObjectLock<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.objectLocks.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.objectLocks.set(key, settled);
    try {
      return await next;
    } finally {
      if (this.objectLocks.get(key) === settled) this.objectLocks.delete(key);
    }
  }
}

function numbersWhere(listing: Map<string, TelnyxNumber>, on: (n: TelnyxNumber) => boolean): string[] {
  return [...listing.values()].filter(on).map((n) => n.phone_number);
}

const NO_WEBHOOK_KIND: ObjectKind = {
  label: "connection",
  path: "connections",
  nameField: "",
  fields: {},
  required: [],
  empty: null,
};

function unsupported(kind: ObjectKind, fields: WebhookField[], changes: WebhookChanges): string[] {
  return fields
    .filter((f) => !kind.fields[f] && changes[f] !== null)
    .map((f) =>
      f === "smsMethod"
        ? SMS_METHOD_ON_TELNYX
        : `${f} is not supported on a Telnyx ${kind.label}; only TeXML applications have ${f === "voiceMethod" ? "a voice method" : "a status callback URL"}`,
    );
}

function readFields(kind: ObjectKind, object: TelnyxObject): Partial<WebhookSettings> {
  const out: Partial<WebhookSettings> = {};
  for (const [field, telnyxField] of Object.entries(kind.fields) as Array<[WebhookField, string]>) {
    out[field] =
      field === "voiceMethod" ? normalizeMethod(object[telnyxField]) : normalizeValue(object[telnyxField]);
  }
  return out;
}

function toTelnyxValue(kind: ObjectKind, field: WebhookField, value: string | null): string | null {
  if (value === null) return kind.empty;
  return field === "voiceMethod" ? value.toLowerCase() : value;
}

function pickFields(values: Partial<WebhookSettings>, fields: WebhookField[]): Partial<WebhookSettings> {
  return Object.fromEntries(fields.map((f) => [f, values[f] ?? null]));
}

function usableId(id: string | null | undefined): string | null {
  return id && id !== "UNAVAILABLE" ? id : null;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, call: string): T {
  return parseCarrierResponse("telnyx", call, schema, value);
}

/**
 * The object's webhook fields must be strings where present: reading another type as "unset"
 * would later "restore" an empty webhook.
 */
function checkWebhookFields(kind: ObjectKind, object: TelnyxObject, call: string): TelnyxObject {
  for (const telnyxField of Object.values(kind.fields)) {
    const value = object[telnyxField];
    if (value !== undefined && value !== null && typeof value !== "string")
      throw new CarrierError(
        "telnyx",
        call,
        undefined,
        `unexpected response: data.${telnyxField} is not a string`,
      );
  }
  return object;
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
