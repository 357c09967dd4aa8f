/**
 * Twilio subaccounts through the real `twilio` SDK, validated against Twilio's OpenAPI description:
 * who may act on which account (the rules in sandbox/carriers/twilio/api.ts's header), the Account resource, and
 * Messaging Services scoped by the credentials' account.
 */
import { describe, expect, it } from "vitest";
import { SeedError, loadSeedFile, type SandboxState } from "../../sandbox";
import {
  AC,
  API_KEY,
  AUTH_TOKEN,
  SUBACCOUNTS_SEED_FILE,
  sandboxEachTest,
  raw,
  twilioClient,
  twilioFailure,
  twilioSdk,
} from "./support";

const seed = loadSeedFile(SUBACCOUNTS_SEED_FILE);
const [acmeSeed, globexSeed] = seed.twilio!.subaccounts!;
const ACME = acmeSeed!.account_sid!;
const ACME_TOKEN = acmeSeed!.auth_token!;
const ACME_KEY = acmeSeed!.api_keys![0]!;
const GLOBEX = globexSeed!.account_sid!;
const GLOBEX_TOKEN = globexSeed!.auth_token!;
const ACME_SUPPORT = "+13105550110";
const ACME_SALES = "+13105550111";
const GLOBEX_MAIN = "+16465550120";

const ctx = sandboxEachTest({ seed: SUBACCOUNTS_SEED_FILE });

const asParent = (accountSid: string) => twilioClient(ctx.sb, { accountSid });
const asAcme = () => twilioClient(ctx.sb, { username: ACME, password: ACME_TOKEN, accountSid: ACME });

