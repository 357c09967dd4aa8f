/**
 * Twilio Messaging Services (Messaging v1) through the real `twilio` SDK: the SDK sends these to
 * messaging.twilio.com, BaseUrlRequestClient rewrites the host, and every request and response is
 * checked against Twilio's OpenAPI description of Messaging v1 (validateTwilio: true).
 */
import { describe, expect, it } from "vitest";
import { SeedError, loadSeedFile, startSandbox, type SandboxSeed } from "../../sandbox";
import { twilioValidator } from "../../sandbox/carriers/twilio/openapi";
import { AC, SUBACCOUNTS_SEED_FILE, sandboxEachTest, raw, twilioFailure, twilioSdk } from "./support";

const MAIN_LINE = "+14155550100";
const MARKETING_LINE = "+14155550102";
const ALERTS_LINE = "+14155550103";
const ACME_SUPPORT = "+13105550110";

const ctx = sandboxEachTest({ seed: SUBACCOUNTS_SEED_FILE });

const services = () => twilioSdk(ctx.sb).messaging.v1.services;
const serviceSid = (name: string) => ctx.sb.control.twilioMessagingService(name)!.sid;

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${ctx.sb.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Messaging Services through the twilio SDK", () => {
  it("lists the account's services with Twilio's fields", async () => {
    const list = await services().list();
    expect(list.map((s) => s.friendlyName)).toEqual(["marketing", "notifications", "spare"]);
    const marketing = list[0]!;
    expect(marketing.sid).toMatch(/^MG[0-9a-f]{32}$/);
    expect(marketing.accountSid).toBe(AC);
    expect(marketing.useInboundWebhookOnNumber).toBe(false);
    expect(marketing.inboundRequestUrl).toBe("https://legacy.example.com/messaging/marketing");
    expect(marketing.inboundMethod).toBe("POST");
    expect(marketing.fallbackUrl).toBe("https://legacy-backup.example.com/messaging/marketing");
    expect(marketing.statusCallback).toBe("https://legacy.example.com/messaging/status");
    expect(marketing.dateCreated).toBeInstanceOf(Date);
    expect(marketing.dateCreated.toISOString()).toBe("2024-03-14T15:09:26.000Z");
    expect(marketing.url).toBe(`https://messaging.twilio.com/v1/Services/${marketing.sid}`);
    expect(marketing.links["phone_numbers"]).toBe(`${marketing.url}/PhoneNumbers`);
    expect(marketing.scanMessageContent).toBe("inherit");
    expect(marketing.validityPeriod).toBe(36000);
    expect(list[1]!.useInboundWebhookOnNumber).toBe(true);
    expect(list[1]!.inboundRequestUrl).toBeNull();
    expect(ctx.sb.control.counts()).toEqual({ "GET /v1/Services": 1 });
  });

  it("fetches a service by SID; an unknown SID is 404 / 20404", async () => {
    const sid = serviceSid("notifications");
    const s = await services()(sid).fetch();
    expect(s.friendlyName).toBe("notifications");
    expect(s.useInboundWebhookOnNumber).toBe(true);
    const unknown = "MG" + "0".repeat(32);
    const err = await twilioFailure(services()(unknown).fetch());
    expect(err.constructor.name).toBe("RestException");
    expect(err.status).toBe(404);
    expect(err.code).toBe(20404);
    expect(err.message).toBe(`The requested resource /Services/${unknown} was not found`);
    expect(ctx.sb.control.counts()["GET /v1/Services/{Sid}"]).toBe(2);
  });

  it("lists and fetches the numbers in a service, as the IncomingPhoneNumbers' own PN SIDs", async () => {
    const sid = serviceSid("marketing");
    const number = ctx.sb.control.twilioNumber(MARKETING_LINE)!;
    const numbers = await services()(sid).phoneNumbers.list();
    expect(numbers).toHaveLength(1);
    const n = numbers[0]!;
    expect(n).toMatchObject({
      sid: number.sid,
      accountSid: AC,
      serviceSid: sid,
      phoneNumber: MARKETING_LINE,
      countryCode: "US",
      capabilities: ["Voice", "SMS", "MMS"],
      url: `https://messaging.twilio.com/v1/Services/${sid}/PhoneNumbers/${number.sid}`,
    });
    expect(n.dateCreated).toBeInstanceOf(Date);
    const fetched = await services()(sid).phoneNumbers(number.sid).fetch();
    expect(fetched.phoneNumber).toBe(MARKETING_LINE);
    // A number of the account that is not in this service is not found under it.
    const other = ctx.sb.control.twilioNumber(ALERTS_LINE)!.sid;
    expect((await twilioFailure(services()(sid).phoneNumbers(other).fetch())).status).toBe(404);
    expect(await services()(serviceSid("spare")).phoneNumbers.list()).toEqual([]);
    const missing = await twilioFailure(services()("MG" + "1".repeat(32)).phoneNumbers.list());
    expect(missing.status).toBe(404);
  });

  it("pages with PageSize, Page, PageToken and meta.next_page_url (absolute, on messaging.twilio.com)", async () => {
    await ctx.sb.close();
    const extra = loadSeedFile(SUBACCOUNTS_SEED_FILE);
    const numbers = Array.from({ length: 5 }, (_, i) => `+1628555${String(3000 + i)}`);
    extra.twilio!.incoming_phone_numbers!.push(...numbers.map((phone_number) => ({ phone_number })));
    for (let i = 0; i < 4; i++) extra.twilio!.messaging_services!.push({ friendly_name: `bulk-${i}` });
    extra.twilio!.messaging_services!.push({ friendly_name: "big", phone_numbers: numbers });
    ctx.sb = await startSandbox({ seed: extra, validateTwilio: true });

    const all = await services().list({ pageSize: 3 });
    expect(all).toHaveLength(8);
    expect(new Set(all.map((s) => s.sid)).size).toBe(8);
    const lists = ctx.sb.control.requests().filter((r) => r.endpoint === "GET /v1/Services");
    expect(lists.map((r) => r.query["Page"] ?? "0")).toEqual(["0", "1", "2"]);
    expect(lists[1]!.query["PageToken"]).toMatch(/^PAMG[0-9a-f]{32}$/);

    const first = await services().page({ pageSize: 5 });
    expect(first.instances).toHaveLength(5);
    const second = await first.nextPage();
    expect(second!.instances.map((s) => s.friendlyName)).toEqual(["bulk-2", "bulk-3", "big"]);
    expect(await second!.nextPage()).toBeUndefined();
    const back = await second!.previousPage();
    expect(back!.instances.map((s) => s.sid)).toEqual(first.instances.map((s) => s.sid));

    const big = ctx.sb.control.twilioMessagingService("big")!.sid;
    const inBig = await services()(big).phoneNumbers.list({ pageSize: 2 });
    expect(inBig.map((n) => n.phoneNumber)).toEqual(numbers);

    const page = await raw(ctx.sb, "GET", `/v1/Services/${big}/PhoneNumbers?PageSize=2`, { auth: "twilio" });
    expect(page.json["meta"]).toMatchObject({
      page: 0,
      page_size: 2,
      key: "phone_numbers",
      previous_page_url: null,
      first_page_url: `https://messaging.twilio.com/v1/Services/${big}/PhoneNumbers?PageSize=2&Page=0`,
      url: `https://messaging.twilio.com/v1/Services/${big}/PhoneNumbers?PageSize=2&Page=0`,
      next_page_url: expect.stringMatching(
        new RegExp(
          `^https://messaging\\.twilio\\.com/v1/Services/${big}/PhoneNumbers\\?PageSize=2&Page=1&PageToken=PAPN[0-9a-f]{32}$`,
        ),
      ),
    });
    // Validation off: the sandbox's own checks answer.
    const plain = await startSandbox({ seed: extra });
    try {
      for (const q of ["PageSize=0", "PageSize=1001", "Page=-1", "PageToken=garbage", "Colour=blue"]) {
        const r = await raw(plain, "GET", `/v1/Services?${q}`, { auth: "twilio" });
        expect(r.status, q).toBe(400);
        expect(r.json).toMatchObject({ code: 20001, status: 400 });
      }
    } finally {
      await plain.close();
    }
  });

  it("answers 405 for writes it does not model, and 401 / 20003 without valid credentials", async () => {
    const sid = serviceSid("spare");
    const form = { auth: "twilio", contentType: "application/x-www-form-urlencoded" } as const;
    const create = await raw(ctx.sb, "POST", "/v1/Services", { ...form, body: "FriendlyName=x" });
    expect(create.status).toBe(405);
    expect(create.json).toMatchObject({ code: 20004 });
    const add = await raw(ctx.sb, "POST", `/v1/Services/${sid}/PhoneNumbers`, {
      ...form,
      body: `PhoneNumberSid=${ctx.sb.control.twilioNumber(MAIN_LINE)!.sid}`,
    });
    expect(add.status).toBe(405);
    expect(ctx.sb.control.twilioMessagingService(sid)!.phone_numbers).toEqual([]);
    const anonymous = await raw(ctx.sb, "GET", "/v1/Services");
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ code: 20003, message: "Authenticate" });
    const wrong = await twilioFailure(
      twilioSdk(ctx.sb, { password: "f".repeat(32) }).messaging.v1.services.list(),
    );
    expect(wrong.status).toBe(401);
  });
});

