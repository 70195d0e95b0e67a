import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { reportSafety } from "./safety.js";

/** Does this control let the account stack finish (or jump) before later lines run? */
function canSkipLater(control: string): boolean {
  if (control === "sufficient") return true;
  // An included file is inlined: its own "sufficient" or "done" lines end this stack
  // (Debian's common-account has new_authtok_reqd=done).
  if (control === "include") return true;
  if (control.startsWith("[")) {
    return control
      .slice(1, -1)
      .split(/\s+/)
      .some((pair) => /=(done|[1-9]\d*)$/.test(pair));
  }
  return false;
}

/**
 * README "Safety checks": in a custom stack, no account line before the access
 * lists may end the account stack early or jump over them; otherwise a
 * request could succeed without the lists ever being read.
 */
export function NoAclBypassRule(model: Model, diagnostics: DiagnosticBag): void {
  for (const service of model.services) {
    if (!service.stack || service.acls.length === 0) continue;
    if (!service.stack.some((e) => e.kind === "acls")) continue; // lists go before every account line
    for (const entry of service.stack) {
      if (entry.kind === "acls") break;
      if (entry.type.replace(/^-/, "") !== "account" || !canSkipLater(entry.control)) continue;
      reportSafety(model, diagnostics, Messages.AclBypass, entry.span, {
        line: [entry.type, entry.control, entry.module].join(" "),
      });
    }
  }
}
