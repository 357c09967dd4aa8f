/**
 * `PhoneNumberWebhooksSet` through its provider, against the sandbox and the real carrier SDKs:
 * members taken over, drift of one member, partial failure and recovery, destroy restoring all.
 */
import { readdirSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import { decodeMemberRecords, type CheckedSetArgs, type StoredSetOutputs } from "../../provider/set-schema";
import { demoSeedWith, OLD_VOICE_URL, startHarness, type CarrierHarness } from "../support/sandbox";

const FLEET = Array.from({ length: 12 }, (_, i) => `+1415555${String(1000 + i)}`);
const VOICE = "https://hooks.example.com/voice";
const SMS = "https://hooks.example.com/sms";

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(demoSeedWith({ twilio: FLEET }));
});
afterEach(async () => {
  await h.close();
});

function setProvider(): PhoneNumberWebhooksSetProvider {
  return new PhoneNumberWebhooksSetProvider(h.provider());
}

/** `check`, failing the test on failures, as the engine would stop there. */
async function checked(provider: PhoneNumberWebhooksSetProvider, args: Record<string, unknown>) {
  const result = await provider.check(undefined, { label: "fleet", ...args });
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as CheckedSetArgs & Record<string, unknown>;
}

const live = (phone: string) => h.sandbox.control.twilioNumber(phone)!;

/** The member records of a set's outputs, as the state holds them (encoded). */
const recordsOf = (outs: Pick<StoredSetOutputs, "members">) => decodeMemberRecords(outs.members);

