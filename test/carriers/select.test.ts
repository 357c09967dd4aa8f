/**
 * `Carrier.select` (the members of a PhoneNumberWebhooksSet given by `select`): each selector key
 * of each carrier, keys combined, subaccounts, numbers bought later, refused values, and what a
 * selection costs, through the real twilio and telnyx SDKs against the sandbox.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Carrier, SelectorKey } from "../../provider/carriers/carrier";
import { telnyxCarrier } from "../../provider/carriers/telnyx";
import { twilioCarrier } from "../../provider/carriers/twilio";
import { DEFAULT_DIRECTORY_OPTIONS } from "../../provider/directory";
import { DEFAULT_RETRY_POLICY } from "../../provider/retry";
import { providerEnvironment, startSandbox, type Sandbox, type SandboxSeed } from "../../sandbox";

const MAIN = "AC0123456789abcdef0123456789abcdef";
const ACME = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";

// Twilio, main account.
const OAKLAND = "+14155550100"; // "Store 1 - Oakland", in stores-sms
const BERKELEY = "+14155550101"; // "Store 2 - Berkeley", in other-sms
const LOWERCASE = "+14155550102"; // "store 3 - Alameda": lowercase s
const SUPPORT = "+14155550103"; // "Support line", in stores-sms
const SF = "+14155550104"; // "Store 10 - SF", in no service
// Twilio, subaccount acme.
const ACME_STORE = "+13105550110"; // "Store 1 - Acme", in acme-stores
const ACME_SUPPORT = "+13105550111"; // "Acme support"

// Telnyx.
const A = "+13125550200"; // stores-app, stores-sms, tags stores + west
const B = "+13125550201"; // stores-app, stores-sms, tag stores
const C = "+13125550202"; // ivr-texml, ivr-sms, no tags
const D = "+13125550203"; // ivr-texml, stores-sms, tag west

const legacy = (path: string) => `https://legacy.example.com/${path}`;

const SEED: SandboxSeed = {
  twilio: {
    account_sid: MAIN,
    auth_token: "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3",
    incoming_phone_numbers: [
      { phone_number: OAKLAND, friendly_name: "Store 1 - Oakland", voice_url: legacy("oakland") },
      { phone_number: BERKELEY, friendly_name: "Store 2 - Berkeley" },
      { phone_number: LOWERCASE, friendly_name: "store 3 - Alameda" },
      { phone_number: SUPPORT, friendly_name: "Support line" },
      { phone_number: SF, friendly_name: "Store 10 - SF" },
    ],
    messaging_services: [
      { friendly_name: "stores-sms", phone_numbers: [OAKLAND, SUPPORT] },
      { friendly_name: "other-sms", phone_numbers: [BERKELEY] },
      { friendly_name: "empty-sms" },
    ],
    subaccounts: [
      {
        friendly_name: "acme",
        account_sid: ACME,
        auth_token: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        incoming_phone_numbers: [
          { phone_number: ACME_STORE, friendly_name: "Store 1 - Acme" },
          { phone_number: ACME_SUPPORT, friendly_name: "Acme support" },
        ],
        messaging_services: [{ friendly_name: "acme-stores", phone_numbers: [ACME_STORE] }],
      },
    ],
  },
  telnyx: {
    call_control_applications: [
      { application_name: "stores-app", webhook_event_url: legacy("telnyx/stores") },
      { application_name: "spare-app", webhook_event_url: legacy("telnyx/spare") },
    ],
    texml_applications: [{ friendly_name: "ivr-texml", voice_url: legacy("texml/ivr") }],
    messaging_profiles: [
      { name: "stores-sms", webhook_url: legacy("telnyx/stores-sms") },
      { name: "ivr-sms", webhook_url: legacy("telnyx/ivr-sms") },
      { name: "spare-sms", webhook_url: legacy("telnyx/spare-sms") },
    ],
    phone_numbers: [
      {
        phone_number: A,
        connection_name: "stores-app",
        messaging_profile_name: "stores-sms",
        tags: ["stores", "west"],
      },
      {
        phone_number: B,
        connection_name: "stores-app",
        messaging_profile_name: "stores-sms",
        tags: ["stores"],
      },
      { phone_number: C, connection_name: "ivr-texml", messaging_profile_name: "ivr-sms", tags: [] },
      { phone_number: D, connection_name: "ivr-texml", messaging_profile_name: "stores-sms", tags: ["west"] },
    ],
  },
};

let sandbox: Sandbox;

async function start(seed: SandboxSeed = SEED): Promise<void> {
  sandbox = await startSandbox({ port: 0, seed, validateTwilio: true });
}

afterEach(async () => {
  vi.restoreAllMocks();
  if (!sandbox) return;
  expect(sandbox.control.releases()).toEqual([]);
  expect(sandbox.control.validationErrors()).toEqual([]);
  await sandbox.close();
});

/** A Twilio carrier on the sandbox, as a new provider process would build it. */
async function twilio(): Promise<Carrier> {
  const env = providerEnvironment(sandbox);
  const settings = twilioCarrier.loadSettings({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    apiKey: undefined,
    apiSecret: undefined,
    apiBaseUrl: env.TWILIO_API_BASE_URL,
  })!;
  return twilioCarrier.create(settings, DEFAULT_RETRY_POLICY);
}

