/** Fault injection and latency, seen through the real SDKs. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIConnectionError, APIConnectionTimeoutError, InternalServerError, RateLimitError } from "telnyx";
import type { Sandbox } from "../../sandbox";
import { raw, start, telnyxClient, telnyxFailure, twilioClient, twilioFailure, AC } from "./support";

const PLAIN = "+14155550100";
const A = "+13125550200";

let sb: Sandbox;
beforeEach(async () => {
  sb = await start({ validateTwilio: true });
});
afterEach(async () => {
  expect(sb.control.validationErrors()).toEqual([]);
  await sb.close();
});

describe("status faults", () => {
  it("Twilio 429 with Retry-After surfaces as the SDK's RestException (status 429, code 20429)", async () => {
    sb.control.injectFault({ status: 429, retryAfter: 7, carrier: "twilio" });
    const err = await twilioFailure(twilioClient(sb).list({ phoneNumber: PLAIN }));
    expect(err.constructor.name).toBe("RestException");
    expect(err.status).toBe(429);
    expect(err.code).toBe(20429);
    // The next request is served normally (times defaults to 1).
    expect(await twilioClient(sb).list({ phoneNumber: PLAIN })).toHaveLength(1);

    sb.control.injectFault({ status: 429, retryAfter: 7, carrier: "twilio" });
    const r = await raw(sb, "GET", `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`, {
      auth: "twilio",
    });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("7");
    expect(r.json).toEqual({
      code: 20429,
      message: "Too Many Requests",
      more_info: "https://www.twilio.com/docs/errors/20429",
      status: 429,
    });
    const log = sb.control.requests();
    expect(log.map((e) => [e.status, e.fault])).toEqual([
      [429, "status"],
      [200, undefined],
      [429, "status"],
    ]);
  });

  it("Telnyx 429 surfaces as RateLimitError with Retry-After and rate-limit headers", async () => {
    sb.control.injectFault({ status: 429, retryAfter: 3, carrier: "telnyx" });
    const err = await telnyxFailure(telnyxClient(sb).phoneNumbers.list());
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.headers?.get("retry-after")).toBe("3");
    expect(err.headers?.get("x-ratelimit-remaining")).toBe("0");
    expect(err.error?.errors?.[0]?.code).toBe("10011");
  });

  it("the Telnyx SDK honours Retry-After and succeeds on its retry", async () => {
    sb.control.injectFault({ status: 429, retryAfter: 1, carrier: "telnyx", path: "/v2/phone_numbers" });
    const t0 = Date.now();
    const list = await telnyxClient(sb, { maxRetries: 2 }).phoneNumbers.list({
      filter: { phone_number: A.slice(1) },
    });
    expect(list.data).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(sb.control.requests().map((r) => r.status)).toEqual([429, 200]);
  });

  it("500 and 503 in each carrier's shape, for the next N matching requests only", async () => {
    sb.control.injectFault({ status: 503, times: 2, carrier: "twilio", method: "POST" });
    sb.control.injectFault({ status: 500, carrier: "telnyx", path: /call_control_applications/ });
    const n = sb.control.twilioNumber(PLAIN)!;
    const numbers = twilioClient(sb);
    // GET does not match the POST-only fault.
    expect((await numbers(n.sid).fetch()).sid).toBe(n.sid);
    for (let i = 0; i < 2; i++) {
      const err = await twilioFailure(numbers(n.sid).update({ voiceUrl: "https://x.example.com" }));
      expect([err.status, err.code]).toEqual([503, 20503]);
    }
    // A faulted request never reached the handler: state untouched; the third POST goes through.
    expect(sb.control.twilioNumber(PLAIN)!.voice_url).toBe(n.voice_url);
    await numbers(n.sid).update({ voiceUrl: "https://x.example.com" });
    expect(sb.control.twilioNumber(PLAIN)!.voice_url).toBe("https://x.example.com");

    const t = telnyxClient(sb);
    const cca = sb.control.telnyxNumber(A)!.connection_id!;
    const err = await telnyxFailure(t.callControlApplications.retrieve(cca));
    expect(err).toBeInstanceOf(InternalServerError);
    expect((await t.callControlApplications.retrieve(cca)).data?.id).toBe(cca);
  });

  it("clearFaults removes pending faults; Infinity applies to every request", async () => {
    sb.control.injectFault({ status: 500, times: Infinity, carrier: "telnyx" });
    for (let i = 0; i < 3; i++)
      expect((await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).status).toBe(500);
    sb.control.clearFaults();
    expect((await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).status).toBe(200);
    expect(() => sb.control.injectFault({ kind: "status" })).toThrow(/status/);
    expect(() => sb.control.injectFault({ status: 500, times: 0 })).toThrow(/times/);
  });
});

describe("connection faults", () => {
  it("drop: the connection is destroyed; the SDKs see a connection error; the sandbox keeps serving", async () => {
    sb.control.injectFault({ kind: "drop", carrier: "telnyx" });
    const err = await telnyxFailure(telnyxClient(sb).phoneNumbers.list());
    expect(err).toBeInstanceOf(APIConnectionError);
    sb.control.injectFault({ kind: "drop", carrier: "twilio" });
    const twErr = await twilioFailure(twilioClient(sb).list({ phoneNumber: PLAIN }));
    expect(twErr.constructor.name).not.toBe("RestException");
    expect(await twilioClient(sb).list({ phoneNumber: PLAIN })).toHaveLength(1);
    expect(sb.control.requests().map((r) => [r.status, r.fault])).toEqual([
      [0, "drop"],
      [0, "drop"],
      [200, undefined],
    ]);
  });

  it("hang: no response ever comes; clients time out; close() still returns promptly", async () => {
    sb.control.injectFault({ kind: "hang", carrier: "telnyx", times: 2 });
    const err = await telnyxFailure(telnyxClient(sb, { timeout: 300 }).phoneNumbers.list());
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    // A second hung request is still open when we close.
    const pending = fetch(`${sb.telnyxBaseUrl}/phone_numbers`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await sb.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
    sb = await start(); // for afterEach
  });
});

describe("latency", () => {
  it("delays each request, and parallel requests concurrently (not one after another)", async () => {
    sb.control.setLatency(200);
    const t = telnyxClient(sb);
    const t0 = Date.now();
    await t.phoneNumbers.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);

    const t1 = Date.now();
    const numbers = twilioClient(sb);
    await Promise.all([
      ...Array.from({ length: 10 }, () => t.phoneNumbers.list()),
      ...Array.from({ length: 10 }, () => numbers.list({ phoneNumber: PLAIN })),
    ]);
    const elapsed = Date.now() - t1;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_500); // serialised would be >= 4 s
    expect(sb.control.requests().every((r) => r.ms >= 190)).toBe(true);

    sb.control.setLatency(0);
    const t2 = Date.now();
    await t.phoneNumbers.list();
    expect(Date.now() - t2).toBeLessThan(150);
  });
});

describe("body faults", () => {
  it("answer with exactly the given status, body and content type, then serve normally", async () => {
    const html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    sb.control.injectFault({
      kind: "body",
      body: html,
      contentType: "text/html",
      carrier: "telnyx",
      method: "GET",
      path: "/v2/phone_numbers",
    });
    const r = await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" });
    expect([r.status, r.headers.get("content-type"), r.text]).toEqual([200, "text/html", html]);
    expect(r.headers.get("x-request-id")).toBeTruthy(); // still the carrier's usual headers
    expect((await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).json.data).toHaveLength(3);

    // An empty 500 without a content type; the POST never reaches the handler.
    const n = sb.control.twilioNumber(PLAIN)!;
    sb.control.injectFault({ kind: "body", status: 500, carrier: "twilio", method: "POST" });
    const path = `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers/${n.sid}.json`;
    const empty = await raw(sb, "POST", path, {
      auth: "twilio",
      contentType: "application/x-www-form-urlencoded",
      body: "VoiceUrl=https%3A%2F%2Fx.example.com",
    });
    expect([empty.status, empty.headers.get("content-type"), empty.text]).toEqual([500, null, ""]);
    expect(empty.headers.get("twilio-request-id")).toMatch(/^RQ/);
    expect(sb.control.twilioNumber(PLAIN)).toEqual(n);
    expect(sb.control.requests().map((e) => [e.status, e.fault])).toEqual([
      [200, "body"],
      [200, undefined],
      [500, "body"],
    ]);
  });

  it("reach the SDKs as a malformed answer: invalid JSON, wrong shapes", async () => {
    sb.control.injectFault({ kind: "body", body: "{not json", contentType: "application/json", times: 2 });
    await expect(telnyxClient(sb).phoneNumbers.list()).rejects.toThrow(/JSON/);
    await expect(twilioClient(sb).list({ phoneNumber: PLAIN })).rejects.toThrow(/JSON/);
    sb.control.injectFault({ kind: "body", body: '{"data":"nope"}', contentType: "application/json" });
    expect(await telnyxClient(sb).get("/phone_numbers")).toEqual({ data: "nope" });
  });

  it("are validated, and available over the control API", async () => {
    expect(() => sb.control.injectFault({ kind: "body", status: 99 })).toThrow(/status/);
    expect(() => sb.control.injectFault({ kind: "status", status: 500, body: "x" })).toThrow(/body fault/);
    const post = (spec: unknown) =>
      fetch(`${sb.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify(spec) });
    expect((await post({ kind: "body", body: 1 })).status).toBe(400);
    expect((await post({ kind: "drop", contentType: "text/html" })).status).toBe(400);
    const ok = await post({
      kind: "body",
      status: 503,
      body: "<h1>down</h1>",
      contentType: "text/html; charset=utf-8",
      pathRegex: "^/v2/messaging_profiles/",
    });
    expect(ok.status).toBe(200);
    const profile = sb.control.telnyxNumber(A)!.messaging_profile_id!;
    const r = await raw(sb, "GET", `/v2/messaging_profiles/${profile}`, { auth: "telnyx" });
    expect([r.status, r.headers.get("content-type"), r.text]).toEqual([
      503,
      "text/html; charset=utf-8",
      "<h1>down</h1>",
    ]);
    expect((await raw(sb, "GET", `/v2/messaging_profiles/${profile}`, { auth: "telnyx" })).status).toBe(200);
  });
});

describe("skip", () => {
  it("lets the first N matching requests through, then faults the next `times` ones", async () => {
    const list = `/2010-04-01/Accounts/${AC}/IncomingPhoneNumbers.json`;
    sb.control.injectFault({ status: 503, skip: 2, times: 2, carrier: "twilio", method: "GET", path: list });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A request that does not match is neither skipped nor faulted.
      expect((await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).status).toBe(200);
      statuses.push((await raw(sb, "GET", list, { auth: "twilio" })).status);
    }
    expect(statuses).toEqual([200, 200, 503, 503, 200]);
    expect(() => sb.control.injectFault({ status: 500, skip: -1 })).toThrow(/skip/);
    const post = (spec: unknown) =>
      fetch(`${sb.url}/_sandbox/faults`, { method: "POST", body: JSON.stringify(spec) });
    expect((await post({ kind: "drop", skip: 1.5 })).status).toBe(400);
    expect((await post({ kind: "drop", skip: 1, pathRegex: "^/v2/phone_numbers$" })).status).toBe(200);
    expect((await raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).status).toBe(200);
    await expect(raw(sb, "GET", "/v2/phone_numbers", { auth: "telnyx" })).rejects.toThrow();
  });
});
