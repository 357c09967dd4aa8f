/**
 * Property-based tests of `unreachableHostReason`: addresses generated inside each refused range,
 * in every spelling the WHATWG URL parser reads as the same address (dotted, hex, octal, one
 * integer, shortened `127.1`, IPv4-mapped and IPv4-compatible IPv6, bracketed IPv6 with and
 * without zero runs), are refused; public addresses and DNS names are accepted; and neither a
 * trailing dot nor letter case changes the decision.
 *
 * The oracle below is written independently of the provider's tables (integers and CIDR masks),
 * so a wrong boundary in either shows up as a disagreement.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { unreachableHostReason } from "../../provider/reachability";

// -- oracle ---------------------------------------------------------------------------------------

/** [first address, prefix length] of every refused IPv4 range. */
const V4_RANGES: readonly [number, number][] = [
  [0x00000000, 8], // unspecified
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // CGNAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
];

const inV4Range = (n: number, [base, prefix]: [number, number]) =>
  n >>> (32 - prefix) === base >>> (32 - prefix);
const v4Refused = (n: number) => V4_RANGES.some((range) => inV4Range(n, range));

/** An IPv6 address as eight 16-bit groups. */
type Groups = number[];
const v6Refused = (g: Groups): boolean => {
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroPrefix = g.slice(0, 5).every((x) => x === 0);
  const v4 = ((g6 << 16) | g7) >>> 0;
  if (zeroPrefix && g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
  if (g0 >= 0xfe80 && g0 <= 0xfebf) return true; // fe80::/10
  if (g0 >= 0xfc00 && g0 <= 0xfdff) return true; // fc00::/7
  if (zeroPrefix && (g5 === 0xffff || g5 === 0)) return v4Refused(v4); // mapped, compatible
  return false;
};

const refused = (host: string) => unreachableHostReason("voiceUrl", `https://${host}/voice`) !== undefined;

// -- spellings ------------------------------------------------------------------------------------

const octetsOf = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff] as const;

type Radix = "dec" | "hex" | "oct";
const radix = fc.constantFrom<Radix>("dec", "hex", "oct");
/** A number the way the WHATWG IPv4 parser reads it: `0x` hex, leading-zero octal, or decimal. */
const spell = (value: number, r: Radix): string =>
  r === "hex" ? `0x${value.toString(16)}` : r === "oct" ? `0${value.toString(8)}` : String(value);

/** Every IPv4 spelling of the address `n`, each a function of some random choices. */
const ipv4Spelling = (n: number): fc.Arbitrary<string> => {
  const [a, b, c, d] = octetsOf(n);
  return fc.oneof(
    fc.constant(`${a}.${b}.${c}.${d}`),
    fc
      .tuple(radix, radix, radix, radix)
      .map(([ra, rb, rc, rd]) => [spell(a, ra), spell(b, rb), spell(c, rc), spell(d, rd)].join(".")),
    radix.map((r) => spell(n, r)), // one integer: 2130706433, 0x7f000001, 017700000001
    fc.tuple(radix, radix).map(([ra, rb]) => `${spell(a, ra)}.${spell(b, rb)}.${spell(c * 256 + d, "dec")}`),
    fc.tuple(radix, radix).map(([ra, rb]) => `${spell(a, ra)}.${spell(b * 65536 + c * 256 + d, rb)}`), // 127.1
  );
};

const hex4 = (x: number, pad: boolean) => (pad ? x.toString(16).padStart(4, "0") : x.toString(16));

/**
 * A bracketed IPv6 spelling of `groups`: any one run of zero groups as `::` (or none), groups
 * with or without leading zeros, and the last 32 bits dotted when `dottedTail`.
 */
