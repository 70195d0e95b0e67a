import { type DiagnosticBag, format, type Span } from "../../diagnostics/diagnostic.js";
import { type MessageDef, Messages } from "../../diagnostics/messages.js";
import { type Model, OVERRIDABLE } from "../model.js";

/**
 * Reports a safety error unless an `unsafe CODE "reason";` in an enclosing
 * block overrides it, in which case it becomes a warning that still says
 * what is unsafe and why it was allowed. README "Safety checks".
 */
export function reportSafety(
  model: Model,
  diagnostics: DiagnosticBag,
  def: MessageDef,
  span: Span,
  args: Record<string, string | number>,
): void {
  if ((OVERRIDABLE as readonly string[]).includes(def.code)) {
    const o = model.overrides.find(
      (o) => o.code === def.code && o.scope.file === span.file && o.scope.start <= span.start && span.end <= o.scope.end,
    );
    if (o) {
      o.used = true;
      diagnostics.report(Messages.UnsafeAllowed, span, { reason: o.reason, message: `${def.code} ${format(def, args)}` }, [
        { message: "Allowed here.", span: o.span },
      ]);
      return;
    }
    diagnostics.report(def, span, args, [
      { message: `If this is really meant, add unsafe ${def.code} "reason"; to this block.` },
    ]);
    return;
  }
  diagnostics.report(def, span, args);
}
