/**
 * SignalWire without a server: how a number's fields map to the webhooks, which handlers override
 * them (and which may be switched), what one PUT carries when switching and when restoring, the
 * settings, and the arguments only SignalWire takes.
 */
import { describe, expect, it } from "vitest";
import { refuseOverridden } from "../../provider/carriers/carrier";
import { planUpdate, signalwireCarrier, toCarrierNumber } from "../../provider/carriers/signalwire";
import type { SignalWireNumber } from "../../provider/carriers/signalwire-client";
import { setCarrier, checkSetArgs } from "../../provider/set-schema";
import { checkArgs } from "../../provider/validation";

const ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const PROJECT = "b8f2c6de-1a3b-4c5d-8e9f-0a1b2c3d4e5f";

/** A number as SignalWire answers it, LaML webhooks on both routings unless `fields` say otherwise. */
function number(fields: Partial<SignalWireNumber> = {}): SignalWireNumber {
  return {
    id: ID,
    number: "+14155550100",
    name: "support-1",
    call_handler: "laml_webhooks",
    call_request_url: "https://old.example.com/voice",
    call_request_method: "POST",
    call_fallback_url: null,
    call_status_callback_url: null,
    message_handler: "laml_webhooks",
    message_request_url: "https://old.example.com/sms",
    message_request_method: "get",
    message_fallback_url: "",
    ...fields,
  } as SignalWireNumber;
}

const RELAY_APP = { call_handler: "relay_application", call_relay_application: "front-desk" };

describe("SignalWire numbers", () => {
  it("map the LaML webhook fields onto the resource's settings, methods upper case, empty as unset", () => {
    const mapped = toCarrierNumber(number());
    expect(mapped.webhooks).toEqual({
      voiceUrl: "https://old.example.com/voice",
      voiceMethod: "POST",
      voiceFallbackUrl: null,
      smsUrl: "https://old.example.com/sms",
      smsMethod: "GET",
      smsFallbackUrl: null,
      statusCallbackUrl: null,
    });
    expect(mapped.ids).toEqual({ phoneNumberId: ID });
    expect(mapped.overrides).toEqual({});
    expect(mapped.carrierFields).toEqual({ call_handler: "laml_webhooks", message_handler: "laml_webhooks" });
  });

  it("keep another handler with its own fields, and refuse a URL it would ignore, naming it and the remedy", () => {
    const mapped = toCarrierNumber(number({ ...RELAY_APP, call_relay_topic: "stale" }));
    // The handler's own field only: another handler's leftovers are not its to give back.
    expect(mapped.carrierFields).toEqual({ ...RELAY_APP, message_handler: "laml_webhooks" });
    expect(mapped.overrides?.voiceUrl).toMatchObject({
      by: 'call_handler relay_application (call_relay_application "front-desk")',
      switchable: true,
    });
    expect(mapped.overrides?.statusCallbackUrl?.by).toBe(mapped.overrides?.voiceUrl?.by);
    expect(mapped.overrides?.smsUrl).toBeUndefined();
    expect(() =>
      refuseOverridden("+14155550100", { voiceUrl: "https://new.example.com/voice" }, mapped.overrides!),
    ).toThrow(
      'voiceUrl would have no effect: +14155550100 has call_handler relay_application (call_relay_application "front-desk"), ' +
        "and SignalWire sends its calls there instead of to the number's LaML webhook URLs. " +
        "Set switchHandlers: true to switch the handler to LaML webhooks (destroy switches it back), or change it in the SignalWire dashboard.",
    );
  });

  it("never offer to switch a handler the phone-number API cannot set back", () => {
    const agent = toCarrierNumber(
      number({
        call_handler: "ai_agent",
        calling_handler_resource_id: "fe4093d9-58c2-4931-b4b9-5679f82652c6",
      }),
    );
    expect(agent.overrides?.voiceUrl).toMatchObject({
      by: 'call_handler ai_agent (calling_handler_resource_id "fe4093d9-58c2-4931-b4b9-5679f82652c6")',
      switchable: false,
    });
    expect(agent.overrides?.voiceUrl?.remedy).toMatch(/cannot set ai_agent back, so it is never switched/);
    // A message Relay application whose name SignalWire does not report could not be given back.
    const unnamed = toCarrierNumber(number({ message_handler: "relay_application" }));
    expect(unnamed.overrides?.smsUrl?.switchable).toBe(false);
  });
});

