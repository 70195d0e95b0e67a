import type { Span } from "../../diagnostics/diagnostic.js";
import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { type Ipv4Network, ipv4Contains, parseIpv4Network } from "../values.js";

/**
 * Address ranges that NAT gateways and container networks make many or all
 * clients appear from. A relay network that holds a whole one of them (or
 * the gateway address) relays for whoever is behind that translation. This
 * table is README "Safety checks", PC4015.
 */
export const SHARED_SOURCES: readonly { network: string; what: string }[] = [
  { network: "10.0.0.0/8", what: "all of the RFC 1918 private range 10.0.0.0/8" },
  { network: "172.16.0.0/12", what: "all of the RFC 1918 private range 172.16.0.0/12" },
  { network: "192.168.0.0/16", what: "all of the RFC 1918 private range 192.168.0.0/16" },
  { network: "100.64.0.0/10", what: "all of the carrier-grade NAT range 100.64.0.0/10 (RFC 6598)" },
  {
    network: "172.17.0.1",
    what: "172.17.0.1, the gateway of Docker's default bridge, where docker-proxy connects from for a published port",
  },
  { network: "10.88.0.1", what: "10.88.0.1, the gateway of Podman's default network" },
];

const RANGES = SHARED_SOURCES.map((s) => ({ ...s, net: parseIpv4Network(s.network) as Ipv4Network }));

/** README "Safety checks" PC4015: warns about relay networks that hold a NAT or container source range. */
export function RelayNetworkSharedRule(model: Model, { diagnostics }: CheckContext): void {
  const mail = model.mail;
  if (!mail) return;
  const seen = new Set<Span>();
  for (const n of mail.relayNetworks) {
    if (seen.has(n.span)) continue;
    seen.add(n.span);
    const net = parseIpv4Network(n.network);
    // Wider than a /8 is already an open relay (PC4101).
    if (typeof net === "string" || net.length < 8) continue;
    const hit = RANGES.find((r) => ipv4Contains(net, r.net));
    if (hit) diagnostics.report(Messages.RelayNetworkShared, n.span, { network: n.network, what: hit.what });
  }
}
