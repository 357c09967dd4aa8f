/**
 * Preflight under the real engine, switched on for the whole stack by `phoneWebhooks:preflight`:
 * `up` probes each new URL before switching a number to it; a URL that answers 404 fails that
 * resource (naming the field, the URL, the status and the number) and leaves its number alone,
 * while the other resources go on; a preview never probes. The URLs are a local HTTPS server, so
 * the stack sets `phoneWebhooks:allowPrivateHosts`, and the `pulumi` process (and the provider
 * process it starts) trusts its certificate through `NODE_EXTRA_CA_CERTS`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl, PreflightServer } from "../../sandbox/preflight-server";
import { demoSeedWith } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "preflight";
const TWILIO = "+14155550100";
const TELNYX = "+13125550202";
/** Twilio numbers of their own, one per way an endpoint can answer. */
const BY_ANSWER = { 403: "+14155550161", 503: "+14155550162", hang: "+14155550163", closed: "+14155550164" };

describe.skipIf(!binDir)("preflight under the real engine", () => {
  let f: E2EFixture;
  let server: PreflightServer;

  beforeAll(async () => {
    server = await PreflightServer.start();
    f = await E2EFixture.start(demoSeedWith({ twilio: Object.values(BY_ANSWER) }));
    f.project.env.NODE_EXTRA_CA_CERTS = server.certFile;
    await f.initStack(STACK, []);
    for (const key of ["phoneWebhooks:preflight", "phoneWebhooks:allowPrivateHosts"])
      await f.project.must(["config", "set", "--stack", STACK, key, "true"]);
    // A hanging endpoint is given up on after this long.
    await f.project.must(["config", "set", "--stack", STACK, "phoneWebhooks:preflightTimeoutMs", "2000"]);
  });
  afterAll(async () => {
    await f?.close();
    await server?.close();
  });

  const telnyxVoiceUrl = () => {
    const n = f.sandbox.control.telnyxNumber(TELNYX)!;
    return f.sandbox.control.telnyxObject("texml_applications", n.connection_id!)!.voice_url;
  };
  const preflightResults = async () =>
    Object.fromEntries(
      (await f.resourcesInState(STACK)).map((r) => [r.id, r.outputs.preflightResults as unknown]),
    );

  it("up probes the new URLs, switches the numbers and reports the outcome", async () => {
    await f.declare(STACK, [
      { name: "twilio-main", phoneNumber: TWILIO, voiceUrl: server.url(200, "voice") },
      { name: "telnyx-alone", phoneNumber: TELNYX, voiceUrl: server.url(200, "voice") },
    ]);
    const up = await f.up(STACK);
    expectSuccess(up, "pulumi up");
    expect(f.sandbox.control.twilioNumber(TWILIO)!.voice_url).toBe(server.url(200, "voice"));
    expect(telnyxVoiceUrl()).toBe(server.url(200, "voice"));
    expect(server.arrived).toHaveLength(2);
    const results = await preflightResults();
    for (const id of [`twilio:${TWILIO}`, `telnyx:${TELNYX}`])
      expect(results[id]).toEqual({ voiceUrl: { status: 200, ms: expect.any(Number), ok: true } });
    const ms = Object.values(results).map((r) => (r as { voiceUrl: { ms: number } }).voiceUrl.ms);
    console.info(`preflight under the engine: probes took ${ms.join(" ms and ")} ms`);
    expectSuccess(await f.preview(STACK, "--expect-no-changes"), "preview after up");
  });

  it("a preview of a switch to a 404 URL shows the update and sends nothing", async () => {
    await f.declare(STACK, [
      { name: "twilio-main", phoneNumber: TWILIO, voiceUrl: server.url(404, "voice") },
      { name: "telnyx-alone", phoneNumber: TELNYX, voiceUrl: server.url(200, "voice-v2") },
    ]);
    server.arrived.length = 0;
    const preview = await f.preview(STACK);
    expectSuccess(preview, "pulumi preview");
    expect(preview.stdout).toMatch(/2 to update/);
    expect(server.arrived).toEqual([]);
  });

  it("up refuses the 404 URL, naming field, URL, status and number; the number keeps its URL", async () => {
    // As below: without --continue-on-error the engine starts no new step after the first failure,
    // so whether the other resource went on would depend on scheduling.
    const up = await f.project.run(["up", "--yes", "--continue-on-error", "--stack", STACK]);
    expect(up.code).not.toBe(0);
    const output = up.stdout + up.stderr;
    expect(output).toContain(`voiceUrl ${server.url(404, "voice")} answered 404: not switching ${TWILIO}`);
    expect(f.sandbox.control.twilioNumber(TWILIO)!.voice_url).toBe(server.url(200, "voice"));
    // The other resource went on.
    expect(telnyxVoiceUrl()).toBe(server.url(200, "voice-v2"));
    expect(f.sandbox.control.releases()).toEqual([]);
  });

  it("switches to a URL that answers 403; refuses one that answers 503, hangs, or where nothing listens", async () => {
    const closed = await closedPortUrl();
    const urls = {
      403: server.url(403, "signed"),
      503: server.url(503, "broken"),
      hang: server.url("hang", "slow"),
      closed,
    };
    await f.declare(STACK, [
      { name: "twilio-main", phoneNumber: TWILIO, voiceUrl: server.url(200, "voice") },
      { name: "telnyx-alone", phoneNumber: TELNYX, voiceUrl: server.url(200, "voice-v2") },
      ...Object.entries(BY_ANSWER).map(([answer, phoneNumber]) => ({
        name: `answers-${answer}`,
        phoneNumber,
        voiceUrl: urls[answer as keyof typeof urls],
      })),
    ]);
    const before = Object.fromEntries(
      Object.values(BY_ANSWER).map((n) => [n, f.sandbox.control.twilioNumber(n)!.voice_url]),
    );
    // Without --continue-on-error the engine starts no new step after the first failure, so which
    // of the refused numbers get probed would depend on scheduling.
    const up = await f.project.run(["up", "--yes", "--continue-on-error", "--stack", STACK]);
    expect(up.code).not.toBe(0);
    const output = up.stdout + up.stderr;
    // An app that checks signatures answers 403 to an unsigned probe: it is there.
    expect(f.sandbox.control.twilioNumber(BY_ANSWER[403])!.voice_url).toBe(urls[403]);
    expect(output).toContain(`voiceUrl ${urls[503]} answered 503: not switching ${BY_ANSWER[503]}`);
    expect(output).toContain(
      `voiceUrl ${urls.hang} did not answer within 2 s: not switching ${BY_ANSWER.hang}`,
    );
    expect(output).toMatch(
      new RegExp(`voiceUrl ${closed} refused the connection .*not switching \\${BY_ANSWER.closed}`),
    );
    for (const answer of [503, "hang", "closed"] as const)
      expect(f.sandbox.control.twilioNumber(BY_ANSWER[answer])!.voice_url).toBe(before[BY_ANSWER[answer]]);
    const results = await preflightResults();
    expect(results[`twilio:${BY_ANSWER[403]}`]).toEqual({
      voiceUrl: { status: 403, ms: expect.any(Number), ok: true },
    });
    expect(f.sandbox.control.releases()).toEqual([]);
  });
});
