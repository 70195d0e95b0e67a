import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";

/** README "acl": onerr succeed lets everyone in when the list file is missing. */
export function OnerrSucceedRule(model: Model, { diagnostics }: CheckContext): void {
  for (const s of model.services) {
    for (const acl of s.acls) {
      if (acl.onerr === "succeed") diagnostics.report(Messages.OnerrSucceed, acl.onerrSpan ?? acl.span, { file: acl.file });
    }
  }
}
