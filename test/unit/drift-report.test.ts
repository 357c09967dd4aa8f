/**
 * The drift report, from engine events shaped as `pulumi preview --refresh` sends them (taken from
 * a real run against the sandbox, trimmed): in a changed resource's step, `old.inputs` holds what
 * `read` found on the carrier and `new.inputs` what the program declares.
 */
import { describe, expect, it } from "vitest";
import {
  errorDiagnostics,
  extractDrift,
  formatReport,
  showValue,
  type DriftEngineEvent,
} from "../../provider/cli/drift-report";
import { PHONE_NUMBER_WEBHOOKS_TYPE } from "../../provider";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE } from "../../provider/type-token";
import captured from "../support/set-drift-events.json";
import { RESOURCE_TYPE } from "../../scripts/pulumi-project";

const TYPE = PHONE_NUMBER_WEBHOOKS_TYPE;
const urn = (name: string, type: string = TYPE) => `urn:pulumi:staging::e2e::${type}::${name}`;
const PROVIDER = "exports.handler = __f0; /* the serialized provider */";
const SECRET = (plaintext?: string) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  ...(plaintext === undefined ? { ciphertext: "[secret]" } : { plaintext: JSON.stringify(plaintext) }),
});

function step(op: string, name: string, live?: Record<string, unknown>, declared?: Record<string, unknown>) {
  return {
    resourcePreEvent: {
      metadata: {
        op,
        urn: urn(name),
        type: TYPE as string,
        old: live ? { inputs: { __provider: PROVIDER, ...live }, outputs: { ...live } } : null,
        new: declared ? { inputs: { __provider: PROVIDER, ...declared }, outputs: {} } : null,
      },
    },
  } satisfies DriftEngineEvent;
}

const refresh = (name: string) => step("refresh", name, { phoneNumber: "+1" }, { phoneNumber: "+1" });

describe("extractDrift", () => {
  it("the type token the resources carry is the one the state holds", () => {
    expect(PHONE_NUMBER_WEBHOOKS_TYPE).toBe(RESOURCE_TYPE);
  });

  it("no change: clean, counting every resource it saw", () => {
    const same = { phoneNumber: "+14155550100", voiceUrl: "https://a.example.com/voice" };
    const report = extractDrift(
      [refresh("voice"), refresh("sms"), step("same", "voice", same, same), step("same", "sms", same, same)],
      "staging",
      { now: new Date("2026-11-29T07:00:00Z") },
    );
    expect(report).toEqual({
      stack: "staging",
      status: "clean",
      checkedAt: "2026-11-29T07:00:00.000Z",
      resources: 2,
      sets: 0,
      setMembers: 0,
      drift: [],
    });
  });

  it("a console edit: the number, each changed field, declared and live; unchanged fields left out", () => {
    const report = extractDrift(
      [
        refresh("voice"),
        step(
          "update",
          "voice",
          {
            phoneNumber: "+14155550100",
            voiceUrl: "https://console.example.com/x",
            smsUrl: "https://s.example/sms",
          },
          {
            phoneNumber: "+14155550100",
            voiceUrl: "https://staging.example.com/voice",
            smsUrl: "https://s.example/sms",
          },
        ),
      ],
      "staging",
    );
    expect(report.status).toBe("drift");
    expect(report.drift).toEqual([
      {
        resource: "voice",
        urn: urn("voice"),
        phoneNumber: "+14155550100",
        op: "update",
        fields: [
          {
            field: "voiceUrl",
            declared: "https://staging.example.com/voice",
            live: "https://console.example.com/x",
          },
        ],
      },
    ]);
  });

  it("masks passwords, and sees a changed password even though both mask the same", () => {
    const report = extractDrift(
      [
        step(
          "update",
          "sms",
          { phoneNumber: "+13125550202", smsUrl: SECRET("https://bot:old-pass@hooks.example.com/sms") },
          { phoneNumber: "+13125550202", smsUrl: SECRET("https://bot:new-pass@hooks.example.com/sms") },
        ),
      ],
      "production",
    );
    expect(report.drift[0]!.fields).toEqual([
      {
        field: "smsUrl",
        declared: "https://bot:***@hooks.example.com/sms",
        live: "https://bot:***@hooks.example.com/sms",
      },
    ]);
    expect(JSON.stringify(report)).not.toMatch(/old-pass|new-pass/);
  });

  it("a change only in settings the engine keeps secret lists those, marked hidden", () => {
    const only = extractDrift(
      [
        step(
          "update",
          "sms",
          { phoneNumber: "+1312", smsUrl: SECRET(), voiceUrl: "https://a.example/v" },
          { phoneNumber: "+1312", smsUrl: SECRET(), voiceUrl: "https://a.example/v" },
        ),
      ],
      "s",
    );
    expect(only.drift[0]!.fields).toEqual([
      { field: "smsUrl", declared: "[secret]", live: "[secret]", hidden: true },
    ]);
    expect(formatReport(only)).toContain("smsUrl (secret, may differ)");
    const visible = extractDrift(
      [
        step(
          "update",
          "sms",
          { phoneNumber: "+1312", smsUrl: SECRET(), voiceUrl: "https://console.example/v" },
          { phoneNumber: "+1312", smsUrl: SECRET(), voiceUrl: "https://a.example/v" },
        ),
      ],
      "s",
    );
    expect(visible.drift[0]!.fields.map((f) => f.field)).toEqual(["voiceUrl"]);
  });

  it("a secret the engine did not reveal shows as [secret]; an unset setting as null", () => {
    expect(showValue(SECRET())).toBe("[secret]");
    expect(showValue("")).toBeNull();
    expect(showValue(undefined)).toBeNull();
    const report = extractDrift(
      [
        step(
          "update",
          "v",
          { phoneNumber: "+1415", voiceFallbackUrl: "https://x.example/fb" },
          { phoneNumber: "+1415" },
        ),
      ],
      "s",
    );
    expect(report.drift[0]!.fields).toEqual([
      { field: "voiceFallbackUrl", declared: null, live: "https://x.example/fb" },
    ]);
  });

  it("a number that left the account (create) and a replacement are drift; the replacement once", () => {
    const report = extractDrift(
      [
        step("create", "gone", undefined, { phoneNumber: "+14155550199", voiceUrl: "https://a.example/v" }),
        step(
          "replace",
          "moved",
          { phoneNumber: "+1312", provider: "telnyx" },
          { phoneNumber: "+1312", provider: "twilio" },
        ),
        step("create-replacement", "moved", { phoneNumber: "+1312" }, { phoneNumber: "+1312" }),
        step("delete-replaced", "moved", { phoneNumber: "+1312" }, { phoneNumber: "+1312" }),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.resource, d.op, d.phoneNumber])).toEqual([
      ["moved", "replace", "+1312"],
      ["gone", "create", "+14155550199"],
    ]);
    expect(report.drift[0]!.fields).toEqual([{ field: "provider", declared: "twilio", live: "telnyx" }]);
  });

  it("ignores resources of other types", () => {
    const other = step("update", "bucket", { a: 1 }, { a: 2 });
    other.resourcePreEvent.metadata.type = "aws:s3/bucket:Bucket";
    expect(extractDrift([other], "s")).toMatchObject({ status: "clean", resources: 0, drift: [] });
  });
});

