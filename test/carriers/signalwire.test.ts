/**
 * SignalWire through the provider, against the sandbox's SignalWire: takeover and restore of the
 * LaML webhook URLs in one PUT each, handlers refused or switched with consent and given back,
 * drift, retries, paging, undo of a write that did not read back, refused credentials, and a set
 * selected by name. Every request and answer is checked against SignalWire's OpenAPI document
 * when `../shared/reference/` has it (skipped, and said, when it does not).
 */
import { existsSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAdopt } from "../../provider/cli/adopt";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import { decodeMemberRecords, type CheckedSetArgs } from "../../provider/set-schema";
import { signalwireDocumentPath } from "../../sandbox/carriers/signalwire/openapi";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const PLAIN = "+14155550100"; // LaML webhooks with URLs of its own
const DECOY = "+141555501009"; // contains PLAIN: filter_number matches it too
const RELAY = "+14155550101"; // calls go to a Relay application
const AGENT = "+14155550102"; // calls go to an AI agent (set through the Fabric API only)
const BLANK = "+14155550103"; // no handler at all
const OLD_VOICE = "https://old.example.com/voice";
const OLD_SMS = "https://old.example.com/sms";
const VOICE = "https://hooks.example.com/voice";
const SMS = "https://hooks.example.com/sms";
const STATUS = "https://hooks.example.com/status";
const AGENT_ID = "fe4093d9-58c2-4931-b4b9-5679f82652c6";

const DOCUMENT = signalwireDocumentPath();
const VALIDATING = existsSync(DOCUMENT);
if (!VALIDATING)
  console.warn(`SignalWire OpenAPI validation skipped: no document at ${DOCUMENT} (../shared/reference/)`);

const seed = (extra: Array<Record<string, unknown>> = []) => ({
  signalwire: {
    phone_numbers: [
      { number: DECOY, name: "decoy" },
      { number: PLAIN, name: "support-1", call_request_url: OLD_VOICE, message_request_url: OLD_SMS },
      {
        number: RELAY,
        name: "support-2",
        call_handler: "relay_application",
        call_relay_application: "front-desk",
        message_request_url: OLD_SMS,
      },
      { number: AGENT, name: "agent", call_handler: "ai_agent", calling_handler_resource_id: AGENT_ID },
      { number: BLANK, name: "blank", call_handler: null, message_handler: null },
      ...extra,
    ],
  },
});

let h: CarrierHarness;
let validated = 0;
beforeEach(async () => {
  h = await startHarness(seed() as never, { validateSignalwire: VALIDATING });
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]); // never, in any test
  // Every request and answer matched SignalWire's document (when it is there to check against).
  expect(h.sandbox.control.validationErrors()).toEqual([]);
  if (VALIDATING) validated += signalwireRequests().length;
  await h.close();
});
afterAll(() => {
  if (VALIDATING)
    console.info(`SignalWire: ${validated} requests validated against ${DOCUMENT}, 0 violations`);
});

const live = (phone: string) => h.sandbox.control.signalwireNumber(phone)!;
const signalwireRequests = () => h.sandbox.control.requests().filter((r) => r.carrier === "signalwire");
const puts = () => signalwireRequests().filter((r) => r.method === "PUT");

async function create(args: Record<string, unknown>) {
  const provider = h.provider();
  const { failures } = await provider.check({}, args);
  expect(failures).toEqual([]);
  return { provider, result: await provider.create(args as never) };
}

