/**
 * Seed to state and back: read a seed file, check and normalise a seed (defaults filled in,
 * names resolved to ids), dump the state in the seed's shape, and the state lookups the
 * normalisation shares with the carrier handlers.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SeedError, formatZodError } from "../errors";
import {
  DEFAULT_TELNYX_API_KEY,
  DEFAULT_TWILIO_ACCOUNT_SID,
  DEFAULT_TWILIO_AUTH_TOKEN,
  ccaDefaults,
  credentialDefaults,
  messagingProfileDefaults,
  telnyxNumberDefaults,
  texmlDefaults,
  twilioNumberDefaults,
} from "./defaults";
import { seedSchema } from "./schemas";
import {
  TELNYX_CONNECTION_KINDS,
  type NormalizedState,
  type SandboxSeed,
  type SandboxState,
  type StoredCallControlApplication,
  type StoredCredentialConnection,
  type StoredTexmlApplication,
  type TelnyxConnectionKind,
  type TelnyxPhoneNumber,
  type TwilioIncomingPhoneNumber,
} from "./types";

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
  state: NormalizedState["telnyx"],
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

/** Parse and normalise a seed (already-parsed JSON). Throws SeedError with every problem found. */
export function normalizeSeed(input: unknown): NormalizedState {
  const parsed = seedSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SeedError(`invalid seed: ${formatZodError(parsed.error)}`);
  const seed = parsed.data;
  const problems: string[] = [];

  // Twilio
  const accountSid = seed.twilio?.account_sid ?? DEFAULT_TWILIO_ACCOUNT_SID;
  const twilioNumbers = new Map<string, TwilioIncomingPhoneNumber>();
  const seenE164 = new Set<string>();
  (seed.twilio?.incoming_phone_numbers ?? []).forEach((n, i) => {
    if (n.account_sid !== undefined && n.account_sid !== accountSid) {
      problems.push(`twilio.incoming_phone_numbers.${i}.account_sid: must be the seed's account_sid`);
    }
    const base = twilioNumberDefaults(accountSid, n.phone_number, n.sid);
    const merged: TwilioIncomingPhoneNumber = {
      ...base,
      ...n,
      capabilities: { ...base.capabilities, ...n.capabilities },
    };
    if (n.uri === undefined) merged.uri = base.uri;
    if (n.date_updated === undefined && n.date_created !== undefined) merged.date_updated = n.date_created;
    if (seenE164.has(merged.phone_number))
      problems.push(`twilio: duplicate phone_number ${merged.phone_number}`);
    if (twilioNumbers.has(merged.sid)) problems.push(`twilio: duplicate sid ${merged.sid}`);
    seenE164.add(merged.phone_number);
    twilioNumbers.set(merged.sid, merged);
  });

  // Telnyx objects
  const t = seed.telnyx;
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
  const telnyx: NormalizedState["telnyx"] = {
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

  /** The id of the one object in `matches`; otherwise a problem that says how many there are. */
  const onlyId = (matches: Array<{ id: string }>, problem: (count: number) => string) => {
    const [only] = matches;
    if (matches.length === 1 && only) return only.id;
    problems.push(problem(matches.length));
    return undefined;
  };
  const seenTelnyxE164 = new Set<string>();
  (t?.phone_numbers ?? []).forEach((n, i) => {
    const where = `telnyx.phone_numbers.${i}`;
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
        problems.push(
          `${where}.messaging_profile_id: no messaging profile with id ${n.messaging_profile_id}`,
        );
      }
    } else if (!n.messaging_profile_id && n.messaging_profile_name) {
      const id = onlyId(
        [...telnyx.messaging_profiles.values()].filter((p) => p.name === n.messaging_profile_name),
        (count) => `${where}.messaging_profile_name: ${count} profiles named ${n.messaging_profile_name}`,
      );
      if (id !== undefined) obj.messaging_profile_id = id;
    }
    if (seenTelnyxE164.has(obj.phone_number))
      problems.push(`telnyx: duplicate phone_number ${obj.phone_number}`);
    if (telnyx.phone_numbers.has(obj.id)) problems.push(`telnyx: duplicate phone number id ${obj.id}`);
    seenTelnyxE164.add(obj.phone_number);
    telnyx.phone_numbers.set(obj.id, obj);
  });

  if (problems.length) throw new SeedError(`invalid seed: ${problems.join("; ")}`);

  const normalized: NormalizedState = {
    twilio: {
      account_sid: accountSid,
      auth_token: seed.twilio?.auth_token ?? DEFAULT_TWILIO_AUTH_TOKEN,
      api_keys: seed.twilio?.api_keys ?? [],
      numbers: twilioNumbers,
    },
    telnyx,
  };
  for (const n of telnyx.phone_numbers.values()) refreshTelnyxNames(normalized.telnyx, n);
  return normalized;
}

/** Recompute the denormalised `connection_name` / `messaging_profile_name` of a number. */
export function refreshTelnyxNames(
  state: NormalizedState["telnyx"],
  n: TelnyxPhoneNumber,
): TelnyxPhoneNumber {
  const c = n.connection_id ? findConnection(state, n.connection_id) : undefined;
  n.connection_name = c ? connectionDisplayName(c.obj) : null;
  const p =
    n.messaging_profile_id && n.messaging_profile_id !== "UNAVAILABLE"
      ? state.messaging_profiles.get(n.messaging_profile_id)
      : undefined;
  n.messaging_profile_name = p?.name ?? null;
  return n;
}

/** Read a seed file (path relative to the current directory). */
export function loadSeedFile(path: string): SandboxSeed {
  const full = resolve(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (e) {
    throw new SeedError(`cannot read seed file ${full}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as SandboxSeed;
  } catch (e) {
    throw new SeedError(`seed file ${full} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The state as a plain JSON object in the seed's shape (deep copy). */
export function dumpState(s: NormalizedState): SandboxState {
  return structuredClone({
    twilio: {
      account_sid: s.twilio.account_sid,
      auth_token: s.twilio.auth_token,
      api_keys: s.twilio.api_keys,
      incoming_phone_numbers: [...s.twilio.numbers.values()],
    },
    telnyx: {
      api_key: s.telnyx.api_key,
      call_control_applications: [...s.telnyx.call_control_applications.values()],
      texml_applications: [...s.telnyx.texml_applications.values()],
      credential_connections: [...s.telnyx.credential_connections.values()],
      messaging_profiles: [...s.telnyx.messaging_profiles.values()],
      phone_numbers: [...s.telnyx.phone_numbers.values()],
    },
  });
}
