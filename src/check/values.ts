/**
 * Shapes of the values a policy holds. Each validator returns undefined when
 * the value is acceptable, or the reason it is not (the end of a sentence).
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** A strict IPv6 literal check (no zone ids). */
export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length > 45) return false;
  let head = s;
  let groupsForV4 = 0;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    if (!isIpv4(s.slice(lastColon + 1))) return false;
    head = s.slice(0, lastColon + 1) + "0:0";
    groupsForV4 = 0;
  }
  const parts = head.split("::");
  if (parts.length > 2) return false;
  const groups = (p: string) => (p === "" ? [] : p.split(":"));
  const left = groups(parts[0]!);
  const right = parts.length === 2 ? groups(parts[1]!) : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = all.length + groupsForV4;
  return parts.length === 2 ? count < 8 : count === 8;
}

export function hostNameReason(s: string): string | undefined {
  if (s.length > 253) return "a host name has at most 253 characters";
  const labels = s.endsWith(".") ? s.slice(0, -1).split(".") : s.split(".");
  if (!labels.every((l) => HOST_LABEL.test(l))) {
    return "a host name is made of dot-separated labels of letters, digits and inner hyphens";
  }
  return undefined;
}

export function domainReason(s: string): string | undefined {
  if (isIpv4(s) || isIpv6(s)) return "a domain name is expected, not an address";
  return hostNameReason(s);
}

/** A host as pam_listfile sees PAM_RHOST: a host name or an address, compared exactly. */
export function hostReason(s: string): string | undefined {
  if (s.includes("/")) {
    return "it is a network, but pam_listfile compares the remote host exactly; list single hosts or addresses";
  }
  if (isIpv4(s) || isIpv6(s)) return undefined;
  return hostNameReason(s);
}

export interface Ipv4Network {
  address: number;
  length: number;
}

/** Parses an IPv4 address or CIDR network; host bits must be zero. */
export function parseIpv4Network(s: string): Ipv4Network | string {
  const [addr, len, extra] = s.split("/");
  if (extra !== undefined || !isIpv4(addr!)) {
    return isIpv6(addr!) ? "IPv6 networks are not supported for relaying yet" : "expected an IPv4 network such as 192.0.2.0/24";
  }
  const length = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!(length >= 0 && length <= 32)) return "the prefix length must be 0 to 32";
  const address = addr!.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  if ((address & ~mask) >>> 0 !== 0) {
    const net = (address & mask) >>> 0;
    return `it has host bits set; the network is ${formatIpv4(net)}/${length}`;
  }
  return { address, length };
}

/** The number of addresses in an IPv4 network. */
export function ipv4Size(net: Ipv4Network): number {
  return 2 ** (32 - net.length);
}

/**
 * The number of distinct addresses the networks cover together: overlapping
 * and nested networks count once (10.0.0.0/8 and 10.1.0.0/16 are 2^24).
 */
export function ipv4UnionSize(nets: readonly Ipv4Network[]): number {
  const ranges = nets.map((n) => [n.address, n.address + ipv4Size(n)] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let start = -1;
  let end = -1;
  for (const [s, e] of ranges) {
    if (s > end) {
      total += end - start;
      start = s;
      end = e;
    } else if (e > end) end = e;
  }
  return total + (end - start);
}

/** Whether two IPv4 networks share an address (one then contains the other). */
export function ipv4Overlap(a: Ipv4Network, b: Ipv4Network): boolean {
  return a.address < b.address + ipv4Size(b) && b.address < a.address + ipv4Size(a);
}

/** Whether network outer contains every address of network inner. */
export function ipv4Contains(outer: Ipv4Network, inner: Ipv4Network): boolean {
  return outer.address <= inner.address && inner.address + ipv4Size(inner) <= outer.address + ipv4Size(outer);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Sendmail matches client addresses by whole octets ("10.1" is 10.1.0.0/16),
 * so a CIDR network becomes the octet prefixes that cover exactly it.
 */
export function octetPrefixes(net: Ipv4Network): string[] {
  const octets = Math.ceil(net.length / 8);
  if (octets === 0) return [""];
  const step = 2 ** (32 - octets * 8);
  const count = 2 ** (octets * 8 - net.length);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = net.address + i * step;
    out.push(formatIpv4(a).split(".").slice(0, octets).join("."));
  }
  return out;
}

export function userReason(s: string): string | undefined {
  if (/[\s:,]/.test(s)) return "a user name has no white space, colon or comma";
  return undefined;
}

export function groupReason(s: string): string | undefined {
  if (/[\s:,]/.test(s)) return "a group name has no white space, colon or comma";
  return undefined;
}

export function ttyReason(s: string): string | undefined {
  if (!/^[A-Za-z0-9_\/:.+-]+$/.test(s)) return "a terminal is a name such as tty1, pts/0, /dev/tty1 or :0";
  return undefined;
}

export function shellReason(s: string): string | undefined {
  if (!/^\/[^\s:]*$/.test(s)) return "a login shell is an absolute path such as /bin/bash";
  return undefined;
}

export function networkReason(s: string): string | undefined {
  if (s.includes(":")) {
    const [addr, len, extra] = s.split("/");
    if (extra === undefined && isIpv6(addr!) && (len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= 128))) {
      return undefined;
    }
    return "expected a network such as 192.0.2.0/24 or 2001:db8::/32";
  }
  const n = parseIpv4Network(s);
  return typeof n === "string" ? n : undefined;
}

