import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, expectTypeOf, it, vi } from "vitest";
import { PhoneNumberWebhooks, PhoneNumberWebhooksSet } from "../../provider/resource";
import { OUTPUT_NAMES } from "../../provider/schema";
import { encodeMemberRecords, type MemberState } from "../../provider/set-schema";

const TOKEN = "5f2b8c1e9d7a4063b1e8f0c2a9d4e7b3";
const MEMBER_RECORDS: Record<string, MemberState> = {
  "+14155550103": {
    ids: { phoneNumberSid: "PN01" },
    webhooks: { voiceUrl: "https://example.com/v" },
    previous: {},
  },
};
const registered: Array<{ type: string; inputs: Record<string, unknown> }> = [];

beforeAll(() => {
  // Credentials in the environment of the program must not end up in the serialized provider.
  process.env.TWILIO_AUTH_TOKEN = TOKEN;
  process.env.TELNYX_API_KEY = "KEY_program_side_secret";
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, inputs: args.inputs });
        // A set's provider answers with its member records encoded, as the state holds them.
        const state = args.type.endsWith(":PhoneNumberWebhooksSet")
          ? { ...args.inputs, members: encodeMemberRecords(MEMBER_RECORDS) }
          : args.inputs;
        return { id: `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
});

function waitFor(resource: pulumi.Resource): Promise<void> {
  return new Promise((resolve) => resource.urn.apply(() => setTimeout(resolve, 50)));
}

describe("the resource under the Pulumi runtime", () => {
  it("registers with its type token and a small __provider that holds no credential or SDK code", async () => {
    const resource = new PhoneNumberWebhooks("n", {
      phoneNumber: "+14155550100",
      voiceUrl: "https://example.com/voice",
      smsUrl: "https://example.com/sms",
    });
    await waitFor(resource);
    const entry = registered.find((r) => r.inputs.phoneNumber === "+14155550100")!;
    expect(entry.type).toBe("pulumi-nodejs:dynamic/phone-webhooks:PhoneNumberWebhooks");
    const serialized = entry.inputs.__provider as string;
    expect(typeof serialized).toBe("string");
    expect(serialized.length).toBeLessThan(4096);
    expect(serialized).toContain("require(`${PACKAGE_NAME}/hosted`)");
    expect(serialized).toContain('PACKAGE_NAME: "pulumi-phone-webhooks"');
    for (const leaked of [TOKEN, "KEY_program_side_secret", "RequestClient", "Telnyx", "zod"])
      expect(serialized).not.toContain(leaked);
    for (const method of ["check", "diff", "create", "read", "update", "delete", "configure"])
      expect(serialized).toMatch(new RegExp(`\\b${method}: __f\\d+`));
  });

  it("forwards to the hosted module (the shim requires it), which forwards to the process's shared provider", async () => {
    const { default: hosted } = await import("../../provider/hosted.js");
    const { sharedProvider, PhoneNumberWebhooksProvider } = await import("../../provider/lifecycle.js");
    expect(sharedProvider()).toBeInstanceOf(PhoneNumberWebhooksProvider);
    expect(sharedProvider()).toBe(sharedProvider());
    const check = vi.spyOn(sharedProvider(), "check");
    // The forwarding is the point here, not the carriers: complete the credentials (a token
    // without its SID fails check, as it fails up) and ask no carrier.
    process.env.TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
    process.env.PHONE_WEBHOOKS_PREVIEW_CHECKS = "false";
    const news = { phoneNumber: "+14155550100", voiceUrl: "https://example.com/voice" };
    const result = await hosted.check({}, news);
    expect(check).toHaveBeenCalledWith({}, news);
    expect(result.failures).toEqual([]);
    check.mockRestore();
  });

  it("gives a set's program its member records decoded, as the README documents the output", async () => {
    const set = new PhoneNumberWebhooksSet("records", {
      provider: "twilio",
      voiceUrl: "https://example.com/voice",
      numbers: ["+14155550103"],
    });
    const members = await new Promise((resolve) => set.members.apply(resolve));
    expect(members).toEqual(MEMBER_RECORDS);
  });

  it("has every output of the schema as a typed property (the README's list)", async () => {
    const resource = new PhoneNumberWebhooks("outputs", {
      phoneNumber: "+14155550102",
      voiceUrl: "https://example.com/voice",
    });
    await waitFor(resource);
    for (const name of OUTPUT_NAMES) expect(pulumi.Output.isInstance(resource[name]), name).toBe(true);
    // Carrier identifiers are declared too, typed from their carrier's descriptor.
    expectTypeOf(resource.trunkSid).toEqualTypeOf<pulumi.Output<string | null | undefined>>();
    expectTypeOf(resource.provider).toEqualTypeOf<pulumi.Output<"twilio" | "telnyx" | "signalwire">>();
  });

  it("makes a webhook URL with a password a secret input", async () => {
    const resource = new PhoneNumberWebhooks("secret", {
      phoneNumber: "+14155550101",
      smsUrl: "https://user:hunter2@example.com/sms",
    });
    await waitFor(resource);
    const entry = registered.find((r) => r.inputs.phoneNumber === "+14155550101")!;
    // Under mocks a secret arrives wrapped with Pulumi's secret signature.
    expect(JSON.stringify(entry.inputs.smsUrl)).toContain("1b47061264138c4ac30d75fd1eb44270");
  });
});
