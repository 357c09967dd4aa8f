/** What the two carrier APIs (twilio.ts, telnyx.ts) and the server share. */

export type Carrier = "twilio" | "telnyx";

/** A carrier handler's answer; the server adds the carrier's request id headers and sends it as JSON. */
export interface CarrierResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Release {
  carrier: Carrier;
  /** Twilio SID, or Telnyx phone number id. */
  sid: string;
  phoneNumber: string;
  /** "release": a DELETE; "transfer": a Twilio update with another `AccountSid`. */
  kind: "release" | "transfer";
}

/** A URL path segment, decoded; as is when it is not valid percent-encoding (the route then finds nothing). */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
