import { describe, expect, it } from "vitest";
import {
  ALLOW_PRIVATE_HOSTS_KEY,
  hostRule,
  parseIpv6,
  unreachableHostReason,
} from "../../provider/reachability";

const reasonFor = (host: string) => unreachableHostReason("voiceUrl", `https://${host}/webhooks/voice`);

/** Each rule with hosts it refuses (boundaries included) and the words its message must carry. */
const REFUSED: readonly { rule: string; hosts: readonly string[]; says: string }[] = [
  { rule: "localhost", hosts: ["localhost", "LOCALHOST", "localhost."], says: "is localhost (this machine)" },
  { rule: "*.localhost", hosts: ["app.localhost", "a.b.localhost."], says: "a .localhost name" },
  { rule: "*.local", hosts: ["printer.local", "My-Mac.Local."], says: "a .local name" },
  {
    rule: "*.internal",
    hosts: ["app.internal", "app.internal.", "db.corp.INTERNAL"],
    says: "an .internal name",
  },
  { rule: "home.arpa", hosts: ["home.arpa", "nas.home.arpa", "nas.home.arpa."], says: "a .home.arpa name" },
  {
    rule: "single label",
    hosts: ["intranet", "webhooks.", "xn--bcher-kva"],
    says: "a single-label name (no dot",
  },
  {
    rule: "0.0.0.0/8",
    hosts: ["0.0.0.0", "0.255.255.255", "0", "0x0"],
    says: "an unspecified IPv4 address (0.0.0.0/8)",
  },
  {
    rule: "10/8",
    hosts: ["10.0.0.0", "10.0.0.5", "10.255.255.255"],
    says: "a private IPv4 address (10.0.0.0/8)",
  },
  {
    rule: "100.64/10",
    hosts: ["100.64.0.0", "100.127.255.255"],
    says: "a shared (carrier-grade NAT) IPv4 address (100.64.0.0/10)",
  },
  {
    rule: "127/8",
    hosts: ["127.0.0.0", "127.0.0.1", "127.255.255.255", "127.1", "0x7f.1", "0177.0.0.1", "2130706433"],
    says: "a loopback IPv4 address (127.0.0.0/8)",
  },
  {
    rule: "169.254/16",
    hosts: ["169.254.0.0", "169.254.169.254", "169.254.255.255"],
    says: "a link-local IPv4 address (169.254.0.0/16)",
  },
  {
    rule: "172.16/12",
    hosts: ["172.16.0.0", "172.31.255.255", "172.20.1.1."],
    says: "a private IPv4 address (172.16.0.0/12)",
  },
  {
    rule: "192.168/16",
    hosts: ["192.168.0.0", "192.168.1.1", "192.168.255.255"],
    says: "a private IPv4 address (192.168.0.0/16)",
  },
  { rule: "::1", hosts: ["[::1]", "[0:0:0:0:0:0:0:1]", "[::0:1]"], says: "the IPv6 loopback address (::1)" },
  { rule: "::", hosts: ["[::]", "[0:0:0:0:0:0:0:0]"], says: "the unspecified IPv6 address (::)" },
  {
    rule: "fe80::/10",
    hosts: ["[fe80::]", "[fe80::1]", "[FEBF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF]"],
    says: "a link-local IPv6 address (fe80::/10)",
  },
  {
    rule: "fc00::/7",
    hosts: ["[fc00::]", "[fd12:3456:789a::1]", "[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]"],
    says: "a unique-local IPv6 address (fc00::/7)",
  },
  {
    rule: "IPv4-mapped",
    hosts: ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:0001]", "[::FFFF:127.0.0.1]"],
    says: "127.0.0.1, a loopback IPv4 address (127.0.0.0/8), written as an IPv4-mapped IPv6 address (::ffff:0:0/96)",
  },
  {
    rule: "IPv4-mapped private",
    hosts: ["[::ffff:10.1.2.3]", "[::ffff:a01:203]"],
    says: "10.1.2.3, a private IPv4 address (10.0.0.0/8), written as an IPv4-mapped",
  },
  {
    rule: "IPv4-compatible",
    hosts: ["[::192.168.1.1]", "[::c0a8:101]"],
    says: "192.168.1.1, a private IPv4 address (192.168.0.0/16), written as an IPv4-compatible IPv6 address (::/96)",
  },
];

