/**
 * The policies as @pulumi/policy calls them: `validateResource` with a resource's type, declared
 * properties and the policy's configuration. The engine's part is in test/e2e/policy-pack.test.ts.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import {
  PHONE_NUMBER_WEBHOOKS_SET_TYPE,
  PHONE_NUMBER_WEBHOOKS_TYPE,
  phoneWebhooksPolicies,
  POLICY_NAMES,
} from "../../provider/policy";

function violations(
  stack: string,
  name: string,
  props: Record<string, unknown>,
  config: object = {},
  type: string = PHONE_NUMBER_WEBHOOKS_TYPE,
): string[] {
  const policy = phoneWebhooksPolicies({ stack: () => stack }).find(
    (p) => p.name === name,
  ) as ResourceValidationPolicy;
  const found: string[] = [];
  const args = { type, props, urn: `urn:pulumi:${stack}::p::${type}::r`, name: "r", getConfig: () => config };
  const validate = policy.validateResource as (
    a: ResourceValidationArgs,
    report: (m: string) => void,
  ) => void;
  validate(args as unknown as ResourceValidationArgs, (message) => found.push(message));
  return found;
}

describe("the policies", () => {
  it("are the five documented, all mandatory", () => {
    expect(phoneWebhooksPolicies().map((p) => [p.name, p.enforcementLevel])).toEqual(
      Object.values(POLICY_NAMES).map((name) => [name, "mandatory"]),
    );
  });

  it("look at PhoneNumberWebhooksSet resources too, with every rule", () => {
    const set = {
      voiceUrl: "http://fleet.example.com/voice",
      numbers: ["+14155550100", { phoneNumber: "+14155550101", smsUrl: "https://evil.test/s" }],
      onShared: "update",
      onDelete: "retain",
      members: { "+14155550100": {}, "+14155550101": {}, "+13125550202": {} },
    };
    const on = (name: string, config: object = {}) =>
      violations("production", name, set, config, PHONE_NUMBER_WEBHOOKS_SET_TYPE);
    expect(on(POLICY_NAMES.httpsOnly)).toEqual([
      "voiceUrl http://fleet.example.com/voice is not an https:// URL",
    ]);
    expect(on(POLICY_NAMES.allowedHosts, { hosts: ["*.example.com"] })).toEqual([
      'numbers[1] (+14155550101) smsUrl https://evil.test/s points at host "evil.test", which is not among the allowed hosts (*.example.com)',
    ]);
    expect(on(POLICY_NAMES.noSharedUpdate, { stacks: ["production"] })).toEqual([
      expect.stringMatching(/^onShared: "update" is not allowed on stack production/),
    ]);
    expect(on(POLICY_NAMES.restoreOnDelete, { stacks: ["*"] })).toEqual([
      'onDelete: "retain" is not allowed on stack production: it must be "restore"',
    ]);
    expect(
      on(POLICY_NAMES.numberPerStack, {
        numbers: { production: ["+14155550100", "+14155550101"], staging: ["+13125550202"] },
      }),
    ).toEqual(["+13125550202 (selected) belongs to stack staging, not to stack production"]);
  });

  it("look at PhoneNumberWebhooks and sets only, not other types", () => {
    expect(violations("production", POLICY_NAMES.httpsOnly, { voiceUrl: "http://a.example/v" })).toHaveLength(
      1,
    );
    expect(
      violations(
        "production",
        POLICY_NAMES.httpsOnly,
        { voiceUrl: "http://a.example/v" },
        {},
        "aws:s3/bucket:Bucket",
      ),
    ).toEqual([]);
  });

  it("apply per-stack settings to the stack the engine names", () => {
    const config = { stacks: ["production"] };
    expect(
      violations("production", POLICY_NAMES.restoreOnDelete, { onDelete: "retain" }, config),
    ).toHaveLength(1);
    expect(violations("staging", POLICY_NAMES.restoreOnDelete, { onDelete: "retain" }, config)).toEqual([]);
  });

  it("report a per-stack setting they cannot apply because the stack is unknown, and a bad configuration", () => {
    expect(
      violations("", POLICY_NAMES.noSharedUpdate, { allowSharedUpdate: true }, { stacks: ["production"] }),
    ).toEqual([
      "policy phone-webhooks-no-shared-update is configured per stack, but the engine did not tell the policy pack which stack this is (PULUMI_NODEJS_STACK is unset)",
    ]);
    expect(violations("", POLICY_NAMES.noSharedUpdate, { allowSharedUpdate: true }, {})).toEqual([]);
    expect(violations("production", POLICY_NAMES.allowedHosts, {}, { hosts: "*.example.com" })[0]).toMatch(
      /^policy phone-webhooks-allowed-hosts: configuration hosts: /,
    );
  });
});
