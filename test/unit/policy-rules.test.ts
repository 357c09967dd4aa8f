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
