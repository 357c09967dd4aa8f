/**
 * Preflight under the real engine, switched on for the whole stack by `phoneWebhooks:preflight`:
 * `up` probes each new URL before switching a number to it; a URL that answers 404 fails that
 * resource (naming the field, the URL, the status and the number) and leaves its number alone,
 * while the other resources go on; a preview never probes. The URLs are a local HTTPS server, so
 * the stack sets `phoneWebhooks:allowPrivateHosts`, and the `pulumi` process (and the provider
 * process it starts) trusts its certificate through `NODE_EXTRA_CA_CERTS`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PreflightServer } from "../../sandbox/preflight-server";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "preflight";
const TWILIO = "+14155550100";
const TELNYX = "+13125550202";

describe.skipIf(!binDir)("preflight under the real engine", () => {
  let f: E2EFixture;
  let server: PreflightServer;

  beforeAll(async () => {
    server = await PreflightServer.start();
    f = await E2EFixture.start();
    f.project.env.NODE_EXTRA_CA_CERTS = server.certFile;
    await f.initStack(STACK, []);
    for (const key of ["phoneWebhooks:preflight", "phoneWebhooks:allowPrivateHosts"])
      await f.project.must(["config", "set", "--stack", STACK, key, "true"]);
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
    const up = await f.up(STACK);
    expect(up.code).not.toBe(0);
    const output = up.stdout + up.stderr;
    expect(output).toContain(`voiceUrl ${server.url(404, "voice")} answered 404: not switching ${TWILIO}`);
    expect(f.sandbox.control.twilioNumber(TWILIO)!.voice_url).toBe(server.url(200, "voice"));
    // The other resource went on.
    expect(telnyxVoiceUrl()).toBe(server.url(200, "voice-v2"));
    expect(f.sandbox.control.releases()).toEqual([]);
  });
});
