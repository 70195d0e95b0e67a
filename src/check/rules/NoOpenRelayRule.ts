import type { Span } from "../../diagnostics/diagnostic.js";
import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { type Ipv4Network, ipv4UnionSize, parseIpv4Network } from "../values.js";

/**
 * tldts (the Public Suffix List) is loaded only when a policy has relay
 * domains: its table costs about a tenth of node's start-up, which every
 * build would otherwise pay. It stays outside the bundle, like prettier.
 */
let tldts: typeof import("tldts") | undefined;
function publicSuffixOf(name: string): { suffix: boolean; private: boolean } {
  if (!tldts) {
    // node:module too: loaded here, not at start-up.
    const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
    tldts = createRequire(import.meta.url)("tldts") as typeof import("tldts");
  }
  const parsed = tldts.parse(name, { allowPrivateDomains: true });
  return { suffix: parsed.domain === null && parsed.publicSuffix !== null, private: parsed.isPrivate === true };
}

/**
 * Relay networks that together cover this many addresses (a /7) or more are
 * a good part of the Internet: 255 /8s, each fine on its own, relay for
 * nearly anyone.
 */
export const OPEN_RELAY_ADDRESSES = 2 ** 25;

/**
 * README "Safety checks" PC4101: no spelling of the mail block may relay for
 * anyone without authentication: relay networks whose union covers 2^25
 * addresses or more (0.0.0.0/0 above all), a relay domain that is a public
 * suffix (a whole top-level domain, `co.uk`, `github.io`: anyone can register
 * a name under it), or trusting ANONYMOUS (anyone can "authenticate" with it)
 * or EXTERNAL (any client certificate the CA signed relays, account or not).
 */
export function NoOpenRelayRule(model: Model, ctx: CheckContext): void {
  const mail = model.mail;
  if (!mail) return;
  // One network per policy value (a /23 is two octet prefixes in the model).
  const nets: { net: Ipv4Network; text: string; span: Span }[] = [];
  const seen = new Set<Span>();
  for (const n of mail.relayNetworks) {
    if (seen.has(n.span)) continue;
    seen.add(n.span);
    const net = parseIpv4Network(n.network);
    if (typeof net !== "string") nets.push({ net, text: n.network, span: n.span });
  }
  let single = false;
  for (const { net, text, span } of nets) {
    if (net.length < 8) {
      single = true;
      ctx.reportSafety(Messages.OpenRelay, span, {
        detail: `relaying for every client in ${text} lets ${net.length === 0 ? "the whole Internet" : `2^${32 - net.length} addresses`} relay without authentication`,
      });
    }
  }
  if (!single && nets.length > 1 && ipv4UnionSize(nets.map((n) => n.net)) >= OPEN_RELAY_ADDRESSES) {
    // Report where the union first reaches a /7's worth, naming the networks that got it there.
    // The union of the first k networks grows with k: binary search for the least k.
    let lo = 2;
    let hi = nets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ipv4UnionSize(nets.slice(0, mid).map((n) => n.net)) >= OPEN_RELAY_ADDRESSES) hi = mid;
      else lo = mid + 1;
    }
    const upTo = nets.slice(0, lo);
    const total = ipv4UnionSize(upTo.map((n) => n.net));
    const names =
      upTo.length <= 4
        ? upTo.map((n) => n.text).join(", ")
        : `${upTo
            .slice(0, 3)
            .map((n) => n.text)
            .join(", ")} and ${upTo.length - 3} more`;
    ctx.reportSafety(Messages.OpenRelay, upTo[upTo.length - 1]!.span, {
      detail: `the relay networks ${names} together cover ${total.toLocaleString("en-US")} addresses, a /7's worth (2^25) or more, all of which may relay without authentication`,
    });
  }
  for (const d of mail.relayDomains) {
    const name = d.value.replace(/\.$/, "").toLowerCase();
    if (!name.includes(".")) {
      ctx.reportSafety(Messages.OpenRelay, d, {
        detail: `relaying to "${d.value}" relays for anyone to every address under that top-level domain`,
      });
      continue;
    }
    const psl = publicSuffixOf(name);
    if (psl.suffix) {
      ctx.reportSafety(Messages.OpenRelay, d, {
        detail: `"${d.value}" is a public suffix (${psl.private ? "the private section" : "the ICANN section"} of the Public Suffix List): anyone can register a name under it, so relaying to it relays for anyone`,
      });
    }
  }
  for (const m of mail.trusted) {
    if (m.value === "ANONYMOUS") {
      ctx.reportSafety(Messages.OpenRelay, m, {
        detail: "trusting ANONYMOUS for relaying lets anyone relay, since anyone can authenticate with it",
      });
    }
    if (m.value === "EXTERNAL") {
      ctx.reportSafety(Messages.OpenRelay, m, {
        detail:
          'trusting EXTERNAL lets every client whose certificate verifies against "tls ca" or "tls ca-path" relay, with no account at all, and the policy cannot say which certificates may',
      });
    }
  }
}
