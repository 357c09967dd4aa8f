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
  describeValue,
  isVoiceField,
  redactUrl,
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
  type FindOptions,
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
  markedName,
  markOf,
  MESSAGING_PROFILE,
  NO_WEBHOOK_KIND,
  pickFields,
  readFields,
  requiredWebhookFields,
  sameWebhooks,
  toTelnyxValue,
  VOICE_KINDS,
  type Mark,
  type MarkRole,
  type ObjectKind,
  type TelnyxIds,
  type TelnyxObject,
} from "./kinds";
import { ObjectListings } from "./listings";
import { TELNYX_SELECTORS } from "./selectors";
import { refuseSharedWithoutConsent, SharedClaims, writeTargets, type WriteTarget } from "./planning";

const CACHE_TTL_MS = 30_000;

/** The voice kinds whose listings say which connections are theirs. */
const LISTED_VOICE_KINDS = [VOICE_KINDS.call_control_application!, VOICE_KINDS.texml_application!];
/** From this many numbers, an operation's objects are counted before it starts (`expect`). */
const EXPECT_FROM = 100;

type TelnyxCarrierNumber = CarrierNumber<TelnyxIds>;

/** An owner's copy of a shared object, and whether this process made it (its undo may delete it). */
interface OwnerCopy {
  copy: TelnyxObject;
  made: boolean;
}

/**
 * Whom a copy is made for: a set's members (one copy of each shared object for all of them), or
 * one number (a group of one, labelled with the number).
 */
interface CopyOwner {
  label: string;
  members: ReadonlySet<string>;
  /** The copies recorded before (state, journal). */
  copies: readonly Isolation[];
}

/** What an isolation step moves, from where, and with which values. */
interface IsolationPlan {
  holds: Isolation["holds"];
  kind: ObjectKind;
  /** The object the copy is made from: the one the number is on. */
  sourceId: string;
  /** The shared object the number was first isolated from (recorded in the `Isolation`). */
  originalId: string;
  /** A copy made before, re-used while it exists and only the owner's numbers are on it. */
  reuseId?: string;
  fields: WebhookField[];
  values: WebhookChanges;
  confirm: () => Promise<void>;
  onCopyMade?: (isolation: Isolation) => Promise<void>;
  owner: CopyOwner;
}

/** What a restore plans with: the objects in place, the copies to leave, and who counts as others. */
interface RestorePlan {
  targets: WriteTarget[];
  values: WebhookChanges;
  returning: Isolation[];
  options: WriteOptions;
  owner: CopyOwner;
  outsiders: (t: WriteTarget) => WriteTarget;
  ownCopy: (t: WriteTarget) => boolean;
  confirm: () => Promise<void>;
}

/** A number moved off an object others keep, onto a copy kept with its previous webhooks. */
interface KeepPlan {
  holds: Isolation["holds"];
  kind: ObjectKind;
  fromId: string;
  originalId: string;
  /** The webhooks the number answered before (see `answeredBefore`). */
  values: WebhookChanges;
  confirm: () => Promise<void>;
  /** Why the object is not given back (for the note), when others of the run keep it. */
  why?: string;
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
   * The copy an owner is given of one shared object, by owner, kind and original: its first member
   * to need it makes (or re-uses) it and the others wait for the same one.
   */
  private readonly ownerCopies = new Map<string, Promise<OwnerCopy>>();
  /** The numbers of this run that went back home from each copy (`<kind path>/<id>`), for the note of its deletion. */
  private readonly backFrom = new Map<string, string[]>();
  /** Members moving onto each owner's copy now (by owner copy key): it is not deleted under them. */
  private readonly onTheWay = new Map<string, number>();
  /**
   * The listings of the kinds that can be copied, read once per operation: they answer the reads
   * of those objects, and their names carry the markers.
   */
  private readonly listings: ObjectListings;
  /** Objects this process deleted: a second member leaving a group's copy does not delete it again. */
  private readonly deletedHere = new Set<string>();

