import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";
import type { Lowered } from "../lowered.js";

/** README "Safety checks" (PC4001): an allow list names its entries; without them it would deny everyone. */
export function AllowListEntriesRule(lowered: Lowered, { diagnostics }: CheckContext): void {
  for (const list of lowered.accessLists) {
    if (list.sense === "allow" && !list.hasEntries) diagnostics.report(Messages.EmptyAllowList, list.span);
  }
}
