import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";
import { SASLAUTHD_PAM_SERVICE } from "./PasswordlessSmtpAuthRule.js";

/** The included auth stack of each platform's stock smtp file and templates, and where its pam_unix has nullok. */
const INCLUDED_AUTH: Record<Model["platform"], string> = {
  debian: "common-auth (libpam-runtime's pam_unix line has nullok)",
  redhat: "password-auth (authselect's sssd profile has pam_unix nullok unless the without-nullok feature is on)",
};

/**
 * README "Safety checks", PC3082: with `auth backend saslauthd`, a `service
 * smtp` written from the stock file or a template (not a `stack` of the
 * policy's own, which PC4115 judges line by line) checks SMTP AUTH passwords
 * with the platform's included auth stack, whose pam_unix has nullok. Measured
 * with saslauthd -a pam and testsaslauthd on Linux-PAM 1.5.2: an account whose
 * password field is empty is accepted with ANY password (saslauthd refuses an
 * empty one before PAM), so every such account can relay.
 */
export function NullokSmtpAuthRule(model: Model, ctx: CheckContext): void {
  if (model.mail?.backend !== "saslauthd" || model.mail.mechanisms.length === 0) return;
  for (const service of model.services) {
    if (service.pamService !== SASLAUTHD_PAM_SERVICE || service.stack) continue;
    ctx.diagnostics.report(Messages.NullokSmtpAuth, service.span, { included: INCLUDED_AUTH[model.platform] });
  }
}
