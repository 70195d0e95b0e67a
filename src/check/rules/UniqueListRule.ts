import { Messages } from "../../diagnostics/messages.js";
import type { Program } from "../../syntax/load.js";
import type { CheckContext } from "../context.js";
import { firstOfEach, type Scope } from "../scopes.js";
import { statementsOf } from "./names.js";

/** README "Statements": a list name is defined once in a model (the top level and one host block); the first is used. */
export function UniqueListRule(_program: Program, scopes: readonly Scope[], { diagnostics }: CheckContext): void {
  for (const scope of scopes) {
    for (const { item, prior } of firstOfEach(statementsOf(scope.items, "ListDef"), (l) => l.node.name.value)) {
      if (!prior) continue;
      diagnostics.report(Messages.DuplicateList, { file: item.file, ...item.node.name.loc }, { name: item.node.name.value }, [
        { message: "First defined here.", span: { file: prior.file, ...prior.node.name.loc } },
      ]);
    }
  }
}
