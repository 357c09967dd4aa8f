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
import {
  isVoiceField,
  UNSET_WEBHOOKS,
  WEBHOOK_FIELDS,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "../../webhooks";
import {
  parseSelector,
  type Carrier,
  type CarrierNumber,
  type Isolation,
  type NumberMove,
  type Selector,
  type UnclearableFields,
  type WriteOptions,
  type WriteStep,
} from "../carrier";
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
  copyBody,
  kindOfRecordType,
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
import { TELNYX_SELECTORS } from "./selectors";
import { refuseSharedWithoutConsent, SharedClaims, writeTargets, type WriteTarget } from "./planning";

const CACHE_TTL_MS = 30_000;

type TelnyxCarrierNumber = CarrierNumber<TelnyxIds>;

/** A group's copy of a shared object, and whether this process made it (its undo may delete it). */
interface GroupCopy {
  copy: TelnyxObject;
  made: boolean;
}

/** A group: the members of a set, and the label its copies are named after. */
type GroupOf = { label: string; members: ReadonlySet<string> };

/** What an isolation step moves, from where, and with which values. */
interface IsolationPlan {
  holds: Isolation["holds"];
  kind: ObjectKind;
  /** The object the copy is made from: the one the number is on. */
  sourceId: string;
  /** The shared object the number was first isolated from (recorded in the `Isolation`). */
  originalId: string;
  /** A copy made before, re-used while it exists and nobody else is on it. */
  reuseId?: string;
  fields: WebhookField[];
  values: WebhookChanges;
  sharedWith: string[];
  confirm: () => Promise<void>;
  onCopyMade?: (isolation: Isolation) => Promise<void>;
  /** The number is a member of this group: it goes onto the group's one copy. */
  group?: GroupOf;
}

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
  /** Each number as this process last saw it: a move updates the directory from it. */
  private readonly known = new Map<string, TelnyxNumber>();
  /**
   * Numbers this process moved, as the carrier answered the move: their assignments are known
   * without asking again (reading one back after a move costs no call).
   */
  private readonly movedHere = new Set<string>();
  /**
   * The copy a group is given of one shared object, by group, kind and original: its first member
   * to need it makes (or re-uses) it and the others wait for the same one.
   */
  private readonly groupCopies = new Map<string, Promise<GroupCopy>>();
  /** Objects this process deleted: a second member leaving a group's copy does not delete it again. */
  private readonly deletedHere = new Set<string>();

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
    const found = this.movedHere.has(phoneNumber)
      ? this.known.get(phoneNumber)
      : await this.directory.find(phoneNumber);
    if (!found) return undefined;
    this.known.set(phoneNumber, found);
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

  /**
   * One listing of the account (shared with `find`). A connection or messaging profile the selector
   * names is read too, so that a mistyped id fails instead of selecting nothing; the finds of its
   * members read the same objects, from the cache. Telnyx has no subaccounts: no `account`.
   */
  async select(selector: Selector): Promise<string[]> {
    const { tag, connectionId, messagingProfileId } = parseSelector("telnyx", TELNYX_SELECTORS, selector);
    const [listing] = await Promise.all([
      this.directory.all(),
      connectionId === undefined
        ? undefined
        : selected("connectionId", `connection ${connectionId}`, () => this.readVoiceObject(connectionId)),
      messagingProfileId === undefined
        ? undefined
        : selected("messagingProfileId", `messaging profile ${messagingProfileId}`, () =>
            this.readObject(MESSAGING_PROFILE, messagingProfileId),
          ),
    ]);
    // Read once the listing is fresh: it answers, unless it says "UNAVAILABLE" for some number's profile.
    const onProfile =
      messagingProfileId === undefined ? undefined : new Set(await this.numbersOnProfile(messagingProfileId));
    return [...listing.values()]
      .filter(
        (n) =>
          (tag === undefined || (n.tags ?? []).includes(tag)) &&
          (connectionId === undefined || n.connection_id === connectionId) &&
          (onProfile === undefined || onProfile.has(n.phone_number)),
      )
      .map((n) => n.phone_number)
      .sort();
  }

  holders(current: Pick<TelnyxCarrierNumber, "ids">): Partial<Record<WebhookField, string>> {
    // Voice settings live on the connection, SMS settings on the messaging profile.
    const { connectionId, messagingProfileId } = current.ids;
    const holders: Partial<Record<WebhookField, string>> = {};
    for (const field of WEBHOOK_FIELDS) {
      const id = isVoiceField(field)
        ? connectionId && `connection/${connectionId}`
        : messagingProfileId && `profile/${messagingProfileId}`;
      if (id) holders[field] = id;
    }
    return holders;
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
    const restoring = options.restoring ?? false;
    const isolated = options.isolated ?? [];
    const holderId = (holds: Isolation["holds"]) =>
      holds === "voice" ? current.ids.connectionId : current.ids.messagingProfileId;
    const onOwnCopy = (i: Isolation) => holderId(i.holds) === i.copyId;
    // Restoring a holder this resource isolated is moving the number back: its fields are not written.
    const returning = restoring ? isolated : [];
    // Isolating again a holder whose number left its copy (moved back, or the copy deleted).
    const reisolating = !restoring && options.isolate ? isolated.filter((i) => !onOwnCopy(i)) : [];
    const holderOf = (field: WebhookField): Isolation["holds"] => (isVoiceField(field) ? "voice" : "sms");
    const plain: WebhookChanges = {};
    const again = new Map<Isolation, WebhookChanges>();
    for (const [field, value] of Object.entries(changes) as Array<[WebhookField, string | null]>) {
      const holds = holderOf(field);
      if (returning.some((i) => i.holds === holds)) continue;
      const redo = reisolating.find((i) => i.holds === holds);
      if (redo) again.set(redo, { ...again.get(redo), [field]: value });
      else plain[field] = value;
    }

    let targets = Object.keys(plain).length
      ? await writeTargets(current, plain, {
          connection: (id) => this.numbersOnConnection(id),
          profile: (id) => this.numbersOnProfile(id),
        })
      : [];
    const group = options.group;
    // A number leaving a set gives way to the members that stay on the same object: its fields
    // there are the members' webhooks too, so they keep the set's values.
    const leavingNotes: string[] = [];
    if (restoring && group && !group.members.has(current.phoneNumber))
      targets = targets.filter((t) => {
        const staying = t.sharedWith.filter((n) => group.members.has(n));
        if (staying.length)
          leavingNotes.push(
            `${current.phoneNumber} left ${group.label} but stays on the ${t.kind.label} ${t.id} with ${staying.length} of its members: ${t.fields.join(", ")} keep the set's values`,
          );
        return staying.length === 0;
      });
    // A group's members are not "other numbers": only those outside it make an object shared.
    const outsiders = (t: WriteTarget): WriteTarget =>
      group ? { ...t, sharedWith: t.sharedWith.filter((n) => !group.members.has(n)) } : t;
    // The number is on a copy made for it, or (a member) on its group's copy.
    const ownCopy = (t: WriteTarget) =>
      isolated.some((i) => i.copyId === t.id && onOwnCopy(i)) ||
      (group?.copies.some((i) => i.copyId === t.id) ?? false);
    const toIsolate: WriteTarget[] = [];
    const inPlace: WriteTarget[] = [];
    for (const t of targets) {
      if (options.isolate && !t.kind.copy)
        throw new WebhookError(
          `onShared: "isolate" cannot give ${current.phoneNumber} its own ${t.kind.label} (${t.id}): copying a SIP connection would split your SIP registration and authentication (credentials, IP addresses or FQDNs) between two connections. ` +
            `Move the number to a Call Control or TeXML application in the Telnyx portal, or use onShared: "update" (every number on it gets the webhooks) or "refuse"`,
          "invalid",
        );
      if (options.isolate && outsiders(t).sharedWith.length > 0 && !ownCopy(t)) toIsolate.push(t);
      else inPlace.push(t);
    }
    refuseSharedWithoutConsent(
      current.phoneNumber,
      inPlace.filter((t) => !ownCopy(t)).map(outsiders),
      options,
    );
    // Members on one object (the original, or the group's copy) claim its fields like any two
    // resources of a run: equal values are written once, different ones fail naming them all.
    const claimed = inPlace.map((t) => ({
      ...t,
      fields:
        ownCopy(t) && !group
          ? t.fields
          : this.claims.claim(
              current.phoneNumber,
              t,
              plain,
              restoring,
              group && { label: group.label, object: `the ${t.kind.label} ${t.id} they share` },
            ),
    }));

    // The number is read again just before the first write: if it moved to another connection or
    // profile since it was read, writing the old one would change other numbers and not this one.
    let confirmed: Promise<void> | undefined;
    const confirmAssignments = () => (confirmed ??= this.confirmAssignments(current));
    const steps = claimed.map((t) => {
      const step = this.writeStep(current.phoneNumber, t, plain, confirmAssignments);
      if (options.isolate && t.sharedWith.length === 0 && !ownCopy(t))
        step.note = () => `the ${t.kind.label} ${t.id} serves only ${current.phoneNumber}: written in place`;
      return step;
    });
    if (leavingNotes.length)
      steps.push({
        target: `the objects ${current.phoneNumber} shares with ${group!.label}`,
        fields: [],
        sharedWith: [],
        write: async () => ({}),
        undo: async () => undefined,
        note: () => leavingNotes.join("; "),
      });
    for (const t of toIsolate) {
      const holds = t.kind === MESSAGING_PROFILE ? "sms" : "voice";
      // A member joining later goes onto the copy its group made before.
      const earlier = group?.copies.find((i) => i.holds === holds && i.originalId === t.id);
      if (group)
        this.claims.claim(
          current.phoneNumber,
          { ...t, id: earlier?.copyId ?? `${t.id} (${group.label})` },
          plain,
          false,
          { label: group.label, object: `the copy of ${t.kind.label} ${t.id} made for ${group.label}` },
        );
      steps.push(
        this.isolationStep(current, {
          holds,
          kind: t.kind,
          sourceId: t.id,
          originalId: t.id,
          reuseId: earlier?.copyId,
          fields: t.fields,
          values: plain,
          sharedWith: t.sharedWith,
          confirm: confirmAssignments,
          onCopyMade: options.onCopyMade,
          group,
        }),
      );
    }
    for (const [i, values] of again) {
      const sourceId = holderId(i.holds) ?? i.originalId;
      const kind =
        i.holds === "voice" && current.ids.connectionId
          ? VOICE_KINDS[current.ids.connectionType ?? ""]
          : kindOfRecordType(i.objectType);
      if (!kind?.copy)
        throw new WebhookError(
          `${current.phoneNumber} left its own ${i.objectType.replace(/_/g, " ")} ${i.copyId} for a connection that cannot be copied; move it back in the Telnyx portal`,
          "invalid",
        );
      const fields = Object.keys(values) as WebhookField[];
      // A member going back onto its group's copy claims its fields like the members on it.
      if (group)
        this.claims.claim(
          current.phoneNumber,
          { kind, id: i.copyId, fields, sharedWith: [] },
          values,
          false,
          {
            label: group.label,
            object: `the copy of ${kind.label} ${i.originalId} made for ${group.label}`,
          },
        );
      steps.push(
        this.isolationStep(current, {
          holds: i.holds,
          kind,
          sourceId,
          originalId: i.originalId,
          reuseId: i.copyId,
          fields,
          values,
          sharedWith: [],
          confirm: confirmAssignments,
          onCopyMade: options.onCopyMade,
          group,
        }),
      );
    }
    steps.push(...this.returnSteps(current, returning, confirmAssignments, group?.members));
    return steps;
  }

  /**
   * Gives the number its own copy of a shared object: makes the copy (or, after drift, re-uses the
   * one made before while nobody else is on it) with this resource's webhooks, then moves the
   * number onto it; the number's answer is the verification. Undo moves it back and deletes a copy
   * this step made.
   */
  private isolationStep(current: TelnyxCarrierNumber, plan: IsolationPlan): WriteStep {
    if (plan.group) return this.groupIsolationStep(current, { ...plan, group: plan.group });
    const { holds, kind, sourceId, originalId, fields, values } = plan;
    const phoneNumber = current.phoneNumber;
    const from = holds === "voice" ? current.ids.connectionId : current.ids.messagingProfileId;
    /** A copy this step created: its undo deletes it. */
    let made: string | undefined;
    /** The move may have landed (sent, and not refused). */
    let moveSent = false;
    let move: NumberMove | undefined;
    return {
      target: `${kind.label} ${sourceId} (a copy for ${phoneNumber})`,
      fields,
      sharedWith: [],
      write: async () => {
        await plan.confirm();
        let copy = plan.reuseId
          ? await this.reusableCopy(kind, plan.reuseId, phoneNumber, values)
          : undefined;
        if (!copy) {
          const source = await this.readObject(kind, sourceId, { fresh: true });
          const call = `create ${kind.path}`;
          const answer = await this.client.post(
            call,
            `/${kind.path}`,
            copyBody(kind, source, phoneNumber, values),
          );
          copy = checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
          if (typeof copy.id !== "string")
            throw new CarrierError("telnyx", call, undefined, "unexpected response: data.id is missing");
          made = copy.id;
        }
        const copyId = String(copy.id);
        const isolation: Isolation = { holds, objectType: kind.copy!.record_type, originalId, copyId };
        await plan.onCopyMade?.(isolation);
        this.objects.set(`${kind.path}/${copyId}`, copy);
        this.writtenHere.add(`${kind.path}/${copyId}`);
        if (holds === "voice") this.recordTypes.set(copyId, kind.copy!.record_type);
        moveSent = true;
        await this.moveNumber(current, holds, copyId, () => (moveSent = false), "copy");
        move = { direction: "isolated", isolation };
        return pickFields(readFields(kind, copy), fields);
      },
      undo: async () => {
        if (moveSent) await this.moveNumber(current, holds, from, () => undefined);
        moveSent = false;
        if (made) await this.deleteCopy(kind, made);
        made = undefined;
      },
      moved: () => move,
    };
  }

  /**
   * Moves a member of a group onto the group's copy of a shared object: the first member to need
   * it makes it (or re-uses the one recorded, while only members are on it), the others wait for
   * that one. Each member then writes its fields on the copy (once: equal values are not written
   * again) and moves. Undo moves the member back; the last member to leave a copy made in this
   * run deletes it.
   */
  private groupIsolationStep(
    current: TelnyxCarrierNumber,
    plan: IsolationPlan & { group: GroupOf },
  ): WriteStep {
    const { holds, kind, originalId, fields, values, group } = plan;
    const from = holds === "voice" ? current.ids.connectionId : current.ids.messagingProfileId;
    let got: GroupCopy | undefined;
    let moveSent = false;
    let move: NumberMove | undefined;
    return {
      target: `${kind.label} ${plan.sourceId} (the copy for ${group.label})`,
      fields,
      sharedWith: [],
      write: async () => {
        await plan.confirm();
        got = await this.groupCopy(kind, group, originalId, plan.sourceId, plan.reuseId, values);
        const copyId = String(got.copy.id);
        const isolation: Isolation = { holds, objectType: kind.copy!.record_type, originalId, copyId };
        await plan.onCopyMade?.(isolation);
        if (holds === "voice") this.recordTypes.set(copyId, kind.copy!.record_type);
        const { written } = await this.patchFields(kind, copyId, fields, values, async () => undefined);
        moveSent = true;
        await this.moveNumber(current, holds, copyId, () => (moveSent = false), "copy");
        move = { direction: "isolated", isolation };
        return written;
      },
      undo: async () => {
        if (moveSent) await this.moveNumber(current, holds, from, () => undefined);
        moveSent = false;
        if (!got?.made) return;
        const { deleted } = await this.leaveCopy(kind, String(got.copy.id));
        // Gone: a member of a later attempt of this run makes a new one.
        if (deleted) this.groupCopies.delete(groupCopyKey(group, kind, originalId));
      },
      moved: () => move,
    };
  }

  /** The group's copy of `originalId`: one per group, kind and original, however many members ask. */
  private groupCopy(
    kind: ObjectKind,
    group: GroupOf,
    originalId: string,
    sourceId: string,
    reuseId: string | undefined,
    values: WebhookChanges,
  ): Promise<GroupCopy> {
    const key = groupCopyKey(group, kind, originalId);
    const known = this.groupCopies.get(key);
    if (known) return known;
    const making = (async (): Promise<GroupCopy> => {
      const reused = reuseId ? await this.reusableGroupCopy(kind, reuseId, group.members) : undefined;
      if (reused) return { copy: reused, made: false };
      const source = await this.readObject(kind, sourceId, { fresh: true });
      const call = `create ${kind.path}`;
      const answer = await this.client.post(
        call,
        `/${kind.path}`,
        copyBody(kind, source, group.label, values),
      );
      const copy = checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
      if (typeof copy.id !== "string")
        throw new CarrierError("telnyx", call, undefined, "unexpected response: data.id is missing");
      this.objects.set(`${kind.path}/${copy.id}`, copy);
      this.writtenHere.add(`${kind.path}/${copy.id}`);
      // An id deleted earlier in this process and given again (the sandbox derives ids from names).
      this.deletedHere.delete(`${kind.path}/${copy.id}`);
      this.numbersOn.set(`${numbersOnKey(kind)}/${copy.id}`, []);
      return { copy, made: true };
    })();
    this.groupCopies.set(key, making);
    // A failure is not remembered: a later attempt of the run tries again.
    making.catch(() => {
      if (this.groupCopies.get(key) === making) this.groupCopies.delete(key);
    });
    return making;
  }

  /** The group's copy made before, when it still exists and only members are on it. */
  private async reusableGroupCopy(
    kind: ObjectKind,
    copyId: string,
    members: ReadonlySet<string>,
  ): Promise<TelnyxObject | undefined> {
    const key = `${kind.path}/${copyId}`;
    let copy: TelnyxObject;
    try {
      copy = await this.readObject(kind, copyId, { fresh: !this.writtenHere.has(key) });
    } catch (error) {
      if (error instanceof CarrierError && error.status === 404) return undefined;
      throw error;
    }
    const on = await this.numbersOnFresh(kind, copyId);
    if (on === undefined || on.some((n) => !members.has(n))) return undefined;
    // Who is on it now: each member's move then adds itself.
    this.numbersOn.set(`${numbersOnKey(kind)}/${copyId}`, on);
    return copy;
  }

  /**
   * A member has left a group's copy: deletes it when no number is left on it. Checked and deleted
   * under one lock per copy, so that two members leaving at once do not both delete it. Says
   * whether this call deleted it, and who is still on it.
   */
  private leaveCopy(kind: ObjectKind, copyId: string): Promise<{ deleted: boolean; on: string[] }> {
    const key = `${kind.path}/${copyId}`;
    return this.withObjectLock(`leave ${key}`, async () => {
      if (this.deletedHere.has(key)) return { deleted: false, on: [] };
      const on = await this.numbersOnFresh(kind, copyId);
      if (on === undefined) return { deleted: false, on: [] }; // gone already
      if (on.length) return { deleted: false, on };
      await this.deleteObject(kind, copyId);
      return { deleted: true, on: [] };
    });
  }

  /**
   * Restoring an isolated number: one step per copy moves the number back onto the object it came
   * from (undo: onto the copy again), then one step deletes the copies, once every move has
   * succeeded and after checking who is on each: a copy other numbers were put on meanwhile stays,
   * and the note says so. A number moved elsewhere in the portal is left where it is.
   */
  private returnSteps(
    current: TelnyxCarrierNumber,
    isolated: Isolation[],
    confirm: () => Promise<void>,
    members?: ReadonlySet<string>,
  ): WriteStep[] {
    const kindOf = (i: Isolation) => kindOfRecordType(i.objectType) ?? MESSAGING_PROFILE;
    const moves: WriteStep[] = isolated.map((isolation) => {
      const { holds, copyId, originalId } = isolation;
      const kind = kindOf(isolation);
      const on = holds === "voice" ? current.ids.connectionId : current.ids.messagingProfileId;
      let movedBack = false;
      return {
        target: `${kind.label} ${copyId} (made for ${current.phoneNumber})`,
        fields: [],
        sharedWith: [],
        write: async () => {
          await confirm();
          if (on !== copyId) return {};
          movedBack = true;
          await this.moveNumber(current, holds, originalId, () => (movedBack = false));
          return {};
        },
        undo: async () => {
          if (movedBack) await this.moveNumber(current, holds, copyId, () => undefined);
          movedBack = false;
        },
        moved: () => ({ direction: "returned", isolation }),
      };
    });
    const notes: string[] = [];
    if (members && isolated.length) return [...moves, this.groupDeletionStep(current, isolated, members)];
    const deletion: WriteStep = {
      target: `the copies made for ${current.phoneNumber}`,
      fields: [],
      sharedWith: [],
      write: async () => {
        // Who is on each copy, for all of them before deleting any: a refusal then deletes nothing.
        // One after another: a failure then names the call that failed first.
        const users: Array<string[] | undefined> = [];
        for (const i of isolated) users.push(await this.numbersOnFresh(kindOf(i), i.copyId));
        for (const [index, i] of isolated.entries()) {
          const kind = kindOf(i);
          const on = users[index];
          if (on === undefined) continue; // deleted already (in the portal, or by an earlier run)
          if (on.length) {
            notes.push(
              `${current.phoneNumber} is back on ${kind.label} ${i.originalId}; the copy made for it, ${i.copyId}, was left in place: ${on.join(", ")} ${on.length > 1 ? "use" : "uses"} it now`,
            );
            continue;
          }
          await this.deleteObject(kind, i.copyId);
          notes.push(
            `${current.phoneNumber} is back on ${kind.label} ${i.originalId}; its copy ${i.copyId} was deleted`,
          );
        }
        return {};
      },
      // A deleted copy cannot come back: this step runs last, after every move has succeeded.
      undo: async () => undefined,
      note: () => (notes.length ? notes.join("; ") : undefined),
    };
    return isolated.length ? [...moves, deletion] : [];
  }

  /**
   * Restoring a member of a group: after its moves back, each of its group's copies is deleted if
   * it was the last number on it. Other members still on a copy is the normal case, not noted; a
   * number outside the group on it is (the copy stays).
   */
  private groupDeletionStep(
    current: TelnyxCarrierNumber,
    isolated: Isolation[],
    members: ReadonlySet<string>,
  ): WriteStep {
    const notes: string[] = [];
    return {
      target: `the group copies ${current.phoneNumber} was on`,
      fields: [],
      sharedWith: [],
      write: async () => {
        // One after another: a failure then names the call that failed first.
        for (const i of isolated) {
          const kind = kindOfRecordType(i.objectType) ?? MESSAGING_PROFILE;
          const { deleted, on } = await this.leaveCopy(kind, i.copyId);
          const outside = on.filter((n) => !members.has(n));
          if (deleted)
            notes.push(
              `${current.phoneNumber} is back on ${kind.label} ${i.originalId}; the copy ${i.copyId} was deleted: no number is left on it`,
            );
          else if (outside.length)
            notes.push(
              `${current.phoneNumber} is back on ${kind.label} ${i.originalId}; the copy ${i.copyId} was left in place: ${outside.join(", ")} ${outside.length > 1 ? "use" : "uses"} it now`,
            );
        }
        return {};
      },
      // A deleted copy cannot come back: this step runs last, after every move has succeeded.
      undo: async () => undefined,
      note: () => (notes.length ? notes.join("; ") : undefined),
    };
  }

  /** The copy made before, patched with `values`, when it still exists and nobody else is on it. */
  private async reusableCopy(
    kind: ObjectKind,
    copyId: string,
    phoneNumber: string,
    values: WebhookChanges,
  ): Promise<TelnyxObject | undefined> {
    let copy: TelnyxObject;
    try {
      copy = await this.readObject(kind, copyId, { fresh: true });
    } catch (error) {
      if (error instanceof CarrierError && error.status === 404) return undefined;
      throw error;
    }
    const on = await this.numbersOnFresh(kind, copyId);
    if (on === undefined || on.some((n) => n !== phoneNumber)) return undefined;
    const body: TelnyxObject = Object.fromEntries(kind.required.map((f) => [f, copy[f]]));
    for (const [field, value] of Object.entries(values) as Array<[WebhookField, string | null]>)
      if (kind.fields[field]) body[kind.fields[field]] = toTelnyxValue(kind, field, value ?? null);
    const call = `update ${kind.path}/${copyId}`;
    const answer = await this.client.patch(call, `/${kind.path}/${copyId}`, body);
    return checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
  }

  /**
   * Points the number's connection (voice) or messaging profile (SMS) at `to`, and checks the
   * answer says so. `refused` runs when the carrier answered with an error: nothing moved.
   */
  private async moveNumber(
    current: TelnyxCarrierNumber,
    holds: Isolation["holds"],
    to: string | null,
    refused: () => void,
    onto: "copy" | "original" = "original",
  ): Promise<void> {
    const id = current.ids.phoneNumberId!;
    const voice = holds === "voice";
    const path = voice ? `/phone_numbers/${id}` : `/phone_numbers/${id}/messaging`;
    const call = `update ${path.slice(1)}`;
    const body = voice ? { connection_id: to ?? "" } : { messaging_profile_id: to ?? "" };
    let answer: unknown;
    try {
      answer = await this.client.patch(call, path, body);
    } catch (error) {
      if (error instanceof CarrierError && error.status !== undefined) refused();
      throw error;
    }
    const now = voice
      ? usableId(parse(numberResponseSchema, answer, call).data.connection_id)
      : usableId(parse(messagingSettingsSchema, answer, call).data.messaging_profile_id);
    if (now !== to)
      throw new WebhookError(
        `Verification failed: ${current.phoneNumber} reads back on ${voice ? "connection" : "messaging profile"} ${now ?? "none"} instead of ${to ?? "none"}`,
        "carrier",
      );
    // Keep the cached view true: the number's assignment, and who is on the objects involved.
    const known = this.known.get(current.phoneNumber);
    const before = known ? usableId(voice ? known.connection_id : known.messaging_profile_id) : undefined;
    if (known) {
      const updated = voice ? { ...known, connection_id: to } : { ...known, messaging_profile_id: to };
      this.known.set(current.phoneNumber, updated);
      this.movedHere.add(current.phoneNumber);
      this.directory.update(updated);
    }
    await this.moveInCache(
      voice ? "connection" : "profile",
      before,
      to,
      current.phoneNumber,
      onto === "copy",
    );
  }

  /** Who is on which object, kept true across a move this process made. */
  private async moveInCache(
    kind: "connection" | "profile",
    from: string | null | undefined,
    to: string | null,
    phoneNumber: string,
    ours: boolean,
  ): Promise<void> {
    // Serialised: members moving onto one copy at once would otherwise each add themselves to the
    // same old list, and all but one would be lost.
    await this.withObjectLock("numbers on objects", () =>
      this.moveInCacheNow(kind, from, to, phoneNumber, ours),
    );
  }

  private async moveInCacheNow(
    kind: "connection" | "profile",
    from: string | null | undefined,
    to: string | null,
    phoneNumber: string,
    ours: boolean,
  ): Promise<void> {
    const cached = async (id: string) => {
      const entry = this.numbersOn.peek(`${kind}/${id}`);
      return entry ? await entry.catch(() => undefined) : undefined;
    };
    if (from && from !== to) {
      const on = await cached(from);
      if (on)
        this.numbersOn.set(
          `${kind}/${from}`,
          on.filter((n) => n !== phoneNumber),
        );
    }
    if (to) {
      // A copy this package made (or checked to be unused) has this number only; another object
      // not read yet stays unknown.
      const on = (await cached(to)) ?? (ours ? [] : undefined);
      if (on) this.numbersOn.set(`${kind}/${to}`, [...on.filter((n) => n !== phoneNumber), phoneNumber]);
    }
  }

  /**
   * Deletes a copy this package made, unless numbers are on it (someone put them there): returns
   * them, and leaves it. Already gone is fine.
   */
  private async deleteCopy(kind: ObjectKind, copyId: string): Promise<string[]> {
    const on = await this.numbersOnFresh(kind, copyId);
    if (on === undefined) return []; // gone already
    if (on.length) return on;
    await this.deleteObject(kind, copyId);
    return [];
  }

  /** DELETE of an object this package made (never a number); gone already counts as done. */
  private async deleteObject(kind: ObjectKind, id: string): Promise<void> {
    const call = `delete ${kind.path}/${id}`;
    try {
      await this.client.delete(call, `/${kind.path}/${id}`);
    } catch (error) {
      if (!(error instanceof CarrierError && error.status === 404)) throw error;
    }
    this.objects.delete(`${kind.path}/${id}`);
    this.deletedHere.add(`${kind.path}/${id}`);
  }

  /** Numbers on an object read now (not from a cache), or `undefined` when the object is gone. */
  private async numbersOnFresh(kind: ObjectKind, id: string): Promise<string[] | undefined> {
    if (kind === MESSAGING_PROFILE) {
      const call = `list messaging_profiles/${id}/phone_numbers`;
      try {
        const items = await this.client.listAll(call, `/messaging_profiles/${id}/phone_numbers`, {});
        return items.map((n) => parse(z.object({ phone_number: z.string() }), n, call).phone_number);
      } catch (error) {
        if (error instanceof CarrierError && error.status === 404) return undefined;
        throw error;
      }
    }
    const call = `list phone_numbers on connection ${id}`;
    const items = await this.client.listAll(call, "/phone_numbers", { "filter[connection_id]": id });
    return items.map((n) => parse(numberSchema, n, call).phone_number);
  }

  private writeStep(
    phoneNumber: string,
    target: WriteTarget,
    changes: WebhookChanges,
    confirmAssignments: () => Promise<void>,
  ): WriteStep {
    const { kind, id, fields } = target;
    /** The values before our PATCH, once one was sent: a PATCH without an answer may have landed. */
    let before: Partial<WebhookSettings> | undefined;
    const patch = (
      values: WebhookChanges,
      beforeWriting: (current: Partial<WebhookSettings>) => Promise<void>,
    ) =>
      // An error answer was not applied: there is nothing to undo.
      this.patchFields(kind, id, fields, values, beforeWriting, () => (before = undefined));
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
        // Undone, the number no longer declares these fields: another number's later write of
        // the same values must not count it (it would leave that write in place on its undo).
        this.claims.release(phoneNumber, kind, id, fields);
        if (!before) return;
        // A field another number of this run still declares with the value written stays as it is.
        const restore = Object.fromEntries(
          Object.entries(before).filter(
            ([field]) =>
              !this.claims.claimedByOthers(
                phoneNumber,
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

  /**
   * Read, modify, write of `fields` on one object, serialised per object. Writes nothing when the
   * object holds `values` already (another resource of this run wrote them). `refused` runs when
   * the carrier answered the PATCH with an error: it was not applied.
   */
  private patchFields(
    kind: ObjectKind,
    id: string,
    fields: WebhookField[],
    values: WebhookChanges,
    beforeWriting: (current: Partial<WebhookSettings>) => Promise<void>,
    refused: () => void = () => undefined,
  ): Promise<{ current: Partial<WebhookSettings>; written: Partial<WebhookSettings> }> {
    const key = `${kind.path}/${id}`;
    return this.withObjectLock(key, async () => {
      // The PATCH must carry the required fields with their current values. What this process
      // itself wrote last (under this lock) is current; anything else is read again.
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
        if (error instanceof CarrierError && error.status !== undefined) refused();
        throw error;
      }
      const updated = checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
      this.objects.set(key, updated);
      this.writtenHere.add(key);
      return { current, written: pickFields(readFields(kind, updated), fields) };
    });
  }

  /** Fails when the number no longer points at the connection and profile it was read with. */
  private async confirmAssignments(current: TelnyxCarrierNumber): Promise<void> {
    const id = current.ids.phoneNumberId;
    if (!id) return;
    const call = `get phone_numbers/${id}`;
    const fresh = parse(numberResponseSchema, await this.client.get(call, `/phone_numbers/${id}`), call).data;
    this.directory.update(fresh);
    this.known.set(current.phoneNumber, fresh);
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

/** Reads the object a selector names; one the carrier answers 404 for is named by the key. */
async function selected(key: string, what: string, read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (error instanceof CarrierError && error.status === 404)
      throw new WebhookError(
        `select.${key}: the Telnyx account has no ${what} (${error.call}: HTTP 404)`,
        "not-found",
      );
    throw error;
  }
}

function groupCopyKey(group: GroupOf, kind: ObjectKind, originalId: string): string {
  return `${group.label}\u0000${kind.path}/${originalId}`;
}

/** The key part of `numbersOn` entries for objects of this kind. */
function numbersOnKey(kind: ObjectKind): "connection" | "profile" {
  return kind === MESSAGING_PROFILE ? "profile" : "connection";
}

function numbersWhere(listing: Map<string, TelnyxNumber>, on: (n: TelnyxNumber) => boolean): string[] {
  return [...listing.values()].filter(on).map((n) => n.phone_number);
}

function usableId(id: string | null | undefined): string | null {
  return id && id !== "UNAVAILABLE" ? id : null;
}
