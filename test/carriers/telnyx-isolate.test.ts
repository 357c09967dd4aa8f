/**
 * `onShared: "isolate"` against the sandbox through the real telnyx SDK: a number on a shared
 * Telnyx application or profile gets copies of its own, its neighbours never change, drift is
 * seen and isolated again, and destroy moves it back and deletes the copies.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Telnyx from "telnyx";
import { providerEnvironment } from "../../sandbox";
import type { CheckedArgs, PhoneNumberWebhooksOutputs } from "../../provider/schema";
import { demoSeed, startHarness, type CarrierHarness } from "../support/sandbox";

const SHARED_A = "+13125550200"; // on "support-app" (Call Control) and "support-sms" with B
const SHARED_B = "+13125550201";
const ALONE = "+13125550202"; // alone on "ivr-texml" and "ivr-sms"
const TEXML_NEIGHBOUR = "+13125550203"; // added: shares "ivr-texml" and "ivr-sms" with ALONE
const SIP_A = "+13125550210"; // added: two numbers on one credential connection
const SIP_B = "+13125550211";
const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";

function seed() {
  const s = demoSeed();
  const t = s.telnyx!;
  t.call_control_applications![0] = {
    ...t.call_control_applications![0],
    anchorsite_override: "Chicago, IL",
    outbound: { outbound_voice_profile_id: "1293384261075731499", channel_limit: 7 },
    inbound: { sip_subdomain: "support", channel_limit: 5 },
  };
  t.messaging_profiles![0] = {
    ...t.messaging_profiles![0],
    whitelisted_destinations: ["US", "CA", "GB"],
    number_pool_settings: {
      geomatch: false,
      long_code_weight: 1,
      skip_unhealthy: true,
      sticky_sender: true,
      toll_free_weight: 0,
    },
  };
  t.credential_connections = [
    { connection_name: "office-sip", webhook_event_url: "https://pbx.example.com/ev" },
  ];
  t.phone_numbers!.push(
    {
      phone_number: TEXML_NEIGHBOUR,
      connection_name: "ivr-texml",
      messaging_profile_name: "ivr-sms",
    } as never,
    { phone_number: SIP_A, connection_name: "office-sip", messaging_profile_name: "ivr-sms" } as never,
    { phone_number: SIP_B, connection_name: "office-sip", messaging_profile_name: "ivr-sms" } as never,
  );
  return s;
}

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(seed());
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]);
  await h.close();
});

const control = () => h.sandbox.control;
const number = (phone: string) => control().telnyxNumber(phone)!;
const objectCount = () => {
  const state = control().state().telnyx;
  return {
    cca: state.call_control_applications.length,
    texml: state.texml_applications.length,
    profiles: state.messaging_profiles.length,
  };
};
const telnyx = () => {
  const env = providerEnvironment(h.sandbox);
  return new Telnyx({ apiKey: env.TELNYX_API_KEY, baseURL: env.TELNYX_BASE_URL, maxRetries: 0 });
};
/** The carrier calls made since the last reset, by method. */
const calls = () => {
  const log = control().requests();
  return { total: log.length, writes: log.filter((r) => r.method !== "GET").length, log };
};
const isolateArgs = (phoneNumber: string, extra: Record<string, unknown> = {}) =>
  ({
    phoneNumber,
    provider: "telnyx",
    voiceUrl: VOICE,
    smsUrl: SMS,
    onShared: "isolate",
    ...extra,
  }) as CheckedArgs;

