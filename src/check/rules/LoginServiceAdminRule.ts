import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";

/** PAM services through which administrators log in to repair a host. */
const LOGIN_SERVICES = new Set(["sshd", "login", "su", "su-l", "sudo", "sudo-i", "cockpit"]);
const ADMIN_USERS = ["root"];
const ADMIN_GROUPS = ["wheel", "sudo", "admin", "adm"];

/**
 * README "Safety checks": an allow list of users or groups on a login service
 * should name an administrator (root, or a group among wheel, sudo, admin,
 * adm), so that a mistake in it does not lock out the people who fix it.
 */
export function LoginServiceAdminRule(model: Model, diagnostics: DiagnosticBag): void {
  for (const service of model.services) {
    if (!LOGIN_SERVICES.has(service.pamService)) continue;
    for (const acl of service.acls) {
      if (acl.sense !== "allow") continue;
      const admins = acl.item === "user" ? ADMIN_USERS : acl.item === "group" ? ADMIN_GROUPS : null;
      if (!admins || acl.entries.values().some((v) => admins.includes(v))) continue;
      diagnostics.report(Messages.LoginWithoutAdmin, acl.span, {
        pam: service.pamService,
        admins: acl.item === "user" ? "root" : `one of the groups ${ADMIN_GROUPS.join(", ")}`,
      });
    }
  }
}
