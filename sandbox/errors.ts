/** The sandbox's own errors (not carrier errors: those are responses, in each carrier's shape). */
import type { z } from "zod";

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
