/**
 * Telnyx's seed section to state and back: objects over their defaults, numbers with their
 * connection and messaging profile found by id or name, and the state in the section's shape.
 * Also the lookups the handlers and the control API share.
 */
import type { z } from "zod";
import {
  DEFAULT_TELNYX_API_KEY,
  ccaDefaults,
  credentialDefaults,
  messagingProfileDefaults,
  telnyxNumberDefaults,
  texmlDefaults,
} from "./defaults";
import type { telnyxNumberSeedSchema, telnyxSeedSchema } from "./schemas";
import {
  TELNYX_CONNECTION_KINDS,
  type StoredCallControlApplication,
  type StoredCredentialConnection,
  type StoredTexmlApplication,
  type TelnyxConnectionKind,
  type TelnyxPhoneNumber,
  type TelnyxState,
  type TelnyxStateSection,
} from "./state";

/** The display name Telnyx shows as `connection_name` for any kind of connection. */
export function connectionDisplayName(
  obj: StoredCallControlApplication | StoredTexmlApplication | StoredCredentialConnection,
): string | null {
  if ("application_name" in obj && obj.application_name !== undefined) return obj.application_name;
  if ("friendly_name" in obj && obj.friendly_name !== undefined) return obj.friendly_name;
  if ("connection_name" in obj && obj.connection_name !== undefined) return obj.connection_name;
  return null;
}

export function findConnection(
  state: TelnyxState,
  id: string,
):
  | {
      kind: TelnyxConnectionKind;
      obj: StoredCallControlApplication | StoredTexmlApplication | StoredCredentialConnection;
    }
  | undefined {
  for (const kind of TELNYX_CONNECTION_KINDS) {
    const obj = state[kind].get(id);
    if (obj) return { kind, obj };
  }
  return undefined;
}

/** A seeded Telnyx object over its defaults; `updated_at` defaults to the seed's `created_at`, if given. */
function overDefaults<T extends { created_at?: string; updated_at?: string }>(
  seeded: Partial<T>,
  defaults: T,
): T {
  // Given only when it was created, the object has not changed since.
  const unchangedSince = seeded.updated_at === undefined ? seeded.created_at : undefined;
  return { ...defaults, ...seeded, ...(unchangedSince !== undefined ? { updated_at: unchangedSince } : {}) };
}

/** A map by id, in the given order (a later duplicate replaces an earlier one). */
function byId<T extends { id: string }>(objects: T[]): Map<string, T> {
  return new Map(objects.map((o) => [o.id, o]));
}

/**
 * A Telnyx number as a seed gives it, over its defaults: its connection and messaging profile by
 * id, else by name, in `telnyx`. What cannot be resolved is pushed to `problems`, at `where`.
 */
export function telnyxNumberFromSeed(
  telnyx: TelnyxState,
  n: z.output<typeof telnyxNumberSeedSchema>,
  where: string,
  problems: string[],
): TelnyxPhoneNumber {
  /** The id of the one object in `matches`; otherwise a problem that says how many there are. */
  const onlyId = (matches: Array<{ id: string }>, problem: (count: number) => string) => {
    const [only] = matches;
    if (matches.length === 1 && only) return only.id;
    problems.push(problem(matches.length));
    return undefined;
  };
  const obj: TelnyxPhoneNumber = overDefaults(n, telnyxNumberDefaults(n.phone_number));
  // Voice connection: by id, else by name.
  if (n.connection_id) {
    const c = findConnection(telnyx, n.connection_id);
    if (!c) problems.push(`${where}.connection_id: no connection with id ${n.connection_id}`);
  } else if (n.connection_name) {
    const id = onlyId(
      TELNYX_CONNECTION_KINDS.flatMap((k) =>
        [...telnyx[k].values()].filter((c) => connectionDisplayName(c) === n.connection_name),
      ),
      (count) => `${where}.connection_name: ${count} connections named ${n.connection_name}`,
    );
    if (id !== undefined) obj.connection_id = id;
  }
  // Messaging profile: by id (or the literal "UNAVAILABLE"), else by name.
  if (n.messaging_profile_id && n.messaging_profile_id !== "UNAVAILABLE") {
    if (!telnyx.messaging_profiles.has(n.messaging_profile_id)) {
      problems.push(`${where}.messaging_profile_id: no messaging profile with id ${n.messaging_profile_id}`);
    }
  } else if (!n.messaging_profile_id && n.messaging_profile_name) {
    const id = onlyId(
      [...telnyx.messaging_profiles.values()].filter((p) => p.name === n.messaging_profile_name),
      (count) => `${where}.messaging_profile_name: ${count} profiles named ${n.messaging_profile_name}`,
    );
    if (id !== undefined) obj.messaging_profile_id = id;
  }
  return obj;
}

