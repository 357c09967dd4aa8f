/**
 * Crash safety of `PhoneNumberWebhooksSet` under the real engine: `pulumi up` or `pulumi destroy`
 * (CLI, language host and provider process) killed while some members are written and others not.
 * The engine writes a set's state once, after all its members, so a create killed midway leaves no
 * state of the set: the journal (each member's originals, kept until the state holds them) is what
 * the next `up` recovers them from. Each kill happens once the sandbox has seen the request that
 * hangs, never after a sleep. After a killed `up`: `pulumi cancel`, `pulumi refresh
 * --clear-pending-creates` and `up` again; after a killed `destroy`: `pulumi cancel` and `destroy`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { decodeMemberRecords } from "../../provider/set-schema";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE } from "../../provider/type-token";
import type { SandboxSeed } from "../../sandbox";
import { demoSeedWith, OLD_VOICE_URL } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const FLEET = Array.from({ length: 12 }, (_, i) => `+1415555${String(2000 + i)}`);
const VOICE = "https://fleet.example.com/voice";

interface MemberRecord {
  webhooks: Record<string, string | null>;
  previous: Record<string, string | null>;
  isolated?: Array<{ holds: string; objectType: string; originalId: string; copyId: string }>;
}

/** A set's members as the state records them (decrypted), or undefined when the state has no such set. */
async function membersInState(
  f: E2EFixture,
  name: string,
): Promise<Record<string, MemberRecord> | undefined> {
  const resources = await f.resourcesInState(STACK, PHONE_NUMBER_WEBHOOKS_SET_TYPE, "--show-secrets");
  const set = resources.find((r) => r.id.endsWith(`:${name}`));
  if (!set) return undefined;
  return decodeMemberRecords(JSON.parse((set.outputs.members as { plaintext: string }).plaintext)) as Record<
    string,
    MemberRecord
  >;
}

/** The operations the engine had begun and not finished when it died, by type and resource type. */
async function pendingOperations(f: E2EFixture): Promise<Array<[string, string]>> {
  const state = JSON.parse(await f.project.exportState(STACK)) as {
    deployment: { pending_operations?: Array<{ type: string; resource: { type: string } }> };
  };
  return (state.deployment.pending_operations ?? []).map((op) => [op.type, op.resource.type]);
}

/** Starts `args`, waits until `reached` holds (polled on the sandbox), kills the run and its plugins. */
async function killWhen(f: E2EFixture, args: string[], reached: () => boolean): Promise<void> {
  const run = f.project.start(args);
  let exited = false;
  void run.done.then(() => (exited = true));
  // A run that ends before the kill point is a failure of the test's premise, not a wait to time out.
  await expect.poll(() => (exited ? "exited" : reached()), { timeout: 120_000, interval: 100 }).toBe(true);
  run.kill();
  expect((await run.done).code).not.toBe(0);
  f.sandbox.control.clearFaults();
}

/**
 * What a user does after a killed `up`: remove the lock the dead CLI left, and drop the create it
 * had begun from the state (the engine keeps it otherwise, even through a later successful `up`).
 * The set is not in the state; the members' journal entries are what the next `up` recovers from.
 */
async function clearAfterKilledUp(f: E2EFixture): Promise<void> {
  expectSuccess(await f.project.run(["cancel", "--yes", "--stack", STACK]), "pulumi cancel");
  const refresh = await f.project.run(["refresh", "--yes", "--clear-pending-creates", "--stack", STACK]);
  expectSuccess(refresh, "pulumi refresh --clear-pending-creates");
  expect(await pendingOperations(f)).toEqual([]);
}

/** Sets a long request timeout, so that a hanging request is surely still waiting when the kill comes. */
async function patient(f: E2EFixture): Promise<void> {
  await f.project.must(["config", "set", "--stack", STACK, "phoneWebhooks:requestTimeoutMs", "120000"]);
}

const hangs = (f: E2EFixture) => f.sandbox.control.requests().filter((r) => r.fault === "hang").length;

