import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";
import type { ListenModel } from "../model.js";

/** README "Inside `mail { }`" (PC3017): each listen socket has its own name (sendmail's DAEMON_OPTIONS Name=). */
export function UniqueListenRule({ mail }: Lowered, { diagnostics }: CheckContext): void {
  const names = new Map<string, ListenModel>();
  for (const l of mail?.listen ?? []) {
    const prior = names.get(l.name);
    if (prior) {
      diagnostics.report(Messages.DuplicateListen, l.span, { name: l.name }, [{ message: "The other socket.", span: prior.span }]);
    } else names.set(l.name, l);
  }
}
