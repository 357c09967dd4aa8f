/**
 * Seed to state and back: read a seed file, check and normalise a seed (defaults filled in,
 * names resolved to ids), dump the state in the seed's shape, and the state lookups the
 * normalisation shares with the carrier handlers.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import { SeedError, formatZodError } from "../errors";
import {
  DEFAULT_TELNYX_API_KEY,
  DEFAULT_TWILIO_ACCOUNT_SID,
  DEFAULT_TWILIO_AUTH_TOKEN,
  DEFAULT_TWILIO_FRIENDLY_NAME,
  ccaDefaults,
  credentialDefaults,
  messagingProfileDefaults,
  messagingServiceDefaults,
  messagingServiceUrls,
  subaccountDefaults,
  telnyxNumberDefaults,
  texmlDefaults,
  twilioNumberDefaults,
} from "./defaults";
import { seedSchema, type telnyxNumberSeedSchema, type twilioNumberSeedSchema } from "./schemas";
import {
  TELNYX_CONNECTION_KINDS,
  type NormalizedState,
  type SandboxSeed,
  type SandboxState,
  type SandboxTwilioAccount,
  type StoredCallControlApplication,
  type StoredCredentialConnection,
  type StoredTexmlApplication,
  type TelnyxConnectionKind,
  type TelnyxPhoneNumber,
  type TwilioAccountState,
  type TwilioIncomingPhoneNumber,
  type TwilioMessagingService,
  type TwilioMessagingServiceState,
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

/** A Twilio account as the seed schema parses it. */
type TwilioAccountInput = Omit<NonNullable<z.output<typeof seedSchema>["twilio"]>, "subaccounts">;

/** The SIDs (of every kind: their prefixes differ) and numbers that earlier parts of the seed took. */
interface TwilioSeen {
  e164: Set<string>;
  sids: Set<string>;
}

/** One Twilio account of a seed: numbers over their defaults, then services and their numbers. */
function normalizeTwilioAccount(
  seed: TwilioAccountInput,
  defaults: { account_sid: string; auth_token: string; friendly_name: string },
  where: string,
  seen: TwilioSeen,
  problems: string[],
): TwilioAccountState {
  const accountSid = defaults.account_sid;
  const account: TwilioAccountState = {
    account_sid: accountSid,
    auth_token: seed.auth_token ?? defaults.auth_token,
    friendly_name: seed.friendly_name ?? defaults.friendly_name,
    api_keys: seed.api_keys ?? [],
    numbers: new Map(),
    messaging_services: new Map(),
    service_members: new Map(),
  };
  /** Records a SID as taken (a problem when it already was). */
  const claim = (sid: string) => {
    if (seen.sids.has(sid)) problems.push(`twilio: duplicate sid ${sid}`);
    seen.sids.add(sid);
  };
  const checkAccount = (field: string, sid: string | undefined) => {
    if (sid !== undefined && sid !== accountSid) {
      problems.push(`${field}.account_sid: must be its account's account_sid (${accountSid})`);
    }
  };
  for (const key of account.api_keys) claim(key.sid);
  (seed.incoming_phone_numbers ?? []).forEach((n, i) => {
    checkAccount(`${where}.incoming_phone_numbers.${i}`, n.account_sid);
    const merged = twilioNumberFromSeed(accountSid, n);
    if (seen.e164.has(merged.phone_number))
      problems.push(`twilio: duplicate phone_number ${merged.phone_number}`);
    seen.e164.add(merged.phone_number);
    claim(merged.sid);
    account.numbers.set(merged.sid, merged);
  });
  (seed.messaging_services ?? []).forEach((given, i) => {
    const { phone_numbers, ...fields } = given;
    const base = messagingServiceDefaults(accountSid, i, fields.friendly_name, fields.sid);
    // url and links follow from the SID, whatever the seed says.
    const service: TwilioMessagingService = { ...base, ...fields, ...messagingServiceUrls(base.sid) };
    if (fields.date_updated === undefined && fields.date_created !== undefined) {
      service.date_updated = fields.date_created;
    }
    checkAccount(`${where}.messaging_services.${i}`, fields.account_sid);
    claim(service.sid);
    account.messaging_services.set(service.sid, service);
    for (const e164 of phone_numbers ?? []) {
      const n = findTwilioNumber(account, e164);
      const refused = n
        ? joinMessagingService(account, service.sid, n, service.date_created)
        : `${e164} is not one of this account's incoming_phone_numbers`;
      if (refused) problems.push(`${where}.messaging_services.${i}.phone_numbers: ${refused}`);
    }
  });
  return account;
}

/** A Twilio number as a seed gives it, over its defaults in `accountSid`. */
export function twilioNumberFromSeed(
  accountSid: string,
  n: z.output<typeof twilioNumberSeedSchema>,
): TwilioIncomingPhoneNumber {
  const base = twilioNumberDefaults(accountSid, n.phone_number, n.sid);
  const merged: TwilioIncomingPhoneNumber = {
    ...base,
    ...n,
    capabilities: { ...base.capabilities, ...n.capabilities },
  };
  if (n.uri === undefined) merged.uri = base.uri;
  if (n.date_updated === undefined && n.date_created !== undefined) merged.date_updated = n.date_created;
  return merged;
}

