import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Item, Model } from "../model.js";
import { ADMIN_GROUPS, ADMIN_USERS, LOGIN_SERVICES, ROOT_SHELLS } from "../loginServices.js";

/** For each item an allow list can hold: the values that let an administrator through, as the message names them. */
const ADMINS: Partial<Record<Item, { values: readonly string[]; named: string }>> = {
  user: { values: ADMIN_USERS, named: "root" },
  group: { values: ADMIN_GROUPS, named: `one of the groups ${ADMIN_GROUPS.join(", ")}` },
  shell: { values: ROOT_SHELLS, named: `root's login shell ${ROOT_SHELLS.join(", ")}` },
};

/**
 * README "Safety checks": an allow list of users, groups or login shells on
 * a login service should let an administrator in (root; root's group or an
 * admin group among wheel, sudo, admin, adm; root's shell /bin/bash), so that
 * a mistake in it does not lock out the people who fix it.
 */
export function LoginServiceAdminRule(model: Model, { diagnostics }: CheckContext): void {
  for (const service of model.services) {
    if (!LOGIN_SERVICES.has(service.pamService)) continue;
    for (const acl of service.acls) {
      const admins = ADMINS[acl.item];
      if (acl.sense !== "allow" || !admins) continue;
      if (acl.entries.values().some((v) => admins.values.includes(v))) continue;
      diagnostics.report(Messages.LoginWithoutAdmin, acl.span, { pam: service.pamService, admins: admins.named });
    }
  }
}
