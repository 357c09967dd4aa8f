/** Telnyx fidelity: the real `telnyx` SDK against the sandbox. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthenticationError, BadRequestError, NotFoundError, UnprocessableEntityError } from "telnyx";
import type { Sandbox } from "../../sandbox";
import { expectTelnyxViolations, manyNumbersSeed, raw, start, telnyxClient, telnyxFailure } from "./support";

const A = "+13125550200";
const B = "+13125550201";
const C = "+13125550202"; // alone on the TeXML application, own profile

let sb: Sandbox;
beforeEach(async () => {
  sb = await start();
});
afterEach(async () => {
  // Every request and answer matched Telnyx's OpenAPI document (when it is there: see support.ts).
  expect(sb.control.validationErrors()).toEqual([]);
  expect(sb.control.releases()).toEqual([]);
  await sb.close();
});

const ids = () => {
  const a = sb.control.telnyxNumber(A)!;
  const c = sb.control.telnyxNumber(C)!;
  return {
    a,
    c,
    cca: a.connection_id!,
    texml: c.connection_id!,
    supportProfile: a.messaging_profile_id!,
    ivrProfile: c.messaging_profile_id!,
  };
};

describe("Telnyx phone numbers through the telnyx SDK", () => {
  it("filters by phone number with digits only: a + matches nothing, partial digits match", async () => {
    const t = telnyxClient(sb);
    const exact = await t.phoneNumbers.list({ filter: { phone_number: A.slice(1) } });
    expect(exact.data.map((n) => n.phone_number)).toEqual([A]);
    expect(exact.data[0]).toMatchObject({
      record_type: "phone_number",
      status: "active",
      connection_name: "support-app",
    });
    const plus = await t.phoneNumbers.list({ filter: { phone_number: A } });
    expect(plus.data).toEqual([]);
    const partial = await t.phoneNumbers.list({ filter: { phone_number: "1312555020" } });
    expect(partial.data.map((n) => n.phone_number).sort()).toEqual([A, B, C]);
    expect(partial.meta).toEqual({ page_number: 1, page_size: 20, total_pages: 1, total_results: 3 });
    const log = sb.control.requests()[0]!;
    expect(log.endpoint).toBe("GET /v2/phone_numbers");
    expect(log.query).toEqual({ "filter[phone_number]": A.slice(1) });
  });

  it("filters by connection_id: the numbers that share a Call Control application", async () => {
    const t = telnyxClient(sb);
    const { cca, texml } = ids();
    const shared = await t.phoneNumbers.list({ filter: { connection_id: cca } });
    expect(shared.data.map((n) => n.phone_number).sort()).toEqual([A, B]);
    const alone = await t.phoneNumbers.list({ filter: { connection_id: texml } });
    expect(alone.data.map((n) => n.phone_number)).toEqual([C]);
  });

  it("auto-paginates past page 1 (default page size 20) with for await", async () => {
    await sb.close();
    sb = await start({ seed: manyNumbersSeed(0, 42) }); // 45 numbers
    const t = telnyxClient(sb);
    const seen: string[] = [];
    for await (const n of t.phoneNumbers.list()) seen.push(n.phone_number);
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    const pages = sb.control.requests().map((r) => r.query["page[number]"] ?? "1");
    expect(pages).toEqual(["1", "2", "3"]);

    sb.control.clearLog();
    const first = await t.phoneNumbers.list({ "page[size]": 7, filter: { connection_id: ids().cca } });
    expect(first.data).toHaveLength(7);
    expect(first.meta).toMatchObject({ page_number: 1, page_size: 7, total_pages: 7, total_results: 44 });
    let count = 0;
    for await (const page of first.iterPages()) count += page.data.length;
    expect(count).toBe(44);
    expect(sb.control.counts()).toEqual({ "GET /v2/phone_numbers": 7 });
  });

  it("retrieves and patches a number's connection (connection_name follows)", async () => {
    const t = telnyxClient(sb);
    const { a, texml } = ids();
    const got = await t.phoneNumbers.retrieve(a.id);
    expect(got.data?.connection_name).toBe("support-app");
    const moved = await t.phoneNumbers.update(a.id, { connection_id: texml, tags: ["moved"] });
    expect(moved.data).toMatchObject({ connection_id: texml, connection_name: "ivr-texml", tags: ["moved"] });
    expect(sb.control.telnyxNumber(A)!.connection_id).toBe(texml);
    const bad = await telnyxFailure(t.phoneNumbers.update(a.id, { connection_id: "999" }));
    expect(bad).toBeInstanceOf(UnprocessableEntityError);
    expect(bad.error?.errors?.[0]).toMatchObject({ code: "10015", source: { pointer: "/connection_id" } });
    expect(sb.control.telnyxNumber(A)!.connection_id).toBe(texml);
  });

  it("reads and moves a number's messaging settings", async () => {
    const t = telnyxClient(sb);
    const { a, supportProfile, ivrProfile } = ids();
    const settings = await t.phoneNumbers.messaging.retrieve(a.id);
    expect(settings.data).toMatchObject({ id: a.id, phone_number: A, messaging_profile_id: supportProfile });
    const moved = await t.phoneNumbers.messaging.update(a.id, { messaging_profile_id: ivrProfile });
    expect(moved.data?.messaging_profile_id).toBe(ivrProfile);
    expect(sb.control.telnyxNumber(A)).toMatchObject({
      messaging_profile_id: ivrProfile,
      messaging_profile_name: "ivr-sms",
    });
    const onIvr = await t.phoneNumbers.messaging.list({ "filter[messaging_profile_id]": ivrProfile });
    expect(onIvr.data.map((n) => n.phone_number).sort()).toEqual([A, C]);
    const exact = await t.phoneNumbers.messaging.list({ "filter[phone_number]": `${B},${C}` });
    expect(exact.data.map((n) => n.phone_number)).toEqual([B, C]);
  });

  it("keeps the string UNAVAILABLE as a number's messaging_profile_id", async () => {
    await sb.close();
    sb = await start({
      seed: {
        telnyx: { phone_numbers: [{ phone_number: "+13125550299", messaging_profile_id: "UNAVAILABLE" }] },
      },
    });
    const t = telnyxClient(sb);
    const list = await t.phoneNumbers.list({ filter: { phone_number: "13125550299" } });
    expect(list.data[0]?.messaging_profile_id).toBe("UNAVAILABLE");
    expect(list.data[0]?.messaging_profile_name).toBeNull();
  });
});

describe("Telnyx connections and applications", () => {
  it("tells the kind of a connection by record_type", async () => {
    const t = telnyxClient(sb);
    const { cca, texml } = ids();
    const a = await t.connections.retrieve(cca);
    expect(a.data).toMatchObject({
      id: cca,
      record_type: "call_control_application",
      connection_name: "support-app",
      webhook_event_url: "https://legacy.example.com/telnyx/support-events",
    });
    const b = await t.connections.retrieve(texml);
    expect(b.data).toMatchObject({
      id: texml,
      record_type: "texml_application",
      connection_name: "ivr-texml",
    });
    const nf = await telnyxFailure(t.connections.retrieve("1234"));
    expect(nf).toBeInstanceOf(NotFoundError);
  });

  it("patches a Call Control application (read, modify, write) and reads it back", async () => {
    const t = telnyxClient(sb);
    const { cca } = ids();
    const app = (await t.callControlApplications.retrieve(cca)).data!;
    expect(app).toMatchObject({
      application_name: "support-app",
      webhook_timeout_secs: 25,
      record_type: "call_control_application",
    });
    const updated = await t.callControlApplications.update(cca, {
      application_name: app.application_name!,
      webhook_event_url: "https://new.example.com/events",
      webhook_event_failover_url: null,
    });
    expect(updated.data).toMatchObject({
      webhook_event_url: "https://new.example.com/events",
      webhook_event_failover_url: null,
      webhook_timeout_secs: 25, // omitted: kept
    });
    expect((await t.callControlApplications.retrieve(cca)).data?.webhook_event_url).toBe(
      "https://new.example.com/events",
    );
    expect(Date.parse(updated.data!.updated_at!)).toBeGreaterThan(Date.parse(app.updated_at!));
  });

  it("rejects a Call Control PATCH without its required fields with 422 / 10015, changing nothing", async () => {
    const t = telnyxClient(sb);
    const { cca } = ids();
    const before = sb.control.telnyxObject("call_control_applications", cca);
    const err = await telnyxFailure(
      t.callControlApplications.update(cca, { webhook_event_url: "https://x.example.com" } as never),
    );
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect(err.status).toBe(422);
    expect(err.error?.errors).toEqual([
      expect.objectContaining({
        code: "10015",
        title: "Missing required parameter",
        source: { pointer: "/application_name" },
      }),
    ]);
    expect(sb.control.telnyxObject("call_control_applications", cca)).toEqual(before);
    // Telnyx's document requires it too.
    expectTelnyxViolations(
      sb,
      /^UpdateCallControlApplication request \/requestBody must have required property 'application_name'/,
    );
  });

  it("requires friendly_name and voice_url on a TeXML PATCH, and lower-case methods", async () => {
    const t = telnyxClient(sb);
    const { texml } = ids();
    const before = sb.control.telnyxObject("texml_applications", texml);
    const missing = await telnyxFailure(
      t.texmlApplications.update(texml, { voice_url: "https://x.example.com" } as never),
    );
    expect(missing.error?.errors?.map((e) => e.source?.pointer)).toEqual(["/friendly_name"]);
    const upper = await telnyxFailure(
      t.texmlApplications.update(texml, {
        friendly_name: "ivr-texml",
        voice_url: "https://x.example.com",
        voice_method: "POST" as never,
      }),
    );
    expect(upper).toBeInstanceOf(UnprocessableEntityError);
    expect(upper.error?.errors?.[0]?.source?.pointer).toBe("/voice_method");
    expect(sb.control.telnyxObject("texml_applications", texml)).toEqual(before);
    expectTelnyxViolations(
      sb,
      /^UpdateTexmlApplication request \/requestBody must have required property 'friendly_name'/,
      /^UpdateTexmlApplication request \/requestBody\/voice_method must be equal to one of the allowed values/,
    );
    // "" clears a URL: no violation (the adjustment in sandbox/carriers/telnyx/openapi.ts).
    const ok = await t.texmlApplications.update(texml, {
      friendly_name: "ivr-texml",
      voice_url: "https://new.example.com/texml",
      status_callback: "",
    });
    expect(ok.data).toMatchObject({
      voice_url: "https://new.example.com/texml",
      status_callback: "",
      voice_method: "post",
    });
  });

  it("rejects unknown fields and wrong types in a PATCH", async () => {
    const t = telnyxClient(sb);
    const { cca } = ids();
    const err = await telnyxFailure(
      t.callControlApplications.update(cca, {
        application_name: "support-app",
        webhook_event_url: "https://x.example.com",
        webhook_url: "https://typo.example.com",
        webhook_timeout_secs: "25",
      } as never),
    );
    expect(err.status).toBe(422);
    expect(err.error?.errors?.map((e) => e.source?.pointer).sort()).toEqual([
      "/webhook_timeout_secs",
      "/webhook_url",
    ]);
    const badUrl = await telnyxFailure(
      t.callControlApplications.update(cca, {
        application_name: "support-app",
        webhook_event_url: "not a url",
      }),
    );
    expect(badUrl.error?.errors?.[0]?.source?.pointer).toBe("/webhook_event_url");
    // The document has no additionalProperties: false, so the unknown field is the sandbox's catch alone.
    expectTelnyxViolations(
      sb,
      /^UpdateCallControlApplication request \/requestBody\/webhook_timeout_secs must be integer,null/,
      /^UpdateCallControlApplication request \/requestBody\/webhook_event_url must match format "url"/,
    );
  });

  it("patches a credential connection with no required fields", async () => {
    await sb.close();
    sb = await start({ seed: { telnyx: { credential_connections: [{ connection_name: "office-pbx" }] } } });
    const t = telnyxClient(sb);
    const conn = sb.control.state().telnyx.credential_connections[0]!;
    expect(conn.id).toMatch(/^\d{19}$/);
    const updated = await t.credentialConnections.update(conn.id, {
      webhook_event_url: "https://pbx.example.com/events",
    });
    expect(updated.data).toMatchObject({
      connection_name: "office-pbx",
      webhook_event_url: "https://pbx.example.com/events",
    });
    expect((await t.connections.retrieve(conn.id)).data?.record_type).toBe("credential_connection");
  });
});

describe("Telnyx messaging profiles", () => {
  it("reads and patches a profile, and lists its numbers", async () => {
    const t = telnyxClient(sb);
    const { supportProfile } = ids();
    const p = await t.messagingProfiles.retrieve(supportProfile);
    expect(p.data).toMatchObject({
      name: "support-sms",
      webhook_url: "https://legacy.example.com/telnyx/sms",
      record_type: "messaging_profile",
    });
    const u = await t.messagingProfiles.update(supportProfile, {
      webhook_url: "https://new.example.com/sms",
      webhook_failover_url: null,
    });
    expect(u.data).toMatchObject({
      webhook_url: "https://new.example.com/sms",
      webhook_failover_url: null,
      name: "support-sms",
    });
    const numbers: string[] = [];
    for await (const n of t.messagingProfiles.listPhoneNumbers(supportProfile)) numbers.push(n.phone_number!);
    expect(numbers.sort()).toEqual([A, B]);
    const bad = await telnyxFailure(
      t.messagingProfiles.update(supportProfile, { webhook_api_version: "3" as never }),
    );
    expect(bad.status).toBe(422);
    expectTelnyxViolations(
      sb,
      /^UpdateMessagingProfile request \/requestBody\/webhook_api_version must be equal to one of the allowed values/,
    );
  });
});

describe("Telnyx errors in Telnyx's shape", () => {
  it("answers 401 / 10009 for a wrong key (AuthenticationError) and for none", async () => {
    const err = await telnyxFailure(telnyxClient(sb, { apiKey: "KEY_wrong" }).phoneNumbers.list());
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.error?.errors?.[0]).toMatchObject({ code: "10009", title: "Authentication failed" });
    const none = await raw(sb, "GET", "/v2/phone_numbers");
    expect(none.status).toBe(401);
  });

  it("answers 404 / 10005 for unknown ids and routes (NotFoundError)", async () => {
    const t = telnyxClient(sb);
    for (const p of [
      t.phoneNumbers.retrieve("1"),
      t.callControlApplications.retrieve("1"),
      t.texmlApplications.retrieve("1"),
      t.messagingProfiles.retrieve("00000000-0000-4000-8000-000000000000"),
      t.phoneNumbers.messaging.retrieve("1"),
    ]) {
      const err = await telnyxFailure(p);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err.error?.errors?.[0]?.code).toBe("10005");
    }
    const route = await raw(sb, "GET", "/v2/nothing_here", { auth: "telnyx" });
    expect(route.status).toBe(404);
  });

  it("answers 400 for malformed JSON, non-JSON bodies and bad paging, changing nothing", async () => {
    const { cca } = ids();
    const before = sb.control.state();
    const broken = await raw(sb, "PATCH", `/v2/call_control_applications/${cca}`, {
      auth: "telnyx",
      contentType: "application/json",
      body: '{"application_name": "x",',
    });
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ errors: [{ code: "10015" }] });
    const form = await raw(sb, "PATCH", `/v2/call_control_applications/${cca}`, {
      auth: "telnyx",
      contentType: "application/x-www-form-urlencoded",
      body: "application_name=x",
    });
    expect(form.status).toBe(400);
    const arr = await raw(sb, "PATCH", `/v2/call_control_applications/${cca}`, {
      auth: "telnyx",
      contentType: "application/json",
      body: "[]",
    });
    expect(arr.status).toBe(400);
    const t = telnyxClient(sb);
    expect(await telnyxFailure(t.phoneNumbers.list({ "page[size]": 251 }))).toBeInstanceOf(BadRequestError);
    expect(await telnyxFailure(t.phoneNumbers.list({ "page[number]": 0 }))).toBeInstanceOf(BadRequestError);
    expect(await telnyxFailure(t.phoneNumbers.list({ filter: { phone_number: "13" } }))).toBeInstanceOf(
      BadRequestError,
    );
    const unknownFilter = await raw(sb, "GET", "/v2/phone_numbers?filter[phone_numbr]=1312", {
      auth: "telnyx",
    });
    expect(unknownFilter.status).toBe(400);
    // Objects this package may create can be deleted; a SIP connection cannot (it is never copied).
    const method = await raw(sb, "DELETE", "/v2/credential_connections/1000000000000000001", {
      auth: "telnyx",
    });
    expect(method.status).toBe(405);
    expect(sb.control.state()).toEqual(before);
    // The document agrees on the bodies and the paging; it lets the unknown and short filters pass.
    expectTelnyxViolations(
      sb,
      /^UpdateCallControlApplication request \/ must have required property 'requestBody'/,
      /^ListPhoneNumbers request \/query\/page\/size must be <= 250/,
      /^ListPhoneNumbers request \/query\/page\/number must be >= 1/,
    );
  });

  it("records a number DELETE as a release", async () => {
    const t = telnyxClient(sb);
    const { c } = ids();
    const res = await t.phoneNumbers.delete(c.id);
    expect(res.data).toMatchObject({ id: c.id, phone_number: C, status: "deleted" });
    expect(sb.control.releases()).toEqual([
      { carrier: "telnyx", sid: c.id, phoneNumber: C, kind: "release" },
    ]);
    expect(sb.control.telnyxNumber(C)).toBeUndefined();
    sb.control.reset(); // so afterEach's "no releases" holds
  });
});

describe("Telnyx concurrency", () => {
  it("applies parallel PATCHes to shared objects without losing any", async () => {
    const t = telnyxClient(sb);
    const { cca, supportProfile, a } = ids();
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        t.callControlApplications.update(cca, {
          application_name: "support-app",
          webhook_event_url: `https://e.example.com/${i}`,
        }),
      ),
      t.messagingProfiles.update(supportProfile, { webhook_url: "https://p.example.com/sms" }),
      t.phoneNumbers.update(a.id, { tags: ["x"] }),
    ]);
    const app = sb.control.telnyxObject("call_control_applications", cca)!;
    expect(app["webhook_event_url"]).toMatch(/^https:\/\/e\.example\.com\/\d$/);
    expect(sb.control.telnyxObject("messaging_profiles", supportProfile)!["webhook_url"]).toBe(
      "https://p.example.com/sms",
    );
    expect(sb.control.telnyxNumber(A)!.tags).toEqual(["x"]);
    expect(sb.control.counts()["PATCH /v2/call_control_applications/{id}"]).toBe(10);
  });
});
