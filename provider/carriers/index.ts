/**
 * The carrier registry: every carrier this package supports, by its descriptor. The carrier name
 * type and list, the identifiers reported as outputs, the settings read and the argument rules
 * all come from here. A new carrier is one module and one line in `DESCRIPTORS`.
 */
import { z } from "zod";
import type { CarrierDescriptor } from "./carrier";
import { signalwireCarrier } from "./signalwire";
import { telnyxCarrier } from "./telnyx";
import { twilioCarrier } from "./twilio";

const DESCRIPTORS = [twilioCarrier, telnyxCarrier, signalwireCarrier] as const;

export type CarrierName = (typeof DESCRIPTORS)[number]["name"];
/** Every identifier some carrier reports, as an output of the same name. */
export type CarrierIdKey = (typeof DESCRIPTORS)[number]["idKeys"][number];

export const CARRIERS: readonly CarrierDescriptor<CarrierName>[] = DESCRIPTORS;
export const CARRIER_NAMES: readonly CarrierName[] = DESCRIPTORS.map((d) => d.name);
export const CARRIER_ID_KEYS: readonly CarrierIdKey[] = [...new Set(DESCRIPTORS.flatMap((d) => d.idKeys))];

export function carrierDescriptor(name: CarrierName): CarrierDescriptor<CarrierName> {
  return CARRIERS.find((d) => d.name === name)!;
}

/**
 * The rule of an account identifier given for a subaccount (the `accountSid` argument, adopt's
 * `--account`): one that some carrier with subaccounts takes. Which carrier, `check` says.
 */
export function subaccountIdSchema(property: string): z.ZodType<string> {
  const rules = CARRIERS.flatMap((c) => (c.subaccounts ? [c.subaccounts] : []));
  // One pattern, so that the numbers file's JSON Schema carries it for editors.
  const pattern = new RegExp(rules.map((r) => `(?:${r.pattern.source})`).join("|"));
  return z.string({ error: `${property} must be a string` }).regex(pattern, {
    error: (issue) =>
      `${property} must be ${rules.map((r) => r.rule).join(" or ")} (got ${JSON.stringify(issue.input)})`,
  });
}

/** What `accountSid` names, for messages: `Twilio subaccount`, from the carriers that have them. */
export function subaccountNames(): string {
  return CARRIERS.flatMap((c) => (c.subaccounts ? [c.subaccounts.what] : [])).join(" or ");
}

/** The names as a message lists them: `"a", "b" or "c"`. */
export function listNames(names: readonly string[], conjunction: "or" | "and"): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length > 1
    ? `${quoted.slice(0, -1).join(", ")} ${conjunction} ${quoted.at(-1)}`
    : (quoted[0] ?? "");
}
