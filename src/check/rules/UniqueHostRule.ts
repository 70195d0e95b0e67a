import { Messages } from "../../diagnostics/messages.js";
import type { Program } from "../../syntax/load.js";
import type { CheckContext } from "../context.js";
import { firstOfEach, hostNameSpan, type Scope } from "../scopes.js";

/** README "Statements": each host block has its own name; a later one of the same name is not built. */
export function UniqueHostRule(program: Program, _scopes: readonly Scope[], { diagnostics }: CheckContext): void {
  for (const { item: h, prior } of firstOfEach(program.hosts, (h) => h.node.name.value)) {
    if (!prior) continue;
    diagnostics.report(Messages.DuplicateHost, hostNameSpan(h), { name: h.node.name.value }, [
      { message: "First defined here.", span: hostNameSpan(prior) },
    ]);
  }
}
