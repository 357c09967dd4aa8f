/**
 * What the Telnyx carrier reads, against the sandbox through the real telnyx SDK: numbers on many
 * applications and profiles are read from each kind's listing (one page here), with no call per
 * object and no `/connections/{id}` for an application; a SIP connection, in neither application
 * listing, is still typed by `/connections/{id}`; one number alone reads its objects one by one;
 * and a write still reads its object fresh, so a console change made after the listing is kept.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { telnyxCarrier } from "../../provider/carriers/telnyx";
import type { Carrier } from "../../provider/carriers/carrier";
import { DEFAULT_RETRY_POLICY } from "../../provider/retry";
import { providerEnvironment, type SandboxSeed } from "../../sandbox";
import { startHarness, type CarrierHarness } from "../support/sandbox";

const legacy = (path: string) => `https://legacy.example.com/${path}`;
const APPS = ["sales-app", "support-app"];
const TEXMLS = ["ivr-a", "ivr-b"];
const PROFILES = ["sales-sms", "support-sms", "ivr-sms"];
// Two numbers on each connection, SMS spread over the profiles.
const ON: Array<{ phone: string; connection: string; profile: string }> = [
  ...APPS,
  ...TEXMLS,
  "office-sip",
].flatMap((connection, i) =>
  [0, 1].map((j) => ({
    phone: `+131255503${i}${j}`,
    connection,
    profile: PROFILES[(i + j) % PROFILES.length]!,
  })),
);
const SIP_NUMBERS = ON.filter((n) => n.connection === "office-sip").map((n) => n.phone);

function seed(): SandboxSeed {
  return {
    telnyx: {
      call_control_applications: APPS.map((name) => ({
        application_name: name,
        webhook_event_url: legacy(name),
      })),
      texml_applications: TEXMLS.map((name) => ({ friendly_name: name, voice_url: legacy(name) })),
      credential_connections: [{ connection_name: "office-sip", webhook_event_url: legacy("sip") }],
      messaging_profiles: PROFILES.map((name) => ({ name, webhook_url: legacy(name) })),
      phone_numbers: ON.map((n) => ({
        phone_number: n.phone,
        connection_name: n.connection,
        messaging_profile_name: n.profile,
      })),
    },
  } as SandboxSeed;
}

let h: CarrierHarness;
beforeEach(async () => {
  h = await startHarness(seed());
});
afterEach(async () => {
  expect(h.sandbox.control.releases()).toEqual([]);
  await h.close();
});

/** A carrier as one provider process has it. */
async function newCarrier(): Promise<Carrier> {
  const env = providerEnvironment(h.sandbox);
  return telnyxCarrier.create(
    telnyxCarrier.loadSettings({ apiKey: env.TELNYX_API_KEY, baseUrl: env.TELNYX_BASE_URL })!,
    DEFAULT_RETRY_POLICY,
  );
}

const endpoints = () => h.sandbox.control.requests().map((r) => r.endpoint);
const connectionOf = (phone: string) => h.sandbox.control.telnyxNumber(phone)!.connection_id!;

