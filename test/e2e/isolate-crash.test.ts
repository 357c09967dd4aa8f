/**
 * Crash consistency of `onShared: "isolate"` under the real engine: `pulumi up` (CLI, language
 * host and provider process) killed at each point of isolating a number: after the copy is made
 * (before the move), after the move (before the second copy), and after both moves (before the
 * state is written). The state never heard of the resource each time; the next up must converge
 * with no second copy, and destroy must put the number back and leave no copy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { telnyxUuid } from "../../sandbox/carriers/telnyx/defaults";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const A = "+13125550200";
const B = "+13125550201";
const ALONE = "+13125550202"; // on its own TeXML application: the other resource of kill point 3
const URLS = { voiceUrl: "https://staging.example.com/voice", smsUrl: "https://staging.example.com/sms" };
// The sandbox derives a created object's id from its name: the SMS copy's id is known in advance.
// The sandbox derives ids from names: the seed's first profile, and a copy of it named for A.
const SUPPORT_SMS = telnyxUuid("messaging_profile", "support-sms", "0");
const SMS_COPY = telnyxUuid("messaging_profile", `support-sms (${A}) [copy of ${SUPPORT_SMS}]`, "created");

const KILL_POINTS = [
  {
    name: "after the voice copy is made, before the number moves onto it",
    hang: { method: "PATCH", path: /^\/v2\/phone_numbers\/\d+$/ },
    // The move itself is in flight (hanging), so the copy is made and journaled. Killed between the
    // copy's create and its journal entry, the next up meets "name already taken" (see the note).
    reached: (f: E2EFixture, seed: Counts) =>
      counts(f).cca === seed.cca + 1 && f.sandbox.control.requests().some((r) => r.fault === "hang"),
  },
  {
    name: "after the voice move, while the SMS copy is being made",
    hang: { method: "POST", path: /^\/v2\/messaging_profiles$/ },
    reached: (f: E2EFixture, seed: Counts) =>
      f.sandbox.control.telnyxNumber(A)!.connection_id !== seed.connection,
  },
  {
    // The engine writes the state after each resource unless told to wait for the end: with
    // PULUMI_SKIP_CHECKPOINTS it waits, and another resource of the run hangs, so the isolating
    // create has returned (both moves made) and the state has not been written.
    name: "after both moves, before the state is written",
    hang: { method: "PATCH", path: /^\/v2\/texml_applications\/\d+$/ },
    alsoDeclared: [{ name: "ivr", phoneNumber: ALONE, voiceUrl: "https://staging.example.com/ivr" }],
    skipCheckpoints: true,
    reached: (f: E2EFixture) =>
      f.sandbox.control.telnyxNumber(A)!.messaging_profile_id === SMS_COPY &&
      f.sandbox.control.requests().some((r) => r.fault === "hang"),
  },
];

interface Counts {
  cca: number;
  profiles: number;
  connection: string;
  profile: string;
}
function counts(f: E2EFixture): Counts {
  const t = f.sandbox.control.state().telnyx;
  const n = f.sandbox.control.telnyxNumber(A)!;
  return {
    cca: t.call_control_applications.length,
    profiles: t.messaging_profiles.length,
    connection: n.connection_id!,
    profile: n.messaging_profile_id!,
  };
}

describe.skipIf(!binDir)('a pulumi up killed while isolating a number (onShared: "isolate")', () => {
  let f: E2EFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  for (const point of KILL_POINTS)
    it(`killed ${point.name}: the next up converges, destroy leaves no copy`, async () => {
      f = await E2EFixture.start();
      const fixture = f;
      await fixture.initStack(STACK, [
        { name: "staging", phoneNumber: A, ...URLS, onShared: "isolate" },
        ...(("alsoDeclared" in point && point.alsoDeclared) || []),
      ]);
      // Long enough that the process is surely killed while it waits.
      await fixture.project.must([
        "config",
        "set",
        "--stack",
        STACK,
        "phoneWebhooks:requestTimeoutMs",
        "120000",
      ]);
      const seed = counts(fixture);
      const neighbour = fixture.sandbox.control.telnyxNumber(B)!;
      const originalVoice = fixture.sandbox.control.telnyxObject(
        "call_control_applications",
        seed.connection,
      )!;

      fixture.sandbox.control.injectFault({ kind: "hang", times: 1, ...point.hang });
      if ("skipCheckpoints" in point) fixture.project.env.PULUMI_SKIP_CHECKPOINTS = "true";
      const run = fixture.project.start(["up", "--yes", "--stack", STACK]);
      await expect.poll(() => point.reached(fixture, seed), { timeout: 120_000, interval: 200 }).toBe(true);
      run.kill();
      expect((await run.done).code).not.toBe(0);
      fixture.sandbox.control.clearFaults();
      delete fixture.project.env.PULUMI_SKIP_CHECKPOINTS;
      expect(await fixture.resourcesInState(STACK)).toEqual([]); // the state never heard of it

      expectSuccess(await fixture.project.run(["cancel", "--yes", "--stack", STACK]), "pulumi cancel");
      expectSuccess(await fixture.up(STACK), "up after the kill");
      const after = counts(fixture);
      // Converged on one copy of each: the journal's, not a second one.
      expect(after).toMatchObject({ cca: seed.cca + 1, profiles: seed.profiles + 1 });
      expect(after.connection).not.toBe(seed.connection);
      expect(after.profile).toBe(SMS_COPY);
      const results = (await fixture.results(STACK)).staging!;
      expect(results.isolated).toEqual([
        {
          holds: "voice",
          objectType: "call_control_application",
          originalId: seed.connection,
          copyId: after.connection,
        },
        { holds: "sms", objectType: "messaging_profile", originalId: seed.profile, copyId: SMS_COPY },
      ]);
      expect(results.previousWebhooks).toMatchObject({ voiceUrl: originalVoice.webhook_event_url });
      expect(fixture.sandbox.control.telnyxNumber(B)).toEqual(neighbour);

      expectSuccess(await fixture.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
      expect(counts(fixture)).toEqual(seed);
      expect(fixture.sandbox.control.telnyxObject("call_control_applications", seed.connection)).toEqual(
        originalVoice,
      );
    });
});
