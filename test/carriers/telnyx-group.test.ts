/**
 * `WriteOptions.group` against the sandbox through the real telnyx SDK: the members of a
 * `PhoneNumberWebhooksSet` on Telnyx's shared applications and profiles. Members are not "other
 * numbers"; an object of members only is written once, in place; with `isolate` the group gets one
 * copy of each shared object; restoring deletes a copy once its last member has left.
 *
 * The carrier is driven as the lifecycle drives it (find, planWrites, each step's write, undo of
 * the steps made on a failure), one member at a time per call and all members at once, as a set does.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import Telnyx from "telnyx";
import { telnyxCarrier } from "../../provider/carriers/telnyx";
import type { Carrier, Isolation, NumberGroup, WriteOptions } from "../../provider/carriers/carrier";
import { DEFAULT_RETRY_POLICY } from "../../provider/retry";
import type { WebhookChanges } from "../../provider/webhooks";
import { providerEnvironment } from "../../sandbox";
import { demoSeedWith, startHarness, type CarrierHarness } from "../support/sandbox";

// The demo's two numbers on "support-app" (Call Control) and "support-sms", and five more.
const OUTSIDERS = ["+13125550200", "+13125550201"];
const MEMBERS = ["+13125550220", "+13125550221", "+13125550222", "+13125550223", "+13125550224"];
const EVERYONE = [...OUTSIDERS, ...MEMBERS];
const LABEL = "support-lines";
const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";
const CHANGES: WebhookChanges = { voiceUrl: VOICE, smsUrl: SMS };

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(demoSeedWith({ onSupportApp: MEMBERS }));
});
afterEach(async () => {
  await h.close();
});

const control = () => h.sandbox.control;
const number = (phone: string) => control().telnyxNumber(phone)!;
const cca = (id: string) => control().telnyxObject("call_control_applications", id);
const profile = (id: string) => control().telnyxObject("messaging_profiles", id);
const ORIGINAL = () => ({
  voice: number(OUTSIDERS[0]!).connection_id!,
  sms: number(OUTSIDERS[0]!).messaging_profile_id!,
});
const objectCount = () => {
  const state = control().state().telnyx;
  return { cca: state.call_control_applications.length, profiles: state.messaging_profiles.length };
};

/** The writes (every call but GETs) since the log was cleared, by endpoint. */
function writes(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of control().requests())
    if (r.method !== "GET") counts[r.endpoint] = (counts[r.endpoint] ?? 0) + 1;
  return counts;
}

/** A carrier as one provider process has it: caches and locks shared by every member. */
async function newCarrier(): Promise<Carrier> {
  const env = providerEnvironment(h.sandbox);
  return telnyxCarrier.create(
    { apiKey: env.TELNYX_API_KEY, baseUrl: env.TELNYX_BASE_URL },
    DEFAULT_RETRY_POLICY,
  );
}

interface MemberResult {
  phoneNumber: string;
  notes: string[];
  isolated: Isolation[];
  /** What each `onCopyMade` saw: the copy, and where the number was when it ran. */
  journaled: Array<{ isolation: Isolation; connectionWas: string | null; profileWas: string | null }>;
}

/** One member's write, as the lifecycle runs it: the steps in order, undone newest first on a failure. */
async function runMember(
  carrier: Carrier,
  phoneNumber: string,
  changes: WebhookChanges,
  options: Omit<WriteOptions, "onCopyMade">,
): Promise<MemberResult> {
  const journaled: MemberResult["journaled"] = [];
  const current = await carrier.find(phoneNumber);
  if (!current) throw new Error(`${phoneNumber} not found`);
  const steps = await carrier.planWrites(current, changes, {
    ...options,
    onCopyMade: async (isolation) => {
      const n = number(phoneNumber);
      journaled.push({
        isolation,
        connectionWas: n.connection_id ?? null,
        profileWas: n.messaging_profile_id ?? null,
      });
      await Promise.resolve();
    },
  });
  const done = [];
  try {
    for (const step of steps) {
      done.push(step);
      const answered = await step.write();
      for (const field of step.fields) expect(answered[field] ?? null).toBe(changes[field] ?? null);
    }
  } catch (error) {
    for (const step of done.reverse()) await step.undo();
    throw error;
  }
  const moves = steps.flatMap((s) => s.moved?.() ?? []);
  return {
    phoneNumber,
    notes: steps.flatMap((s) => s.note?.() ?? []),
    isolated: moves.filter((m) => m.direction === "isolated").map((m) => m.isolation),
    journaled,
  };
}