describe("console changes to Messaging Services (control)", () => {
  it("a number joins a service and leaves it; a number in another service is refused", async () => {
    const spare = serviceSid("spare");
    ctx.sb.control.addNumberToMessagingService("spare", MAIN_LINE);
    const joined = await services()(spare).phoneNumbers.list();
    expect(joined.map((n) => n.phoneNumber)).toEqual([MAIN_LINE]);
    expect(joined[0]!.dateCreated.getTime()).toBeGreaterThan(Date.parse("2025-01-01"));
    // Again: no change.
    ctx.sb.control.addNumberToMessagingService(spare, MAIN_LINE);
    expect(ctx.sb.control.twilioMessagingService(spare)!.phone_numbers).toEqual([MAIN_LINE]);
    // Twilio's rule: one service per number.
    expect(() => ctx.sb.control.addNumberToMessagingService("marketing", MAIN_LINE)).toThrow(
      /already in Messaging Service MG[0-9a-f]{32}; a number can be in one service only/,
    );
    expect(ctx.sb.control.twilioMessagingService("marketing")!.phone_numbers).toEqual([MARKETING_LINE]);
    // A subaccount's number cannot join a main-account service.
    expect(() => ctx.sb.control.addNumberToMessagingService("spare", ACME_SUPPORT)).toThrow(
      /belongs to account/,
    );
    expect(() => ctx.sb.control.addNumberToMessagingService("nope", MAIN_LINE)).toThrow(
      /no Twilio Messaging Service/,
    );
    expect(() => ctx.sb.control.addNumberToMessagingService("spare", "+19999999999")).toThrow(
      /no Twilio number/,
    );

    ctx.sb.control.removeNumberFromMessagingService("spare", MAIN_LINE);
    expect(await services()(spare).phoneNumbers.list()).toEqual([]);
    expect(() => ctx.sb.control.removeNumberFromMessagingService("spare", MAIN_LINE)).toThrow(/is not in/);
    // Now free to join another.
    ctx.sb.control.addNumberToMessagingService("marketing", MAIN_LINE);
    expect(ctx.sb.control.twilioMessagingService("marketing")!.phone_numbers).toEqual([
      MARKETING_LINE,
      MAIN_LINE,
    ]);
  });

  it("does the same over HTTP, by SID or friendly name", async () => {
    const spare = serviceSid("spare");
    const e164 = encodeURIComponent(MAIN_LINE);
    const joined = await control("POST", `/twilio/messaging_services/${spare}/phone_numbers/${e164}`);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ sid: spare, phone_numbers: [MAIN_LINE] });
    const refused = await control("POST", `/twilio/messaging_services/marketing/phone_numbers/${e164}`);
    expect(refused.status).toBe(400);
    expect(refused.body["error"]).toMatch(/already in Messaging Service/);
    expect((await services()(spare).phoneNumbers.list()).map((n) => n.phoneNumber)).toEqual([MAIN_LINE]);
    const left = await control("DELETE", `/twilio/messaging_services/spare/phone_numbers/${e164}`);
    expect(left.body).toMatchObject({ phone_numbers: [] });
    expect((await control("DELETE", `/twilio/messaging_services/spare/phone_numbers/${e164}`)).status).toBe(
      404,
    );
    expect((await control("GET", `/twilio/messaging_services/${spare}`)).body).toMatchObject({
      friendly_name: "spare",
    });
    expect((await control("GET", "/twilio/messaging_services/nope")).status).toBe(404);
    expect((await control("PUT", `/twilio/messaging_services/${spare}/phone_numbers/${e164}`)).status).toBe(
      405,
    );
  });

  it("flips use_inbound_webhook_on_number and edits settings; date_updated bumped; bad patches refused", async () => {
    const sid = serviceSid("marketing");
    const before = await services()(sid).fetch();
    ctx.sb.control.editTwilioMessagingService("marketing", { use_inbound_webhook_on_number: true });
    const after = await services()(sid).fetch();
    expect(after.useInboundWebhookOnNumber).toBe(true);
    expect(after.dateUpdated.getTime()).toBeGreaterThan(before.dateUpdated.getTime());

    const edited = await control("POST", `/twilio/messaging_services/${sid}`, {
      use_inbound_webhook_on_number: false,
      inbound_request_url: "https://console.example.com/inbound",
      fallback_url: "",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      use_inbound_webhook_on_number: false,
      inbound_request_url: "https://console.example.com/inbound",
      fallback_url: null,
      phone_numbers: [MARKETING_LINE],
    });
    const fetched = await services()(sid).fetch();
    expect(fetched.inboundRequestUrl).toBe("https://console.example.com/inbound");
    expect(fetched.fallbackUrl).toBeNull();

    expect(() => ctx.sb.control.editTwilioMessagingService(sid, { inbound_method: "PUT" as never })).toThrow(
      /inbound_method/,
    );
    expect(() => ctx.sb.control.editTwilioMessagingService(sid, { sid: "MG" + "2".repeat(32) })).toThrow(
      /sid cannot be changed/,
    );
    expect(() => ctx.sb.control.editTwilioMessagingService(sid, { colour: "red" } as never)).toThrow(
      /colour/,
    );
    expect(
      (await control("POST", `/twilio/messaging_services/${sid}`, { inbound_request_url: "x" })).status,
    ).toBe(400);
  });

  it("a number released (API) or gone out of band leaves its service", async () => {
    const marketing = serviceSid("marketing");
    const pn = ctx.sb.control.twilioNumber(MARKETING_LINE)!.sid;
    await twilioSdk(ctx.sb).api.v2010.accounts(AC).incomingPhoneNumbers(pn).remove();
    expect(await services()(marketing).phoneNumbers.list()).toEqual([]);
    ctx.sb.control.deleteNumber("twilio", ALERTS_LINE);
    expect(ctx.sb.control.twilioMessagingService("notifications")!.phone_numbers).toEqual([]);
  });
});

