/**
 * Planning a Telnyx write: which objects hold the changed fields, whether they can hold them,
 * whether other numbers share them, and which shared fields this resource may write given what
 * the other resources of the same run declare.
 */
import { WebhookError } from "../../errors";
import { describeValue, isVoiceField, type WebhookChanges, type WebhookField } from "../../webhooks";
import type { CarrierNumber, WriteOptions } from "../carrier";
import { MESSAGING_PROFILE, unsupported, VOICE_KINDS, type ObjectKind, type TelnyxIds } from "./kinds";

export interface WriteTarget {
  kind: ObjectKind;
  id: string;
  fields: WebhookField[];
  sharedWith: string[];
  /** Of `sharedWith`, the numbers on copies of this object (isolated off it): they come back to it. */
  returning?: string[];
}

/** Who else is on an object: the numbers of a connection or of a messaging profile. */
export interface NumbersOn {
  connection(connectionId: string): Promise<string[]>;
  profile(profileId: string): Promise<string[]>;
}

/**
 * The objects to write for `changes`, or a `WebhookError` naming every field that cannot be set
 * (no connection, a connection type without webhooks, a field the object does not have).
 */
export async function writeTargets(
  current: CarrierNumber<TelnyxIds>,
  changes: WebhookChanges,
  numbersOn: NumbersOn,
): Promise<WriteTarget[]> {
  const fields = Object.keys(changes) as WebhookField[];
  const voiceFields = fields.filter(isVoiceField);
  const smsFields = fields.filter((f) => !isVoiceField(f));
  const { connectionId, connectionType, messagingProfileId } = current.ids;
  const others = (numbers: string[]) => numbers.filter((n) => n !== current.phoneNumber).sort();
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
      const sharedWith = others(await numbersOn.connection(connectionId));
      targets.push({ kind, id: connectionId, fields: voiceFields, sharedWith });
    }
  }
  if (smsFields.length) {
    if (!messagingProfileId) {
      problems.push(
        `${smsFields.join(", ")} cannot be set: ${current.phoneNumber} has no messaging profile; assign it one in the Telnyx portal`,
      );
    } else {
      problems.push(...unsupported(MESSAGING_PROFILE, smsFields, changes));
      const sharedWith = others(await numbersOn.profile(messagingProfileId));
      targets.push({ kind: MESSAGING_PROFILE, id: messagingProfileId, fields: smsFields, sharedWith });
    }
  }
  if (problems.length) throw new WebhookError(problems.join("; "), "invalid");
  return targets;
}

/**
 * Refuses writes to shared objects unless the resource opted in. `targets` name the numbers that
 * count as others: for a member of a group, those outside it.
 */
export function refuseSharedWithoutConsent(
  phoneNumber: string,
  targets: WriteTarget[],
  options: WriteOptions,
): void {
  const shared = targets.filter((t) => t.sharedWith.length > 0);
  if (!shared.length || options.allowSharedUpdate) return;
  const described = shared.map((t) => {
    const returning = t.returning?.filter((n) => t.sharedWith.includes(n)) ?? [];
    const back = returning.length
      ? ` (${returning.join(", ")} ${returning.length > 1 ? "are" : "is"} on a copy made by onShared: "isolate" and come${returning.length > 1 ? "" : "s"} back to it when ${returning.length > 1 ? "their resources are" : "its resource is"} destroyed)`
      : "";
    return `the ${t.kind.label} ${t.id} also serves ${t.sharedWith.join(", ")}${back}`;
  });
  const group = options.group;
  if (group) {
    const optIn = options.restoring
      ? `Set allowSharedUpdate: true on ${group.label} and run pulumi up before destroying it, or use onDelete: "retain".`
      : `Set onShared: "isolate" on ${group.label} to give its members one copy of each (the other numbers keep theirs), add those numbers to ${group.label}, or set allowSharedUpdate: true (onShared: "update") to change it for every number on it.`;
    throw new WebhookError(
      `Refusing to change webhooks of ${phoneNumber} (a member of ${group.label}) shared with numbers outside it: ${described.join("; ")}. ` +
        `Every number on it would get the new webhooks. ${optIn}`,
      "conflict",
    );
  }
  const optIn = options.restoring
    ? `Set allowSharedUpdate: true on ${phoneNumber} and run pulumi up before destroying it, or use onDelete: "retain".`
    : `Set onShared: "isolate" on ${phoneNumber} to give it copies of its own (the other numbers keep theirs), or allowSharedUpdate: true (onShared: "update") to change it for every number on it.`;
  throw new WebhookError(
    `Refusing to change webhooks shared with other numbers: ${described.join("; ")}. ` +
      `Every number on it would get the new webhooks. ${optIn}`,
    "conflict",
  );
}

