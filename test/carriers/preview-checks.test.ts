/**
 * `check`, which is what runs in a preview, reports every refusal `up` would make for a carrier
 * reason, in `up`'s words, and writes nothing: a number not in the account, credentials missing
 * or refused, a Twilio application or Messaging Service that makes a declared URL a no-op, a
 * setting the detected carrier does not have, a shared Telnyx object without consent; for one
 * number and for a set's members. Without any credentials it warns once and passes. It reads
 * through the same caches `up` uses, and what it found (the carrier, its identifiers) is in the
 * inputs as `read` will give them back.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CARRIER_CHECKS_SKIPPED, type PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import type { CheckedSetArgs } from "../../provider/set-schema";
import { demoSeedWith, startHarness, type CarrierHarness } from "../support/sandbox";

const PLAIN = "+14155550100"; // Twilio, webhooks on the number
const WITH_APP = "+14155550101"; // Twilio, a voice application attached
const MISSING = "+14155550199"; // in no account
const SHARED_A = "+13125550200"; // Telnyx, shares a Call Control application and a profile with B
const SHARED_B = "+13125550201";
const ALONE = "+13125550202"; // Telnyx, alone on a TeXML application and its profile
const FLEET = Array.from({ length: 12 }, (_, i) => `+1415555${String(1000 + i)}`);
const VOICE = "https://hooks.example.com/voice";
const SMS = "https://hooks.example.com/sms";

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(demoSeedWith({ twilio: FLEET }));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
});

const requests = () => h.sandbox.control.requests();
const writes = () => requests().filter((r) => r.method !== "GET");

/** The failure `check` reports, and the error `create` raises, for the same arguments. */
async function refusedBoth(provider: PhoneNumberWebhooksProvider, args: Record<string, unknown>) {
  const { failures } = await provider.check({}, args);
  expect(writes()).toEqual([]);
  const error = await provider.create(args as never).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  return { failures: failures ?? [], error: error as Error };
}

