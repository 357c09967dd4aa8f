/** Steps 6 and 7: a shared Telnyx connection, and a carrier fault in the middle of an update. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const A = "+13125550200";
const B = "+13125550201";
const ALONE = "+13125550202";

describe.skipIf(!binDir)("Telnyx under the engine", () => {
  let f: E2EFixture;
  beforeAll(async () => {
    f = await E2EFixture.start();
    await f.initStack(STACK, []);
  });
  afterAll(async () => {
    await f?.close();
  });

  const voiceOf = (n: string) => {
    const number = f.sandbox.control.telnyxNumber(n)!;
    const app =
      f.sandbox.control.telnyxObject("call_control_applications", number.connection_id!) ??
      f.sandbox.control.telnyxObject("texml_applications", number.connection_id!);
    return app!.webhook_event_url ?? app!.voice_url;
  };
  const smsOf = (n: string) =>
    f.sandbox.control.telnyxObject(
      "messaging_profiles",
      f.sandbox.control.telnyxNumber(n)!.messaging_profile_id!,
    )!.webhook_url;

  it("6. a shared connection without opt-in fails listing the other numbers; with allowSharedUpdate it succeeds", async () => {
    const before = voiceOf(A);
    await f.declare(STACK, [{ name: "shared", phoneNumber: A, voiceUrl: "https://x.example.com/voice" }]);
    const refused = await f.up(STACK);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(B);
    expect(refused.stdout + refused.stderr).toContain("allowSharedUpdate: true");
    expect(voiceOf(A)).toBe(before);

    await f.declare(STACK, [
      { name: "shared", phoneNumber: A, voiceUrl: "https://x.example.com/voice", allowSharedUpdate: true },
    ]);
    expectSuccess(await f.up(STACK), "up with allowSharedUpdate");
    expect(voiceOf(B)).toBe("https://x.example.com/voice");
    expect((await f.results(STACK)).shared!.sharedWith).toEqual([B]);
  });

  it("7. a fault mid-update fails cleanly, loses nothing, and the next up converges", async () => {
    const original = { voice: voiceOf(ALONE), sms: smsOf(ALONE) };
    const declared = [
      { name: "shared", phoneNumber: A, voiceUrl: "https://x.example.com/voice", allowSharedUpdate: true },
      {
        name: "alone",
        phoneNumber: ALONE,
        voiceUrl: "https://y.example.com/voice",
        smsUrl: "https://y.example.com/sms",
      },
    ];
    await f.declare(STACK, declared);
    // Voice goes to the TeXML application first; the messaging profile then keeps failing.
    f.sandbox.control.injectFault({
      status: 503,
      times: 10_000,
      method: "PATCH",
      path: "/v2/messaging_profiles/",
    });
    const failed = await f.up(STACK);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain(`Failed to update webhooks for ${ALONE} via telnyx`);
    expect({ voice: voiceOf(ALONE), sms: smsOf(ALONE) }).toEqual(original);

    f.sandbox.control.clearFaults();
    expectSuccess(await f.up(STACK), "second up");
    expect({ voice: voiceOf(ALONE), sms: smsOf(ALONE) }).toEqual({
      voice: "https://y.example.com/voice",
      sms: "https://y.example.com/sms",
    });
    const results = await f.results(STACK);
    expect(results.alone!.previousWebhooks).toMatchObject({ voiceUrl: original.voice, smsUrl: original.sms });

    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
    expect({ voice: voiceOf(ALONE), sms: smsOf(ALONE) }).toEqual(original);
  });
});