async function telnyx(): Promise<Carrier> {
  const env = providerEnvironment(sandbox);
  const settings = telnyxCarrier.loadSettings({ apiKey: env.TELNYX_API_KEY, baseUrl: env.TELNYX_BASE_URL })!;
  return telnyxCarrier.create(settings, DEFAULT_RETRY_POLICY);
}

const serviceSid = (name: string) => sandbox.control.twilioMessagingService(name)!.sid;
const telnyxIds = () => {
  const { telnyx: t } = sandbox.control.state();
  const byName =
    <T extends { id: string }>(list: T[], name: (o: T) => unknown) =>
    (wanted: string) =>
      list.find((o) => name(o) === wanted)!.id;
  return {
    application: byName(t.call_control_applications, (o) => o.application_name),
    texml: byName(t.texml_applications, (o) => o.friendly_name),
    profile: byName(t.messaging_profiles, (o) => o.name),
  };
};
/** The carrier calls made, in order, as "METHOD path". */
const calls = () => sandbox.control.requests().map((r) => `${r.method} ${r.path}`);
/** Makes every listing read so far stale: the directory's clock moves past its TTL. */
const afterListingTtl = () => {
  const now = Date.now();
  vi.spyOn(Date, "now").mockReturnValue(now + DEFAULT_DIRECTORY_OPTIONS.ttlMs + 1);
};

