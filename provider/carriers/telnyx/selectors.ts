/**
 * The keys `PhoneNumberWebhooksSet.select` takes for Telnyx numbers, every one of which must match.
 * Here, not in carrier.ts, so that the descriptor (loaded by every program) stays free of the SDK.
 */
import { z } from "zod";
import type { SelectorKey } from "../carrier";

const MOVED_BY_ISOLATION =
  "isolating moves the members off that object, so they would no longer match. Select them by tag instead";

export const TELNYX_SELECTORS = {
  tag: {
    help: "numbers that have this tag (case-sensitive)",
    schema: z.string().min(1, "select.tag must not be empty"),
  },
  connectionId: {
    help: "numbers on this connection or application (its numeric id)",
    schema: z.string().regex(/^\d{1,20}$/, "select.connectionId must be a Telnyx connection id (digits)"),
    movedByIsolation: MOVED_BY_ISOLATION,
  },
  messagingProfileId: {
    help: "numbers on this messaging profile (its UUID)",
    schema: z
      .string()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
        "select.messagingProfileId must be a Telnyx messaging profile id (a UUID)",
      ),
    movedByIsolation: MOVED_BY_ISOLATION,
  },
} as const satisfies Record<string, SelectorKey>;
