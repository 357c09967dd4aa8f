/**
 * The vocabulary shared by the lifecycle and every carrier: which webhook settings exist, how a
 * number's live configuration is described, and how URLs are shown without their passwords.
 */

/** Every webhook setting this resource manages, in the order they are shown. */
export const WEBHOOK_FIELDS = [
  "voiceUrl",
  "voiceMethod",
  "voiceFallbackUrl",
  "smsUrl",
  "smsMethod",
  "smsFallbackUrl",
  "statusCallbackUrl",
] as const;
export type WebhookField = (typeof WEBHOOK_FIELDS)[number];

export const URL_FIELDS = [
  "voiceUrl",
  "voiceFallbackUrl",
  "smsUrl",
  "smsFallbackUrl",
  "statusCallbackUrl",
] as const satisfies readonly WebhookField[];

/** A number's webhook configuration as the carrier holds it: `null` where unset. */
export type WebhookSettings = Record<WebhookField, string | null>;

/** The fields to write: a string sets the field, `null` clears it, a missing key leaves it alone. */
export type WebhookChanges = Partial<WebhookSettings>;

export const UNSET_WEBHOOKS: WebhookSettings = Object.freeze(recordOf(WEBHOOK_FIELDS, () => null));

/** An object with one entry per key: the typed form of `Object.fromEntries` over a known list. */
export function recordOf<K extends string, V>(keys: readonly K[], value: (key: K) => V): Record<K, V> {
  return Object.fromEntries(keys.map((key) => [key, value(key)])) as Record<K, V>;
}

/** Carriers answer `""`, `null` or nothing for an unset value; all three mean unset. */
export function normalizeValue(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Methods are stored upper case whatever the carrier's spelling (Telnyx TeXML says `post`). */
export function normalizeMethod(value: unknown): string | null {
  const method = normalizeValue(value);
  return method === null ? null : method.toUpperCase();
}

export function isVoiceField(field: WebhookField): boolean {
  return field.startsWith("voice") || field === "statusCallbackUrl";
}

/**
 * Replaces the password of a URL with `***`, so a URL can be printed in messages and errors.
 * The userinfo ends at the authority's last `@`, as URL parsers read it, so a raw `@` in a
 * password is masked too; text before the `//` (a quote, spaces) is kept as is.
 */
export function redactUrl(url: string): string {
  const slashes = url.indexOf("//");
  if (slashes < 0) return url;
  const authorityStart = slashes + 2;
  const rest = url.slice(authorityStart);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  if (at < 0) return url;
  const colon = authority.indexOf(":");
  // "user:password@": keep the user. A lone "token@" is the secret itself.
  const keep = colon >= 0 && colon < at ? colon + 1 : 0;
  return `${url.slice(0, authorityStart + keep)}***${url.slice(authorityStart + at)}`;
}

/** Redacts every URL with a password in a free text (a carrier's error message, say). */
export function redactText(text: string): string {
  return text.replace(/\S*\/\/\S*@\S*/g, (token) => redactUrl(token));
}

export function hasUserinfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
}

/** A value for a message: quoted, password masked, or "empty". */
export function describeValue(value: string | null | undefined): string {
  return value ? JSON.stringify(redactUrl(value)) : "empty";
}
