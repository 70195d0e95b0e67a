import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/** README "Inside `mail { }`" (PC3021): SASL `accounts` need `auth mechanisms` to log in with. */
export function AccountsNeedMechanismsRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  if (mail?.accountsSpan && mail.accounts.length > 0 && mail.mechanisms.length === 0) {
    diagnostics.report(Messages.AccountsWithoutAuth, mail.accountsSpan);
  }
}
