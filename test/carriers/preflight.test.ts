/**
 * Preflight through the provider, against the sandbox: before create or update switches a number
 * to a URL it does not have, that URL gets one request; a URL that answers 404, 410 or 5xx, does
 * not answer, or cannot be connected to refuses the switch for that number, which is then not
 * written at all. The URLs are a local HTTPS server on 127.0.0.1, so `allowPrivateHosts` is on,
 * and the provider trusts the server's self-signed certificate through an undici `Agent`.
 */
import { readdirSync } from "node:fs";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PhoneNumberWebhooksProvider, type PhoneNumberWebhooksOutputs } from "../../provider/lifecycle";
import { PREFLIGHT_HEADER } from "../../provider/preflight";
import { demoSeedWith, OLD_VOICE_URL, startHarness, type CarrierHarness } from "../support/sandbox";
import { closedPortUrl, PreflightServer } from "../../sandbox/preflight-server";

const PLAIN = "+14155550100"; // Twilio: voice and SMS URLs on the number
const OTHER = "+14155550150"; // Twilio, added: voice URL OLD_VOICE_URL
const TELNYX_ALONE = "+13125550202"; // Telnyx: its own TeXML application and messaging profile

let server: PreflightServer;
let agent: Agent;
let h: CarrierHarness;

beforeAll(async () => {
  server = await PreflightServer.start();
  agent = new Agent({ connect: { ca: server.cert } });
});
afterAll(async () => {
  await agent.close();
  await server.close();
});
beforeEach(async () => {
  h = await startHarness(demoSeedWith({ twilio: [OTHER] }));
  server.arrived.length = 0;
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]);
  expect(h.sandbox.control.validationErrors()).toEqual([]);
  await h.close();
});

/** A provider as a lab stack would have it: private hosts allowed, the test CA trusted. */
function provider(env: Record<string, string> = {}, trusted = true): PhoneNumberWebhooksProvider {
  return new PhoneNumberWebhooksProvider({
    env: { ...h.env, PHONE_WEBHOOKS_ALLOW_PRIVATE_HOSTS: "true", ...env },
    preflightDispatcher: trusted ? agent : undefined,
  });
}

const twilio = (phone: string) => h.sandbox.control.twilioNumber(phone)!;
const carrierWrites = () =>
  h.sandbox.control.requests().filter((r) => r.method === "POST" || r.method === "PATCH").length;

async function checked(p: PhoneNumberWebhooksProvider, args: Record<string, unknown>) {
  const { inputs, failures } = await p.check({}, args);
  expect(failures).toEqual([]);
  return inputs as never;
}

async function create(args: Record<string, unknown>, p = provider()) {
  return p.create(await checked(p, args));
}