/** A name that reaches a file name or m4 text: letters, digits, dot, underscore, hyphen. */
export function simpleNameReason(s: string, what: string): string | undefined {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s)) return `a ${what} is made of letters, digits, ".", "_" and "-"`;
  return undefined;
}

// ---------------------------------------------------------------------------
// Canonical forms: what is written to a list file or a mail data file is the
// one spelling the real module or sendmail compares against, so that no entry
// is written that can never match.

/** A canonical value, or why there is none. */
export type Canonical = string | { reason: string };

/**
 * A host as pam_listfile compares it with PAM_RHOST (exact strcmp): sshd and
 * the other daemons set PAM_RHOST to a lowercased name or to the address in
 * glibc inet_ntop's form, and give an IPv4-mapped client as a.b.c.d. So a
 * name is lowercased and loses its trailing dot (DNS names are
 * case-insensitive: the meaning is certain), an IPv6 address is rewritten
 * as inet_ntop writes it, and an IPv4-mapped address is refused (which
 * address the daemon reports is not certain, so the policy must say).
 * Expects a value hostReason() accepted.
 */
export function canonicalHost(s: string): Canonical {
  if (s.includes(":")) {
    const groups = parseIpv6(s);
    if (!groups) return s;
    if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
      const v4 = formatIpv4(((groups[6]! << 16) | groups[7]!) >>> 0);
      return { reason: `it is an IPv4-mapped address, and sshd reports such a client as ${v4}; write ${v4}` };
    }
    return formatIpv6(groups);
  }
  return canonicalDomain(s);
}

/** A domain as sendmail compares it: lowercase, without a trailing dot ("example.com." never matches). */
export function canonicalDomain(s: string): string {
  let out = s;
  if (out.endsWith(".")) out = out.slice(0, -1);
  return /[A-Z]/.test(out) ? out.toLowerCase() : out;
}

/** The eight 16-bit groups of an IPv6 address (isIpv6 rules), or undefined. */
export function parseIpv6(s: string): number[] | undefined {
  if (!isIpv6(s)) return undefined;
  let head = s;
  const tail: number[] = [];
  if (s.includes(".")) {
    const at = s.lastIndexOf(":");
    const o = s
      .slice(at + 1)
      .split(".")
      .map(Number);
    tail.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    head = s.slice(0, at + 1);
    // "::1.2.3.4" leaves "::", "64:ff9b::1.2.3.4" leaves "64:ff9b::", "a:b:c:d:e:f:1.2.3.4" leaves "a:...:f:".
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const parts = head.split("::");
  const groups = (p: string) => (p === "" ? [] : p.split(":").map((g) => parseInt(g, 16)));
  const left = groups(parts[0]!);
  const right = parts.length === 2 ? groups(parts[1]!) : [];
  const fill = 8 - tail.length - left.length - right.length;
  return [...left, ...new Array<number>(parts.length === 2 ? fill : 0).fill(0), ...right, ...tail];
}

/**
 * glibc's inet_ntop(AF_INET6): lowercase hex without leading zeros, the
 * longest run of two or more zero groups (the first of equal runs) as "::",
 * and the last 32 bits dotted for IPv4-compatible (::a.b.c.d, not ::1 or ::)
 * and IPv4-mapped (::ffff:a.b.c.d) addresses.
 */
export function formatIpv6(groups: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
      out += formatIpv4(((groups[6]! << 16) | groups[7]!) >>> 0);
      break;
    }
    out += groups[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}