describe('onShared: "isolate"', () => {
  it("gives a number on a shared Call Control application and profile copies of its own; the neighbour never changes; destroy puts it back and leaves no copy", async () => {
    const original = {
      connection: number(SHARED_A).connection_id!,
      profile: number(SHARED_A).messaging_profile_id!,
    };
    const cca = () => control().telnyxObject("call_control_applications", original.connection)!;
    const profile = () => control().telnyxObject("messaging_profiles", original.profile)!;
    const neighbourBefore = { number: number(SHARED_B), cca: cca(), profile: profile() };
    const counts = objectCount();
    control().clearLog();

    const provider = h.provider();
    const { id, outs } = await provider.create(isolateArgs(SHARED_A));
    const create = calls();

    const moved = number(SHARED_A);
    expect(moved.connection_id).not.toBe(original.connection);
    expect(moved.messaging_profile_id).not.toBe(original.profile);
    const copy = control().telnyxObject("call_control_applications", moved.connection_id!)!;
    const profileCopy = control().telnyxObject("messaging_profiles", moved.messaging_profile_id!)!;
    // Named after the original and the number; every create setting copied, the SIP subdomain not.
    expect(copy).toMatchObject({
      application_name: `support-app (${SHARED_A}) [copy of ${original.connection}]`,
      webhook_event_url: VOICE,
      webhook_event_failover_url: cca().webhook_event_failover_url,
      webhook_timeout_secs: 25,
      anchorsite_override: "Chicago, IL",
      outbound: { outbound_voice_profile_id: "1293384261075731499", channel_limit: 7 },
      inbound: { channel_limit: 5 },
    });
    expect((copy.inbound as Record<string, unknown>).sip_subdomain).toBeUndefined();
    expect(profileCopy).toMatchObject({
      name: `support-sms (${SHARED_A}) [copy of ${original.profile}]`,
      webhook_url: SMS,
      webhook_failover_url: profile().webhook_failover_url,
      whitelisted_destinations: ["US", "CA", "GB"],
      number_pool_settings: { sticky_sender: true, skip_unhealthy: true },
    });
    // The neighbour and the shared objects: untouched.
    expect(number(SHARED_B)).toEqual(neighbourBefore.number);
    expect(cca()).toEqual(neighbourBefore.cca);
    expect(profile()).toEqual(neighbourBefore.profile);
    expect(create.log.filter((r) => r.method === "PATCH" && !r.path.startsWith("/v2/phone_numbers"))).toEqual(
      [],
    );

    expect(outs!.connectionId).toBe(moved.connection_id);
    expect(outs!.messagingProfileId).toBe(moved.messaging_profile_id);
    expect(outs!.sharedWith).toEqual([]);
    expect(outs!.webhooks).toMatchObject({ voiceUrl: VOICE, smsUrl: SMS });
    expect(outs!.previousWebhooks).toMatchObject({
      voiceUrl: neighbourBefore.cca.webhook_event_url,
      smsUrl: neighbourBefore.profile.webhook_url,
    });
    expect(outs!.isolated).toEqual([
      {
        holds: "voice",
        objectType: "call_control_application",
        originalId: original.connection,
        copyId: moved.connection_id,
      },
      {
        holds: "sms",
        objectType: "messaging_profile",
        originalId: original.profile,
        copyId: moved.messaging_profile_id,
      },
    ]);
    expect(outs!.message).toContain(
      `${SHARED_A} is isolated on objects made for it: call control application ${moved.connection_id} (a copy of ${original.connection})`,
    );

    control().clearLog();
    await h.provider().delete(id, outs!);
    const restore = calls();
    expect(number(SHARED_A)).toMatchObject({
      connection_id: original.connection,
      messaging_profile_id: original.profile,
    });
    expect(control().telnyxObject("call_control_applications", moved.connection_id!)).toBeUndefined();
    expect(control().telnyxObject("messaging_profiles", moved.messaging_profile_id!)).toBeUndefined();
    expect(objectCount()).toEqual(counts);
    expect(number(SHARED_B)).toMatchObject({
      connection_id: neighbourBefore.number.connection_id,
      messaging_profile_id: neighbourBefore.number.messaging_profile_id,
    });
    expect(cca()).toEqual(neighbourBefore.cca);
    expect(readdir()).toEqual([]);
    // The measured cost, for the README: printed so a run shows it.
    console.log(
      `isolate create: ${create.total} calls (${create.writes} writes); restore: ${restore.total} calls (${restore.writes} writes)`,
    );
    expect(create.writes).toBe(4); // two creates, two moves
    expect(restore.writes).toBe(4); // two moves back, two deletes
  });

  it("isolates a number on a shared TeXML application, with its method", async () => {
    const original = number(ALONE).connection_id!;
    const before = control().telnyxObject("texml_applications", original)!;
    const { outs } = await h.provider().create(isolateArgs(ALONE, { voiceMethod: "GET" }));
    const copyId = number(ALONE).connection_id!;
    expect(copyId).not.toBe(original);
    expect(control().telnyxObject("texml_applications", copyId)).toMatchObject({
      friendly_name: `ivr-texml (${ALONE}) [copy of ${original}]`,
      voice_url: VOICE,
      voice_method: "get",
      voice_fallback_url: before.voice_fallback_url,
      status_callback: before.status_callback,
    });
    expect(control().telnyxObject("texml_applications", original)).toEqual(before);
    expect(number(TEXML_NEIGHBOUR).connection_id).toBe(original);
    expect(outs!.connectionType).toBe("texml_application");
    expect(outs!.isolated?.map((i) => i.objectType)).toEqual(["texml_application", "messaging_profile"]);
  });

  it("writes an object nobody else uses in place, and says so", async () => {
    // Alone on its profile once the neighbours leave it.
    for (const n of [TEXML_NEIGHBOUR, SIP_A, SIP_B])
      control().editTelnyx("phone_numbers", number(n).id, { messaging_profile_id: null });
    const counts = objectCount();
    const profileId = number(ALONE).messaging_profile_id!;
    const { outs } = await h
      .provider()
      .create({ phoneNumber: ALONE, smsUrl: SMS, onShared: "isolate" } as CheckedArgs);
    expect(number(ALONE).messaging_profile_id).toBe(profileId);
    expect(control().telnyxObject("messaging_profiles", profileId)!.webhook_url).toBe(SMS);
    expect(objectCount()).toEqual(counts);
    expect(outs!.isolated).toBeUndefined();
    expect(outs!.message).toContain(
      `the messaging profile ${profileId} serves only ${ALONE}: written in place`,
    );
  });

  it("shows a number moved back in the portal as drift, and isolates it again onto its own copy", async () => {
    const original = number(SHARED_A).connection_id!;
    const { id, outs } = await h.provider().create(isolateArgs(SHARED_A));
    const copyId = outs!.connectionId!;
    control().editTelnyx("phone_numbers", number(SHARED_A).id, { connection_id: original });

    const read = await h.provider().read(id, outs!);
    const props = read.props as PhoneNumberWebhooksOutputs;
    expect(props.webhooks.voiceUrl).not.toBe(VOICE);
    expect(read.inputs).toMatchObject({ voiceUrl: props.webhooks.voiceUrl, onShared: "isolate" });
    expect(props.isolated?.[0]?.copyId).toBe(copyId); // still ours: destroy deletes it
    expect((await h.provider().diff(id, props, isolateArgs(SHARED_A))).changes).toBe(true);

    const counts = objectCount();
    const againOuts = (await h.provider().update(id, props, isolateArgs(SHARED_A))).outs;
    const again = againOuts!;
    expect(number(SHARED_A).connection_id).toBe(copyId); // the same copy, re-used
    expect(objectCount()).toEqual(counts);
    expect(again.webhooks.voiceUrl).toBe(VOICE);
    expect(control().telnyxObject("call_control_applications", original)!.webhook_event_url).not.toBe(VOICE);
    await h.provider().delete(id, again);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(control().telnyxObject("call_control_applications", copyId)).toBeUndefined();
  });

  it("sees its copy deleted in the portal as drift, and isolates it again onto a new one", async () => {
    const original = number(SHARED_A).connection_id!;
    const counts = objectCount();
    const { id, outs } = await h.provider().create(isolateArgs(SHARED_A));
    await telnyx().callControlApplications.delete(outs!.connectionId!);
    const read = await h.provider().read(id, outs!);
    const props = read.props as PhoneNumberWebhooksOutputs;
    expect(props.connectionId).toBeNull();
    expect(props.webhooks.voiceUrl).toBeNull();
    const againOuts = (await h.provider().update(id, props, isolateArgs(SHARED_A))).outs;
    const again = againOuts!;
    expect(again.connectionId).not.toBeNull();
    expect(again.connectionId).not.toBe(original);
    expect(control().telnyxObject("call_control_applications", again.connectionId!)!.webhook_event_url).toBe(
      VOICE,
    );
    expect(again.isolated?.find((i) => i.holds === "voice")).toMatchObject({
      originalId: original,
      copyId: again.connectionId,
    });
    await h.provider().delete(id, again);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(objectCount()).toEqual(counts);
  });

  it("leaves a copy that other numbers were put on, and moves its own number back", async () => {
    const original = number(SHARED_A).connection_id!;
    const { id, outs } = await h.provider().create(isolateArgs(SHARED_A, { smsUrl: undefined }));
    control().editTelnyx("phone_numbers", number(SHARED_B).id, { connection_id: outs!.connectionId });
    await h.provider().delete(id, outs!);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(control().telnyxObject("call_control_applications", outs!.connectionId!)).toBeDefined();
    expect(number(SHARED_B).connection_id).toBe(outs!.connectionId);
  });

  it("re-uses a copy an earlier attempt made whose answer was lost, instead of failing on its name", async () => {
    const original = number(SHARED_A).connection_id!;
    // What a create whose answer never came back leaves: the copy, with nobody on it.
    const lost = await telnyx().callControlApplications.create({
      application_name: `support-app (${SHARED_A}) [copy of ${original}]`,
      webhook_event_url: "https://lost.example.com/voice",
    });
    const counts = objectCount();
    const { id, outs } = await h.provider().create(isolateArgs(SHARED_A, { smsUrl: undefined }));
    expect(outs!.connectionId).toBe(lost.data!.id);
    expect(control().telnyxObject("call_control_applications", lost.data!.id!)).toMatchObject({
      webhook_event_url: VOICE,
    });
    expect(objectCount()).toEqual(counts);
    await h.provider().delete(id, outs!);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(objectCount()).toEqual({ ...counts, cca: counts.cca - 1 });
  });

  it("counts a number isolated off an object as one of its users: a neighbour is isolated too, not written in place", async () => {
    const original = number(SHARED_A).connection_id!;
    const before = control().telnyxObject("call_control_applications", original)!;
    const first = await h.provider().create(isolateArgs(SHARED_B, { smsUrl: undefined }));
    // SHARED_A is alone on the original now, but SHARED_B comes back to it.
    const second = await h
      .provider()
      .create(isolateArgs(SHARED_A, { smsUrl: undefined, voiceUrl: `${VOICE}/a` }));
    expect(second.outs!.isolated).toHaveLength(1);
    expect(control().telnyxObject("call_control_applications", original)).toEqual(before);
    await h.provider().delete(first.id, first.outs!);
    expect(number(SHARED_B).connection_id).toBe(original);
    await h.provider().delete(second.id, second.outs!);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(control().telnyxObject("call_control_applications", original)).toEqual(before);
  });

  it("refuses to copy a SIP connection, saying why and what to do", async () => {
    const before = control().state().telnyx;
    const error = await h
      .provider()
      .create({ phoneNumber: SIP_A, provider: "telnyx", voiceUrl: VOICE, onShared: "isolate" } as CheckedArgs)
      .catch((e: Error) => e);
    expect(String(error)).toMatch(
      /onShared: "isolate" cannot give \+13125550210 its own credential connection/,
    );
    expect(String(error)).toMatch(/split your SIP registration and authentication/);
    expect(String(error)).toMatch(/Move the number to a Call Control or TeXML application/);
    expect(control().state().telnyx).toEqual(before);
  });

  it("deletes the copy when moving the number fails, and leaves nothing behind", async () => {
    const counts = objectCount();
    const before = number(SHARED_A);
    control().injectFault({ status: 500, times: 1000, method: "PATCH", path: /^\/v2\/phone_numbers\/\d+$/ });
    const error = await h
      .provider()
      .create(isolateArgs(SHARED_A, { smsUrl: undefined }))
      .catch((e: Error) => e);
    expect(String(error)).toMatch(/telnyx update phone_numbers\/\d+ failed \(HTTP 500\)/);
    control().clearFaults();
    expect(number(SHARED_A).connection_id).toBe(before.connection_id);
    expect(objectCount()).toEqual(counts);
    expect(readdir()).toEqual([]);
  });

  it("moves the number back and deletes both copies when a later step fails", async () => {
    const counts = objectCount();
    const before = number(SHARED_A);
    control().injectFault({ status: 500, times: 1000, method: "PATCH", path: /\/messaging$/ });
    const error = await h
      .provider()
      .create(isolateArgs(SHARED_A))
      .catch((e: Error) => e);
    expect(String(error)).toMatch(/messaging failed \(HTTP 500\)/);
    expect(String(error)).toContain("were put back");
    control().clearFaults();
    expect(number(SHARED_A)).toMatchObject({
      connection_id: before.connection_id,
      messaging_profile_id: before.messaging_profile_id,
    });
    expect(objectCount()).toEqual(counts);
  });

  it("converges after a crash between making a copy and moving the number: the journal's copy is re-used, none is orphaned", async () => {
    const counts = objectCount();
    const original = number(SHARED_A).connection_id!;
    const args = isolateArgs(SHARED_A, { smsUrl: undefined });
    // The run stalls on the move; the world at that moment (copy made, journal written) is what a
    // kill leaves, so it is captured and put back once the run has given up and cleaned up.
    control().injectFault({ kind: "hang", times: 1000, method: "PATCH", path: /^\/v2\/phone_numbers\/\d+$/ });
    const dying = h.provider({
      PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: "1500",
      PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "1500",
    });
    const run = dying.create(args).catch((e: Error) => e);
    await vi.waitFor(
      () =>
        expect(
          control()
            .requests()
            .some((r) => r.fault === "hang"),
        ).toBe(true),
      { timeout: 5000 },
    );
    const killedAt = { carrier: control().state(), journal: journalFiles() };
    expect(objectCount().cca).toBe(counts.cca + 1);
    expect(Object.values(killedAt.journal)[0]).toContain('"copyId"');
    await run;
    control().clearFaults();
    control().loadSeed(killedAt.carrier);
    for (const [name, text] of Object.entries(killedAt.journal))
      writeFileSync(join(h.journalDir, name), text);
    expect(number(SHARED_A).connection_id).toBe(original);

    const { id, outs } = await h.provider().create(args);
    expect(objectCount().cca).toBe(counts.cca + 1); // the journal's copy, not a second one
    expect(number(SHARED_A).connection_id).toBe(outs!.connectionId);
    expect(outs!.isolated).toHaveLength(1);
    expect(outs!.previousWebhooks.voiceUrl).toBe("https://legacy.example.com/telnyx/support-events");
    await h.provider().delete(id, outs!);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(objectCount()).toEqual(counts);
  });

  it("converges after a crash after the move, before the state was written: the journal says the copy is ours", async () => {
    const counts = objectCount();
    const original = number(SHARED_A).connection_id!;
    const args = isolateArgs(SHARED_A);
    await h.provider().create(args);
    // What a kill after the move leaves: the number on its copies, the journal entry, no state.
    // The journal keeps the copies after a create until an operation that has the state runs.
    const copies = { voice: number(SHARED_A).connection_id!, sms: number(SHARED_A).messaging_profile_id! };
    const journal = journalFiles();
    expect(Object.keys(journal)).toEqual(["telnyx-13125550200.json"]);
    expect(Object.values(journal)[0]).toContain(copies.voice);
    expect(Object.values(journal)[0]).toContain(copies.sms);
    control().clearLog();
    const { id, outs } = await h.provider().create(args);
    expect(
      control()
        .requests()
        .filter((r) => r.method !== "GET"),
    ).toEqual([]); // nothing to write
    expect(outs!.isolated?.map((i) => i.copyId)).toEqual([copies.voice, copies.sms]);
    expect(outs!.previousWebhooks.voiceUrl).toBe("https://legacy.example.com/telnyx/support-events");
    await h.provider().delete(id, outs!);
    expect(number(SHARED_A).connection_id).toBe(original);
    expect(objectCount()).toEqual(counts);
  });

  it("is ignored by Twilio, whose webhooks are per number", async () => {
    const provider = h.provider();
    const { id, outs } = await provider.create({
      phoneNumber: "+14155550100",
      provider: "twilio",
      voiceUrl: VOICE,
      onShared: "isolate",
    } as CheckedArgs);
    expect(outs!.webhooks.voiceUrl).toBe(VOICE);
    expect(outs!.isolated).toBeUndefined();
    expect(outs!.onShared).toBe("isolate");
    await provider.delete(id, outs!);
    expect(control().twilioNumber("+14155550100")!.voice_url).not.toBe(VOICE);
  });

  it("check: onShared and allowSharedUpdate must agree, naming both", async () => {
    const provider = h.provider();
    const { failures } = await provider.check(
      {},
      { phoneNumber: SHARED_A, voiceUrl: VOICE, onShared: "isolate", allowSharedUpdate: true },
    );
    expect(failures).toEqual([
      {
        property: "onShared",
        reason: expect.stringMatching(
          /onShared: "isolate" disagrees with allowSharedUpdate: true/,
        ) as unknown as string,
      },
    ]);
    expect(
      (
        await provider.check(
          {},
          { phoneNumber: SHARED_A, voiceUrl: VOICE, onShared: "update", allowSharedUpdate: true },
        )
      ).failures,
    ).toEqual([]);
    expect(
      (await provider.check({}, { phoneNumber: SHARED_A, voiceUrl: VOICE, onShared: "copy" })).failures?.[0],
    ).toEqual({
      property: "onShared",
      reason: 'onShared must be "refuse", "update" or "isolate" (got "copy")',
    });
  });
});

function readdir(): string[] {
  return readdirSync(h.journalDir).filter((f) => f.endsWith(".json"));
}
function journalFiles(): Record<string, string> {
  return Object.fromEntries(readdir().map((f) => [f, readFileSync(join(h.journalDir, f), "utf8")]));
}