describe("Telnyx reads", () => {
  it("reads numbers on many objects from one listing of each kind, with no call per object", async () => {
    const carrier = await newCarrier();
    const numbers = ON.filter((n) => n.connection !== "office-sip");
    const found = await Promise.all(numbers.map((n) => carrier.find(n.phone)));
    expect(found.map((n) => [n?.webhooks.voiceUrl, n?.webhooks.smsUrl])).toEqual(
      numbers.map((n) => [legacy(n.connection), legacy(n.profile)]),
    );
    expect(found.map((n) => n?.ids.connectionType)).toEqual(
      numbers.map((n) => (APPS.includes(n.connection) ? "call_control_application" : "texml_application")),
    );
    expect(endpoints().sort()).toEqual(
      [
        "GET /v2/phone_numbers",
        "GET /v2/call_control_applications",
        "GET /v2/texml_applications",
        "GET /v2/messaging_profiles",
      ].sort(),
    );
  });

  it("types a SIP connection, in neither application listing, by /connections", async () => {
    const carrier = await newCarrier();
    const found = await Promise.all(ON.map((n) => carrier.find(n.phone)));
    const sip = found.filter((n) => SIP_NUMBERS.includes(n!.phoneNumber));
    expect(sip.map((n) => [n?.ids.connectionType, n?.webhooks.voiceUrl])).toEqual([
      ["credential_connection", legacy("sip")],
      ["credential_connection", legacy("sip")],
    ]);
    const single = endpoints().filter((e) => /\{id\}$/.test(e));
    expect(single.sort()).toEqual(["GET /v2/connections/{id}", "GET /v2/credential_connections/{id}"]);
  });

  it("reads one number's objects one by one: one call each, as a listing would cost", async () => {
    const carrier = await newCarrier();
    await carrier.find(ON[0]!.phone);
    // Besides the number and who else is on its objects: the connection's type, then each object.
    expect(endpoints().filter((e) => !e.includes("phone_numbers"))).toEqual([
      "GET /v2/connections/{id}",
      "GET /v2/messaging_profiles/{id}",
      "GET /v2/call_control_applications/{id}",
    ]);
  });

  it("reads an object fresh before writing it: a console change made after the listing stays", async () => {
    const carrier = await newCarrier();
    const [first] = await Promise.all(ON.slice(0, 4).map((n) => carrier.find(n.phone)));
    const app = connectionOf(ON[0]!.phone);
    // Renamed in the console after the listing was read: the PATCH re-sends the name, which must be the new one.
    h.sandbox.control.editTelnyx("call_control_applications", app, {
      application_name: "sales-app (renamed)",
      webhook_event_failover_url: legacy("failover"),
    });
    h.sandbox.control.clearLog();
    const steps = await carrier.planWrites(
      first!,
      { voiceUrl: "https://staging.example.com/voice" },
      { allowSharedUpdate: true },
    );
    for (const step of steps) await step.write();
    // Read, the number confirmed, the original kept on a backup (written with consent while
    // another number is on it), then the PATCH.
    expect(endpoints()).toEqual([
      "GET /v2/call_control_applications/{id}",
      "GET /v2/phone_numbers/{id}",
      "POST /v2/call_control_applications",
      "PATCH /v2/call_control_applications/{id}",
    ]);
    const backup = h.sandbox.control
      .state()
      .telnyx.call_control_applications.find((a) => a.application_name?.endsWith(`[original of ${app}]`));
    expect(backup).toMatchObject({
      application_name: `sales-app (renamed) [original of ${app}]`,
      webhook_event_url: legacy("sales-app"),
      webhook_event_failover_url: legacy("failover"),
    });
    expect(h.sandbox.control.telnyxObject("call_control_applications", app)).toMatchObject({
      application_name: "sales-app (renamed)",
      webhook_event_url: "https://staging.example.com/voice",
      webhook_event_failover_url: legacy("failover"),
    });
  });
});

describe("an operation's objects, expected before its numbers are found", () => {
  // 300 numbers, each on its own messaging profile: two pages of profiles (250 a page).
  const MANY = Array.from({ length: 300 }, (_, i) => ({
    phone: `+1312556${String(i).padStart(4, "0")}`,
    profile: `fleet-sms-${i}`,
  }));
  const manySeed = () =>
    ({
      telnyx: {
        call_control_applications: [{ application_name: "fleet-app", webhook_event_url: legacy("fleet") }],
        messaging_profiles: MANY.map((n) => ({ name: n.profile, webhook_url: legacy(n.profile) })),
        phone_numbers: MANY.map((n) => ({
          phone_number: n.phone,
          connection_name: "fleet-app",
          messaging_profile_name: n.profile,
        })),
      },
    }) as SandboxSeed;

  /** Finds every number as a set does: a few at a time, in order. */
  async function findAll(harness: CarrierHarness, expectFirst: boolean): Promise<string[]> {
    const env = providerEnvironment(harness.sandbox);
    const carrier = await telnyxCarrier.create(
      telnyxCarrier.loadSettings({ apiKey: env.TELNYX_API_KEY, baseUrl: env.TELNYX_BASE_URL })!,
      DEFAULT_RETRY_POLICY,
    );
    const phones = MANY.map((n) => n.phone);
    if (expectFirst) await carrier.expect!(phones);
    for (let i = 0; i < phones.length; i += 4) {
      const found = await Promise.all(phones.slice(i, i + 4).map((p) => carrier.find(p)));
      expect(found.map((n) => n?.webhooks.smsUrl)).toEqual(
        MANY.slice(i, i + 4).map((n) => legacy(n.profile)),
      );
    }
    return harness.sandbox.control.requests().map((r) => r.endpoint);
  }

  it("reads each kind's listing whole, once, with no object fetched alone", async () => {
    const many = await startHarness(manySeed());
    try {
      const read = await findAll(many, true);
      expect(read.filter((e) => e === "GET /v2/messaging_profiles")).toHaveLength(2);
      expect(read.filter((e) => e.startsWith("GET /v2/messaging_profiles/"))).toEqual([]);
    } finally {
      await many.close();
    }
  });

  it("without the hint, reads the first page twice: once alone, again when the rest is needed", async () => {
    const many = await startHarness(manySeed());
    try {
      const read = await findAll(many, false);
      expect(read.filter((e) => e === "GET /v2/messaging_profiles")).toHaveLength(3);
    } finally {
      await many.close();
    }
  });
});
