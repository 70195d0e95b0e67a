import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { parseIpv4Network } from "../values.js";
import { reportSafety } from "./safety.js";

/** Networks shorter than this many bits are a good part of the Internet. */
const MIN_PREFIX = 8;

/**
 * README "Safety checks": no spelling of the mail block may relay for anyone
 * without authentication: a relay network of /7 or wider (0.0.0.0/0 above
 * all), a relay domain that is a whole top-level domain, or trusting the
 * ANONYMOUS mechanism (anyone can "authenticate" with it).
 */
export function NoOpenRelayRule(model: Model, diagnostics: DiagnosticBag): void {
  const mail = model.mail;
  if (!mail) return;
  const seen = new Set<number>();
  for (const n of mail.relayNetworks) {
    if (seen.has(n.span.start)) continue;
    seen.add(n.span.start);
    const net = parseIpv4Network(n.network);
    if (typeof net !== "string" && net.length < MIN_PREFIX) {
      reportSafety(model, diagnostics, Messages.OpenRelay, n.span, {
        detail: `relaying for every client in ${n.network} lets ${net.length === 0 ? "the whole Internet" : `2^${32 - net.length} addresses`} relay without authentication`,
      });
    }
  }
  for (const d of mail.relayDomains) {
    if (!d.value.replace(/\.$/, "").includes(".")) {
      reportSafety(model, diagnostics, Messages.OpenRelay, d, {
        detail: `relaying to "${d.value}" relays for anyone to every address under that top-level domain`,
      });
    }
  }
  for (const m of mail.trusted) {
    if (m.value === "ANONYMOUS") {
      reportSafety(model, diagnostics, Messages.OpenRelay, m, {
        detail: "trusting ANONYMOUS for relaying lets anyone relay, since anyone can authenticate with it",
      });
    }
  }
}
