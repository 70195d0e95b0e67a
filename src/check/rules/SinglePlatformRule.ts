import { Messages } from "../../diagnostics/messages.js";
import type { Program } from "../../syntax/load.js";
import type { CheckContext } from "../context.js";
import { firstOfEach, type Scope } from "../scopes.js";
import { statementsOf } from "./names.js";

/** README "Statements": a model has one `platform` statement; the first is used. */
export function SinglePlatformRule(_program: Program, scopes: readonly Scope[], { diagnostics }: CheckContext): void {
  for (const scope of scopes) {
    for (const { item, prior } of firstOfEach(statementsOf(scope.items, "Platform"), () => "platform")) {
      if (!prior) continue;
      diagnostics.report(Messages.DuplicatePlatform, { file: item.file, ...item.node.loc }, {}, [
        { message: "First set here.", span: { file: prior.file, ...prior.node.name.loc } },
      ]);
    }
  }
}
