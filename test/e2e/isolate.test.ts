/**
 * `onShared: "isolate"` under the real engine: a number on a Telnyx application and profile shared
 * with another gets copies of its own, the neighbour never changes, a number moved back in the
 * portal shows as drift and is isolated again, destroy moves it back and leaves no copy, and a
 * SIP connection is refused.
 */
import Telnyx from "telnyx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerEnvironment } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const A = "+13125550200";
const B = "+13125550201"; // the neighbour on the same application and profile
const TEXML = "+13125550202"; // on "ivr-texml" and "ivr-sms"
const TEXML_NEIGHBOUR = "+13125550203"; // added: on the same TeXML application and profile
const SIP_A = "+13125550210";
const SIP_B = "+13125550211";
const URLS = { voiceUrl: "https://staging.example.com/voice", smsUrl: "https://staging.example.com/sms" };

function seed() {
  const s = demoSeed();
  s.telnyx!.credential_connections = [
    { connection_name: "office-sip", webhook_event_url: "https://pbx.example.com/ev" },
  ];
  s.telnyx!.phone_numbers!.push(
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

describe.skipIf(!binDir)('onShared: "isolate" under the engine', () => {
  let f: E2EFixture;
  beforeAll(async () => {
    f = await E2EFixture.start(seed());
    await f.initStack(STACK, []);
  });
  afterAll(async () => {
    await f?.close();
  });

  const control = () => f.sandbox.control;
  const number = (n: string) => control().telnyxNumber(n)!;
  const telnyxState = () => control().state().telnyx;
  const counts = () => ({
    cca: telnyxState().call_control_applications.length,
    profiles: telnyxState().messaging_profiles.length,
  });

  it("isolates on up; a move back and a deleted copy show as drift and are isolated again; destroy leaves no copy", async () => {
    const original = { connection: number(A).connection_id!, profile: number(A).messaging_profile_id! };
    const neighbour = {
      number: number(B),
      cca: control().telnyxObject("call_control_applications", original.connection),
      profile: control().telnyxObject("messaging_profiles", original.profile),
    };
    const before = counts();
    await f.declare(STACK, [{ name: "staging", phoneNumber: A, ...URLS, onShared: "isolate" }]);
    expectSuccess(await f.up(STACK), "up");

    const moved = number(A);
    expect(moved.connection_id).not.toBe(original.connection);
    expect(moved.messaging_profile_id).not.toBe(original.profile);
    expect(counts()).toEqual({ cca: before.cca + 1, profiles: before.profiles + 1 });
    expect(control().telnyxObject("call_control_applications", moved.connection_id!)).toMatchObject({
      application_name: `support-app (${A}) [copy of ${original.connection}]`,
      webhook_event_url: URLS.voiceUrl,
    });
    expect(number(B)).toEqual(neighbour.number);
    expect(control().telnyxObject("call_control_applications", original.connection)).toEqual(neighbour.cca);
    expect(control().telnyxObject("messaging_profiles", original.profile)).toEqual(neighbour.profile);
    const results = (await f.results(STACK)).staging!;
    expect(results.isolated).toEqual([
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
    expect(results.previousWebhooks).toMatchObject({
      voiceUrl: neighbour.cca!.webhook_event_url,
      smsUrl: neighbour.profile!.webhook_url,
    });
    expect(String(results.message)).toContain(`${A} is isolated on objects made for it`);
    const [resource] = await f.resourcesInState(STACK);
    expect(resource!.outputs.isolated).toHaveLength(2);

    // No change: a preview (which refreshes) shows none.
    const quiet = await f.preview(STACK, "--expect-no-changes");
    expectSuccess(quiet, "preview with no change");

    // Moved back in the portal: drift in the preview, isolated again by up (the same copy).
    control().editTelnyx("phone_numbers", moved.id, { connection_id: original.connection });
    const drift = await f.preview(STACK, "--expect-no-changes", "--diff");
    expect(drift.code).not.toBe(0);
    expect(drift.stdout).toMatch(/voiceUrl/);
    expectSuccess(await f.up(STACK), "up after drift");
    expect(number(A).connection_id).toBe(moved.connection_id);
    expect(counts()).toEqual({ cca: before.cca + 1, profiles: before.profiles + 1 });
    expect(control().telnyxObject("call_control_applications", original.connection)).toEqual(neighbour.cca);

    // Its copy deleted in the portal: drift again, and up isolates it onto a new copy.
    const env = providerEnvironment(f.sandbox);
    const portal = new Telnyx({ apiKey: env.TELNYX_API_KEY, baseURL: env.TELNYX_BASE_URL, maxRetries: 0 });
    await portal.callControlApplications.delete(moved.connection_id!);
    expect(number(A).connection_id).toBeNull();
    const gone = await f.preview(STACK, "--expect-no-changes", "--diff");
    expect(gone.code).not.toBe(0);
    expectSuccess(await f.up(STACK), "up after the copy was deleted");
    const recopied = number(A).connection_id!;
    expect(control().telnyxObject("call_control_applications", recopied)).toMatchObject({
      application_name: `support-app (${A}) [copy of ${original.connection}]`,
      webhook_event_url: URLS.voiceUrl,
    });
    expect(counts()).toEqual({ cca: before.cca + 1, profiles: before.profiles + 1 });
    expect(control().telnyxObject("call_control_applications", original.connection)).toEqual(neighbour.cca);

    const destroyed = await f.project.run(["destroy", "--yes", "--stack", STACK]);
    expectSuccess(destroyed, "destroy");
    // The provider says what it did with each copy, in the engine's log.
    expect(destroyed.stdout + destroyed.stderr).toContain(`its copy ${recopied} was deleted`);
    expect(number(A)).toMatchObject({
      connection_id: original.connection,
      messaging_profile_id: original.profile,
    });
    expect(counts()).toEqual(before);
    expect(number(B)).toMatchObject({
      connection_id: neighbour.number.connection_id,
      messaging_profile_id: neighbour.number.messaging_profile_id,
    });
  });

  it("isolates a number on a shared TeXML application, with its voice method, and destroy leaves no copy", async () => {
    const original = number(TEXML).connection_id!;
    const before = {
      texml: control().telnyxObject("texml_applications", original),
      neighbour: number(TEXML_NEIGHBOUR),
      count: telnyxState().texml_applications.length,
    };
    await f.declare(STACK, [
      { name: "ivr", phoneNumber: TEXML, voiceUrl: URLS.voiceUrl, voiceMethod: "GET", onShared: "isolate" },
    ]);
    expectSuccess(await f.up(STACK), "up");
    const copyId = number(TEXML).connection_id!;
    expect(copyId).not.toBe(original);
    expect(control().telnyxObject("texml_applications", copyId)).toMatchObject({
      friendly_name: `ivr-texml (${TEXML}) [copy of ${original}]`,
      voice_url: URLS.voiceUrl,
      voice_method: "get",
      status_callback: before.texml!.status_callback,
    });
    expect(control().telnyxObject("texml_applications", original)).toEqual(before.texml);
    expect(number(TEXML_NEIGHBOUR)).toEqual(before.neighbour);
    expect((await f.results(STACK)).ivr!.isolated).toEqual([
      { holds: "voice", objectType: "texml_application", originalId: original, copyId },
    ]);
    expectSuccess(await f.project.run(["destroy", "--yes", "--stack", STACK]), "destroy");
    expect(number(TEXML).connection_id).toBe(original);
    expect(telnyxState().texml_applications).toHaveLength(before.count);
    await f.declare(STACK, []);
  });

  it("refuses to copy a SIP connection, saying why and what to do, and changes nothing", async () => {
    const before = telnyxState();
    await f.declare(STACK, [
      { name: "pbx", phoneNumber: SIP_A, voiceUrl: URLS.voiceUrl, onShared: "isolate" },
    ]);
    const refused = await f.up(STACK);
    expect(refused.code).not.toBe(0);
    const output = refused.stdout + refused.stderr;
    expect(output).toContain('onShared: "isolate" cannot give +13125550210 its own credential connection');
    expect(output).toContain("split your SIP registration and authentication");
    expect(telnyxState()).toEqual(before);
    await f.declare(STACK, []);
  });
});