describe("SignalWire lifecycle", () => {
  it("takes over a LaML webhooks number in one PUT whose answer verifies, and destroy gives every URL back", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({
      phoneNumber: PLAIN,
      voiceUrl: VOICE,
      voiceMethod: "GET",
      statusCallbackUrl: STATUS,
      smsUrl: SMS,
    });
    // Detected: only the SignalWire project has the number.
    expect(result.id).toBe(`signalwire:${PLAIN}`);
    const outs = result.outs!;
    expect(outs.providerDetected).toBe(true);
    expect(outs.message).toBe(`Successfully updated 2 webhook(s) for ${PLAIN} via signalwire`);
    expect(outs.phoneNumberId).toBe(before.id);
    expect(outs.previousWebhooks).toMatchObject({
      voiceUrl: OLD_VOICE,
      voiceMethod: "POST",
      smsUrl: OLD_SMS,
    });
    expect(outs.previousCarrierFields).toEqual({
      call_handler: "laml_webhooks",
      message_handler: "laml_webhooks",
    });
    expect(outs.overriddenBy).toBeUndefined();
    expect(live(PLAIN)).toMatchObject({
      call_handler: "laml_webhooks",
      call_request_url: VOICE,
      call_request_method: "GET",
      call_status_callback_url: STATUS,
      message_request_url: SMS,
    });
    expect(puts()).toHaveLength(1);
    // The number that contains PLAIN, which filter_number also matched, is untouched.
    expect(live(DECOY).call_request_url).toBeNull();

    await provider.delete(result.id, outs);
    expect(live(PLAIN)).toEqual({ ...before, updated_at: live(PLAIN).updated_at });
  });

  it("refuses a number whose calls go to a Relay application, naming it and the remedy, and writes nothing", async () => {
    const provider = h.provider();
    const { failures } = await provider.check({}, { phoneNumber: RELAY, voiceUrl: VOICE });
    expect(failures).toEqual([
      {
        property: "phoneNumber",
        reason:
          `Failed to update webhooks for ${RELAY} via signalwire: voiceUrl would have no effect: ${RELAY} has call_handler ` +
          `relay_application (call_relay_application "front-desk"), and SignalWire sends its calls there instead of to ` +
          "the number's LaML webhook URLs. Set switchHandlers: true to switch the handler to LaML webhooks " +
          "(destroy switches it back), or change it in the SignalWire dashboard.",
      },
    ]);
    await expect(provider.create({ phoneNumber: RELAY, voiceUrl: VOICE } as never)).rejects.toThrow(
      /call_handler relay_application/,
    );
    // Its SMS URL is the number's own: declaring only that is fine.
    expect((await provider.check({}, { phoneNumber: RELAY, smsUrl: SMS })).failures).toEqual([]);
    expect(puts()).toEqual([]);
  });

  it("with switchHandlers, switches to LaML webhooks, and destroy gives back the handler, its application and the URLs", async () => {
    const before = live(RELAY);
    const { provider, result } = await create({
      provider: "signalwire",
      phoneNumber: RELAY,
      voiceUrl: VOICE,
      switchHandlers: true,
    });
    const outs = result.outs!;
    expect(live(RELAY)).toMatchObject({ call_handler: "laml_webhooks", call_request_url: VOICE });
    expect(outs.webhooks.voiceUrl).toBe(VOICE);
    expect(outs.overriddenBy).toBeUndefined(); // read again after the switch
    expect(outs.message).toContain(
      'SignalWire handler switched: call_handler "relay_application" → "laml_webhooks"',
    );
    expect(outs.previousCarrierFields).toEqual({
      call_handler: "relay_application",
      call_relay_application: "front-desk",
      message_handler: "laml_webhooks",
    });
    expect(puts()).toHaveLength(1);

    await provider.delete(result.id, outs);
    expect(live(RELAY)).toEqual({ ...before, updated_at: live(RELAY).updated_at });
    expect(puts()).toHaveLength(2); // handler, application and URL in one PUT
  });

  it("never switches a handler SignalWire's API cannot set back, even with consent", async () => {
    const provider = h.provider();
    const { failures } = await provider.check(
      {},
      { phoneNumber: AGENT, voiceUrl: VOICE, switchHandlers: true },
    );
    const reason = failures?.[0]?.reason;
    expect(reason).toContain(
      `${AGENT} has call_handler ai_agent (calling_handler_resource_id "${AGENT_ID}")`,
    );
    expect(reason).toContain("cannot set ai_agent back, so it is never switched");
    expect(puts()).toEqual([]);
  });

  it("gives a number without a handler LaML webhooks, and destroy leaves them with its previous (empty) URLs", async () => {
    const { provider, result } = await create({ phoneNumber: BLANK, smsUrl: SMS });
    expect(live(BLANK)).toMatchObject({ message_handler: "laml_webhooks", message_request_url: SMS });
    expect(result.outs!.previousCarrierFields).toMatchObject({ message_handler: null });
    await provider.delete(result.id, result.outs!);
    // SignalWire cannot unset a handler: the number answers nothing, as before.
    expect(live(BLANK)).toMatchObject({ message_handler: "laml_webhooks", message_request_url: null });
  });

  it("sees a handler set in the dashboard as drift; the update refuses it, or switches it with consent", async () => {
    const { result } = await create({ phoneNumber: PLAIN, voiceUrl: VOICE });
    h.sandbox.control.editSignalwire(PLAIN, { call_handler: "relay_topic", call_relay_topic: "office" });
    const provider = h.provider(); // the next operation
    const read = await provider.read(result.id, result.outs!);
    expect(read.props.overriddenBy).toMatchObject({
      voiceUrl: 'call_handler relay_topic (call_relay_topic "office")',
    });
    expect(read.inputs.voiceUrl).toBe("(call_handler relay_topic)");
    expect(
      (await provider.diff(result.id, read.props, { phoneNumber: PLAIN, voiceUrl: VOICE })).changes,
    ).toBe(true);
    await expect(
      provider.update(result.id, read.props, { phoneNumber: PLAIN, voiceUrl: VOICE }),
    ).rejects.toThrow(/call_handler relay_topic .*switchHandlers: true/);
    const { outs } = await provider.update(result.id, read.props, {
      phoneNumber: PLAIN,
      voiceUrl: VOICE,
      switchHandlers: true,
    });
    expect(live(PLAIN)).toMatchObject({ call_handler: "laml_webhooks", call_request_url: VOICE });
    expect(outs!.overriddenBy).toBeUndefined();
    // What the number had before this resource took it over is still what destroy gives back.
    expect(outs!.previousCarrierFields).toEqual(result.outs!.previousCarrierFields);
  });

  it("retries a 429 after its Retry-After and a 503, in SignalWire's error shape", async () => {
    h.sandbox.control.injectFault({
      carrier: "signalwire",
      status: 429,
      retryAfter: 0,
      times: 1,
      method: "GET",
    });
    h.sandbox.control.injectFault({ carrier: "signalwire", status: 503, times: 1, method: "PUT" });
    await create({ provider: "signalwire", phoneNumber: PLAIN, voiceUrl: VOICE });
    expect(live(PLAIN).call_request_url).toBe(VOICE);
    expect(puts().map((r) => r.status)).toEqual([503, 200]);
  });

  it("undoes a write whose answer does not read back as written, and says so", async () => {
    const before = live(PLAIN);
    const { message_relay_application: _hidden, ...shown } = before;
    // SignalWire answers 200 with the old values: the write did not take.
    h.sandbox.control.injectFault({
      carrier: "signalwire",
      kind: "body",
      status: 200,
      method: "PUT",
      times: 1,
      contentType: "application/json",
      body: JSON.stringify(shown),
    });
    const provider = h.provider();
    await expect(
      provider.create({ provider: "signalwire", phoneNumber: PLAIN, voiceUrl: VOICE } as never),
    ).rejects.toThrow(`voiceUrl reads back as "${OLD_VOICE}" instead of "${VOICE}"`);
    expect(puts()).toHaveLength(2); // the write, then the undo
    expect(live(PLAIN).call_request_url).toBe(OLD_VOICE);
  });

  it("names the settings to check when SignalWire refuses the credentials, never the token", async () => {
    const provider = h.provider({ SIGNALWIRE_API_TOKEN: "PTwrong-token-value" });
    let message = "";
    try {
      await provider.create({ provider: "signalwire", phoneNumber: PLAIN, voiceUrl: VOICE } as never);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("(HTTP 401): Unauthorized. Signalwire did not accept the credentials: check");
    expect(message).toContain("signalwire:apiToken");
    expect(message).not.toContain("PTwrong-token-value");
  });
});