describe("a subaccount's IncomingPhoneNumbers", () => {
  it("are listed, fetched and updated with the parent's credentials and the subaccount in the path", async () => {
    const numbers = asParent(ACME);
    const list = await numbers.list();
    expect(list.map((n) => n.phoneNumber)).toEqual([ACME_SUPPORT, ACME_SALES]);
    expect(list.every((n) => n.accountSid === ACME)).toBe(true);
    expect(list[0]!.uri).toBe(`/2010-04-01/Accounts/${ACME}/IncomingPhoneNumbers/${list[0]!.sid}.json`);
    // Same filters and paging as the main account.
    expect((await numbers.list({ phoneNumber: "+1310555011" })).map((n) => n.phoneNumber)).toEqual([
      ACME_SUPPORT,
      ACME_SALES,
    ]);
    const first = await numbers.page({ pageSize: 1 });
    expect(first.instances.map((n) => n.phoneNumber)).toEqual([ACME_SUPPORT]);
    expect((await first.nextPage())!.instances.map((n) => n.phoneNumber)).toEqual([ACME_SALES]);

    const sid = list[0]!.sid;
    expect((await numbers(sid).fetch()).smsUrl).toBe("https://acme.example.com/sms");
    const updated = await numbers(sid).update({ smsUrl: "https://new.example.com/sms" });
    expect(updated.smsUrl).toBe("https://new.example.com/sms");
    expect(updated.accountSid).toBe(ACME);
    expect(ctx.sb.control.twilioNumber(ACME_SUPPORT)!.sms_url).toBe("https://new.example.com/sms");
    expect(
      ctx.sb.control.counts()["POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"],
    ).toBe(1);
  });

  it("are listed, fetched and updated with the subaccount's own credentials and API key", async () => {
    const list = await asAcme().list();
    expect(list.map((n) => n.phoneNumber)).toEqual([ACME_SUPPORT, ACME_SALES]);
    const sid = list[1]!.sid;
    await asAcme()(sid).update({ voiceUrl: "https://acme-own.example.com/voice" });
    expect((await asAcme()(sid).fetch()).voiceUrl).toBe("https://acme-own.example.com/voice");
    const byKey = twilioClient(ctx.sb, {
      username: ACME_KEY.sid,
      password: ACME_KEY.secret,
      accountSid: ACME,
    });
    expect((await byKey(sid).fetch()).voiceUrl).toBe("https://acme-own.example.com/voice");
  });

  it("refuse a sibling subaccount's credentials, and the subaccount's on its parent: 401 / 20003", async () => {
    const sibling = twilioClient(ctx.sb, { username: GLOBEX, password: GLOBEX_TOKEN, accountSid: ACME });
    const err = await twilioFailure(sibling.list());
    expect(err.status).toBe(401);
    expect(err.code).toBe(20003);
    expect(err.message).toBe("Authenticate");
    const sid = ctx.sb.control.twilioNumber(ACME_SUPPORT)!.sid;
    expect((await twilioFailure(sibling(sid).update({ smsUrl: "https://evil.example.com" }))).status).toBe(
      401,
    );
    expect(ctx.sb.control.twilioNumber(ACME_SUPPORT)!.sms_url).toBe("https://acme.example.com/sms");
    // A subaccount cannot reach its parent's resources.
    const up = twilioClient(ctx.sb, { username: ACME, password: ACME_TOKEN, accountSid: AC });
    expect((await twilioFailure(up.list())).status).toBe(401);
    // The subaccount's SID with the parent's token is not a credential.
    const mixed = twilioClient(ctx.sb, { username: ACME, password: AUTH_TOKEN, accountSid: ACME });
    expect((await twilioFailure(mixed.list())).status).toBe(401);
    // Twilio: "Main account API Keys are only available to access main account resources."
    const mainKey = twilioClient(ctx.sb, {
      username: API_KEY.sid,
      password: API_KEY.secret,
      accountSid: ACME,
    });
    expect((await twilioFailure(mainKey.list())).status).toBe(401);
    const r = await raw(ctx.sb, "GET", `/2010-04-01/Accounts/${GLOBEX}/IncomingPhoneNumbers.json`, {
      auth: "Basic " + Buffer.from(`${ACME}:${ACME_TOKEN}`).toString("base64"),
    });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain("Basic");
  });

  it("are not visible under the parent's own IncomingPhoneNumbers: not listed, 404 / 20404 by SID", async () => {
    const main = twilioClient(ctx.sb);
    const all = await main.list();
    expect(all.map((n) => n.phoneNumber)).toEqual(["+14155550100", "+14155550102", "+14155550103"]);
    expect(await main.list({ phoneNumber: ACME_SUPPORT })).toEqual([]);
    const sid = ctx.sb.control.twilioNumber(ACME_SUPPORT)!.sid;
    const err = await twilioFailure(main(sid).fetch());
    expect(err.status).toBe(404);
    expect(err.code).toBe(20404);
    expect(err.message).toBe(
      `The requested resource /2010-04-01/Accounts/${AC}/IncomingPhoneNumbers/${sid}.json was not found`,
    );
    expect((await twilioFailure(main(sid).update({ smsUrl: "https://x.example.com" }))).status).toBe(404);
    // Nor under a sibling's.
    const globexSid = ctx.sb.control.twilioNumber(GLOBEX_MAIN)!.sid;
    expect((await twilioFailure(asParent(ACME)(globexSid).fetch())).status).toBe(404);
  });

  it("moves to another of the sandbox's accounts with AccountSid, recorded as a transfer", async () => {
    const n = ctx.sb.control.twilioNumber(ACME_SALES)!;
    const moved = await asParent(ACME)(n.sid).update({ accountSid: GLOBEX });
    expect(moved.accountSid).toBe(GLOBEX);
    expect(ctx.sb.control.releases()).toEqual([
      { carrier: "twilio", sid: n.sid, phoneNumber: ACME_SALES, kind: "transfer" },
    ]);
    expect((await asAcme().list()).map((x) => x.phoneNumber)).toEqual([ACME_SUPPORT]);
    const globex = await asParent(GLOBEX).list();
    expect(globex.map((x) => x.phoneNumber)).toEqual([GLOBEX_MAIN, ACME_SALES]);
    expect(globex[1]!.uri).toBe(`/2010-04-01/Accounts/${GLOBEX}/IncomingPhoneNumbers/${n.sid}.json`);
    // A number leaving its account leaves its Messaging Service too.
    await asParent(ACME)(ctx.sb.control.twilioNumber(ACME_SUPPORT)!.sid).update({ accountSid: AC });
    expect(ctx.sb.control.twilioMessagingService("acme-support")!.phone_numbers).toEqual([]);
    expect(ctx.sb.control.twilioNumber(ACME_SUPPORT)!.account_sid).toBe(AC);
  });
});

