import { Messages } from "../../diagnostics/messages.js";
import type { Program } from "../../syntax/load.js";
import type { CheckContext } from "../context.js";
import { firstOfEach, type Scope } from "../scopes.js";
import { statementsOf } from "./names.js";

/** README "Statements": a model has one `mail` block; the first is used. */
export function SingleMailRule(_program: Program, scopes: readonly Scope[], { diagnostics }: CheckContext): void {
  for (const scope of scopes) {
    for (const { item, prior } of firstOfEach(statementsOf(scope.items, "Mail"), () => "mail")) {
      if (!prior) continue;
      const keyword = (m: typeof item) => ({ file: m.file, ...m.node.loc.keyword });
      diagnostics.report(Messages.DuplicateMail, keyword(item), {}, [{ message: "First mail block here.", span: keyword(prior) }]);
    }
  }
}
