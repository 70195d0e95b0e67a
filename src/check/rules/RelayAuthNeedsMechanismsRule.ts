import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/** README "Inside `mail { }`" (PC3020): `relay authenticated` needs `auth mechanisms`, or no client could authenticate. */
export function RelayAuthNeedsMechanismsRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  if (mail?.relayAuthenticatedSpan && mail.mechanisms.length === 0) {
    diagnostics.report(Messages.RelayAuthWithoutMechanisms, mail.relayAuthenticatedSpan);
  }
}
