/**
 * The mail half of the decision procedure: sendmail's check_rcpt on the
 * generated sendmail.mc (sendmail-cf's proto.m4 Rcpt_ok and Relay_ok with
 * FEATURE(access_db), the access map and local-host-names the build writes).
 * A recipient is accepted when, in this order:
 *
 * - it has no domain, or its domain is a local domain (class w, exact,
 *   case-insensitive): delivered here;
 * - its domain is a relay domain or under one (`To:DOMAIN RELAY`: the access
 *   map is looked up with the leading labels stripped one by one);
 * - the client authenticated with a trusted mechanism ({auth_type} in
 *   TRUST_AUTH_MECH, which is always among the offered ones);
 * - the client's address is local (none, 0, 127.0.0.1 or IPv6 ::1) or
 *   inside a relay network (`Connect:PREFIX RELAY`, whole octets);
 * - the client's resolved name is a local domain (class w).
 *
 * Otherwise sendmail answers 550 5.7.1 Relaying denied. The tricks that
 * hide a foreign domain behind a local one (`user%other@local`,
 * `other!user@local`, `"user@other"@local`, `@local:user@other`) are relay
 * attempts to the inner domain, as sendmail parses them. A socket with
 * modifier `a` accepts no mail without AUTH. sendmail also adds the host's
 * own names and addresses to class w at start; they are not in the policy,
 * so a request from or to them is answered as for any other name.
 */
import type { MailModel, Entry } from "../check/model.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { MailRequest } from "./request.js";

export type MailRule =
  | "local recipient"
  | "local domain"
  | "relay domain"
  | "trusted mechanism"
  | "originated locally"
  | "relay network"
  | "local client name"
  | "no rule"
  | "auth required"
  | "no mail block";

export interface MailDecision {
  kind: "mail";
  host: string | null;
  request: MailRequest;
  decision: "accept" | "refuse";
  rule: MailRule;
  /** The domain the relay question was about (the recipient's, or the one behind a trick). */
  domain: string | null;
  /** One sentence. */
  reason: string;
  /** The policy line that decided: the domain, network or mechanism entry, or the mail block. */
  span: Span | null;
}

export const DEFAULT_CLIENT = "192.0.2.1";

/** The domain a recipient is really for: the inner one of a source route or percent hack, lowercased. */
export function recipientDomain(recipient: string): { domain: string | null; trick: boolean } {
  let r = recipient.trim().replace(/^<(.*)>$/, "$1");
  let trick = false;
  const route = /^@[^:]+:(.*)$/.exec(r);
  if (route) {
    r = route[1]!;
    trick = true;
  }
  const quoted = /^"(.*)"@[^@]+$/.exec(r);
  if (quoted) {
    r = quoted[1]!;
    trick = true;
  }
  const at = r.lastIndexOf("@");
  const local = at >= 0 ? r.slice(0, at) : r;
  let domain = at >= 0 ? r.slice(at + 1).toLowerCase() : null;
  if (local.includes("@")) return { domain: local.slice(local.lastIndexOf("@") + 1).toLowerCase(), trick: true };
  if (local.includes("%")) {
    domain = local.slice(local.lastIndexOf("%") + 1).toLowerCase();
    trick = true;
  } else if (local.includes("!")) {
    domain = local.slice(0, local.indexOf("!")).toLowerCase();
    trick = true;
  }
  return { domain: domain === null ? null : domain.replace(/\.$/, ""), trick };
}

function ipv4(s: string): number[] | null {
  const p = s.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
  return p.map(Number);
}

/** Whether an IPv4 address is inside a sendmail octet prefix ("10.1" holds 10.1.x.y). */
export function inPrefix(addr: string, prefix: string): boolean {
  const a = ipv4(addr);
  if (!a) return false;
  const p = prefix.split(".");
  return p.every((x, i) => Number(x) === a[i]);
}

const find = (list: readonly Entry[], fn: (v: string) => boolean) => list.find((e) => fn(e.value.toLowerCase()));

/** Decides one RCPT TO on one host's mail block. */
export function decideMail(mail: MailModel | null, host: string | null, request: MailRequest): MailDecision {
  const base = { kind: "mail" as const, host, request };
  const { domain, trick } = recipientDomain(request.recipient);
  if (!mail) return { ...base, decision: "refuse", rule: "no mail block", domain, reason: "the policy has no mail block", span: null };
  const socket = request.socket ? mail.listen.find((l) => l.name === request.socket) : mail.listen[0];
  const auth = request.auth ? (find(mail.mechanisms, (m) => m === request.auth!.toLowerCase()) ?? null) : null;
  if (socket && socket.modifiers.includes("a") && !auth)
    return {
      ...base,
      decision: "refuse",
      rule: "auth required",
      domain,
      reason: `socket ${socket.name} requires AUTH (modifier a) and the client did not authenticate`,
      span: socket.span,
    };
  const accept = (rule: MailRule, reason: string, span: Span | null): MailDecision => ({
    ...base,
    decision: "accept",
    rule,
    domain,
    reason,
    span,
  });
  if (domain === null) return accept("local recipient", "the recipient has no domain: it is delivered here", mail.span);
  const local = find(mail.localDomains, (d) => d === domain);
  if (local) return accept("local domain", `${domain} is a local domain`, local);
  const relay = find(mail.relayDomains, (d) => domain === d || domain.endsWith(`.${d}`));
  if (relay) return accept("relay domain", `${domain} is ${relay.value === domain ? "" : "under "}relay domain ${relay.value}`, relay);
  if (auth) {
    const trusted = find(mail.trusted, (m) => m === auth.value.toLowerCase());
    if (trusted) return accept("trusted mechanism", `the client authenticated with ${trusted.value}, which may relay`, trusted);
  }
  const addr = request.clientAddr ?? DEFAULT_CLIENT;
  if (addr === "" || addr === "0" || addr === "127.0.0.1" || addr === "::1" || addr.toLowerCase() === "ipv6:::1")
    return accept("originated locally", `client ${addr || "(none)"} is this host itself: sendmail relays for it`, null);
  const net = mail.relayNetworks.find((n) => inPrefix(addr, n.prefix));
  if (net) return accept("relay network", `client ${addr} is in relay network ${net.network}`, net.span);
  if (request.clientName) {
    const name = request.clientName.toLowerCase().replace(/\.$/, "");
    const local = find(mail.localDomains, (d) => d === name);
    if (local) return accept("local client name", `the client's name ${name} is a local domain`, local);
  }
  const why = trick
    ? `the recipient hides ${domain} behind another address, and nothing lets client ${addr} relay`
    : `${domain} is neither a local nor a relay domain, and nothing lets client ${addr} relay`;
  const auth_note = request.auth && !auth ? ` (${request.auth} is not offered)` : auth ? ` (${auth.value} is not trusted to relay)` : "";
  return { ...base, decision: "refuse", rule: "no rule", domain, reason: `550 5.7.1 Relaying denied: ${why}${auth_note}`, span: null };
}