describe("Messaging Services in seeds", () => {
  it("generates MG SIDs deterministically, and state() round-trips with the services' numbers", async () => {
    const s1 = ctx.sb.control.state();
    const other = await startSandbox({ seed: SUBACCOUNTS_SEED_FILE });
    try {
      expect(other.control.state()).toEqual(s1);
      expect(s1.twilio.messaging_services.map((s) => [s.friendly_name, s.phone_numbers])).toEqual([
        ["marketing", [MARKETING_LINE]],
        ["notifications", [ALERTS_LINE]],
        ["spare", []],
      ]);
      other.control.addNumberToMessagingService("spare", MAIN_LINE);
      const copy = other.control.state();
      other.control.loadSeed(copy);
      expect(other.control.state()).toEqual(copy);
      expect(other.control.twilioMessagingService("spare")!.phone_numbers).toEqual([MAIN_LINE]);
    } finally {
      await other.close();
    }
  });

  it("refuses a service number that is not the account's, or that is in two services", () => {
    const twice: SandboxSeed = {
      twilio: {
        incoming_phone_numbers: [{ phone_number: MAIN_LINE }],
        messaging_services: [
          { friendly_name: "a", phone_numbers: [MAIN_LINE] },
          { friendly_name: "b", phone_numbers: [MAIN_LINE, "+14155550199"] },
        ],
      },
    };
    expect(() => ctx.sb.control.loadSeed(twice)).toThrow(SeedError);
    try {
      ctx.sb.control.loadSeed(twice);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain(
        `twilio.messaging_services.1.phone_numbers: ${MAIN_LINE} is already in Messaging Service MG`,
      );
      expect(msg).toContain("a number can be in one service only");
      expect(msg).toContain("+14155550199 is not one of this account's incoming_phone_numbers");
    }
    expect(() =>
      ctx.sb.control.loadSeed({
        twilio: {
          messaging_services: [{ friendly_name: "x", sid: "MG123" }, { inbound_method: "PUT" as never }],
        },
      }),
    ).toThrow(/messaging_services\.0\.sid: must be an MG SID.*messaging_services\.1\.inbound_method/);
    // Nothing changed.
    expect(ctx.sb.control.twilioMessagingService("marketing")!.phone_numbers).toEqual([MARKETING_LINE]);
  });
});