const ipv6Spelling = (groups: Groups, dottedTail = false): fc.Arbitrary<string> =>
  fc.tuple(fc.nat(), fc.boolean()).map(([runPick, pad]) => {
    const parts = groups.map((g) => hex4(g, pad));
    if (dottedTail) {
      const [a, b, c, d] = octetsOf((((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0);
      parts.splice(6, 2, `${a}.${b}.${c}.${d}`);
    }
    // Every run of zero groups (not only the longest) may be written "::": (start, length).
    const runs: [number, number][] = [];
    const last = dottedTail ? 6 : 8;
    for (let start = 0; start < last; start++)
      for (let end = start; end < last && groups[end] === 0; end++) runs.push([start, end - start + 1]);
    const choice = runPick % (runs.length + 1);
    if (choice === runs.length) return `[${parts.join(":")}]`;
    const [start, length] = runs[choice] ?? [0, 0];
    const before = parts.slice(0, start).join(":");
    const after = parts.slice(start + length).join(":");
    return `[${before}::${after}]`;
  });

/** Mixed case, as a user or a template might write it. */
const anyCase = (host: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: host.length, maxLength: host.length })
    .map((upper) => [...host].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(""));

// -- addresses ------------------------------------------------------------------------------------

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const inRange = ([base, prefix]: [number, number]) =>
  fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => (base + offset) >>> 0);
/** Addresses at and near each range's ends, where off-by-one mistakes live. */
const nearBoundary = fc
  .tuple(fc.constantFrom(...V4_RANGES), fc.boolean(), fc.integer({ min: -2, max: 2 }))
  .map(([[base, prefix], atEnd, delta]) => (base + (atEnd ? 2 ** (32 - prefix) - 1 : 0) + delta) >>> 0);
const refusedV4 = fc.oneof(...V4_RANGES.map(inRange));
const publicV4 = uint32.filter((n) => !v4Refused(n));
const anyV4 = fc.oneof(refusedV4, publicV4, nearBoundary);

const group = fc.integer({ min: 0, max: 0xffff });
/** Groups with many zeros, so that `::` runs of every length turn up. */
const sparseGroup = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: group });
const groupsWith = (first: fc.Arbitrary<number>) =>
  fc.tuple(first, fc.array(sparseGroup, { minLength: 7, maxLength: 7 })).map(([g0, rest]) => [g0, ...rest]);
const mapped = (v4: number): Groups => [0, 0, 0, 0, 0, 0xffff, v4 >>> 16, v4 & 0xffff];
const compatible = (v4: number): Groups => [0, 0, 0, 0, 0, 0, v4 >>> 16, v4 & 0xffff];

const refusedV6: fc.Arbitrary<Groups> = fc.oneof(
  fc.constant<Groups>([0, 0, 0, 0, 0, 0, 0, 0]),
  fc.constant<Groups>([0, 0, 0, 0, 0, 0, 0, 1]),
  groupsWith(fc.integer({ min: 0xfe80, max: 0xfebf })),
  groupsWith(fc.integer({ min: 0xfc00, max: 0xfdff })),
  refusedV4.map(mapped),
  refusedV4.map(compatible),
);
const publicV6: fc.Arbitrary<Groups> = fc.oneof(
  groupsWith(fc.integer({ min: 0x2000, max: 0x3fff })), // global unicast
  publicV4.map(mapped),
);
const anyV6: fc.Arbitrary<Groups> = fc.oneof(
  refusedV6,
  publicV6,
  fc.array(sparseGroup, { minLength: 8, maxLength: 8 }),
  groupsWith(fc.constantFrom(0xfe7f, 0xfec0, 0xfbff, 0xfe00)), // just outside fe80::/10 and fc00::/7
);

// -- names ----------------------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?$/).filter((l) => !/^..--/.test(l));
const PUBLIC_SUFFIXES = ["com", "net", "org", "io", "dev", "app", "co.uk", "de", "jp", "com.au", "cloud"];
const publicName = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom(...PUBLIC_SUFFIXES))
  .map(([labels, suffix]) => [...labels, suffix].join("."));
const LOCAL_SUFFIXES = ["localhost", "local", "internal", "home.arpa"];
const localName = fc.oneof(
  fc.constantFrom("localhost", "home.arpa"),
  fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom(...LOCAL_SUFFIXES))
    .map(([labels, suffix]) => [...labels, suffix].join(".")),
  // A letter first: an all-digit or 0x label is an IPv4 address to the URL parser.
  fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/),
);