describe("check reports what up would refuse, in up's words, and writes nothing", () => {
  it("a number in no account, its carrier to detect: every account searched", async () => {
    const detected = await refusedBoth(h.provider(), { phoneNumber: MISSING, voiceUrl: VOICE });
    expect(detected.failures).toEqual([
      {
        property: "phoneNumber",
        reason: `Phone number ${MISSING} not found in twilio or telnyx or signalwire account`,
      },
    ]);
    expect(detected.error.message).toBe(detected.failures[0]!.reason);
  });
  it("credentials that do not load (a token without its account SID)", async () => {
    const provider = h.provider({ TWILIO_ACCOUNT_SID: undefined });
    const { failures } = await provider.check(
      {},
      { phoneNumber: PLAIN, provider: "twilio", voiceUrl: VOICE },
    );
    expect(failures).toEqual([
      {
        property: "provider",
        reason: "Twilio credentials are incomplete: set twilio:accountSid (or TWILIO_ACCOUNT_SID) as well",
      },
    ]);
  });

  it.each([
    ["twilio", { TWILIO_AUTH_TOKEN: "0".repeat(32) }, "twilio:accountSid and twilio:authToken"],
    ["telnyx", { TELNYX_API_KEY: "KEY_not_the_sandbox_one" }, "telnyx:apiKey"],
  ] as const)(
    "on %s: a number not in the account, refused credentials, credentials missing",
    async (carrier, wrong, settings) => {
      const args = {
        phoneNumber: carrier === "twilio" ? MISSING : "+13125550299",
        provider: carrier,
        smsUrl: SMS,
      };
      const missing = await refusedBoth(h.provider(), args);
      expect(missing.failures).toEqual([
        {
          property: "phoneNumber",
          reason: `Phone number ${args.phoneNumber} not found in ${carrier} account`,
        },
      ]);
      expect(missing.error.message).toBe(missing.failures[0]!.reason);
      const refused = await refusedBoth(h.provider(wrong), {
        ...args,
        phoneNumber: carrier === "twilio" ? PLAIN : ALONE,
      });
      expect(refused.failures).toEqual([{ property: "provider", reason: refused.error.message }]);
      expect(refused.error.message).toMatch(/\(HTTP 401\): .+ did not accept the credentials: check /);
      expect(refused.error.message).toContain(settings);
      const other =
        carrier === "twilio"
          ? { TWILIO_ACCOUNT_SID: undefined, TWILIO_AUTH_TOKEN: undefined }
          : { TELNYX_API_KEY: undefined };
      const none = await refusedBoth(h.provider(other), args);
      expect(none.failures).toEqual([{ property: "provider", reason: none.error.message }]);
      expect(none.error.message).toMatch(new RegExp(`^No ${carrier} credentials: set ${carrier}:`));
    },
  );

  it("a Twilio voice application that makes the declared voice URL a no-op", async () => {
    const app = h.sandbox.control.twilioNumber(WITH_APP)!.voice_application_sid;
    const { failures, error } = await refusedBoth(h.provider(), { phoneNumber: WITH_APP, voiceUrl: VOICE });
    expect(failures).toEqual([{ property: "phoneNumber", reason: error.message }]);
    expect(error.message).toMatch(
      new RegExp(
        `^Failed to update webhooks for \\${WITH_APP} via twilio: voiceUrl would have no effect: .*${app}`,
      ),
    );
    // Its SMS URL is not overridden: that passes.
    expect((await h.provider().check({}, { phoneNumber: WITH_APP, smsUrl: SMS })).failures).toEqual([]);
  });

  it("a shared Telnyx object without consent; with onShared update or isolate it passes", async () => {
    const args = { phoneNumber: SHARED_A, voiceUrl: VOICE, smsUrl: SMS };
    const { failures, error } = await refusedBoth(h.provider(), args);
    expect(failures).toEqual([{ property: "phoneNumber", reason: error.message }]);
    expect(error.message).toMatch(
      new RegExp(
        `^Failed to update webhooks for \\${SHARED_A} via telnyx: Refusing to change webhooks shared with other numbers: .*also serves \\${SHARED_B}`,
      ),
    );
    h.sandbox.control.clearLog();
    for (const onShared of ["update", "isolate"])
      expect((await h.provider().check({}, { ...args, onShared })).failures).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it("a setting the detected carrier does not have: smsMethod on a Telnyx number, voiceMethod on a Call Control application", async () => {
    const sms = await refusedBoth(h.provider(), { phoneNumber: ALONE, smsUrl: SMS, smsMethod: "GET" });
    expect(sms.failures).toEqual([{ property: "phoneNumber", reason: sms.error.message }]);
    expect(sms.error.message).toBe(
      `Failed to update webhooks for ${ALONE} via telnyx: smsMethod is not supported by telnyx: messaging profile webhooks are always JSON POST; remove smsMethod`,
    );
    const voice = await refusedBoth(h.provider(), {
      phoneNumber: SHARED_A,
      voiceUrl: VOICE,
      voiceMethod: "GET",
      onShared: "update",
    });
    expect(voice.failures).toEqual([{ property: "phoneNumber", reason: voice.error.message }]);
    expect(voice.error.message).toMatch(/voiceMethod is not supported on a Telnyx Call Control application/);
  });

  it("onDelete: clear of a URL Telnyx requires", async () => {
    const { failures, error } = await refusedBoth(h.provider(), {
      phoneNumber: ALONE,
      voiceUrl: VOICE,
      onDelete: "clear",
    });
    expect(failures).toEqual([{ property: "phoneNumber", reason: error.message }]);
    expect(error.message).toMatch(/^onDelete: "clear" cannot empty voiceUrl of /);
  });
});

describe("what check asks, and when", () => {
  it("without any carrier credentials: passes, and warns once per process that it skipped the carriers", async () => {
    const warned = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const provider = h.provider({
      TWILIO_ACCOUNT_SID: undefined,
      TWILIO_AUTH_TOKEN: undefined,
      TELNYX_API_KEY: undefined,
      SIGNALWIRE_PROJECT_ID: undefined,
      SIGNALWIRE_API_TOKEN: undefined,
      SIGNALWIRE_SPACE_URL: undefined,
    });
    for (const phoneNumber of [PLAIN, MISSING, ALONE])
      expect(
        (await provider.check({}, { phoneNumber, provider: "twilio", voiceUrl: VOICE })).failures,
      ).toEqual([]);
    expect(requests()).toEqual([]);
    const skipped = warned.mock.calls
      .map((c) => String(c[0]))
      .filter((m) => m.includes("Carrier checks skipped"));
    expect(skipped).toEqual([`warning: [runtime] ${CARRIER_CHECKS_SKIPPED}`]);
  });

  it("asks nothing for an unchanged resource (up would not act on it), nor with phoneWebhooks:previewChecks false", async () => {
    const provider = h.provider();
    const args = { phoneNumber: PLAIN, voiceUrl: VOICE };
    const { inputs } = await provider.check({}, args);
    const { id, outs } = await provider.create(inputs as never);
    const read = await provider.read(id, outs!);
    h.sandbox.control.deleteNumber("twilio", PLAIN); // released since: only a change would fail
    h.sandbox.control.clearLog();
    const fresh = h.provider();
    expect((await fresh.check(read.inputs, args)).failures).toEqual([]);
    expect(requests()).toEqual([]);
    expect((await fresh.check(read.inputs, { ...args, voiceUrl: `${VOICE}/v2` })).failures).toEqual([
      { property: "phoneNumber", reason: `Phone number ${PLAIN} not found in twilio account` },
    ]);
    h.sandbox.control.clearLog();
    const off = h.provider({ PHONE_WEBHOOKS_PREVIEW_CHECKS: "false" });
    expect((await off.check({}, { phoneNumber: MISSING, voiceUrl: VOICE })).failures).toEqual([]);
    expect(requests()).toEqual([]);
  });

  it("puts the carrier and identifiers it found in the inputs, as read gives them back: no difference after a create", async () => {
    for (const args of [
      { phoneNumber: PLAIN, voiceUrl: VOICE }, // detected
      { phoneNumber: SHARED_A, provider: "telnyx", voiceUrl: VOICE, onShared: "update" },
      { phoneNumber: SHARED_B, smsUrl: SMS, onShared: "isolate" }, // moved onto a copy by create
    ]) {
      const provider = h.provider();
      const { inputs, failures } = await provider.check({}, args);
      expect(failures).toEqual([]);
      const { id, outs } = await provider.create(inputs as never);
      const read = await h.provider().read(id, outs!);
      expect(read.inputs).toEqual(inputs);
      await provider.delete(id, outs!);
    }
  });

  it("an isolated number whose copy was deleted in the portal passes: up isolates it again from its state", async () => {
    const provider = h.provider();
    const args = { phoneNumber: SHARED_A, voiceUrl: VOICE, onShared: "isolate" };
    const { inputs } = await provider.check({}, args);
    const { id, outs } = await provider.create(inputs as never);
    const copy = h.sandbox.control.telnyxNumber(SHARED_A)!.connection_id!;
    const deleted = await fetch(`${h.env.TELNYX_BASE_URL}/call_control_applications/${copy}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${h.env.TELNYX_API_KEY}` },
    });
    expect(deleted.status).toBeLessThan(300);
    const next = h.provider();
    const read = await next.read(id, outs!);
    const changed = { ...args, voiceUrl: `${VOICE}/v2` };
    const checked = await next.check(read.inputs, changed);
    expect(checked.failures).toEqual([]);
    const { outs: updated } = await next.update(id, read.props, checked.inputs as never);
    expect(updated!.webhooks.voiceUrl).toBe(`${VOICE}/v2`);
    await next.delete(id, updated!);
  });

  it("reads through up's caches: many numbers checked one at a time (as the engine does) list the account once", async () => {
    const provider = h.provider();
    h.sandbox.control.clearLog();
    for (const phoneNumber of FLEET)
      expect(
        (await provider.check({}, { phoneNumber, provider: "twilio", voiceUrl: VOICE })).failures,
      ).toEqual([]);
    const lists = requests().filter((r) => r.endpoint.endsWith("/IncomingPhoneNumbers.json"));
    // The directory's rule: a few numbers are looked up one by one, then the account is listed once.
    expect(lists.filter((r) => !r.query.PhoneNumber)).toHaveLength(1);
    expect(lists.filter((r) => r.query.PhoneNumber)).toHaveLength(3);
    expect(h.sandbox.control.counts()["GET /v1/Services"]).toBe(1);
    // The create that follows in the same process reads nothing more to find its number.
    h.sandbox.control.clearLog();
    const { inputs } = await provider.check(
      {},
      { phoneNumber: FLEET[0], provider: "twilio", voiceUrl: VOICE },
    );
    await provider.create(inputs as never);
    expect(requests().filter((r) => r.method === "GET")).toEqual([]);
  });
});

