/**
 * Telnyx: webhooks are not per number. Voice webhooks live on the number's connection and SMS
 * webhooks on its messaging profile; every number on the same object shares them. Writes are
 * read-modify-write (the API requires some fields on every PATCH), serialised per object, and
 * refused on a shared object unless the user opted in. Reads are cached per process: the engine
 * refreshes many numbers on the same few objects at once.
 */
import { z } from "zod";
import { CarrierError, WebhookError } from "../../errors";
import { NumberDirectory, ReadCache } from "../../directory";
import type { RetryPolicy } from "../../retry";
import { UNSET_WEBHOOKS, type WebhookChanges, type WebhookField, type WebhookSettings } from "../../webhooks";
import type { Carrier, CarrierNumber, UnclearableFields, WriteOptions, WriteStep } from "../carrier";
import {
  connectionSchema,
  messagingSettingsSchema,
  numberResponseSchema,
  numberSchema,
  objectSchema,
  parse,
  TelnyxClient,
  type TelnyxNumber,
  type TelnyxSettings,
} from "./client";
import {
  checkWebhookFields,
  MESSAGING_PROFILE,
  NO_WEBHOOK_KIND,
  pickFields,
  readFields,
  requiredWebhookFields,
  toTelnyxValue,
  VOICE_KINDS,
  type ObjectKind,
  type TelnyxIds,
  type TelnyxObject,
} from "./kinds";
import { refuseSharedWithoutConsent, SharedClaims, writeTargets, type WriteTarget } from "./planning";

const CACHE_TTL_MS = 30_000;

type TelnyxCarrierNumber = CarrierNumber<TelnyxIds>;

export class TelnyxCarrier implements Carrier<TelnyxIds, "telnyx"> {
  readonly name = "telnyx";
  private readonly client: TelnyxClient;
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
  private readonly claims = new SharedClaims();

  constructor(settings: TelnyxSettings, retry: RetryPolicy) {
    this.client = new TelnyxClient(settings, retry);
    const call = "list phone_numbers";
    const parseNumbers = (items: unknown[]) => items.map((n) => parse(numberSchema, n, call));
    this.directory = new NumberDirectory({
      listAll: async () => parseNumbers(await this.client.listAll(call, "/phone_numbers", {})),
      // The filter takes digits only: "+1415..." matches nothing.
      listOne: async (phoneNumber) =>
        parseNumbers(
          await this.client.listAll(call, "/phone_numbers", {
            "filter[phone_number]": phoneNumber.replace(/\D/g, ""),
          }),
        ),
      phoneNumberOf: (n) => n.phone_number,
    });
  }

  /** Always reads: a write needs the object's required fields and the number's current assignments. */
  async find(phoneNumber: string): Promise<TelnyxCarrierNumber | undefined> {
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

  unclearableFields(current: TelnyxCarrierNumber): UnclearableFields {
    const { connectionType } = current.ids;
    return {
      fields: requiredWebhookFields(connectionType),
      holder: (connectionType ?? "connection").replace(/_/g, " "),
    };
  }

  async planWrites(
    current: TelnyxCarrierNumber,
    changes: WebhookChanges,
    options: WriteOptions,
  ): Promise<WriteStep[]> {
    const targets = await writeTargets(current, changes, {
      connection: (id) => this.numbersOnConnection(id),
      profile: (id) => this.numbersOnProfile(id),
    });
    refuseSharedWithoutConsent(current.phoneNumber, targets, options);
    const restoring = options.restoring ?? false;
    const claimed = targets.map((t) => ({
      ...t,
      fields: this.claims.claim(current.phoneNumber, t, changes, restoring),
    }));

    // The number is read again just before the first write: if it moved to another connection or
    // profile since it was read, writing the old one would change other numbers and not this one.
    let confirmed: Promise<void> | undefined;
    const confirmAssignments = () => (confirmed ??= this.confirmAssignments(current));
    return claimed.map((t) => this.writeStep(t, changes, confirmAssignments));
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
          answer = await this.client.patch(call, `/${kind.path}/${id}`, body);
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
            ([field]) =>
              !this.claims.claimedByOthers(
                kind,
                id,
                field as WebhookField,
                changes[field as WebhookField] ?? null,
              ),
          ),
        ) as WebhookChanges;
        await patch({ ...changes, ...restore }, async () => undefined);
      },
    };
  }

  /** Fails when the number no longer points at the connection and profile it was read with. */
  private async confirmAssignments(current: TelnyxCarrierNumber): Promise<void> {
    const id = current.ids.phoneNumberId;
    if (!id) return;
    const call = `get phone_numbers/${id}`;
    const fresh = parse(numberResponseSchema, await this.client.get(call, `/phone_numbers/${id}`), call).data;
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
        await this.client.get(call, `/phone_numbers/${n.id}/messaging`),
        call,
      );
      profileId = usableId(settings.data.messaging_profile_id);
    }
    return { connectionId: usableId(n.connection_id), profileId };
  }

  private async readVoiceObject(connectionId: string) {
    const recordType = await this.recordTypes.get(connectionId, async () => {
      const call = `get connections/${connectionId}`;
      return parse(connectionSchema, await this.client.get(call, `/connections/${connectionId}`), call).data
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
        parse(objectSchema, await this.client.get(call, `/${key}`), call).data,
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
      const items = await this.client.listAll(call, "/phone_numbers", {
        "filter[connection_id]": connectionId,
      });
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
      const items = await this.client.listAll(call, `/messaging_profiles/${profileId}/phone_numbers`, {});
      return items.map((n) => parse(z.object({ phone_number: z.string() }), n, call).phone_number);
    });
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

function usableId(id: string | null | undefined): string | null {
  return id && id !== "UNAVAILABLE" ? id : null;
}