/** Recompute the denormalised `connection_name` / `messaging_profile_name` of a number. */
export function refreshTelnyxNames(state: TelnyxState, n: TelnyxPhoneNumber): TelnyxPhoneNumber {
  const c = n.connection_id ? findConnection(state, n.connection_id) : undefined;
  n.connection_name = c ? connectionDisplayName(c.obj) : null;
  const p =
    n.messaging_profile_id && n.messaging_profile_id !== "UNAVAILABLE"
      ? state.messaging_profiles.get(n.messaging_profile_id)
      : undefined;
  n.messaging_profile_name = p?.name ?? null;
  return n;
}

/** Telnyx's section of a seed over its defaults. */
export function normalizeTelnyx(
  t: z.output<typeof telnyxSeedSchema> | undefined,
  problems: string[],
): TelnyxState {
  const objects = {
    call_control_applications: (t?.call_control_applications ?? []).map((o, i) =>
      overDefaults(o, ccaDefaults(i, o.application_name)),
    ),
    texml_applications: (t?.texml_applications ?? []).map((o, i) =>
      overDefaults(o, texmlDefaults(i, o.friendly_name)),
    ),
    credential_connections: (t?.credential_connections ?? []).map((o, i) =>
      overDefaults(o, credentialDefaults(i, o.connection_name)),
    ),
    messaging_profiles: (t?.messaging_profiles ?? []).map((o, i) =>
      overDefaults(o, messagingProfileDefaults(i, o.name)),
    ),
  };
  // Connection ids are one namespace across the three kinds (a number's connection_id may be any).
  const connectionIds = new Set<string>();
  for (const kind of TELNYX_CONNECTION_KINDS) {
    for (const { id } of objects[kind]) {
      if (connectionIds.has(id)) problems.push(`telnyx.${kind}: duplicate connection id ${id}`);
      connectionIds.add(id);
    }
  }
  const telnyx: TelnyxState = {
    api_key: t?.api_key ?? DEFAULT_TELNYX_API_KEY,
    call_control_applications: byId(objects.call_control_applications),
    texml_applications: byId(objects.texml_applications),
    credential_connections: byId(objects.credential_connections),
    messaging_profiles: new Map(),
    phone_numbers: new Map(),
  };
  for (const profile of objects.messaging_profiles) {
    if (telnyx.messaging_profiles.has(profile.id))
      problems.push(`telnyx.messaging_profiles: duplicate id ${profile.id}`);
    telnyx.messaging_profiles.set(profile.id, profile);
  }

  const seenE164 = new Set<string>();
  (t?.phone_numbers ?? []).forEach((n, i) => {
    const obj = telnyxNumberFromSeed(telnyx, n, `telnyx.phone_numbers.${i}`, problems);
    if (seenE164.has(obj.phone_number)) problems.push(`telnyx: duplicate phone_number ${obj.phone_number}`);
    if (telnyx.phone_numbers.has(obj.id)) problems.push(`telnyx: duplicate phone number id ${obj.id}`);
    seenE164.add(obj.phone_number);
    telnyx.phone_numbers.set(obj.id, obj);
  });
  for (const n of telnyx.phone_numbers.values()) refreshTelnyxNames(telnyx, n);
  return telnyx;
}

/** Telnyx's section of `state()` (not a copy); the numbers' connection and profile names refreshed. */
export function dumpTelnyx(s: TelnyxState): TelnyxStateSection {
  for (const n of s.phone_numbers.values()) refreshTelnyxNames(s, n);
  return {
    api_key: s.api_key,
    call_control_applications: [...s.call_control_applications.values()],
    texml_applications: [...s.texml_applications.values()],
    credential_connections: [...s.credential_connections.values()],
    messaging_profiles: [...s.messaging_profiles.values()],
    phone_numbers: [...s.phone_numbers.values()],
  };
}
