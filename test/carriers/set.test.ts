/**
 * `PhoneNumberWebhooksSet` through its provider, against the sandbox and the real carrier SDKs:
 * members taken over, drift of one member, partial failure and recovery, destroy restoring all.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import type { CheckedSetArgs, SetOutputs } from "../../provider/set-schema";
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
      expect(outs!.members[phone]!.previous.voiceUrl).toBe(OLD_VOICE_URL);
    }
    const bytes = JSON.stringify(outs!.members[FLEET[0]!]).length;
    expect(bytes).toBeLessThan(600);
    expect((await provider.diff(id, outs!, inputs)).changes).toBe(false);
  });

  it("shows one member's drift under its number, and the update writes only that member", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const { id, outs } = await provider.create(inputs);
    h.sandbox.control.editTwilioNumber(FLEET[3]!, { voice_url: "https://console.example.com/drift" });
    const read = await setProvider().read(id, outs as SetOutputs);
    const shown = (read.inputs as { members: Record<string, object> }).members;
    expect(shown[FLEET[3]!]).toEqual({ voiceUrl: "https://console.example.com/drift" });
    expect(shown[FLEET[2]!]).toEqual({});
    const refreshed = read.props as SetOutputs;
    expect((await provider.diff(id, refreshed, inputs)).changes).toBe(true);
    h.sandbox.control.clearLog();
    const updated = await setProvider().update(id, refreshed, inputs);
    const writes = h.sandbox.control.requests().filter((r) => r.method === "POST");
    expect(writes.map((r) => r.path)).toEqual([
      expect.stringContaining(updated.outs!.members[FLEET[3]!]!.ids.phoneNumberSid!),
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
    const sidToPhone = new Map(FLEET.map((phone) => [outs!.members[phone]!.ids.phoneNumberSid!, phone]));
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
      properties: SetOutputs & { __provider: string };
    };
    expect(failure.message).toMatch(/^2 of 12 number\(s\) failed to apply: /);
    for (const phone of failing) expect(failure.message).toContain(phone);
    expect(failure.message).toContain("the next `pulumi up` retries only these");
    expect(failure.id).toBe("twilio:fleet");
    expect(failure.properties.__provider).toBe("stored");
    const recorded = Object.keys(failure.properties.members);
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
    expect(Object.keys(outs!.members)).toEqual(FLEET);
    expect(outs!.members[FLEET[4]!]!.previous.voiceUrl).toBe(OLD_VOICE_URL);
  });

  it("gives every member its previous webhooks back on delete", async () => {
    const provider = setProvider();
    const inputs = await checked(provider, { provider: "twilio", voiceUrl: VOICE, numbers: FLEET });
    const { id, outs } = await provider.create(inputs);
    await setProvider().delete(id, outs as SetOutputs);
    for (const phone of FLEET) expect(live(phone).voice_url).toBe(OLD_VOICE_URL);
    expect(h.sandbox.control.releases()).toEqual([]);
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