/**
 * A Telnyx number as a seed gives it, over its defaults: its connection and messaging profile by
 * id, else by name, in `telnyx`. What cannot be resolved is pushed to `problems`, at `where`.
 */
export function telnyxNumberFromSeed(
  telnyx: NormalizedState["telnyx"],
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

/** The account's number with this E.164, if any. */
export function findTwilioNumber(
  account: TwilioAccountState,
  phoneNumber: string,
): TwilioIncomingPhoneNumber | undefined {
  for (const n of account.numbers.values()) if (n.phone_number === phoneNumber) return n;
  return undefined;
}

/**
 * Puts a number in one of its account's Messaging Services (already there: nothing changes).
 * Twilio's rule: a number is in one service at most. Returns why it is refused, if it is.
 */
export function joinMessagingService(
  account: TwilioAccountState,
  serviceSid: string,
  n: TwilioIncomingPhoneNumber,
  date: string,
): string | undefined {
  const current = account.service_members.get(n.sid);
  if (current && current.service_sid !== serviceSid) {
    return `${n.phone_number} is already in Messaging Service ${current.service_sid}; a number can be in one service only`;
  }
  if (!current) account.service_members.set(n.sid, { service_sid: serviceSid, date_created: date });
  return undefined;
}

/** The numbers in a Messaging Service, in the order they joined. */
export function serviceNumbers(account: TwilioAccountState, serviceSid: string): TwilioIncomingPhoneNumber[] {
  const numbers: TwilioIncomingPhoneNumber[] = [];
  for (const [sid, m] of account.service_members) {
    const n = account.numbers.get(sid);
    if (m.service_sid === serviceSid && n) numbers.push(n);
  }
  return numbers;
}

/** Parse and normalise a seed (already-parsed JSON). Throws SeedError with every problem found. */
export function normalizeSeed(input: unknown): NormalizedState {
  const parsed = seedSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SeedError(`invalid seed: ${formatZodError(parsed.error)}`);
  const seed = parsed.data;
  const problems: string[] = [];

  // Twilio: the main account, then its subaccounts. SIDs and numbers are unique across all of them.
  const tw = seed.twilio ?? {};
  const seen: TwilioSeen = { e164: new Set(), sids: new Set() };
  const mainSid = tw.account_sid ?? DEFAULT_TWILIO_ACCOUNT_SID;
  seen.sids.add(mainSid);
  const main = normalizeTwilioAccount(
    tw,
    {
      account_sid: mainSid,
      auth_token: DEFAULT_TWILIO_AUTH_TOKEN,
      friendly_name: DEFAULT_TWILIO_FRIENDLY_NAME,
    },
    "twilio",
    seen,
    problems,
  );
  const subaccounts = new Map<string, TwilioAccountState>();
  (tw.subaccounts ?? []).forEach((sub, j) => {
    const where = `twilio.subaccounts.${j}`;
    const defaults = subaccountDefaults(mainSid, j, sub.friendly_name, sub.account_sid);
    if (seen.sids.has(defaults.account_sid)) {
      problems.push(`${where}.account_sid: duplicate account sid ${defaults.account_sid}`);
    }
    seen.sids.add(defaults.account_sid);
    subaccounts.set(defaults.account_sid, normalizeTwilioAccount(sub, defaults, where, seen, problems));
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

  const seenTelnyxE164 = new Set<string>();
  (t?.phone_numbers ?? []).forEach((n, i) => {
    const obj = telnyxNumberFromSeed(telnyx, n, `telnyx.phone_numbers.${i}`, problems);
    if (seenTelnyxE164.has(obj.phone_number))
      problems.push(`telnyx: duplicate phone_number ${obj.phone_number}`);
    if (telnyx.phone_numbers.has(obj.id)) problems.push(`telnyx: duplicate phone number id ${obj.id}`);
    seenTelnyxE164.add(obj.phone_number);
    telnyx.phone_numbers.set(obj.id, obj);
  });

  if (problems.length) throw new SeedError(`invalid seed: ${problems.join("; ")}`);

  const normalized: NormalizedState = { twilio: { ...main, subaccounts }, telnyx };
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

/** One Twilio account in the seed's shape (not a copy). */
export function dumpTwilioAccount(a: TwilioAccountState): SandboxTwilioAccount {
  return {
    account_sid: a.account_sid,
    auth_token: a.auth_token,
    friendly_name: a.friendly_name,
    api_keys: a.api_keys,
    incoming_phone_numbers: [...a.numbers.values()],
    messaging_services: [...a.messaging_services.values()].map((service) => dumpMessagingService(a, service)),
  };
}

/** A Messaging Service of the account, with the numbers in it, in the seed's shape (not a copy). */
export function dumpMessagingService(
  a: TwilioAccountState,
  service: TwilioMessagingService,
): TwilioMessagingServiceState {
  return { ...service, phone_numbers: serviceNumbers(a, service.sid).map((n) => n.phone_number) };
}

/** The state as a plain JSON object in the seed's shape (deep copy). */
export function dumpState(s: NormalizedState): SandboxState {
  return structuredClone({
    twilio: {
      ...dumpTwilioAccount(s.twilio),
      subaccounts: [...s.twilio.subaccounts.values()].map(dumpTwilioAccount),
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
