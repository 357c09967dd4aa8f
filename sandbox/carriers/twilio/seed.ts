/**
 * Twilio's seed section to state and back: the accounts over their defaults (SIDs and numbers
 * unique across the main account and its subaccounts), Messaging Services and their numbers, and
 * the state in the section's shape. Also the lookups the handlers and the control API share.
 */
import type { z } from "zod";
import {
  DEFAULT_TWILIO_ACCOUNT_SID,
  DEFAULT_TWILIO_AUTH_TOKEN,
  DEFAULT_TWILIO_FRIENDLY_NAME,
  messagingServiceDefaults,
  messagingServiceUrls,
  subaccountDefaults,
  twilioNumberDefaults,
} from "./defaults";
import type { twilioNumberSeedSchema, twilioSeedSchema } from "./schemas";
import type {
  SandboxTwilioAccount,
  TwilioAccountState,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
  TwilioMessagingServiceState,
  TwilioState,
  TwilioStateSection,
} from "./state";

/** A Twilio account as the seed schema parses it. */
type TwilioAccountInput = Omit<z.output<typeof twilioSeedSchema>, "subaccounts">;

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

/** Twilio's section of a seed over its defaults: the main account, then its subaccounts. */
export function normalizeTwilio(
  section: z.output<typeof twilioSeedSchema> | undefined,
  problems: string[],
): TwilioState {
  const tw = section ?? {};
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
  return { ...main, subaccounts };
}

/** Twilio's section of `state()` (not a copy). */
export function dumpTwilio(state: TwilioState): TwilioStateSection {
  return { ...dumpTwilioAccount(state), subaccounts: [...state.subaccounts.values()].map(dumpTwilioAccount) };
}
