/**
 * What `onShared: "isolate"` needs of the sandbox, through the real `telnyx` SDK: creating and
 * deleting Call Control applications, TeXML applications and messaging profiles, moving a number
 * between them, and Telnyx's errors for a missing required field and a name already taken.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, UnprocessableEntityError } from "telnyx";
import type { Sandbox } from "../../sandbox";
import { expectTelnyxViolations, start, telnyxClient, telnyxFailure } from "./support";

const A = "+13125550200";

let sb: Sandbox;
beforeEach(async () => {
  sb = await start();
});
afterEach(async () => {
  // Every request and answer matched Telnyx's OpenAPI document (when it is there: see support.ts).
  expect(sb.control.validationErrors()).toEqual([]);
  expect(sb.control.releases()).toEqual([]);
  await sb.close();
});

describe("creating and deleting Telnyx objects through the telnyx SDK", () => {
  it("creates a Call Control application over the defaults, and deletes it", async () => {
    const t = telnyxClient(sb);
    const created = await t.callControlApplications.create({
      application_name: "support-app (+13125550200)",
      webhook_event_url: "https://staging.example.com/voice",
      anchorsite_override: "Chicago, IL",
      outbound: { outbound_voice_profile_id: "1293384261075731499" },
    });
    const id = created.data!.id!;
    expect(created.data).toMatchObject({
      record_type: "call_control_application",
      application_name: "support-app (+13125550200)",
      webhook_event_url: "https://staging.example.com/voice",
      anchorsite_override: "Chicago, IL",
      outbound: { outbound_voice_profile_id: "1293384261075731499", channel_limit: 10 },
      active: true,
    });
    expect((await t.callControlApplications.retrieve(id)).data?.application_name).toBe(
      "support-app (+13125550200)",
    );
    const deleted = await t.callControlApplications.delete(id);
    expect(deleted.data?.id).toBe(id);
    expect(await telnyxFailure(t.callControlApplications.retrieve(id))).toBeInstanceOf(NotFoundError);
  });

  it("creates a TeXML application and a messaging profile", async () => {
    const t = telnyxClient(sb);
    const texml = await t.texmlApplications.create({
      friendly_name: "ivr-texml (+13125550202)",
      voice_url: "https://staging.example.com/texml",
      voice_method: "get",
    });
    expect(texml.data).toMatchObject({ record_type: "texml_application", voice_method: "get" });
    const profile = await t.messagingProfiles.create({
      name: "support-sms (+13125550200)",
      whitelisted_destinations: ["US", "CA"],
      webhook_url: "https://staging.example.com/sms",
    });
    expect(profile.data).toMatchObject({
      record_type: "messaging_profile",
      whitelisted_destinations: ["US", "CA"],
      webhook_url: "https://staging.example.com/sms",
    });
    expect(profile.data!.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a missing required field, naming it (422)", async () => {
    const t = telnyxClient(sb);
    const error = await telnyxFailure(t.callControlApplications.create({ application_name: "x" } as never));
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(JSON.stringify((error as UnprocessableEntityError).error)).toContain(
      "webhook_event_url is required",
    );
    const profileError = await telnyxFailure(t.messagingProfiles.create({ name: "p" } as never));
    expect(JSON.stringify((profileError as UnprocessableEntityError).error)).toContain(
      "whitelisted_destinations is required",
    );
    expectTelnyxViolations(
      sb,
      /^CreateCallControlApplication request \/requestBody must have required property 'webhook_event_url'/,
      /^CreateMessagingProfile request \/requestBody must have required property 'whitelisted_destinations'/,
    );
  });

  it("refuses a name already taken (422)", async () => {
    const t = telnyxClient(sb);
    const error = await telnyxFailure(
      t.callControlApplications.create({
        application_name: "support-app",
        webhook_event_url: "https://staging.example.com/voice",
      }),
    );
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(JSON.stringify((error as UnprocessableEntityError).error)).toContain(
      "application_name has already been taken",
    );
  });

  it("moves a number onto a new application and profile, and deleting an object unassigns its numbers", async () => {
    const t = telnyxClient(sb);
    const n = sb.control.telnyxNumber(A)!;
    const cca = (
      await t.callControlApplications.create({
        application_name: "copy",
        webhook_event_url: "https://staging.example.com/voice",
      })
    ).data!;
    const profile = (await t.messagingProfiles.create({ name: "copy", whitelisted_destinations: ["US"] }))
      .data!;
    const moved = await t.phoneNumbers.update(n.id, { connection_id: cca.id! });
    expect(moved.data?.connection_id).toBe(cca.id);
    const messaging = await t.phoneNumbers.messaging.update(n.id, { messaging_profile_id: profile.id! });
    expect(messaging.data?.messaging_profile_id).toBe(profile.id);
    expect(sb.control.telnyxNumber(A)).toMatchObject({
      connection_id: cca.id,
      messaging_profile_id: profile.id,
    });

    await t.callControlApplications.delete(cca.id!);
    await t.messagingProfiles.delete(profile.id!);
    expect(sb.control.telnyxNumber(A)).toMatchObject({ connection_id: null, messaging_profile_id: null });
  });

  it("lists Call Control applications, TeXML applications and messaging profiles by pages", async () => {
    const t = telnyxClient(sb);
    const made = await t.callControlApplications.create({
      application_name: "support-app (+13125550200) [copy of 1]",
      webhook_event_url: "https://staging.example.com/voice",
    });
    const state = sb.control.state().telnyx;
    const names = async <T>(list: AsyncIterable<T>, name: (item: T) => unknown) => {
      const out: unknown[] = [];
      for await (const item of list) out.push(name(item));
      return out;
    };
    const apps = await names(
      t.callControlApplications.list({ "page[size]": 1 }),
      (a) => (a as { application_name?: string }).application_name,
    );
    expect(apps).toEqual([...state.call_control_applications.map((a) => a.application_name)]);
    expect(apps).toContain(made.data!.application_name);
    expect(await names(t.texmlApplications.list(), (a) => a.friendly_name)).toEqual(
      state.texml_applications.map((a) => a.friendly_name),
    );
    expect(await names(t.messagingProfiles.list(), (p) => p.name)).toEqual(
      state.messaging_profiles.map((p) => p.name),
    );
    expect(await telnyxFailure(t.messagingProfiles.list({ "page[size]": 251 }))).toBeInstanceOf(Error);
    expectTelnyxViolations(sb, /^ListMessagingProfiles request \/query\/page\/size must be <= 250/);
  });
});
