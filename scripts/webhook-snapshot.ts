/**
 * Every seeded number's voice and SMS webhook as the sandbox holds them: what the demo prints
 * before, after `up` and after `destroy`, and what the end-to-end tests compare.
 */
import type { Sandbox, SandboxSeed } from "../sandbox";

export type Snapshot = Record<string, { carrier: string; voice: string; sms: string; "on objects": string }>;

/** Every number's voice and SMS webhook, as the sandbox holds them now. */
export function snapshot(sandbox: Sandbox, seed: SandboxSeed): Snapshot {
  const out: Snapshot = {};
  for (const n of seed.twilio?.incoming_phone_numbers ?? []) {
    const live = sandbox.control.twilioNumber(n.phone_number!)!;
    out[live.phone_number!] = {
      carrier: "twilio",
      voice: live.voice_url || "-",
      sms: live.sms_url || "-",
      "on objects": "(the number itself)",
    };
  }
  for (const n of seed.telnyx?.phone_numbers ?? []) {
    const live = sandbox.control.telnyxNumber(n.phone_number!)!;
    const id = live.connection_id ?? "";
    const app =
      sandbox.control.telnyxObject("call_control_applications", id) ??
      sandbox.control.telnyxObject("texml_applications", id) ??
      sandbox.control.telnyxObject("credential_connections", id);
    const profile = sandbox.control.telnyxObject("messaging_profiles", live.messaging_profile_id ?? "");
    out[live.phone_number!] = {
      carrier: "telnyx",
      voice: String(app?.webhook_event_url ?? app?.voice_url ?? "-"),
      sms: String(profile?.webhook_url ?? "-"),
      "on objects": `${live.connection_name ?? "-"} / ${live.messaging_profile_name ?? "-"}`,
    };
  }
  return out;
}

/** The Telnyx objects that hold webhooks (applications and profiles): copies made by "isolate" add to it. */
export function telnyxObjectCount(sandbox: Sandbox): number {
  const t = sandbox.control.state().telnyx;
  return t.call_control_applications.length + t.texml_applications.length + t.messaging_profiles.length;
}