describe("SignalWire's update", () => {
  const NEW_VOICE = "https://new.example.com/voice";

  it("writes the mapped fields only, and leaves a LaML webhooks handler alone", () => {
    expect(planUpdate(number(), { voiceUrl: NEW_VOICE, smsMethod: "POST" }, {})).toEqual({
      update: { call_request_url: NEW_VOICE, message_request_method: "POST" },
      fields: ["voiceUrl", "smsMethod"],
    });
  });

  it("switches another handler to LaML webhooks only with consent, and a number without one always", () => {
    const relay = number(RELAY_APP);
    expect(planUpdate(relay, { voiceUrl: NEW_VOICE }, {}).update).toEqual({ call_request_url: NEW_VOICE });
    expect(planUpdate(relay, { voiceUrl: NEW_VOICE }, { switchHandlers: true }).update).toEqual({
      call_request_url: NEW_VOICE,
      call_handler: "laml_webhooks",
    });
    expect(planUpdate(number({ message_handler: null }), { smsUrl: NEW_VOICE }, {}).update).toEqual({
      message_request_url: NEW_VOICE,
      message_handler: "laml_webhooks",
    });
    // Not even with consent: nothing could switch it back.
    const agent = number({ call_handler: "ai_agent" });
    expect(planUpdate(agent, { voiceUrl: NEW_VOICE }, { switchHandlers: true }).update).toEqual({
      call_request_url: NEW_VOICE,
    });
  });

  it("clears a URL with an empty string, and never sends an empty method (GET or POST only)", () => {
    expect(planUpdate(number(), { voiceFallbackUrl: null, voiceMethod: null }, {})).toEqual({
      update: { call_fallback_url: "" },
      fields: ["voiceFallbackUrl"],
    });
  });

  it("restoring, gives back the recorded handler with its own fields, from the LaML webhooks it was switched to", () => {
    const previous = { ...RELAY_APP, message_handler: "laml_webhooks" };
    const restore = { restoring: true, previousCarrierFields: previous };
    expect(planUpdate(number(), { voiceUrl: "https://old.example.com/voice" }, restore).update).toEqual({
      call_request_url: "https://old.example.com/voice",
      call_handler: "relay_application",
      call_relay_application: "front-desk",
    });
    // Switched since to another handler by someone else: theirs stays.
    const since = number({ call_handler: "video_room", call_video_room_id: ID });
    expect(planUpdate(since, {}, restore).update).toEqual({});
    // No handler before: SignalWire cannot unset one, so LaML webhooks stay.
    const none = { restoring: true, previousCarrierFields: { call_handler: null } };
    expect(planUpdate(number(), {}, none).update).toEqual({});
  });
});

describe("SignalWire's settings", () => {
  const load = (values: Record<string, string | undefined>) =>
    signalwireCarrier.loadSettings({
      projectId: undefined,
      apiToken: undefined,
      spaceUrl: undefined,
      ...values,
    });

  it("take the Space as a host (https) or a full URL (the sandbox)", () => {
    expect(load({ projectId: PROJECT, apiToken: "PT_x", spaceUrl: "Example.signalwire.com" })).toEqual({
      projectId: PROJECT,
      apiToken: "PT_x",
      spaceUrl: "https://example.signalwire.com",
    });
    expect(load({ projectId: PROJECT, apiToken: "PT_x", spaceUrl: "http://127.0.0.1:4010/" })?.spaceUrl).toBe(
      "http://127.0.0.1:4010",
    );
    expect(load({})).toBeUndefined();
  });

  it("name what is missing or malformed, never the token", () => {
    expect(() => load({ projectId: PROJECT, apiToken: "PT_secret" })).toThrow(
      "SignalWire settings are incomplete: set signalwire:spaceUrl (or SIGNALWIRE_SPACE_URL) as well",
    );
    expect(() => load({ projectId: "p-1", apiToken: "PT_secret", spaceUrl: "x.signalwire.com" })).toThrow(
      "signalwire:projectId must be a SignalWire Project ID (a UUID)",
    );
    expect(() => load({ projectId: PROJECT, apiToken: "PT_secret", spaceUrl: "not a host" })).toThrow(
      /^signalwire:spaceUrl must be the Space's host/,
    );
  });
});

describe("SignalWire's arguments", () => {
  const valid = { phoneNumber: "+14155550100", voiceUrl: "https://example.com/voice" };

  it("switchHandlers is for SignalWire numbers only", () => {
    expect(checkArgs({ ...valid, provider: "signalwire", switchHandlers: true }).failures).toEqual([]);
    expect(checkArgs({ ...valid, provider: "twilio", switchHandlers: true }).failures).toEqual([
      {
        property: "switchHandlers",
        reason: "switchHandlers is not supported for twilio: it is for signalwire numbers only",
      },
    ]);
    expect(checkArgs({ ...valid, switchHandlers: "yes" }).failures).toEqual([
      { property: "switchHandlers", reason: "switchHandlers must be true or false" },
    ]);
  });

  it("a set's name keys say the carrier, and a bad pattern names its key", () => {
    expect(setCarrier({ select: { signalwireNamePrefix: "support-" } })).toBe("signalwire");
    const set = { voiceUrl: valid.voiceUrl };
    const { failures } = checkSetArgs({ ...set, select: { signalwireNameRegex: "(" } });
    expect(failures).toEqual([
      {
        property: "select.signalwireNameRegex",
        reason: expect.stringMatching(
          /^select\.signalwireNameRegex must be a valid JavaScript regular expression/,
        ),
      },
    ]);
    expect(
      checkSetArgs({ ...set, select: { signalwireNamePrefix: "a", tag: "b" } }).failures[0]?.reason,
    ).toMatch(/^select mixes the keys of "telnyx" and "signalwire"/);
  });
});