describe("the Account resource", () => {
  it("fetches a subaccount with the parent's credentials, and each account with its own", async () => {
    const acme = await twilioSdk(ctx.sb).api.v2010.accounts(ACME).fetch();
    expect(acme).toMatchObject({
      sid: ACME,
      ownerAccountSid: AC,
      friendlyName: "acme",
      status: "active",
      type: "Full",
      authToken: ACME_TOKEN,
      uri: `/2010-04-01/Accounts/${ACME}.json`,
    });
    expect(acme.subresourceUris["incoming_phone_numbers"]).toBe(
      `/2010-04-01/Accounts/${ACME}/IncomingPhoneNumbers.json`,
    );
    expect(acme.dateCreated).toBeInstanceOf(Date);
    const main = await twilioSdk(ctx.sb).api.v2010.accounts(AC).fetch();
    expect(main).toMatchObject({ sid: AC, ownerAccountSid: AC, friendlyName: "Sandbox main account" });
    const own = await twilioSdk(ctx.sb, { username: ACME, password: ACME_TOKEN })
      .api.v2010.accounts(ACME)
      .fetch();
    expect(own.sid).toBe(ACME);
    expect(ctx.sb.control.counts()["GET /2010-04-01/Accounts/{Sid}.json"]).toBe(3);
  });

  it("refuses a subaccount's credentials for its parent or a sibling (401), and an unknown account", async () => {
    const acme = twilioSdk(ctx.sb, { username: ACME, password: ACME_TOKEN });
    expect((await twilioFailure(acme.api.v2010.accounts(AC).fetch())).status).toBe(401);
    expect((await twilioFailure(acme.api.v2010.accounts(GLOBEX).fetch())).status).toBe(401);
    expect(
      (
        await twilioFailure(
          twilioSdk(ctx.sb)
            .api.v2010.accounts("AC" + "9".repeat(32))
            .fetch(),
        )
      ).status,
    ).toBe(401);
  });
});

describe("Messaging Services of subaccounts", () => {
  it("are served to the subaccount's credentials; the parent's list the parent's, whatever accountSid", async () => {
    const acme = await twilioSdk(ctx.sb, {
      username: ACME,
      password: ACME_TOKEN,
    }).messaging.v1.services.list();
    expect(acme.map((s) => [s.friendlyName, s.accountSid])).toEqual([["acme-support", ACME]]);
    const numbers = await twilioSdk(ctx.sb, { username: ACME, password: ACME_TOKEN })
      .messaging.v1.services(acme[0]!.sid)
      .phoneNumbers.list();
    expect(numbers.map((n) => [n.phoneNumber, n.accountSid])).toEqual([[ACME_SUPPORT, ACME]]);
    const byKey = twilioSdk(ctx.sb, { username: ACME_KEY.sid, password: ACME_KEY.secret, accountSid: ACME });
    expect((await byKey.messaging.v1.services.list()).map((s) => s.friendlyName)).toEqual(["acme-support"]);

    // The SDK's accountSid option only changes 2010-04-01 paths: Messaging v1 serves the parent's.
    const parent = twilioSdk(ctx.sb, { accountSid: ACME });
    expect((await parent.messaging.v1.services.list()).map((s) => s.friendlyName)).toEqual([
      "marketing",
      "notifications",
      "spare",
    ]);
    expect((await twilioFailure(parent.messaging.v1.services(acme[0]!.sid).fetch())).status).toBe(404);
    // The subaccount's SID with the parent's token is refused.
    const mixed = twilioSdk(ctx.sb, { username: ACME, password: AUTH_TOKEN });
    expect((await twilioFailure(mixed.messaging.v1.services.list())).status).toBe(401);
    expect(
      await twilioSdk(ctx.sb, { username: GLOBEX, password: GLOBEX_TOKEN }).messaging.v1.services.list(),
    ).toEqual([]);
  });

  it("take their numbers from their own account only (control)", () => {
    expect(() => ctx.sb.control.addNumberToMessagingService("acme-support", GLOBEX_MAIN)).toThrow(
      /belongs to account/,
    );
    ctx.sb.control.addNumberToMessagingService("acme-support", ACME_SALES);
    expect(ctx.sb.control.twilioMessagingService("acme-support")!.phone_numbers).toEqual([
      ACME_SUPPORT,
      ACME_SALES,
    ]);
  });
});

