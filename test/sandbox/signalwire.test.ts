/**
 * SignalWire fidelity: the sandbox's phone-number API over plain HTTP, as SignalWire documents it:
 * Basic auth, paging through links.next with its page_token, partial filters, PUT's rules and
 * error shapes, the seed, and the control routes. Requests and answers are checked against
 * SignalWire's OpenAPI document where `../shared/reference/` has it (skipped, and said, if not).
 */
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../sandbox";
import { signalwireDocumentPath } from "../../sandbox/carriers/signalwire/openapi";
import { DEFAULT_API_TOKEN, DEFAULT_PROJECT_ID } from "../../sandbox/carriers/signalwire/state";

const VALIDATING = existsSync(signalwireDocumentPath());
if (!VALIDATING)
  console.warn(`SignalWire OpenAPI validation skipped: no document at ${signalwireDocumentPath()}`);

const PATH = "/api/relay/rest/phone_numbers";
const A = "+14155550100";
const B = "+14155550101";
const AUTH = `Basic ${Buffer.from(`${DEFAULT_PROJECT_ID}:${DEFAULT_API_TOKEN}`).toString("base64")}`;

let sb: Sandbox;
beforeEach(async () => {
  sb = await startSandbox({
    port: 0,
    validateSignalwire: VALIDATING,
    seed: {
      signalwire: {
        phone_numbers: [
          { number: A, name: "front desk" },
          {
            number: B,
            name: "back office",
            call_handler: "relay_application",
            call_relay_application: "ivr",
          },
        ],
      },
    },
  });
});
afterEach(async () => {
  expect(sb.control.validationErrors()).toEqual([]);
  expect(sb.control.releases()).toEqual([]);
  await sb.close();
});

/** What the tests read of an answer: a list, a number, or an error. */
interface Answer {
  data: Array<{ number: string } & Record<string, unknown>>;
  links: { next?: string; prev?: string };
  errors: Array<Record<string, string>>;
  [field: string]: unknown;
}

async function call(method: string, path: string, body?: unknown, authorization = AUTH) {
  const response = await fetch(`${sb.url}${path}`, {
    method,
    headers: {
      Authorization: authorization,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
}

describe("SignalWire phone numbers in the sandbox", () => {
  it("lists the most recent first, with every field SignalWire's document requires", async () => {
    const { status, body } = await call("GET", PATH);
    expect(status).toBe(200);
    expect(body.data.map((n) => n.number)).toEqual([B, A]);
    expect(body.links.next).toBeUndefined();
    expect(body.data[1]).toMatchObject({
      number: A,
      name: "front desk",
      call_handler: "laml_webhooks",
      call_request_url: null,
      call_request_method: "POST",
      message_handler: "laml_webhooks",
    });
    // SignalWire's answers do not carry message_relay_application (its document lists no such field).
    expect(body.data[1]).not.toHaveProperty("message_relay_application");
  });

  it("pages through links.next, whose page_token the next page requires", async () => {
    const first = await call("GET", `${PATH}?page_size=1`);
    expect(first.body.data).toHaveLength(1);
    const next = new URL(first.body.links.next!);
    expect(next.searchParams.get("page_number")).toBe("1");
    const second = await call("GET", `${next.pathname}${next.search}`);
    expect(second.body.data.map((n) => n.number)).toEqual([A]);
    expect(second.body.links.prev).toBeDefined();
    expect(second.body.links.next).toBeUndefined();
    expect((await call("GET", `${PATH}?page_size=1&page_number=1`)).body).toEqual({ error: "Bad Request" });
    expect((await call("GET", `${PATH}?page_size=1001`)).status).toBe(400);
    // Both are requests SignalWire's document refuses too: the validator saw them.
    if (VALIDATING) expect(sb.control.validationErrors()).toHaveLength(1);
    sb.control.clearValidationErrors();
  });

  it("matches filter_number and filter_name as parts of the value", async () => {
    const partial = await call("GET", `${PATH}?filter_number=${encodeURIComponent("+1415555010")}`);
    expect(partial.body.data.map((n) => n.number)).toEqual([B, A]);
    const byName = await call("GET", `${PATH}?filter_name=office`);
    expect(byName.body.data.map((n) => n.number)).toEqual([B]);
  });

  it("refuses other credentials with SignalWire's 401 body", async () => {
    const wrong = `Basic ${Buffer.from(`${DEFAULT_PROJECT_ID}:nope`).toString("base64")}`;
    expect(await call("GET", PATH, undefined, wrong)).toMatchObject({
      status: 401,
      body: { error: "Unauthorized" },
    });
  });

  it("updates the fields given, unsets with an empty string, and answers 404 for an unknown id", async () => {
    const { id } = sb.control.signalwireNumber(A)!;
    const put = await call("PUT", `${PATH}/${id}`, {
      call_request_url: "https://hooks.example.com/voice",
      call_request_method: "GET",
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      call_request_url: "https://hooks.example.com/voice",
      call_request_method: "GET",
    });
    const cleared = await call("PUT", `${PATH}/${id}`, { call_request_url: "" });
    expect(cleared.body.call_request_url).toBeNull();
    expect(cleared.body.call_request_method).toBe("GET"); // not given: kept
    expect((await call("GET", `${PATH}/${id}`)).body.id).toBe(id);
    const unknown = await call("GET", `${PATH}/3fa85f64-5717-4562-b3fc-2c963f66afa6`);
    expect(unknown).toMatchObject({ status: 404, body: { error: "Not Found" } });
  });

  it("refuses what SignalWire's update does not take, in its 422 shape", async () => {
    const { id } = sb.control.signalwireNumber(B)!;
    const invalid = await call("PUT", `${PATH}/${id}`, { call_handler: "ai_agent" });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0]).toMatchObject({ status: "422", code: "422", title: "Invalid Attribute" });
    // A handler left without its resource.
    const blank = await call("PUT", `${PATH}/${id}`, { call_relay_application: "" });
    expect(blank.body.errors[0]?.detail).toBe("call_relay_application can't be blank");
    expect(sb.control.signalwireNumber(B)).toMatchObject({ call_relay_application: "ivr" });
    // The document's enum refuses ai_agent in an update too: the validator saw it.
    if (VALIDATING) expect(sb.control.validationErrors()).toEqual([expect.stringContaining("call_handler")]);
    sb.control.clearValidationErrors();
  });

  it("answers an injected 429 with Retry-After in SignalWire's shape", async () => {
    sb.control.injectFault({ carrier: "signalwire", status: 429, retryAfter: 2 });
    const limited = await call("GET", PATH);
    expect(limited).toMatchObject({ status: 429, body: { error: "Too Many Requests" } });
    expect(limited.headers.get("retry-after")).toBe("2");
  });

  it("takes dashboard edits and numbers bought out of band through the control API", async () => {
    const edited = await fetch(`${sb.url}/_sandbox/signalwire/numbers/${encodeURIComponent(A)}`, {
      method: "POST",
      body: JSON.stringify({ call_handler: "ai_agent" }),
    });
    expect(edited.status).toBe(200);
    expect(sb.control.signalwireNumber(A)?.call_handler).toBe("ai_agent");
    sb.control.buySignalwireNumber({ number: "+14155550199", name: "new" });
    expect((await call("GET", PATH)).body.data[0]?.number).toBe("+14155550199");
    expect(() =>
      sb.control.loadSeed({ signalwire: { phone_numbers: [{ number: A }, { number: A }] } }),
    ).toThrow(`${A} is listed twice`);
  });
});