describe("Twilio select", () => {
  it("friendlyNamePrefix: FriendlyName starts with it, case-sensitively", async () => {
    await start();
    const carrier = await twilio();
    expect(await carrier.select({ friendlyNamePrefix: "Store " })).toEqual([OAKLAND, BERKELEY, SF]);
    // A prefix, not a word: "Store 1" is also the start of "Store 10".
    expect(await carrier.select({ friendlyNamePrefix: "Store 1" })).toEqual([OAKLAND, SF]);
    expect(await carrier.select({ friendlyNamePrefix: "store" })).toEqual([LOWERCASE]);
    expect(await carrier.select({ friendlyNamePrefix: "Kiosk" })).toEqual([]);
  });

  it("friendlyNameRegex: a JavaScript regular expression tested against FriendlyName", async () => {
    await start();
    const carrier = await twilio();
    expect(await carrier.select({ friendlyNameRegex: "^Store \\d+ - (Oakland|SF)$" })).toEqual([OAKLAND, SF]);
    // Unanchored, it matches anywhere in the name; no flags, so case counts.
    expect(await carrier.select({ friendlyNameRegex: "line" })).toEqual([SUPPORT]);
    expect(await carrier.select({ friendlyNameRegex: "^store" })).toEqual([LOWERCASE]);
    expect(await carrier.select({ friendlyNameRegex: "^[Ss]tore \\d - " })).toEqual([
      OAKLAND,
      BERKELEY,
      LOWERCASE,
    ]);
    expect(await carrier.select({ friendlyNameRegex: "^Kiosk" })).toEqual([]);
  });

  it("messagingServiceSid: the numbers in that Messaging Service", async () => {
    await start();
    const carrier = await twilio();
    expect(await carrier.select({ messagingServiceSid: serviceSid("stores-sms") })).toEqual([
      OAKLAND,
      SUPPORT,
    ]);
    expect(await carrier.select({ messagingServiceSid: serviceSid("other-sms") })).toEqual([BERKELEY]);
    expect(await carrier.select({ messagingServiceSid: serviceSid("empty-sms") })).toEqual([]);
    // A number that leaves the service leaves the selection (the service's list is read each time).
    sandbox.control.removeNumberFromMessagingService("stores-sms", SUPPORT);
    expect(await carrier.select({ messagingServiceSid: serviceSid("stores-sms") })).toEqual([OAKLAND]);
  });

  it("refuses a Messaging Service the account does not have, naming the key (the carrier answers 404)", async () => {
    await start();
    const carrier = await twilio();
    const unknown = "MG" + "0".repeat(32);
    await expect(carrier.select({ messagingServiceSid: unknown })).rejects.toThrow(
      `select.messagingServiceSid: Twilio account ${MAIN} has no Messaging Service ${unknown} ` +
        `(list Messaging Service ${unknown} PhoneNumbers: HTTP 404)`,
    );
  });

  it("combines keys: a number must match every one", async () => {
    await start();
    const carrier = await twilio();
    const stores = serviceSid("stores-sms");
    expect(await carrier.select({ friendlyNamePrefix: "Store", messagingServiceSid: stores })).toEqual([
      OAKLAND,
    ]);
    expect(await carrier.select({ friendlyNamePrefix: "Store", friendlyNameRegex: "SF$" })).toEqual([SF]);
    expect(
      await carrier.select({
        friendlyNamePrefix: "Store",
        friendlyNameRegex: "SF$",
        messagingServiceSid: stores,
      }),
    ).toEqual([]);
  });

  it("selects in a subaccount, with its own listing and Messaging Services", async () => {
    await start();
    const carrier = await twilio();
    expect(await carrier.select({ friendlyNamePrefix: "Store" }, { account: ACME })).toEqual([ACME_STORE]);
    expect(await carrier.select({ friendlyNameRegex: "." }, { account: ACME })).toEqual([
      ACME_STORE,
      ACME_SUPPORT,
    ]);
    expect(
      await carrier.select({ messagingServiceSid: serviceSid("acme-stores") }, { account: ACME }),
    ).toEqual([ACME_STORE]);
    // The credentials' own account does not see the subaccount's numbers, nor it the parent's service.
    expect(await carrier.select({ friendlyNamePrefix: "Store 1 - Acme" })).toEqual([]);
    await expect(
      carrier.select({ messagingServiceSid: serviceSid("stores-sms") }, { account: ACME }),
    ).rejects.toThrow(`select.messagingServiceSid: Twilio account ${ACME} has no Messaging Service`);
    // Messaging v1 of the subaccount was read with its own Auth Token, fetched once.
    expect(calls().filter((c) => c === `GET /2010-04-01/Accounts/${ACME}.json`)).toHaveLength(1);
  });

  it("a number bought after a selection joins it once the listing is stale, or in a new process", async () => {
    await start();
    const carrier = await twilio();
    expect(await carrier.select({ friendlyNamePrefix: "Store 1" })).toEqual([OAKLAND, SF]);
    sandbox.control.buyTwilioNumber({ phone_number: "+14155550105", friendly_name: "Store 11 - Napa" });
    // Within the TTL the listing of this run answers: one listing per operation.
    expect(await carrier.select({ friendlyNamePrefix: "Store 1" })).toEqual([OAKLAND, SF]);
    expect(await (await twilio()).select({ friendlyNamePrefix: "Store 1" })).toEqual([
      OAKLAND,
      SF,
      "+14155550105",
    ]);
    afterListingTtl();
    expect(await carrier.select({ friendlyNamePrefix: "Store 1" })).toEqual([OAKLAND, SF, "+14155550105"]);
    // A number bought in a subaccount joins that account's selection only.
    sandbox.control.buyTwilioNumber({
      phone_number: "+13105550112",
      friendly_name: "Store 2 - Acme",
      account_sid: ACME,
    });
    expect(await carrier.select({ friendlyNamePrefix: "Store" }, { account: ACME })).toEqual([
      ACME_STORE,
      "+13105550112",
    ]);
  });

  it("a select and the finds of its numbers make one listing", async () => {
    await start();
    const carrier = await twilio();
    const selected = await carrier.select({ friendlyNamePrefix: "Store" });
    const found = await Promise.all(selected.map((n) => carrier.find(n)));
    expect(found.map((n) => n?.phoneNumber)).toEqual(selected);
    expect(found[0]!.webhooks.voiceUrl).toBe(legacy("oakland"));
    expect(calls()).toEqual([`GET /2010-04-01/Accounts/${MAIN}/IncomingPhoneNumbers.json`]);

    // With a Messaging Service: the listing, plus one list of the service's numbers.
    sandbox.control.clearLog();
    const fresh = await twilio();
    const stores = serviceSid("stores-sms");
    const inService = await fresh.select({ messagingServiceSid: stores });
    await Promise.all(inService.map((n) => fresh.find(n)));
    expect(calls().sort()).toEqual(
      [
        `GET /2010-04-01/Accounts/${MAIN}/IncomingPhoneNumbers.json`,
        `GET /v1/Services/${stores}/PhoneNumbers`,
      ].sort(),
    );
  });

  it("a select and finds arriving together share the listing in flight", async () => {
    await start();
    const carrier = await twilio();
    const [selected, ...found] = await Promise.all([
      carrier.select({ friendlyNamePrefix: "Store" }),
      carrier.find(OAKLAND),
      carrier.find(SUPPORT),
    ]);
    expect(selected).toEqual([OAKLAND, BERKELEY, SF]);
    expect(found.map((n) => n?.phoneNumber)).toEqual([OAKLAND, SUPPORT]);
    expect(calls()).toEqual([`GET /2010-04-01/Accounts/${MAIN}/IncomingPhoneNumbers.json`]);
  });
});

