/**
 * An account of mixed shapes for `adopt`: Twilio numbers with their own URLs, on a voice
 * application, an SMS application, a SIP trunk, in a Messaging Service that overrides and one
 * that defers, with nothing set, with a password in a URL, with an http:// URL, and in a
 * subaccount; Telnyx numbers sharing a Call Control application and profile, each alone on a TeXML
 * application and profile, on a credential connection, and on nothing.
 */
import type { SandboxSeed } from "../../sandbox";

export const MAIN_ACCOUNT = "AC0123456789abcdef0123456789abcdef";
export const SUBACCOUNT = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
const hex = (n: number, width = 32) => n.toString(16).padStart(width, "0");
const legacy = (path: string) => `https://legacy.example.com/${path}`;

/** The Twilio number shapes, in the order numbers take them round-robin. */
export const TWILIO_SHAPES = [
  "own",
  "own-get",
  "voice-application",
  "sms-application",
  "trunk",
  "overriding-service",
  "deferring-service",
  "nothing",
  "password",
  "http",
] as const;
export const TELNYX_SHAPES = ["shared", "texml-alone", "credential", "nothing"] as const;

/**
 * `twilio` Twilio numbers (+1415…, then +1628…), `subaccount` in the subaccount (+1310…) and
 * `telnyx` Telnyx numbers (+1312…), each taking the shapes round-robin.
 */
export function mixedSeed(counts: { twilio: number; subaccount: number; telnyx: number }): SandboxSeed {
  const twilioNumber = (i: number) =>
    `+1${i < 10_000 ? "415" : "628"}555${String(i % 10_000).padStart(4, "0")}`;
  const overriding: string[] = [];
  const deferring: string[] = [];
  const numbers = Array.from({ length: counts.twilio }, (_, i) => {
    const phone_number = twilioNumber(i);
    const shape = TWILIO_SHAPES[i % TWILIO_SHAPES.length]!;
    const own = {
      phone_number,
      friendly_name: `Line ${i} (${shape})`,
      voice_url: legacy(`voice/${i}`),
      voice_method: "POST",
      voice_fallback_url: legacy(`voice-fallback/${i}`),
      sms_url: legacy(`sms/${i}`),
      sms_method: "POST",
      status_callback: legacy(`status/${i}`),
    };
    switch (shape) {
      case "own":
        return own;
      case "own-get":
        return { ...own, voice_method: "GET", voice_fallback_url: "", status_callback: "" };
      case "voice-application":
        return { ...own, voice_application_sid: `AP${hex(i)}` };
      case "sms-application":
        return { ...own, sms_application_sid: `AP${hex(i + 1)}` };
      case "trunk":
        return { ...own, trunk_sid: `TK${hex(i)}` };
      case "overriding-service":
        overriding.push(phone_number);
        return own;
      case "deferring-service":
        deferring.push(phone_number);
        return own;
      case "nothing":
        return { phone_number, friendly_name: `Line ${i} (nothing)`, voice_url: "", sms_url: "" };
      case "password":
        return { ...own, voice_url: `https://hook:pa55word@legacy.example.com/voice/${i}` };
      case "http":
        return { ...own, sms_url: `http://legacy.example.com/sms/${i}` };
    }
  });
  const telnyxNumbers = Array.from({ length: counts.telnyx }, (_, i) => {
    const phone_number = `+1312555${String(i).padStart(4, "0")}`;
    const shape = TELNYX_SHAPES[i % TELNYX_SHAPES.length]!;
    switch (shape) {
      case "shared":
        return { phone_number, connection_name: "shared-app", messaging_profile_name: "shared-sms" };
      case "texml-alone":
        return { phone_number, connection_name: `texml-${i}`, messaging_profile_name: `sms-${i}` };
      case "credential":
        return { phone_number, connection_name: "office-pbx", messaging_profile_name: `sms-${i}` };
      case "nothing":
        return { phone_number };
    }
  });
  const alone = telnyxNumbers.filter((_, i) => TELNYX_SHAPES[i % TELNYX_SHAPES.length] !== "shared");
  return {
    twilio: {
      account_sid: MAIN_ACCOUNT,
      auth_token: "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3",
      incoming_phone_numbers: numbers,
      messaging_services: [
        {
          friendly_name: "marketing",
          use_inbound_webhook_on_number: false,
          inbound_request_url: legacy("messaging/marketing"),
          phone_numbers: overriding,
        },
        { friendly_name: "notifications", use_inbound_webhook_on_number: true, phone_numbers: deferring },
      ],
      subaccounts: [
        {
          friendly_name: "reseller customer",
          account_sid: SUBACCOUNT,
          auth_token: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
          incoming_phone_numbers: Array.from({ length: counts.subaccount }, (_, i) => ({
            phone_number: `+1310555${String(i).padStart(4, "0")}`,
            voice_url: legacy(`customer/voice/${i}`),
            sms_url: legacy(`customer/sms/${i}`),
          })),
        },
      ],
    },
    telnyx: {
      call_control_applications: [
        {
          application_name: "shared-app",
          webhook_event_url: legacy("telnyx/events"),
          webhook_event_failover_url: legacy("telnyx/events-failover"),
        },
      ],
      texml_applications: alone
        .filter((n) => n.connection_name?.startsWith("texml-"))
        .map((n) => ({
          friendly_name: n.connection_name!,
          voice_url: legacy(`texml/${n.phone_number}`),
          voice_method: "post",
          status_callback: legacy(`texml-status/${n.phone_number}`),
        })),
      credential_connections: [{ connection_name: "office-pbx" }],
      messaging_profiles: [
        { name: "shared-sms", webhook_url: legacy("telnyx/sms") },
        ...alone
          .filter((n) => n.messaging_profile_name)
          .map((n) => ({
            name: n.messaging_profile_name!,
            webhook_url: legacy(`telnyx/sms/${n.phone_number}`),
          })),
      ],
      phone_numbers: telnyxNumbers,
    },
  } as SandboxSeed;
}
