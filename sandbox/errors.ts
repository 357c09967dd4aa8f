/**
 * The sandbox's own errors (not carrier errors: those are responses, in each carrier's shape), and
 * the checks of control requests that raise them, shared by the control API and the carriers'
 * control routes.
 */
import { z } from "zod";

/** A seed that cannot be loaded: every problem found, in one message. */
export class SeedError extends Error {
  override name = "SeedError";
}

/** A control call that cannot be carried out: bad input (400), no such thing (404), wrong method (405). */
export class ControlError extends Error {
  override name = "ControlError";
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Every issue of a zod error on one line: "path.to.field: what is wrong; ...". */
export function formatZodError(err: z.ZodError, prefix = ""): string {
  return err.issues
    .map((i) => {
      const where = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
      const detail = i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : i.message;
      return where ? `${where}: ${detail}` : detail;
    })
    .join("; ");
}

/** A control request's JSON body ("" is `{}`); ControlError when it is not JSON. */
export function parseControlJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError("body is not valid JSON");
  }
}

/** A control request's JSON body as `schema` parses it; ControlError (400) when it does not. */
export function parseControlBody<T>(schema: z.ZodType<T>, text: string): T {
  const r = schema.safeParse(parseControlJson(text));
  if (!r.success) throw new ControlError(formatZodError(r.error));
  return r.data;
}

/** ControlError 405 unless `method` is one of `allowed`. */
export function allowMethods(method: string, pathname: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) throw new ControlError(`${method} not allowed on ${pathname}`, 405);
}

/** A control answer: 200 with the thing found, or 404 `{error: "<what> not found"}`. */
export function okOrNotFound(found: unknown, what: string): { status: number; body: unknown } {
  return found ? { status: 200, body: found } : { status: 404, body: { error: `${what} not found` } };
}

/** A console edit's body: fields and values (each carrier checks them). */
export const controlPatchBody = z.record(z.string(), z.unknown());
/** A number to buy: its fields are checked by the carrier, as a seed's are. */
export const controlNumberBody = z.looseObject({ phone_number: z.string() });
