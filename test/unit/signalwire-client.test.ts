/**
 * SignalWire's client against a bare local server: the credentials go to the configured Space
 * only (a links.next naming another host is followed on the Space), and failures are
 * `CarrierError`s in SignalWire's words. The sandbox's carrier tests cover the rest.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signalwireCarrier } from "../../provider/carriers/signalwire";
import { SignalWireClient } from "../../provider/carriers/signalwire-client";
import { CarrierError } from "../../provider/errors";

const PROJECT = "b8f2c6de-1a3b-4c5d-8e9f-0a1b2c3d4e5f";
const TOKEN = "PTtoken-under-test";
const RETRY = { maxElapsedMs: 200, attemptTimeoutMs: 1000, baseDelayMs: 1, maxDelayMs: 5 };

const number = (n: string) => ({ id: `id-${n}`, number: n, name: null, call_handler: "laml_webhooks" });

let server: Server;
let url: string;
let seen: IncomingMessage[];
let answer: (req: IncomingMessage) => { status: number; body: string };
beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    seen.push(req);
    const { status, body } = answer(req);
    res.writeHead(status, { "Content-Type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const client = () => new SignalWireClient({ projectId: PROJECT, apiToken: TOKEN, spaceUrl: url }, RETRY);

describe("SignalWire's client", () => {
  it("follows links.next on the configured Space, whatever host the link names", async () => {
    answer = (req) =>
      req.url!.includes("page_number=1")
        ? { status: 200, body: JSON.stringify({ links: {}, data: [number("+14155550101")] }) }
        : {
            status: 200,
            body: JSON.stringify({
              links: {
                next: "https://elsewhere.example.com/api/relay/rest/phone_numbers?page_number=1&page_token=PA1",
              },
              data: [number("+14155550100")],
            }),
          };
    const numbers = await client().listPhoneNumbers();
    expect(numbers.map((n) => n.number)).toEqual(["+14155550100", "+14155550101"]);
    expect(seen.map((r) => r.url)).toEqual([
      "/api/relay/rest/phone_numbers?page_size=1000",
      "/api/relay/rest/phone_numbers?page_number=1&page_token=PA1",
    ]);
    const basic = `Basic ${Buffer.from(`${PROJECT}:${TOKEN}`).toString("base64")}`;
    expect(seen.every((r) => r.headers.authorization === basic)).toBe(true);
  });

  it("says what SignalWire said of a refused update, without the token", async () => {
    answer = () => ({
      status: 422,
      body: JSON.stringify({
        errors: [
          { code: "422", title: "Invalid Attribute", detail: "call_handler is not included in the list" },
        ],
      }),
    });
    const error = await client()
      .updatePhoneNumber("id-1", { call_handler: "ai_agent" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(CarrierError);
    expect((error as CarrierError).message).toBe(
      "signalwire update phone number id-1 failed (HTTP 422): Invalid Attribute: call_handler is not included in the list (SignalWire error 422)",
    );
    expect((error as CarrierError).message).not.toContain(TOKEN);
  });

  it("names a malformed answer's field", async () => {
    answer = () => ({ status: 200, body: JSON.stringify({ links: {}, data: [{ id: "x" }] }) });
    await expect(client().listPhoneNumbers()).rejects.toThrow(
      "signalwire list phone numbers failed: unexpected response: data.0.number is missing",
    );
  });

  it("sends LaML (Twilio-shaped) form parameters as its preflight event", () => {
    const event = signalwireCarrier.preflightEvent({
      kind: "sms",
      phoneNumber: "+14155550100",
      from: "+15005550006",
      text: "preflight",
      deliveredTo: "https://hooks.example.com/sms",
    });
    expect("form" in event && Object.fromEntries(event.form)).toMatchObject({
      To: "+14155550100",
      From: "+15005550006",
      Body: "preflight",
      SmsStatus: "received",
      ApiVersion: "2010-04-01",
    });
  });
});
