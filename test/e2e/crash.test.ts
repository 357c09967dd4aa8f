/**
 * Crash consistency under the real engine: `pulumi up` (CLI, language host and provider process)
 * killed between the two writes of a Telnyx create. The state never heard of the resource; the
 * next up must converge and a later destroy must still restore the original webhooks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const ALONE = "+13125550202"; // TeXML application (voice, written first) + its own messaging profile
const NEW = { voice: "https://new.example.com/voice", sms: "https://new.example.com/sms" };

describe.skipIf(!binDir)("a pulumi up killed between two writes", () => {
  let f: E2EFixture;
  let ids: { texml: string; profile: string };
  const live = () => ({
    voice: f.sandbox.control.telnyxObject("texml_applications", ids.texml)!.voice_url,
    sms: f.sandbox.control.telnyxObject("messaging_profiles", ids.profile)!.webhook_url,
  });

  beforeAll(async () => {
    f = await E2EFixture.start();
    const n = f.sandbox.control.telnyxNumber(ALONE)!;
    ids = { texml: n.connection_id!, profile: n.messaging_profile_id! };
    await f.initStack(STACK, [{ name: "alone", phoneNumber: ALONE, voiceUrl: NEW.voice, smsUrl: NEW.sms }]);
    // Long enough that the process is surely killed while it waits.
    await f.project.must(["config", "set", "--stack", STACK, "phoneWebhooks:requestTimeoutMs", "120000"]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("converges on the next up, and destroy still restores the originals", async () => {
    const original = live();
    f.sandbox.control.injectFault({
      kind: "hang",
      times: 1,
      method: "PATCH",
      path: "/v2/messaging_profiles/",
    });
    const run = f.project.start(["up", "--yes", "--stack", STACK]);
    await expect.poll(() => live().voice, { timeout: 120_000, interval: 200 }).toBe(NEW.voice);
    expect(live().sms).toBe(original.sms); // killed with voice written and SMS not
    run.kill();
    const killed = await run.done;
    expect(killed.code).not.toBe(0);
    f.sandbox.control.clearFaults();

    // What a user does after a killed run: remove the lock the dead CLI left, then up again.
    expectSuccess(await f.project.run(["cancel", "--yes", "--stack", STACK]), "pulumi cancel");
    expectSuccess(await f.up(STACK), "up after the crash");
    expect(live()).toEqual(NEW);
    const results = await f.results(STACK);
    expect(results.alone!.previousWebhooks).toMatchObject({ voiceUrl: original.voice, smsUrl: original.sms });

    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
    expect(live()).toEqual(original);
  });
});