describe("Messaging v1 OpenAPI validation", () => {
  it("catches a request outside the spec (PageSize=0, a malformed SID, an unknown parameter)", async () => {
    const zero = await raw(ctx.sb, "GET", "/v1/Services?PageSize=0", { auth: "twilio" });
    expect(zero.status).toBe(400);
    expect(zero.json).toMatchObject({ code: 20001 });
    await raw(ctx.sb, "GET", "/v1/Services/MG123", { auth: "twilio" });
    await raw(ctx.sb, "GET", `/v1/Services/${serviceSid("spare")}/PhoneNumbers?Colour=blue`, {
      auth: "twilio",
    });
    const v = ctx.sb.control.validationErrors();
    expect(
      v.some((e) => e.startsWith("GET /v1/Services request") && e.includes("/query/PageSize must be >= 1")),
    ).toBe(true);
    expect(
      v.some(
        (e) => e.startsWith("GET /v1/Services/{Sid} request") && e.includes("/path/Sid must match pattern"),
      ),
    ).toBe(true);
    expect(
      v.some(
        (e) =>
          e.startsWith("GET /v1/Services/{ServiceSid}/PhoneNumbers request") &&
          e.includes("must NOT have additional properties") &&
          e.includes("Colour"),
      ),
    ).toBe(true);
    ctx.sb.control.clearValidationErrors();
  });

  it("validates responses against the Messaging v1 schemas", async () => {
    const validator = await twilioValidator();
    const service = ctx.sb.control.twilioMessagingService("marketing")!;
    const { phone_numbers: _members, ...json } = service;
    expect(validator.validateResponse("FetchService", 200, json)).toEqual([]);
    // Each wrong field, alone, is caught.
    for (const [field, value, violation] of [
      ["sid", "XX1", /^GET \/v1\/Services\/\{Sid\} response 200 \/sid must match pattern/m],
      ["inbound_method", "PUT", /\/inbound_method must be equal to one of the allowed values/],
      ["date_created", "Thu, 14 Mar 2024 15:09:26 +0000", /\/date_created must match format "date-time"/],
      ["use_inbound_webhook_on_number", "yes", /\/use_inbound_webhook_on_number must be boolean/],
    ] as const) {
      const found = validator.validateResponse("FetchService", 200, { ...json, [field]: value });
      expect(found.join("\n"), field).toMatch(violation);
      expect(
        found.every((v) => v.includes(`/${field} `)),
        field,
      ).toBe(true);
    }
    const list = await raw(ctx.sb, "GET", `/v1/Services/${service.sid}/PhoneNumbers`, { auth: "twilio" });
    expect(validator.validateResponse("ListPhoneNumber", 200, list.json)).toEqual([]);
    const items = list.json["phone_numbers"] as Record<string, unknown>[];
    const wrong = {
      ...list.json,
      phone_numbers: [{ ...items[0], capabilities: { sms: true }, phone_number: "4155550102" }],
    };
    const wrongText = validator.validateResponse("ListPhoneNumber", 200, wrong).join("\n");
    expect(wrongText).toMatch(/\/phone_numbers\/0\/capabilities must be array/);
    expect(wrongText).toMatch(/\/phone_numbers\/0\/phone_number must match format "phone-number"/);
  });
});
