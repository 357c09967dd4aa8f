/** Seeds, defaults, state, out-of-band edits and the HTTP control API. */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_TELNYX_API_KEY,
  DEFAULT_TWILIO_ACCOUNT_SID,
  SeedError,
  demoSeedPath,
  startSandbox,
  type Sandbox,
  type SandboxSeed,
} from "../../sandbox";
import { AC, DEMO_SEED_FILE, demoSeed, start, telnyxClient, twilioClient, twilioFailure } from "./support";

const PLAIN = "+14155550100";
const A = "+13125550200";
const B = "+13125550201";
const C = "+13125550202";

const opened: Sandbox[] = [];
async function open(seed?: SandboxSeed | string): Promise<Sandbox> {
  const sb = seed === undefined ? await startSandbox() : await startSandbox({ seed });
  opened.push(sb);
  return sb;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function control(sb: Sandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("the demo seed", () => {
  it("has two Twilio numbers (one on an application) and three Telnyx numbers on shared objects", async () => {
    const sb = await open(DEMO_SEED_FILE);
    const s = sb.control.state();
    expect(s.twilio.account_sid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(s.twilio.auth_token).toMatch(/^[0-9a-f]{32}$/);
    expect(s.twilio.incoming_phone_numbers.map((n) => n.phone_number)).toEqual([PLAIN, "+14155550101"]);
    expect(s.twilio.incoming_phone_numbers[0]).toMatchObject({
      voice_url: "https://legacy.example.com/voice",
      voice_application_sid: null,
    });
    expect(s.twilio.incoming_phone_numbers[1]!.voice_application_sid).toMatch(/^AP[0-9a-f]{32}$/);
    const [a, b, c] = s.telnyx.phone_numbers;
    expect([a, b, c].map((n) => n!.phone_number)).toEqual([A, B, C]);
    expect(a!.connection_id).toBe(b!.connection_id);
    expect(a!.messaging_profile_id).toBe(b!.messaging_profile_id);
    expect(c!.connection_id).not.toBe(a!.connection_id);
    expect(c!.messaging_profile_id).not.toBe(a!.messaging_profile_id);
    expect(s.telnyx.call_control_applications.map((x) => [x.id, x.application_name])).toEqual([
      [a!.connection_id, "support-app"],
    ]);
    expect(s.telnyx.texml_applications.map((x) => [x.id, x.friendly_name])).toEqual([
      [c!.connection_id, "ivr-texml"],
    ]);
    expect(s.telnyx.messaging_profiles.map((p) => p.name)).toEqual(["support-sms", "ivr-sms"]);
    // Every webhook is set, so "restore on destroy" is visible.
    for (const p of s.telnyx.messaging_profiles) expect(p.webhook_url).toMatch(/^https:\/\//);
    expect(s.telnyx.call_control_applications[0]!.webhook_event_url).toMatch(/^https:\/\//);
    expect(s.telnyx.texml_applications[0]!.voice_url).toMatch(/^https:\/\//);
    expect(demoSeedPath()).toBe(join(__dirname, "..", "..", "sandbox", "seeds", "demo.json"));
  });
});

describe("seeds", () => {
  it("fills in realistic defaults, with ids in each carrier's format, deterministically", async () => {
    const seed: SandboxSeed = {
      twilio: { incoming_phone_numbers: [{ phone_number: "+14155550123" }] },
      telnyx: {
        call_control_applications: [{}],
        texml_applications: [{ friendly_name: "t" }],
        messaging_profiles: [{ name: "p" }],
        phone_numbers: [{ phone_number: "+13125550123", connection_name: "t", messaging_profile_name: "p" }],
      },
    };
    const s1 = (await open(seed)).control.state();
    const s2 = (await open(seed)).control.state();
    expect(s1).toEqual(s2);
    expect(s1.twilio.account_sid).toBe(DEFAULT_TWILIO_ACCOUNT_SID);
    expect(s1.telnyx.api_key).toBe(DEFAULT_TELNYX_API_KEY);
    const n = s1.twilio.incoming_phone_numbers[0]!;
    expect(n).toMatchObject({
      sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      account_sid: DEFAULT_TWILIO_ACCOUNT_SID,
      friendly_name: "(415) 555-0123",
      voice_method: "POST",
      sms_method: "POST",
      voice_url: "",
      voice_application_sid: null,
      status: "in-use",
      date_created: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
    });
    expect(n.uri).toBe(
      `/2010-04-01/Accounts/${DEFAULT_TWILIO_ACCOUNT_SID}/IncomingPhoneNumbers/${n.sid}.json`,
    );
    const cca = s1.telnyx.call_control_applications[0]!;
    expect(cca.id).toMatch(/^\d{19}$/);
    expect(cca).toMatchObject({
      record_type: "call_control_application",
      application_name: "call-control-app-1",
      webhook_api_version: "2",
    });
    expect(s1.telnyx.messaging_profiles[0]!.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const tn = s1.telnyx.phone_numbers[0]!;
    expect(tn).toMatchObject({
      id: expect.stringMatching(/^\d{19}$/),
      connection_id: s1.telnyx.texml_applications[0]!.id,
      connection_name: "t",
      messaging_profile_id: s1.telnyx.messaging_profiles[0]!.id,
      status: "active",
      phone_number_type: "local",
    });
  });

  it("rejects bad seeds with every problem named, before changing anything", async () => {
    const sb = await open(DEMO_SEED_FILE);
    const before = sb.control.state();
    const bad = {
      twilio: { incoming_phone_numbers: [{ phone_number: "4155550100", voice_method: "PUT" }] },
      telnyx: { phone_numbers: [{ phone_number: "+13125550299", colour: "red" }] },
    };
    expect(() => sb.control.loadSeed(bad as never)).toThrow(SeedError);
    try {
      sb.control.loadSeed(bad as never);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain("twilio.incoming_phone_numbers.0.phone_number");
      expect(msg).toContain("twilio.incoming_phone_numbers.0.voice_method");
      expect(msg).toContain("unknown field(s) colour");
    }
    expect(() =>
      sb.control.loadSeed({
        telnyx: { phone_numbers: [{ phone_number: "+13125550299", connection_name: "nope" }] },
      }),
    ).toThrow(/connection_name: 0 connections named nope/);
    expect(() =>
      sb.control.loadSeed({
        twilio: { incoming_phone_numbers: [{ phone_number: PLAIN }, { phone_number: PLAIN }] },
      }),
    ).toThrow(/duplicate/);
    expect(sb.control.state()).toEqual(before);
    await expect(startSandbox({ seed: "does/not/exist.json" })).rejects.toThrow(/cannot read seed file/);
  });

  it("state() is a deep copy, and a valid seed that round-trips", async () => {
    const sb = await open(DEMO_SEED_FILE);
    const s = sb.control.state();
    s.twilio.incoming_phone_numbers[0]!.voice_url = "https://mutated.example.com";
    s.telnyx.messaging_profiles[0]!.webhook_url = "https://mutated.example.com";
    expect(sb.control.twilioNumber(PLAIN)!.voice_url).toBe("https://legacy.example.com/voice");
    const copy = sb.control.state();
    const other = await open(copy);
    expect(other.control.state()).toEqual(copy);
  });

  it("starts empty without a seed, with default credentials", async () => {
    const sb = await open();
    const s = sb.control.state();
    expect(s.twilio.incoming_phone_numbers).toEqual([]);
    expect(s.telnyx.phone_numbers).toEqual([]);
    expect(await telnyxClient(sb, { apiKey: DEFAULT_TELNYX_API_KEY }).phoneNumbers.list()).toMatchObject({
      data: [],
    });
  });
});

describe("out-of-band changes", () => {
  it("editTwilioNumber is a console edit: visible to the SDK, date_updated bumped, bad patches refused", async () => {
    const sb = await start();
    opened.push(sb);
    const before = sb.control.twilioNumber(PLAIN)!;
    sb.control.editTwilioNumber(PLAIN, { sms_url: "https://console.example.com/sms" });
    const after = sb.control.twilioNumber(PLAIN)!;
    expect(after.sms_url).toBe("https://console.example.com/sms");
    expect(after.date_updated).not.toBe(before.date_updated);
    expect((await twilioClient(sb)(before.sid).fetch()).smsUrl).toBe("https://console.example.com/sms");
    expect(() => sb.control.editTwilioNumber(PLAIN, { voice_method: "PUT" as never })).toThrow(
      /voice_method/,
    );
    expect(() => sb.control.editTwilioNumber(PLAIN, { sid: "PN" + "1".repeat(32) })).toThrow(
      /sid cannot be changed/,
    );
    expect(() => sb.control.editTwilioNumber("+19999999999", {})).toThrow(/no Twilio number/);
  });

  it("editTelnyx changes shared objects (a rename shows on every number) and numbers", async () => {
    const sb = await start();
    opened.push(sb);
    const cca = sb.control.telnyxNumber(A)!.connection_id!;
    sb.control.editTelnyx("call_control_applications", cca, {
      application_name: "renamed-app",
      webhook_event_url: "https://console.example.com/events",
    });
    expect(sb.control.telnyxNumber(B)!.connection_name).toBe("renamed-app");
    const t = telnyxClient(sb);
    expect((await t.callControlApplications.retrieve(cca)).data?.webhook_event_url).toBe(
      "https://console.example.com/events",
    );
    const profile = sb.control.telnyxNumber(C)!.messaging_profile_id!;
    sb.control.editTelnyx("phone_numbers", A, { messaging_profile_id: profile });
    expect(sb.control.telnyxNumber(A)!.messaging_profile_name).toBe("ivr-sms");
    expect(() => sb.control.editTelnyx("messaging_profiles", profile, { webhook_urll: "x" })).toThrow(
      /webhook_urll/,
    );
    expect(() => sb.control.editTelnyx("phone_numbers", A, { connection_id: "42" })).toThrow(
      /no Telnyx connection/,
    );
  });

  it("buyTwilioNumber adds a number out of band, over its defaults, in the account it names", async () => {
    const sb = await open("sandbox/seeds/twilio-messaging-subaccounts.json");
    const bought = sb.control.buyTwilioNumber({
      phone_number: "+14155550177",
      friendly_name: "Bought later",
    });
    expect(bought).toMatchObject({
      sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      account_sid: sb.control.state().twilio.account_sid,
      friendly_name: "Bought later",
      voice_method: "POST",
    });
    const listed = await twilioClient(sb).list({ phoneNumber: "+14155550177" });
    expect(listed.map((n) => [n.sid, n.friendlyName])).toEqual([[bought.sid, "Bought later"]]);

    const acme = sb.control.state().twilio.subaccounts[0]!.account_sid;
    const inSub = sb.control.buyTwilioNumber({ phone_number: "+13105550177", account_sid: acme });
    expect(inSub.account_sid).toBe(acme);
    expect(inSub.uri).toBe(`/2010-04-01/Accounts/${acme}/IncomingPhoneNumbers/${inSub.sid}.json`);
    expect(
      sb.control.state().twilio.subaccounts[0]!.incoming_phone_numbers.map((n) => n.phone_number),
    ).toContain("+13105550177");

    expect(() => sb.control.buyTwilioNumber({ phone_number: "+14155550177" })).toThrow(
      /\+14155550177 is a Twilio number already/,
    );
    expect(() => sb.control.buyTwilioNumber({ phone_number: "4155550178" })).toThrow(/phone_number/);
    expect(() =>
      sb.control.buyTwilioNumber({ phone_number: "+14155550178", account_sid: "AC" + "9".repeat(32) }),
    ).toThrow(/no Twilio account/);
    // reset() goes back to the seed: the bought numbers are gone.
    sb.control.reset();
    expect(sb.control.twilioNumber("+14155550177")).toBeUndefined();
  });

  it("buyTelnyxNumber adds a number out of band, on objects by name or id, with its tags", async () => {
    const sb = await start();
    opened.push(sb);
    const profile = sb.control.telnyxNumber(C)!.messaging_profile_id!;
    const bought = sb.control.buyTelnyxNumber({
      phone_number: "+13125550277",
      connection_name: "support-app",
      messaging_profile_id: profile,
      tags: ["stores"],
    });
    expect(bought).toMatchObject({
      id: expect.stringMatching(/^\d{19}$/),
      connection_id: sb.control.telnyxNumber(A)!.connection_id,
      connection_name: "support-app",
      messaging_profile_id: profile,
      messaging_profile_name: "ivr-sms",
      tags: ["stores"],
    });
    const listed = await telnyxClient(sb).phoneNumbers.list({ filter: { tag: "stores" } });
    expect(listed.data.map((n) => n.phone_number)).toEqual(["+13125550277"]);

    expect(() => sb.control.buyTelnyxNumber({ phone_number: "+13125550277" })).toThrow(
      /\+13125550277 is a Telnyx number already/,
    );
    expect(() =>
      sb.control.buyTelnyxNumber({ phone_number: "+13125550278", connection_name: "nope" }),
    ).toThrow(/number\.connection_name: 0 connections named nope/);
    expect(() =>
      sb.control.buyTelnyxNumber({ phone_number: "+13125550278", tags: "stores" as never }),
    ).toThrow(/tags/);
    expect(sb.control.telnyxNumber("+13125550278")).toBeUndefined();
  });

  it("deleteNumber removes a number out of band: 404 afterwards, and not a release", async () => {
    const sb = await start();
    opened.push(sb);
    const sid = sb.control.twilioNumber(PLAIN)!.sid;
    sb.control.deleteNumber("twilio", PLAIN);
    const err = await twilioFailure(twilioClient(sb)(sid).fetch());
    expect(err.status).toBe(404);
    expect(await twilioClient(sb).list({ phoneNumber: PLAIN })).toEqual([]);
    sb.control.deleteNumber("telnyx", A);
    expect((await telnyxClient(sb).phoneNumbers.list({ filter: { phone_number: A.slice(1) } })).data).toEqual(
      [],
    );
    expect(sb.control.releases()).toEqual([]);
    expect(() => sb.control.deleteNumber("telnyx", A)).toThrow(/no Telnyx number/);
  });

  it("reset() goes back to the seed and clears the log, counts, faults and latency", async () => {
    const sb = await start();
    opened.push(sb);
    sb.control.editTwilioNumber(PLAIN, { voice_url: "https://changed.example.com" });
    sb.control.deleteNumber("telnyx", A);
    await twilioClient(sb).list({});
    sb.control.injectFault({ status: 500 });
    sb.control.setLatency(500);
    sb.control.reset();
    expect(sb.control.twilioNumber(PLAIN)!.voice_url).toBe("https://legacy.example.com/voice");
    expect(sb.control.telnyxNumber(A)).toBeDefined();
    expect(sb.control.requests()).toEqual([]);
    expect(sb.control.counts()).toEqual({});
    const t0 = Date.now();
    expect(await twilioClient(sb).list({ phoneNumber: PLAIN })).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(400);
  });
});

describe("the HTTP control API", () => {
  it("does what SandboxControl does, for another process", async () => {
    const sb = await start();
    opened.push(sb);
    const info = await control(sb, "GET", "");
    expect(info.body).toMatchObject({
      url: sb.url,
      twilioBaseUrl: sb.twilioBaseUrl,
      telnyxBaseUrl: sb.telnyxBaseUrl,
      twilio: { account_sid: AC },
    });

    const edited = await control(sb, "POST", `/twilio/numbers/${encodeURIComponent(PLAIN)}`, {
      voice_url: "https://drift.example.com/voice",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ phone_number: PLAIN, voice_url: "https://drift.example.com/voice" });
    expect((await control(sb, "GET", `/twilio/numbers/${PLAIN}`)).body).toMatchObject({
      voice_url: "https://drift.example.com/voice",
    });

    const cca = sb.control.telnyxNumber(A)!.connection_id!;
    const tx = await control(sb, "POST", `/telnyx/call_control_applications/${cca}`, {
      webhook_event_url: "https://drift.example.com/events",
    });
    expect(tx.body).toMatchObject({ id: cca, webhook_event_url: "https://drift.example.com/events" });
    expect((await control(sb, "GET", `/telnyx/numbers/${encodeURIComponent(B)}`)).body).toMatchObject({
      connection_id: cca,
    });
    expect((await control(sb, "GET", `/telnyx/phone_numbers/${encodeURIComponent(B)}`)).body).toMatchObject({
      phone_number: B,
    });

    await control(sb, "POST", "/faults", {
      status: 503,
      carrier: "telnyx",
      pathRegex: "^/v2/phone_numbers$",
    });
    const t = telnyxClient(sb);
    await expect(t.phoneNumbers.list()).rejects.toMatchObject({ status: 503 });
    expect((await t.phoneNumbers.list()).data).toHaveLength(3);
    await control(sb, "POST", "/faults", { status: 500, times: 5 });
    await control(sb, "DELETE", "/faults");
    expect((await t.phoneNumbers.list()).data).toHaveLength(3);

    const requests = await control(sb, "GET", "/requests");
    expect((requests.body as unknown as Array<{ status: number }>).map((r) => r.status)).toEqual([
      503, 200, 200,
    ]);
    expect((await control(sb, "GET", "/counts")).body).toEqual({ "GET /v2/phone_numbers": 3 });
    await control(sb, "DELETE", "/requests");
    expect((await control(sb, "GET", "/counts")).body).toEqual({});

    await control(sb, "POST", "/latency", { ms: 150 });
    const t0 = Date.now();
    await t.phoneNumbers.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await control(sb, "POST", "/latency", { ms: 0 });

    expect((await control(sb, "DELETE", `/telnyx/numbers/${encodeURIComponent(C)}`)).status).toBe(200);
    expect(sb.control.telnyxNumber(C)).toBeUndefined();
    expect((await control(sb, "DELETE", `/twilio/numbers/${encodeURIComponent(PLAIN)}`)).status).toBe(200);
    expect((await control(sb, "GET", "/releases")).body).toEqual([]);
    expect((await control(sb, "GET", "/validation-errors")).body).toEqual([]);

    const bought = await control(sb, "POST", "/twilio/numbers", {
      phone_number: "+14155550188",
      friendly_name: "Store 12",
    });
    expect(bought.status).toBe(200);
    expect(bought.body).toMatchObject({ phone_number: "+14155550188", friendly_name: "Store 12" });
    const boughtTelnyx = await control(sb, "POST", "/telnyx/numbers", {
      phone_number: "+13125550288",
      connection_name: "support-app",
      tags: ["stores"],
    });
    expect(boughtTelnyx.body).toMatchObject({ connection_name: "support-app", tags: ["stores"] });
    expect(sb.control.telnyxNumber("+13125550288")).toBeDefined();

    const state = await control(sb, "GET", "/state");
    expect(state.body).toMatchObject({ twilio: { account_sid: AC } });

    await control(sb, "POST", "/reset");
    expect(sb.control.telnyxNumber(C)).toBeDefined();

    const seeded = await control(sb, "POST", "/seed", {
      twilio: { incoming_phone_numbers: [{ phone_number: "+14155550177" }] },
    });
    expect(seeded.status).toBe(200);
    expect(sb.control.state().twilio.incoming_phone_numbers.map((n) => n.phone_number)).toEqual([
      "+14155550177",
    ]);
    expect(sb.control.state().telnyx.phone_numbers).toEqual([]);
  });

  it("answers bad control requests with 400/404/405 and a message", async () => {
    const sb = await start();
    opened.push(sb);
    expect((await control(sb, "POST", "/seed", "{not json")).status).toBe(400);
    expect(
      (await control(sb, "POST", "/seed", { telnyx: { phone_numbers: [{ phone_number: "x" }] } })).status,
    ).toBe(400);
    expect((await control(sb, "POST", "/faults", { status: 99 })).status).toBe(400);
    expect((await control(sb, "POST", "/faults", { status: 500, pathRegex: "(" })).status).toBe(400);
    expect((await control(sb, "POST", "/latency", { ms: -1 })).status).toBe(400);
    expect((await control(sb, "POST", `/twilio/numbers/${PLAIN}`, { voice_method: "PUT" })).status).toBe(400);
    const missing = await control(sb, "GET", "/twilio/numbers/+19999999999");
    expect(missing.status).toBe(404);
    expect(missing.body["error"]).toMatch(/not found/);
    expect((await control(sb, "POST", "/twilio/numbers/+19999999999", {})).status).toBe(404);
    expect((await control(sb, "POST", "/twilio/numbers", { phone_number: PLAIN })).status).toBe(400);
    expect((await control(sb, "POST", "/twilio/numbers", { friendly_name: "no number" })).status).toBe(400);
    expect((await control(sb, "GET", "/twilio/numbers")).status).toBe(405);
    const badTag = await control(sb, "POST", "/telnyx/numbers", { phone_number: "+13125550299", tags: [1] });
    expect(badTag.status).toBe(400);
    expect(badTag.body["error"]).toMatch(/tags/);
    expect((await control(sb, "GET", "/telnyx/messaging_profiles/nope")).status).toBe(404);
    expect((await control(sb, "GET", "/nothing")).status).toBe(404);
    expect((await control(sb, "PUT", "/reset")).status).toBe(405);
    // Control calls are neither logged nor counted.
    expect(sb.control.requests()).toEqual([]);
    expect(sb.control.counts()).toEqual({});
  });
});

describe("servers", () => {
  it("port 0 gives each sandbox its own free port; they run side by side with separate state", async () => {
    const [x, y] = await Promise.all([open(demoSeed()), open(demoSeed())]);
    expect(x!.url).not.toBe(y!.url);
    expect(x!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(x!.telnyxBaseUrl).toBe(`${x!.url}/v2`);
    x!.control.editTwilioNumber(PLAIN, { voice_url: "https://only-x.example.com" });
    expect(y!.control.twilioNumber(PLAIN)!.voice_url).toBe("https://legacy.example.com/voice");
  });

  it("answers 404 outside the carrier prefixes and survives garbage", async () => {
    const sb = await open(DEMO_SEED_FILE);
    expect((await fetch(`${sb.url}/`)).status).toBe(404);
    expect((await fetch(`${sb.url}/v1/phone_numbers`)).status).toBe(404);
    const big = await fetch(`${sb.url}/v2/phone_numbers`, {
      method: "POST",
      body: "x".repeat(2 << 20),
    }).catch(() => undefined);
    expect(big === undefined || big.status === 413).toBe(true);
    expect((await fetch(`${sb.url}/_sandbox`)).status).toBe(200);
  });
});
