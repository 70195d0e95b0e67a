import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";

/**
 * The PAM service sendmail's Cyrus SASL names when it asks saslauthd to
 * check a password: sendmail calls sasl_server_new("smtp", ...), and
 * saslauthd -a pam starts PAM with that service name (measured in
 * test/e2e/saslauthd.e2e.test.ts: an access list on `service smtp` decides
 * who may relay).
 */
export const SASLAUTHD_PAM_SERVICE = "smtp";

/** pam_permit.so, by any path: succeeds for anyone. */
const isPermit = (module: string) => /(^|\/)pam_permit(\.so)?$/.test(module);

/**
 * README "Safety checks", PC4115: with `auth backend saslauthd`, the auth
 * stack of the PAM service "smtp" is the password check of SMTP AUTH, and
 * so of relaying. A custom stack there that lets a login through without a
 * password (pam_permit in auth; `nullok`, which accepts an account whose
 * password is empty with an empty password) opens the relay by another door.
 * Only the policy's own lines are judged: a file pulled in with include or
 * @include is the host's.
 */
export function PasswordlessSmtpAuthRule(model: Model, ctx: CheckContext): void {
  if (model.mail?.backend !== "saslauthd" || model.mail.mechanisms.length === 0) return;
  for (const service of model.services) {
    if (service.pamService !== SASLAUTHD_PAM_SERVICE || !service.stack) continue;
    for (const entry of service.stack) {
      if (entry.kind !== "line" || entry.type.replace(/^-/, "") !== "auth") continue;
      const line = [entry.type, entry.control, entry.module, ...entry.args].join(" ");
      if (isPermit(entry.module)) {
        ctx.reportSafety(Messages.PasswordlessSmtpAuth, entry.span, { line, detail: "runs pam_permit, which succeeds for anyone" });
      } else if (entry.args.some((a) => /^nullok(_secure)?$/.test(a))) {
        ctx.reportSafety(Messages.PasswordlessSmtpAuth, entry.span, {
          line,
          detail: "accepts an empty password for an account that has none (nullok)",
        });
      }
    }
  }
}