/** Every listed member at once, as a set applies them. */
function runGroup(
  carrier: Carrier,
  numbers: readonly string[],
  changes: (phoneNumber: string) => WebhookChanges,
  options: (phoneNumber: string) => Omit<WriteOptions, "onCopyMade">,
): Promise<PromiseSettledResult<MemberResult>[]> {
  return Promise.all(
    numbers.map((n) =>
      runMember(carrier, n, changes(n), options(n)).then(
        (value): PromiseSettledResult<MemberResult> => ({ status: "fulfilled", value }),
        (reason: unknown): PromiseSettledResult<MemberResult> => ({ status: "rejected", reason }),
      ),
    ),
  );
}

function fulfilled(results: PromiseSettledResult<MemberResult>[]): MemberResult[] {
  return results.map((r) => {
    if (r.status === "rejected") throw r.reason;
    return r.value;
  });
}

const group = (members: readonly string[], copies: readonly Isolation[] = []): NumberGroup => ({
  label: LABEL,
  members: new Set(members),
  copies,
});
const refuse = (g: NumberGroup) => () => ({ allowSharedUpdate: false, group: g });
const update = (g: NumberGroup) => () => ({ allowSharedUpdate: true, group: g });
const isolate = (g: NumberGroup) => () => ({ allowSharedUpdate: false, isolate: true, group: g });

/** The copies a group's members were moved onto, each once. */
const copiesOf = (results: MemberResult[]): Isolation[] => [
  ...new Map(results.flatMap((r) => r.isolated).map((i) => [i.copyId, i])).values(),
];

