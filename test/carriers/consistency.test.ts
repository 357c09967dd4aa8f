/**
 * Consistency under concurrency and crashes: batched reads, shared objects written by many
 * resources of one run, conflicting declarations, numbers moved mid-update, and originals that
 * survive a provider that died between two writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PhoneNumberWebhooksOutputs } from "../../provider/lifecycle";
import { demoSeedWith, startHarness, type CarrierHarness } from "../support/sandbox";

let h: CarrierHarness;
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]);
  await h.close();
});

const twilioNumbers = (count: number) =>
  Array.from({ length: count }, (_, i) => `+1415555${String(1000 + i)}`);
const supportNumbers = (count: number) =>
  Array.from({ length: count }, (_, i) => `+1312555${String(3000 + i)}`);

async function harnessWith(twilio: string[], onSupportApp: string[]) {
  h = await startHarness(demoSeedWith({ twilio, onSupportApp }));
}

const callsTo = (prefix: string) =>
  Object.entries(h.sandbox.control.counts())
    .filter(([endpoint]) => endpoint.startsWith(prefix))
    .reduce((sum, [, n]) => sum + Number(n), 0);

describe("reads", () => {
  it("serve many numbers read together from one paged listing per account", async () => {
    const twilio = twilioNumbers(30);
    const telnyx = supportNumbers(30);
    await harnessWith(twilio, telnyx);
    const provider = h.provider();
    const created = await Promise.all(
      [...twilio.slice(0, 5), ...telnyx.slice(0, 1)].map((n) =>
        provider.create({ phoneNumber: n, smsUrl: "https://new.example.com/sms", allowSharedUpdate: true }),
      ),
    );
    expect(created).toHaveLength(6);

    const fresh = h.provider(); // a new operation: nothing cached
    h.sandbox.control.clearLog();
    const reads = await Promise.all(
      [...twilio, ...telnyx].map((n) =>
        fresh.read(`${n.startsWith("+1415") ? "twilio" : "telnyx"}:${n}`, {
          phoneNumber: n,
          provider: n.startsWith("+1415") ? "twilio" : "telnyx",
        } as PhoneNumberWebhooksOutputs),
      ),
    );
    expect(reads.every((r) => r.id)).toBe(true);
    expect(callsTo("GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json")).toBe(1);
    expect(callsTo("GET /v2/phone_numbers")).toBe(1); // 30 + 3 numbers: one page of 250
    // Thirty numbers on one application and profile: each object is read once.
    expect(callsTo("GET /v2/call_control_applications/{id}")).toBe(1);
    expect(callsTo("GET /v2/messaging_profiles/{id}")).toBe(1);
    expect(callsTo("POST ") + callsTo("PATCH ")).toBe(0);
    expect(reads[40]!.props!.sharedWith).toHaveLength(31); // the other 29 plus the demo's two
  });
});

describe("writes", () => {
  it("lands every write when twenty resources of one run share a Telnyx application and profile", async () => {
    const numbers = supportNumbers(20);
    await harnessWith([], numbers);
    const provider = h.provider();
    const results = await Promise.all(
      numbers.map((n) =>
        provider.create({
          phoneNumber: n,
          voiceUrl: "https://prod.example.com/voice",
          smsUrl: "https://prod.example.com/sms",
          allowSharedUpdate: true,
        }),
      ),
    );
    expect(results.every((r) => r.outs!.webhooks.voiceUrl === "https://prod.example.com/voice")).toBe(true);
    const app = h.sandbox.control.telnyxObject(
      "call_control_applications",
      h.sandbox.control.telnyxNumber(numbers[0]!)!.connection_id!,
    )!;
    expect(app.webhook_event_url).toBe("https://prod.example.com/voice");
    expect(app.application_name).toBe("support-app"); // required fields survived every PATCH
    // All but the first found the value already there: no write per resource.
    expect(callsTo("PATCH /v2/call_control_applications/{id}")).toBe(1);
    // Every resource recorded the true originals, not a value written by another resource of the run.
    for (const r of results)
      expect(r.outs!.previousWebhooks.voiceUrl).toBe("https://legacy.example.com/telnyx/support-events");
  });

  it("lands every write of forty Twilio resources under a 429 storm", async () => {
    const numbers = twilioNumbers(40);
    await harnessWith(numbers, []);
    h.sandbox.control.injectFault({ status: 429, times: 60, method: "POST" });
    const provider = h.provider({ PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "30000" });
    const started = Date.now();
    await Promise.all(
      numbers.map((n, i) =>
        provider.create({ phoneNumber: n, voiceUrl: `https://prod.example.com/voice/${i}` }),
      ),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    numbers.forEach((n, i) =>
      expect(h.sandbox.control.twilioNumber(n)!.voice_url).toBe(`https://prod.example.com/voice/${i}`),
    );
    expect(callsTo("POST ")).toBe(40 + 60); // every 429 was retried, none doubled
  });

  it("reports two resources that want different URLs on one shared object as a conflict naming both", async () => {
    await harnessWith([], []);
    const provider = h.provider();
    const outcomes = await Promise.allSettled(
      ["+13125550200", "+13125550201"].map((n, i) =>
        provider.create({
          phoneNumber: n,
          smsUrl: `https://team-${i}.example.com/sms`,
          allowSharedUpdate: true,
        }),
      ),
    );
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(failures).toHaveLength(1);
    expect(String(failures[0]!.reason)).toMatch(/Conflicting declarations for the shared messaging profile/);
    expect(String(failures[0]!.reason)).toContain("+13125550200");
    expect(String(failures[0]!.reason)).toContain("+13125550201");
  });

  it("detects a number moved to another profile between read and write, and writes nothing", async () => {
    await harnessWith([], supportNumbers(5));
    const provider = h.provider();
    const { id, outs } = await provider.create({
      phoneNumber: "+13125550202",
      smsUrl: "https://a.example.com/sms",
    });
    // This provider has read the whole account; now the number moves in the portal.
    await Promise.all(
      supportNumbers(5).map((n) =>
        provider.read(`telnyx:${n}`, { phoneNumber: n, provider: "telnyx" } as PhoneNumberWebhooksOutputs),
      ),
    );
    const supportProfile = h.sandbox.control.telnyxNumber("+13125550200")!.messaging_profile_id!;
    h.sandbox.control.editTelnyx("phone_numbers", "+13125550202", { messaging_profile_id: supportProfile });
    const before = h.sandbox.control.telnyxObject("messaging_profiles", supportProfile)!.webhook_url;
    await expect(
      provider.update(id, outs!, {
        phoneNumber: "+13125550202",
        smsUrl: "https://b.example.com/sms",
        allowSharedUpdate: true,
      }),
    ).rejects.toThrow(
      /\+13125550202 was moved while this update ran \(messaging profile .* → .*\); nothing was written/,
    );
    expect(h.sandbox.control.telnyxObject("messaging_profiles", supportProfile)!.webhook_url).toBe(before);
  });
});

describe("a provider that dies between the two writes of a Telnyx create", () => {
  it("leaves the originals in the journal: the next create records them, and destroy restores them", async () => {
    await harnessWith([], []);
    const alone = "+13125550202";
    const texmlId = h.sandbox.control.telnyxNumber(alone)!.connection_id!;
    const profileId = h.sandbox.control.telnyxNumber(alone)!.messaging_profile_id!;
    const original = {
      voice: h.sandbox.control.telnyxObject("texml_applications", texmlId)!.voice_url,
      sms: h.sandbox.control.telnyxObject("messaging_profiles", profileId)!.webhook_url,
    };
    // The SMS write never answers: the first provider is stuck after writing voice, then "dies".
    h.sandbox.control.injectFault({
      kind: "hang",
      times: 1,
      method: "PATCH",
      path: "/v2/messaging_profiles/",
    });
    const doomed = h.provider({
      PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: "60000",
      PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "60000",
    });
    void doomed
      .create({
        phoneNumber: alone,
        voiceUrl: "https://new.example.com/voice",
        smsUrl: "https://new.example.com/sms",
      })
      .catch(() => undefined);
    await expect
      .poll(() => h.sandbox.control.telnyxObject("texml_applications", texmlId)!.voice_url)
      .toBe("https://new.example.com/voice");

    // The next run: a new process, which never heard of the first one's state.
    const next = h.provider();
    const { id, outs } = await next.create({
      phoneNumber: alone,
      voiceUrl: "https://new.example.com/voice",
      smsUrl: "https://new.example.com/sms",
    });
    expect(outs!.previousWebhooks).toMatchObject({ voiceUrl: original.voice, smsUrl: original.sms });
    expect(h.sandbox.control.telnyxObject("messaging_profiles", profileId)!.webhook_url).toBe(
      "https://new.example.com/sms",
    );
    await h.provider().delete(id, outs!);
    expect(h.sandbox.control.telnyxObject("texml_applications", texmlId)!.voice_url).toBe(original.voice);
    expect(h.sandbox.control.telnyxObject("messaging_profiles", profileId)!.webhook_url).toBe(original.sms);
  });
});
