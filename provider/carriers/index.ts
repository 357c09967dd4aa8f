/**
 * The carrier registry: every carrier this package supports, by its descriptor. The carrier name
 * type and list, the identifiers reported as outputs, the settings read and the argument rules
 * all come from here. A new carrier is one module and one line in `DESCRIPTORS`.
 */
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

/** "twilio" or "telnyx": the names as a message lists them. */
export function listNames(names: readonly string[], conjunction: "or" | "and"): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length > 1
    ? `${quoted.slice(0, -1).join(", ")} ${conjunction} ${quoted.at(-1)}`
    : (quoted[0] ?? "");
}
