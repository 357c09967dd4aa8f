/** The policy pack's rules, one resource's declared arguments at a time. */
import { describe, expect, it } from "vitest";
import {
  allowedHostsConfig,
  checkAllowedHosts,
  checkHttpsOnly,
  checkNoSharedUpdate,
  checkNumberPerStack,
  checkRestoreOnDelete,
  hostMatches,
  managedNumbers,
  numbersByStackConfig,
  parseConfig,
  stacksConfig,
} from "../../provider/policy/rules";

describe("allowed hosts", () => {
  const config = parseConfig("p", allowedHostsConfig, { hosts: ["*.example.com", "hooks.partner.io"] });

  it("wildcards match names under the domain, not the domain itself nor look-alikes", () => {
    expect(hostMatches("a.example.com", "*.example.com")).toBe(true);
    expect(hostMatches("a.b.example.com", "*.example.com")).toBe(true);
    expect(hostMatches("example.com", "*.example.com")).toBe(false);
    expect(hostMatches("evilexample.com", "*.example.com")).toBe(false);
    expect(hostMatches("HOOKS.partner.io", "hooks.partner.io")).toBe(false); // hosts arrive lower-cased
    expect(hostMatches("hooks.partner.io", "Hooks.Partner.IO")).toBe(true);
  });

  it("reports each URL on another host, its password masked; unknown values pass", () => {
    expect(
      checkAllowedHosts(
        {
          phoneNumber: "+14155550100",
          voiceUrl: "https://staging.example.com/voice",
          smsUrl: "https://bot:hunter2@evil.test/sms",
          voiceFallbackUrl: "https://HOOKS.partner.io/fb",
          statusCallbackUrl: undefined,
        },
        config,
      ),
    ).toEqual([
      'smsUrl https://bot:***@evil.test/sms points at host "evil.test", which is not among the allowed hosts (*.example.com, hooks.partner.io)',
    ]);
    expect(
      checkAllowedHosts({ voiceUrl: "https://evil.test/" }, parseConfig("p", allowedHostsConfig, {})),
    ).toEqual([]);
  });

  it("refuses a malformed host pattern in the configuration", () => {
    expect(() =>
      parseConfig("phone-webhooks-allowed-hosts", allowedHostsConfig, { hosts: ["https://x.com"] }),
    ).toThrow(/policy phone-webhooks-allowed-hosts: configuration hosts.0: a host is a DNS name/);
  });
});

describe("https only", () => {
  it("reports http and other schemes", () => {
    expect(checkHttpsOnly({ voiceUrl: "http://a.example.com/v", smsUrl: "https://a.example.com/s" })).toEqual(
      ["voiceUrl http://a.example.com/v is not an https:// URL"],
    );
  });
});

describe("per-stack rules", () => {
  const prod = parseConfig("p", stacksConfig, { stacks: ["production"] });

  it("no shared update on the chosen stacks only", () => {
    expect(checkNoSharedUpdate({ allowSharedUpdate: true }, "production", prod)).toEqual([
      "allowSharedUpdate: true is not allowed on stack production: it lets a change reach every number on a shared Telnyx connection or messaging profile",
    ]);
    expect(checkNoSharedUpdate({ onShared: "update" }, "production", prod)[0]).toMatch(
      /^onShared: "update" is not allowed/,
    );
    expect(checkNoSharedUpdate({ allowSharedUpdate: true }, "staging", prod)).toEqual([]);
    expect(checkNoSharedUpdate({ allowSharedUpdate: false }, "production", prod)).toEqual([]);
    expect(
      checkNoSharedUpdate(
        { allowSharedUpdate: true },
        "dev",
        parseConfig("p", stacksConfig, { stacks: ["*"] }),
      ),
    ).toHaveLength(1);
  });

  it("onDelete restore (or absent) on the chosen stacks", () => {
    expect(checkRestoreOnDelete({ onDelete: "retain" }, "production", prod)).toEqual([
      'onDelete: "retain" is not allowed on stack production: it must be "restore"',
    ]);
    expect(checkRestoreOnDelete({}, "production", prod)).toEqual([]);
    expect(checkRestoreOnDelete({ onDelete: "restore" }, "production", prod)).toEqual([]);
    expect(checkRestoreOnDelete({ onDelete: "clear" }, "staging", prod)).toEqual([]);
  });

  it("a number belongs to one stack", () => {
    const config = parseConfig("p", numbersByStackConfig, {
      numbers: { staging: ["+14155550101"], production: ["+14155550100"] },
    });
    expect(checkNumberPerStack({ phoneNumber: "+14155550100" }, "production", config)).toEqual([]);
    expect(checkNumberPerStack({ phoneNumber: "+14155550100" }, "staging", config)).toEqual([
      "+14155550100 belongs to stack production, not to stack staging",
    ]);
    expect(checkNumberPerStack({ phoneNumber: "+13125550200" }, "staging", config)).toEqual([
      "+13125550200 is not among the numbers of stack staging (+14155550101)",
    ]);
    expect(checkNumberPerStack({ phoneNumber: "+13125550200" }, "dev", config)).toEqual([]);
    const twice = parseConfig("p", numbersByStackConfig, {
      numbers: { a: ["+14155550100"], b: ["+14155550100"] },
    });
    expect(checkNumberPerStack({ phoneNumber: "+14155550100" }, "a", twice)[0]).toMatch(
      /listed for more than one stack \(a, b\)/,
    );
    expect(() => parseConfig("p", numbersByStackConfig, { numbers: { a: ["4155550100"] } })).toThrow(
      /numbers are E.164/,
    );
  });
});