/** Plain assertions: this runs thousands of times, and `expect` is slow in a hot loop. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const runs = (numRuns: number) => ({ numRuns });

// -- properties -----------------------------------------------------------------------------------

describe("unreachableHostReason: IPv4", () => {
  it("refuses every address inside a refused range, in every spelling", () => {
    fc.assert(
      fc.property(
        refusedV4.chain((n) => fc.tuple(fc.constant(n), ipv4Spelling(n))),
        ([n, host]) => {
          check(refused(host), `${host} (${octetsOf(n).join(".")}) was accepted`);
        },
      ),
      runs(2000),
    );
  });

  it("accepts every public address, in every spelling", () => {
    fc.assert(
      fc.property(
        publicV4.chain((n) => fc.tuple(fc.constant(n), ipv4Spelling(n))),
        ([n, host]) => {
          check(!refused(host), `${host} (${octetsOf(n).join(".")}) was refused`);
        },
      ),
      runs(2000),
    );
  });

  it("decides every address, boundaries included, as the oracle does", () => {
    fc.assert(
      fc.property(anyV4, (n) => {
        const dotted = octetsOf(n).join(".");
        check(refused(dotted) === v4Refused(n), `${dotted}: expected refused=${v4Refused(n)}`);
      }),
      runs(3000),
    );
  });

  it("refuses a refused IPv4 address written as IPv4-mapped or IPv4-compatible IPv6, and only those", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(anyV4, fc.boolean(), fc.boolean())
          .chain(([n, isMapped, dotted]) =>
            fc.tuple(
              fc.constant(n),
              fc.constant(isMapped),
              ipv6Spelling(isMapped ? mapped(n) : compatible(n), dotted),
            ),
          ),
        ([n, isMapped, host]) => {
          // ::0.0.0.0 and ::0.0.0.1 are :: and ::1, refused as IPv6 whatever the IPv4 rules say.
          const expected = v4Refused(n) || (!isMapped && n <= 1);
          check(
            refused(host) === expected,
            `${host} (${octetsOf(n).join(".")}): expected refused=${expected}`,
          );
        },
      ),
      runs(2000),
    );
  });
});

describe("unreachableHostReason: IPv6", () => {
  it("refuses every address in a refused range, with or without zero runs and leading zeros", () => {
    fc.assert(
      fc.property(refusedV6.chain(ipv6Spelling), (host) => {
        check(refused(host), `${host} was accepted`);
      }),
      runs(2000),
    );
  });

  it("accepts public addresses", () => {
    fc.assert(
      fc.property(publicV6.chain(ipv6Spelling), (host) => {
        check(!refused(host), `${host} was refused`);
      }),
      runs(2000),
    );
  });

  it("decides any address as the oracle does", () => {
    fc.assert(
      fc.property(
        anyV6.chain((g) => fc.tuple(fc.constant(g), ipv6Spelling(g))),
        ([g, host]) => {
          check(refused(host) === v6Refused(g), `${host}: expected refused=${v6Refused(g)}`);
        },
      ),
      runs(3000),
    );
  });
});

describe("unreachableHostReason: names", () => {
  it("accepts DNS names of two or more labels under a public suffix", () => {
    fc.assert(
      fc.property(publicName, (host) => {
        check(!refused(host), `${host} was refused`);
      }),
      runs(1000),
    );
  });

  it("refuses localhost, .localhost, .local, .internal, .home.arpa and single-label names", () => {
    fc.assert(
      fc.property(localName, (host) => {
        check(refused(host), `${host} was accepted`);
      }),
      runs(1000),
    );
  });
});

describe("unreachableHostReason: spelling does not matter", () => {
  const anyHost = fc.oneof(anyV4.chain(ipv4Spelling), anyV6.chain(ipv6Spelling), publicName, localName);

  it("decides the same with a trailing dot and in any letter case", () => {
    fc.assert(
      fc.property(
        anyHost.chain((host) => fc.tuple(fc.constant(host), anyCase(host))),
        ([host, cased]) => {
          const decision = refused(host);
          check(refused(cased) === decision, `${host} and ${cased} differ`);
          if (!host.startsWith("[")) {
            check(refused(`${host}.`) === decision, `${host} and ${host}. differ`);
            check(refused(`${cased}.`) === decision, `${host} and ${cased}. differ`);
          }
        },
      ),
      runs(3000),
    );
  });

  it("names the property and says the URL must be publicly accessible whenever it refuses", () => {
    fc.assert(
      fc.property(fc.constantFrom("voiceUrl", "smsUrl", "statusCallbackUrl"), anyHost, (property, host) => {
        const reason = unreachableHostReason(property, `https://user:pw-s3cret@${host}:8443/x`);
        if (reason === undefined) return;
        check(reason.startsWith(`${property}: host "`), `does not name ${property}: ${reason}`);
        check(reason.includes("webhook URLs must be publicly accessible"), `no rule: ${reason}`);
        check(!reason.includes("pw-s3cret"), `shows the password: ${reason}`);
      }),
      runs(1000),
    );
  });
});
