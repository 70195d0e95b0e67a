import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model, PamStackEntry } from "../model.js";
import { controlActions } from "../pamControl.js";

/**
 * Can this control, on an account line BEFORE the lists, end the account
 * stack or jump over the lists? `done` (and `sufficient`, which libpam reads
 * as [success=done new_authtok_reqd=done default=ignore]) ends the stack
 * once the result so far is a success; a jump count skips the next lines.
 * An included file is inlined, so its own sufficient or done lines end this
 * stack (Debian's common-account has new_authtok_reqd=done).
 */
function canSkipLater(control: string): boolean {
  if (control === "include") return true;
  return controlActions(control).some((a) => a === "done" || /^[1-9]/.test(a));
}

/**
 * Can this control, on an account line AFTER the lists, undo their failure?
 * In _pam_dispatch_aux (Linux-PAM 1.5.2, libpam/pam_dispatch.c) a failing
 * `required` line (action bad) makes the impression negative, and it stays
 * so: ok and done change only an undecided or positive impression, done
 * ends the stack only when it is positive, die and bad keep it negative and
 * a jump only skips lines. The one action that turns it back is reset,
 * which restores the state the stack (or substack) started with, so a later
 * ok can then make the whole stack succeed. A reset inside a substack only
 * goes back to the substack's start, which already holds the failure; an
 * include'd file is inlined, and policyc cannot see the host's copy of it.
 */
function canUndoFailure(control: string): boolean {
  return controlActions(control).includes("reset");
}

const isAccount = (e: PamStackEntry): e is Extract<PamStackEntry, { kind: "line" }> =>
  e.kind === "line" && e.type.replace(/^-/, "") === "account";

/**
 * README "Safety checks": in a custom stack, no account line before the
 * access lists may end the account stack early or jump over them, and none
 * after them may reset their failure; otherwise a request could succeed
 * although a list refuses it.
 */
export function NoAclBypassRule(model: Model, ctx: CheckContext): void {
  for (const service of model.services) {
    if (!service.stack || service.acls.length === 0) continue;
    // Without the marker the lists go before the first account line (PamTarget).
    const marker = service.stack.findIndex((e) => e.kind === "acls");
    const firstAccount = service.stack.findIndex(isAccount);
    const at = marker >= 0 ? marker : firstAccount >= 0 ? firstAccount : service.stack.length;
    service.stack.forEach((entry, i) => {
      if (!isAccount(entry)) return;
      const line = [entry.type, entry.control, entry.module].join(" ");
      if (i < at && canSkipLater(entry.control)) {
        ctx.reportSafety(Messages.AclBypass, entry.span, {
          line,
          detail:
            'comes before the access lists and can end the account stack early or jump, so a request could skip them; move "account acls;" above it',
        });
      } else if ((marker >= 0 ? i > at : i >= at) && canUndoFailure(entry.control)) {
        ctx.reportSafety(Messages.AclBypass, entry.span, {
          line,
          detail:
            "comes after the access lists and its reset action wipes out their refusal, so a later success lets in a user they refuse; remove the reset",
        });
      }
    });
  }
}