describe("PhoneNumberWebhooksSet on Twilio", () => {
  it("takes over every listed member, keeps a compact record, and previews no change after", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, {
      provider: "twilio",
      voiceUrl: VOICE,
      smsUrl: SMS,
      numbers: FLEET,
    });
    expect(Object.keys(inputs.members as object)).toEqual(FLEET);
    const { id, outs } = await provider.create(inputs);
    expect(id).toBe("twilio:fleet");
    expect(outs!.memberCount).toBe(FLEET.length);
    for (const phone of FLEET) {
      expect(live(phone).voice_url).toBe(VOICE);
      expect(live(phone).sms_url).toBe(SMS);
      expect(recordsOf(outs!)[phone]!.previous.voiceUrl).toBe(OLD_VOICE_URL);
    }
    const bytes = JSON.stringify(recordsOf(outs!)[FLEET[0]!]).length;
    expect(bytes).toBeLessThan(600);
    expect((await provider.diff(id, outs!, inputs)).changes).toBe(false);
  });

  it("shows one member's drift under its number, and the update writes only that member", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const { id, outs } = await provider.create(inputs);
    h.sandbox.control.editTwilioNumber(FLEET[3]!, { voice_url: "https://console.example.com/drift" });
    const read = await setProvider().read(id, outs);
    const shown = (read.inputs as { members: Record<string, object> }).members;
    expect(shown[FLEET[3]!]).toEqual({ voiceUrl: "https://console.example.com/drift" });
    expect(shown[FLEET[2]!]).toEqual({});
    const refreshed = read.props;
    expect((await provider.diff(id, refreshed, inputs)).changes).toBe(true);
    h.sandbox.control.clearLog();
    const updated = await setProvider().update(id, refreshed, inputs);
    const writes = h.sandbox.control.requests().filter((r) => r.method === "POST");
    expect(writes.map((r) => r.path)).toEqual([
      expect.stringContaining(recordsOf(updated.outs!)[FLEET[3]!]!.ids.phoneNumberSid!),
    ]);
    expect(live(FLEET[3]!).voice_url).toBe(VOICE);
  });

  it("starts neighbouring members apart (they may share objects), and still applies each once", async () => {
    const provider = setProvider();
    // 2 at a time: 8 runs of 2 neighbours, started [0, 2, 4, …, 10, 1, 3, …, 11].
    const inputs = await checked(provider, {
      provider: "twilio",
      voiceUrl: VOICE,
      numbers: FLEET,
      concurrency: 2,
    });
    h.sandbox.control.clearLog();
    const { outs } = await provider.create(inputs);
    const sidToPhone = new Map(FLEET.map((phone) => [recordsOf(outs!)[phone]!.ids.phoneNumberSid!, phone]));
    const written = h.sandbox.control
      .requests()
      .filter((r) => r.method === "POST")
      .map((r) => sidToPhone.get(/(PN\w+)\.json$/.exec(r.path)?.[1] ?? ""));
    expect([...written].sort()).toEqual(FLEET);
    // With 2 in flight, the 7th member starts only after 5 have written.
    expect(written.slice(0, 5).every((phone) => FLEET.indexOf(phone!) % 2 === 0)).toBe(true);
  });

  it("applies and records the members that succeed, names the ones that fail, then finishes only those", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const failing = [FLEET[4]!, FLEET[9]!];
    const sids = failing.map((phone) => live(phone).sid);
    // Twilio refuses the two numbers' writes (a 400 is not retried).
    for (const sid of sids)
      h.sandbox.control.injectFault({
        carrier: "twilio",
        method: "POST",
        path: new RegExp(sid),
        status: 400,
        times: Infinity,
      });
    const failure = (await provider
      .create({ ...inputs, __provider: "stored" })
      .catch((e: unknown) => e)) as Error & {
      id: string;
      properties: StoredSetOutputs & { __provider: string };
    };
    expect(failure.message).toMatch(/^2 of 12 number\(s\) failed to apply: /);
    for (const phone of failing) expect(failure.message).toContain(phone);
    expect(failure.message).toContain("the next `pulumi up` retries only these");
    expect(failure.id).toBe("twilio:fleet");
    expect(failure.properties.__provider).toBe("stored");
    const recorded = Object.keys(recordsOf(failure.properties));
    expect(recorded).toEqual(FLEET.filter((phone) => !failing.includes(phone)));
    for (const phone of recorded) expect(live(phone).voice_url).toBe(VOICE);
    for (const phone of failing) expect(live(phone).voice_url).toBe(OLD_VOICE_URL);

    // The carrier accepts them again: the next up writes only the two that failed.
    h.sandbox.control.clearFaults();
    expect((await provider.diff(failure.id, failure.properties, inputs)).changes).toBe(true);
    h.sandbox.control.clearLog();
    const { outs } = await setProvider().update(failure.id, failure.properties, inputs);
    const writes = h.sandbox.control.requests().filter((r) => r.method === "POST");
    expect(writes).toHaveLength(2);
    expect(writes.map((r) => r.path).sort()).toEqual(sids.map((sid) => expect.stringContaining(sid)));
    expect(Object.keys(recordsOf(outs!))).toEqual(FLEET);
    expect(recordsOf(outs!)[FLEET[4]!]!.previous.voiceUrl).toBe(OLD_VOICE_URL);
  });

  it("gives every member its previous webhooks back on delete", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const { id, outs } = await provider.create(inputs);
    await setProvider().delete(id, outs!);
    for (const phone of FLEET) expect(live(phone).voice_url).toBe(OLD_VOICE_URL);
    expect(h.sandbox.control.releases()).toEqual([]);
  });

  it("refuses selectors that are malformed, of the wrong carrier, or name nothing in the account", async () => {
    const failures = async (args: Record<string, unknown>) =>
      (await setProvider().check(undefined, { label: "fleet", voiceUrl: VOICE, ...args })).failures;
    expect(await failures({ select: { friendlyNameRegex: "(" } })).toEqual([
      {
        property: "select.friendlyNameRegex",
        reason: expect.stringContaining(
          "select.friendlyNameRegex must be a valid JavaScript regular expression",
        ),
      },
    ]);
    expect(await failures({ provider: "telnyx", select: { friendlyNamePrefix: "Sales" } })).toEqual([
      {
        property: "select.friendlyNamePrefix",
        reason: expect.stringContaining(
          'select.friendlyNamePrefix selects twilio numbers, but provider is "telnyx"',
        ),
      },
    ]);
    expect(await failures({ select: { tag: "x", friendlyNamePrefix: "y" } })).toEqual([
      {
        property: "select",
        reason: expect.stringContaining('select mixes the keys of "twilio" and "telnyx"'),
      },
    ]);
    expect(await failures({ select: { messagingServiceSid: `MG${"0".repeat(32)}` } })).toEqual([
      { property: "select", reason: expect.stringContaining(`has no Messaging Service MG${"0".repeat(32)}`) },
    ]);
    expect(await failures({ select: { connectionId: "123" }, onShared: "isolate" })).toEqual([
      {
        property: "select.connectionId",
        reason: expect.stringContaining('select.connectionId cannot be combined with onShared: "isolate"'),
      },
    ]);
    expect(await failures({})).toEqual([
      { property: "numbers", reason: expect.stringContaining("numbers or select is required") },
    ]);
  });

  it("previews a set whose numbers are not known yet as changing, and runs nothing", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const { id, outs } = await provider.create(inputs);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const later = await provider.check(undefined, {
      label: "fleet",
      provider: "twilio",
      voiceUrl: VOICE,
      numbers: [FLEET[0], unknown],
    });
    expect(later.failures).toEqual([]);
    expect(later.inputs!.members).toBe(unknown);
    expect((await provider.diff(id, outs!, later.inputs as CheckedSetArgs)).changes).toBe(true);
  });

  it("refuses bad members naming the entry and the rule", async () => {
    const result = await setProvider().check(undefined, {
      label: "fleet",
      voiceUrl: VOICE,
      numbers: [
        "+14155551000",
        "4155551001",
        { phoneNumber: "+14155551002", smsUrl: "http://x.example.com" },
        "+14155551000",
      ],
    });
    expect(result.failures).toEqual([
      {
        property: "numbers[1]",
        reason: expect.stringContaining("numbers[1]: Invalid phone number format (must be E.164"),
      },
      {
        property: "numbers[2].smsUrl",
        reason: expect.stringContaining("numbers[2]: Invalid URL format for smsUrl"),
      },
      {
        property: "numbers[3]",
        reason: "numbers[3]: +14155551000 is already numbers[0]: list each number once",
      },
    ]);
  });
});

