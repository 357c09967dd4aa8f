/**
 * `check`: validates the resource's arguments against their schemas and the declared carrier's
 * rules, and reports one failure per property, in the words of the REST endpoint this resource
 * replaces.
 */
import type { CheckFailure } from "./carriers/carrier";
import { CARRIERS, subaccountNames } from "./carriers";
import { unreachableHostReason } from "./reachability";
import { didYouMean } from "./spelling";
import { ARG_NAMES, ARGUMENT_SCHEMAS, isUnknown, type ArgumentName } from "./schema";
import { URL_FIELDS } from "./webhooks";

export type { CheckFailure };

export const MISSING_WEBHOOK = "At least one webhook URL (voiceUrl or smsUrl) must be provided";

export interface CheckOptions {
  /**
   * Accept webhook hosts no carrier can reach (loopback, private networks, local names): stack
   * config `phoneWebhooks:allowPrivateHosts`, for labs and tests. Default `false`.
   */
  allowPrivateHosts?: boolean;
}

const isUrlField = (name: string) => (URL_FIELDS as readonly string[]).includes(name);

/**
 * Validates raw inputs. Never throws: every problem becomes a failure naming its property.
 * Values still unknown in a preview pass through unchecked.
 */
export function checkArgs(
  raw: unknown,
  options: CheckOptions = {},
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const inputs: Record<string, unknown> = {};
  const news = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};

  for (const [key, value] of Object.entries(news)) {
    if (key === "__provider") continue;
    if (!(ARG_NAMES as readonly string[]).includes(key)) {
      if (value !== undefined && value !== null)
        failures.push({
          property: key,
          reason: `"${key}" is not a property of PhoneNumberWebhooks${didYouMean(key, ARG_NAMES)}`,
        });
    }
  }

  const required = news.phoneNumber === undefined || news.phoneNumber === null;
  if (required)
    failures.push({
      property: "phoneNumber",
      reason: firstIssue(ARGUMENT_SCHEMAS.phoneNumber.safeParse(undefined)),
    });
  const properties = checkProperties(news, ARG_NAMES, options);
  Object.assign(inputs, properties.inputs);
  failures.push(...properties.failures);

  const given = (name: string) => news[name] !== undefined && news[name] !== null;
  if (!given("voiceUrl") && !given("smsUrl"))
    failures.push({ property: "voiceUrl", reason: MISSING_WEBHOOK });

  // allowSharedUpdate is the older spelling of onShared: both may be given only when they agree.
  const { allowSharedUpdate, onShared } = inputs;
  if (typeof allowSharedUpdate === "boolean" && typeof onShared === "string" && !isUnknown(onShared)) {
    if (allowSharedUpdate !== (onShared === "update"))
      failures.push({
        property: "onShared",
        reason: `onShared: ${JSON.stringify(onShared)} disagrees with allowSharedUpdate: ${allowSharedUpdate}; allowSharedUpdate: true means onShared: "update". Give only onShared`,
      });
  }

  failures.push(...carrierRules(news, ARG_NAMES));
  return { inputs, failures };
}

/**
 * Validates the properties `names` of `news` that are given (and known) against their argument
 * schemas, and a URL's host for reachability. Failures name `${prefix}${name}`.
 */
export function checkProperties(
  news: Readonly<Record<string, unknown>>,
  names: readonly ArgumentName[],
  options: CheckOptions,
  prefix = "",
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const inputs: Record<string, unknown> = {};
  const failures: CheckFailure[] = [];
  for (const name of names) {
    const value = news[name];
    if (value === undefined || value === null) continue;
    if (isUnknown(value)) {
      inputs[name] = value;
      continue;
    }
    const parsed = ARGUMENT_SCHEMAS[name].safeParse(value);
    const property = `${prefix}${name}`;
    if (!parsed.success) {
      failures.push({ property, reason: prefixed(prefix, firstIssue(parsed)) });
      continue;
    }
    // A pure reading of the URL's host, no DNS lookup: loopback, private and local-only hosts.
    const unreachable =
      isUrlField(name) && !options.allowPrivateHosts && unreachableHostReason(name, String(parsed.data));
    if (unreachable) failures.push({ property, reason: prefixed(prefix, unreachable) });
    else inputs[name] = parsed.data;
  }
  return { inputs, failures };
}

/**
 * The declared carrier's own rules, on the values of `names` known now: `accountSid` only where
 * the carrier has subaccounts, then the descriptor's `checkArgs`.
 */
export function carrierRules(
  news: Readonly<Record<string, unknown>>,
  names: readonly ArgumentName[],
  prefix = "",
): CheckFailure[] {
  const carrier = CARRIERS.find((c) => c.name === news.provider);
  if (!carrier) return [];
  const given = (name: string) => news[name] !== undefined && news[name] !== null && !isUnknown(news[name]);
  const failures: CheckFailure[] = [];
  if (!carrier.subaccounts && names.includes("accountSid") && given("accountSid"))
    failures.push({
      property: "accountSid",
      reason: `accountSid is not supported for ${carrier.name}: it names the ${subaccountNames()} that owns a number`,
    });
  // An argument another carrier owns says something this carrier cannot do.
  for (const other of CARRIERS)
    for (const name of other.ownArguments ?? [])
      if (other !== carrier && names.includes(name as ArgumentName) && given(name))
        failures.push({
          property: `${prefix}${name}`,
          reason: prefixed(
            prefix,
            `${name} is not supported for ${carrier.name}: it is for ${other.name} numbers only`,
          ),
        });
  if (carrier.checkArgs) {
    const known = Object.fromEntries(names.filter(given).map((name) => [name, news[name]]));
    for (const failure of carrier.checkArgs(known))
      failures.push({ property: `${prefix}${failure.property}`, reason: prefixed(prefix, failure.reason) });
  }
  return failures;
}

/** A member's failure reads `numbers[2].voiceUrl: …` where its rule names only `voiceUrl`. */
function prefixed(prefix: string, reason: string): string {
  return prefix ? `${prefix.replace(/\.$/, "")}: ${reason}` : reason;
}

function firstIssue(result: { success: boolean; error?: { issues: { message: string }[] } }): string {
  return result.success ? "" : (result.error?.issues[0]?.message ?? "invalid");
}
