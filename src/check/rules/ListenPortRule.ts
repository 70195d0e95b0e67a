import { Messages } from "../../diagnostics/messages.js";
import { closest } from "../../diagnostics/suggest.js";
import type { CheckContext } from "../context.js";
import { SERVICES_SOURCE, tcpServices } from "../etcServices.js";
import type { Model } from "../model.js";

/**
 * README "Inside mail { }", `listen`: a port is a number from 1 to 65535
 * (lowering checks that) or a TCP service name the target's /etc/services
 * knows, since sendmail resolves `Port=NAME` with getservbyname and refuses
 * to start on a name it does not know (PC3070, with the closest name).
 */
export function ListenPortRule(model: Model, { diagnostics }: CheckContext): void {
  for (const l of model.mail?.listen ?? []) {
    if (/^[0-9]+$/.test(l.port)) continue;
    const names = tcpServices(model.platform);
    if (names.has(l.port)) continue;
    const guess = closest(l.port, names.keys(), { transpositions: true });
    diagnostics.report(Messages.UnknownPortName, l.span, {
      port: l.port,
      source: SERVICES_SOURCE[model.platform],
      suggestion: guess ? ` (did you mean "${guess}"?)` : "",
    });
  }
}
