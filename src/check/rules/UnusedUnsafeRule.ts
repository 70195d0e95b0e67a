import type { DiagnosticBag } from "../../diagnostics/diagnostic.js";
import { Messages } from "../../diagnostics/messages.js";
import type { Model } from "../model.js";

/** README "Safety checks": an `unsafe` that overrides nothing is stale and is reported. Runs last. */
export function UnusedUnsafeRule(model: Model, diagnostics: DiagnosticBag): void {
  for (const o of model.overrides) {
    if (!o.used) diagnostics.report(Messages.UnusedUnsafe, o.span, { code: o.code });
  }
}
