/**
 * The Twilio OpenAPI check catches what it should, and bad input is answered as Twilio would
 * (400/404 in Twilio's error shape) without crashing the sandbox or changing its state.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox";
import { twilioValidator } from "../../sandbox/carriers/twilio/openapi";
import { AC, raw, start, twilioClient, twilioFailure } from "./support";

const PLAIN = "+14155550100";
const INSTANCE = (sid: string) => `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers/${sid}.json`;
const FORM = "application/x-www-form-urlencoded";

let sb: Sandbox;
afterEach(async () => {
  await sb.close();
});

describe("Twilio OpenAPI validation (validateTwilio: true)", () => {
  it("catches VoiceMethod=PUT sent through the SDK, rejects it, and leaves the number alone", async () => {
    sb = await start({ validateTwilio: true });
    const before = sb.control.twilioNumber(PLAIN)!;
    const err = await twilioFailure(
      twilioClient(sb)(before.sid).update({ voiceMethod: "PUT", voiceUrl: "https://x.example.com" }),
    );
    expect(err.status).toBe(400);
    const violations = sb.control.validationErrors();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(
      "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json request",
    );
    expect(violations[0]).toContain("/requestBody/VoiceMethod must be equal to one of the allowed values");
    expect(sb.control.twilioNumber(PLAIN)).toEqual(before);
  });

  it("catches an unknown form parameter and an unknown query parameter", async () => {
    sb = await start({ validateTwilio: true });
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    const r = await raw(sb, "POST", INSTANCE(sid), {
      auth: "twilio",
      contentType: FORM,
      body: "VoiceUrl=https%3A%2F%2Fx.example.com&Colour=blue",
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 20001, status: 400 });
    const q = await raw(
      sb,
      "GET",
      `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json?PhoneNumbr=%2B14155550100`,
      { auth: "twilio" },
    );
    expect(q.status).toBe(400);
    const v = sb.control.validationErrors();
    expect(
      v.some(
        (e) =>
          e.includes("must NOT have additional properties") && e.includes('"additionalProperty":"Colour"'),
      ),
    ).toBe(true);
    expect(
      v.some((e) => e.includes("/query must NOT have additional properties") && e.includes("PhoneNumbr")),
    ).toBe(true);
    expect(sb.control.twilioNumber(PLAIN)!.voice_url).toBe("https://legacy.example.com/voice");
    sb.control.clearValidationErrors();
    expect(sb.control.validationErrors()).toEqual([]);
  });

  it("catches a malformed SID in the path and an invalid SID in the body", async () => {
    sb = await start({ validateTwilio: true });
    await raw(sb, "GET", INSTANCE("PN123"), { auth: "twilio" });
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    await twilioFailure(twilioClient(sb)(sid).update({ voiceApplicationSid: "AP123" }));
    const v = sb.control.validationErrors();
    expect(v.some((e) => e.includes("/path/Sid must match pattern"))).toBe(true);
    expect(v.some((e) => e.includes("/requestBody/VoiceApplicationSid must match pattern"))).toBe(true);
  });

  it("accepts Twilio's empty-value clears, which the spec's SID patterns do not express", async () => {
    sb = await start({ validateTwilio: true });
    const sid = sb.control.twilioNumber("+14155550101")!.sid;
    await twilioClient(sb)(sid).update({ voiceApplicationSid: "", trunkSid: "", smsUrl: "" });
    expect(sb.control.validationErrors()).toEqual([]);
  });

  it("validates responses against the response schema", async () => {
    const validator = await twilioValidator();
    sb = await start({ validateTwilio: true });
    const n = sb.control.twilioNumber(PLAIN)!;
    expect(validator.validateResponse("FetchIncomingPhoneNumber", 200, n)).toEqual([]);
    const bad = validator.validateResponse("FetchIncomingPhoneNumber", 200, {
      ...n,
      sid: "XX1",
      voice_method: "PUT",
      date_created: "2024-03-14T15:09:26Z",
    });
    expect(bad.join("\n")).toMatch(/\/sid must match pattern/);
    expect(bad.join("\n")).toMatch(/\/voice_method must be equal to one of the allowed values/);
    expect(bad.join("\n")).toMatch(/\/date_created must match format "date-time-rfc-2822"/);
    expect(validator.validateResponse("DeleteIncomingPhoneNumber", 204, null)).toEqual([]);
  });

  it("can be turned on with SANDBOX_VALIDATE_TWILIO=1", async () => {
    const prev = process.env["SANDBOX_VALIDATE_TWILIO"];
    process.env["SANDBOX_VALIDATE_TWILIO"] = "1";
    try {
      sb = await start();
    } finally {
      if (prev === undefined) delete process.env["SANDBOX_VALIDATE_TWILIO"];
      else process.env["SANDBOX_VALIDATE_TWILIO"] = prev;
    }
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    await twilioFailure(twilioClient(sb)(sid).update({ smsMethod: "get" }));
    expect(sb.control.validationErrors().length).toBeGreaterThan(0);
    expect(sb.control.validationErrors().every((e) => e.includes("/requestBody/SmsMethod"))).toBe(true);
  });
});

describe("Twilio bad input, validation off: answered as Twilio does, state untouched", () => {
  it("rejects VoiceMethod=PUT with 400 / 21403", async () => {
    sb = await start();
    const before = sb.control.twilioNumber(PLAIN)!;
    const err = await twilioFailure(
      twilioClient(sb)(before.sid).update({ voiceUrl: "https://x.example.com", voiceMethod: "PUT" }),
    );
    expect(err.constructor.name).toBe("RestException");
    expect(err.status).toBe(400);
    expect(err.code).toBe(21403);
    expect(err.moreInfo).toBe("https://www.twilio.com/docs/errors/21403");
    expect(sb.control.twilioNumber(PLAIN)).toEqual(before);
    expect(sb.control.validationErrors()).toEqual([]); // validation is off: nothing recorded
  });

  it("rejects an invalid URL (21402), an unknown parameter (20001) and a malformed SID value (21218)", async () => {
    sb = await start();
    const before = sb.control.twilioNumber(PLAIN)!;
    const numbers = twilioClient(sb);
    expect((await twilioFailure(numbers(before.sid).update({ voiceUrl: "not a url" }))).code).toBe(21402);
    expect(
      (await twilioFailure(numbers(before.sid).update({ smsUrl: "ftp://x.example.com/sms" }))).code,
    ).toBe(21402);
    expect((await twilioFailure(numbers(before.sid).update({ voiceApplicationSid: "AP123" }))).code).toBe(
      21218,
    );
    const unknown = await raw(sb, "POST", INSTANCE(before.sid), {
      auth: "twilio",
      contentType: FORM,
      body: "VoiceUrl=https%3A%2F%2Fok.example.com&Foo=1",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({
      code: 20001,
      message: "Unknown parameter: Foo",
      more_info: "https://www.twilio.com/docs/errors/20001",
      status: 400,
    });
    expect(sb.control.twilioNumber(PLAIN)).toEqual(before);
  });

  it("rejects malformed form bodies: bad escapes, repeated fields, JSON instead of a form", async () => {
    sb = await start();
    const before = sb.control.twilioNumber(PLAIN)!;
    for (const [body, contentType] of [
      ["VoiceUrl=%E0%A4%A", FORM],
      ["VoiceUrl=https%3A%2F%2Fa.example.com&VoiceUrl=https%3A%2F%2Fb.example.com", FORM],
      ['{"VoiceUrl":"https://a.example.com"}', "application/json"],
      ["=x", FORM],
    ] as const) {
      const r = await raw(sb, "POST", INSTANCE(before.sid), { auth: "twilio", contentType, body });
      expect(r.status, body).toBe(400);
      expect(r.json).toMatchObject({ status: 400, code: 20001 });
      expect(typeof r.json["message"]).toBe("string");
    }
    expect(sb.control.twilioNumber(PLAIN)).toEqual(before);
    // Still serving.
    expect(await twilioClient(sb).list({ phoneNumber: PLAIN })).toHaveLength(1);
  });

  it("answers 404 for a malformed SID, for an unknown path, and 405 for a purchase attempt", async () => {
    sb = await start();
    const bad = await raw(sb, "GET", INSTANCE("NOT-A-SID"), { auth: "twilio" });
    expect(bad.status).toBe(404);
    expect(bad.json).toMatchObject({ code: 20404, status: 404 });
    const other = await raw(sb, "GET", `/2010-04-01/Accounts/${AC}/Calls.json`, { auth: "twilio" });
    expect(other.status).toBe(404);
    const buy = await raw(sb, "POST", `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`, {
      auth: "twilio",
      contentType: FORM,
      body: "PhoneNumber=%2B14155550199",
    });
    expect(buy.status).toBe(405);
    expect(buy.json).toMatchObject({ code: 20004 });
  });

  it("answers 401 when the path's account is not the credentials' account", async () => {
    sb = await start();
    const other = "AC" + "1".repeat(32);
    const r = await raw(sb, "GET", `/2010-04-01/Accounts/${other}/IncomingPhoneNumbers.json`, {
      auth: "twilio",
    });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain("Basic");
    const none = await raw(sb, "GET", `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`);
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ code: 20003, message: "Authenticate" });
  });

  it("rejects a bad PageSize and PageToken with 400", async () => {
    sb = await start();
    for (const q of [
      "PageSize=0",
      "PageSize=1001",
      "PageSize=abc",
      "Page=-1",
      "PageToken=garbage",
      "Beta=maybe",
    ]) {
      const r = await raw(sb, "GET", `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json?${q}`, {
        auth: "twilio",
      });
      expect(r.status, q).toBe(400);
      expect(r.json["code"]).toBe(20001);
    }
  });

  it("treats AccountSid in an update as a transfer: the number leaves the account and it is recorded", async () => {
    sb = await start();
    const n = sb.control.twilioNumber(PLAIN)!;
    const other = "AC" + "2".repeat(32);
    const moved = await twilioClient(sb)(n.sid).update({ accountSid: other });
    expect(moved.accountSid).toBe(other);
    expect(sb.control.twilioNumber(PLAIN)).toBeUndefined();
    expect(sb.control.releases()).toEqual([
      { carrier: "twilio", sid: n.sid, phoneNumber: PLAIN, kind: "transfer" },
    ]);
    // The same account in AccountSid is a no-op.
    const n2 = sb.control.twilioNumber("+14155550101")!;
    await twilioClient(sb)(n2.sid).update({ accountSid: AC });
    expect(sb.control.twilioNumber("+14155550101")).toBeDefined();
  });
});
