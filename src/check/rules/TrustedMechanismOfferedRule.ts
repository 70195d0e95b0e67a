import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/** README "Inside `mail { }`" (PC3013): `relay authenticated` trusts only mechanisms that `auth mechanisms` offers. */
export function TrustedMechanismOfferedRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  if (!mail) return;
  const offered = new Set(mail.mechanisms.map((e) => e.value));
  for (const t of mail.trusted) {
    if (!offered.has(t.value)) diagnostics.report(Messages.TrustNotOffered, t, { value: t.value });
  }
}
