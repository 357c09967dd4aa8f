/**
 * Errors and messages. Wording follows the REST endpoint this resource replaces, so users who
 * know it recognise them; every text goes through `redactText` before it can reach a log.
 */
import type { z } from "zod";
import { redactText } from "./webhooks";

export type WebhookErrorKind = "invalid" | "not-found" | "carrier" | "conflict" | "credentials";

/** An error meant for the user: its message says what happened and what to do. */
export class WebhookError extends Error {
  /** Set when a failed change could not be fully put back: the carrier holds part of it. */
  partiallyApplied = false;

  constructor(
    message: string,
    readonly kind: WebhookErrorKind,
  ) {
    super(redactText(message));
    this.name = "WebhookError";
  }
}

/** A failed carrier call, described without credentials, headers or request bodies. */
export class CarrierError extends WebhookError {
  constructor(
    readonly carrier: string,
    readonly call: string,
    readonly status: number | undefined,
    readonly reason: string,
    kind: WebhookErrorKind = "carrier",
  ) {
    super(`${carrier} ${call} failed${status ? ` (HTTP ${status})` : ""}: ${reason}`, kind);
    this.name = "CarrierError";
  }
}

export const successMessage = (count: number, phoneNumber: string, provider: string) =>
  `Successfully updated ${count} webhook(s) for ${phoneNumber} via ${provider}`;

export const notFoundMessage = (phoneNumber: string, providers: readonly string[]) =>
  `Phone number ${phoneNumber} not found in ${providers.join(" or ")} account`;

export function updateFailed(phoneNumber: string, provider: string, cause: unknown): WebhookError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const kind = cause instanceof WebhookError ? cause.kind : "carrier";
  return new WebhookError(`Failed to update webhooks for ${phoneNumber} via ${provider}: ${reason}`, kind);
}

/**
 * Checks a carrier's answer against the fields this package reads. A malformed answer (missing
 * fields, wrong types, an HTML page, an empty body) becomes a `CarrierError` naming the carrier,
 * the call and the field, never a crash on `undefined` further on.
 */
export function parseCarrierResponse<T>(
  carrier: string,
  call: string,
  schema: z.ZodType<T>,
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") ?? "";
  const missing = issue?.code === "invalid_type" && /received undefined/.test(issue.message);
  const reason =
    value === undefined || value === null || value === ""
      ? "the body is empty"
      : typeof value === "string"
        ? "the body is not JSON"
        : missing
          ? `${path || "the body"} is missing`
          : `${path || "the body"}: ${issue?.message ?? "invalid"}`;
  return throwUnexpected(carrier, call, reason);
}

function throwUnexpected(carrier: string, call: string, reason: string): never {
  throw new CarrierError(carrier, call, undefined, `unexpected response: ${reason}`);
}