describe("Telnyx select", () => {
  it("tag: numbers that have that tag, case-sensitively", async () => {
    await start();
    const carrier = await telnyx();
    expect(await carrier.select({ tag: "stores" })).toEqual([A, B]);
    expect(await carrier.select({ tag: "west" })).toEqual([A, D]);
    expect(await carrier.select({ tag: "Stores" })).toEqual([]);
    expect(await carrier.select({ tag: "store" })).toEqual([]);
  });

  it("connectionId: numbers on that connection or application", async () => {
    await start();
    const ids = telnyxIds();
    const carrier = await telnyx();
    expect(await carrier.select({ connectionId: ids.application("stores-app") })).toEqual([A, B]);
    expect(await carrier.select({ connectionId: ids.texml("ivr-texml") })).toEqual([C, D]);
    expect(await carrier.select({ connectionId: ids.application("spare-app") })).toEqual([]);
  });

  it("messagingProfileId: numbers on that messaging profile", async () => {
    await start();
    const ids = telnyxIds();
    const carrier = await telnyx();
    expect(await carrier.select({ messagingProfileId: ids.profile("stores-sms") })).toEqual([A, B, D]);
    expect(await carrier.select({ messagingProfileId: ids.profile("ivr-sms") })).toEqual([C]);
    expect(await carrier.select({ messagingProfileId: ids.profile("spare-sms") })).toEqual([]);
  });

  it("refuses a connection or messaging profile the account does not have, naming the key", async () => {
    await start();
    const carrier = await telnyx();
    await expect(carrier.select({ connectionId: "1234567890" })).rejects.toThrow(
      "select.connectionId: the Telnyx account has no connection 1234567890 (get connections/1234567890: HTTP 404)",
    );
    const profile = "00000000-0000-4000-8000-000000000000";
    await expect(carrier.select({ messagingProfileId: profile })).rejects.toThrow(
      `select.messagingProfileId: the Telnyx account has no messaging profile ${profile} (get messaging_profiles/${profile}: HTTP 404)`,
    );
  });

  it("combines keys: a number must match every one", async () => {
    await start();
    const ids = telnyxIds();
    const carrier = await telnyx();
    const storesSms = ids.profile("stores-sms");
    expect(await carrier.select({ tag: "west", messagingProfileId: storesSms })).toEqual([A, D]);
    expect(await carrier.select({ tag: "west", connectionId: ids.texml("ivr-texml") })).toEqual([D]);
    expect(
      await carrier.select({
        tag: "stores",
        connectionId: ids.texml("ivr-texml"),
        messagingProfileId: storesSms,
      }),
    ).toEqual([]);
    // Telnyx has no subaccounts: an account is ignored.
    expect(await carrier.select({ tag: "stores" }, { account: ACME })).toEqual([A, B]);
  });

  it("reads a profile's own list when the listing does not say every number's profile", async () => {
    const seed = structuredClone(SEED);
    seed.telnyx!.phone_numbers!.push({ phone_number: "+13125550204", messaging_profile_id: "UNAVAILABLE" });
    await start(seed);
    const profile = telnyxIds().profile("stores-sms");
    const carrier = await telnyx();
    expect(await carrier.select({ messagingProfileId: profile })).toEqual([A, B, D]);
    expect(calls()).toContain(`GET /v2/messaging_profiles/${profile}/phone_numbers`);
  });

  it("a number bought after a selection joins it once the listing is stale, or in a new process", async () => {
    await start();
    const carrier = await telnyx();
    expect(await carrier.select({ tag: "stores" })).toEqual([A, B]);
    sandbox.control.buyTelnyxNumber({
      phone_number: "+13125550205",
      connection_name: "spare-app",
      tags: ["stores"],
    });
    expect(await carrier.select({ tag: "stores" })).toEqual([A, B]);
    expect(await (await telnyx()).select({ tag: "stores" })).toEqual([A, B, "+13125550205"]);
    afterListingTtl();
    expect(await carrier.select({ tag: "stores" })).toEqual([A, B, "+13125550205"]);
  });

  it("a select and the finds of its numbers make one listing, and read each object once", async () => {
    await start();
    const ids = telnyxIds();
    const carrier = await telnyx();
    const selected = await carrier.select({ tag: "stores" });
    const found = await Promise.all(selected.map((n) => carrier.find(n)));
    expect(found.map((n) => [n?.phoneNumber, n?.sharedWith])).toEqual([
      [A, [B, D]],
      [B, [A, D]],
    ]);
    const app = ids.application("stores-app");
    const profile = ids.profile("stores-sms");
    expect(calls().sort()).toEqual(
      [
        "GET /v2/phone_numbers",
        `GET /v2/connections/${app}`,
        `GET /v2/call_control_applications/${app}`,
        `GET /v2/messaging_profiles/${profile}`,
      ].sort(),
    );

    // Selecting by connection reads the connection the finds read next: nothing more.
    sandbox.control.clearLog();
    const fresh = await telnyx();
    const onApp = await fresh.select({ connectionId: app, messagingProfileId: profile });
    await Promise.all(onApp.map((n) => fresh.find(n)));
    expect(onApp).toEqual([A, B]);
    expect(calls().sort()).toEqual(
      [
        "GET /v2/phone_numbers",
        `GET /v2/connections/${app}`,
        `GET /v2/call_control_applications/${app}`,
        `GET /v2/messaging_profiles/${profile}`,
      ].sort(),
    );
  });
});