/**
 * A PhoneNumberWebhooksSet's arguments as the policies see them: checked by the provider, so
 * `members` names every member (listed and selected), with what each declares over the set.
 */
describe("the rules on sets", () => {
  const set = {
    label: "fleet",
    voiceUrl: "https://fleet.example.com/voice",
    numbers: [
      "+14155550100",
      { phoneNumber: "+14155550101", voiceUrl: "http://bot:hunter2@evil.test/v" },
      { phoneNumber: "+14155550102", smsUrl: "https://sms.example.com/s" },
    ],
    select: { friendlyNamePrefix: "Fleet " },
    members: {
      "+14155550100": {},
      "+14155550101": { voiceUrl: "http://bot:***@evil.test/v" },
      "+14155550102": { smsUrl: "https://sms.example.com/s" },
      "+14155550199": {},
    },
  };

  it("allowed hosts: the set's URLs and each member's own, naming the member by index and number", () => {
    const config = parseConfig("p", allowedHostsConfig, { hosts: ["*.example.com"] });
    expect(checkAllowedHosts(set, config)).toEqual([
      'numbers[1] (+14155550101) voiceUrl http://bot:***@evil.test/v points at host "evil.test", which is not among the allowed hosts (*.example.com)',
    ]);
    expect(checkAllowedHosts({ ...set, smsUrl: "https://other.test/s" }, config)).toEqual([
      'smsUrl https://other.test/s points at host "other.test", which is not among the allowed hosts (*.example.com)',
      expect.stringMatching(/^numbers\[1\] \(\+14155550101\) voiceUrl /),
    ]);
  });

  it("https only: the set's URLs and each member's own", () => {
    expect(checkHttpsOnly({ ...set, voiceUrl: "http://fleet.example.com/voice" })).toEqual([
      "voiceUrl http://fleet.example.com/voice is not an https:// URL",
      "numbers[1] (+14155550101) voiceUrl http://bot:***@evil.test/v is not an https:// URL",
    ]);
    // A member entry whose number is not known yet is still named by its index.
    expect(checkHttpsOnly({ numbers: [{ smsUrl: "http://a.example.com/s" }] })).toEqual([
      "numbers[0] smsUrl http://a.example.com/s is not an https:// URL",
    ]);
  });

  it('shared update: onShared: "update" (or allowSharedUpdate) on a set', () => {
    const prod = parseConfig("p", stacksConfig, { stacks: ["production"] });
    expect(checkNoSharedUpdate({ ...set, onShared: "update" }, "production", prod)[0]).toMatch(
      /^onShared: "update" is not allowed on stack production/,
    );
    expect(checkNoSharedUpdate({ ...set, onShared: "isolate" }, "production", prod)).toEqual([]);
    expect(checkNoSharedUpdate({ ...set, allowSharedUpdate: true }, "production", prod)).toHaveLength(1);
  });

  it("restore on delete: a set's onDelete", () => {
    const prod = parseConfig("p", stacksConfig, { stacks: ["production"] });
    expect(checkRestoreOnDelete({ ...set, onDelete: "clear" }, "production", prod)).toEqual([
      'onDelete: "clear" is not allowed on stack production: it must be "restore"',
    ]);
    expect(checkRestoreOnDelete(set, "production", prod)).toEqual([]);
  });

  it("a set's numbers are its listed and its selected members; unknown ones are left out", () => {
    expect(managedNumbers(set)).toEqual([
      { phoneNumber: "+14155550100", label: "numbers[0] (+14155550100)" },
      { phoneNumber: "+14155550101", label: "numbers[1] (+14155550101)" },
      { phoneNumber: "+14155550102", label: "numbers[2] (+14155550102)" },
      { phoneNumber: "+14155550199", label: "+14155550199 (selected)" },
    ]);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(managedNumbers({ numbers: unknown, members: unknown })).toEqual([]);
    expect(managedNumbers({ select: { tag: "x" }, members: { "+13125550200": {} } })).toEqual([
      { phoneNumber: "+13125550200", label: "+13125550200 (selected)" },
    ]);
  });

  it("one stack per number: every member counts, listed or selected", () => {
    const config = parseConfig("p", numbersByStackConfig, {
      numbers: {
        production: ["+14155550100", "+14155550101", "+14155550102", "+14155550199"],
        staging: ["+13125550202"],
      },
    });
    expect(checkNumberPerStack(set, "production", config)).toEqual([]);
    // The same set in staging: each member belongs to production.
    expect(checkNumberPerStack(set, "staging", config)).toEqual([
      "numbers[0] (+14155550100) belongs to stack production, not to stack staging",
      "numbers[1] (+14155550101) belongs to stack production, not to stack staging",
      "numbers[2] (+14155550102) belongs to stack production, not to stack staging",
      "+14155550199 (selected) belongs to stack production, not to stack staging",
    ]);
    // A production set that selects a staging number (one a PhoneNumberWebhooks of staging manages).
    expect(
      checkNumberPerStack(
        { select: { tag: "all" }, members: { "+14155550100": {}, "+13125550202": {} } },
        "production",
        config,
      ),
    ).toEqual(["+13125550202 (selected) belongs to stack staging, not to stack production"]);
    // A member no stack lists, on a stack that lists its numbers.
    expect(checkNumberPerStack({ numbers: ["+19995550100"] }, "staging", config)).toEqual([
      "numbers[0] (+19995550100) is not among the numbers of stack staging (+13125550202)",
    ]);
  });
});

