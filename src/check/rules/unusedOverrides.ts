import { Messages } from "../../diagnostics/messages.js";
import type { CheckContext } from "../context.js";

/**
 * README "Safety checks" (PC4103): an `unsafe` that overrides nothing is
 * stale and is reported. Not a rule of the list: check() calls it once every
 * rule has run on a model, and it reads the context's record of used overrides.
 */
export function reportUnusedOverrides(ctx: CheckContext): void {
  for (const o of ctx.unused()) ctx.diagnostics.report(Messages.UnusedUnsafe, o.span, { code: o.code });
}
