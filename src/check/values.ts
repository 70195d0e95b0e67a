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
    const net = ((address & mask) >>> 0);
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