describe("a SignalWire resource, under the same rules", () => {
  const prod = parseConfig("p", stacksConfig, { stacks: ["production"] });
  const hosts = parseConfig("p", allowedHostsConfig, { hosts: ["*.example.com"] });
  const set = {
    provider: "signalwire",
    select: { signalwireNamePrefix: "support-" },
    numbers: [{ phoneNumber: "+16465550101", smsUrl: "http://sms.partner.test/in" }],
    members: { "+16465550100": {}, "+16465550101": { smsUrl: "http://sms.partner.test/in" } },
    voiceUrl: "https://hooks.example.com/voice",
    onDelete: "retain",
  };

  it("finds a member's own URL on another host and over http, and the destroy that gives nothing back", () => {
    expect(checkAllowedHosts(set, hosts).join("\n")).toContain("http://sms.partner.test/in");
    expect(checkHttpsOnly(set).join("\n")).toContain("http://sms.partner.test/in is not an https:// URL");
    expect(checkRestoreOnDelete(set, "production", prod)).toEqual([
      'onDelete: "retain" is not allowed on stack production: it must be "restore"',
    ]);
  });

  it("counts its selected members as the stack's numbers", () => {
    const config = parseConfig("p", numbersByStackConfig, { numbers: { production: ["+16465550100"] } });
    const found = checkNumberPerStack(set, "production", config);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("+16465550101");
    expect(found[0]).toContain("is not among the numbers of stack production");
  });
});
