import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { FIXED_TTY, NO_RHOST, NO_RUSER } from "../loginServices.js";

/**
 * README "Safety checks": an rhost or ruser allow list on a login service
 * that never sets that item denies everyone, whatever the list holds, and
 * so does a tty allow list on sshd without "ssh", the one PAM_TTY sshd has
 * when the account stack runs. For an unset item,
 * pam_listfile checks for an unset item before it opens the file and then
 * refuses under sense=allow (measured on Linux-PAM 1.5.2). A deny list is
 * harmless there (it allows everyone), so only allow lists are reported.
 */
export function UnsetItemLockoutRule(model: Model, ctx: CheckContext): void {
  for (const service of model.services) {
    for (const acl of service.acls) {
      if (acl.sense !== "allow" || acl.apply) continue; // apply= limits the list to some users: not everyone
      const unset =
        acl.item === "rhost" ? NO_RHOST.get(service.pamService) : acl.item === "ruser" ? NO_RUSER.get(service.pamService) : undefined;
      let why = unset && `${unset}, and pam_listfile refuses a request whose item is unset`;
      // OpenSSH's sshd sets PAM_TTY to "ssh" when PAM starts (auth-pam.c), and the
      // account check runs before any terminal is allocated.
      const tty = acl.item === "tty" && service.pamService === "sshd" ? FIXED_TTY.get(service.pamService) : undefined;
      if (tty && !acl.entries.values().some((v) => v.replace(/^\/dev\//, "") === tty)) {
        why = `sshd checks the account with PAM_TTY set to "${tty}", which the list does not name`;
      }
      if (!why) continue;
      ctx.reportSafety(Messages.UnsetItemLockout, acl.span, { item: acl.item, pam: service.pamService, why });
    }
  }
}