describe("the printed report", () => {
  it("a table naming number, field, declared and live", () => {
    const report = extractDrift(
      [
        step(
          "update",
          "voice",
          { phoneNumber: "+14155550100", voiceUrl: "https://u:pw@console.example.com/x" },
          { phoneNumber: "+14155550100", voiceUrl: "https://staging.example.com/voice" },
        ),
      ],
      "staging",
    );
    const text = formatReport(report);
    expect(text.split("\n")).toEqual([
      "Drift in stack staging: 1 of 1 phone number resource(s) differ.",
      "NUMBER        RESOURCE  CHANGE  FIELD     DECLARED                           LIVE",
      "+14155550100  voice     update  voiceUrl  https://staging.example.com/voice  https://u:***@console.example.com/x",
    ]);
    expect(formatReport(extractDrift([], "dev"))).toBe(
      "No drift in stack dev: 0 phone number resource(s) match the carriers.",
    );
  });

  it("error diagnostics without colours, passwords masked", () => {
    const events: DriftEngineEvent[] = [
      {
        diagnosticEvent: {
          message: "<{%fg 1%}>error: <{%reset%}>GET https://a:hunter2@x.example/y failed\n",
          severity: "error",
        },
      },
      { diagnosticEvent: { message: "just info", severity: "info" } },
    ];
    expect(errorDiagnostics(events)).toEqual(["error: GET https://a:***@x.example/y failed"]);
  });
});

/**
 * Sets. `captured` holds the events of a real refreshing preview (test/e2e against the sandbox,
 * `__provider` trimmed): set "fleet" (Twilio, smsUrl a secret with a password, +14155552002 with
 * its own voiceUrl) and set "sales" (select friendlyNamePrefix "Sales "), then a console edit of
 * +14155552001's voiceUrl, of +14155552002's own voiceUrl, of the password in +14155552000's
 * smsUrl, +14155552003 released, +14155553004 bought as "Sales 4" and +14155553001 renamed.
 */
