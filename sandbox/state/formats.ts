/**
 * The value formats the carriers share (E.164, http(s) URLs, RFC 2822 and ISO 8601 dates) and the
 * hash the carriers' generated ids come from: ids are derived from a hash of their parts, so the
 * same seed always yields the same ids.
 */
import { createHash } from "node:crypto";

export const E164 = /^\+[1-9]\d{1,14}$/;

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
/** RFC 2822 dates, as the older carrier APIs write them: "Thu, 14 Mar 2024 15:09:26 +0000". */
export function rfc2822(d: Date = new Date()): string {
  return d.toUTCString().replace("GMT", "+0000");
}

/** ISO 8601 in UTC to the second: "2024-03-14T15:09:26Z". */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export function iso8601(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The creation date of everything a seed creates (fixed, so state dumps are reproducible). */
export const SEED_DATE = new Date("2024-03-14T15:09:26.000Z");
