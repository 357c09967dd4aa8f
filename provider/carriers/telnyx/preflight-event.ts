/** The Telnyx test event preflight sends: a v2 webhook, `call.initiated` (Call Control) or `message.received`. */
import { randomUUID } from "node:crypto";
import type { PreflightEvent, PreflightEventOptions } from "../carrier";

export function telnyxPreflightEvent({
  kind,
  phoneNumber,
  from,
  text,
  deliveredTo,
}: PreflightEventOptions): PreflightEvent {
  const now = new Date().toISOString();
  const payload =
    kind === "voice"
      ? {
          call_control_id: `v3:preflight-${randomUUID()}`,
          call_leg_id: randomUUID(),
          call_session_id: randomUUID(),
          caller_id_name: from,
          client_state: null,
          connection_id: "preflight",
          direction: "incoming",
          from,
          start_time: now,
          state: "parked",
          to: phoneNumber,
        }
      : {
          id: randomUUID(),
          record_type: "message",
          direction: "inbound",
          type: "SMS",
          from: { phone_number: from },
          // Telnyx lists recipients: a message can have several.
          to: [{ phone_number: phoneNumber, status: "webhook_delivered" }],
          text,
          media: [],
          parts: 1,
          encoding: "GSM-7",
          received_at: now,
        };
  // Telnyx webhooks are always JSON POST, whatever method is declared.
  return {
    json: {
      data: {
        event_type: kind === "voice" ? "call.initiated" : "message.received",
        id: randomUUID(),
        occurred_at: now,
        payload,
        record_type: "event",
      },
      meta: { attempt: 1, delivered_to: deliveredTo },
    },
  };
}
