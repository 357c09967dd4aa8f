/**
 * The carriers' value formats (E.164, Twilio SIDs, http(s) URLs, RFC 2822 and ISO 8601 dates) and the
 * sandbox's id generation. Ids are derived from a hash of their parts, so the same seed always
 * yields the same SIDs and ids.
 */
import { createHash } from "node:crypto";

export const E164 = /^\+[1-9]\d{1,14}$/;
export const TWILIO_SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);

export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    return u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** SHA-256 of the parts (NUL-separated), in hex: the source of every generated id and secret. */
export function hashHex(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
/** A Twilio SID: prefix + 32 hex digits. */
export function twilioSid(prefix: string, ...parts: string[]): string {
  return prefix + hashHex(prefix, ...parts).slice(0, 32);
}
/** A Telnyx numeric id (connections and phone numbers): 19 digits. */
export function telnyxNumericId(...parts: string[]): string {
  const n = BigInt("0x" + hashHex("numeric", ...parts).slice(0, 15)) % 8_999_999_999_999_999_999n;
  return (1_000_000_000_000_000_000n + n).toString();
}
/** A Telnyx UUID (messaging profiles, organizations): version 4 layout. */
export function telnyxUuid(...parts: string[]): string {
  const h = hashHex("uuid", ...parts);
  const variant = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Twilio's RFC 2822 date format: "Thu, 14 Mar 2024 15:09:26 +0000". */
export function rfc2822(d: Date = new Date()): string {
  return d.toUTCString().replace("GMT", "+0000");
}

/** Twilio's ISO 8601 format (Messaging v1 and the other newer APIs): "2024-03-14T15:09:26Z". */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export function iso8601(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
