import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/**
 * README "Inside `mail { }`" (PC3083, warning): a socket with modifier `a`
 * (require AUTH) in a mail block without `auth mechanisms` takes no mail,
 * since the block offers no AUTH (measured: MAIL gets 530 5.7.0).
 */
export function AuthRequiredOffersAuthRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  if (!mail || mail.mechanisms.length > 0) return;
  for (const l of mail.listen) {
    if (l.modifiers.includes("a")) diagnostics.report(Messages.AuthRequiredWithoutAuth, l.span, { name: l.name });
  }
}