describe("a group of numbers on shared Telnyx objects", () => {
  it("covering every number of an application and a profile, with refuse: writes each once, in place, without notes", async () => {
    const original = ORIGINAL();
    const counts = objectCount();
    control().clearLog();
    const results = fulfilled(
      await runGroup(await newCarrier(), EVERYONE, () => CHANGES, refuse(group(EVERYONE))),
    );
    console.log(`group in place, 7 members: ${control().requests().length} calls`);
    expect(writes()).toEqual({
      "PATCH /v2/call_control_applications/{id}": 1,
      "PATCH /v2/messaging_profiles/{id}": 1,
    });
    expect(cca(original.voice)!.webhook_event_url).toBe(VOICE);
    expect(profile(original.sms)!.webhook_url).toBe(SMS);
    for (const n of EVERYONE)
      expect(number(n)).toMatchObject({ connection_id: original.voice, messaging_profile_id: original.sms });
    expect(objectCount()).toEqual(counts);
    expect(results.flatMap((r) => r.notes)).toEqual([]);
  });

  it("covering some of the numbers, with refuse: is refused naming the numbers outside it, and writes nothing", async () => {
    const original = ORIGINAL();
    const before = { cca: cca(original.voice), profile: profile(original.sms) };
    control().clearLog();
    const results = await runGroup(await newCarrier(), MEMBERS, () => CHANGES, refuse(group(MEMBERS)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    for (const r of results) {
      const message = String((r as PromiseRejectedResult).reason);
      expect(message).toMatch(/a member of support-lines\) shared with numbers outside it/);
      expect(message).toContain(
        `the Call Control application ${original.voice} also serves ${OUTSIDERS.join(", ")}`,
      );
      expect(message).toContain(`the messaging profile ${original.sms} also serves ${OUTSIDERS.join(", ")}`);
      // Members are not named as the numbers it is shared with.
      for (const m of MEMBERS) expect(message).not.toContain(`serves ${m}`);
      expect(message).toContain('Set onShared: "isolate" on support-lines');
    }
    expect(writes()).toEqual({});
    expect(cca(original.voice)).toEqual(before.cca);
    expect(profile(original.sms)).toEqual(before.profile);
  });

  it("with update: writes each shared object once for all five members", async () => {
    const original = ORIGINAL();
    control().clearLog();
    const results = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, update(group(MEMBERS))),
    );
    // Others are on them: each original's webhooks are kept on a backup first, once.
    expect(writes()).toEqual({
      "POST /v2/call_control_applications": 1,
      "POST /v2/messaging_profiles": 1,
      "PATCH /v2/call_control_applications/{id}": 1,
      "PATCH /v2/messaging_profiles/{id}": 1,
    });
    expect(cca(original.voice)!.webhook_event_url).toBe(VOICE);
    expect(profile(original.sms)!.webhook_url).toBe(SMS);
    expect(results.flatMap((r) => r.isolated)).toEqual([]);
  });

  it("with isolate: five members share one copy of each object, the two outsiders are untouched; restoring them all deletes each copy once", async () => {
    const original = ORIGINAL();
    const before = {
      cca: cca(original.voice),
      profile: profile(original.sms),
      outsiders: OUTSIDERS.map(number),
    };
    const counts = objectCount();
    control().clearLog();
    const results = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS))),
    );
    const isolating = writes();
    console.log(
      `group isolate, 5 members: ${control().requests().length} calls; writes ${JSON.stringify(isolating)}`,
    );
    expect(isolating).toEqual({
      "POST /v2/call_control_applications": 1,
      "POST /v2/messaging_profiles": 1,
      "PATCH /v2/phone_numbers/{id}": 5,
      "PATCH /v2/phone_numbers/{id}/messaging": 5,
    });
    expect(objectCount()).toEqual({ cca: counts.cca + 1, profiles: counts.profiles + 1 });

    const copies = copiesOf(results);
    expect(copies).toHaveLength(2);
    const voiceCopy = copies.find((i) => i.holds === "voice")!;
    const smsCopy = copies.find((i) => i.holds === "sms")!;
    expect(voiceCopy).toMatchObject({ objectType: "call_control_application", originalId: original.voice });
    expect(smsCopy).toMatchObject({ objectType: "messaging_profile", originalId: original.sms });
    expect(cca(voiceCopy.copyId)).toMatchObject({
      application_name: `support-app (support-lines) [copy of ${original.voice}]`,
      webhook_event_url: VOICE,
    });
    expect(profile(smsCopy.copyId)).toMatchObject({
      name: `support-sms (support-lines) [copy of ${original.sms}]`,
      webhook_url: SMS,
    });
    for (const r of results) {
      expect(number(r.phoneNumber)).toMatchObject({
        connection_id: voiceCopy.copyId,
        messaging_profile_id: smsCopy.copyId,
      });
      // Every member names the same copies, journaled while it was still on the originals.
      expect(r.isolated).toEqual([voiceCopy, smsCopy]);
      expect(r.journaled).toEqual([
        { isolation: voiceCopy, connectionWas: original.voice, profileWas: original.sms },
        { isolation: smsCopy, connectionWas: voiceCopy.copyId, profileWas: original.sms },
      ]);
    }
    expect(OUTSIDERS.map(number)).toEqual(before.outsiders);
    expect(cca(original.voice)).toEqual(before.cca);
    expect(profile(original.sms)).toEqual(before.profile);

    // Destroy: a new process, every member restored at once.
    control().clearLog();
    const restored = fulfilled(
      await runGroup(
        await newCarrier(),
        MEMBERS,
        () => ({
          voiceUrl: before.cca!.webhook_event_url as string,
          smsUrl: before.profile!.webhook_url as string,
        }),
        (n) => ({
          allowSharedUpdate: false,
          restoring: true,
          isolated: results.find((r) => r.phoneNumber === n)!.isolated,
          group: group(MEMBERS, copies),
        }),
      ),
    );
    const restoring = writes();
    console.log(
      `group restore, 5 members: ${control().requests().length} calls; writes ${JSON.stringify(restoring)}`,
    );
    expect(restoring).toEqual({
      "PATCH /v2/phone_numbers/{id}": 5,
      "PATCH /v2/phone_numbers/{id}/messaging": 5,
      "DELETE /v2/call_control_applications/{id}": 1,
      "DELETE /v2/messaging_profiles/{id}": 1,
    });
    expect(cca(voiceCopy.copyId)).toBeUndefined();
    expect(profile(smsCopy.copyId)).toBeUndefined();
    expect(objectCount()).toEqual(counts);
    for (const n of MEMBERS)
      expect(number(n)).toMatchObject({ connection_id: original.voice, messaging_profile_id: original.sms });
    expect(cca(original.voice)).toEqual(before.cca);
    expect(profile(original.sms)).toEqual(before.profile);
    // One member deleted each copy and says so; nobody warns about leaving a copy to other members.
    const notes = restored.flatMap((r) => r.notes);
    for (const copy of [voiceCopy, smsCopy]) {
      const deletion = notes.filter((n) => n.includes(`the copy ${copy.copyId} was deleted`));
      expect(deletion).toHaveLength(1);
      // It names every member that went back, not only the one that deleted it.
      for (const m of MEMBERS) expect(deletion[0]).toContain(m);
    }
    expect(notes.join("\n")).not.toMatch(/left in place/);
  });

  it("undoes a failed isolation as a group: every member moves back and each copy is deleted once, by the last to leave", async () => {
    const original = ORIGINAL();
    const counts = objectCount();
    // Moving onto the SMS copy is refused: each member has moved onto the voice copy by then.
    control().injectFault({ status: 422, times: 1000, method: "PATCH", path: /\/messaging$/ });
    control().clearLog();
    const results = await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS)));
    control().clearFaults();
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const counted = writes();
    expect(counted).toMatchObject({
      "POST /v2/call_control_applications": 1,
      "POST /v2/messaging_profiles": 1,
      "DELETE /v2/call_control_applications/{id}": 1,
      "DELETE /v2/messaging_profiles/{id}": 1,
    });
    // Each member moved onto the voice copy and back.
    expect(counted["PATCH /v2/phone_numbers/{id}"]).toBe(10);
    expect(objectCount()).toEqual(counts);
    for (const n of MEMBERS)
      expect(number(n)).toMatchObject({ connection_id: original.voice, messaging_profile_id: original.sms });
  });

  it("moves a member that joins later onto the copies made before, making none", async () => {
    const [joiner, ...firstFour] = MEMBERS as [string, ...string[]];
    const first = fulfilled(
      await runGroup(await newCarrier(), firstFour, () => CHANGES, isolate(group(firstFour))),
    );
    const copies = copiesOf(first);
    const counts = objectCount();

    // The next run: the set has five members, and its state the copies.
    control().clearLog();
    const results = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS, copies))),
    );
    expect(writes()).toEqual({
      "PATCH /v2/phone_numbers/{id}": 1,
      "PATCH /v2/phone_numbers/{id}/messaging": 1,
    });
    expect(objectCount()).toEqual(counts);
    const joined = results.find((r) => r.phoneNumber === joiner)!;
    expect(joined.isolated).toEqual(copies);
    expect(joined.journaled.map((j) => j.isolation)).toEqual(copies);
    for (const n of MEMBERS)
      expect(number(n)).toMatchObject({
        connection_id: copies.find((i) => i.holds === "voice")!.copyId,
        messaging_profile_id: copies.find((i) => i.holds === "sms")!.copyId,
      });
    // The members already on the copies had nothing to do.
    for (const r of results.filter((x) => x.phoneNumber !== joiner)) expect(r.isolated).toEqual([]);
  });

  it("patches the copy made before when the values changed, once for every member", async () => {
    const first = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS))),
    );
    const copies = copiesOf(first);
    const newVoice = "https://v2.example.com/voice";
    control().clearLog();
    fulfilled(
      await runGroup(
        await newCarrier(),
        MEMBERS,
        () => ({ voiceUrl: newVoice, smsUrl: SMS }),
        isolate(group(MEMBERS, copies)),
      ),
    );
    expect(writes()).toEqual({ "PATCH /v2/call_control_applications/{id}": 1 });
    expect(cca(copies.find((i) => i.holds === "voice")!.copyId)!.webhook_event_url).toBe(newVoice);
    expect(cca(ORIGINAL().voice)!.webhook_event_url).not.toBe(newVoice);
  });

  it("makes a new copy when the one recorded was deleted meanwhile", async () => {
    const first = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS))),
    );
    const copies = copiesOf(first);
    const voiceCopy = copies.find((i) => i.holds === "voice")!;
    const original = voiceCopy.originalId;
    // Deleted in the portal: its numbers are left without a connection; they go back to the original.
    const env = providerEnvironment(h.sandbox);
    await new Telnyx({
      apiKey: env.TELNYX_API_KEY,
      baseURL: env.TELNYX_BASE_URL,
      maxRetries: 0,
    }).callControlApplications.delete(voiceCopy.copyId);
    for (const n of MEMBERS) control().editTelnyx("phone_numbers", number(n).id, { connection_id: original });
    control().clearLog();
    const results = fulfilled(
      await runGroup(
        await newCarrier(),
        MEMBERS,
        () => CHANGES,
        (n) => ({
          ...isolate(group(MEMBERS, copies))(),
          isolated: first.find((r) => r.phoneNumber === n)!.isolated,
        }),
      ),
    );
    expect(writes()).toEqual({
      "POST /v2/call_control_applications": 1,
      "PATCH /v2/phone_numbers/{id}": 5,
    });
    const renewed = copiesOf(results);
    expect(renewed).toHaveLength(1);
    // (The sandbox derives a created object's id from its name: the new copy may have the old id.
    // The POST counted above is the proof that a new one was made.)
    expect(renewed[0]!.originalId).toBe(original);
    expect(cca(renewed[0]!.copyId)).toMatchObject({
      application_name: `support-app (support-lines) [copy of ${original}]`,
      webhook_event_url: VOICE,
    });
    for (const n of MEMBERS) expect(number(n).connection_id).toBe(renewed[0]!.copyId);
  });

  it("restoring only some members moves them back and leaves the copies to the others, without a warning", async () => {
    const original = ORIGINAL();
    const first = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS))),
    );
    const copies = copiesOf(first);
    const leaving = MEMBERS.slice(0, 2);
    control().clearLog();
    const restored = fulfilled(
      await runGroup(
        await newCarrier(),
        leaving,
        () => ({}),
        (n) => ({
          allowSharedUpdate: false,
          restoring: true,
          isolated: first.find((r) => r.phoneNumber === n)!.isolated,
          group: group(MEMBERS, copies),
        }),
      ),
    );
    expect(writes()).toEqual({
      "PATCH /v2/phone_numbers/{id}": 2,
      "PATCH /v2/phone_numbers/{id}/messaging": 2,
    });
    expect(restored.flatMap((r) => r.notes)).toEqual([]);
    for (const n of leaving)
      expect(number(n)).toMatchObject({ connection_id: original.voice, messaging_profile_id: original.sms });
    for (const i of copies) expect(i.holds === "voice" ? cca(i.copyId) : profile(i.copyId)).toBeDefined();
    for (const n of MEMBERS.slice(2))
      expect(number(n).connection_id).toBe(copies.find((i) => i.holds === "voice")!.copyId);
  });

  it("restoring a member keeps the existing note when a number outside the group was put on the copy", async () => {
    const first = fulfilled(
      await runGroup(await newCarrier(), MEMBERS, () => CHANGES, isolate(group(MEMBERS))),
    );
    const copies = copiesOf(first);
    const voiceCopy = copies.find((i) => i.holds === "voice")!;
    control().editTelnyx("phone_numbers", number(OUTSIDERS[0]!).id, { connection_id: voiceCopy.copyId });
    const restored = fulfilled(
      await runGroup(
        await newCarrier(),
        MEMBERS,
        () => ({}),
        (n) => ({
          allowSharedUpdate: false,
          restoring: true,
          isolated: first.find((r) => r.phoneNumber === n)!.isolated,
          group: group(MEMBERS, copies),
        }),
      ),
    );
    const notes = restored.flatMap((r) => r.notes).filter((n) => n.includes(voiceCopy.copyId));
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) expect(note).toContain(`was left in place: ${OUTSIDERS[0]} uses it now`);
    expect(cca(voiceCopy.copyId)).toBeDefined();
    expect(number(OUTSIDERS[0]!).connection_id).toBe(voiceCopy.copyId);
  });

  it("fails clearly when members want different values on an object only members use", async () => {
    const original = ORIGINAL();
    const [odd] = MEMBERS as [string, ...string[]];
    const oddSms = "https://odd.example.com/sms";
    const results = await runGroup(
      await newCarrier(),
      EVERYONE,
      (n) => (n === odd ? { voiceUrl: VOICE, smsUrl: oddSms } : CHANGES),
      refuse(group(EVERYONE)),
    );
    // Whoever plans second fails: the odd member, or (when it planned first) each of the others.
    const failures = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toContain(
        `Conflicting values among the members of support-lines for the messaging profile ${original.sms} they share: smsUrl (`,
      );
      expect(failure).toContain(odd);
      expect(failure).toContain(JSON.stringify(oddSms));
      expect(failure).toContain(JSON.stringify(SMS));
      expect(failure).toContain("give these members the same values");
      // The voice field, which they agree on, is not named.
      expect(failure).not.toMatch(/voiceUrl \(/);
    }
    // The object holds one of the two values, never a mix of writes.
    expect([SMS, oddSms]).toContain(profile(original.sms)!.webhook_url);
  });
});

