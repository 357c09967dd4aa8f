/**
 * Twilio fidelity: the real `twilio` SDK against the sandbox, with every request and response
 * checked against Twilio's own OpenAPI description (validateTwilio: true).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../sandbox";
import { AC, API_KEY, start, manyNumbersSeed, twilioClient, twilioFailure } from "./support";

const PLAIN = "+14155550100";
const WITH_APP = "+14155550101";

let sb: Sandbox;
beforeEach(async () => {
  sb = await start({ validateTwilio: true });
});
afterEach(async () => {
  // Every request the SDK sent, and every answer, matched Twilio's OpenAPI description.
  expect(sb.control.validationErrors()).toEqual([]);
  await sb.close();
});

describe("Twilio IncomingPhoneNumbers through the twilio SDK", () => {
  it("finds a number by E.164, with Twilio's field names and values", async () => {
    const numbers = twilioClient(sb);
    const found = await numbers.list({ phoneNumber: PLAIN });
    expect(found).toHaveLength(1);
    const n = found[0]!;
    expect(n.phoneNumber).toBe(PLAIN);
    expect(n.sid).toMatch(/^PN[0-9a-f]{32}$/);
    expect(n.accountSid).toBe(AC);
    expect(n.voiceUrl).toBe("https://legacy.example.com/voice");
    expect(n.voiceMethod).toBe("POST");
    expect(n.smsUrl).toBe("https://legacy.example.com/sms");
    expect(n.voiceApplicationSid).toBeNull();
    expect(n.dateUpdated).toBeInstanceOf(Date);
    expect(n.capabilities).toEqual({ voice: true, sms: true, mms: true, fax: false });
    expect(sb.control.counts()).toEqual({
      "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json": 1,
    });
  });

  it("matches partial numbers and * wildcards, as Twilio does (so exact compare is the caller's job)", async () => {
    const numbers = twilioClient(sb);
    const partial = await numbers.list({ phoneNumber: "+1415555010" });
    expect(partial.map((n) => n.phoneNumber).sort()).toEqual([PLAIN, WITH_APP]);
    const wildcard = await numbers.list({ phoneNumber: "+1415555010*" });
    expect(wildcard).toHaveLength(2);
    const middle = await numbers.list({ phoneNumber: "55501" });
    expect(middle).toHaveLength(2);
    expect(await numbers.list({ phoneNumber: "+14155550199" })).toEqual([]);
    const exact = await numbers.list({ phoneNumber: WITH_APP });
    expect(exact.map((n) => n.phoneNumber)).toEqual([WITH_APP]);
  });

  it("pages with PageSize, Page, PageToken and next_page_uri past the first page", async () => {
    await sb.close();
    sb = await start({ validateTwilio: true, seed: manyNumbersSeed(9, 0) }); // 11 numbers in all
    const numbers = twilioClient(sb);
    const all = await numbers.list({ pageSize: 3 });
    expect(all).toHaveLength(11);
    expect(new Set(all.map((n) => n.sid)).size).toBe(11);
    const lists = sb.control.requests().filter((r) => r.endpoint.endsWith("IncomingPhoneNumbers.json"));
    expect(lists.map((r) => r.query["Page"] ?? "0")).toEqual(["0", "1", "2", "3"]);
    expect(lists[1]!.query["PageToken"]).toMatch(/^PAPN[0-9a-f]{32}$/);
    expect(lists.every((r) => r.query["PageSize"] === "3")).toBe(true);

    // The page API: page 0, then nextPage() following next_page_uri; the filter is carried along.
    const first = await numbers.page({ pageSize: 2, phoneNumber: "+1628555" });
    expect(first.instances).toHaveLength(2);
    const second = await first.nextPage();
    expect(second?.instances).toHaveLength(2);
    expect(second!.instances[0]!.phoneNumber).toBe("+16285551002");
    const lastPage = await numbers.page({ pageSize: 5, pageNumber: 1, phoneNumber: "+1628555" });
    expect(lastPage.instances.map((n) => n.phoneNumber)).toEqual([
      "+16285551005",
      "+16285551006",
      "+16285551007",
      "+16285551008",
    ]);
    expect(await lastPage.nextPage()).toBeUndefined();
  });

  it("updates with form fields and reads back; omitted fields are kept", async () => {
    const numbers = twilioClient(sb);
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    const before = sb.control.twilioNumber(PLAIN)!;
    const updated = await numbers(sid).update({
      voiceUrl: "https://new.example.com/voice#ct=5000",
      voiceMethod: "GET",
    });
    expect(updated.voiceUrl).toBe("https://new.example.com/voice#ct=5000");
    expect(updated.voiceMethod).toBe("GET");
    const fetched = await numbers(sid).fetch();
    expect(fetched.voiceUrl).toBe("https://new.example.com/voice#ct=5000");
    expect(fetched.smsUrl).toBe(before.sms_url);
    expect(fetched.voiceFallbackUrl).toBe(before.voice_fallback_url);
    expect(fetched.statusCallback).toBe(before.status_callback);
    expect(sb.control.twilioNumber(PLAIN)!.date_updated).not.toBe(before.date_updated);
    // What went over the wire: only the two fields given.
    const post = sb.control.requests().find((r) => r.method === "POST")!;
    expect(post.endpoint).toBe("POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json");
    expect(post.body).toEqual({ VoiceUrl: "https://new.example.com/voice#ct=5000", VoiceMethod: "GET" });
  });

  it("clears a field with an empty value (URL to '', application SID to null)", async () => {
    const numbers = twilioClient(sb);
    const sid = sb.control.twilioNumber(WITH_APP)!.sid;
    const cleared = await numbers(sid).update({ smsUrl: "", voiceApplicationSid: "" });
    expect(cleared.smsUrl).toBe("");
    expect(cleared.voiceApplicationSid).toBeNull();
    expect(sb.control.twilioNumber(WITH_APP)).toMatchObject({
      sms_url: "",
      voice_application_sid: null,
      voice_url: "https://legacy.example.com/ivr",
    });
  });

  it("authenticates with an API key and secret too", async () => {
    const numbers = twilioClient(sb, { username: API_KEY.sid, password: API_KEY.secret, accountSid: AC });
    expect(await numbers.list({ phoneNumber: PLAIN })).toHaveLength(1);
  });

  it("answers 401 / 20003 Authenticate for a wrong secret, and for an API key with the wrong secret", async () => {
    const err = await twilioFailure(
      twilioClient(sb, { password: "f".repeat(32) }).list({ phoneNumber: PLAIN }),
    );
    expect(err.constructor.name).toBe("RestException");
    expect(err.status).toBe(401);
    expect(err.code).toBe(20003);
    expect(err.message).toBe("Authenticate");
    expect(err.moreInfo).toBe("https://www.twilio.com/docs/errors/20003");
    const keyErr = await twilioFailure(
      twilioClient(sb, { username: API_KEY.sid, password: "wrong", accountSid: AC }).list({}),
    );
    expect(keyErr.status).toBe(401);
  });

  it("answers 404 / 20404 with the resource path for an unknown SID", async () => {
    const unknown = "PN" + "0".repeat(32);
    const err = await twilioFailure(twilioClient(sb)(unknown).fetch());
    expect(err.constructor.name).toBe("RestException");
    expect(err.status).toBe(404);
    expect(err.code).toBe(20404);
    expect(err.message).toBe(
      `The requested resource /2010-04-01/Accounts/${AC}/IncomingPhoneNumbers/${unknown}.json was not found`,
    );
    const upd = await twilioFailure(twilioClient(sb)(unknown).update({ voiceUrl: "https://x.example.com" }));
    expect(upd.status).toBe(404);
  });

  it("records a DELETE as a release (and the number is gone)", async () => {
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    expect(sb.control.releases()).toEqual([]);
    await twilioClient(sb)(sid).remove();
    expect(sb.control.releases()).toEqual([{ carrier: "twilio", sid, phoneNumber: PLAIN, kind: "release" }]);
    expect(sb.control.twilioNumber(PLAIN)).toBeUndefined();
    expect(
      sb.control.counts()["DELETE /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"],
    ).toBe(1);
  });

  it("applies concurrent updates to different fields and numbers without losing any", async () => {
    const numbers = twilioClient(sb);
    const a = sb.control.twilioNumber(PLAIN)!.sid;
    const b = sb.control.twilioNumber(WITH_APP)!.sid;
    const writes = [
      numbers(a).update({ voiceUrl: "https://a.example.com/voice" }),
      numbers(a).update({ smsUrl: "https://a.example.com/sms" }),
      numbers(a).update({ statusCallback: "https://a.example.com/status" }),
      numbers(b).update({ voiceUrl: "https://b.example.com/voice" }),
      numbers(b).update({ smsFallbackUrl: "https://b.example.com/sms-fallback" }),
      ...Array.from({ length: 15 }, (_, i) => numbers(b).update({ friendlyName: `b-${i}` })),
    ];
    await Promise.all(writes);
    expect(sb.control.twilioNumber(PLAIN)).toMatchObject({
      voice_url: "https://a.example.com/voice",
      sms_url: "https://a.example.com/sms",
      status_callback: "https://a.example.com/status",
    });
    expect(sb.control.twilioNumber(WITH_APP)).toMatchObject({
      voice_url: "https://b.example.com/voice",
      sms_fallback_url: "https://b.example.com/sms-fallback",
    });
    expect(sb.control.twilioNumber(WITH_APP)!.friendly_name).toMatch(/^b-\d+$/);
    expect(
      sb.control.counts()["POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"],
    ).toBe(20);
  });

  it("sees an out-of-band console change (drift) through the SDK", async () => {
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    const before = await twilioClient(sb)(sid).fetch();
    sb.control.editTwilioNumber(PLAIN, {
      voice_url: "https://console-edit.example.com/voice",
      date_updated: "Mon, 01 Jan 2035 00:00:00 +0000",
    });
    const after = await twilioClient(sb)(sid).fetch();
    expect(after.voiceUrl).toBe("https://console-edit.example.com/voice");
    expect(after.dateUpdated.getTime()).toBeGreaterThan(before.dateUpdated.getTime());
  });
});