describe("PhoneNumberWebhooksSet on Telnyx, where numbers share applications and profiles", () => {
  const PAIR = ["+13125550200", "+13125550201"];
  const app = (phone: string) => h.sandbox.control.telnyxNumber(phone)!.connection_id!;
  /** A number bought on the application and profile the pair is on. */
  const buyOnSupportApp = (phone: string, tags: string[] = []) =>
    h.sandbox.control.buyTelnyxNumber({
      phone_number: phone,
      connection_name: "support-app",
      messaging_profile_name: "support-sms",
      tags,
    } as never);
  const events = (id: string) =>
    h.sandbox.control.telnyxObject("call_control_applications", id)?.webhook_event_url;
  const profileUrl = (id: string) => h.sandbox.control.telnyxObject("messaging_profiles", id)?.webhook_url;
  const objectCounts = () => {
    const t = h.sandbox.control.state().telnyx;
    return { cca: t.call_control_applications.length, profiles: t.messaging_profiles.length };
  };

  beforeEach(async () => {
    await h.close();
    const seed = demoSeedWith({});
    for (const n of seed.telnyx!.phone_numbers!)
      if (PAIR.includes(n.phone_number)) Object.assign(n, { tags: ["fleet"] });
    h = await startHarness(seed);
  });

  it("refuses members that declare different values on one object before any of them writes", async () => {
    const provider = setProvider();
    const args = {
      label: "fleet",
      provider: "telnyx",
      voiceUrl: VOICE,
      numbers: [PAIR[0]!, { phoneNumber: PAIR[1]!, voiceUrl: `${VOICE}/own` }],
      onShared: "update",
    };
    const shared = app(PAIR[0]!);
    const refusal = `Conflicting values among the members of fleet for the objects they share: voiceUrl on connection/${shared} (${PAIR[0]} sets "${VOICE}"; ${PAIR[1]} sets "${VOICE}/own")`;
    // The preview's check says so, in up's words...
    const { inputs, failures } = await provider.check(undefined, args);
    expect(failures).toEqual([{ property: "", reason: expect.stringContaining(refusal) }]);
    // ...and so does up, were it to run anyway.
    h.sandbox.control.clearLog();
    await expect(provider.create(inputs as CheckedSetArgs)).rejects.toThrow(refusal);
    expect(h.sandbox.control.requests().filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("a member that joins an object the set wrote records the originals the others recorded", async () => {
    const original = events(app(PAIR[0]!));
    const provider = setProvider();
    // One member at a time: the member that joined restores after the others have.
    const args = { voiceUrl: VOICE, select: { tag: "fleet" }, concurrency: 1 };
    const inputs = await checked(provider, args);
    const { id, outs } = await provider.create(inputs);
    expect(events(app(PAIR[0]!))).toBe(VOICE);
    buyOnSupportApp("+13125550203", ["fleet"]);
    const later = setProvider();
    const joined = await checked(later, args);
    expect(Object.keys(joined.members as object)).toEqual([...PAIR, "+13125550203"]);
    const updated = await later.update(id, outs!, joined);
    // Not the set's own value, which the application held when it joined.
    expect(recordsOf(updated.outs!)["+13125550203"]!.previous.voiceUrl).toBe(original);
    await setProvider().delete(id, updated.outs!);
    expect(events(app(PAIR[0]!))).toBe(original);
  });

  it("isolates the members onto one copy per shared object, leaving the other numbers alone", async () => {
    const outsider = "+13125550203";
    buyOnSupportApp(outsider);
    const shared = app(PAIR[0]!);
    const original = events(shared);
    const provider = setProvider();
    const inputs = await checked(provider, {
      voiceUrl: VOICE,
      select: { tag: "fleet" },
      onShared: "isolate",
    });
    const { id, outs } = await provider.create(inputs);
    const copy = app(PAIR[0]!);
    expect(copy).not.toBe(shared);
    expect(app(PAIR[1]!)).toBe(copy);
    expect(events(copy)).toBe(VOICE);
    expect(h.sandbox.control.telnyxObject("call_control_applications", copy)!.application_name).toBe(
      `support-app (fleet) [copy of ${shared}]`,
    );
    expect(app(outsider)).toBe(shared);
    expect(events(shared)).toBe(original);
    expect(recordsOf(outs!)[PAIR[0]!]!.isolated).toEqual([
      expect.objectContaining({ holds: "voice", originalId: shared, copyId: copy }),
    ]);
    // An unchanged set previews nothing: its members still match their tag on the copy.
    const again = await checked(setProvider(), {
      voiceUrl: VOICE,
      select: { tag: "fleet" },
      onShared: "isolate",
    });
    expect((await provider.diff(id, outs!, again)).changes).toBe(false);

    await setProvider().delete(id, outs!);
    for (const phone of PAIR) expect(app(phone)).toBe(shared);
    expect(h.sandbox.control.telnyxObject("call_control_applications", copy)).toBeUndefined();
    expect(events(shared)).toBe(original);
  });

  it("members that fail on a shared object both put it back: the first one's claim does not keep the second's write", async () => {
    const shared = app(PAIR[0]!);
    const original = events(shared);
    const provider = setProvider();
    const inputs = await checked(provider, {
      voiceUrl: VOICE,
      smsUrl: SMS,
      select: { tag: "fleet" },
      concurrency: 1,
    });
    // The application is written, then the profile refused, for each member in turn.
    h.sandbox.control.injectFault({
      carrier: "telnyx",
      method: "PATCH",
      path: /\/messaging_profiles\//,
      status: 400,
      times: Infinity,
    });
    const failure = (await provider.create(inputs).catch((e: unknown) => e)) as Error & {
      properties: StoredSetOutputs;
    };
    expect(failure.message).toMatch(/^2 of 2 number\(s\) failed to apply: /);
    expect(failure.message).not.toContain("run `pulumi up` again to converge");
    expect(recordsOf(failure.properties)).toEqual({});
    // Both say their earlier writes were put back: the application has its original URL.
    expect(events(shared)).toBe(original);
  });

  /**
   * The member moves onto the set's copy, then neither its next move nor the move back goes
   * through: it stays on the copy, which only its journal entry names.
   */
  const stallAfterFirstMove = (phone: string) =>
    h.sandbox.control.injectFault({
      carrier: "telnyx",
      method: "PATCH",
      path: new RegExp(`/phone_numbers/${h.sandbox.control.telnyxNumber(phone)!.id}(/messaging)?$`),
      status: 400,
      skip: 1,
      times: Infinity,
    });

  it("a copy a failed create left in the journal is the set's: the next up puts every member on it", async () => {
    const outsider = "+13125550203";
    buyOnSupportApp(outsider);
    const shared = app(PAIR[0]!);
    const provider = setProvider();
    const args = {
      voiceUrl: VOICE,
      smsUrl: SMS,
      select: { tag: "fleet" },
      onShared: "isolate",
      concurrency: 1,
    };
    const inputs = await checked(provider, args);
    const second = h.sandbox.control.telnyxNumber(PAIR[1]!)!.id;
    // The first member stays on the copy (journaled). The second member fails before writing.
    stallAfterFirstMove(PAIR[0]!);
    h.sandbox.control.injectFault({
      carrier: "telnyx",
      path: new RegExp(`/phone_numbers/${second}$`),
      status: 400,
      times: Infinity,
    });
    const failure = (await provider
      .create({ ...inputs, __provider: "stored" })
      .catch((e: unknown) => e)) as Error & { id: string; properties: StoredSetOutputs };
    expect(failure.message).toMatch(/^2 of 2 number\(s\) failed to apply: /);
    expect(failure.message).toContain("run `pulumi up` again to converge");
    expect(recordsOf(failure.properties)).toEqual({});
    const copy = app(PAIR[0]!);
    expect(copy).not.toBe(shared);

    h.sandbox.control.clearFaults();
    const { outs } = await setProvider().update(failure.id, failure.properties, inputs);
    for (const phone of PAIR) expect(app(phone)).toBe(copy);
    expect(Object.keys(recordsOf(outs!))).toEqual(PAIR);
    expect(recordsOf(outs!)[PAIR[1]!]!.isolated).toContainEqual(
      expect.objectContaining({ holds: "voice", originalId: shared, copyId: copy }),
    );
    await setProvider().delete(failure.id, outs!);
    for (const phone of PAIR) expect(app(phone)).toBe(shared);
    expect(h.sandbox.control.telnyxObject("call_control_applications", copy)).toBeUndefined();
  });

  /**
   * An isolating set of the pair, with +…203 also on their objects, whose create fails for the
   * first member, left on the set's copy (`stallAfterFirstMove`). The second joins.
   */
  async function createFailingFirstJoin() {
    buyOnSupportApp("+13125550203");
    const shared = app(PAIR[0]!);
    const args = {
      provider: "telnyx",
      voiceUrl: VOICE,
      smsUrl: SMS,
      numbers: PAIR,
      onShared: "isolate",
      concurrency: 1,
    };
    const provider = setProvider();
    const inputs = await checked(provider, args);
    stallAfterFirstMove(PAIR[0]!);
    const failure = (await provider
      .create({ ...inputs, __provider: "stored" })
      .catch((e: unknown) => e)) as Error & { id: string; properties: StoredSetOutputs };
    h.sandbox.control.clearFaults();
    return { shared, args, failure };
  }
  const journalEntries = () => readdirSync(h.journalDir).filter((f) => f.endsWith(".json"));

  it("a member whose join failed and that leaves the set is given back what its journal entry holds, and the entry goes", async () => {
    const { shared, args, failure } = await createFailingFirstJoin();
    expect(failure.properties.failedToJoin).toEqual([PAIR[0]]);
    expect(Object.keys(recordsOf(failure.properties))).toEqual([PAIR[1]]);
    const copy = app(PAIR[0]!);
    expect(copy).not.toBe(shared);
    expect(journalEntries()).toContain(`telnyx-${PAIR[0]!.slice(1)}.json`);

    // Removed from the program: the update gives it back (home, off the copy) and forgets it.
    const remaining = await checked(setProvider(), { ...args, numbers: [PAIR[1]!] });
    expect((await setProvider().diff(failure.id, failure.properties, remaining)).changes).toBe(true);
    const { outs } = await setProvider().update(failure.id, failure.properties, remaining);
    expect(outs!.failedToJoin).toBeUndefined();
    expect(app(PAIR[0]!)).toBe(shared);
    expect(app(PAIR[1]!)).toBe(copy);
    expect(journalEntries()).not.toContain(`telnyx-${PAIR[0]!.slice(1)}.json`);
    await setProvider().delete(failure.id, outs!);
    for (const phone of PAIR) expect(app(phone)).toBe(shared);
    expect(h.sandbox.control.telnyxObject("call_control_applications", copy)).toBeUndefined();
    expect(journalEntries()).toEqual([]);
  });

  it("a destroy gives back a member whose join failed", async () => {
    const counts = objectCounts();
    const { shared, failure } = await createFailingFirstJoin();
    expect(failure.properties.failedToJoin).toEqual([PAIR[0]]);
    await setProvider().delete(failure.id, failure.properties);
    for (const phone of PAIR) expect(app(phone)).toBe(shared);
    expect(objectCounts()).toEqual(counts);
    expect(journalEntries()).toEqual([]);
  });

  it("a create killed after a member was isolated: the next create moves every member onto that member's copies, not new ones", async () => {
    const outsider = "+13125550203";
    buyOnSupportApp(outsider);
    const shared = {
      app: app(PAIR[0]!),
      profile: h.sandbox.control.telnyxNumber(PAIR[0]!)!.messaging_profile_id!,
    };
    const original = { voice: events(shared.app), sms: profileUrl(shared.profile) };
    const counts = objectCounts();
    const args = { provider: "telnyx", voiceUrl: VOICE, smsUrl: SMS, onShared: "isolate", concurrency: 1 };
    // What a run killed after its first member, before the second, leaves (the engine writes a
    // set's state once, after all its members): the first member on the set's copies, its journal
    // entry naming them, and no state. A create of the first member alone, whose outputs are
    // dropped, leaves exactly that.
    await setProvider().create(await checked(setProvider(), { ...args, numbers: [PAIR[0]!] }));
    const copies = {
      app: app(PAIR[0]!),
      profile: h.sandbox.control.telnyxNumber(PAIR[0]!)!.messaging_profile_id!,
    };
    expect(objectCounts()).toEqual({ cca: counts.cca + 1, profiles: counts.profiles + 1 });

    const provider = setProvider();
    const { id, outs } = await provider.create(await checked(provider, { ...args, numbers: PAIR }));
    expect(objectCounts()).toEqual({ cca: counts.cca + 1, profiles: counts.profiles + 1 });
    for (const phone of PAIR) {
      expect(h.sandbox.control.telnyxNumber(phone)).toMatchObject({
        connection_id: copies.app,
        messaging_profile_id: copies.profile,
      });
      expect(recordsOf(outs!)[phone]!.previous).toEqual({ voiceUrl: original.voice, smsUrl: original.sms });
      expect(recordsOf(outs!)[phone]!.isolated?.map((i) => [i.originalId, i.copyId])).toEqual([
        [shared.app, copies.app],
        [shared.profile, copies.profile],
      ]);
    }
    expect(app(outsider)).toBe(shared.app);

    await setProvider().delete(id, outs!);
    expect(objectCounts()).toEqual(counts);
    for (const phone of PAIR) expect(app(phone)).toBe(shared.app);
    expect(events(shared.app)).toBe(original.voice);
    expect(profileUrl(shared.profile)).toBe(original.sms);
  });
});