/**
 * What each number of this run asked of a shared object's fields. Two resources that want
 * different values for the same shared webhook are a conflict, not a race settled by whichever
 * write came last; a restore (delete) gives way to a resource that still declares the field.
 */
export class SharedClaims {
  private readonly claims = new Map<string, { value: string | null; phoneNumbers: Set<string> }>();

  /**
   * Records the claims of a write to `target`, and returns the fields it may write. With `group`
   * (members of one set on one object), every conflicting field is named at once: a set with
   * per-number values cannot put two values on one object.
   */
  claim(
    phoneNumber: string,
    target: WriteTarget,
    changes: WebhookChanges,
    restoring: boolean,
    group?: GroupClaim,
  ): WebhookField[] {
    // A member's claim counts even alone on the object: a member joining later claims it too.
    if (target.sharedWith.length === 0 && !group) return target.fields;
    const writable: WebhookField[] = [];
    const conflicts: string[] = [];
    for (const field of target.fields) {
      const key = claimKey(target.kind, target.id, field);
      const value = changes[field] ?? null;
      const claim = this.claims.get(key);
      const others = claim ? [...claim.phoneNumbers].filter((n) => n !== phoneNumber) : [];
      if (claim && others.length && claim.value !== value) {
        if (restoring) continue;
        if (group) {
          conflicts.push(
            `${field} (${others.join(", ")} ${others.length > 1 ? "set" : "sets"} ${describeValue(claim.value)}, ${phoneNumber} sets ${describeValue(value)})`,
          );
          continue;
        }
        throw new WebhookError(
          `Conflicting declarations for the shared ${target.kind.label} ${target.id}: ${others[0]} sets ${field} to ` +
            `${describeValue(claim.value)} and ${phoneNumber} sets it to ${describeValue(value)}. Every number on it shares one value: declare the same URL on both`,
          "conflict",
        );
      }
      writable.push(field);
      if (restoring) continue;
      if (claim && claim.value === value) claim.phoneNumbers.add(phoneNumber);
      else this.claims.set(key, { value, phoneNumbers: new Set([phoneNumber]) });
    }
    if (group && conflicts.length)
      throw new WebhookError(
        `Conflicting values among the members of ${group.label} for ${group.object}: ${conflicts.join("; ")}. ` +
          `One object holds one value for every number on it: give these members the same values, or manage them in separate sets`,
        "conflict",
      );
    return writable;
  }

  /**
   * Withdraws a number's claims on an object's fields: its write there is being undone, so it no
   * longer declares them. A number that failed must not keep the next one's write in place.
   */
  release(phoneNumber: string, kind: ObjectKind, id: string, fields: readonly WebhookField[]): void {
    for (const field of fields) {
      const key = claimKey(kind, id, field);
      const claim = this.claims.get(key);
      if (!claim) continue;
      claim.phoneNumbers.delete(phoneNumber);
      if (claim.phoneNumbers.size === 0) this.claims.delete(key);
    }
  }

  /** The claims `phoneNumber` holds now, by key: what a dry run of planning leaves in place. */
  heldBy(phoneNumber: string): Set<string> {
    const held = new Set<string>();
    for (const [key, claim] of this.claims) if (claim.phoneNumbers.has(phoneNumber)) held.add(key);
    return held;
  }

  /**
   * Withdraws the claims `phoneNumber` made since it held `before` (see `heldBy`): a dry run's
   * claims are no write's, and must not keep another number's write in place on its undo.
   */
  withdrawSince(phoneNumber: string, before: ReadonlySet<string>): void {
    for (const [key, claim] of this.claims) {
      if (before.has(key) || !claim.phoneNumbers.has(phoneNumber)) continue;
      claim.phoneNumbers.delete(phoneNumber);
      if (claim.phoneNumbers.size === 0) this.claims.delete(key);
    }
  }

  /** Whether a number of this run other than `phoneNumber` declares `field` of this object with `value`. */
  claimedByOthers(
    phoneNumber: string,
    kind: ObjectKind,
    id: string,
    field: WebhookField,
    value: string | null,
  ): boolean {
    const claim = this.claims.get(claimKey(kind, id, field));
    return !!claim && claim.value === value && [...claim.phoneNumbers].some((n) => n !== phoneNumber);
  }
}

/** A claim by a member of a group: which group, and the object as an error names it. */
export interface GroupClaim {
  label: string;
  object: string;
}

const claimKey = (kind: ObjectKind, id: string, field: WebhookField) => `${kind.path}/${id}#${field}`;