describe("selector values", () => {
  const twilioKeys = twilioCarrier.selectors;
  const telnyxKeys = telnyxCarrier.selectors;
  /** The message a key's schema refuses `value` with (undefined: accepted). */
  const failure = (key: SelectorKey | undefined, value: unknown) =>
    key!.schema.safeParse(value).error?.issues[0]?.message;

  it("each carrier declares its keys, with help for the README", () => {
    expect(Object.keys(twilioKeys)).toEqual([
      "friendlyNamePrefix",
      "friendlyNameRegex",
      "messagingServiceSid",
    ]);
    expect(Object.keys(telnyxKeys)).toEqual(["tag", "connectionId", "messagingProfileId"]);
    for (const key of [...Object.values(twilioKeys), ...Object.values(telnyxKeys)])
      expect(key.help).not.toBe("");
  });

  it("each key's schema refuses a malformed value with a message naming the key and the rule", () => {
    expect(failure(twilioKeys.friendlyNameRegex, "Store (")).toBe(
      "select.friendlyNameRegex must be a valid JavaScript regular expression: Invalid regular expression: /Store (/: Unterminated group",
    );
    expect(failure(twilioKeys.friendlyNameRegex, "^Store \\d+$")).toBeUndefined();
    expect(failure(twilioKeys.messagingServiceSid, "MG123")).toBe(
      "select.messagingServiceSid must be MG followed by 32 hex digits",
    );
    expect(failure(twilioKeys.messagingServiceSid, "PN" + "a".repeat(32))).toBe(
      "select.messagingServiceSid must be MG followed by 32 hex digits",
    );
    expect(failure(twilioKeys.friendlyNamePrefix, "")).toBe("select.friendlyNamePrefix must not be empty");
    expect(failure(telnyxKeys.tag, "")).toBe("select.tag must not be empty");
    expect(failure(telnyxKeys.connectionId, "stores-app")).toBe(
      "select.connectionId must be a Telnyx connection id (digits)",
    );
    expect(failure(telnyxKeys.messagingProfileId, "stores-sms")).toBe(
      "select.messagingProfileId must be a Telnyx messaging profile id (a UUID)",
    );
    expect(failure(telnyxKeys.messagingProfileId, 42)).toBeDefined();
  });

  it("select refuses a malformed or unknown key before any call", async () => {
    await start();
    const [tw, tx] = await Promise.all([twilio(), telnyx()]);
    await expect(tw.select({ friendlyNameRegex: "(" })).rejects.toThrow(
      "select.friendlyNameRegex must be a valid JavaScript regular expression: Invalid regular expression: /(/: Unterminated group",
    );
    await expect(tw.select({ messagingServiceSid: "MG123" })).rejects.toThrow(
      "select.messagingServiceSid must be MG followed by 32 hex digits",
    );
    await expect(tw.select({ tag: "stores" })).rejects.toThrow(
      "select.tag is not a selector key: twilio numbers are selected by friendlyNamePrefix, friendlyNameRegex, messagingServiceSid",
    );
    await expect(tw.select({})).rejects.toThrow(
      "select needs at least one key: twilio numbers are selected by friendlyNamePrefix, friendlyNameRegex, messagingServiceSid",
    );
    await expect(tx.select({ connectionId: "stores-app" })).rejects.toThrow(
      "select.connectionId must be a Telnyx connection id (digits)",
    );
    await expect(tx.select({ friendlyNamePrefix: "Store" })).rejects.toThrow(
      "select.friendlyNamePrefix is not a selector key: telnyx numbers are selected by tag, connectionId, messagingProfileId",
    );
    // A key on Object.prototype is no key either.
    await expect(tx.select({ toString: "x" })).rejects.toThrow("select.toString is not a selector key");
    expect(calls()).toEqual([]);
  });
});