  constructor(settings: TelnyxSettings, retry: RetryPolicy) {
    this.client = new TelnyxClient(settings, retry);
    this.listings = new ObjectListings(this.client, { ttlMs: CACHE_TTL_MS, batchWindowMs: 1 });
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
  async find(phoneNumber: string, options: FindOptions = {}): Promise<TelnyxCarrierNumber | undefined> {
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
    // What the objects answered before: a backup's webhooks when a resource wrote the object in
    // place with consent (any stack's), else the object as this process first read it, or as it
    // is when this process made it (a copy kept for the number holds what it answered).
    // A number on a copy answered, before, what its original did (not the copy's values).
    const before = async (kind: ObjectKind, id: string, live: TelnyxObject) => {
      if (options.originals && kind.copy) {
        // From the listing itself: a lookup costs no call per object.
        const listed = await this.listedObjects(kind);
        const mark = markOf(listed.get(id)?.[kind.nameField]);
        const originalId = mark?.role === "copy" ? mark.originalId : id;
        const [backup] = await this.markedIds(kind, originalId, "original");
        const object = backup ? listed.get(backup) : originalId !== id ? listed.get(originalId) : undefined;
        if (object) return readFields(kind, object);
      }
      return readFields(kind, this.firstRead.get(`${kind.path}/${id}`) ?? live);
    };
    const webhooksBeforeThisRun: WebhookSettings = {
      ...UNSET_WEBHOOKS,
      ...(voice && connectionId ? await before(voice.kind, connectionId, voice.object) : {}),
      ...(profile && profileId ? await before(MESSAGING_PROFILE, profileId, profile) : {}),
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

  /**
   * The applications and profiles the numbers are on, counted from the account's listing (which
   * their finds use next): from a few of them on, each kind's listing is read whole at once.
   */
  async expect(phoneNumbers: readonly string[]): Promise<void> {
    // A few numbers: fetching their objects one by one until a listing is cheaper costs at most a
    // few calls more, and each number's find reads what it needs in its own order.
    if (phoneNumbers.length < EXPECT_FROM) return;
    // So many numbers are listed whole by their finds anyway: the listing, once.
    const listing = await this.directory.all();
    const connections = new Set<string>();
    const profiles = new Set<string>();
    for (const n of phoneNumbers.map((phoneNumber) => listing.get(phoneNumber))) {
      if (n?.connection_id) connections.add(n.connection_id);
      if (n?.messaging_profile_id) profiles.add(n.messaging_profile_id);
    }
    // A connection is a Call Control or a TeXML application (or neither): at most this many of each.
    for (const kind of LISTED_VOICE_KINDS) this.listings.expect(kind, connections.size);
    this.listings.expect(MESSAGING_PROFILE, profiles.size);
  }

  /** Telnyx has no subaccounts: the credentials' account. */
  async list(): Promise<string[]> {
    return [...(await this.directory.all()).keys()].sort();
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
    const group = options.group;
    const phoneNumber = current.phoneNumber;
    // Copies are made for an owner: a set's members share one copy of each object, and a number
    // alone is a group of one. One engine for both.
    const owner: CopyOwner = group
      ? { label: group.label, members: group.members, copies: group.copies }
      : { label: phoneNumber, members: new Set([phoneNumber]), copies: isolated };
    const onOwnCopy = (i: Isolation) => holderIdOf(current, i.holds) === i.copyId;
    // Restoring a holder this resource isolated is moving the number back: its fields are not
    // written. A number found on the original instead (an isolation a failed run undid, left in
    // the journal) gets its fields back there; one moved elsewhere in the portal is left alone.
    const returning = restoring ? isolated : [];
    const inPlaceAgain = (holds: Isolation["holds"]) =>
      returning.some((i) => i.holds === holds && holderIdOf(current, holds) === i.originalId);
    // Isolating again a holder whose number left its copy (moved back, or the copy deleted).
    const reisolating = !restoring && options.isolate ? isolated.filter((i) => !onOwnCopy(i)) : [];
    const plain: WebhookChanges = {};
    const again = new Map<Isolation, WebhookChanges>();
    for (const [field, value] of Object.entries(changes) as Array<[WebhookField, string | null]>) {
      const holds = holdsOf(field);
      if (returning.some((i) => i.holds === holds) && !inPlaceAgain(holds)) continue;
      const redo = reisolating.find((i) => i.holds === holds);
      if (redo) again.set(redo, { ...again.get(redo), [field]: value });
      else plain[field] = value;
    }

    const targets = Object.keys(plain).length
      ? await Promise.all(
          (
            await writeTargets(current, plain, {
              connection: (id) => this.numbersOnConnection(id),
              profile: (id) => this.numbersOnProfile(id),
            })
          ).map((t) => this.withReturningUsers(t, phoneNumber)),
        )
      : [];
    // A group's members are not "other numbers": only those outside it make an object shared.
    const outsiders = (t: WriteTarget): WriteTarget => ({
      ...t,
      sharedWith: t.sharedWith.filter((n) => !owner.members.has(n)),
    });
    // The number is on a copy made for it, or (a member) on its group's copy.
    const ownCopy = (t: WriteTarget) =>
      isolated.some((i) => i.copyId === t.id && onOwnCopy(i)) ||
      (group?.copies.some((i) => i.copyId === t.id) ?? false);
    const groupClaim = (object: string) => group && { label: group.label, object };

    // The number is read again just before the first write: if it moved to another connection or
    // profile since it was read, writing the old one would change other numbers and not this one.
    let confirmed: Promise<void> | undefined;
    const confirm = () => (confirmed ??= this.confirmAssignments(current));

    if (restoring)
      return this.restoreSteps(current, {
        targets,
        values: plain,
        returning,
        options,
        owner,
        outsiders,
        ownCopy,
        confirm,
      });

    const toIsolate: WriteTarget[] = [];
    const inPlace: WriteTarget[] = [];
    for (const t of targets) {
      if (options.isolate && !t.kind.copy)
        throw new WebhookError(
          `onShared: "isolate" cannot give ${phoneNumber} its own ${t.kind.label} (${t.id}): copying a SIP connection would split your SIP registration and authentication (credentials, IP addresses or FQDNs) between two connections. ` +
            `Move the number to a Call Control or TeXML application in the Telnyx portal, or use onShared: "update" (every number on it gets the webhooks) or "refuse"`,
          "invalid",
        );
      if (options.isolate && outsiders(t).sharedWith.length > 0 && !ownCopy(t)) toIsolate.push(t);
      else inPlace.push(t);
    }
    refuseSharedWithoutConsent(phoneNumber, inPlace.filter((t) => !ownCopy(t)).map(outsiders), options);
    // Members on one object (the original, or the group's copy) claim its fields like any two
    // resources of a run: equal values are written once, different ones fail naming them all.
    const steps: WriteStep[] = inPlace.map((t) => {
      const fields =
        ownCopy(t) && !group
          ? t.fields
          : this.claims.claim(
              phoneNumber,
              t,
              plain,
              false,
              groupClaim(`the ${t.kind.label} ${t.id} they share`),
            );
      // Written in place with consent while others use it: its webhooks before are kept first, so
      // that every resource records them (not this one's) and they can be given back.
      const keepOriginal = !ownCopy(t) && outsiders(t).sharedWith.length > 0;
      const step = this.writeStep(phoneNumber, { ...t, fields }, plain, confirm, keepOriginal);
      if (options.isolate && t.sharedWith.length === 0 && !ownCopy(t))
        step.note = () => `the ${t.kind.label} ${t.id} serves only ${phoneNumber}: written in place`;
      return step;
    });
    for (const t of toIsolate) {
      const holds = t.kind === MESSAGING_PROFILE ? "sms" : "voice";
      // Leaving an object this resource wrote in place (it was alone on it, or had consent): what
      // it wrote there is given back first, so the numbers that stay (or come back) answer it.
      const giveBack = await this.giveBackStep(phoneNumber, t, options, confirm);
      if (giveBack) steps.push(giveBack);
      // A member joining later goes onto the copy its group made before.
      const earlier = group?.copies.find((i) => i.holds === holds && i.originalId === t.id);
      if (group)
        this.claims.claim(
          phoneNumber,
          { ...t, id: earlier?.copyId ?? `${t.id} (${group.label})` },
          plain,
          false,
          groupClaim(`the copy of ${t.kind.label} ${t.id} made for ${group.label}`),
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
          confirm,
          onCopyMade: options.onCopyMade,
          owner,
        }),
      );
    }
    for (const [i, values] of again) {
      const sourceId = holderIdOf(current, i.holds) ?? i.originalId;
      const kind =
        i.holds === "voice" && current.ids.connectionId
          ? VOICE_KINDS[current.ids.connectionType ?? ""]
          : kindOfRecordType(i.objectType);
      if (!kind?.copy)
        throw new WebhookError(
          `${phoneNumber} left its own ${i.objectType.replace(/_/g, " ")} ${i.copyId} for a connection that cannot be copied; move it back in the Telnyx portal`,
          "invalid",
        );
      const fields = Object.keys(values) as WebhookField[];
      // Back on the original, in place (a failed run's isolation undone): what it wrote there first.
      if (sourceId === i.originalId) {
        const target = {
          kind,
          id: sourceId,
          fields: Object.keys(kind.fields) as WebhookField[],
          sharedWith: [],
        };
        const giveBack = await this.giveBackStep(phoneNumber, target, options, confirm);
        if (giveBack) steps.push(giveBack);
      }
      // A member going back onto its group's copy claims its fields like the members on it.
      if (group)
        this.claims.claim(
          phoneNumber,
          { kind, id: i.copyId, fields, sharedWith: [] },
          values,
          false,
          groupClaim(`the copy of ${kind.label} ${i.originalId} made for ${group.label}`),
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
          confirm,
          onCopyMade: options.onCopyMade,
          owner,
        }),
      );
    }
    return steps;
  }

  /**
   * The preview's dry run: `planWrites` itself, whose steps are dropped unrun. Planning writes
   * nothing (every write, copy and move is in a step), so this refuses exactly what it refuses: a
   * shared object without consent, a field the object cannot hold, a SIP connection to isolate.
   * It reads as planning does (cached). The claims planning records on shared fields are
   * withdrawn: they are no write's (an undo would keep another number's write for them).
   */
  async checkWrites(
    current: TelnyxCarrierNumber,
    changes: WebhookChanges,
    options: Omit<WriteOptions, "restoring" | "onCopyMade">,
  ): Promise<void> {
    const held = this.claims.heldBy(current.phoneNumber);
    try {
      await this.planWrites(current, changes, options);
    } finally {
      this.claims.withdrawSince(current.phoneNumber, held);
    }
  }

  /** The write that gives an object back what this resource wrote on it (see `givenBack`), if any. */
  private async giveBackStep(
    phoneNumber: string,
    t: WriteTarget,
    options: WriteOptions,
    confirm: () => Promise<void>,
  ): Promise<WriteStep | undefined> {
    const giveBack = await this.givenBack(t, options);
    if (!giveBack) return undefined;
    const step = this.writeStep(phoneNumber, giveBack.target, giveBack.values, confirm, false);
    // Not the number's webhooks (it leaves the object): verified against the values given back.
    return {
      ...step,
      fields: [],
      write: async () => {
        const answered = await step.write();
        const wrong = giveBack.target.fields.filter(
          (f) => (answered[f] ?? null) !== (giveBack.values[f] ?? null),
        );
        if (wrong.length)
          throw new WebhookError(
            `Verification failed: ${t.kind.label} ${t.id} reads back other than given back (${wrong.join(", ")})`,
            "carrier",
          );
        return {};
      },
    };
  }

  /**
   * What a number leaving an object in place gives back to it: the fields that still hold what this
   * resource wrote, with their previous values. Nothing for a field another resource wrote since.
   */
  private async givenBack(
    t: WriteTarget,
    options: WriteOptions,
  ): Promise<{ target: WriteTarget; values: WebhookChanges } | undefined> {
    const { previous, written } = options;
    if (!previous || !written) return undefined;
    const live = readFields(t.kind, await this.readObject(t.kind, t.id));
    const fields = (Object.keys(t.kind.fields) as WebhookField[]).filter(
      (f) =>
        written[f] !== undefined &&
        previous[f] !== undefined &&
        (live[f] ?? null) === (written[f] ?? null) &&
        (live[f] ?? null) !== (previous[f] ?? null),
    );
    if (!fields.length) return undefined;
    const values = Object.fromEntries(fields.map((f) => [f, previous[f] ?? null])) as WebhookChanges;
    return { target: { ...t, fields }, values };
  }

  /**
   * The numbers on the copies of an original count among its users: each comes back to it when
   * the resource that isolated it is destroyed, whichever stack that is. They are found by the
   * marker in the copies' names, so every stack sees them.
   */
  private async withReturningUsers(t: WriteTarget, phoneNumber: string): Promise<WriteTarget> {
    if (!t.kind.copy) return t;
    const copies = await this.markedIds(t.kind, t.id, "copy");
    if (!copies.length) return t;
    const on = await Promise.all(copies.map((id) => this.numbersOnKind(t.kind, id)));
    const returning = [...new Set(on.flat())].filter((n) => n !== phoneNumber && !t.sharedWith.includes(n));
    if (!returning.length) return t;
    return { ...t, sharedWith: [...t.sharedWith, ...returning].sort(), returning: returning.sort() };
  }

  /**
   * Restoring (delete): every holder of the number ends up answering its previous webhooks.
   * - On a copy made for it (or its group): back onto the original when the original answers them;
   *   otherwise onto a copy kept for it with them (`kept`), until the original answers them again.
   * - On an object in place: written back, unless others keep it (members that stay, another
   *   resource of the run, or, with consent, another resource that wrote it since): then the number
   *   moves onto a kept copy instead, and the object is left to them.
   * Then the originals involved are settled: kept copies whose original answers their webhooks
   * again give their numbers back to it and go, and so does a backup of an original that answers
   * what it did before.
   */
  private async restoreSteps(current: TelnyxCarrierNumber, plan: RestorePlan): Promise<WriteStep[]> {
    const { options, owner, confirm } = plan;
    const phoneNumber = current.phoneNumber;
    const previous = options.previous;
    const steps: WriteStep[] = [];
    const originals = new Map<string, { kind: ObjectKind; id: string }>();
    const settleAfter = async (kind: ObjectKind, id: string) => {
      if (!kind.copy) return;
      const mark = await this.markOfObject(kind, id);
      const originalId = mark ? mark.originalId : id;
      originals.set(`${kind.path}/${originalId}`, { kind, id: originalId });
    };
    // Whatever changes: a restore that an earlier attempt left half done has settling left to do.
    const voiceKind = current.ids.connectionType ? VOICE_KINDS[current.ids.connectionType] : undefined;
    if (voiceKind && current.ids.connectionId) await settleAfter(voiceKind, current.ids.connectionId);
    if (current.ids.messagingProfileId) await settleAfter(MESSAGING_PROFILE, current.ids.messagingProfileId);
    // A member leaving gives way to the members that stay on an object, unless they move off it.
    const leaving =
      options.group !== undefined && !options.group.members.has(phoneNumber) && !options.group.isolating;
    for (const t of plan.targets) {
      await settleAfter(t.kind, t.id);
      const live = readFields(t.kind, await this.readObject(t.kind, t.id));
      const staying = leaving ? t.sharedWith.filter((n) => owner.members.has(n)) : [];
      // Fields others keep: all of them while members of the set stay on it; with consent, those
      // another resource wrote since; those another resource of this run still declares.
      const kept = new Set<WebhookField>(staying.length ? t.fields : []);
      const consented = plan.outsiders(t).sharedWith.length > 0 && !plan.ownCopy(t);
      if (consented) {
        refuseSharedWithoutConsent(phoneNumber, [plan.outsiders(t)], options);
        for (const f of t.fields) if ((live[f] ?? null) !== (options.written?.[f] ?? null)) kept.add(f);
      }
      let writable = t.fields.filter((f) => !kept.has(f));
      if (writable.length && !plan.ownCopy(t)) {
        const claimed = this.claims.claim(phoneNumber, { ...t, fields: writable }, plan.values, true);
        for (const f of writable) if (!claimed.includes(f)) kept.add(f);
        writable = claimed;
      }
      if (writable.length)
        steps.push(this.writeStep(phoneNumber, { ...t, fields: writable }, plan.values, confirm, false));
      if (!kept.size && !consented) continue;
      // Where the object will not answer the number's previous webhooks, the number moves onto a
      // copy kept for it that does.
      if (!previous || !t.kind.copy) {
        if (kept.size)
          steps.push(
            noteStep(
              `${phoneNumber} could not get its previous webhooks back: ${describeAnswers(t.kind, t.id, live)}`,
            ),
          );
        continue;
      }
      const mark = await this.markOfObject(t.kind, t.id);
      const originalId = mark ? mark.originalId : t.id;
      const expected = await this.answeredBefore(t.kind, originalId, previous);
      const after = { ...live, ...pickFields(plan.values, writable) };
      if (sameWebhooks(t.kind, after, expected)) continue;
      steps.push(
        this.keepStep(current, {
          holds: t.kind === MESSAGING_PROFILE ? "sms" : "voice",
          kind: t.kind,
          fromId: t.id,
          originalId,
          values: expected,
          confirm,
          why: staying.length
            ? `${staying.length} member${staying.length > 1 ? "s" : ""} of ${owner.label} stay${staying.length > 1 ? "" : "s"} on it`
            : undefined,
        }),
      );
    }
    // The copies whose number went back onto the original (not onto a kept copy).
    const back = new Set<string>();
    for (const isolation of plan.returning) {
      const kind = kindOfRecordType(isolation.objectType) ?? MESSAGING_PROFILE;
      await settleAfter(kind, isolation.originalId);
      steps.push(this.returnStep(current, isolation, kind, previous, confirm, back));
    }
    if (plan.returning.length) steps.push(this.leaveCopiesStep(current, plan.returning, owner, back));
    if (originals.size) steps.push(this.settleStep([...originals.values()]));
    return steps;
  }

  /**
   * Gives the number its owner's copy of a shared object: the first member to need it makes it (or
   * re-uses the one recorded, while only the owner's numbers are on it), the others wait for that
   * one. The number's fields are then written on the copy (once: equal values are not written
   * again) and it moves; the number's answer is the verification. Undo moves it back; a copy made
   * in this run is deleted when its last number has left it.
   */
  private isolationStep(current: TelnyxCarrierNumber, plan: IsolationPlan): WriteStep {
    const { holds, kind, originalId, fields, values, owner } = plan;
    const from = holderIdOf(current, holds);
    const alone = owner.members.size === 1;
    const key = ownerCopyKey(owner, kind, originalId);
    let counted = false;
    const onTheWay = (delta: 1 | -1) => {
      if (counted === (delta === 1)) return;
      counted = delta === 1;
      this.onTheWay.set(key, (this.onTheWay.get(key) ?? 0) + delta);
    };
    let got: OwnerCopy | undefined;
    let moveSent = false;
    let move: NumberMove | undefined;
    return {
      target: `${kind.label} ${plan.sourceId} (${alone ? "a copy for" : "the copy for"} ${owner.label})`,
      fields,
      sharedWith: [],
      write: async () => {
        // Counted before the first await: a member whose undo runs meanwhile leaves the copy alone.
        onTheWay(+1);
        await plan.confirm();
        got = await this.ownerCopy(kind, owner, originalId, plan.sourceId, plan.reuseId, values);
        const copyId = String(got.copy.id);
        const isolation: Isolation = { holds, objectType: kind.copy!.record_type, originalId, copyId };
        await plan.onCopyMade?.(isolation);
        if (holds === "voice") this.recordTypes.set(copyId, kind.copy!.record_type);
        const { written } = await this.patchFields(kind, copyId, fields, values, async () => undefined);
        moveSent = true;
        await this.moveNumber(current, holds, copyId, () => (moveSent = false), "copy");
        move = { direction: "isolated", isolation };
        onTheWay(-1);
        return written;
      },
      undo: async () => {
        onTheWay(-1);
        if (moveSent) await this.moveNumber(current, holds, from, () => undefined);
        moveSent = false;
        // Another member on its way onto the copy: the last of them to leave decides.
        if (!got?.made || (this.onTheWay.get(key) ?? 0) > 0) return;
        const { deleted } = await this.leaveCopy(kind, String(got.copy.id));
        // Gone: a later attempt of this run makes a new one.
        if (deleted) this.ownerCopies.delete(key);
      },
      moved: () => move,
    };
  }

  /** The owner's copy of `originalId`: one per owner, kind and original, however many members ask. */
  private ownerCopy(
    kind: ObjectKind,
    owner: CopyOwner,
    originalId: string,
    sourceId: string,
    reuseId: string | undefined,
    values: WebhookChanges,
  ): Promise<OwnerCopy> {
    const key = ownerCopyKey(owner, kind, originalId);
    const known = this.ownerCopies.get(key);
    if (known) return known;
    const making = (async (): Promise<OwnerCopy> => {
      const reused = reuseId ? await this.reusableCopy(kind, reuseId, owner.members) : undefined;
      if (reused) return { copy: reused, made: false };
      const source = await this.copySource(kind, originalId, sourceId);
      return this.createMarked(kind, source, owner, { role: "copy", originalId }, values);
    })();
    this.ownerCopies.set(key, making);
    // A failure is not remembered: a later attempt of the run tries again.
    making.catch(() => {
      if (this.ownerCopies.get(key) === making) this.ownerCopies.delete(key);
    });
    return making;
  }

  /** A copy made before, when it still exists and only the owner's numbers are on it. */
  private async reusableCopy(
    kind: ObjectKind,
    copyId: string,
    members: ReadonlySet<string>,
  ): Promise<TelnyxObject | undefined> {
    const copy = await this.readIfExists(kind, copyId);
    if (!copy) return undefined;
    const on = await this.numbersOnFresh(kind, copyId);
    if (on === undefined || on.some((n) => !members.has(n))) return undefined;
    // Who is on it now: each member's move then adds itself.
    this.numbersOn.set(`${numbersOnKey(kind)}/${copyId}`, on);
    return copy;
  }

  /**
   * What a copy of `originalId` is made from: its backup when one exists (the original's webhooks
   * before a resource wrote them in place), else the object the number is on.
   */
  private async copySource(kind: ObjectKind, originalId: string, sourceId: string): Promise<TelnyxObject> {
    const [backup] = await this.markedIds(kind, originalId, "original");
    const source = await this.readObject(kind, sourceId, { fresh: true });
    if (!backup) return source;
    const kept = await this.readObject(kind, backup, { fresh: true });
    return { ...source, ...Object.fromEntries(Object.values(kind.fields).map((f) => [f, kept[f]])) };
  }

  /**
   * Makes a marked object for `owner` from `source` with `values`. A name already taken by an
   * object nobody outside the owner is on is that object (made by an attempt whose answer was lost,
   * or by a run that died): it is re-used. One taken by another owner's object gets a number.
   */
  private async createMarked(
    kind: ObjectKind,
    source: TelnyxObject,
    owner: CopyOwner | undefined,
    mark: Mark,
    values: WebhookChanges,
  ): Promise<OwnerCopy> {
    const baseName = String(source[kind.nameField] ?? kind.label);
    let refreshed = false;
    for (let n = 1; n <= 50; n++) {
      const name = markedName(baseName, owner && (n === 1 ? owner.label : `${owner.label} ${n}`), mark);
      const listed = await this.listedObjects(kind);
      const holder = [...listed].find(([, other]) => other[kind.nameField] === name)?.[0];
      if (holder) {
        const on = await this.numbersOnFresh(kind, holder);
        if (on !== undefined && on.every((x) => owner?.members.has(x))) {
          const copy = await this.readObject(kind, holder, { fresh: true });
          this.numbersOn.set(`${numbersOnKey(kind)}/${holder}`, on);
          return { copy, made: true };
        }
        if (on !== undefined) continue;
      }
      const call = `create ${kind.path}`;
      let answer: unknown;
      try {
        answer = await this.client.post(call, `/${kind.path}`, copyBody(kind, source, name, values));
      } catch (error) {
        // Taken since the listing was read (or by our own POST whose answer was lost): look again.
        if (
          !refreshed &&
          error instanceof CarrierError &&
          error.status === 422 &&
          /taken/i.test(error.message)
        ) {
          refreshed = true;
          this.listings.forget(kind);
          n--;
          continue;
        }
        throw error;
      }
      const copy = checkWebhookFields(kind, parse(objectSchema, answer, call).data, call);
      if (typeof copy.id !== "string")
        throw new CarrierError("telnyx", call, undefined, "unexpected response: data.id is missing");
      const key = `${kind.path}/${copy.id}`;
      this.objects.set(key, copy);
      this.writtenHere.add(key);
      // An id deleted earlier in this process and given again (the sandbox derives ids from names).
      this.deletedHere.delete(key);
      this.numbersOn.set(`${numbersOnKey(kind)}/${copy.id}`, []);
      this.listings.added(kind, { ...copy, id: copy.id });
      return { copy, made: true };
    }
    throw new WebhookError(`No free name for a copy of ${kind.label} ${mark.originalId}`, "carrier");
  }

  /**
   * Moves the number back off a copy made for it: onto the original when it answers the number's
   * previous webhooks, else onto a copy kept for the number with them. A number moved elsewhere in
   * the portal is left where it is.
   */
  private returnStep(
    current: TelnyxCarrierNumber,
    isolation: Isolation,
    kind: ObjectKind,
    previous: Partial<WebhookSettings> | undefined,
    confirm: () => Promise<void>,
    back: Set<string>,
  ): WriteStep {
    const { holds, copyId, originalId } = isolation;
    const onCopy = holderIdOf(current, holds) === copyId;
    let movedTo: string | undefined;
    let kept: string | undefined;
    let note: string | undefined;
    return {
      target: `${kind.label} ${copyId} (made for ${current.phoneNumber})`,
      fields: [],
      sharedWith: [],
      write: async () => {
        await confirm();
        if (!onCopy) return {};
        const original = await this.readIfExists(kind, originalId);
        const expected = previous && (await this.answeredBefore(kind, originalId, previous));
        if (original && (!expected || sameWebhooks(kind, readFields(kind, original), expected))) {
          movedTo = originalId;
          await this.moveNumber(current, holds, originalId, () => (movedTo = undefined));
          back.add(copyId);
          // Before it leaves the copy: the member that deletes it names every member gone home.
          const home = `${kind.path}/${copyId}`;
          this.backFrom.set(home, [...(this.backFrom.get(home) ?? []), current.phoneNumber]);
          return {};
        }
        kept = await this.keep(current, holds, kind, originalId, copyId, expected!);
        movedTo = kept;
        note = keptNote(current.phoneNumber, kind, kept, originalId, original);
        return {};
      },
      undo: async () => {
        // Under the lock a member deleting the copy holds: never onto a copy deleted meanwhile
        // (then the number stays on the original, which answers its previous webhooks).
        const copyKey = `${kind.path}/${copyId}`;
        if (movedTo)
          await this.withObjectLock(`leave ${copyKey}`, async () => {
            if (!this.deletedHere.has(copyKey))
              await this.moveNumber(current, holds, copyId, () => undefined);
          });
        movedTo = undefined;
        back.delete(copyId);
        const home = `${kind.path}/${copyId}`;
        this.backFrom.set(
          home,
          (this.backFrom.get(home) ?? []).filter((n) => n !== current.phoneNumber),
        );
        if (kept) await this.leaveCopy(kind, kept);
        kept = undefined;
      },
      moved: () => ({ direction: "returned", isolation }),
      note: () => note,
    };
  }

  /**
   * Moves the number off an object others keep (in place) onto a copy kept for it with its
   * previous webhooks.
   */
  private keepStep(current: TelnyxCarrierNumber, plan: KeepPlan): WriteStep {
    const { holds, kind, fromId, originalId, values } = plan;
    let kept: string | undefined;
    let note: string | undefined;
    return {
      target: `${kind.label} ${fromId} (a copy kept for ${current.phoneNumber})`,
      fields: [],
      sharedWith: [],
      write: async () => {
        await plan.confirm();
        const original = await this.readIfExists(kind, originalId);
        kept = await this.keep(current, holds, kind, originalId, fromId, values);
        note = keptNote(current.phoneNumber, kind, kept, originalId, original, plan.why);
        return {};
      },
      undo: async () => {
        if (!kept) return;
        await this.moveNumber(current, holds, fromId, () => undefined);
        await this.leaveCopy(kind, kept);
        kept = undefined;
      },
      note: () => note,
    };
  }

  /**
   * What a number answered on this object before any resource took it: its recorded previous
   * webhooks, and for a field it has none of (a set records only the fields it manages), the
   * original's, as its backup keeps them when a resource wrote it in place, else as it is.
   */
  private async answeredBefore(
    kind: ObjectKind,
    originalId: string,
    previous: Partial<WebhookSettings>,
  ): Promise<WebhookChanges> {
    const fields = Object.keys(kind.fields) as WebhookField[];
    let fallback: Partial<WebhookSettings> = {};
    if (fields.some((f) => previous[f] === undefined)) {
      const [backup] = await this.markedIds(kind, originalId, "original");
      const object =
        (backup && (await this.readIfExists(kind, backup))) || (await this.readIfExists(kind, originalId));
      fallback = object ? readFields(kind, object) : {};
    }
    return Object.fromEntries(
      fields.map((f) => [f, previous[f] !== undefined ? previous[f] : (fallback[f] ?? null)]),
    );
  }

  /** Makes (or re-uses) the copy kept for the number, with its previous webhooks, and moves it there. */
  private async keep(
    current: TelnyxCarrierNumber,
    holds: Isolation["holds"],
    kind: ObjectKind,
    originalId: string,
    fromId: string,
    values: WebhookChanges,
  ): Promise<string> {
    const source =
      (await this.readIfExists(kind, originalId)) ?? (await this.readObject(kind, fromId, { fresh: true }));
    const owner: CopyOwner = {
      label: current.phoneNumber,
      members: new Set([current.phoneNumber]),
      copies: [],
    };
    const { copy } = await this.createMarked(kind, source, owner, { role: "kept", originalId }, values);
    const keptId = String(copy.id);
    if (holds === "voice") this.recordTypes.set(keptId, kind.copy!.record_type);
    await this.patchFields(
      kind,
      keptId,
      Object.keys(values) as WebhookField[],
      values,
      async () => undefined,
    );
    await this.moveNumber(current, holds, keptId, () => undefined, "copy");
    return keptId;
  }

  /**
   * After the number's moves back: each copy it was on is deleted if nobody is on it now. Another
   * member still on a group's copy is the normal case, not noted; a number outside the owner on
   * it is (the copy stays).
   */
  private leaveCopiesStep(
    current: TelnyxCarrierNumber,
    isolated: Isolation[],
    owner: CopyOwner,
    back: ReadonlySet<string>,
  ): WriteStep {
    const notes: string[] = [];
    return {
      target: `the copies ${current.phoneNumber} was on`,
      fields: [],
      sharedWith: [],
      write: async () => {
        // One after another: a failure then names the call that failed first.
        for (const i of isolated) {
          const kind = kindOfRecordType(i.objectType) ?? MESSAGING_PROFILE;
          // Said only where true: a number kept on a copy is not back on its original. The member
          // that deletes a group's copy names every member of this run that went back from it.
          const { deleted, on } = await this.leaveCopy(kind, i.copyId);
          const home = this.backFrom.get(`${kind.path}/${i.copyId}`) ?? [];
          const outside = on.filter((n) => !owner.members.has(n));
          const where = home.length
            ? `${listNumbers([...home].sort())} ${home.length > 1 ? "are" : "is"} back on ${kind.label} ${i.originalId}, which answers ${home.length > 1 ? "their" : "its"} previous webhooks; `
            : "";
          const copy = owner.members.size === 1 ? `its copy ${i.copyId}` : `the copy ${i.copyId}`;
          if (deleted)
            notes.push(
              `${where}${copy} was deleted${owner.members.size === 1 ? "" : ": no number is left on it"}`,
            );
          else if (outside.length) {
            const mine = back.has(i.copyId)
              ? `${current.phoneNumber} is back on ${kind.label} ${i.originalId}, which answers its previous webhooks; `
              : "";
            notes.push(
              `${mine}${copy} was left in place: ${outside.join(", ")} ${outside.length > 1 ? "use" : "uses"} it now`,
            );
          }
        }
        return {};
      },
      undo: async () => undefined,
      note: () => (notes.length ? notes.join("; ") : undefined),
      // A deleted copy cannot come back: this runs after every move has succeeded, and a failure
      // here undoes none of them (the next run deletes what is left).
      final: true,
    };
  }

  /**
   * Settles originals after a restore: a kept copy whose original answers its webhooks again gives
   * its numbers back to the original and is deleted; a backup of an original that answers what it
   * did before is deleted.
   */
  private settleStep(originals: Array<{ kind: ObjectKind; id: string }>): WriteStep {
    const notes: string[] = [];
    return {
      target: `the kept copies of ${originals.map((o) => `${o.kind.label} ${o.id}`).join(", ")}`,
      fields: [],
      sharedWith: [],
      write: async () => {
        for (const { kind, id } of originals) notes.push(...(await this.settle(kind, id)));
        return {};
      },
      // Tidying after the restore, which has happened: a failure undoes nothing (a deleted backup
      // cannot come back), and the next restore that involves the original tidies it.
      final: true,
      undo: async () => undefined,
      note: () => (notes.length ? notes.join("; ") : undefined),
    };
  }

  private settle(kind: ObjectKind, originalId: string): Promise<string[]> {
    return this.withObjectLock(`settle ${kind.path}/${originalId}`, async () => {
      const [kept, backups] = await Promise.all([
        this.markedIds(kind, originalId, "kept"),
        this.markedIds(kind, originalId, "original"),
      ]);
      if (!kept.length && !backups.length) return [];
      const original = await this.readIfExists(kind, originalId);
      if (!original) return [];
      const answers = readFields(kind, original);
      const notes: string[] = [];
      for (const id of backups) {
        const backup = await this.readIfExists(kind, id);
        if (!backup || !sameWebhooks(kind, readFields(kind, backup), answers)) continue;
        await this.leaveCopy(kind, id);
        // The original answers its originals again: for the rest of this run, that is what it
        // answered before (not a value another resource of the run wrote and has given back).
        this.firstRead.set(`${kind.path}/${originalId}`, original);
      }
      for (const id of kept) {
        const copy = await this.readIfExists(kind, id);
        if (!copy || !sameWebhooks(kind, readFields(kind, copy), answers)) continue;
        const on = (await this.numbersOnFresh(kind, id)) ?? [];
        for (const phoneNumber of on) {
          const found = await this.directory.find(phoneNumber);
          if (!found) continue;
          const number = numberRef(phoneNumber, found.id);
          this.known.set(phoneNumber, found);
          await this.moveNumber(
            number,
            kind === MESSAGING_PROFILE ? "sms" : "voice",
            originalId,
            () => undefined,
          );
        }
        await this.leaveCopy(kind, id);
        if (on.length)
          notes.push(
            `${on.join(", ")} ${on.length > 1 ? "are" : "is"} back on ${kind.label} ${originalId}, which answers ${on.length > 1 ? "their" : "its"} previous webhooks again; the copy ${id} kept for ${on.length > 1 ? "them" : "it"} was deleted`,
          );
      }
      return notes;
    });
  }

  /**
   * A resource writes an original in place with consent while other numbers use it: the original's
   * webhooks are kept first on a backup (no number on it), once, so that every resource records
   * them as the previous webhooks, copies are made from them, and a restore can give them back.
   */
  private async ensureBackup(kind: ObjectKind, id: string, live: TelnyxObject): Promise<string | undefined> {
    if (!kind.copy || (await this.markOfObject(kind, id))) return undefined;
    if ((await this.markedIds(kind, id, "original")).length) return undefined;
    const { copy } = await this.createMarked(kind, live, undefined, { role: "original", originalId: id }, {});
    return String(copy.id);
  }

  /** The marked objects of one original in a role, from the listing of the kind. */
  private async markedIds(kind: ObjectKind, originalId: string, role: MarkRole): Promise<string[]> {
    if (!kind.copy) return [];
    const listing = await this.listings.all(kind);
    if (!listing.marked) {
      listing.marked = new Map();
      for (const [id, object] of listing.byId) {
        const mark = markOf(object[kind.nameField]);
        if (!mark) continue;
        const key = `${mark.role} ${mark.originalId}`;
        listing.marked.set(key, [...(listing.marked.get(key) ?? []), id]);
      }
    }
    return [...(listing.marked.get(`${role} ${originalId}`) ?? [])];
  }

  private async markOfObject(kind: ObjectKind, id: string): Promise<Mark | undefined> {
    if (!kind.copy) return undefined;
    return markOf((await this.listedObjects(kind)).get(id)?.[kind.nameField]);
  }

  /** Every object of a kind that can be copied, by id: its name. Listed once per operation. */
  private async listedObjects(kind: ObjectKind): Promise<Map<string, TelnyxObject>> {
    return (await this.listings.all(kind)).byId;
  }

  private async readIfExists(kind: ObjectKind, id: string): Promise<TelnyxObject | undefined> {
    try {
      return await this.readObject(kind, id, { fresh: !this.writtenHere.has(`${kind.path}/${id}`) });
    } catch (error) {
      if (error instanceof CarrierError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Who is on an object of this kind now (a cached listing when fresh). */
  private numbersOnKind(kind: ObjectKind, id: string): Promise<string[]> {
    return kind === MESSAGING_PROFILE ? this.numbersOnProfile(id) : this.numbersOnConnection(id);
  }

  /**
   * A copy has been left: deletes it when no number is left on it. Checked and deleted under one
   * lock per copy, so that two members leaving at once do not both delete it. Says whether this
   * call deleted it, and who is still on it.
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
    // Gone from the listing too: a backup deleted here must not stop this run making a new one.
    this.listings.deleted(kind, id);
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
    keepOriginal: boolean,
  ): WriteStep {
    const { kind, id, fields } = target;
    /** The values before our PATCH, once one was sent: a PATCH without an answer may have landed. */
    let before: Partial<WebhookSettings> | undefined;
    /** A backup this step made: undone, the original answers what it kept again. */
    let backup: string | undefined;
    const patch = (
      values: WebhookChanges,
      beforeWriting: (current: Partial<WebhookSettings>, live: TelnyxObject) => Promise<void>,
    ) =>
      // An error answer was not applied: there is nothing to undo.
      this.patchFields(kind, id, fields, values, beforeWriting, () => (before = undefined));
    return {
      target: `${kind.label} ${id}`,
      fields,
      sharedWith: target.sharedWith,
      write: async () => {
        if (fields.length === 0) return {};
        const { written } = await patch(changes, async (current, live) => {
          await confirmAssignments();
          if (keepOriginal) backup = await this.ensureBackup(kind, id, live);
          before = pickFields(current, fields);
        });
        return written;
      },
      undo: async () => {
        // Undone, the number no longer declares these fields: another number's later write of
        // the same values must not count it (it would leave that write in place on its undo).
        this.claims.release(phoneNumber, kind, id, fields);
        // The backup goes once the original answers what it keeps again (another resource of the
        // run may keep its write there).
        const made = backup;
        backup = undefined;
        if (before) {
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
        }
        if (made) await this.settle(kind, id);
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
    beforeWriting: (current: Partial<WebhookSettings>, live: TelnyxObject) => Promise<void>,
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
      await beforeWriting(current, live);
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
    const recordType = await this.recordTypes.get(connectionId, () => this.recordTypeOf(connectionId));
    const kind = VOICE_KINDS[recordType];
    return {
      recordType,
      kind: kind ?? NO_WEBHOOK_KIND,
      object: kind ? await this.readObject(kind, connectionId) : {},
    };
  }

  /**
   * A connection's record type. The listings of Call Control and TeXML applications say it for
   * theirs, when they are read (or worth reading); a connection in neither (a SIP connection) or
   * not listed is asked of `/connections`.
   */
  private async recordTypeOf(connectionId: string): Promise<string> {
    const listed = await Promise.all(
      LISTED_VOICE_KINDS.map(async (kind) => ({
        kind,
        listed: await this.listings.lookup(kind, connectionId),
      })),
    );
    const inListing = listed.find((l) => typeof l.listed === "object");
    if (inListing) return inListing.kind.copy!.record_type;
    const call = `get connections/${connectionId}`;
    return parse(connectionSchema, await this.client.get(call, `/connections/${connectionId}`), call).data
      .record_type;
  }

  /**
   * An object as the carrier has it: from the cache (which holds this process's writes), else from
   * its kind's listing when one is read, else fetched alone. `fresh` (before a read-modify-write)
   * always fetches it alone, now: a listing may be older than another writer's change.
   */
  private readObject(kind: ObjectKind, id: string, options: { fresh?: boolean } = {}): Promise<TelnyxObject> {
    const key = `${kind.path}/${id}`;
    if (options.fresh) this.objects.delete(key);
    return this.objects.getAsOf(key, async () => {
      const listed = !options.fresh && kind.copy ? await this.listings.lookup(kind, id) : "unlisted";
      // From a listing, the entry ages from when the listing was read.
      const { object, at } =
        typeof listed === "object" ? listed : { object: await this.getObject(kind, key), at: undefined };
      if (!this.firstRead.has(key)) this.firstRead.set(key, object);
      return { value: object, at };
    });
  }

  private async getObject(kind: ObjectKind, key: string): Promise<TelnyxObject> {
    const call = `get ${key}`;
    return checkWebhookFields(
      kind,
      parse(objectSchema, await this.client.get(call, `/${key}`), call).data,
      call,
    );
  }

  /** Numbers on a connection: from the account listing when one is fresh, else every page of a filtered list. */
  private numbersOnConnection(connectionId: string): Promise<string[]> {
    const byConnection = this.directory.freshListingBy("connection", (n) => n.connection_id ?? null);
    if (byConnection) return Promise.resolve([...(byConnection.get(connectionId) ?? [])]);
    return this.numbersOn.get(`connection/${connectionId}`, async () => {
      const call = `list phone_numbers on connection ${connectionId}`;
      const items = await this.client.listAll(call, "/phone_numbers", {
        "filter[connection_id]": connectionId,
      });
      return items.map((n) => parse(numberSchema, n, call).phone_number);
    });
  }

  private numbersOnProfile(profileId: string): Promise<string[]> {
    const byProfile = this.directory.freshListingBy("profile", (n) => n.messaging_profile_id ?? null);
    // A listing that says "UNAVAILABLE" for some profile cannot answer this.
    if (byProfile && !byProfile.has("UNAVAILABLE"))
      return Promise.resolve([...(byProfile.get(profileId) ?? [])]);
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

function ownerCopyKey(owner: CopyOwner, kind: ObjectKind, originalId: string): string {
  return `${owner.label}\u0000${kind.path}/${originalId}`;
}

/** The object that holds a number's voice or SMS webhooks. */
function holderIdOf(current: TelnyxCarrierNumber, holds: Isolation["holds"]): string | null {
  return holds === "voice" ? current.ids.connectionId : current.ids.messagingProfileId;
}

function holdsOf(field: WebhookField): Isolation["holds"] {
  return isVoiceField(field) ? "voice" : "sms";
}

/** A number as a move needs it: its E.164 and its id. */
function numberRef(phoneNumber: string, id: string): TelnyxCarrierNumber {
  return {
    phoneNumber,
    webhooks: { ...UNSET_WEBHOOKS },
    ids: { phoneNumberId: id, connectionId: null, connectionType: null, messagingProfileId: null },
    sharedWith: [],
  };
}

/** What an object answers, for messages: each webhook, passwords masked. */
function describeAnswers(kind: ObjectKind, id: string, answers: Partial<WebhookSettings>): string {
  const fields = (Object.keys(kind.fields) as WebhookField[]).map(
    (f) => `${f} ${describeValue(answers[f] == null ? answers[f] : redactUrl(answers[f]))}`,
  );
  return `the ${kind.label} ${id} answers ${fields.join(", ")}`;
}

/** The note of a number moved onto a copy kept for it: where, why, and until when. */
function keptNote(
  phoneNumber: string,
  kind: ObjectKind,
  keptId: string,
  originalId: string,
  original: TelnyxObject | undefined,
  why?: string,
): string {
  const now = original
    ? `${describeAnswers(kind, originalId, readFields(kind, original))}${why ? ` (${why})` : ", written by another resource since"}`
    : `the ${kind.label} ${originalId} is gone`;
  return `${phoneNumber} answers its previous webhooks from ${kind.label} ${keptId}, a copy kept for it: ${now}. It goes back, and the copy is deleted, once ${originalId} answers them again`;
}

/** Numbers for a message: all of them up to 20, then how many more. */
function listNumbers(numbers: string[]): string {
  const shown = numbers.slice(0, 20).join(", ");
  return numbers.length > 20 ? `${shown} and ${numbers.length - 20} more` : shown;
}

/** A step that writes nothing and only says something (a restore that could not happen). */
function noteStep(note: string): WriteStep {
  return {
    target: "a note",
    fields: [],
    sharedWith: [],
    write: async () => ({}),
    undo: async () => undefined,
    note: () => note,
  };
}

/** The key part of `numbersOn` entries for objects of this kind. */
function numbersOnKey(kind: ObjectKind): "connection" | "profile" {
  return kind === MESSAGING_PROFILE ? "profile" : "connection";
}

function usableId(id: string | null | undefined): string | null {
  return id && id !== "UNAVAILABLE" ? id : null;
}
