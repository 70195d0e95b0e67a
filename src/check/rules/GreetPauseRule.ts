import type { CheckContext } from "../context.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model, PlatformName } from "../model.js";

/**
 * FEATURE(`greet_pause') of each platform's stock sendmail.mc, in
 * milliseconds (null: the stock .mc has none). Debian 12's sets 1000.
 */
export const STOCK_GREET_PAUSE_MS: Record<PlatformName, number | null> = {
  debian: 1000,
  redhat: null,
};

const PLATFORM_NAME: Record<PlatformName, string> = { debian: "Debian", redhat: "Red Hat" };

/**
 * README "Inside mail", `greet pause`: a pause shorter than the stock .mc's
 * weakens a protection the distribution ships (PC4025, a warning: the policy
 * may mean it, e.g. for a submission-only host whose clients are known).
 */
export function GreetPauseRule(model: Model, { diagnostics }: CheckContext): void {
  const pause = model.mail?.greetPause;
  const stock = STOCK_GREET_PAUSE_MS[model.platform];
  if (!pause || stock === null || pause.ms >= stock) return;
  diagnostics.report(Messages.WeakGreetPause, pause.span, { ms: pause.ms, stock, platform: PLATFORM_NAME[model.platform] });
}