const SET = PHONE_NUMBER_WEBHOOKS_SET_TYPE;
const setUrn = (name: string) => urn(name, SET);

function setStep(
  op: string,
  name: string,
  live?: Record<string, unknown>,
  declared?: Record<string, unknown>,
) {
  const side = (inputs?: Record<string, unknown>) =>
    inputs ? { inputs: { __provider: PROVIDER, ...inputs } } : null;
  return {
    resourcePreEvent: {
      metadata: { op, urn: setUrn(name), type: SET as string, old: side(live), new: side(declared) },
    },
  } satisfies DriftEngineEvent;
}

describe("extractDrift of sets", () => {
  const fleet = (phoneNumber: string, fields: unknown[]) => ({
    resource: "fleet",
    urn: setUrn("fleet"),
    phoneNumber,
    op: "update",
    fields,
    set: true,
    member: "changed",
  });

  it("a clean refresh: no drift, counting the sets and their members", () => {
    const report = extractDrift(captured.clean as DriftEngineEvent[], "staging");
    expect(report).toMatchObject({ status: "clean", resources: 0, sets: 2, setMembers: 6, drift: [] });
    expect(formatReport(report)).toBe(
      "No drift in stack staging: 0 phone number resource(s) and 2 set(s) of 6 member(s) match the carriers.",
    );
  });

  it("real events: each drifted member under its number and field, joined, left and released members", () => {
    const report = extractDrift(captured.drift as DriftEngineEvent[], "staging");
    expect(report.status).toBe("drift");
    expect(report.drift).toEqual([
      // A password changed in the console: the set's URL is a secret, the live one shows masked.
      fleet("+14155552000", [
        { field: "smsUrl", declared: "[secret]", live: "https://bot:***@fleet.example.com/sms" },
      ]),
      fleet("+14155552001", [
        {
          field: "voiceUrl",
          declared: "https://fleet.example.com/voice",
          live: "https://console.example.com/x",
        },
      ]),
      // Its own setting, from numbers, is what it declares.
      fleet("+14155552002", [
        {
          field: "voiceUrl",
          declared: "https://own.example.com/voice",
          live: "https://console.example.com/own",
        },
      ]),
      { ...fleet("+14155552003", []), member: "released" },
      {
        resource: "sales",
        urn: setUrn("sales"),
        phoneNumber: "+14155553001",
        op: "update",
        fields: [],
        set: true,
        member: "left",
        via: "select",
      },
      {
        resource: "sales",
        urn: setUrn("sales"),
        phoneNumber: "+14155553004",
        op: "update",
        fields: [],
        set: true,
        member: "joined",
        via: "select",
      },
    ]);
    expect(JSON.stringify(report)).not.toMatch(/pw1|pw2/);
  });

  it("the printed table names the set, the member's number, the field and the change", () => {
    const text = formatReport(extractDrift(captured.drift as DriftEngineEvent[], "staging"));
    expect(text.split("\n")).toEqual([
      "Drift in stack staging: 2 of 2 resource(s) differ (0 phone number resource(s) and 2 set(s) of 6 member(s)); 6 set member(s) changed, joined, left or were released.",
      "NUMBER        RESOURCE     CHANGE           FIELD     DECLARED                         LIVE",
      "+14155552000  fleet (set)  update           smsUrl    [secret]                         https://bot:***@fleet.example.com/sms",
      "+14155552001  fleet (set)  update           voiceUrl  https://fleet.example.com/voice  https://console.example.com/x",
      "+14155552002  fleet (set)  update           voiceUrl  https://own.example.com/voice    https://console.example.com/own",
      "+14155552003  fleet (set)  released",
      "+14155553001  sales (set)  left (select)",
      "+14155553004  sales (set)  joined (select)",
    ]);
  });

  it("members added to or removed from numbers join or leave through numbers", () => {
    const report = extractDrift(
      [
        setStep(
          "update",
          "fleet",
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1415", "+1416"],
            members: { "+1415": {}, "+1416": {} },
          },
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1415", "+1417"],
            members: { "+1415": {}, "+1417": {} },
          },
        ),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.phoneNumber, d.member, d.via])).toEqual([
      ["+1416", "left", "numbers"],
      ["+1417", "joined", "numbers"],
    ]);
  });

  it("a released member still listed is released; a password in a live URL never shows", () => {
    const report = extractDrift(
      [
        setStep(
          "update",
          "fleet",
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1415", "+1416"],
            members: {
              "+1415": { released: true },
              "+1416": { voiceUrl: "https://u:hunter2@console.example/v" },
            },
          },
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1415", "+1416"],
            members: { "+1415": {}, "+1416": {} },
          },
        ),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.phoneNumber, d.member, d.fields])).toEqual([
      ["+1415", "released", []],
      [
        "+1416",
        "changed",
        [{ field: "voiceUrl", declared: "https://a.example/v", live: "https://u:***@console.example/v" }],
      ],
    ]);
    expect(JSON.stringify(report)).not.toContain("hunter2");
  });

  it("a member's own setting unchanged is not drift, even with a password; the set's URL changed in the program is, for every member", () => {
    const own = { phoneNumber: "+1416", voiceUrl: "https://u:pw@own.example/v" };
    const report = extractDrift(
      [
        setStep(
          "update",
          "fleet",
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1415", own],
            members: { "+1415": {}, "+1416": { voiceUrl: "https://u:***@own.example/v" } },
          },
          {
            voiceUrl: "https://b.example/v",
            numbers: ["+1415", own],
            members: { "+1415": {}, "+1416": { voiceUrl: "https://u:***@own.example/v" } },
          },
        ),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.phoneNumber, d.member, d.fields])).toEqual([
      [
        "+1415",
        "changed",
        [{ field: "voiceUrl", declared: "https://b.example/v", live: "https://a.example/v" }],
      ],
    ]);
  });

  it("the set's own arguments that differ get an entry without a number", () => {
    const members = { "+1415": {} };
    const report = extractDrift(
      [
        setStep(
          "update",
          "fleet",
          { voiceUrl: "https://a.example/v", onDelete: "restore", numbers: ["+1415"], members },
          { voiceUrl: "https://a.example/v", onDelete: "retain", numbers: ["+1415"], members },
        ),
      ],
      "s",
    );
    expect(report.drift).toEqual([
      {
        resource: "fleet",
        urn: setUrn("fleet"),
        phoneNumber: null,
        op: "update",
        fields: [{ field: "onDelete", declared: "retain", live: "restore" }],
        set: true,
      },
    ]);
    expect(formatReport(report)).toMatch(/\(set\)\s+fleet \(set\)\s+update\s+onDelete\s+retain\s+restore/);
  });

  it("a change the events do not explain, members not known yet, a new set: still drift, on the set", () => {
    const hidden = { voiceUrl: SECRET(), numbers: ["+1415"], members: { "+1415": {} } };
    const report = extractDrift(
      [
        setStep("update", "hidden", hidden, hidden),
        setStep(
          "update",
          "unknown",
          { numbers: ["+1415"], members: { "+1415": {} } },
          {
            numbers: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            members: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
          },
        ),
        setStep("create", "new", undefined, { numbers: ["+1415"], members: { "+1415": {} } }),
        setStep("same", "quiet", hidden, hidden),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.resource, d.op, d.phoneNumber, d.member])).toEqual([
      ["hidden", "update", null, undefined],
      ["new", "create", null, undefined],
      ["unknown", "update", null, undefined],
    ]);
    expect(report.sets).toBe(4);
  });

  it("when the engine hides numbers as a secret, what a member declares comes from the check's members", () => {
    const report = extractDrift(
      [
        setStep(
          "update",
          "fleet",
          {
            voiceUrl: "https://a.example/v",
            numbers: SECRET(),
            members: {
              "+1415": { voiceUrl: "https://own.example/v" },
              "+1416": { voiceUrl: "https://console.example/v" },
            },
          },
          {
            voiceUrl: "https://a.example/v",
            numbers: SECRET(),
            members: { "+1415": { voiceUrl: "https://own.example/v" }, "+1416": {} },
          },
        ),
      ],
      "s",
    );
    expect(report.drift.map((d) => [d.phoneNumber, d.fields])).toEqual([
      ["+1416", [{ field: "voiceUrl", declared: "https://a.example/v", live: "https://console.example/v" }]],
    ]);
  });

  it("set members and PhoneNumberWebhooks resources together, ordered by number", () => {
    const report = extractDrift(
      [
        step(
          "update",
          "voice",
          { phoneNumber: "+1500", voiceUrl: "https://c.example/v" },
          { phoneNumber: "+1500", voiceUrl: "https://a.example/v" },
        ),
        setStep(
          "update",
          "fleet",
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1400", "+1600"],
            members: { "+1400": {}, "+1600": { voiceUrl: "https://c.example/v" } },
          },
          {
            voiceUrl: "https://a.example/v",
            numbers: ["+1400", "+1600"],
            members: { "+1400": {}, "+1600": {} },
          },
        ),
      ],
      "s",
    );
    expect(report).toMatchObject({ resources: 1, sets: 1, setMembers: 2 });
    expect(report.drift.map((d) => [d.phoneNumber, d.resource])).toEqual([
      ["+1500", "voice"],
      ["+1600", "fleet"],
    ]);
  });
});