describe("preflight in create", () => {
  it("probes each new URL once, in the carrier's shape, and reports the outcome", async () => {
    const result = await create({
      phoneNumber: PLAIN,
      voiceUrl: server.url(200, "voice"),
      voiceMethod: "GET",
      smsUrl: server.url(403, "sms"), // an app that checks signatures refuses the unsigned probe: reachable
      voiceFallbackUrl: server.url(200, "fallback"),
      statusCallbackUrl: server.url(200, "status"),
      preflight: true,
    });
    const outs = result.outs!;
    expect(outs.preflightResults).toEqual({
      voiceUrl: { status: 200, ms: expect.any(Number), ok: true },
      smsUrl: { status: 403, ms: expect.any(Number), ok: true },
      voiceFallbackUrl: { status: 200, ms: expect.any(Number), ok: true },
      statusCallbackUrl: { status: 200, ms: expect.any(Number), ok: true },
    });
    expect(twilio(PLAIN)).toMatchObject({
      voice_url: server.url(200, "voice"),
      sms_url: server.url(403, "sms"),
    });
    const byPath = (name: string) => server.arrived.filter((r) => r.path.includes(`/${name}`));
    expect(server.arrived).toHaveLength(4);
    // The declared method for voiceUrl (its Twilio parameters in the query), POST for the others.
    expect(byPath("voice")[0]).toMatchObject({ method: "GET", body: "" });
    expect(byPath("voice")[0]!.path).toContain(`To=${encodeURIComponent(PLAIN)}`);
    for (const name of ["sms", "fallback", "status"]) expect(byPath(name)[0]!.method).toBe("POST");
    expect(new URLSearchParams(byPath("sms")[0]!.body).get("To")).toBe(PLAIN);
    for (const r of server.arrived) expect(r.headers[PREFLIGHT_HEADER.toLowerCase()]).toBe("1");
    // No URL in the outcome: nothing secret can be stored there.
    expect(JSON.stringify(outs.preflightResults)).not.toContain("127.0.0.1");
  });

  it.each([
    [404, "answered 404"],
    [410, "answered 410"],
    [503, "answered 503"],
  ])("refuses a URL that answers %i, and writes nothing for the number", async (status, reason) => {
    const before = twilio(PLAIN);
    h.sandbox.control.clearLog();
    const url = server.url(status, "voice");
    await expect(create({ phoneNumber: PLAIN, voiceUrl: url, preflight: true })).rejects.toThrow(
      `voiceUrl ${url} ${reason}: not switching ${PLAIN}`,
    );
    expect(twilio(PLAIN)).toEqual(before);
    expect(carrierWrites()).toBe(0);
    // Probed before the takeover journal too: a refused number leaves no entry.
    expect(readdirSync(h.journalDir)).toEqual([]);
  });

  it("refuses a URL that does not answer in time, or where nothing listens, naming each", async () => {
    const before = twilio(PLAIN);
    const hanging = server.url("hang", "voice");
    const closed = await closedPortUrl();
    const started = performance.now();
    const error = await create(
      { phoneNumber: PLAIN, voiceUrl: hanging, smsUrl: closed, preflight: true },
      provider({ PHONE_WEBHOOKS_PREFLIGHT_TIMEOUT_MS: "300" }),
    ).catch((e: Error) => e);
    // Both refusals in one message; probed in parallel, so the wait is one timeout, not two.
    expect((error as Error).message).toBe(
      `voiceUrl ${hanging} did not answer within 300 ms: not switching ${PLAIN}; ` +
        `smsUrl ${closed} refused the connection (ECONNREFUSED): not switching ${PLAIN}`,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(twilio(PLAIN)).toEqual(before);
  });

  it("refuses a certificate the provider does not trust", async () => {
    const url = server.url(200, "voice");
    await expect(
      create({ phoneNumber: PLAIN, voiceUrl: url, preflight: true }, provider({}, false)),
    ).rejects.toThrow(
      new RegExp(`^voiceUrl ${url} failed the TLS/SSL handshake \\(.*: not switching \\${PLAIN}$`),
    );
  });

  it("lets the other resources go on when one number is refused", async () => {
    const p = provider();
    const [refused, created] = await Promise.allSettled([
      create({ phoneNumber: PLAIN, voiceUrl: server.url(404, "a"), preflight: true }, p),
      create({ phoneNumber: OTHER, voiceUrl: server.url(200, "b"), preflight: true }, p),
    ]);
    expect(refused.status).toBe("rejected");
    expect(created.status).toBe("fulfilled");
    expect(twilio(OTHER).voice_url).toBe(server.url(200, "b"));
    expect(twilio(PLAIN).voice_url).not.toBe(server.url(404, "a"));
  });

  it("follows phoneWebhooks:preflight for every resource, unless the argument says otherwise", async () => {
    const stackWide = provider({ PHONE_WEBHOOKS_PREFLIGHT: "true" });
    await expect(create({ phoneNumber: PLAIN, voiceUrl: server.url(404) }, stackWide)).rejects.toThrow(
      /answered 404: not switching/,
    );
    const optedOut = await create(
      { phoneNumber: PLAIN, voiceUrl: server.url(404), preflight: false },
      stackWide,
    );
    expect(optedOut.outs!.preflightResults).toBeUndefined();
    expect(twilio(PLAIN).voice_url).toBe(server.url(404));
    expect(server.arrived).toHaveLength(1); // the first create's probe only
  });

  it("sends nothing when preflight is off (the default)", async () => {
    const result = await create({ phoneNumber: PLAIN, voiceUrl: server.url(404) });
    expect(result.outs!.preflightResults).toBeUndefined();
    expect(server.arrived).toEqual([]);
  });

  it("probes a Telnyx URL with a JSON event, and refuses it the same way", async () => {
    const texmlVoiceUrl = () => {
      const n = h.sandbox.control.telnyxNumber(TELNYX_ALONE)!;
      return h.sandbox.control.telnyxObject("texml_applications", n.connection_id!)!.voice_url;
    };
    const before = texmlVoiceUrl();
    await expect(
      create({ phoneNumber: TELNYX_ALONE, voiceUrl: server.url(503, "tx"), preflight: true }),
    ).rejects.toThrow(`voiceUrl ${server.url(503, "tx")} answered 503: not switching ${TELNYX_ALONE}`);
    expect(texmlVoiceUrl()).toBe(before);
    const result = await create({
      phoneNumber: TELNYX_ALONE,
      voiceUrl: server.url(200, "tx"),
      preflight: true,
    });
    expect(result.outs!.preflightResults).toEqual({
      voiceUrl: { status: 200, ms: expect.any(Number), ok: true },
    });
    expect(texmlVoiceUrl()).toBe(server.url(200, "tx"));
    const probe = server.arrived.at(-1)!;
    expect(probe.method).toBe("POST");
    expect(probe.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(probe.body)).toMatchObject({ data: { event_type: "call.initiated" } });
  });
});

describe("preflight in update", () => {
  async function taken(args: Record<string, unknown> = {}) {
    const p = provider();
    const result = await create({ phoneNumber: OTHER, voiceUrl: server.url(200, "v1"), ...args }, p);
    server.arrived.length = 0;
    return { p, olds: result.outs! as PhoneNumberWebhooksOutputs };
  }
  const update = async (p: PhoneNumberWebhooksProvider, olds: PhoneNumberWebhooksOutputs, news: object) =>
    p.update(`twilio:${OTHER}`, olds, await checked(p, { phoneNumber: OTHER, ...news }));

  it("refuses a switch to a URL that answers 404; the number keeps its URL", async () => {
    const { p, olds } = await taken();
    h.sandbox.control.clearLog();
    const url = server.url(404, "v2");
    await expect(update(p, olds, { voiceUrl: url, preflight: true })).rejects.toThrow(
      `voiceUrl ${url} answered 404: not switching ${OTHER}`,
    );
    expect(twilio(OTHER).voice_url).toBe(server.url(200, "v1"));
    expect(carrierWrites()).toBe(0);
  });

  it("probes only the URLs that change: not an unchanged one, nor one going back to its previous value", async () => {
    const { p, olds } = await taken({ smsUrl: server.url(200, "sms") });
    const { outs } = await update(p, olds, {
      voiceUrl: server.url(200, "v1"), // unchanged
      smsFallbackUrl: server.url(200, "sms-fallback"), // new
      preflight: true,
    }); // smsUrl no longer declared: goes back to the number's original, unprobed
    expect(server.arrived.map((r) => r.path)).toEqual(["/200/sms-fallback"]);
    expect(Object.keys(outs!.preflightResults!)).toEqual(["smsFallbackUrl"]);
    expect(twilio(OTHER).sms_fallback_url).toBe(server.url(200, "sms-fallback"));
  });

  it("switches after a 200, with the outcome in the outputs; after drift, the declared URL is probed again", async () => {
    const { p, olds } = await taken();
    const { outs } = await update(p, olds, { voiceUrl: server.url(200, "v2"), preflight: true });
    expect(outs!.preflightResults).toEqual({ voiceUrl: { status: 200, ms: expect.any(Number), ok: true } });
    expect(twilio(OTHER).voice_url).toBe(server.url(200, "v2"));
    // An update that does not switch that URL keeps its outcome; one that switches it unprobed drops it.
    const kept = await update(p, outs!, { voiceUrl: server.url(200, "v2"), onDelete: "retain" });
    expect(kept.outs!.preflightResults).toEqual(outs!.preflightResults);
    const unprobed = await update(p, kept.outs!, { voiceUrl: server.url(200, "v3") });
    expect(unprobed.outs!.preflightResults).toBeUndefined();
    // Drift puts the live value elsewhere: the declared URL is a switch again, and is probed.
    h.sandbox.control.editTwilioNumber(OTHER, { voice_url: OLD_VOICE_URL });
    const refreshed = await p.read(`twilio:${OTHER}`, outs!); // as refresh does before the update
    expect(refreshed.props.preflightResults).toEqual(outs!.preflightResults); // kept by a refresh
    server.arrived.length = 0;
    await update(p, refreshed.props as PhoneNumberWebhooksOutputs, {
      voiceUrl: server.url(200, "v2"),
      preflight: true,
    });
    expect(server.arrived).toHaveLength(1);
  });
});
