/**
 * Injected faults: the one schema every fault spec is checked with (given to `injectFault` or
 * posted to the control API), and the queue from which the server takes the fault, if any, that
 * answers a carrier request.
 */
import { z } from "zod";
import { SANDBOX_CARRIER_NAMES, type Carrier } from "./carriers";
import { ControlError, formatZodError } from "./errors";

export const FAULT_KINDS = ["status", "drop", "hang", "body"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  /** HTTP status to answer with: kind "status" (in the carrier's error shape), or "body" (default 200). */
  status?: number;
  /** Seconds for the Retry-After header (429 gets 1 by default). */
  retryAfter?: number;
  /**
   * "status" (default): answer with `status`; "drop": destroy the connection; "hang": never answer;
   * "body": answer with `status` and exactly `body` (a malformed or non-JSON response).
   */
  kind?: FaultKind;
  /** Kind "body": the raw response body, sent as is (default empty). */
  body?: string;
  /** Kind "body": the Content-Type header (default none). */
  contentType?: string;
  /** How many matching requests the fault applies to (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through first (default 0): `skip: 2` faults the third match on. */
  skip?: number;
  /** Only requests with this HTTP method. */
  method?: string;
  /** Only requests whose path contains this string, or matches this RegExp. */
  path?: string | RegExp;
  carrier?: Carrier;
}

/** An integer of at least `min`, with one message for whatever is wrong with it. */
const integer = (min: number, message: string) => z.number(message).int(message).min(min, message);
const HTTP_STATUS = "must be an HTTP status between 100 and 599";
const TIMES = "must be a positive integer or Infinity";
const SECONDS = "must be a non-negative number of seconds";

const faultSpecFields = {
  status: integer(100, HTTP_STATUS).max(599, HTTP_STATUS).optional(),
  retryAfter: z.number(SECONDS).min(0, SECONDS).optional(),
  kind: z.enum(FAULT_KINDS).optional(),
  body: z.string().optional(),
  contentType: z.string().optional(),
  times: z.union([integer(1, TIMES), z.literal(Infinity)], { error: TIMES }).optional(),
  skip: integer(0, "must be a non-negative integer").optional(),
  method: z.string().optional(),
  // Tested by its tag, not instanceof: a RegExp made in another realm (a vm context) is one too.
  path: z
    .union([z.string(), z.custom<RegExp>((v) => Object.prototype.toString.call(v) === "[object RegExp]")])
    .optional(),
  carrier: z.enum(SANDBOX_CARRIER_NAMES).optional(),
};

export const faultSpecSchema: z.ZodType<FaultSpec> = z.strictObject(faultSpecFields).superRefine((f, ctx) => {
  const kind = f.kind ?? "status";
  if (kind === "status" && f.status === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["status"],
      message: "a status fault needs an HTTP status between 100 and 599",
    });
  }
  if (kind !== "body" && (f.body !== undefined || f.contentType !== undefined)) {
    ctx.addIssue({ code: "custom", message: "body and contentType are only for a body fault" });
  }
});

/**
 * A fault spec as the control API takes it: JSON has no RegExp, so a pattern comes as its source
 * in `pathRegex`. Checked further by `faultSpecSchema` when injected.
 */
export const faultSpecJsonSchema = z
  .strictObject({ ...faultSpecFields, path: z.string().optional(), pathRegex: z.string().optional() })
  .transform(({ pathRegex, ...spec }, ctx): FaultSpec => {
    if (pathRegex === undefined) return spec;
    try {
      return { ...spec, path: new RegExp(pathRegex) };
    } catch {
      ctx.addIssue({
        code: "custom",
        path: ["pathRegex"],
        message: `not a valid regular expression: ${pathRegex}`,
      });
      return z.NEVER;
    }
  });

/** A queued fault: its spec with the defaults filled in, and what is left of `times` and `skip`. */
export interface ActiveFault {
  kind: FaultKind;
  status: number;
  retryAfter?: number;
  body?: string;
  contentType?: string;
  remaining: number;
  skip: number;
  method?: string;
  path?: string | RegExp;
  carrier?: Carrier;
}

export class FaultQueue {
  private faults: ActiveFault[] = [];

  /** Check a spec (ControlError when it is not valid) and queue it after the others. */
  add(spec: FaultSpec): void {
    const parsed = faultSpecSchema.safeParse(spec);
    if (!parsed.success) throw new ControlError(`invalid fault: ${formatZodError(parsed.error)}`);
    const f = parsed.data;
    const kind = f.kind ?? "status";
    this.faults.push({
      kind,
      status: f.status ?? (kind === "body" ? 200 : 0),
      retryAfter: f.retryAfter,
      body: f.body,
      contentType: f.contentType,
      remaining: f.times ?? 1,
      skip: f.skip ?? 0,
      method: f.method,
      path: f.path,
      carrier: f.carrier,
    });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first queued fault that matches the request and is done skipping; counts the request against it. */
  take(carrier: Carrier, method: string, pathname: string): ActiveFault | undefined {
    if (this.faults.length === 0) return undefined;
    let i = -1;
    this.faults.forEach((f, index) => {
      const matches =
        (!f.carrier || f.carrier === carrier) &&
        (!f.method || f.method.toUpperCase() === method) &&
        (f.path === undefined ||
          (typeof f.path === "string" ? pathname.includes(f.path) : f.path.test(pathname)));
      if (!matches) return;
      // Every fault still skipping counts the request, whichever fault (if any) answers it.
      if (f.skip > 0) f.skip -= 1;
      else if (i < 0) i = index;
    });
    const fault = this.faults[i];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(i, 1);
    return fault;
  }
}
