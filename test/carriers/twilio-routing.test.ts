/**
 * What decides where a Twilio number's messages go besides the number itself (Messaging Services
 * that do not defer to the number's webhook), and numbers in subaccounts, through the real twilio
 * SDK against the sandbox (seed: sandbox/seeds/twilio-messaging-subaccounts.json).
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SandboxSeed } from "../../sandbox";
import { SUBACCOUNTS_SEED_FILE } from "../sandbox/support";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const seed = JSON.parse(readFileSync(SUBACCOUNTS_SEED_FILE, "utf8")) as SandboxSeed;
const MAIN = seed.twilio!.account_sid!;
const ACME = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
const GLOBEX = "AC2b3c4d5e6f708192a3b4c5d6e7f8a1b2";
const PLAIN = "+14155550100"; // in no service
const IN_MARKETING = "+14155550102"; // in "marketing": use_inbound_webhook_on_number false
const IN_NOTIFICATIONS = "+14155550103"; // in "notifications": defers to the number
const ACME_SUPPORT = "+13105550110"; // acme subaccount, in "acme-support" (does not defer)
const ACME_SALES = "+13105550111"; // acme subaccount, in no service
const SMS = "https://staging.example.com/sms";
const VOICE = "https://staging.example.com/voice";

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(seed);
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]);
  expect(h.sandbox.control.validationErrors()).toEqual([]);
  await h.close();
});

const live = (phone: string) => h.sandbox.control.twilioNumber(phone)!;
const service = (name: string) => h.sandbox.control.twilioMessagingService(name)!;
const posts = () => h.sandbox.control.requests().filter((r) => r.method === "POST");

async function create(args: Record<string, unknown>, provider = h.provider()) {
  const { failures } = await provider.check({}, args);
  expect(failures).toEqual([]);
  return { provider, result: await provider.create(args as never) };
}

describe("Twilio Messaging Services", () => {
  it("refuses an SMS URL that the number's Messaging Service overrides, naming the service and its setting", async () => {
    const marketing = service("marketing");
    const before = live(IN_MARKETING);
    const provider = h.provider();
    const args = { phoneNumber: IN_MARKETING, smsUrl: SMS };
    // The preview's check refuses it, in the words create uses.
    const { failures } = await provider.check({}, args);
    const error = await provider.create(args as never).catch((e: Error) => e);
    expect(failures).toEqual([{ property: "phoneNumber", reason: (error as Error).message }]);
    expect(String(error)).toContain(
      `Failed to update webhooks for ${IN_MARKETING} via twilio: smsUrl would have no effect: ${IN_MARKETING} is in ` +
        `Messaging Service ${marketing.sid} ("marketing"), whose use_inbound_webhook_on_number is false: Twilio sends ` +
        `its incoming messages to the service's Inbound Request URL ("https://legacy.example.com/messaging/marketing") instead of the number's`,
    );
    expect(String(error)).toContain(`"Defer to sender's webhook" (use_inbound_webhook_on_number: true)`);
    expect(posts()).toEqual([]);
    expect(live(IN_MARKETING)).toEqual(before);
  });

  it("takes over the voice URLs of a number in such a service, and reports the service", async () => {
    const { result } = await create({ phoneNumber: IN_MARKETING, voiceUrl: VOICE });
    expect(live(IN_MARKETING).voice_url).toBe(VOICE);
    expect(result.outs!.messagingServiceSid).toBe(service("marketing").sid);
    expect(result.outs!.overriddenBy).toMatchObject({
      smsUrl: `Messaging Service ${service("marketing").sid} (use_inbound_webhook_on_number: false)`,
    });
    expect(result.outs!.overriddenBy?.voiceUrl).toBeUndefined();
  });

  it("writes the SMS URL of a number whose service defers to the number's webhook", async () => {
    const { result } = await create({ phoneNumber: IN_NOTIFICATIONS, smsUrl: SMS });
    expect(live(IN_NOTIFICATIONS).sms_url).toBe(SMS);
    expect(result.outs!.messagingServiceSid).toBeNull();
    expect(result.outs!.overriddenBy).toBeUndefined();
  });

  it("shows a number that joined an overriding service as drift, refuses the update, and clears when the service defers", async () => {
    const { result } = await create({ phoneNumber: PLAIN, smsUrl: SMS });
    const declared = { phoneNumber: PLAIN, smsUrl: SMS };
    h.sandbox.control.addNumberToMessagingService("marketing", PLAIN);
    const provider = h.provider(); // the next operation: services are read once per operation

    const read = await provider.read(result.id, result.outs!);
    const marketing = service("marketing");
    expect(read.props.messagingServiceSid).toBe(marketing.sid);
    expect(read.props.overriddenBy.smsUrl).toContain(marketing.sid);
    expect(read.props.webhooks.smsUrl).toBe(SMS); // the number's own value is unchanged...
    expect(read.inputs).toMatchObject({ smsUrl: marketing.inbound_request_url }); // ...but the service answers
    expect(await provider.diff(result.id, read.props, declared)).toMatchObject({
      changes: true,
      replaces: [],
    });

    h.sandbox.control.clearLog();
    await expect(provider.update(result.id, read.props, declared)).rejects.toThrow(
      new RegExp(`smsUrl would have no effect: \\${PLAIN} is in Messaging Service ${marketing.sid}`),
    );
    expect(posts()).toEqual([]);

    // Someone sets the service to defer to the number: the next refresh has nothing to show.
    h.sandbox.control.editTwilioMessagingService("marketing", { use_inbound_webhook_on_number: true });
    const fresh = h.provider(); // the service list is read once per operation (process)
    const after = await fresh.read(result.id, read.props);
    expect(after.props.overriddenBy).toBeUndefined();
    expect(after.props.messagingServiceSid).toBeNull();
    expect(after.inputs).toMatchObject({ smsUrl: SMS });
    expect(await fresh.diff(result.id, after.props, declared)).toMatchObject({ changes: false });
  });

  it("gives a number its previous SMS URL back on destroy even while a service overrides it", async () => {
    const before = live(PLAIN);
    const { provider, result } = await create({ phoneNumber: PLAIN, smsUrl: SMS });
    h.sandbox.control.addNumberToMessagingService("marketing", PLAIN);
    await provider.delete(result.id, result.outs!);
    expect(live(PLAIN).sms_url).toBe(before.sms_url);
  });

  it("reads the services once per operation: one list, plus one per service that does not defer", async () => {
    const provider = h.provider();
    const numbers = [PLAIN, IN_NOTIFICATIONS];
    h.sandbox.control.clearLog();
    await Promise.all(numbers.map((phoneNumber) => create({ phoneNumber, voiceUrl: VOICE }, provider)));
    const counts = h.sandbox.control.counts();
    expect(counts["GET /v1/Services"]).toBe(1);
    // "marketing" and "spare" do not defer; "notifications" does and is not listed.
    expect(counts["GET /v1/Services/{ServiceSid}/PhoneNumbers"]).toBe(2);
  });
});

describe("Twilio subaccounts (accountSid)", () => {
  it("takes over a number in a subaccount with the parent's credentials, and gives it back", async () => {
    const before = live(ACME_SALES);
    const { provider, result } = await create({ phoneNumber: ACME_SALES, accountSid: ACME, smsUrl: SMS });
    expect(live(ACME_SALES).sms_url).toBe(SMS);
    expect(result.outs!.accountSid).toBe(ACME);
    expect(result.outs!.previousWebhooks.smsUrl).toBe(before.sms_url);
    const paths = h.sandbox.control.requests().map((r) => r.path);
    expect(
      paths.filter((p) => p.startsWith("/2010-04-01/")).every((p) => p.includes(`/Accounts/${ACME}`)),
    ).toBe(true);

    const read = await provider.read(result.id, result.outs!);
    expect(read.props.webhooks.smsUrl).toBe(SMS);
    const { outs } = await provider.update(result.id, read.props, {
      phoneNumber: ACME_SALES,
      accountSid: ACME,
      smsUrl: `${SMS}/v2`,
    });
    expect(live(ACME_SALES).sms_url).toBe(`${SMS}/v2`);
    await provider.delete(result.id, outs!);
    expect(live(ACME_SALES).sms_url).toBe(before.sms_url);
  });

  it("does not find a subaccount's number without accountSid", async () => {
    await expect(h.provider().create({ phoneNumber: ACME_SALES, smsUrl: SMS } as never)).rejects.toThrow(
      /not found/i,
    );
  });

  it("checks the subaccount's own Messaging Services", async () => {
    const acmeSupport = service("acme-support");
    await expect(
      h.provider().create({ phoneNumber: ACME_SUPPORT, accountSid: ACME, smsUrl: SMS } as never),
    ).rejects.toThrow(new RegExp(`is in Messaging Service ${acmeSupport.sid} \\("acme-support"\\)`));
    expect(posts()).toEqual([]);
  });

  it("fails a refresh with credentials that cannot act on the subaccount, and drops nothing", async () => {
    const { result } = await create({ phoneNumber: ACME_SALES, accountSid: ACME, smsUrl: SMS });
    const apiKey = seed.twilio!.api_keys![0]!;
    const withParentKey = h.provider({
      TWILIO_AUTH_TOKEN: undefined,
      TWILIO_API_KEY: apiKey.sid,
      TWILIO_API_SECRET: apiKey.secret,
    });
    const error = await withParentKey.read(result.id, result.outs!).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain(
      `The Twilio credentials (account ${MAIN}, an API key) cannot act on account ${ACME}`,
    );
    expect(String(error)).not.toContain(apiKey.secret);

    const globexToken = seed.twilio!.subaccounts![1]!.auth_token!;
    const asGlobex = h.provider({ TWILIO_ACCOUNT_SID: GLOBEX, TWILIO_AUTH_TOKEN: globexToken });
    await expect(asGlobex.read(result.id, result.outs!)).rejects.toThrow(
      `The Twilio credentials (account ${GLOBEX}) cannot act on account ${ACME}`,
    );
    // With the parent's Auth Token, the same state reads fine.
    expect((await h.provider().read(result.id, result.outs!)).props.webhooks.smsUrl).toBe(SMS);
  });

  it("replaces the resource when accountSid changes, and refuses accountSid for Telnyx", async () => {
    const { provider, result } = await create({ phoneNumber: ACME_SALES, accountSid: ACME, smsUrl: SMS });
    const outs = result.outs!;
    expect(
      await provider.diff(result.id, outs, { phoneNumber: ACME_SALES, accountSid: GLOBEX, smsUrl: SMS }),
    ).toEqual({ changes: true, replaces: ["accountSid"] });
    // No longer naming it keeps the account the state recorded.
    expect(await provider.diff(result.id, outs, { phoneNumber: ACME_SALES, smsUrl: SMS })).toEqual({
      changes: false,
      replaces: [],
    });
    const { failures } = await provider.check(
      {},
      { phoneNumber: ACME_SALES, provider: "telnyx", accountSid: ACME, smsUrl: SMS },
    );
    expect(failures).toEqual([
      {
        property: "accountSid",
        reason: "accountSid is not supported for telnyx: it names the Twilio subaccount that owns a number",
      },
    ]);
    const malformed = await provider.check({}, { phoneNumber: ACME_SALES, accountSid: "AC123", smsUrl: SMS });
    expect(malformed.failures).toEqual([
      {
        property: "accountSid",
        reason: 'accountSid must be a Twilio Account SID: AC followed by 32 hex digits (got "AC123")',
      },
    ]);
  });
});