const ACCEPTED: readonly { what: string; hosts: readonly string[] }[] = [
  {
    what: "public names",
    hosts: ["example.com", "your-app.com", "hooks.example.co.uk", "EXAMPLE.COM.", "bücher.de"],
  },
  {
    what: "names that only contain a refused word",
    hosts: ["localhost.example.com", "local.example.com", "internal.example.com", "my-localhost.com"],
  },
  { what: "names under a lookalike suffix", hosts: ["app.notlocal", "app.internalx.com", "foo.local.com"] },
  { what: "public IPv4", hosts: ["8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "126.255.255.255"] },
  {
    what: "IPv4 just outside each range",
    hosts: [
      "1.0.0.0",
      "100.63.255.255",
      "100.128.0.1",
      "128.0.0.0",
      "169.253.255.255",
      "169.255.0.0",
      "172.15.255.255",
      "172.32.0.1",
      "192.167.255.255",
      "192.169.0.1",
    ],
  },
  {
    what: "public IPv6",
    hosts: [
      "[2606:4700::1]",
      "[2001:4860:4860::8888]",
      "[fe7f:ffff::]",
      "[fec0::1]",
      "[fbff::1]",
      "[fe00::1]",
    ],
  },
  { what: "IPv4-mapped and IPv4-compatible public IPv4", hosts: ["[::ffff:8.8.8.8]", "[::8.8.8.8]"] },
];

describe("unreachableHostReason", () => {
  describe.each(REFUSED)("refuses $rule", ({ hosts, says }) => {
    it.each(hosts)("%s", (host) => {
      const reason = reasonFor(host);
      expect(reason).toBeDefined();
      expect(reason).toContain(says);
    });
  });

  describe.each(ACCEPTED)("accepts $what", ({ hosts }) => {
    it.each(hosts)("%s", (host) => {
      expect(reasonFor(host)).toBeUndefined();
    });
  });

  it("names the property, the host and the rule, in the seed's words", () => {
    expect(unreachableHostReason("voiceUrl", "https://10.0.0.5/voice")).toBe(
      'voiceUrl: host "10.0.0.5" is a private IPv4 address (10.0.0.0/8), which no carrier can reach: ' +
        "webhook URLs must be publicly accessible. Set phoneWebhooks:allowPrivateHosts to true for a lab or a test",
    );
    expect(ALLOW_PRIVATE_HOSTS_KEY).toBe("phoneWebhooks:allowPrivateHosts");
    expect(unreachableHostReason("smsFallbackUrl", "https://printer.local/sms")).toMatch(
      /^smsFallbackUrl: host "printer\.local" is a \.local name/,
    );
  });

  it("shows a host written another way next to the address it means", () => {
    expect(reasonFor("0x7f.1")).toContain('host "0x7f.1" (that is 127.0.0.1) is a loopback IPv4 address');
    expect(reasonFor("2130706433")).toContain('host "2130706433" (that is 127.0.0.1)');
    expect(reasonFor("[::ffff:127.0.0.1]")).toContain('host "[::ffff:127.0.0.1]" (that is [::ffff:7f00:1])');
    expect(reasonFor("[0:0:0:0:0:0:0:1]")).toContain('host "[0:0:0:0:0:0:0:1]" (that is [::1])');
    // Case alone is not worth a note.
    expect(reasonFor("LOCALHOST")).toContain('host "localhost" is localhost');
  });

  it("never shows the userinfo, and ignores the port, path, query and fragment", () => {
    const reason = unreachableHostReason("voiceUrl", "https://user:s3cret@127.1:8443/voice?x=10.0.0.1#ct=5");
    expect(reason).toContain('host "127.1" (that is 127.0.0.1)');
    expect(reason).not.toContain("s3cret");
    expect(reason).not.toContain("user");
    expect(unreachableHostReason("voiceUrl", "https://example.com/10.0.0.1?host=localhost")).toBeUndefined();
  });

  it("reads hosts as the URL parser does: percent-escapes, full-width digits, backslashes", () => {
    expect(reasonFor("%6c%6fcalhost")).toContain("is localhost");
    expect(reasonFor("１２７.0.0.1")).toContain("loopback IPv4");
    expect(unreachableHostReason("voiceUrl", "https://localhost\\@example.com/")).toContain("is localhost");
  });

  it("does not crash on what is not an absolute URL, and leaves it to validation", () => {
    for (const url of ["", "not a url", "https://", "//localhost/", "https://[::1", "https://300.0.0.1/"])
      expect(unreachableHostReason("voiceUrl", url)).toBeUndefined();
    expect(unreachableHostReason("voiceUrl", undefined as unknown as string)).toBeUndefined();
  });

  it("applies to http URLs too (validation refuses them separately)", () => {
    expect(unreachableHostReason("voiceUrl", "http://192.168.0.10:8080/voice")).toContain("192.168.0.0/16");
  });
});

describe("hostRule and parseIpv6", () => {
  it("parses every IPv6 spelling into eight groups", () => {
    expect(parseIpv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("1::")).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("::FFFF:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6("1:2:3:4:5:6:1.2.3.4")).toEqual([1, 2, 3, 4, 5, 6, 0x102, 0x304]);
    expect(parseIpv6("0001:0:0:0:0:0:0:00ff")).toEqual([1, 0, 0, 0, 0, 0, 0, 0xff]);
    expect(parseIpv6("1:2:3:4:5:6:7::")).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    for (const bad of [
      "",
      ":",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "12345::",
      "fe80::1%eth0",
    ])
      expect(parseIpv6(bad)).toBeUndefined();
    expect(parseIpv6("1:2:3:4:5:6:7:8::")).toBeUndefined();
    expect(parseIpv6("::1.2.3.256")).toBeUndefined();
  });

  it("takes a WHATWG hostname: bracketed IPv6, dotted IPv4, names", () => {
    expect(hostRule("[::1]")).toContain("loopback");
    expect(hostRule("[not-an-address]")).toBeUndefined();
    expect(hostRule("127.0.0.1")).toContain("loopback");
    expect(hostRule("example.com")).toBeUndefined();
    // An empty name (the URL "https://./") has no dot and is no public host either.
    expect(hostRule(".")).toContain("single-label");
  });
});