describe("SignalWire listings", () => {
  const BULK = Array.from({ length: 2100 }, (_, i) => `+1628555${String(i).padStart(4, "0")}`);

  it("follows links.next through every page of 1000, and selects by name", async () => {
    h.sandbox.control.loadSeed(seed(BULK.map((number, i) => ({ number, name: `bulk-${i}` }))) as never);
    const carrier = await h.provider().carrier("signalwire");
    expect(await carrier.select({ signalwireNamePrefix: "bulk-" })).toEqual([...BULK].sort());
    expect(await carrier.select({ signalwireNameRegex: "^support-\\d$" })).toEqual([PLAIN, RELAY]);
    const lists = signalwireRequests().map((r) => r.query);
    expect(lists).toHaveLength(3); // one listing, shared by both selections
    expect(lists.map((q) => [q["page_size"], q["page_number"]])).toEqual([
      ["1000", undefined],
      ["1000", "1"],
      ["1000", "2"],
    ]);
  });

  it("a set selected by name takes its members over and gives them back", async () => {
    const sets = new PhoneNumberWebhooksSetProvider(h.provider());
    const { inputs, failures } = await sets.check(undefined, {
      label: "support",
      select: { signalwireNamePrefix: "support-" },
      smsUrl: SMS,
    });
    expect(failures ?? []).toEqual([]);
    const { id, outs } = await sets.create(inputs as CheckedSetArgs & Record<string, unknown>);
    expect(id).toBe("signalwire:support");
    const members = decodeMemberRecords(outs!.members);
    expect(Object.keys(members).sort()).toEqual([PLAIN, RELAY]);
    // Each member keeps the handlers it had, for its restore: the Relay application's too.
    expect(members[RELAY]?.previousCarrierFields).toMatchObject({ call_handler: "relay_application" });
    expect(live(PLAIN).message_request_url).toBe(SMS);
    expect(live(RELAY).message_request_url).toBe(SMS);
    await sets.delete(id, outs!);
    expect(live(PLAIN).message_request_url).toBe(OLD_SMS);
    expect(live(RELAY)).toMatchObject({ call_handler: "relay_application", message_request_url: OLD_SMS });
  });
});

describe("SignalWire adoption", () => {
  it("writes each number's live settings, and leaves out the voice a Relay application decides, saying why", async () => {
    const out: string[] = [];
    const code = await runAdopt(
      ["--provider", "signalwire"],
      { out: (t) => out.push(t), err: () => undefined },
      { env: h.env, now: () => new Date("2026-01-02T03:04:05.000Z") },
    );
    expect(code).toBe(0);
    const file = out.join("\n");
    expect(file).toContain(`- phoneNumber: "${PLAIN}"\n  provider: signalwire\n  voiceUrl: "${OLD_VOICE}"`);
    const relay = file.slice(
      file.indexOf('# voice: call_handler relay_application (call_relay_application "front-desk")'),
    );
    expect(relay).toContain(`- phoneNumber: "${RELAY}"`);
    expect(relay).toContain("voice: false");
    expect(relay.replace(/\n# /g, " ")).toContain(
      "Set switchHandlers: true to switch the handler to LaML webhooks",
    );
    expect(puts()).toEqual([]);
  });
});
