import type { SmtpExpectation, SmtpSocket } from "../stack-suite.js";
import { MailMeaning } from "./meaning.js";

// ---------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------

const PORTS: Record<string, number> = { smtp: 25, submission: 587, smtps: 465 };
const DEFAULT_NAMES: Record<string, string> = { smtp: "MTA", submission: "MSA", smtps: "SMTPS" };
/** Mechanisms swaks can authenticate with (DIGEST-MD5 needs Authen::SASL). */
const SWAKS_MECHS = new Set(["CRAM-MD5", "DIGEST-MD5", "PLAIN", "LOGIN", "CRAM-SHA1"]);
/** What confAUTH_OPTIONS `p` withholds without a security layer (Cyrus SASL: the mechanisms without SASL_SEC_NOPLAINTEXT). */
const PLAINTEXT_MECHS = new Set(["PLAIN", "LOGIN"]);
/** Mechanisms the raw SMTP client (stack.ts smtpSession) can authenticate with. */
const SESSION_MECHS = new Set(["PLAIN", "LOGIN"]);
export const FOREIGN = "foreign.example";
export const PASSWORD = "e2e-Secret-1";

function ipv4(s: string): number {
  const p = s.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`oracle: not an IPv4 address: ${s}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** [first, last] of an IPv4 CIDR network. */
export function cidrRange(net: string): [number, number] {
  const [addr, bits = "32"] = net.split("/");
  const b = Number(bits);
  const size = 2 ** (32 - b);
  const first = Math.floor(ipv4(addr!) / size) * size;
  return [first, first + size - 1];
}

/** Client addresses inside each network (its first and last hosts) and just outside it, with what sendmail must do. */
export function relayNetworkClients(networks: readonly string[]): Array<{ address: string; expect: "relay" | "deny" }> {
  const ranges = networks.map(cidrRange);
  const inside = (n: number) => ranges.some(([a, b]) => n >= a && n <= b);
  const usable = (n: number) => n >= 0 && n <= 0xffffffff && n >>> 24 !== 0 && n >>> 24 < 224 && dotted(n) !== "127.0.0.1";
  const out: Array<{ address: string; expect: "relay" | "deny" }> = [];
  const seen = new Set<string>();
  for (const [a, b] of ranges) {
    const cands = b - a >= 2 ? [a + 1, b - 1, a - 2, b + 2] : [a, b, a - 2, b + 2];
    for (const n of cands) {
      if (!usable(n) || seen.has(dotted(n))) continue;
      seen.add(dotted(n));
      out.push({ address: dotted(n), expect: inside(n) ? "relay" : "deny" });
    }
  }
  return out;
}

export function smtpExpectation(mail: MailMeaning): SmtpExpectation {
  const host = mail.domains[0]!;
  const daemonPortOptions = mail.listens.map((l) => {
    const name = l.name ?? DEFAULT_NAMES[l.port] ?? "*";
    const parts = [`Port=${l.port}`];
    if (l.address) parts.push(`Addr=${l.address}`);
    if (l.family) parts.push(`Family=${l.family}`);
    parts.push(`Name=${name}`);
    if (l.modifiers.length) parts.push(`M=${l.modifiers.join("")}`);
    return parts.join(", ");
  });
  const sockets = mail.listens
    .filter((l) => (l.family ?? "inet") === "inet")
    .map((l) => {
      const port = PORTS[l.port] ?? Number(l.port);
      if (!Number.isInteger(port) || port <= 0) throw new Error(`oracle: cannot resolve port ${l.port}`);
      const s: SmtpSocket & { mods: string[] } = { port, mods: l.modifiers };
      if (l.address && l.address !== "0.0.0.0") s.address = l.address;
      return s;
    })
    .filter((s) => !s.mods.includes("s")); // SMTPS needs certificates: only its cf line is checked
  const strip = ({ port, address }: SmtpSocket): SmtpSocket => (address ? { port, address } : { port });
  const open = sockets.find((s) => !s.mods.includes("a"));
  const authSocket = sockets.find((s) => !s.mods.includes("A"));
  if (!authSocket && mail.mechanisms.length) throw new Error("oracle: no socket offers AUTH");

  // EHLO. confAUTH_OPTIONS (sendmail's AuthOptions, cf/README): `p` "don't permit mechanisms
  // susceptible to simple passive attack (e.g., PLAIN, LOGIN), unless a security layer is active";
  // `y` "don't permit mechanisms that allow anonymous login". On a connection without STARTTLS no
  // security layer is active: with noplaintext, PLAIN and LOGIN are withheld (not offered, and an
  // AUTH with them is refused). After STARTTLS (only with `tls certificate` and `tls key`) every
  // usable mechanism is offered, and the trusted ones relay.
  const usable = mail.mechanisms.filter((m) => !(mail.options.includes("noanonymous") && m === "ANONYMOUS"));
  const withheld = mail.options.includes("noplaintext") ? usable.filter((m) => PLAINTEXT_MECHS.has(m)) : [];
  const offered = usable.filter((m) => !withheld.includes(m));
  const trusted = mail.relayAuthenticated ?? [];
  const relayMechanisms = offered.filter((m) => trusted.includes(m) && SWAKS_MECHS.has(m));
  const untrustedMechanisms = offered.filter((m) => !trusted.includes(m) && SWAKS_MECHS.has(m));

  const accountNames = mail.accounts.length ? mail.accounts : offered.length || withheld.length ? ["e2e-relay"] : [];
  const saslAccounts = accountNames.map((user) => ({ user, realm: host, password: PASSWORD }));

  // Recipient domains: local (class w, exact), relay domains (and their subdomains).
  const isLocal = (d: string) => mail.domains.includes(d);
  const isRelay = (d: string) => mail.relayDomains.some((r) => d === r || d.endsWith(`.${r}`));
  const refusedDomain = (d: string) => !isLocal(d) && !isRelay(d);
  const foreign = [FOREIGN, "foreign.e2e.test"].find(refusedDomain)!;
  const lookalikes = mail.relayDomains.map((r) => `e2e${r}`).filter(refusedDomain);

  const nets = mail.relayNetworks.filter((n) => !n.includes(":"));
  const netClients = relayNetworkClients(nets);
  // The ordinary client must be outside every relay network (127.0.0.2 unless a network holds it).
  const inNet = (a: string) =>
    nets.some((n) => {
      const [lo, hi] = cidrRange(n);
      return ipv4(a) >= lo && ipv4(a) <= hi;
    });
  const clientAddress = ["127.0.0.2", "198.18.0.2", "203.0.113.250", "100.64.0.2"].find((a) => !inNet(a));
  if (!clientAddress) throw new Error("oracle: no client address outside the relay networks");

  const exp: SmtpExpectation = {
    hostName: host,
    daemonPortOptions,
    saslAccounts,
    offeredMechanisms: offered,
    relayMechanisms,
    untrustedMechanisms,
    localRecipients: open ? mail.domains.map((d) => `postmaster@${d}`) : [],
    foreignRecipients: open ? [`someone@${foreign}`, ...lookalikes.map((d) => `someone@${d}`)] : [],
    relayTricks: open
      ? mail.domains.flatMap((d) => [`user%${foreign}@${d}`, `${foreign}!user@${d}`, `"user@${foreign}"@${d}`, `@${d}:user@${foreign}`])
      : [],
    relayDomainRecipients: open ? mail.relayDomains.flatMap((r) => [`someone@${r}`, `someone@e2e-sub.${r}`]) : [],
    relayNetworkClients: open ? netClients : [],
    relayTarget: `someone@${foreign}`,
    clientAddress,
    authRequired: sockets.filter((s) => s.mods.includes("a")).map(strip),
    serverAddresses: [...new Set(sockets.flatMap((s) => (s.address && !s.address.startsWith("127.") ? [s.address] : [])))],
    otherHostName: "e2e-host.harness.test",
  };
  if (withheld.length) {
    // Without a security layer an AUTH with them anyway is refused: 503 5.3.3 "AUTH not available"
    // when nothing is offered at all, else 504 5.3.3 "AUTH mechanism X not available".
    exp.withheldMechanisms = withheld.filter((m) => SESSION_MECHS.has(m));
    exp.withheldAuthReply = offered.length ? 504 : 503;
  }
  const { certificate, key, ca, caPath } = mail.tls;
  if (certificate && key) {
    // STARTTLS is offered; after it every usable mechanism is, and the trusted ones relay
    // (the raw TLS client speaks PLAIN and LOGIN).
    exp.tls = {
      files: { certificate, key, ...(ca ? { ca } : {}), ...(caPath ? { caPath } : {}) },
      offeredMechanisms: usable,
      relayMechanisms: usable.filter((m) => trusted.includes(m) && SESSION_MECHS.has(m)),
      untrustedMechanisms: usable.filter((m) => !trusted.includes(m) && SESSION_MECHS.has(m)),
    };
  }
  if (saslAccounts.length) exp.login = `${saslAccounts[0]!.user}@${saslAccounts[0]!.realm}`;
  if (open) exp.socket = strip(open);
  if (authSocket) exp.authSocket = strip(authSocket);
  return exp;
}