describe("a set's check reports what up would refuse for its members", () => {
  const setCheck = (provider: PhoneNumberWebhooksSetProvider, olds: unknown, args: Record<string, unknown>) =>
    provider.check(olds as Record<string, unknown> | undefined, { label: "fleet", ...args });

  it("names each member up would fail, in up's words, and writes nothing", async () => {
    const provider = new PhoneNumberWebhooksSetProvider(h.provider());
    const numbers = [...FLEET.slice(0, 3), MISSING, WITH_APP];
    const { failures } = await setCheck(provider, undefined, {
      provider: "twilio",
      voiceUrl: VOICE,
      numbers,
    });
    expect(writes()).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures![0]!.property).toBe("");
    const reason = failures![0]!.reason;
    expect(reason).toMatch(/^2 of 5 number\(s\) would fail to apply: /);
    expect(reason).toContain(`Phone number ${MISSING} not found in twilio account`);
    expect(reason).toContain(
      `Failed to update webhooks for ${WITH_APP} via twilio: voiceUrl would have no effect`,
    );
  });

  it("a Telnyx object its members share with numbers outside it, without consent", async () => {
    const provider = new PhoneNumberWebhooksSetProvider(h.provider());
    const { failures } = await setCheck(provider, undefined, {
      provider: "telnyx",
      smsUrl: SMS,
      numbers: [SHARED_A],
    });
    expect(failures![0]!.reason).toMatch(
      new RegExp(
        `^1 of 1 number\\(s\\) would fail to apply: .*Refusing to change webhooks of \\${SHARED_A} \\(a member of fleet\\) shared with numbers outside it: .*\\${SHARED_B}`,
      ),
    );
    // Both on it: the set's own object.
    const both = await setCheck(provider, undefined, {
      provider: "telnyx",
      smsUrl: SMS,
      numbers: [SHARED_A, SHARED_B],
    });
    expect(both.failures).toEqual([]);
  });

  it("asks only about the members a change acts on", async () => {
    const provider = new PhoneNumberWebhooksSetProvider(h.provider());
    const args = { provider: "twilio", voiceUrl: VOICE, numbers: FLEET.slice(0, 4) };
    const first = await setCheck(provider, undefined, args);
    expect(first.failures).toEqual([]);
    const { id, outs } = await provider.create(first.inputs as CheckedSetArgs);
    const stored = (await provider.read(id, outs!)).inputs;
    h.sandbox.control.deleteNumber("twilio", FLEET[0]!); // released: no change acts on it...
    const again = new PhoneNumberWebhooksSetProvider(h.provider());
    h.sandbox.control.clearLog();
    expect((await setCheck(again, stored, args)).failures).toEqual([]);
    expect(requests()).toEqual([]);
    // ...a change of the set's own URL acts on every member.
    const changed = await setCheck(again, stored, { ...args, voiceUrl: `${VOICE}/v2` });
    expect(changed.failures![0]!.reason).toMatch(
      /^1 of 4 number\(s\) would fail to apply: Phone number \+14155551000 not found/,
    );
  });

  it("without any credentials, a selector is not evaluated: members unknown, one warning", async () => {
    const warned = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const numbers = h.provider({
      TWILIO_ACCOUNT_SID: undefined,
      TWILIO_AUTH_TOKEN: undefined,
      TELNYX_API_KEY: undefined,
      SIGNALWIRE_PROJECT_ID: undefined,
      SIGNALWIRE_API_TOKEN: undefined,
      SIGNALWIRE_SPACE_URL: undefined,
    });
    const provider = new PhoneNumberWebhooksSetProvider(numbers);
    const { inputs, failures } = await setCheck(provider, undefined, {
      voiceUrl: VOICE,
      select: { tag: "fleet" },
    });
    expect(failures).toEqual([]);
    expect(typeof inputs!.members).toBe("string"); // unknown
    expect(requests()).toEqual([]);
    expect(
      warned.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("Carrier checks skipped")),
    ).toHaveLength(1);
    // up then says what to set.
    await expect(provider.create(inputs as CheckedSetArgs)).rejects.toThrow(/^No carrier credentials: /);
  });
});
