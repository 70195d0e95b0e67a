import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/** README "Safety checks" (PC3041): a socket with modifier `s` (SMTPS) needs the `tls` settings. */
export function SmtpsNeedsTlsRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  if (!mail) return;
  for (const l of mail.listen) {
    if (l.modifiers.includes("s") && !mail.tls) diagnostics.report(Messages.SmtpsWithoutTls, l.span, { name: l.name });
  }
}
