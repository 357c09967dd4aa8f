/**
 * Refuses webhook URLs whose host no carrier can reach: loopback, private, link-local and other
 * local-only addresses and names. A pure check of the URL text, with no DNS lookup: a public name
 * that resolves to a private address passes here and fails later, at the carrier.
 *
 * Hosts are read the way the WHATWG URL parser reads them (`new URL(url).hostname`), as carriers'
 * HTTP clients do: it lower-cases names, decodes percent-escapes and full-width digits, turns
 * `0x7f.1`, `0177.0.0.1`, `2130706433` and `127.1` into `127.0.0.1`, drops an IPv4 address's
 * trailing dot and compresses IPv6 (`[0:0:0:0:0:0:0:1]` is `[::1]`, `[::ffff:127.0.0.1]` is
 * `[::ffff:7f00:1]`). A name keeps its trailing dot (`localhost.`), so rules strip it themselves.
 */

/** The config key that turns this check off, for a lab or a test against a local server. */
export const ALLOW_PRIVATE_HOSTS_KEY = "phoneWebhooks:allowPrivateHosts";

interface Ipv4Range {
  /** The first address, as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  cidr: string;
  /** What an address in the range is, completing "is ...". */
  what: string;
}

function ipv4Range(cidr: string, what: string): Ipv4Range {
  const [address = "", prefix = ""] = cidr.split("/");
  return { base: ipv4ToInt(parseIpv4(address) ?? [0, 0, 0, 0]), prefix: Number(prefix), cidr, what };
}

export const REFUSED_IPV4_RANGES: readonly Ipv4Range[] = [
  ipv4Range("0.0.0.0/8", "an unspecified IPv4 address"),
  ipv4Range("10.0.0.0/8", "a private IPv4 address"),
  ipv4Range("100.64.0.0/10", "a shared (carrier-grade NAT) IPv4 address"),
  ipv4Range("127.0.0.0/8", "a loopback IPv4 address"),
  ipv4Range("169.254.0.0/16", "a link-local IPv4 address"),
  ipv4Range("172.16.0.0/12", "a private IPv4 address"),
  ipv4Range("192.168.0.0/16", "a private IPv4 address"),
];

/** Four octets from a dotted-decimal address (the only IPv4 form the URL parser leaves). */
export function parseIpv4(text: string): [number, number, number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets as [number, number, number, number];
}