describe("control and seeds with subaccounts", () => {
  it("finds subaccount numbers in the control API, and state() includes the subaccounts", async () => {
    const e164 = encodeURIComponent(GLOBEX_MAIN);
    const get = await fetch(`${ctx.sb.url}/_sandbox/twilio/numbers/${e164}`);
    expect(await get.json()).toMatchObject({ phone_number: GLOBEX_MAIN, account_sid: GLOBEX });
    const post = await fetch(`${ctx.sb.url}/_sandbox/twilio/numbers/${e164}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ voice_url: "https://drift.example.com/voice" }),
    });
    expect(post.status).toBe(200);
    const globex = twilioClient(ctx.sb, { username: GLOBEX, password: GLOBEX_TOKEN, accountSid: GLOBEX });
    const [n] = await globex.list();
    expect(n!.voiceUrl).toBe("https://drift.example.com/voice");
    expect((await fetch(`${ctx.sb.url}/_sandbox/twilio/numbers/${e164}`, { method: "DELETE" })).status).toBe(
      200,
    );
    expect(await globex.list()).toEqual([]);
    expect(ctx.sb.control.releases()).toEqual([]);

    ctx.sb.control.deleteNumber("twilio", ACME_SUPPORT);
    expect(ctx.sb.control.twilioMessagingService("acme-support")!.phone_numbers).toEqual([]);

    const state = (await (await fetch(`${ctx.sb.url}/_sandbox/state`)).json()) as SandboxState;
    expect(state.twilio.subaccounts.map((a) => [a.account_sid, a.friendly_name])).toEqual([
      [ACME, "acme"],
      [GLOBEX, "globex"],
    ]);
    expect(state.twilio.subaccounts[0]!.incoming_phone_numbers.map((x) => x.phone_number)).toEqual([
      ACME_SALES,
    ]);
    const info = (await (await fetch(`${ctx.sb.url}/_sandbox`)).json()) as Record<string, unknown>;
    expect(info["twilio"]).toMatchObject({
      account_sid: AC,
      subaccounts: [
        { account_sid: ACME, auth_token: ACME_TOKEN, friendly_name: "acme" },
        { account_sid: GLOBEX, auth_token: GLOBEX_TOKEN, friendly_name: "globex" },
      ],
    });
    ctx.sb.control.reset();
    expect(ctx.sb.control.twilioNumber(ACME_SUPPORT)!.account_sid).toBe(ACME);
  });

  it("generates a subaccount's SID and Auth Token deterministically, and round-trips state()", async () => {
    const s = {
      twilio: {
        subaccounts: [{ incoming_phone_numbers: [{ phone_number: "+14155550177" }] }, { friendly_name: "b" }],
      },
    };
    ctx.sb.control.loadSeed(s);
    const first = ctx.sb.control.state();
    ctx.sb.control.loadSeed(s);
    expect(ctx.sb.control.state()).toEqual(first);
    const [a, b] = first.twilio.subaccounts;
    expect(a).toMatchObject({
      account_sid: expect.stringMatching(/^AC[0-9a-f]{32}$/),
      auth_token: expect.stringMatching(/^[0-9a-f]{32}$/),
      friendly_name: "subaccount-1",
    });
    expect(b!.friendly_name).toBe("b");
    expect(a!.account_sid).not.toBe(b!.account_sid);
    expect(a!.incoming_phone_numbers[0]!.account_sid).toBe(a!.account_sid);
    expect(a!.incoming_phone_numbers[0]!.uri).toContain(`/Accounts/${a!.account_sid}/`);
    const numbers = twilioClient(ctx.sb, {
      username: a!.account_sid,
      password: a!.auth_token,
      accountSid: a!.account_sid,
    });
    expect((await numbers.list()).map((n) => n.phoneNumber)).toEqual(["+14155550177"]);
    ctx.sb.control.loadSeed(first);
    expect(ctx.sb.control.state()).toEqual(first);
  });

  it("refuses a number or SID twice across accounts, a foreign account_sid, and nested subaccounts", () => {
    const before = ctx.sb.control.state();
    const dup = {
      twilio: {
        account_sid: AC,
        incoming_phone_numbers: [{ phone_number: ACME_SUPPORT }],
        subaccounts: [
          { account_sid: AC, incoming_phone_numbers: [{ phone_number: ACME_SUPPORT, account_sid: GLOBEX }] },
        ],
      },
    };
    expect(() => ctx.sb.control.loadSeed(dup)).toThrow(SeedError);
    try {
      ctx.sb.control.loadSeed(dup);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain(`twilio.subaccounts.0.account_sid: duplicate account sid ${AC}`);
      expect(msg).toContain(`twilio: duplicate phone_number ${ACME_SUPPORT}`);
      expect(msg).toContain(
        "twilio.subaccounts.0.incoming_phone_numbers.0.account_sid: must be its account's",
      );
    }
    expect(() =>
      ctx.sb.control.loadSeed({ twilio: { subaccounts: [{ subaccounts: [] }] } } as never),
    ).toThrow(/unknown field\(s\) subaccounts/);
    expect(ctx.sb.control.state()).toEqual(before);
  });
});