describe("a group isolating with per-member values", () => {
  it("fails clearly when members want different values on the group's one copy", async () => {
    const original = ORIGINAL();
    const [odd] = MEMBERS as [string, ...string[]];
    const oddVoice = "https://odd.example.com/voice";
    const results = await runGroup(
      await newCarrier(),
      MEMBERS,
      (n) => (n === odd ? { voiceUrl: oddVoice, smsUrl: SMS } : CHANGES),
      isolate(group(MEMBERS)),
    );
    const failures = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toContain(
        `Conflicting values among the members of support-lines for the copy of Call Control application ${original.voice} made for support-lines: voiceUrl (`,
      );
      expect(failure).toContain(odd);
      expect(failure).toContain(JSON.stringify(oddVoice));
    }
    // A member that failed planning wrote nothing: it is still on the originals.
    const failed = MEMBERS.filter((_, index) => results[index]!.status === "rejected");
    for (const n of failed)
      expect(number(n)).toMatchObject({ connection_id: original.voice, messaging_profile_id: original.sms });
    // The members that went ahead share one copy, holding the value they declared.
    const succeeded = MEMBERS.filter((_, index) => results[index]!.status === "fulfilled");
    expect(succeeded.length).toBeGreaterThan(0);
    const copyId = number(succeeded[0]!).connection_id!;
    expect(copyId).not.toBe(original.voice);
    for (const n of succeeded) expect(number(n).connection_id).toBe(copyId);
    expect(cca(copyId)!.webhook_event_url).toBe(succeeded.includes(odd) ? oddVoice : VOICE);
  });
});
