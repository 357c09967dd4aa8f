/**
 * The Telnyx carrier: its settings, identifiers, argument rules and factory. The carrier itself
 * (`carrier.ts`: caches, locks and writes; `client.ts`: the SDK; `kinds.ts`: the objects that hold
 * webhooks; `planning.ts`: which objects a change writes) loads only when the factory runs.
 */
import { carrierBaseUrl, type CarrierDescriptor } from "../carrier";
import type { TelnyxSettings } from "./client";
import { SMS_METHOD_ON_TELNYX, type TelnyxIds } from "./kinds";
import { telnyxPreflightEvent } from "./preflight-event";
import { TELNYX_SELECTORS } from "./selectors";
import { TELNYX_SETTINGS } from "./settings";

export type { TelnyxIds, TelnyxSettings };

const SETTINGS = TELNYX_SETTINGS;

export const telnyxCarrier: CarrierDescriptor<"telnyx", TelnyxSettings, TelnyxIds, keyof typeof SETTINGS> = {
  name: "telnyx",
  settings: SETTINGS,
  credentials: { config: "telnyx:apiKey", env: "TELNYX_API_KEY" },
  idKeys: ["phoneNumberId", "connectionId", "connectionType", "messagingProfileId"],
  selectors: TELNYX_SELECTORS,
  sharedObjects: { what: "Telnyx connection or messaging profile" },
  isolatedIdKeys: ["connectionId", "messagingProfileId"],
  loadSettings({ apiKey, baseUrl }) {
    if (!apiKey) return undefined;
    return { apiKey, baseUrl: carrierBaseUrl("telnyx:baseUrl", baseUrl ?? "https://api.telnyx.com/v2") };
  },
  preflightEvent: telnyxPreflightEvent,
  checkArgs: (known) =>
    known.smsMethod !== undefined ? [{ property: "smsMethod", reason: SMS_METHOD_ON_TELNYX }] : [],
  async create(settings, retry) {
    const { TelnyxCarrier } = await import("./carrier.js");
    return new TelnyxCarrier(settings, retry);
  },
};
