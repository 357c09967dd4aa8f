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
import { RESOURCE_TYPE } from "../../scripts/pulumi-project";

const TYPE = PHONE_NUMBER_WEBHOOKS_TYPE;
const urn = (name: string, type = TYPE) => `urn:pulumi:staging::e2e::${type}::${name}`;
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