function ipv4ToInt(octets: readonly number[]): number {
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

/** The rule an IPv4 address breaks, as "is ... (cidr)", or `undefined` for a public address. */
export function ipv4Rule(octets: readonly number[]): string | undefined {
  const value = ipv4ToInt(octets);
  const range = REFUSED_IPV4_RANGES.find(
    (r) => Math.floor(value / 2 ** (32 - r.prefix)) === Math.floor(r.base / 2 ** (32 - r.prefix)),
  );
  return range ? `${range.what} (${range.cidr})` : undefined;
}

/**
 * Eight 16-bit groups from an IPv6 address without brackets, in any spelling: `::` runs, leading
 * zeros, upper case, a dotted IPv4 tail. `undefined` for anything else (a zone ID, say).
 */
export function parseIpv6(text: string): number[] | undefined {
  let tail: number[] = [];
  let body = text.toLowerCase();
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(body);
  if (dotted) {
    const octets = parseIpv4(dotted[2] ?? "");
    if (!octets) return undefined;
    tail = [octets[0] * 256 + octets[1], octets[2] * 256 + octets[3]];
    // "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::": keep the "::" whole.
    body = (dotted[1] ?? "").endsWith("::") ? (dotted[1] ?? "") : (dotted[1] ?? "").slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups = part.split(":");
    if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = groupsOf(halves[0] ?? "");
  const rest = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
}

/** The rule an IPv6 address breaks, as "is ...", or `undefined` for a public address. */
export function ipv6Rule(groups: readonly number[]): string | undefined {
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const firstFive = groups.slice(0, 5).every((g) => g === 0);
  if (firstFive && g5 === 0 && g6 === 0 && g7 === 0) return "the unspecified IPv6 address (::)";
  if (firstFive && g5 === 0 && g6 === 0 && g7 === 1) return "the IPv6 loopback address (::1)";
  if ((g0 & 0xffc0) === 0xfe80) return "a link-local IPv6 address (fe80::/10)";
  if ((g0 & 0xfe00) === 0xfc00) return "a unique-local IPv6 address (fc00::/7)";
  // The carrier's stack connects to the IPv4 address inside these, so the IPv4 rules apply.
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  const v4 = embedded.join(".");
  if (firstFive && g5 === 0xffff) {
    const rule = ipv4Rule(embedded);
    if (rule) return `${v4}, ${rule}, written as an IPv4-mapped IPv6 address (::ffff:0:0/96)`;
  }
  if (firstFive && g5 === 0) {
    const rule = ipv4Rule(embedded);
    if (rule) return `${v4}, ${rule}, written as an IPv4-compatible IPv6 address (::/96)`;
  }
  return undefined;
}

const LOCAL_NAME_RULES: readonly { test: (name: string) => boolean; what: string }[] = [
  { test: (name) => name === "localhost", what: "localhost (this machine)" },
  { test: (name) => name.endsWith(".localhost"), what: "a .localhost name (always this machine)" },
  {
    test: (name) => name.endsWith(".local"),
    what: "a .local name (multicast DNS, answered only on a local network)",
  },
  { test: (name) => name.endsWith(".internal"), what: "an .internal name (reserved for private networks)" },
  {
    test: (name) => name === "home.arpa" || name.endsWith(".home.arpa"),
    what: "a .home.arpa name (reserved for home networks)",
  },
  {
    test: (name) => !name.includes("."),
    what: "a single-label name (no dot: only a local network's resolver answers it)",
  },
];

/**
 * The rule a host breaks, as "is ...", or `undefined` for a host a carrier may reach. `hostname`
 * is a WHATWG `URL.hostname`: IPv6 in brackets, IPv4 dotted, names lower case.
 */
export function hostRule(hostname: string): string | undefined {
  if (hostname.startsWith("[")) {
    const groups = parseIpv6(hostname.slice(1, -1));
    return groups ? ipv6Rule(groups) : undefined;
  }
  // "localhost." is "localhost": DNS names are absolute either way.
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  const octets = parseIpv4(name);
  if (octets) return ipv4Rule(octets);
  return LOCAL_NAME_RULES.find((rule) => rule.test(name))?.what;
}

/** The host as written in the URL (without userinfo or port), to show next to its reading. */
function writtenHost(url: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i.exec(url)?.[1];
  if (authority === undefined) return undefined;
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (hostAndPort.startsWith("[")) return hostAndPort.slice(0, hostAndPort.indexOf("]") + 1) || hostAndPort;
  return hostAndPort.replace(/:\d*$/, "");
}

/**
 * Why a webhook URL's host is unreachable for every carrier, naming the property, the host and
 * the rule; `undefined` when the host may be public or the URL does not parse (format errors are
 * `validation.ts`'s to report). Never throws.
 */
export function unreachableHostReason(property: string, url: string): string | undefined {
  if (typeof url !== "string") return undefined;
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (!hostname) return undefined;
  const rule = hostRule(hostname);
  if (!rule) return undefined;
  const written = writtenHost(url);
  const host =
    written !== undefined && written.toLowerCase() !== hostname
      ? `${JSON.stringify(written)} (that is ${hostname})`
      : JSON.stringify(hostname);
  return (
    `${property}: host ${host} is ${rule}, which no carrier can reach: webhook URLs must be publicly ` +
    `accessible. Set ${ALLOW_PRIVATE_HOSTS_KEY} to true for a lab or a test`
  );
}