describe.skipIf(!binDir)("a PhoneNumberWebhooksSet killed midway under the real engine", () => {
  let f: E2EFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  const twilio = (phone: string) => f!.sandbox.control.twilioNumber(phone)!;
  /** Hangs the POST of each of `phones` (once). */
  const hangPosts = (phones: string[]) => {
    for (const phone of phones)
      f!.sandbox.control.injectFault({
        kind: "hang",
        times: 1,
        carrier: "twilio",
        method: "POST",
        path: new RegExp(`/IncomingPhoneNumbers/${twilio(phone).sid}\\.json$`),
      });
  };
  const twilioSet = { name: "fleet", provider: "twilio", voiceUrl: VOICE, numbers: FLEET, concurrency: 2 };

  it("1. up killed with some members written: the next up records the originals, destroy restores all", async () => {
    f = await E2EFixture.start(demoSeedWith({ twilio: FLEET }));
    const fixture = f;
    await fixture.initStack(STACK, []);
    await fixture.declareSets(STACK, [twilioSet]);
    await patient(fixture);

    // Two workers: both stall, on the 6th and 7th members; the members they reached before are
    // written, the others not (which ones depends on the order the set takes its members in).
    hangPosts([FLEET[5]!, FLEET[6]!]);
    await killWhen(fixture, ["up", "--yes", "--stack", STACK], () => hangs(fixture) === 2);
    const written = FLEET.filter((phone) => twilio(phone).voice_url === VOICE);
    const notWritten = FLEET.filter((phone) => !written.includes(phone));
    for (const phone of notWritten) expect([phone, twilio(phone).voice_url]).toEqual([phone, OLD_VOICE_URL]);
    expect(notWritten).toEqual(expect.arrayContaining([FLEET[5], FLEET[6]]));
    expect(written.length).toBeGreaterThan(0);
    expect(notWritten.length).toBeGreaterThan(2);
    expect(await membersInState(fixture, "fleet")).toBeUndefined(); // written once, after all members
    expect(await pendingOperations(fixture)).toEqual([["creating", PHONE_NUMBER_WEBHOOKS_SET_TYPE]]);

    await clearAfterKilledUp(fixture);
    fixture.sandbox.control.clearLog();
    expectSuccess(await fixture.up(STACK), "up after the kill");
    expect(await pendingOperations(fixture)).toEqual([]);
    for (const phone of FLEET) expect(twilio(phone).voice_url).toBe(VOICE);
    // Only the members the killed run had not written are written.
    const posted = fixture.sandbox.control
      .requests()
      .filter((r) => r.method === "POST")
      .map((r) => /IncomingPhoneNumbers\/(PN\w+)\.json$/.exec(r.path)?.[1]);
    expect(posted.sort()).toEqual(notWritten.map((phone) => twilio(phone).sid).sort());
    const members = (await membersInState(fixture, "fleet"))!;
    expect(Object.keys(members)).toEqual(FLEET);
    // The originals, also for the members the killed run had written: not the set's URL.
    for (const phone of FLEET)
      expect([phone, members[phone]!.previous.voiceUrl]).toEqual([phone, OLD_VOICE_URL]);
    expectSuccess(await fixture.preview(STACK, "--expect-no-changes"), "preview after the recovery");

    expectSuccess(await fixture.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
    for (const phone of FLEET) expect([phone, twilio(phone).voice_url]).toEqual([phone, OLD_VOICE_URL]);
    expect(fixture.sandbox.control.releases()).toEqual([]);
  });

  it("2. destroy killed with some members restored: the next destroy restores the rest", async () => {
    f = await E2EFixture.start(demoSeedWith({ twilio: FLEET }));
    const fixture = f;
    await fixture.initStack(STACK, []);
    await fixture.declareSets(STACK, [twilioSet]);
    expectSuccess(await fixture.up(STACK), "up");
    for (const phone of FLEET) expect(twilio(phone).voice_url).toBe(VOICE);
    await patient(fixture);

    hangPosts([FLEET[5]!, FLEET[6]!]);
    await killWhen(fixture, ["destroy", "--yes", "--stack", STACK], () => hangs(fixture) === 2);
    const restored = FLEET.filter((phone) => twilio(phone).voice_url === OLD_VOICE_URL);
    const notRestored = FLEET.filter((phone) => !restored.includes(phone));
    for (const phone of notRestored) expect([phone, twilio(phone).voice_url]).toEqual([phone, VOICE]);
    expect(notRestored).toEqual(expect.arrayContaining([FLEET[5], FLEET[6]]));
    expect(restored.length).toBeGreaterThan(0);
    expect(notRestored.length).toBeGreaterThan(2);
    expect(await membersInState(fixture, "fleet")).toBeDefined(); // the set is still in the state
    expect(await pendingOperations(fixture)).toEqual([["deleting", PHONE_NUMBER_WEBHOOKS_SET_TYPE]]);

    expectSuccess(await fixture.project.run(["cancel", "--yes", "--stack", STACK]), "pulumi cancel");
    expectSuccess(
      await fixture.project.run(["destroy", "--yes", "--stack", STACK]),
      "destroy after the kill",
    );
    for (const phone of FLEET) expect([phone, twilio(phone).voice_url]).toEqual([phone, OLD_VOICE_URL]);
    expect(await fixture.resourcesInState(STACK, PHONE_NUMBER_WEBHOOKS_SET_TYPE)).toEqual([]);
    expect(await pendingOperations(fixture)).toEqual([]);
    expect(fixture.sandbox.control.releases()).toEqual([]);
  });
});

/**
 * A Telnyx set with `onShared: "isolate"` whose members share the demo's application and profile
 * with a number outside the set: the set gets one copy of each, made by its first member.
 */
const MEMBERS = ["+13125550200", "+13125550210", "+13125550211"];
const OUTSIDER = "+13125550201";
const URLS = {
  voiceUrl: "https://fleet.example.com/telnyx-voice",
  smsUrl: "https://fleet.example.com/telnyx-sms",
};

const ISOLATE_KILL_POINTS = [
  {
    name: "after the copy is made, while the first member moves onto it",
    hangs: MEMBERS[0]!,
    firstMemberMoved: false,
  },
  {
    // The first member is on both copies; the copies are in its journal entry only.
    name: "after the first member is on both copies, while the second moves",
    hangs: MEMBERS[1]!,
    firstMemberMoved: true,
  },
];

function isolateSeed(): SandboxSeed {
  // The new members are on the demo's shared application and profile, as the outsider is.
  return demoSeedWith({ onSupportApp: MEMBERS.slice(1) });
}

describe.skipIf(!binDir)('a Telnyx set (onShared: "isolate") killed while isolating its members', () => {
  let f: E2EFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  const counts = (fixture: E2EFixture) => {
    const t = fixture.sandbox.control.state().telnyx;
    return { cca: t.call_control_applications.length, profiles: t.messaging_profiles.length };
  };

  for (const point of ISOLATE_KILL_POINTS)
    it(`3. up killed ${point.name}: the next up ends with one copy of each, destroy leaves none`, async () => {
      f = await E2EFixture.start(isolateSeed());
      const fixture = f;
      const number = (phone: string) => fixture.sandbox.control.telnyxNumber(phone)!;
      await fixture.initStack(STACK, []);
      await fixture.declareSets(STACK, [
        {
          name: "support",
          provider: "telnyx",
          numbers: MEMBERS,
          ...URLS,
          onShared: "isolate",
          concurrency: 1,
        },
      ]);
      await patient(fixture);
      const seed = counts(fixture);
      const app = number(MEMBERS[0]!).connection_id!;
      const profile = number(MEMBERS[0]!).messaging_profile_id!;
      for (const phone of [...MEMBERS, OUTSIDER])
        expect(number(phone)).toMatchObject({ connection_id: app, messaging_profile_id: profile });
      const originalApp = fixture.sandbox.control.telnyxObject("call_control_applications", app)!;
      const originalProfile = fixture.sandbox.control.telnyxObject("messaging_profiles", profile)!;
      const outsider = number(OUTSIDER);

      // The voice move of the member (PATCH /v2/phone_numbers/{id}) hangs: the copy exists by then.
      fixture.sandbox.control.injectFault({
        kind: "hang",
        times: 1,
        carrier: "telnyx",
        method: "PATCH",
        path: new RegExp(`^/v2/phone_numbers/${number(point.hangs).id}$`),
      });
      await killWhen(fixture, ["up", "--yes", "--stack", STACK], () => hangs(fixture) === 1);
      expect(counts(fixture).cca).toBe(seed.cca + 1);
      const first = number(MEMBERS[0]!);
      expect(first.connection_id !== app && first.messaging_profile_id !== profile).toBe(
        point.firstMemberMoved,
      );
      expect(await membersInState(fixture, "support")).toBeUndefined();
      expect(await pendingOperations(fixture)).toEqual([["creating", PHONE_NUMBER_WEBHOOKS_SET_TYPE]]);

      await clearAfterKilledUp(fixture);
      expectSuccess(await fixture.up(STACK), "up after the kill");
      expect(await pendingOperations(fixture)).toEqual([]);
      // One copy of each shared object, the killed run's: not a second one.
      expect(counts(fixture)).toEqual({ cca: seed.cca + 1, profiles: seed.profiles + 1 });
      const copies = {
        app: number(MEMBERS[0]!).connection_id!,
        profile: number(MEMBERS[0]!).messaging_profile_id!,
      };
      expect(copies.app).not.toBe(app);
      expect(copies.profile).not.toBe(profile);
      for (const phone of MEMBERS)
        expect([phone, number(phone)]).toEqual([
          phone,
          expect.objectContaining({ connection_id: copies.app, messaging_profile_id: copies.profile }),
        ]);
      expect(fixture.sandbox.control.telnyxObject("call_control_applications", copies.app)).toMatchObject({
        webhook_event_url: URLS.voiceUrl,
      });
      expect(fixture.sandbox.control.telnyxObject("messaging_profiles", copies.profile)).toMatchObject({
        webhook_url: URLS.smsUrl,
      });
      const members = (await membersInState(fixture, "support"))!;
      expect(Object.keys(members)).toEqual(MEMBERS);
      for (const phone of MEMBERS) {
        expect([phone, members[phone]!.previous]).toEqual([
          phone,
          { voiceUrl: originalApp.webhook_event_url, smsUrl: originalProfile.webhook_url },
        ]);
        expect([phone, members[phone]!.isolated]).toEqual([
          phone,
          [
            { holds: "voice", objectType: "call_control_application", originalId: app, copyId: copies.app },
            { holds: "sms", objectType: "messaging_profile", originalId: profile, copyId: copies.profile },
          ],
        ]);
      }
      // The number outside the set, and the originals, never changed.
      expect(number(OUTSIDER)).toEqual(outsider);
      expect(fixture.sandbox.control.telnyxObject("call_control_applications", app)).toEqual(originalApp);
      expect(fixture.sandbox.control.telnyxObject("messaging_profiles", profile)).toEqual(originalProfile);
      expectSuccess(await fixture.preview(STACK, "--expect-no-changes"), "preview after the recovery");

      expectSuccess(await fixture.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
      expect(counts(fixture)).toEqual(seed);
      for (const phone of [...MEMBERS, OUTSIDER])
        expect([phone, number(phone)]).toEqual([
          phone,
          expect.objectContaining({ connection_id: app, messaging_profile_id: profile }),
        ]);
      expect(number(OUTSIDER)).toEqual(outsider);
      expect(fixture.sandbox.control.telnyxObject("call_control_applications", app)).toEqual(originalApp);
      expect(fixture.sandbox.control.telnyxObject("messaging_profiles", profile)).toEqual(originalProfile);
      expect(fixture.sandbox.control.releases()).toEqual([]);
    });
});
